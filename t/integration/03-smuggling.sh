#!/bin/bash
# 03-smuggling: SMTP smuggling (CVE-2023-51764/51765/51766). A client
# hides a second message behind a fake end of data made of bare CR / LF /
# NUL. The upstream here is the recorder in --lenient mode: like the
# vulnerable servers, it takes any of those sequences for the end of data,
# so anything the proxy lets through shows up as an extra message.
#  - default (alarm smtp:241 "block"): the client gets 554 5.6.0 (smtp:241)
#    at end of data, the upstream never gets a terminated message, and no
#    bare CR or LF ever reaches it; the session goes on and its next
#    transaction is delivered (over a new upstream connection);
#  - alarm "smtp:241" { action = "log" }: exactly one message per session
#    is delivered, never the smuggled one, and still no bare CR or LF.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

# The fake ends of data, as Python escapes.
variants=('\n.\n' '\n.\r\n' '\r\n.\n' '\r.\r' '\r.\n' '\n.\r' '\r.\r\n'
    '\r\n\0.\r\n' '\r\n.\r' '\n\0.\n' '\r\n\x00.\x00\r\n')
smuggled='MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n'

session() {	# session NAME VARIANT END-OF-DATA-REPLY-REGEX
	local name=$1 v=$2 want=$3
	client "$name" --timeout 15 \
	    'expect:^220 ' \
	    'send:EHLO client.test\r\n' 'expect:^250 ' \
	    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "send:Subject: $name\\r\\n\\r\\nhello${v}${smuggled}" \
	    "expect:$want" \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
	# Never a 354 for the smuggled DATA.
	[ "$(grep -c 'S: 354' "$WORK/$name.out")" -eq 1 ] ||
	    fail "$name: more than one 354 reply"
}

upstream_checks() {	# after each session
	wait_until 10 rec_closed "$(rec_conns)" ||
	    fail "upstream connection $(rec_conns) still open"
	assert_no_bare_crlf "$REC_DIR"/conn-*.raw
	if grep -q 'evil' "$REC_DIR/events" 2>/dev/null; then
		fail "the smuggled message reached the upstream"
	fi
}

# --- 1: block (the default)
start_recorder --lenient
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

n=0
for v in "${variants[@]}"; do
	n=$((n + 1))
	check "block: fake end of data '$v' followed by a second message"
	session "block-$n" "$v" '^554 5\.6\.0 .*\(smtp:241\)'
	upstream_checks
	assert_eq 0 "$(rec_msgs)" "messages at the upstream"
	if raw_has '\r\n.\r\n' "$REC_DIR"/conn-*.raw; then
		fail "an end of data (CRLF.CRLF) reached the upstream"
	fi
	ok "no end of data reached the upstream"
	# Lines after the refused one may still stream (the upstream
	# connection is aborted before any terminator): worth a note only.
	if grep -lq 'evil' "$REC_DIR"/conn-*.raw; then
		note "note: smuggled lines streamed upstream before the abort"
	fi
done
wait_log 'alarm=smtp:241 name=bare-line-ending action=block'
assert_eq 0 "$(log_count 'verdict=accept')" "accepted messages in the log"
check_proxy_alive

check "block: the session goes on, the next transaction is delivered"
client block-next --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "send:Subject: refused\\r\\n\\r\\nhello\\n.\\n${smuggled}" \
    'expect:^554 5\.6\.0 .*\(smtp:241\)' \
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    'send:Subject: clean\r\n\r\nclean\r\n.\r\n' \
    'expect:^250 2\.0\.0 Ok: queued as 1$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
upstream_checks
assert_eq 1 "$(rec_msgs)" "messages at the upstream"
assert_grep "$REC_DIR/msg-1.eml" '^Subject: clean' "the delivered message"
assert_no_grep "$REC_DIR/msg-1.eml" 'hello|evil|refused' "the delivered message"

# --- 2: log
stop_proxy
stop_bg "$REC_PID"
start_recorder --lenient
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
alarm \"smtp:241\" { action = \"log\" }"

n=0
for v in "${variants[@]}"; do
	n=$((n + 1))
	check "log: fake end of data '$v' followed by a second message"
	session "log-$n" "$v" '^250 2\.0\.0 Ok: queued as [0-9]+$'
	upstream_checks
	assert_eq "$n" "$(rec_msgs)" "messages at the upstream"
	assert_grep "$REC_DIR/msg-$n.eml" "^Subject: log-$n" "message $n"
	assert_eq "$n" "$(grep -c 'from=<sender@example.com>' "$REC_DIR/events")" \
	    "messages from the real sender"
done
wait_log 'alarm=smtp:241 name=bare-line-ending action=log'
pass
