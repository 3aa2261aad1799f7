#!/bin/bash
# 02-recorder-bytes: the exact bytes the upstream receives. EHLO is passed
# (its reply filtered to the extensions the proxy follows), commands are
# forwarded as the client sent them, every line ends with CRLF, and the
# body carries the proxy's own dot-stuffing (RFC 5321 4.5.2: a client line
# ".x" means "x", a line "." inside the body travels as "..").
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder --ehlo-ext CHUNKING --ehlo-ext "XCLIENT NAME ADDR" \
    --ehlo-ext BINARYMIME
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

# Body as the client puts it on the wire (dot-stuffed by the client,
# except ".unstuffed", which a receiver reads as "unstuffed").
body_client='Subject: exact bytes\r\nX-Test: 02\r\n\r\nline one\r\n..leading dot\r\n..\r\n...\r\n.unstuffed\r\ntab\there\r\n8bit caf\xc3\xa9\r\nend dot.\r\n\r\nlast\r\n'
# The message itself, and the body as the proxy must send it.
content='Subject: exact bytes\r\nX-Test: 02\r\n\r\nline one\r\n.leading dot\r\n.\r\n..\r\nunstuffed\r\ntab\there\r\n8bit caf\xc3\xa9\r\nend dot.\r\n\r\nlast\r\n'
body_up='Subject: exact bytes\r\nX-Test: 02\r\n\r\nline one\r\n..leading dot\r\n..\r\n...\r\nunstuffed\r\ntab\there\r\n8bit caf\xc3\xa9\r\nend dot.\r\n\r\nlast\r\n'
cmds_up='EHLO client.test\r\nMAIL FROM:<sender@example.com> SIZE=300 BODY=8BITMIME\r\nRCPT TO:<rcpt1@example.net>\r\nRCPT TO:<rcpt2@example.net>\r\nDATA\r\n'

check "one session through the proxy"
client session --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<sender@example.com> SIZE=300 BODY=8BITMIME\r\n' \
    'expect:^250 ' \
    'send:RCPT TO:<rcpt1@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt2@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "send:${body_client}.\\r\\n" \
    'expect:^250 2\.0\.0 Ok: queued as 1$' \
    'send:RSET\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'

check "the upstream got exactly these bytes"
wait_until 10 rec_closed 1 || fail "upstream connection 1 not closed"
write_bytes "$WORK/expect-head.raw" "${cmds_up}${body_up}.\\r\\n"
head -c "$(wc -c <"$WORK/expect-head.raw")" "$REC_DIR/conn-1.raw" \
    >"$WORK/got-head.raw"
assert_files_equal "$WORK/expect-head.raw" "$WORK/got-head.raw" \
    "EHLO, commands and body at the upstream"
tail -c +"$(($(wc -c <"$WORK/expect-head.raw") + 1))" "$REC_DIR/conn-1.raw" \
    >"$WORK/got-tail.raw"
write_bytes "$WORK/expect-tail.raw" 'RSET\r\nQUIT\r\n'
assert_files_equal "$WORK/expect-tail.raw" "$WORK/got-tail.raw" \
    "RSET and QUIT at the upstream"
assert_no_bare_crlf "$REC_DIR"/conn-*.raw
ok "no bare CR or LF at the upstream"
assert_eq 1 "$(rec_conns)" "upstream connections"

check "the upstream stored the message as sent"
assert_eq 1 "$(rec_msgs)" "messages at the upstream"
write_bytes "$WORK/expect.eml" "$content"
assert_files_equal "$WORK/expect.eml" "$REC_DIR/msg-1.eml" "message content"
assert_grep "$REC_DIR/events" \
    '^msg=1 conn=1 from=<sender@example\.com> rcpts=<rcpt1@example\.net>,<rcpt2@example\.net> ' \
    "upstream events"

check "the proxy logged the message"
wait_log 'event=message .*from=<sender@example\.com> .*rcpts=2 .*verdict=accept .*reply="250 2\.0\.0 Ok: queued as 1"'
wait_log 'event=close .*messages=1'

check "the EHLO reply reached the client, filtered"
for ext in PIPELINING 'SIZE 10240000' 8BITMIME ENHANCEDSTATUSCODES; do
	assert_grep "$WORK/session.out" "S: 250[- ]$ext\$" "EHLO reply"
done
assert_no_grep "$WORK/session.out" 'S: 250[- ](CHUNKING|BINARYMIME|XCLIENT)' \
    "EHLO reply"
pass
