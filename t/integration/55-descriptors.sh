#!/bin/bash
# 55-descriptors (SPEC §4.5, §5): a message is spooled into one file
# (parts as regions of it), so the number of parts does not cost
# descriptors. The proxy runs under "ulimit -n 256":
#  1. 1000 base64 parts of 7 KB (7 MB, over the 4 MB kept in memory):
#     accepted and delivered byte for byte (before: 451, out of
#     descriptors);
#  2. the same with a PE in the last part: refused, the part named;
#  3. while such a message is being typed, the proxy holds no more
#     descriptors than it did idle plus a handful.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
mkdir -p "$FX"
mkdir -m 700 "$WORK/spool"
"$PYTHON" - "$FX" "$INTEGRATION_DIR" <<'PY' || fail "building the messages"
import base64, sys
sys.path.insert(0, sys.argv[2])
import mkfixtures
d = sys.argv[1]
CRLF = b"\r\n"
data = (b"0123456789abcdef\n" * 500)[:7 * 1024]
def msg(exe):
    h = mkfixtures.header(b"parts 1000 parts", [
        b'Content-Type: multipart/mixed; boundary="BB"']) + [b""]
    for i in range(1000):
        body = mkfixtures.pe32() if exe and i == 999 else data
        h += [b"--BB", b"Content-Type: application/octet-stream",
              b"Content-Transfer-Encoding: base64",
              b'Content-Disposition: attachment; filename="part%04d.dat"' % i,
              b""] + mkfixtures.b64lines(body)
    h += [b"--BB--", b""]
    return CRLF.join(h)
for name, exe in (("parts", False), ("parts-exe", True)):
    m = msg(exe)
    open("%s/%s.eml" % (d, name), "wb").write(m)
    open("%s/%s.wire" % (d, name), "wb").write(mkfixtures.wire(m))
PY

start_recorder
free_port PROXY_PORT
ulimit -n 256 || skip "cannot lower the descriptor limit"
note "descriptor limit: $(ulimit -n)"
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
limits { mime_parts = 1000 }
filetypes {
	enabled = true
	block_types = { \"executable\" }
}"
# start_proxy's PID is timeout(1)'s; the proxy is its child.
PROC=$(pgrep -P "$PROXY_PID" smtpproxy | head -n 1)
[ -n "$PROC" ] || PROC=$PROXY_PID
IDLE=$(ls "/proc/$PROC/fd" | wc -l)
note "proxy descriptors when idle: $IDLE"

send() {
	client "$1" --timeout 60 \
	    'expect:^220 ' \
	    'send:EHLO client.test\r\n' 'expect:^250 ' \
	    "send:MAIL FROM:<$1@example.com>\\r\\n" 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "sendfile:$FX/$2.wire" "expect:$3" \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
}

# The most descriptors the proxy holds while $1 runs in the background.
PEAK=0
watch_fds() {
	local n
	while kill -0 "$1" 2>/dev/null; do
		n=$(ls "/proc/$PROC/fd" 2>/dev/null | wc -l)
		[ "$n" -gt "$PEAK" ] && PEAK=$n
		sleep 0.02
	done
}

check "1: 1000 parts under ulimit -n 256"
msgs=$(rec_msgs)
send parts parts '^250 ' &
cpid=$!
watch_fds "$cpid"
wait "$cpid" || fail "1000 parts: not accepted"
wait_until 20 rec_has $((msgs + 1)) || fail "1000 parts: not delivered"
assert_files_equal "$FX/parts.eml" "$REC_DIR/msg-$((msgs + 1)).eml" \
    "1000 parts delivered"
assert_no_grep "$PROXY_LOG" 'inspect-error|Too many open files' "proxy log"

check "2: the PE in the 1000th part"
send parts-exe parts-exe \
    '^554 5\.7\.1 Attachment "part0999\.dat" \(executable\) not allowed$'
sleep 0.2
assert_eq $((msgs + 1)) "$(rec_msgs)" "messages at the upstream"

check "3: descriptors"
note "proxy descriptors: idle $IDLE, peak while typing 1000 parts $PEAK"
[ "$PEAK" -le $((IDLE + 8)) ] ||
    fail "the proxy held $PEAK descriptors for one message (idle: $IDLE)"
ok "at most $PEAK descriptors (idle $IDLE)"
check_proxy_alive
pass
