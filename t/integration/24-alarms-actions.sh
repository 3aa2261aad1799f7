#!/bin/bash
# 24-alarms-actions (SPEC §4.4): the protocol alarms of the command
# dialog under each action.
#  1. default actions (block): each of smtp:219 (empty line), smtp:217
#     (long line), smtp:241 (bare LF in a command), smtp:243 (RCPT before
#     MAIL, DATA before RCPT), smtp:248 (invalid path, path over
#     limits.address), smtp:244 (limits { recipients = 2 }: 452 4.5.3 to
#     the third RCPT), smtp:245 (SIZE= over limits.message_size) gets its
#     refusal naming the alarm, nothing of it reaches the upstream, and
#     the session goes on; the log has "alarm=smtp:NNN name=... action=block";
#  2. a body over limits.message_size: "552 5.3.4 ... (smtp:245)" at the
#     end of data, nothing delivered, and the next message of the same
#     session delivered once;
#  3. action = "log" (set by id, and by name): the same traffic passes
#     to the upstream, the log says action=log;
#  4. action = "close": "421 4.7.0" naming the alarm, then the close;
#     action = "pass": the traffic passes, the alarm is counted (SIGUSR1
#     counters) but not logged;
#  5. alarm "empty-line" { action = "log" }: the empty line reaches the
#     upstream, which answers it.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

LATE_FAIL=()		# failures reported once every check has run

start_recorder
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
limits { recipients = 2  message_size = 4K }"

long=$(printf 'L%.0s' $(seq 1 600))		# line of 600+ bytes
longaddr=$(printf 'a%.0s' $(seq 1 330))	# path over 320 bytes
# A body of about 8 KB (over message_size = 4K), terminator included.
"$PYTHON" - "$WORK/big-body.txt" <<'EOF'
import sys
lines = [b"Subject: too big", b""] + \
    [b"big body line %04d " % i + b"x" * 60 for i in range(100)]
open(sys.argv[1], "wb").write(b"\r\n".join(lines) + b"\r\n.\r\n")
EOF

# upstream_conn: the recorder's latest connection file.
upstream_conn() {
	printf '%s/conn-%d.raw' "$REC_DIR" "$(rec_conns)"
}

# ---------------------------------------------------------------------
check "1: block (default): each refusal names its alarm, the session goes on"
start_proxy "$base"
client block --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:\r\n' 'expect:^500 5\.5\.2 .*\(smtp:219\)$' \
    "send:NOOP $long\\r\\n" 'expect:^500 5\.5\.2 .*\(smtp:217\)$' \
    'send:NOOP bare\nLF\r\n' 'expect:^500 5\.5\.2 .*\(smtp:241\)$' \
    'send:RCPT TO:<early@example.net>\r\n' 'expect:^503 5\.5\.1 .*\(smtp:243\)$' \
    'send:NOOP\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<a b@c>\r\n' 'expect:^501 5\.1\.3 .*\(smtp:248\)$' \
    "send:MAIL FROM:<$longaddr@example.com>\\r\\n" \
    'expect:^501 5\.1\.3 .*\(smtp:248\)$' \
    'send:MAIL FROM:<sender@example.com> SIZE=5000\r\n' \
    'expect:^552 5\.3\.4 .*\(smtp:245\)$' \
    'send:MAIL FROM:<sender@example.com> SIZE=4000\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^503 5\.5\.1 .*\(smtp:243\)$' \
    'send:RCPT TO:<r1@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r2@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r3@example.net>\r\n' 'expect:^452 4\.5\.3 .*\(smtp:244\)$' \
    'send:RCPT TO:<r4@example.net>\r\n' 'expect:^452 4\.5\.3 .*\(smtp:244\)$' \
    'send:DATA\r\n' 'expect:^354 ' \
    'send:Subject: two recipients\r\n\r\nbody\r\n.\r\n' \
    'expect:^250 2\.0\.0 Ok: queued as 1$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_closed 1 || fail "upstream connection 1 not closed"
assert_grep "$REC_DIR/events" \
    '^msg=1 conn=1 from=<sender@example\.com> rcpts=<r1@example\.net>,<r2@example\.net> ' \
    "upstream events (two recipients)"
write_bytes "$WORK/expect-block.raw" 'EHLO client.test\r\nNOOP\r\nMAIL FROM:<sender@example.com> SIZE=4000\r\nRCPT TO:<r1@example.net>\r\nRCPT TO:<r2@example.net>\r\nDATA\r\nSubject: two recipients\r\n\r\nbody\r\n.\r\nQUIT\r\n'
assert_files_equal "$WORK/expect-block.raw" "$REC_DIR/conn-1.raw" \
    "bytes at the upstream (no refused command)"
for a in 'smtp:219 name=empty-line' 'smtp:217 name=protocol-overflow' \
    'smtp:241 name=bare-line-ending' 'smtp:243 name=out-of-sequence' \
    'smtp:248 name=address-invalid' 'smtp:245 name=message-too-large' \
    'smtp:244 name=too-many-recipients'; do
	wait_log "alarm=$a action=block"
done
assert_eq 2 "$(log_count 'alarm=smtp:243 name=out-of-sequence action=block')" \
    "smtp:243 lines"
assert_eq 2 "$(log_count 'alarm=smtp:248 name=address-invalid action=block')" \
    "smtp:248 lines"
assert_eq 2 "$(log_count 'alarm=smtp:244 name=too-many-recipients action=block')" \
    "smtp:244 lines"

# ---------------------------------------------------------------------
check "2: a body over message_size: 552 5.3.4 (smtp:245), nothing delivered"
msgs=$(rec_msgs)
client big-body --timeout 20 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<big@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "sendfile:$WORK/big-body.txt" \
    'expect:^552 5\.3\.4 .*\(smtp:245\)$' \
    'send:MAIL FROM:<small@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    'send:Subject: small\r\n\r\nsmall body\r\n.\r\n' \
    'expect:^250 2\.0\.0 Ok: queued as [0-9]+$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_has $((msgs + 1)) || fail "the small message was not delivered"
sleep 0.3
assert_eq $((msgs + 1)) "$(rec_msgs)" "messages at the upstream"
last=$REC_DIR/msg-$((msgs + 1)).eml
assert_grep "$last" '^Subject: small' "the delivered message"
assert_eq 1 "$(grep -c 'from=<small@example\.com>' "$REC_DIR/events")" \
    "deliveries of the small message"
assert_no_grep "$REC_DIR/events" 'from=<big@example\.com>' "upstream events"
# The refused message's upstream connection was cut before the
# terminator; the next transaction went over a new one, opened with the
# client's EHLO replayed.
small_conn=$(sed -nE 's/^msg=[0-9]+ conn=([0-9]+) from=<small@example\.com>.*/\1/p' \
    "$REC_DIR/events")
wait_until 10 rec_closed "$small_conn" || fail "upstream connection not closed"
for f in "$REC_DIR"/conn-*.raw; do
	if raw_has 'big body line 0099' "$f" &&
	    "$PYTHON" -c 'import sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"big body line 0099")
sys.exit(0 if b"\r\n.\r\n" in d[i:] else 1)' "$f"; then
		fail "the refused body was terminated at the upstream ($f)"
	fi
done
ok "the refused body never got its terminator at the upstream"
raw_has 'EHLO client.test\r\nMAIL FROM:<small@example.com>\r\n' \
    "$REC_DIR/conn-$small_conn.raw" ||
    fail "the new upstream connection did not start with the replayed EHLO"
ok "the new upstream connection started with the replayed EHLO"
wait_log 'alarm=smtp:245 name=message-too-large action=block'
wait_log 'event=message from=<big@example\.com> .*verdict=reject'

# ---------------------------------------------------------------------
check "3: action = log, by id and by name: the traffic passes"
start_proxy "$base
alarm \"smtp:217\" { action = \"log\" }
alarm \"bare-line-ending\" { action = \"log\" }
alarm \"smtp:243\" { action = \"log\" }
alarm \"address-invalid\" { action = \"log\" }
alarm \"smtp:244\" { action = \"log\" }
alarm \"message-too-large\" { action = \"log\" }"
msgs=$(rec_msgs)
client log --timeout 20 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    "send:NOOP $long\\r\\n" 'expect:^250 2\.0\.0 Ok$' \
    'send:NOOP bare\nLF\r\n' 'expect:^250 2\.0\.0 Ok$' \
    'send:RCPT TO:<early@example.net>\r\n' 'expect:^250 ' \
    'send:RSET\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<a b@c>\r\n' 'expect:^250 ' \
    'send:RSET\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<sender@example.com> SIZE=5000\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r1@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r2@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r3@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "sendfile:$WORK/big-body.txt" \
    'expect:^250 2\.0\.0 Ok: queued as [0-9]+$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
assert_no_grep "$WORK/log.out" '\(smtp:[0-9]+\)' "client transcript"
wait_until 10 rec_has $((msgs + 1)) || fail "the big message was not delivered"
raw=$(upstream_conn)
wait_until 10 rec_closed "$(rec_conns)" || fail "upstream connection not closed"
for t in 'EHLO client.test\r\nNOOP L' 'NOOP bareLF\r\n' \
    'RCPT TO:<early@example.net>\r\n' 'MAIL FROM:<a b@c>\r\n' \
    'MAIL FROM:<sender@example.com> SIZE=5000\r\n' \
    'RCPT TO:<r3@example.net>\r\nDATA\r\n'; do
	raw_has "$t" "$raw" || fail "'$t' did not reach the upstream"
done
ok "every logged command reached the upstream"
assert_no_bare_crlf "$raw"
ok "the bare LF did not reach the upstream"
assert_grep "$REC_DIR/events" \
    "^msg=$((msgs + 1)) .*rcpts=<r1@example\\.net>,<r2@example\\.net>,<r3@example\\.net> " \
    "upstream events (three recipients)"
assert_grep "$REC_DIR/msg-$((msgs + 1)).eml" '^big body line 0099 ' \
    "the big message, whole"
for a in 'smtp:217 name=protocol-overflow' \
    'smtp:241 name=bare-line-ending' 'smtp:243 name=out-of-sequence' \
    'smtp:248 name=address-invalid' 'smtp:245 name=message-too-large' \
    'smtp:244 name=too-many-recipients'; do
	wait_log "alarm=$a action=log"
done
assert_no_grep "$PROXY_LOG" 'action=block' "proxy log"

# ---------------------------------------------------------------------
check "4: action = close: 421 4.7.0 and the close"
start_proxy "$base
alarm \"smtp:243\" { action = \"close\" }
alarm \"empty-line\" { action = \"close\" }
alarm \"smtp:244\" { action = \"close\" }"
conns=$(rec_conns)
client close-243 --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:RCPT TO:<early@example.net>\r\n' 'expect:^421 4\.7\.0( |$)' 'eof'
client close-219 --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:\r\n' 'expect:^421 4\.7\.0( |$)' 'eof'
client close-244 --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r1@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r2@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r3@example.net>\r\n' 'expect:^421 4\.7\.0( |$)' 'eof'
# SPEC §4.4: "The reply always names the alarm id". Checked at the end,
# so that the rest of the test still runs when this one fails.
for n in 243 219 244; do
	grep -Eq "S: 421 4\\.7\\.0 .*smtp:$n" "$WORK/close-$n.out" ||
	    LATE_FAIL+=("the 421 of close-$n does not name smtp:$n")
done
wait_log 'alarm=smtp:243 name=out-of-sequence action=close'
wait_log 'alarm=smtp:219 name=empty-line action=close'
wait_log 'alarm=smtp:244 name=too-many-recipients action=close'
wait_until 10 rec_closed "$(rec_conns)" || fail "upstream connections not closed"
for ((n = conns + 1; n <= $(rec_conns); n++)); do
	if raw_has 'RCPT TO:<early@example.net>' "$REC_DIR/conn-$n.raw" ||
	    raw_has 'r3@example.net' "$REC_DIR/conn-$n.raw" ||
	    raw_has '\r\n\r\n' "$REC_DIR/conn-$n.raw"; then
		fail "a command refused with close reached the upstream"
	fi
done
ok "no command refused with close reached the upstream"

# ---------------------------------------------------------------------
check "4b: action = pass: the traffic passes, counted, not logged"
start_proxy "$base
alarm \"out-of-sequence\" { action = \"pass\" }
alarm \"smtp:244\" { action = \"pass\" }"
conns=$(rec_conns)
client pass --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:RCPT TO:<early@example.net>\r\n' 'expect:^250 2\.1\.5 Ok$' \
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r1@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r2@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r3@example.net>\r\n' 'expect:^250 2\.1\.5 Ok$' \
    'send:RSET\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_closed $((conns + 1)) || fail "upstream connection not closed"
for t in 'EHLO client.test\r\nRCPT TO:<early@example.net>\r\n' \
    'RCPT TO:<r3@example.net>\r\nRSET\r\n'; do
	raw_has "$t" "$REC_DIR/conn-$((conns + 1)).raw" ||
	    fail "'$t' did not reach the upstream"
done
ok "the passed commands reached the upstream"
wait_log 'event=close .*reason='
assert_no_grep "$PROXY_LOG" 'alarm=' "proxy log"
# SIGUSR1 logs the counters: the two alarms are counted. (PROXY_PID is
# the timeout(1) wrapper; the proxy is its child.)
kill -USR1 "$(pgrep -P "$PROXY_PID")" || fail "cannot signal the proxy"
wait_log 'event=counters .*alarms=2( |$)'

for m in "${LATE_FAIL[@]}"; do note "FAILED (reported at the end): $m"; done

# ---------------------------------------------------------------------
check "5: alarm \"empty-line\" (by name) { action = \"log\" }: the empty line passes"
start_proxy "$base
alarm \"empty-line\" { action = \"log\" }"
conns=$(rec_conns)
client log-empty --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:\r\n' 'expect:^500 5\.5\.2 Error: bad syntax$' \
    'send:NOOP\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_closed $((conns + 1)) || fail "upstream connection not closed"
raw_has 'EHLO client.test\r\n\r\nNOOP\r\n' "$REC_DIR/conn-$((conns + 1)).raw" ||
    fail "the empty line did not reach the upstream"
ok "the empty line reached the upstream"
wait_log 'alarm=smtp:219 name=empty-line action=log'
assert_no_grep "$PROXY_LOG" 'action=block' "proxy log"
[ "${#LATE_FAIL[@]}" -eq 0 ] || fail "$(printf '%s; ' "${LATE_FAIL[@]}")"
pass
