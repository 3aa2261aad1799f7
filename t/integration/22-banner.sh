#!/bin/bash
# 22-banner (SPEC §4.3): the greeting and the EHLO host name as the
# client sees them.
#  1. mode "pass" (default): the upstream's greeting, unchanged, a
#     multi-line one included;
#  2. mode "mask": every character after "220 " is "*" (the length kept);
#     a multi-line greeting is masked line by line ("220-***", "220 ***");
#  3. mode "replace" with text: "220 mx.example.test ESMTP", one line,
#     whatever the upstream said; without text: "220 <hostname> ESMTP";
#  4. ehlo = true: the host name on the first line of the EHLO reply is
#     the proxy's hostname, the keyword lines are unchanged; with
#     ehlo = false the upstream's name stays. A message still goes
#     through (swaks) with the banner masked;
#  5. banner { enabled = false }: mode and ehlo are ignored (pass).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd swaks swaks

# A minimal upstream with a multi-line greeting and an EHLO reply whose
# first line carries more than the host name. Records every connection's
# bytes in $WORK/greeter/conn-N.raw.
cat >"$WORK/greeter.py" <<'EOF'
import os, socket, sys, threading
port, d = int(sys.argv[1]), sys.argv[2]
GREETING = (b"220-mx.upstream.test ESMTP Postfix (Debian/GNU)\r\n"
            b"220-No UCE, no relaying: policy at http://upstream.test/\r\n"
            b"220 mx.upstream.test ready\r\n")
EHLO = (b"250-mx.upstream.test Hello %s\r\n250-PIPELINING\r\n"
        b"250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n")
nconn, lock = 0, threading.Lock()

def serve(c, n):
    raw = open(os.path.join(d, "conn-%d.raw" % n), "wb", buffering=0)
    buf, nmsg = b"", 0
    c.sendall(GREETING)
    def line():
        nonlocal buf
        while b"\r\n" not in buf:
            chunk = c.recv(4096)
            if not chunk:
                return None
            raw.write(chunk)
            buf += chunk
        l, buf = buf.split(b"\r\n", 1)
        return l
    while True:
        l = line()
        if l is None:
            break
        v = l[:4].upper()
        if v == b"EHLO":
            c.sendall(EHLO % l[5:])
        elif v == b"HELO":
            c.sendall(b"250 mx.upstream.test\r\n")
        elif v in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            c.sendall(b"250 2.0.0 Ok\r\n")
        elif v == b"DATA":
            c.sendall(b"354 go ahead\r\n")
            while True:
                l = line()
                if l is None or l == b".":
                    break
            if l is None:
                break
            nmsg += 1
            with open(os.path.join(d, "delivered"), "a") as f:
                f.write("conn=%d msg=%d\n" % (n, nmsg))
            c.sendall(b"250 2.0.0 Ok: queued\r\n")
        elif v == b"QUIT":
            c.sendall(b"221 2.0.0 Bye\r\n")
            break
        else:
            c.sendall(b"502 5.5.2 Error: command not recognized\r\n")
    c.close()
    with open(os.path.join(d, "connlog"), "a") as f:
        f.write("conn=%d close\n" % n)

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(64)
open(os.path.join(d, "ready"), "w").close()
while True:
    c, _ = ls.accept()
    nconn += 1
    threading.Thread(target=serve, args=(c, nconn), daemon=True).start()
EOF
free_port GREETER_PORT
mkdir -p "$WORK/greeter"
bg greeter "$PYTHON" "$WORK/greeter.py" "$GREETER_PORT" "$WORK/greeter"
wait_until 10 test -e "$WORK/greeter/ready" || fail "greeter did not start"

start_recorder --greeting "recorder.upstream.test ESMTP"
free_port PROXY_PORT
relay_rec="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
hostname = \"proxy.test\""
relay_greeter="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$GREETER_PORT\"
hostname = \"proxy.test\""

# greeting NAME: the client's greeting lines (S: removed) from NAME.out.
greeting() {
	sed -nE 's/^ *[0-9.]+ S: //p' "$WORK/$1.out" | awk '
	    { print } /^[0-9][0-9][0-9]( |$)/ { exit }'
}

# stars TEXT: TEXT with every character replaced by "*".
stars() {
	printf '%s' "$1" | tr -c '' '*'
}

session_steps=('expect:^220' 'send:EHLO client.test\r\n' 'expect:^250 '
    'send:QUIT\r\n' 'expect:^221 ' 'eof')

# ---------------------------------------------------------------------
check "1: mode pass (default)"
start_proxy "$relay_rec"
client pass-single --timeout 15 "${session_steps[@]}"
assert_eq "220 recorder.upstream.test ESMTP" "$(greeting pass-single)" \
    "single-line greeting"
start_proxy "$relay_greeter"
client pass-multi --timeout 15 "${session_steps[@]}"
assert_eq "220-mx.upstream.test ESMTP Postfix (Debian/GNU)
220-No UCE, no relaying: policy at http://upstream.test/
220 mx.upstream.test ready" "$(greeting pass-multi)" "multi-line greeting"
assert_grep "$WORK/pass-multi.out" 'S: 250-mx\.upstream\.test Hello client\.test$' \
    "EHLO reply (host name kept)"

# ---------------------------------------------------------------------
check "2: mode mask"
start_proxy "$relay_rec
banner { mode = \"mask\" }"
client mask-single --timeout 15 "${session_steps[@]}"
assert_eq "220 $(stars 'recorder.upstream.test ESMTP')" \
    "$(greeting mask-single)" "masked single-line greeting"
assert_grep "$WORK/mask-single.out" 'S: 250-recorder$' \
    "EHLO reply (ehlo = false: host name kept)"

start_proxy "$relay_greeter
banner { mode = \"mask\" }"
client mask-multi --timeout 15 "${session_steps[@]}"
assert_eq "220-$(stars 'mx.upstream.test ESMTP Postfix (Debian/GNU)')
220-$(stars 'No UCE, no relaying: policy at http://upstream.test/')
220 $(stars 'mx.upstream.test ready')" "$(greeting mask-multi)" \
    "masked multi-line greeting"
assert_no_grep "$WORK/mask-multi.out" 'S: 220.*(upstream|Postfix)' \
    "client transcript"

check "2: a message goes through with the banner masked"
swaks_run swaks-mask --from sender@example.com --to rcpt@example.net \
    --header 'Subject: masked banner'
assert_grep "$WORK/swaks-mask.out" '^<- +220 \*+$' "swaks transcript"
assert_grep "$WORK/swaks-mask.out" '^<- +250 2\.0\.0 Ok: queued' \
    "swaks transcript (delivered)"
wait_until 10 test -s "$WORK/greeter/delivered" ||
    fail "message not delivered at the upstream"
ok "message delivered"

# ---------------------------------------------------------------------
check "3: mode replace with text"
start_proxy "$relay_greeter
banner { mode = \"replace\" text = \"mx.example.test ESMTP\" }"
client replace-multi --timeout 15 "${session_steps[@]}"
assert_eq "220 mx.example.test ESMTP" "$(greeting replace-multi)" \
    "replaced greeting"
assert_no_grep "$WORK/replace-multi.out" 'S: 220.*(upstream|Postfix)' \
    "client transcript"

check "3: mode replace without text: <hostname> ESMTP"
start_proxy "$relay_rec
banner { mode = \"replace\" }"
client replace-default --timeout 15 "${session_steps[@]}"
assert_eq "220 proxy.test ESMTP" "$(greeting replace-default)" \
    "replaced greeting (default text)"

# ---------------------------------------------------------------------
check "4: ehlo = true: the proxy's hostname on the first EHLO line"
start_proxy "$relay_greeter
banner { mode = \"replace\" text = \"mx.example.test ESMTP\" ehlo = true }"
client ehlo-greeter --timeout 15 "${session_steps[@]}"
assert_grep "$WORK/ehlo-greeter.out" 'S: 250-proxy\.test( |$)' \
    "EHLO reply first line"
assert_no_grep "$WORK/ehlo-greeter.out" 'S: 250.*mx\.upstream\.test' \
    "EHLO reply (upstream's name gone)"
for kw in PIPELINING 8BITMIME; do
	assert_grep "$WORK/ehlo-greeter.out" "S: 250-$kw\$" "EHLO reply"
done
assert_grep "$WORK/ehlo-greeter.out" 'S: 250 ENHANCEDSTATUSCODES$' "EHLO reply"

start_proxy "$relay_rec
banner { mode = \"mask\" ehlo = true }"
client ehlo-rec --timeout 15 "${session_steps[@]}"
assert_grep "$WORK/ehlo-rec.out" 'S: 250-proxy\.test$' "EHLO reply first line"
assert_no_grep "$WORK/ehlo-rec.out" 'S: 250.recorder' \
    "EHLO reply (upstream's name gone)"
assert_eq "220 $(stars 'recorder.upstream.test ESMTP')" \
    "$(greeting ehlo-rec)" "masked greeting"

# ---------------------------------------------------------------------
check "5: banner { enabled = false }: the greeting and EHLO reply pass"
start_proxy "$relay_greeter
banner { enabled = false mode = \"mask\" ehlo = true }"
client disabled --timeout 15 "${session_steps[@]}"
assert_eq "220-mx.upstream.test ESMTP Postfix (Debian/GNU)
220-No UCE, no relaying: policy at http://upstream.test/
220 mx.upstream.test ready" "$(greeting disabled)" "greeting"
assert_grep "$WORK/disabled.out" 'S: 250-mx\.upstream\.test Hello client\.test$' \
    "EHLO reply (host name kept)"
pass
