#!/bin/bash
# 07-upstream-dies: the upstream closes its socket in the middle of a
# message body. The client gets "421 4.4.2" (never a 250), the connection
# is closed, and nothing is delivered.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder --die-after-data-bytes 1000
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

line=$(printf 'y%.0s' $(seq 1 76))
body='Subject: upstream dies\r\n\r\n'
for i in $(seq 1 60); do
	body="$body$i $line\\r\\n"
done

check "the upstream dies after 1000 body bytes"
client dies --timeout 20 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "send:${body}.\\r\\n" \
    'expect:^421 4\.4\.2( |$)' 'eof'
assert_no_grep "$WORK/dies.out" 'S: 2[0-9][0-9] .*queued' "client transcript"
assert_grep "$REC_DIR/connlog" '^conn=1 died in data' "recorder"
assert_eq 0 "$(rec_msgs)" "messages at the upstream"
# If the terminator had left for the upstream when it died, the proxy
# cannot know whether it was taken (RFC 1047) and logs verdict=unknown;
# either way the message is never logged accepted.
wait_log 'event=close '
assert_eq 0 "$(log_count 'verdict=accept')" "accepted messages in the log"
pass
