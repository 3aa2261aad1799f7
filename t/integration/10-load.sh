#!/bin/bash
# 10-load: Postfix's smtp-source runs 300 parallel sessions through the
# proxy to smtp-sink, once over IPv4 (127.0.0.1, 3000 messages) and once
# over IPv6 end to end (client, listener and upstream on [::1], 3000
# messages). Every message arrives, each exactly once, every session
# over IPv6 is logged with a bracketed client address, and each run ends
# well within two minutes.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
. "$(dirname "$0")/lib.sh"

require_cmd smtp-source postfix
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 2048 ] ||
    ulimit -n 4096 2>/dev/null ||
    skip "needs 2048 file descriptors (ulimit -n is $(ulimit -n))"

SESSIONS=300

# load FAMILY MESSAGES PROXY-HOST SINK-HOST: a sink on SINK-HOST, a relay
# proxy on PROXY-HOST (both in smtp-source's syntax, "[::1]" for IPv6),
# smtp-source with MESSAGES messages to the proxy; then every message
# must be at the sink once and accepted once in the proxy log.
load() {
	local family=$1 messages=$2 phost=$3 shost=$4 source start end secs st=0
	free_port SINK_PORT
	start_sink -a "$shost:$SINK_PORT" -m 1000
	free_port PROXY_PORT
	start_proxy "listen = { \"$phost:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$shost:$SINK_PORT\"
max_sessions_per_client = 1000"

	check "$family: smtp-source, $SESSIONS sessions, $messages messages"
	source=$(command -v smtp-source || echo /usr/sbin/smtp-source)
	start=$(date +%s.%N)
	timeout -k 5 120 "$source" -s "$SESSIONS" -m "$messages" -c -l 2000 \
	    -M client.test -f sender@example.com -t rcpt@example.net \
	    -S "load test" "$phost:$PROXY_PORT" \
	    >"$WORK/smtp-source-$family.out" 2>&1 </dev/null || st=$?
	end=$(date +%s.%N)
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	tail -c 300 "$WORK/smtp-source-$family.out" | tr '\r' '\n' | tail -3
	note "smtp-source exit $st after ${secs}s"
	[ "$st" -ne 124 ] || fail "smtp-source still running after 120s"
	[ "$st" -eq 0 ] || fail "smtp-source exited $st"
	assert_no_grep "$WORK/smtp-source-$family.out" \
	    'smtp-source: (fatal|warning|error)' "smtp-source output"
	awk -v s="$secs" 'BEGIN { exit !(s < 90) }' ||
	    fail "${secs}s for $messages messages: not well within two minutes"
	ok "${secs}s for $messages messages"

	check "$family: every message at the sink, once"
	wait_until 20 sink_has "$messages" ||
	    fail "$(sink_count) of $messages messages at smtp-sink"
	sleep 0.5
	assert_eq "$messages" "$(sink_count)" "messages at smtp-sink"
	wait_until 20 log_at_least "$messages" \
	    'event=message .*verdict=accept' ||
	    fail "$(log_count 'event=message .*verdict=accept') accept lines in the log"
	assert_eq "$messages" "$(log_count 'event=message .*verdict=accept')" \
	    "accepted messages in the proxy log"
	assert_eq 0 "$(log_count 'event=message .*verdict=reject')" \
	    "rejected messages in the proxy log"
	awk -v n="$messages" -v s="$secs" \
	    'BEGIN { printf "throughput: %.0f messages/s\n", n / s }'
}

load ipv4 3000 127.0.0.1 127.0.0.1
assert_eq 3000 "$(grep -l '^X-Client-Addr: 127\.0\.0\.1$' "$SINK_DIR"/* | wc -l)" \
    "messages the sink got from 127.0.0.1"
stop_proxy

if ! "$PYTHON" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
    2>/dev/null; then
	note "SKIP of the IPv6 run: no ::1 on this host"
	pass
fi
load ipv6 3000 '[::1]' '[::1]'
# Every dumped message says where smtp-sink got it from: the proxy's
# upstream connection, over IPv6.
assert_eq 3000 "$(grep -l '^X-Client-Addr: ipv6:::1$' "$SINK_DIR"/* | wc -l)" \
    "messages the sink got from [::1]"
assert_eq 0 "$(log_count 'event=connect client=[0-9]')" \
    "IPv6 run: sessions logged with an IPv4 client"
assert_eq "$(log_count 'event=connect ')" \
    "$(log_count 'event=connect client=\[::1\]:[0-9]+ orig_dst=\[::1\]:[0-9]+$')" \
    "IPv6 run: sessions logged as client=[::1]:port orig_dst=[::1]:port"
assert_eq "$(log_count 'event=connect ')" \
    "$(log_count 'event=close client=\[::1\]:[0-9]+ ')" \
    "IPv6 run: close lines with client=[::1]:port"
pass
