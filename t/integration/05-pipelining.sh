#!/bin/bash
# 05-pipelining (RFC 2920):
#  1. a pipelined group MAIL, RCPT (overlong), RCPT, empty line, DATA in
#     one packet: the proxy refuses the overlong line (500 5.5.2 smtp:217)
#     and the empty line (500 5.5.2 smtp:219) itself, the upstream answers
#     the rest, and the client gets the five replies in command order;
#  2. unauthorised pipelining: "DATA" and the body in one packet, before
#     the 354: 554 5.5.0 (smtp:251) to DATA, nothing delivered;
#  3. the same with alarm "smtp:251" { action = "log" }: delivered.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder
free_port PROXY_PORT
conf="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""
start_proxy "$conf"

long=$(printf 'x%.0s' $(seq 1 700))
check "1: a pipelined group with local refusals in the middle"
client group --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect-line:^250[- ]PIPELINING$' \
    "send:MAIL FROM:<sender@example.com>\\r\\nRCPT TO:<$long@example.net>\\r\\nRCPT TO:<rcpt@example.net>\\r\\n\\r\\nDATA\\r\\n" \
    'expect:^250 ' \
    'expect:^500 5\.5\.2 .*\(smtp:217\)' \
    'expect:^250 ' \
    'expect:^500 5\.5\.2 .*\(smtp:219\)' \
    'expect:^354 ' \
    'send:Subject: pipelined\r\n\r\nbody\r\n.\r\n' \
    'expect:^250 2\.0\.0 Ok: queued as 1$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_closed 1 || fail "upstream connection not closed"
assert_eq 1 "$(rec_msgs)" "messages at the upstream"
assert_grep "$REC_DIR/events" '^msg=1 conn=1 from=<sender@example\.com> rcpts=<rcpt@example\.net> ' \
    "upstream events"
raw_has 'RCPT TO:<rcpt@example.net>\r\nDATA\r\n' "$REC_DIR/conn-1.raw" ||
    fail "upstream did not get RCPT then DATA"
if raw_has 'xxxxxxxxxx' "$REC_DIR/conn-1.raw" ||
    raw_has '\r\n\r\nDATA' "$REC_DIR/conn-1.raw"; then
	fail "a refused line reached the upstream"
fi
ok "refused lines stayed at the proxy"
wait_log 'alarm=smtp:217 name=protocol-overflow action=block'
wait_log 'alarm=smtp:219 name=empty-line action=block'

check "2: DATA and the body in one packet, before the 354 (block)"
client unauthorised --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\nSubject: too early\r\n\r\nbody\r\n.\r\n' \
    'expect:^554 5\.5\.0 .*\(smtp:251\)' \
    'sleep:0.5' 'send:QUIT\r\n' 'drain'
assert_no_grep "$WORK/unauthorised.out" 'S: (354|250 2\.0\.0 Ok: queued)' \
    "client transcript"
assert_grep "$WORK/unauthorised.out" 'S: 221 ' "client transcript"
wait_until 10 rec_closed 2 || fail "upstream connection 2 not closed"
assert_eq 1 "$(rec_msgs)" "messages at the upstream (still only the first)"
if raw_has 'too early' "$REC_DIR"/conn-*.raw; then
	fail "the early body reached the upstream"
fi
ok "the early body stayed at the proxy"
wait_log 'alarm=smtp:251 name=pipelining-violation action=block'

check "3: the same with alarm smtp:251 set to log: delivered"
start_proxy "$conf
alarm \"smtp:251\" { action = \"log\" }"
client unauthorised-log --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\nSubject: too early\r\n\r\nbody\r\n.\r\n' \
    'expect:^354 ' 'expect:^250 2\.0\.0 Ok: queued as 2$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_has 2 || fail "message not delivered"
assert_grep "$REC_DIR/msg-2.eml" '^Subject: too early' "message 2"
wait_log 'alarm=smtp:251 name=pipelining-violation action=log'
assert_no_bare_crlf "$REC_DIR"/conn-*.raw
pass
