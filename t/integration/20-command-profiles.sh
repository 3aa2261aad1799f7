#!/bin/bash
# 20-command-profiles (SPEC §4.2, §3):
#  1. profile "esmtp" (the default): VRFY, EXPN, ETRN, TURN and BDAT are
#     answered "502 5.5.1 Command not permitted (smtp:223)" by the proxy
#     and never reach the upstream; HELP (in the profile) does;
#  2. profile "mailguard": EHLO is refused (smtp:223), HELO works, and
#     swaks, falling back from EHLO to HELO, delivers a message;
#  3. profile "custom" with allow = { ... "VRFY" }: VRFY is forwarded,
#     EXPN (not listed) is still refused;
#  4. XCLIENT and XFORWARD are refused even when the upstream offers
#     them, and even with commands { enabled = false } and
#     extensions { enabled = false };
#  5. max_bad_commands = 3: three refusals leave the session going, the
#     fourth brings "421 4.7.0" and the connection is closed.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd swaks swaks
start_recorder --ehlo-ext "XCLIENT NAME ADDR PROTO HELO" \
    --ehlo-ext "XFORWARD NAME ADDR PROTO HELO"
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

refused='^502 5\.5\.1 Command not permitted \(smtp:223\)$'

# upstream_raw: every byte the recorder received so far, all connections.
upstream_raw() {
	cat "$REC_DIR"/conn-*.raw 2>/dev/null
}

# assert_not_upstream TEXT...: no connection to the recorder carried a
# line starting with TEXT.
assert_not_upstream() {
	local t
	for t in "$@"; do
		if upstream_raw | grep -aqi -- "^$t"; then
			fail "refused command '$t' reached the upstream"
		fi
	done
	ok "never at the upstream: $*"
}

# ---------------------------------------------------------------------
check "1: profile esmtp (default): VRFY EXPN ETRN TURN BDAT refused, HELP passed"
start_proxy "$base"
client esmtp --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:VRFY postmaster\r\n' "expect:$refused" \
    'send:EXPN staff\r\n' "expect:$refused" \
    'send:ETRN example.net\r\n' "expect:$refused" \
    'send:TURN\r\n' "expect:$refused" \
    'send:BDAT 0 LAST\r\n' "expect:$refused" \
    'send:HELP\r\n' 'expect:^502 5\.5\.2 Error: command not recognized$' \
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    'send:Subject: esmtp profile\r\n\r\nbody\r\n.\r\n' \
    'expect:^250 2\.0\.0 Ok: queued as 1$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_closed 1 || fail "upstream connection 1 not closed"
assert_not_upstream VRFY EXPN ETRN TURN BDAT
raw_has '\r\nHELP\r\nMAIL FROM:<sender@example.com>\r\n' \
    "$REC_DIR/conn-1.raw" || fail "HELP did not reach the upstream"
ok "HELP reached the upstream"
assert_eq 1 "$(rec_msgs)" "messages at the upstream"
assert_eq 5 "$(log_count 'alarm=smtp:223 name=command-not-supported action=block')" \
    "smtp:223 alarm lines"
for c in VRFY EXPN ETRN TURN BDAT; do
	assert_grep "$PROXY_LOG" "alarm=smtp:223 .*command=$c\b" "proxy log"
done

# ---------------------------------------------------------------------
check "2: profile mailguard: EHLO refused, HELO accepted"
start_proxy "$base
commands { profile = \"mailguard\" }"
conns_before=$(rec_conns)
client mailguard --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' "expect:$refused" \
    'send:HELO client.test\r\n' 'expect:^250 recorder$' \
    'send:HELP\r\n' "expect:$refused" \
    'send:VRFY postmaster\r\n' "expect:$refused" \
    'send:NOOP\r\n' 'expect:^250 ' \
    'send:RSET\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_closed $((conns_before + 1)) ||
    fail "upstream connection not closed"
raw=$REC_DIR/conn-$((conns_before + 1)).raw
if raw_has 'EHLO' "$raw" || raw_has 'HELP' "$raw" || raw_has 'VRFY' "$raw"; then
	fail "a refused command reached the upstream"
fi
raw_has 'HELO client.test\r\nNOOP\r\nRSET\r\nQUIT\r\n' "$raw" ||
    fail "HELO/NOOP/RSET/QUIT did not reach the upstream in order"
ok "only the mailguard commands reached the upstream"
wait_log 'alarm=smtp:223 name=command-not-supported action=block.*command=EHLO'

check "2: swaks falls back to HELO and delivers"
msgs_before=$(rec_msgs)
swaks_run swaks-mailguard --from sender@example.com --to rcpt@example.net \
    --header 'Subject: mailguard profile'
assert_grep "$WORK/swaks-mailguard.out" '^<\*\* +502 5\.5\.1 .*\(smtp:223\)' \
    "swaks transcript (EHLO refused)"
assert_grep "$WORK/swaks-mailguard.out" '^ -> HELO client\.test' \
    "swaks transcript (HELO fallback)"
assert_grep "$WORK/swaks-mailguard.out" '^<- +250 2\.0\.0 Ok: queued as' \
    "swaks transcript (delivered)"
wait_until 10 rec_has $((msgs_before + 1)) || fail "swaks message not delivered"
assert_grep "$REC_DIR/msg-$((msgs_before + 1)).eml" '^Subject: mailguard profile' \
    "delivered message"

# ---------------------------------------------------------------------
check "3: profile custom with VRFY allowed"
start_proxy "$base
commands {
	profile = \"custom\"
	allow = { \"HELO\", \"EHLO\", \"MAIL\", \"RCPT\", \"DATA\", \"QUIT\",
	          \"RSET\", \"NOOP\", \"VRFY\" }
}"
conns_before=$(rec_conns)
client custom --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:VRFY postmaster\r\n' 'expect:^502 5\.5\.2 Error: command not recognized$' \
    'send:EXPN staff\r\n' "expect:$refused" \
    'send:HELP\r\n' "expect:$refused" \
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    'send:Subject: custom profile\r\n\r\nbody\r\n.\r\n' \
    'expect:^250 2\.0\.0 Ok: queued as ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_closed $((conns_before + 1)) ||
    fail "upstream connection not closed"
raw=$REC_DIR/conn-$((conns_before + 1)).raw
raw_has 'EHLO client.test\r\nVRFY postmaster\r\nMAIL FROM:' "$raw" ||
    fail "VRFY did not reach the upstream (or EXPN/HELP did)"
ok "VRFY reached the upstream, EXPN and HELP did not"

# ---------------------------------------------------------------------
check "4: XCLIENT and XFORWARD refused although the upstream offers them"
start_proxy "$base"
conns_before=$(rec_conns)
client xclient --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:XCLIENT NAME=spoofed.example ADDR=192.0.2.1\r\n' "expect:$refused" \
    'send:XFORWARD NAME=spoofed.example ADDR=192.0.2.1\r\n' "expect:$refused" \
    'send:NOOP\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
assert_no_grep "$WORK/xclient.out" 'S: 250[- ](XCLIENT|XFORWARD)' \
    "EHLO reply (XCLIENT/XFORWARD filtered)"

check "4: ... and with commands and extensions disabled"
start_proxy "$base
commands { enabled = false }
extensions { enabled = false }"
client xclient-nocheck --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:VRFY postmaster\r\n' 'expect:^502 5\.5\.2 Error: command not recognized$' \
    'send:XCLIENT NAME=spoofed.example ADDR=192.0.2.1\r\n' "expect:$refused" \
    'send:XFORWARD NAME=spoofed.example ADDR=192.0.2.1\r\n' "expect:$refused" \
    'send:NOOP\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_closed $((conns_before + 2)) ||
    fail "upstream connections not closed"
assert_not_upstream XCLIENT XFORWARD
raw_has 'VRFY postmaster\r\n' "$REC_DIR/conn-$((conns_before + 2)).raw" ||
    fail "with commands { enabled = false } VRFY did not reach the upstream"
ok "commands { enabled = false } lets VRFY through"
assert_grep "$PROXY_LOG" 'alarm=smtp:223 .*command=XCLIENT' "proxy log"
assert_grep "$PROXY_LOG" 'alarm=smtp:223 .*command=XFORWARD' "proxy log"

# ---------------------------------------------------------------------
check "5: max_bad_commands = 3"
start_proxy "$base
max_bad_commands = 3"
client bad-commands --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:VRFY a\r\n' "expect:$refused" \
    'send:EXPN b\r\n' "expect:$refused" \
    'send:NOOP\r\n' 'expect:^250 ' \
    'send:ETRN c\r\n' "expect:$refused" \
    'send:NOOP\r\n' 'expect:^250 ' \
    'send:VRFY d\r\n' 'drain'
# The fourth refusal ends the session: 421 4.7.0 is the last thing the
# client reads before the close (the 502 for that command may precede it).
last=$(grep -E '^ *[0-9.]+ S: ' "$WORK/bad-commands.out" | tail -1)
case $last in
*"S: 421 4.7.0"*) ok "last reply: ${last#*S: }" ;;
*) fail "the fourth refusal did not end with 421 4.7.0 (last reply: ${last#*S: })" ;;
esac
assert_grep "$WORK/bad-commands.out" '-- closed by the server' "client transcript"
n502=$(grep -Ec 'S: 502 5\.5\.1 .*\(smtp:223\)$' "$WORK/bad-commands.out")
if [ "$n502" -lt 3 ] || [ "$n502" -gt 4 ]; then
	fail "expected 3 refusals (4 counting the last) before the 421, got $n502"
fi
ok "$n502 refusals answered 502 before the 421"
wait_log 'event=too-many-bad-commands'
wait_log 'event=close .*reason='
pass
