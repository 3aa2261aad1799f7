#!/bin/bash
# 58-fd-limit (SPEC §5 limits): max_sessions left to its default is
# lowered at start-up to what the descriptor limit has room for, so the
# default never runs into EMFILE. The proxy runs under "ulimit -n 64" in
# relay mode to smtp-sink:
#  1. the start-up log says "event=max-sessions max_sessions=N
#     source=nofile fits=N nofile=64 reserve=R", with N = (64 - R) / 2;
#  2. N clients, one after the other, each get the sink's greeting
#     through the proxy and hold their session; 5 more each get
#     "421 4.7.0 ... Too many connections" at once (reason max_sessions),
#     and accept(2) never failed: no "event=accept-error";
#  3. once they are gone a message goes through;
#  4. max_sessions = N + 3 set in the file is kept, with a warning naming
#     both numbers: N + 3 clients are served, the next one gets the 421;
#  5. max_sessions = 5 set in the file, below what fits: logged as
#     source=config, no warning; a reload (HUP) to max_sessions = 3 logs
#     the new value.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_sink
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$SINK_ADDR\""

# proxy_64 CONFIG: start_proxy under a descriptor limit of 64, soft and
# hard (the proxy raises its soft limit to the hard one at start-up).
proxy_64() {
	local saved=("${IN_NS[@]}")
	prlimit --nofile=64:64 true || skip "cannot lower the descriptor limit"
	IN_NS=(prlimit --nofile=64:64 -- "${saved[@]}")
	start_proxy "$1"
	IN_NS=("${saved[@]}")
}

# hold OK EXTRA TAG: OK clients, one at a time, must each get a "220 "
# greeting; then EXTRA more must each get the 421 of max_sessions. All
# are held until $WORK/release-TAG exists. Writes $WORK/hold-TAG.out
# and touches $WORK/answered-TAG.
cat >"$WORK/hold.py" <<'EOF'
import os, re, socket, sys, time
port, nok, nextra, tag, work = (int(sys.argv[1]), int(sys.argv[2]),
                                int(sys.argv[3]), sys.argv[4], sys.argv[5])
out = open("%s/hold-%s.out" % (work, tag), "w")
def first_line(s):
    buf = b""
    while b"\r\n" not in buf:
        data = s.recv(4096)
        if not data:
            return "(closed: %r)" % buf
        buf += data
    return buf.split(b"\r\n")[0].decode("latin-1")
socks, bad = [], 0
for i in range(nok + nextra):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    socks.append(s)
    line = first_line(s)
    want = (r"220 " if i < nok else
            r"421 4\.7\.0 \S+ Too many connections, try again later$")
    good = re.match(want, line) is not None
    bad += not good
    out.write("%s client %d: %s\n" % ("ok" if good else "BAD", i + 1, line))
    out.flush()
out.write("bad %d\n" % bad)
out.close()
open("%s/answered-%s" % (work, tag), "w").close()
deadline = time.time() + 60
while not os.path.exists("%s/release-%s" % (work, tag)) and \
        time.time() < deadline:
    time.sleep(0.05)
for s in socks:
    s.close()
EOF

# run_hold OK EXTRA TAG
run_hold() {
	bg "hold-$3" "$PYTHON" "$WORK/hold.py" "$PROXY_PORT" "$1" "$2" "$3" \
	    "$WORK"
	local pid=$BG_PID
	wait_until 60 test -e "$WORK/answered-$3" ||
	    fail "the clients did not finish"
	sed 's/^/    /' "$WORK/hold-$3.out"
	check_proxy_alive
	assert_grep "$WORK/hold-$3.out" '^bad 0$' "every client's first line"
	touch "$WORK/release-$3"
	wait "$pid" || fail "the client script failed"
}

# ---------------------------------------------------------------------
check "1: the default max_sessions under ulimit -n 64"
proxy_64 "$base"
line='event=max-sessions max_sessions=([0-9]+) source=nofile fits=([0-9]+) nofile=64 reserve=([0-9]+)$'
wait_log "$line"
read -r n fits reserve < <(grep -E -- "$line" "$PROXY_LOG" |
    sed -E "s/.*$line/\\1 \\2 \\3/")
note "max_sessions=$n fits=$fits reserve=$reserve"
assert_eq "$fits" "$n" "max_sessions and what fits"
assert_eq $(((64 - reserve) / 2)) "$n" "max_sessions"
[ "$n" -ge 5 ] && [ "$n" -lt 32 ] || fail "max_sessions=$n"
ok "two descriptors per session beside $reserve"
assert_no_grep "$PROXY_LOG" 'max-sessions-over-nofile' "proxy log"

check "2: $n clients are served, the next ones get 421 at once"
run_hold "$n" 5 default
wait_until 10 log_at_least 5 'event=refused reason="max_sessions"' ||
    fail "not 5 refusals for max_sessions"
ok "5 refused for max_sessions"
assert_no_grep "$PROXY_LOG" 'event=accept-error' "proxy log"

check "3: after the clients are gone, mail goes through"
wait_until 10 log_at_least "$n" 'event=close ' || fail "sessions not closed"
msgs=$(sink_count)
swaks_run after --to rcpt@example.net --from sender@example.com
wait_until 10 sink_has $((msgs + 1)) || fail "the message did not reach the sink"
ok "delivered"
stop_proxy

# ---------------------------------------------------------------------
over=$((n + 3))
check "4: max_sessions = $over set in the file is kept, with a warning"
proxy_64 "$base
max_sessions = $over"
wait_log "event=max-sessions-over-nofile max_sessions=$over fits=$n nofile=64 reserve=[0-9]+"
assert_no_grep "$PROXY_LOG" 'event=max-sessions ' "proxy log"
run_hold "$over" 1 over
wait_log 'event=refused reason="max_sessions"'
assert_no_grep "$PROXY_LOG" 'event=accept-error' "proxy log"
stop_proxy

# ---------------------------------------------------------------------
check "5: max_sessions = 5 set in the file, below what fits"
proxy_64 "$base
max_sessions = 5"
wait_log "event=max-sessions max_sessions=5 source=config fits=$n nofile=64 reserve=[0-9]+\$"
assert_no_grep "$PROXY_LOG" 'max-sessions-over-nofile' "proxy log"
check "5: a reload to max_sessions = 3 logs it"
printf '%s\n' "$base" 'max_sessions = 3' >"$PROXY_CONF"
kill -HUP "$(pgrep -P "$PROXY_PID" smtpproxy | head -n 1)" ||
    fail "cannot send HUP"
wait_log 'event=reloaded'
wait_log "event=max-sessions max_sessions=3 source=config fits=$n nofile=64 reserve=[0-9]+\$"
run_hold 3 1 reload
stop_proxy
pass
