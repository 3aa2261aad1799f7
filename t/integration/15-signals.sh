#!/bin/bash
# 15-signals: SIGHUP reloads the configuration (a broken file, one with a
# key or a section given twice too, is logged with FILE:LINE and the
# running configuration kept; a session open across the reload
# finishes on the configuration it started with), SIGUSR1 logs the
# counters, SIGTERM stops accepting and lets an open session finish
# within shutdown_grace, then answers 421 and exits.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_sink
free_port PROXY_PORT
conf() {
	printf 'listen = { "127.0.0.1:%s" }\nmode = "relay"\nupstream = "%s"\nshutdown_grace = 3s\nbanner { mode = "%s" }\n' \
	    "$PROXY_PORT" "$SINK_ADDR" "$1"
}
start_proxy "$(conf pass)"
# PROXY_PID is timeout(1), which would pass a signal on twice (to the
# proxy and to its process group) and then die: signal the proxy itself.
SIG_PID=$(pgrep -P "$PROXY_PID" | head -n 1)
[ -n "$SIG_PID" ] || fail "cannot find the proxy process under $PROXY_PID"

check "a session open across the reload goes on undisturbed"
client_bg old 'expect:^220 [^*]' 'sleep:3' 'send:QUIT\r\n' 'expect:^221'
OLD_PID=$BG_PID
wait_log 'event=connect'

check "SIGHUP with a good file: new sessions get the masked banner"
conf mask >"$PROXY_CONF"
kill -HUP "$SIG_PID"
wait_log 'event=reloaded'
client new 'expect:^220 \*+$' 'send:QUIT\r\n' 'expect:^221'
client_wait old "$OLD_PID"

check "SIGHUP with a broken file: logged, the running configuration kept"
printf 'listen = { "127.0.0.1:%s" }\nmode = "bogus"\n' "$PROXY_PORT" \
    >"$PROXY_CONF"
kill -HUP "$SIG_PID"
wait_log 'reload-failed'
assert_grep "$PROXY_LOG" 'proxy-[0-9]+\.conf:2: .*mode' "reload error names file:line"
client kept 'expect:^220 \*+$' 'send:QUIT\r\n' 'expect:^221'
check_proxy_alive

check "SIGHUP with a key set twice: logged with file:line, the running configuration kept"
{ conf pass; printf 'shutdown_grace = 5s\nbanner { ehlo = true }\n'; } >"$PROXY_CONF"
kill -HUP "$SIG_PID"
wait_until 10 log_at_least 2 'reload-failed' || fail "second reload-failed not logged"
assert_grep "$PROXY_LOG" 'proxy-[0-9]+\.conf:6: shutdown_grace: already set at line 4' \
    "duplicate key names file:line"
assert_grep "$PROXY_LOG" 'proxy-[0-9]+\.conf:7: banner: already set at line 5' \
    "duplicate section names file:line"
client kept2 'expect:^220 \*+$' 'send:QUIT\r\n' 'expect:^221'
check_proxy_alive

check "SIGUSR1 logs the counters"
kill -USR1 "$SIG_PID"
wait_log 'event=counters sessions=4 '

check "SIGTERM: no new connections, the open session finishes, then 421"
client_bg long 'expect:^220' 'send:EHLO client.test\r\n' 'expect:^250 ' \
    'sleep:6' 'expect:^421 4\.3\.2' 'eof'
LONG_PID=$BG_PID
wait_until 10 log_at_least 5 'event=connect' || fail "fifth session not seen"
kill -TERM "$SIG_PID"
wait_log 'event=shutdown '
is_listening "$PROXY_PORT" && fail "still listening after SIGTERM"
ok "listener closed"
client_wait long "$LONG_PID"
wait_pid_exit "$PROXY_PID" 15 || fail "proxy did not exit after the grace"
wait "$PROXY_PID"
st=$?
PROXY_PID=""
assert_eq 0 "$st" "exit status after SIGTERM"
pass
