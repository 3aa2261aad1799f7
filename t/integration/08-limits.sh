#!/bin/bash
# 08-limits:
#  1. a command line over limits.command_line gets 500 5.5.2 (smtp:217)
#     and the session goes on;
#  2. max_sessions = 2: the third concurrent connection gets 421 4.7.0 at
#     once and is closed; once the first two are gone a new one is served;
#  3. max_sessions_per_client = 1: a second connection from 127.0.0.1 gets
#     421 4.7.0, one from 127.0.0.2 is served;
#  4. timeouts { command = 2s idle = 5s }: a client idle inside a
#     transaction gets 421 4.4.2 after 2s, one idle between transactions
#     after 5s, then the connection is closed.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

# --- 1
start_proxy "$base
limits { command_line = 1024 }"
# 700 bytes: over the default of 512, under the configured 1024.
a700=$(printf 'a%.0s' $(seq 1 700))
b1100=$(printf 'b%.0s' $(seq 1 1100))
check "1: command line limit 1024"
client cmdline --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    "send:NOOP $a700\\r\\n" 'expect:^250 ' \
    "send:NOOP $b1100\\r\\n" 'expect:^500 5\.5\.2 .*\(smtp:217\)' \
    'send:NOOP\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_log 'alarm=smtp:217 name=protocol-overflow action=block'
if raw_has 'bbbbbbbbbb' "$REC_DIR"/conn-*.raw; then
	fail "the overlong line reached the upstream"
fi
ok "the overlong line stayed at the proxy"

# --- 2
start_proxy "$base
max_sessions = 2"
check "2: max_sessions = 2"
hold=(--timeout 15 'expect:^220 ' 'touch:'"$WORK/held-\$N" \
    'waitfile:'"$WORK/release" 'send:QUIT\r\n' 'expect:^221 ' 'eof')
client_bg held-1 "${hold[@]//\$N/1}"
pid1=$BG_PID
client_bg held-2 "${hold[@]//\$N/2}"
pid2=$BG_PID
wait_until 20 test -e "$WORK/held-1" -a -e "$WORK/held-2" ||
    fail "the first two sessions did not get their greeting"
client third --timeout 15 'expect:^421 4\.7\.0( |$)' 'eof'
touch "$WORK/release"
client_wait held-1 "$pid1"
client_wait held-2 "$pid2"
wait_until 10 log_at_least 2 'event=close ' ||
    fail "sessions not closed"
check "2: a new session once the others are gone"
client fourth --timeout 15 'expect:^220 ' 'send:QUIT\r\n' 'expect:^221 ' 'eof'

# --- 3
start_proxy "$base
max_sessions_per_client = 1"
check "3: max_sessions_per_client = 1"
rm -f "$WORK/release"
client_bg held-3 "${hold[@]//\$N/3}"
pid3=$BG_PID
wait_until 20 test -e "$WORK/held-3" ||
    fail "the first session did not get its greeting"
client same-client --timeout 15 'expect:^421 4\.7\.0( |$)' 'eof'
client other-client --timeout 15 --source 127.0.0.2 \
    'expect:^220 ' 'send:QUIT\r\n' 'expect:^221 ' 'eof'
touch "$WORK/release"
client_wait held-3 "$pid3"

# --- 4
# As conf/smtpproxy.conf documents them: "command" bounds the wait for the
# client's next command inside a transaction, "idle" the wait with nothing
# pending on either side.
start_proxy "$base
timeouts { command = 2s idle = 5s }"
check "4: timeouts { command = 2s }: idle client in a transaction"
client idle-command --timeout 20 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' 'mark' \
    'expect:^421 4\.4\.2( |$)' 'elapsed:1.5:4.5' 'eof'
check "4: timeouts { idle = 5s }: idle client between transactions"
client idle --timeout 20 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' 'mark' \
    'expect:^421 4\.4\.2( |$)' 'elapsed:4.5:15' 'eof'
wait_log 'event=close .*reason='
pass
