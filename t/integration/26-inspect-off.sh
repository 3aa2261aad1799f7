#!/bin/bash
# 26-inspect-off (SPEC §4.8): inspect = false turns the proxy into a
# plain SMTP-aware relay. With the mailguard profile, a masked banner
# with ehlo = true, an extension allow-list, a deny-all access rule,
# small limits, max_bad_commands = 1 and an alarm set to "close" all
# configured, everything passes as if none were set: the deny-all rule
# is ignored, the banner and the EHLO reply arrive unchanged, EHLO,
# VRFY, EXPN, an empty line, RCPT before MAIL, SIZE= and a body over
# message_size and more recipients than limits.recipients all reach the
# upstream; the log has the sessions and messages but no alarm line.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd swaks swaks
start_recorder --ehlo-ext "XUNKNOWN-EXTENSION" --ehlo-ext "VRFY"
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
hostname = \"proxy.test\"
inspect = false
commands { profile = \"mailguard\" }
extensions { allow = { \"PIPELINING\" } }
banner { mode = \"mask\" ehlo = true }
access {
	default = \"deny\"
	rule \"deny-all\" { action = \"deny\" source = { \"any\" } reply = \"Nobody\" }
}
limits { recipients = 1  message_size = 1K }
max_bad_commands = 1
alarm \"smtp:243\" { action = \"close\" }
alarm \"empty-line\" { action = \"close\" }"

"$PYTHON" - "$WORK/big-body.txt" <<'EOF'
import sys
lines = [b"Subject: inspect off", b""] + \
    [b"body line %04d " % i + b"y" * 60 for i in range(100)]
open(sys.argv[1], "wb").write(b"\r\n".join(lines) + b"\r\n.\r\n")
EOF

check "1: a session with everything the policy would refuse"
client inspect-off --timeout 20 --source 127.0.0.2 \
    'expect:^220 recorder ESMTP$' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:VRFY postmaster\r\n' 'expect:^502 5\.5\.2 Error: command not recognized$' \
    'send:EXPN staff\r\n' 'expect:^502 5\.5\.2 Error: command not recognized$' \
    'send:\r\n' 'expect:^500 5\.5\.2 Error: bad syntax$' \
    'send:RCPT TO:<early@example.net>\r\n' 'expect:^250 ' \
    'send:RSET\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<sender@example.com> SIZE=8000 BODY=8BITMIME\r\n' \
    'expect:^250 ' \
    'send:RCPT TO:<r1@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r2@example.net>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r3@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "sendfile:$WORK/big-body.txt" \
    'expect:^250 2\.0\.0 Ok: queued as 1$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
check "1: the EHLO reply arrived unchanged"
for kw in recorder PIPELINING 'SIZE 10240000' 8BITMIME ENHANCEDSTATUSCODES \
    XUNKNOWN-EXTENSION; do
	assert_grep "$WORK/inspect-off.out" "S: 250-$kw\$" "EHLO reply"
done
assert_grep "$WORK/inspect-off.out" 'S: 250 VRFY$' "EHLO reply"
assert_no_grep "$WORK/inspect-off.out" '\(smtp:[0-9]+\)|proxy\.test|\*\*\*' \
    "client transcript"

check "1: the upstream got every command"
wait_until 10 rec_closed 1 || fail "upstream connection not closed"
write_bytes "$WORK/expect-cmds.raw" 'EHLO client.test\r\nVRFY postmaster\r\nEXPN staff\r\n\r\nRCPT TO:<early@example.net>\r\nRSET\r\nMAIL FROM:<sender@example.com> SIZE=8000 BODY=8BITMIME\r\nRCPT TO:<r1@example.net>\r\nRCPT TO:<r2@example.net>\r\nRCPT TO:<r3@example.net>\r\nDATA\r\n'
head -c "$(wc -c <"$WORK/expect-cmds.raw")" "$REC_DIR/conn-1.raw" \
    >"$WORK/got-cmds.raw"
assert_files_equal "$WORK/expect-cmds.raw" "$WORK/got-cmds.raw" \
    "commands at the upstream"
assert_grep "$REC_DIR/events" \
    '^msg=1 conn=1 from=<sender@example\.com> rcpts=<r1@example\.net>,<r2@example\.net>,<r3@example\.net> ' \
    "upstream events"
assert_grep "$REC_DIR/msg-1.eml" '^body line 0099 ' "the message, whole"

check "2: swaks from 127.0.0.1"
swaks_run swaks --from sender@example.com --to rcpt@example.net \
    --header 'Subject: swaks, inspect off'
assert_grep "$WORK/swaks.out" '^<- +220 recorder ESMTP$' "swaks transcript"
assert_grep "$WORK/swaks.out" '^<- +250 2\.0\.0 Ok: queued as 2$' \
    "swaks transcript"
wait_until 10 rec_has 2 || fail "swaks message not delivered"

check "3: the log has sessions and messages, no alarm"
wait_until 10 log_at_least 2 'event=close ' || fail "sessions not logged"
wait_log 'event=connect .*client=127\.0\.0\.2:'
wait_log 'event=message from=<sender@example\.com> rcpts=3 .*verdict=accept'
assert_no_grep "$PROXY_LOG" 'alarm=|event=denied|too-many-bad-commands' \
    "proxy log"
pass
