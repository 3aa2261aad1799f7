#!/bin/bash
# 25-pipelined-policy (SPEC §3, §4.2, §4.4, RFC 2920): one pipelined
# packet mixing allowed commands, refused ones (VRFY, EXPN: smtp:223)
# and an out-of-sequence one (RCPT before MAIL: smtp:243). The client
# gets every reply in command order, whether the proxy or the upstream
# answered it; the refused commands never reach the upstream and the
# allowed ones reach it in order. Run against a prompt upstream and
# against a slow one (every reply 0.2s late), where the proxy's own
# replies are ready long before the upstream's that must precede them.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

free_port PROXY_PORT

group='NOOP\r\nVRFY postmaster\r\nRCPT TO:<early@example.net>\r\nMAIL FROM:<sender@example.com>\r\nRCPT TO:<r1@example.net>\r\nEXPN staff\r\nRCPT TO:<r2@example.net>\r\nDATA\r\n'
replies=(
    'expect:^250 2\.0\.0 Ok$'				# NOOP
    'expect:^502 5\.5\.1 Command not permitted \(smtp:223\)$'	# VRFY
    'expect:^503 5\.5\.1 .*\(smtp:243\)$'		# RCPT before MAIL
    'expect:^250 2\.1\.0 Ok$'				# MAIL
    'expect:^250 2\.1\.5 Ok$'				# RCPT r1
    'expect:^502 5\.5\.1 Command not permitted \(smtp:223\)$'	# EXPN
    'expect:^250 2\.1\.5 Ok$'				# RCPT r2
    'expect:^354 '					# DATA
)
tail_group='RSET\r\nVRFY again\r\nNOOP\r\nQUIT\r\n'
tail_replies=(
    'expect:^250 2\.0\.0 Ok$'				# RSET
    'expect:^502 5\.5\.1 Command not permitted \(smtp:223\)$'	# VRFY
    'expect:^250 2\.0\.0 Ok$'				# NOOP
    'expect:^221 '					# QUIT
)

run_case() {
	local name=$1
	shift
	start_recorder "$@"
	start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""
	client "$name" --timeout 15 \
	    'expect:^220 ' \
	    'send:EHLO client.test\r\n' 'expect-line:^250[- ]PIPELINING$' \
	    "send:$group" "${replies[@]}" \
	    'send:Subject: pipelined policy\r\n\r\nbody\r\n.\r\n' \
	    'expect:^250 2\.0\.0 Ok: queued as 1$' \
	    "send:$tail_group" "${tail_replies[@]}" 'eof'

	wait_until 10 rec_closed 1 || fail "upstream connection not closed"
	write_bytes "$WORK/$name-expect.raw" 'EHLO client.test\r\nNOOP\r\nMAIL FROM:<sender@example.com>\r\nRCPT TO:<r1@example.net>\r\nRCPT TO:<r2@example.net>\r\nDATA\r\nSubject: pipelined policy\r\n\r\nbody\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n'
	assert_files_equal "$WORK/$name-expect.raw" "$REC_DIR/conn-1.raw" \
	    "bytes at the upstream: the allowed commands, in order"
	assert_eq 1 "$(rec_conns)" "upstream connections"
	assert_grep "$REC_DIR/events" \
	    '^msg=1 conn=1 from=<sender@example\.com> rcpts=<r1@example\.net>,<r2@example\.net> ' \
	    "upstream events"
	assert_eq 3 "$(log_count 'alarm=smtp:223 name=command-not-supported action=block')" \
	    "smtp:223 alarm lines"
	assert_eq 1 "$(log_count 'alarm=smtp:243 name=out-of-sequence action=block')" \
	    "smtp:243 alarm lines"
	wait_log 'event=close .*messages=1'
	stop_proxy
	stop_bg "$REC_PID"
}

check "1: a prompt upstream"
run_case prompt

check "2: a slow upstream (every reply 0.2s late)"
run_case slow --delay-reply 0.2
pass
