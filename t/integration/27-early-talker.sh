#!/bin/bash
# 27-early-talker (SPEC §4.4, smtp:242): a client that sends before the
# greeting. The upstream greets 0.5s late (the recorder delays every
# reply), so the client's first lines are surely early.
#  1. default action (log): the log has "alarm=smtp:242
#     name=early-talker action=log", the client gets the greeting first,
#     then the replies to its early commands, and the session delivers;
#  2. action = "block": each early line is answered "554 5.5.1 ...
#     (smtp:242)" after the greeting, never reaches the upstream, and the
#     session goes on and delivers;
#  3. action = "close": "421 4.7.0" naming smtp:242 and the close; the
#     upstream gets nothing from the client.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder --delay-reply 0.5
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

# The rest of a session after EHLO: one message, then QUIT.
message=('send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 '
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 '
    'send:DATA\r\n' 'expect:^354 '
    'send:Subject: after the greeting\r\n\r\nbody\r\n.\r\n'
    'expect:^250 2\.0\.0 Ok: queued as [0-9]+$'
    'send:QUIT\r\n' 'expect:^221 ' 'eof')

# ---------------------------------------------------------------------
check "1: default action (log): the early EHLO is served after the greeting"
start_proxy "$base"
client early-log --timeout 15 \
    'send:EHLO early.test\r\n' \
    'expect:^220 recorder ESMTP$' \
    'expect:^250 ENHANCEDSTATUSCODES$' \
    "${message[@]}"
wait_until 10 rec_closed 1 || fail "upstream connection 1 not closed"
raw_has 'EHLO early.test\r\nMAIL FROM:' "$REC_DIR/conn-1.raw" ||
    fail "the early EHLO did not reach the upstream"
ok "the early EHLO reached the upstream"
assert_eq 1 "$(rec_msgs)" "messages at the upstream"
wait_log 'alarm=smtp:242 name=early-talker action=log'
wait_log 'event=close .*helo=early\.test .*messages=1'

# ---------------------------------------------------------------------
check "2: action = block: 554 5.5.1 (smtp:242) to each early line"
start_proxy "$base
alarm \"smtp:242\" { action = \"block\" }"
client early-block --timeout 15 \
    'send:EHLO early.test\r\nNOOP early\r\n' \
    'expect:^220 recorder ESMTP$' \
    'expect:^554 5\.5\.1 .*\(smtp:242\)$' \
    'expect:^554 5\.5\.1 .*\(smtp:242\)$' \
    'send:EHLO client.test\r\n' 'expect:^250 ENHANCEDSTATUSCODES$' \
    "${message[@]}"
wait_until 10 rec_closed 2 || fail "upstream connection 2 not closed"
if raw_has 'early.test' "$REC_DIR/conn-2.raw" ||
    raw_has 'NOOP early' "$REC_DIR/conn-2.raw"; then
	fail "an early line reached the upstream"
fi
raw_has 'EHLO client.test\r\nMAIL FROM:' "$REC_DIR/conn-2.raw" ||
    fail "the session did not go on at the upstream"
ok "the early lines stayed at the proxy, the session went on"
assert_eq 2 "$(rec_msgs)" "messages at the upstream"
wait_log 'alarm=smtp:242 name=early-talker action=block'
wait_log 'event=close .*helo=client\.test .*messages=1'

check "2: an early line split over packets is one early line"
client early-split --timeout 15 \
    'send:EH' 'sleep:0.1' 'send:LO early.test\r\n' \
    'expect:^220 recorder ESMTP$' \
    'expect:^554 5\.5\.1 .*\(smtp:242\)$' \
    'send:NOOP\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'

# ---------------------------------------------------------------------
check "3: action = close: 421 4.7.0 and the close"
start_proxy "$base
alarm \"early-talker\" { action = \"close\" }"
conns=$(rec_conns)
client early-close --timeout 15 \
    'send:EHLO early.test\r\n' \
    'drain'
assert_grep "$WORK/early-close.out" 'S: 421 4\.7\.0( |$)' "client transcript"
assert_no_grep "$WORK/early-close.out" 'S: 250' "client transcript"
wait_log 'alarm=smtp:242 name=early-talker action=close'
for ((n = conns + 1; n <= $(rec_conns); n++)); do
	wait_until 10 rec_closed "$n" || fail "upstream connection $n not closed"
	if raw_has 'early.test' "$REC_DIR/conn-$n.raw"; then
		fail "the early line reached the upstream"
	fi
done
ok "the early line stayed at the proxy"
# SPEC §4.4: "The reply always names the alarm id."
assert_grep "$WORK/early-close.out" 'S: 421 4\.7\.0 .*smtp:242' \
    "the 421 names the alarm"
pass
