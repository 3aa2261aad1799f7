#!/bin/bash
# 16-starttls-passthrough: with tls.mode passthrough (the default) the
# upstream's STARTTLS is offered, the proxy relays STARTTLS and then the
# encrypted bytes untouched, logs smtp:249 (tls-passthrough), and the
# message sent inside TLS is delivered. Bytes pipelined after STARTTLS
# are discarded (RFC 3207 §5). The upstream is a small TLS-capable SMTP
# server with a certificate made at test time.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd openssl openssl
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=upstream.test" \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 ||
    fail "cannot make a test certificate"

free_port TLS_PORT
cat >"$WORK/tlsserver.py" <<'PY'
import socket, ssl, sys
port, cert, key, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(5)
open(out + ".ready", "w").close()
n = 0
while True:
    c, _ = ls.accept()
    c.settimeout(20)
    f = c.makefile("rb")
    w = c.sendall
    w(b"220 upstream.test ESMTP\r\n")
    tls = False
    try:
        while True:
            line = f.readline()
            if not line:
                break
            cmd = line.strip().upper()
            if cmd.startswith(b"EHLO"):
                ext = b"" if tls else b"250-STARTTLS\r\n"
                w(b"250-upstream.test\r\n" + ext + b"250 PIPELINING\r\n")
            elif cmd == b"STARTTLS" and not tls:
                w(b"220 2.0.0 go ahead\r\n")
                c = ctx.wrap_socket(c, server_side=True)
                f = c.makefile("rb")
                w = c.sendall
                tls = True
            elif cmd == b"DATA":
                w(b"354 go\r\n")
                body = b""
                while True:
                    l = f.readline()
                    if not l or l == b".\r\n":
                        break
                    body += l
                n += 1
                open("%s.msg-%d" % (out, n), "wb").write(
                    (b"TLS " if tls else b"PLAIN ") + body)
                w(b"250 2.0.0 queued inside tls\r\n")
            elif cmd == b"QUIT":
                w(b"221 bye\r\n")
                break
            else:
                w(b"250 ok\r\n")
    except Exception as e:
        print("session error:", e, flush=True)
    c.close()
PY
bg tlsserver "$PYTHON" "$WORK/tlsserver.py" "$TLS_PORT" "$WORK/cert.pem" \
    "$WORK/key.pem" "$WORK/tls"
wait_until 10 test -e "$WORK/tls.ready" || fail "TLS upstream did not start"

free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$TLS_PORT\""

check "STARTTLS offered through the proxy, message delivered inside TLS"
swaks_run tls --tls --to rcpt@example.test --from sender@example.test \
    --body "secret body"
assert_grep "$WORK/tls.out" '<~  250 2\.0\.0 queued inside tls' \
    "swaks saw the upstream's reply inside TLS"
wait_until 10 test -e "$WORK/tls.msg-1" || fail "nothing delivered"
assert_grep "$WORK/tls.msg-1" '^TLS ' "delivered over TLS"
wait_log 'alarm=smtp:249 name=tls-passthrough action=log'

check "bytes pipelined after STARTTLS are discarded, not relayed"
client early 'expect:^220 ' 'send:EHLO c\r\n' 'expect:^250 ' \
    'send:STARTTLS\r\nMAIL FROM:<smuggled@x>\r\n' 'expect:^220 '
wait_log 'alarm=smtp:253 name=starttls-injection .*side=client'
check_proxy_alive
pass
