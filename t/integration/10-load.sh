#!/bin/bash
# 10-load: Postfix's smtp-source runs 300 parallel sessions, 3000 messages
# in all, through the proxy to smtp-sink. Every message arrives, each
# exactly once, and the run ends well within two minutes.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
TEST_TIMEOUT=${TEST_TIMEOUT:-240}
. "$(dirname "$0")/lib.sh"

require_cmd smtp-source postfix
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 2048 ] ||
    ulimit -n 4096 2>/dev/null ||
    skip "needs 2048 file descriptors (ulimit -n is $(ulimit -n))"

SESSIONS=300
MESSAGES=3000
start_sink -m 1000
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$SINK_PORT\"
max_sessions_per_client = 1000"

check "smtp-source: $SESSIONS sessions, $MESSAGES messages"
source=$(command -v smtp-source || echo /usr/sbin/smtp-source)
start=$(date +%s.%N)
st=0
timeout -k 5 120 "$source" -s "$SESSIONS" -m "$MESSAGES" -c -l 2000 \
    -M client.test -f sender@example.com -t rcpt@example.net \
    -S "load test" "127.0.0.1:$PROXY_PORT" \
    >"$WORK/smtp-source.out" 2>&1 </dev/null || st=$?
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
tail -c 300 "$WORK/smtp-source.out" | tr '\r' '\n' | tail -3
note "smtp-source exit $st after ${secs}s"
[ "$st" -ne 124 ] || fail "smtp-source still running after 120s"
[ "$st" -eq 0 ] || fail "smtp-source exited $st"
assert_no_grep "$WORK/smtp-source.out" 'smtp-source: (fatal|warning|error)' \
    "smtp-source output"
awk -v s="$secs" 'BEGIN { exit !(s < 90) }' ||
    fail "${secs}s for $MESSAGES messages: not well within two minutes"
ok "${secs}s for $MESSAGES messages"

check "every message at the sink, once"
wait_until 20 sink_has "$MESSAGES" ||
    fail "$(sink_count) of $MESSAGES messages at smtp-sink"
sleep 0.5
assert_eq "$MESSAGES" "$(sink_count)" "messages at smtp-sink"
wait_until 20 log_at_least "$MESSAGES" 'event=message .*verdict=accept' ||
    fail "$(log_count 'event=message .*verdict=accept') accept lines in the log"
assert_eq "$MESSAGES" "$(log_count 'event=message .*verdict=accept')" \
    "accepted messages in the proxy log"
assert_eq 0 "$(log_count 'event=message .*verdict=reject')" \
    "rejected messages in the proxy log"
awk -v n="$MESSAGES" -v s="$secs" \
    'BEGIN { printf "throughput: %.0f messages/s\n", n / s }'
pass
