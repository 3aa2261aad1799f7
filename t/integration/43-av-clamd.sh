#!/bin/bash
# 43-av-clamd (SPEC §4.6): the clamd back end, against a real clamd
# started by the test (its own clamd.conf: a unix socket and a TCP port
# on 127.0.0.1, the signatures of avfixtures.py, StreamMaxLength 2M),
# the proxy relaying to recorder.py:
#  1. clamd = { unix socket }: EICAR attached, and inside a zip, are
#     answered "554 5.7.1 Virus found: NAME" and not delivered, a clean
#     message is delivered; clamd's log shows it found them;
#  2. clamd = { "127.0.0.1:PORT" }: the same over TCP, the .hdb file too;
#  3. clamd = { dead unix socket, dead TCP port, the live one }: the dead
#     servers are logged and skipped, the live one answers;
#  4. a 3 MB message, over clamd's StreamMaxLength: clamd refuses the
#     stream, so on_error applies: the default answers "451 4.3.0" and
#     delivers nothing, "reject" answers "554 5.7.1", "pass" delivers it
#     with alarm smtp:252 logged;
#  5. clamd stopped: every message gets "451 4.3.0" (on_error's default
#     tempfail), nothing is delivered, and the session goes on.
# Skipped (77) without /usr/sbin/clamd (Debian package clamav-daemon).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

CLAMD=${CLAMD:-/usr/sbin/clamd}
[ -x "$CLAMD" ] || skip "$CLAMD not found (Debian package clamav-daemon)"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" "$FX" || fail "avfixtures.py failed"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" --big 3000000 "$FX/big.eml" ||
    fail "avfixtures.py --big failed"
mkdir -p "$WORK/clamd"
mkdir -m 700 "$WORK/spool"
EICAR_RE='Eicar-Test-Signature(\.UNOFFICIAL)?'
HDB_RE='Test-File-Signature(\.UNOFFICIAL)?'

STEPS=()
# ---------------------------------------------------------------------
# clamd, a child of the test: stopped by the EXIT trap.
free_port CLAMD_PORT
check "starting clamd (unix socket and 127.0.0.1:$CLAMD_PORT)"
start_clamd "$FX/db" "TCPSocket $CLAMD_PORT" "TCPAddr 127.0.0.1" \
    "StreamMaxLength 2M"
wait_until 60 clamd_ping "127.0.0.1:$CLAMD_PORT" ||
    fail "clamd did not answer PING on 127.0.0.1:$CLAMD_PORT within 60s"
ok "clamd answers on $CLAMD_SOCK and 127.0.0.1:$CLAMD_PORT"

start_recorder
free_port PROXY_PORT

# proxy_with CLAMD-LIST [MORE ANTIVIRUS LINES]: a proxy with the clamd
# back end.
proxy_with() {
	start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
antivirus {
	enabled = true
	backend = \"clamd\"
	clamd = { $1 }
	${2:-}
}"
}

# infected_and_clean NAME: EICAR attached, EICAR in a zip, the .hdb file
# refused; a clean message delivered once.
infected_and_clean() {
	local name=$1 msgs
	msgs=$(rec_msgs)
	STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
	txn "b64-$name@example.com" "$FX/eicar-b64.wire" \
	    "^554 5\\.7\\.1 Virus found: $EICAR_RE\$"
	txn "zip-$name@example.com" "$FX/eicar-zip.wire" \
	    "^554 5\\.7\\.1 Virus found: $EICAR_RE\$"
	txn "hdb-$name@example.com" "$FX/hdb-file.wire" \
	    "^554 5\\.7\\.1 Virus found: $HDB_RE\$"
	txn "clean-$name@example.com" "$FX/clean.wire" \
	    '^250 2\.0\.0 Ok: queued as [0-9]+$'
	STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
	client "$name" --timeout 30 "${STEPS[@]}"
	check_proxy_alive
	wait_until 10 rec_has $((msgs + 1)) || fail "$name: clean message not delivered"
	sleep 0.3
	assert_eq $((msgs + 1)) "$(rec_msgs)" "$name: messages at the upstream"
	assert_files_equal "$FX/clean.eml" "$REC_DIR/msg-$((msgs + 1)).eml" \
	    "$name: the clean message"
	assert_no_grep "$REC_DIR/events" "from=<(b64|zip|hdb)-$name@" \
	    "$name: upstream events"
	wait_until 10 log_at_least 3 'event=antivirus virus=' ||
	    fail "$name: not three event=antivirus lines"
	wait_log "event=message from=<zip-$name@example\\.com> .*verdict=reject reply=\"554 5\\.7\\.1 Virus found: $EICAR_RE\""
}

# ---------------------------------------------------------------------
check "1: clamd over its unix socket"
proxy_with "\"$CLAMD_SOCK\""
infected_and_clean unix
wait_until 10 grep -Eq "$EICAR_RE FOUND" "$WORK/clamd/clamd.log" ||
    fail "clamd's log has no FOUND line"
ok "clamd's log: $(grep -Ec "$EICAR_RE FOUND" "$WORK/clamd/clamd.log") EICAR FOUND lines"
assert_no_grep "$PROXY_LOG" 'clamd server=' "proxy log (no failed server)"

check "2: clamd over TCP"
found=$(grep -Ec 'FOUND' "$WORK/clamd/clamd.log")
proxy_with "\"127.0.0.1:$CLAMD_PORT\""
infected_and_clean tcp
wait_until 10 test "$(grep -Ec 'FOUND' "$WORK/clamd/clamd.log")" -ge $((found + 3)) ||
    fail "clamd did not log three more FOUND lines"
ok "clamd logged the three finds"
assert_no_grep "$PROXY_LOG" 'clamd server=' "proxy log (no failed server)"

check "3: dead servers first: skipped, the live one answers"
"$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.close()' "$WORK/dead.sock" || fail "cannot make the dead socket"
free_port DEAD_PORT
proxy_with "\"$WORK/dead.sock\", \"127.0.0.1:$DEAD_PORT\", \"$CLAMD_SOCK\""
infected_and_clean failover
wait_log "clamd server=\"$WORK/dead\\.sock\" error="
wait_log "clamd server=\"127\\.0\\.0\\.1:$DEAD_PORT\" error="
assert_no_grep "$PROXY_LOG" "clamd server=\"$CLAMD_SOCK\"" "proxy log (live server)"
assert_no_grep "$PROXY_LOG" 'alarm=smtp:252' "proxy log"

# ---------------------------------------------------------------------
# over_stream_max TAG ON_ERROR-LINE REPLY-REGEX DELIVERED(0|1)
over_stream_max() {
	local tag=$1 line=$2 want=$3 delivered=$4 msgs
	check "4: a 3 MB message over StreamMaxLength 2M, ${line:-default on_error}"
	proxy_with "\"$CLAMD_SOCK\"" "$line"
	msgs=$(rec_msgs)
	STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
	txn "big-$tag@example.com" "$FX/big.eml.wire" "$want"
	txn "after-$tag@example.com" "$FX/clean.wire" \
	    '^250 2\.0\.0 Ok: queued as [0-9]+$'
	STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
	client "big-$tag" --timeout 40 "${STEPS[@]}"
	check_proxy_alive
	wait_until 10 rec_has $((msgs + 1 + delivered)) ||
	    fail "$tag: messages not delivered"
	sleep 0.3
	assert_eq $((msgs + 1 + delivered)) "$(rec_msgs)" \
	    "$tag: messages at the upstream"
	if [ "$delivered" = 1 ]; then
		assert_files_equal "$FX/big.eml" "$REC_DIR/msg-$((msgs + 1)).eml" \
		    "$tag: the big message"
		wait_log 'alarm=smtp:252 name=unscanned action=log .*clamd'
	else
		assert_no_grep "$REC_DIR/events" "from=<big-$tag@" \
		    "$tag: upstream events"
		assert_no_grep "$PROXY_LOG" 'alarm=smtp:252' "proxy log"
		wait_log 'event=antivirus .*clamd'
	fi
	# clamd's own answer, in the proxy's log.
	wait_log 'clamd: INSTREAM size limit exceeded'
}
over_stream_max default '' '^451 4\.3\.0 ' 0
over_stream_max reject 'on_error = "reject"' '^554 5\.7\.1 ' 0
over_stream_max pass 'on_error = "pass"' '^250 2\.0\.0 Ok: queued as [0-9]+$' 1

# ---------------------------------------------------------------------
check "5: clamd stopped: 451 4.3.0 (tempfail), nothing delivered"
proxy_with "\"$CLAMD_SOCK\", \"127.0.0.1:$CLAMD_PORT\""
stop_bg "$CLAMD_PID"
clamd_gone() { ! is_listening "$CLAMD_PORT" && ! clamd_ping "$CLAMD_SOCK"; }
wait_until 10 clamd_gone || fail "clamd still answers after SIGTERM"
ok "clamd stopped"
msgs=$(rec_msgs)
STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
txn down-eicar@example.com "$FX/eicar-b64.wire" '^451 4\.3\.0 '
txn down-clean@example.com "$FX/clean.wire" '^451 4\.3\.0 '
STEPS+=('send:NOOP\r\n' 'expect:^250 ' 'send:QUIT\r\n' 'expect:^221 ' 'eof')
client down --timeout 30 "${STEPS[@]}"
check_proxy_alive
sleep 0.3
assert_eq "$msgs" "$(rec_msgs)" "messages at the upstream"
assert_no_grep "$REC_DIR/events" 'from=<down-' "upstream events"
wait_log "clamd server=\"$CLAMD_SOCK\" error="
wait_log "clamd server=\"127\\.0\\.0\\.1:$CLAMD_PORT\" error="
wait_until 10 log_at_least 2 'event=message from=<down-.*reply="451 4\.3\.0 ' ||
    fail "not two 451 event=message lines"
ok "two messages answered 451 4.3.0"
pass
