#!/bin/bash
# 04-split-packets: lines are reassembled across reads. A whole session is
# sent one byte per write (TCP_NODELAY, like telnet), then a second message
# whose CRLF.CRLF terminator is cut into pieces sent apart. Each message
# is delivered exactly once, as sent.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

body1='Subject: one byte a packet\r\n\r\nhello\r\n..dot\r\n'
body2='Subject: split terminator\r\n\r\nsecond\r\n'

check "a session typed one byte at a time, then a split terminator"
client typed --timeout 20 --byte-delay 0.003 \
    'expect:^220 ' \
    'slow:EHLO client.test\r\n' 'expect:^250 ' \
    'slow:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
    'slow:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'slow:DATA\r\n' 'expect:^354 ' \
    "slow:${body1}.\\r\\n" 'expect:^250 2\.0\.0 Ok: queued as 1$' \
    'send:MAIL FROM:<sender@example.com>\r' 'sleep:0.3' \
    'send:\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "send:${body2%\\r\\n}" 'sleep:0.3' \
    'send:\r' 'silence:0.3' 'send:\n' 'silence:0.3' \
    'send:.' 'silence:0.3' 'send:\r' 'silence:0.3' \
    'send:\n' 'expect:^250 2\.0\.0 Ok: queued as 2$' \
    'slow:QUIT\r\n' 'expect:^221 ' 'eof'

check "both messages delivered once, as sent"
wait_until 10 rec_closed 1 || fail "upstream connection not closed"
assert_eq 2 "$(rec_msgs)" "messages at the upstream"
write_bytes "$WORK/expect-1.eml" 'Subject: one byte a packet\r\n\r\nhello\r\n.dot\r\n'
write_bytes "$WORK/expect-2.eml" "$body2"
assert_files_equal "$WORK/expect-1.eml" "$REC_DIR/msg-1.eml" "message 1"
assert_files_equal "$WORK/expect-2.eml" "$REC_DIR/msg-2.eml" "message 2"
assert_no_bare_crlf "$REC_DIR"/conn-*.raw
ok "no bare CR or LF at the upstream"
write_bytes "$WORK/expect.raw" "EHLO client.test\\r\\nMAIL FROM:<sender@example.com>\\r\\nRCPT TO:<rcpt@example.net>\\r\\nDATA\\r\\n${body1}.\\r\\nMAIL FROM:<sender@example.com>\\r\\nRCPT TO:<rcpt@example.net>\\r\\nDATA\\r\\n${body2}.\\r\\nQUIT\\r\\n"
assert_files_equal "$WORK/expect.raw" "$REC_DIR/conn-1.raw" "bytes at the upstream"

wait_log 'event=close .*messages=2'
assert_eq 2 "$(log_count 'event=message .*verdict=accept')" "accepted messages in the log"
pass
