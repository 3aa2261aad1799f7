#!/bin/bash
# 46-av-concurrency (SPEC §4.6, §3): verdicts computed on the worker
# threads come back to the right session. libclamav back end with
# threads = 2, the proxy relaying to recorder.py:
#  1. 12 sessions at once, each with three transactions in its own order
#     of infected (EICAR attached, in a zip, in a nested zip, the .hdb
#     file) and clean messages, all from distinct senders: every reply is
#     the right one, every clean message is delivered exactly once and
#     byte for byte, no infected one is;
#  2. a client that closes its connection right after the end of data of
#     an 8 MB message, while the scan is still running: the proxy goes on
#     (no crash, the session is logged closed), the message is not
#     delivered (the client never got a 250, so it will send it again:
#     delivering it would duplicate it, and its upstream connection never
#     gets the terminator), and the next sessions are served;
#  3. the same with the infected message: nothing delivered either.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" "$FX" || fail "avfixtures.py failed"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" --big 8000000 "$FX/big.eml" ||
    fail "avfixtures.py --big failed"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" --big-eicar 8000000 \
    "$FX/big-eicar.eml" || fail "avfixtures.py --big-eicar failed"
mkdir -m 700 "$WORK/spool"
EICAR_RE='Eicar-Test-Signature(\.UNOFFICIAL)?'
HDB_RE='Test-File-Signature(\.UNOFFICIAL)?'
OK_RE='^250 2\.0\.0 Ok: queued as [0-9]+$'

STEPS=()
start_recorder
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
antivirus {
	enabled = true
	database = \"$FX/db\"
	threads = 2
}"

# ---------------------------------------------------------------------
check "1: 12 sessions at once, infected and clean messages mixed"
# The kinds: message file and expected reply.
kinds=(clean eicar-b64 clean2 eicar-zip medium eicar-nested-zip hdb-file)
declare -A want=([clean]=$OK_RE [clean2]=$OK_RE [medium]=$OK_RE
    [eicar-b64]="^554 5\\.7\\.1 Virus found: $EICAR_RE\$"
    [eicar-zip]="^554 5\\.7\\.1 Virus found: $EICAR_RE\$"
    [eicar-nested-zip]="^554 5\\.7\\.1 Virus found: $EICAR_RE\$"
    [hdb-file]="^554 5\\.7\\.1 Virus found: $HDB_RE\$")
EXPECT_CLEAN=()
BGS=()
for i in $(seq 1 12); do
	STEPS=('expect:^220 ' "send:EHLO c$i.test\\r\\n" 'expect:^250 '
	    "touch:$WORK/ready-$i" "waitfile:$WORK/go")
	for j in 0 1 2; do
		k=${kinds[$(((i * 3 + j * (i % 4 + 1)) % ${#kinds[@]}))]}
		txn "s$i-t$j-$k@example.com" "$FX/$k.wire" "${want[$k]}"
		case $k in clean|clean2|medium) EXPECT_CLEAN+=("s$i-t$j-$k") ;; esac
	done
	STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
	client_bg "conc-$i" --timeout 30 "${STEPS[@]}"
	BGS+=("$BG_PID")
done
for i in $(seq 1 12); do
	wait_until 15 test -e "$WORK/ready-$i" || fail "session $i did not start"
done
touch "$WORK/go"
for i in $(seq 1 12); do
	client_wait "conc-$i" "${BGS[$((i - 1))]}"
done
check_proxy_alive
n=${#EXPECT_CLEAN[@]}
wait_until 15 rec_has "$n" || fail "not all $n clean messages delivered"
sleep 0.5
assert_eq "$n" "$(rec_msgs)" "messages at the upstream"
for f in "${EXPECT_CLEAN[@]}"; do
	[ "$(grep -c "from=<$f@example\\.com>" "$REC_DIR/events")" = 1 ] ||
	    fail "$f: not delivered exactly once"
	m=$(sed -nE "s/^msg=([0-9]+) .*from=<$f@example\\.com>.*/\\1/p" \
	    "$REC_DIR/events")
	cmp -s "$FX/${f##*-t[0-9]-}.eml" "$REC_DIR/msg-$m.eml" ||
	    fail "$f: delivered message differs from ${f##*-t[0-9]-}.eml"
done
ok "each of the $n clean messages delivered exactly once, byte for byte"
assert_no_grep "$REC_DIR/events" 'from=<s[0-9]+-t[0-9]-(eicar|hdb)' \
    "upstream events (no infected message)"
assert_no_bare_crlf "$REC_DIR"/conn-*.raw

# ---------------------------------------------------------------------
# vanish NAME WIREFILE: send the whole message, then close at once.
vanish() {
	local name=$1 wire=$2 msgs conns closes
	msgs=$(rec_msgs)
	conns=$(rec_conns)
	closes=$(log_count 'event=close .*helo=gone\.test ')
	client "$name" --timeout 30 'expect:^220 ' \
	    'send:EHLO gone.test\r\n' 'expect:^250 ' \
	    "send:MAIL FROM:<$name@example.com>\\r\\n" 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' "sendfile:$wire"
	# The client has closed, the scan is likely still running.
	wait_until 30 log_at_least $((closes + 1)) 'event=close .*helo=gone\.test ' ||
	    fail "$name: the session was not logged closed"
	ok "$name: the session is closed"
	wait_until 20 rec_closed $((conns + 1)) ||
	    fail "$name: the upstream connection was not closed"
	# Let a late verdict show, if it were to come.
	sleep 2
	check_proxy_alive
	assert_eq "$msgs" "$(rec_msgs)" "$name: messages at the upstream"
	"$PYTHON" - "$REC_DIR/conn-$((conns + 1)).raw" <<'EOF' ||
import sys
d = open(sys.argv[1], "rb").read()
j = d.find(b"\r\nDATA\r\n")
if j >= 0 and b"\r\n.\r\n" in d[j + 6:]:
    sys.exit("CRLF.CRLF after DATA")
EOF
	    fail "$name: the message got its terminator at the upstream"
	ok "$name: never terminated at the upstream"
	# The next session is served.
	STEPS=('expect:^220 ' 'send:EHLO next.test\r\n' 'expect:^250 ')
	txn "after-$name@example.com" "$FX/clean.wire" "$OK_RE"
	STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
	client "after-$name" --timeout 20 "${STEPS[@]}"
	wait_until 10 rec_has $((msgs + 1)) || fail "after-$name: not delivered"
}

check "2: the client vanishes during the scan of a clean 8 MB message"
vanish gone-clean "$FX/big.eml.wire"
check "3: the client vanishes during the scan of an infected 8 MB message"
vanish gone-infected "$FX/big-eicar.eml.wire"
pass
