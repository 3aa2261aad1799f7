#!/bin/bash
# 36-slow-upstream (SPEC §3, §4.5): message bodies stream to the upstream
# while they are inspected; when the upstream reads slower than the
# client sends, the proxy must hold the client back (stop reading it)
# rather than buffer the message or fail.
# The upstream is a reader defined here that takes message bodies at
# about 10 MB/s (64 KB every 6 ms). A clean 20 MB message (a 15 MB
# base64 attachment) with filetypes on:
#  - is answered with the upstream's own reply and delivered whole, byte
#    for byte;
#  - the proxy stays up, and its peak resident memory (VmHWM) stays
#    under 64 MB.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

HWM_LIMIT_KB=$((64 * 1024))
BIG="$WORK/big"
mkdir -p "$BIG"
mkdir -m 700 "$WORK/spool"
"$PYTHON" "$INTEGRATION_DIR/mkfixtures.py" --big clean 20000000 \
    "$BIG/clean.eml" || fail "mkfixtures.py --big clean failed"
free_port PROXY_PORT

hwm_kb() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$PID/status"
}

steps() {
	local from=$1 wire=$2 want=$3
	STEPS+=("send:MAIL FROM:<$from>\\r\\n" 'expect:^250 '
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 '
	    'send:DATA\r\n' 'expect:^354 ' "sendfile:$wire" "expect:$want")
}

# ---------------------------------------------------------------------
check "a 20 MB message through to a slow upstream"
free_port SLOW_PORT
mkdir -p "$WORK/slow"
cat >"$WORK/slow-upstream.py" <<'SLOW'
# A minimal SMTP upstream that reads message bodies slowly (64 KB every
# 6 ms) and stores each as DIR/msg-N.eml (dot-stuffing removed).
import socket, sys, threading, time
port, d = int(sys.argv[1]), sys.argv[2]
count = [0]
lock = threading.Lock()

def serve(c):
    buf = b""

    def line():
        nonlocal buf
        while b"\r\n" not in buf:
            x = c.recv(4096)
            if not x:
                return None
            buf += x
        l, buf = buf.split(b"\r\n", 1)
        return l

    c.sendall(b"220 slow ESMTP\r\n")
    while True:
        l = line()
        if l is None:
            return
        verb = l[:4].upper()
        if verb == b"EHLO":
            c.sendall(b"250-slow\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        elif verb == b"QUIT":
            c.sendall(b"221 2.0.0 Bye\r\n")
            return
        elif verb == b"DATA":
            c.sendall(b"354 go ahead\r\n")
            chunks, tail = [buf], b"\r\n" + buf[-8:]
            while not tail.endswith(b"\r\n.\r\n"):
                time.sleep(0.006)
                x = c.recv(65536)
                if not x:
                    return
                chunks.append(x)
                tail = (tail + x)[-8:]
            body = b"".join(chunks)
            buf = b""
            body = body[:len(body) - 3]
            body = b"\r\n".join(l[1:] if l.startswith(b".") else l
                                for l in body.split(b"\r\n"))
            with lock:
                count[0] += 1
                k = count[0]
            with open("%s/msg-%d.eml" % (d, k), "wb") as f:
                f.write(body)
            c.sendall(b"250 2.0.0 Ok: slowly queued as %d\r\n" % k)
        else:
            c.sendall(b"250 2.0.0 Ok\r\n")

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
open(d + "/ready", "w").close()
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
SLOW
bg slow-upstream "$PYTHON" "$WORK/slow-upstream.py" "$SLOW_PORT" "$WORK/slow"
wait_until 10 test -e "$WORK/slow/ready" || fail "slow upstream did not start"
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$SLOW_PORT\"
spool_dir = \"$WORK/spool\"
filetypes {
	enabled = true
	block_types = { \"executable\" }
}"
PID=$(pgrep -P "$PROXY_PID" | head -n 1)
[ -n "$PID" ] || fail "cannot find the proxy process under $PROXY_PID"
STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
steps slow@example.com "$BIG/clean.eml.wire" \
    '^250 2\.0\.0 Ok: slowly queued as 1$'
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
# A crash of the proxy is the likelier failure here: report it first.
st=0
timeout -k 5 60 "$PYTHON" "$SMTPCLIENT" --port "$PROXY_PORT" --timeout 40 \
    "${STEPS[@]}" >"$WORK/big-slow.out" 2>&1 </dev/null || st=$?
sed 's/^/    /' "$WORK/big-slow.out"
check_proxy_alive
[ "$st" -eq 0 ] || fail "client big-slow exited $st"
wait_until 10 test -e "$WORK/slow/msg-1.eml" || fail "nothing delivered"
assert_files_equal "$BIG/clean.eml" "$WORK/slow/msg-1.eml" \
    "the message at the slow upstream"
hwm=$(hwm_kb)
assert_memory "$hwm" "$HWM_LIMIT_KB" "proxy peak resident memory"
pass
