#!/bin/bash
# 52-hostile: clients and upstreams that try to crash the proxy or make
# it hold resources without bound. hostile.py plays both sides.
#  1. replies backed up unread, then a body over limits.message_size:
#     the upstream is dropped mid-body, and when the client drains its
#     replies the session must not touch the dropped side (this was a
#     NULL dereference); the message gets 552, QUIT 221.
#  2. 200,000 pipelined NOOPs never read, against an upstream that never
#     answers and against one that answers at once: the proxy's memory
#     stays bounded (outstanding replies and upstream output are): under
#     16 MB of growth (43 MB before they were bounded).
#     The same flood behind a HELO the upstream never answers must not
#     make the proxy spin on its full read-ahead.
#  3. a client trickling a command one byte at a time is bounded by
#     timeouts.command per command, not per byte.
#  4. an upstream that streams an endless reply line, and one that never
#     answers: the client gets 421 4.4.2 after timeouts.reply.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

HOSTILE="$INTEGRATION_DIR/hostile.py"

# up NAME MODE: a scripted upstream; sets UP_PORT.
up() {
	free_port UP_PORT
	bg "up-$1" "$PYTHON" "$HOSTILE" upstream "$UP_PORT" "$2"
	wait_until 10 is_listening "$UP_PORT" || fail "upstream $1 not listening"
}

# hostile NAME SCENARIO: run a client scenario, its output in NAME.out.
hostile() {
	timeout -k 5 60 "$PYTHON" "$HOSTILE" client "$PROXY_PORT" "$2" \
	    >"$WORK/$1.out" 2>&1 </dev/null || fail "client $1 failed"
	sed 's/^/    /' "$WORK/$1.out"
}

result() {
	sed -n "s/^result: $2=//p" "$WORK/$1.out" | head -n 1
}

# The proxy runs under timeout(1): its RSS is its child's.
proxy_rss_kb() {
	local pid
	pid=$(pgrep -P "$PROXY_PID" -x smtpproxy | head -n 1)
	[ -n "$pid" ] || fail "no smtpproxy process under $PROXY_PID"
	awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"
}

proxy_conf() {
	printf 'listen = { "127.0.0.1:%s" }\nmode = "relay"\nupstream = "127.0.0.1:%s"\n%s\n' \
	    "$PROXY_PORT" "$1" "$2"
}

free_port PROXY_PORT

check "1. replies backed up, then a body over message_size"
up prompt prompt
PROMPT_PORT=$UP_PORT
start_proxy "$(proxy_conf "$PROMPT_PORT" 'limits { message_size = 10K }')"
hostile backlog backlog
check_proxy_alive
assert_eq 1 "$(result backlog has552)" "the oversized message got 552"
assert_eq 1 "$(result backlog has221)" "QUIT got 221"
wait_log 'alarm=smtp:245 name=message-too-large action=block'

check "2. 200,000 pipelined NOOPs never read"
for mode in mute prompt; do
	if [ "$mode" = mute ]; then
		up mute mute
		port=$UP_PORT
	else
		port=$PROMPT_PORT
	fi
	start_proxy "$(proxy_conf "$port" '')"
	base=$(proxy_rss_kb)
	timeout -k 5 60 "$PYTHON" "$HOSTILE" client "$PROXY_PORT" flood \
	    >"$WORK/flood-$mode.out" 2>&1 </dev/null &
	fpid=$!
	wait_until 10 grep -q 'result: sent=' "$WORK/flood-$mode.out" ||
	    fail "flood client did not report"
	sleep 1
	rss=$(proxy_rss_kb)
	wait "$fpid" || fail "flood client failed"
	cat "$WORK/flood-$mode.out"
	check_proxy_alive
	note "upstream $mode: proxy RSS ${base} kB before, ${rss} kB with the flood held"
	assert_memory $((rss - base)) 16384 "RSS growth (upstream $mode)"
done

check "2b. a flood behind a HELO that is never answered: no busy loop"
up mute-3 mute
start_proxy "$(proxy_conf "$UP_PORT" '')"
pid=$(pgrep -P "$PROXY_PID" -x smtpproxy | head -n 1)
timeout -k 5 60 "$PYTHON" "$HOSTILE" client "$PROXY_PORT" groupflood \
    >"$WORK/groupflood.out" 2>&1 </dev/null &
fpid=$!
wait_until 10 grep -q 'result: sent=' "$WORK/groupflood.out" ||
    fail "groupflood client did not report"
t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
sleep 2
t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
wait "$fpid" || fail "groupflood client failed"
check_proxy_alive
note "proxy CPU over 2s with a full read-ahead: $((t1 - t0)) ticks"
[ $((t1 - t0)) -le 20 ] ||
    fail "proxy spins with a full read-ahead: $((t1 - t0)) ticks in 2s"
ok "no busy loop ($((t1 - t0)) ticks in 2s)"

check "3. a command trickled one byte every 0.7s, timeouts.command = 2s"
start_proxy "$(proxy_conf "$PROMPT_PORT" 'timeouts { command = 2s idle = 2s }')"
hostile trickle trickle
case $(result trickle reply) in
"421 4.4.2 "*) ok "trickling client got 421 4.4.2" ;;
*) fail "trickling client: expected 421 4.4.2, got '$(result trickle reply)'" ;;
esac
el=$(result trickle elapsed)
[ "${el%.*}" -le 3 ] || fail "trickling client held the session ${el}s"
ok "closed after ${el}s (4 bytes sent at most)"
wait_log 'event=timeout side=client'

check "4. an endless reply line and a mute upstream, timeouts.reply = 2s"
for mode in endless mute; do
	up "$mode-2" "$mode"
	start_proxy "$(proxy_conf "$UP_PORT" 'timeouts { reply = 2s }')"
	hostile "wait-$mode" wait
	case $(result "wait-$mode" reply) in
	"421 4.4.2 "*) ok "$mode upstream: client got 421 4.4.2" ;;
	*) fail "$mode upstream: expected 421 4.4.2, got '$(result "wait-$mode" reply)'" ;;
	esac
	el=$(result "wait-$mode" elapsed)
	[ "${el%%.*}" -le 4 ] || fail "$mode upstream: reply after ${el}"
	ok "$mode upstream: answered after $el"
	wait_log 'event=timeout side=upstream'
done
pass
