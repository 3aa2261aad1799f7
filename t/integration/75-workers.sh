#!/bin/bash
# 75-workers (SPEC §5 workers, reload): the proxy with workers = 2 in
# relay mode to smtp-sink:
#  1. the start-up log says "event=workers workers=2 source=config" and
#     each worker listens on every address;
#  2. sessions land on both workers (worker=N on the connect line);
#  3. max_sessions_per_client and max_sessions hold for the whole
#     process: with 16 sessions held from 127.0.0.1, on both workers, the
#     next two from it get "421 4.7.0 ... Too many connections"; with 20
#     held in all, the fifth and sixth from 127.0.0.2 get the same;
#  4. SIGUSR1 logs the counters summed over both workers;
#  5. a reload (HUP) reaches both workers: every new session, on either,
#     gets the masked banner;
#  6. a reload that adds a listen address and removes one: the new port
#     accepts, the old one refuses connections, and a session open on the
#     old port across the reload finishes its message;
#  7. a broken file changes nothing (FILE:LINE logged, listeners kept);
#  8. SIGTERM with sessions held on both workers: each gets
#     "421 4.3.2" after shutdown_grace, and the proxy exits 0.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_sink
free_port PROXY_PORT
free_port PORT_B
free_port PORT_C
# conf LISTEN BANNER-MODE
conf() {
	printf 'listen = { %s }\nmode = "relay"\nupstream = "%s"\nworkers = 2\nshutdown_grace = 3s\nmax_sessions = 20\nmax_sessions_per_client = 16\nbanner { mode = "%s" }\n' \
	    "$1" "$SINK_ADDR" "$2"
}
AB="\"127.0.0.1:$PROXY_PORT\", \"127.0.0.1:$PORT_B\""
AC="\"127.0.0.1:$PROXY_PORT\", \"127.0.0.1:$PORT_C\""
start_proxy "$(conf "$AB" pass)"
SIG_PID=$(pgrep -P "$PROXY_PID" | head -n 1)
[ -n "$SIG_PID" ] || fail "cannot find the proxy process under $PROXY_PID"

# sessions PORT SOURCE NOK OK-RE NEXTRA EXTRA-RE AFTER TAG: NOK clients
# from SOURCE, one after the other, must each get a first line matching
# OK-RE, then NEXTRA more one matching EXTRA-RE (and are closed). AFTER:
# "quit" sends QUIT on each at once; "hold" keeps them open until
# $WORK/release-TAG exists, then QUIT; "term" waits on each for a
# "421 4.3.2" and the close. $WORK/answered-TAG once all have a line.
cat >"$WORK/sessions.py" <<'PY'
import os, re, socket, sys, time
(port, src, nok, okre, nextra, extrare, after, tag, work) = sys.argv[1:]
port, nok, nextra = int(port), int(nok), int(nextra)
def line(s, buf):
    while b"\r\n" not in buf[0]:
        data = s.recv(4096)
        if not data:
            return "(closed: %r)" % buf[0]
        buf[0] += data
    l, buf[0] = buf[0].split(b"\r\n", 1)
    return l.decode("latin-1")
bad, held = 0, []
for i in range(nok + nextra):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(20)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    buf = [b""]
    l = line(s, buf)
    want = okre if i < nok else extrare
    good = re.match(want, l) is not None
    bad += not good
    print("%2d %s %s" % (i, "ok " if good else "BAD", l), flush=True)
    if i >= nok:
        s.close()
    elif after == "quit":
        s.sendall(b"QUIT\r\n")
        l = line(s, buf)
        bad += not l.startswith("221")
        s.close()
    else:
        held.append((s, buf))
open("%s/answered-%s" % (work, tag), "w").close()
if after == "hold":
    while not os.path.exists("%s/release-%s" % (work, tag)):
        time.sleep(0.05)
    for s, buf in held:
        s.sendall(b"QUIT\r\n")
        l = line(s, buf)
        if not l.startswith("221"):
            print("BAD after QUIT: %s" % l)
            bad += 1
elif after == "term":
    for s, buf in held:
        l = line(s, buf)
        if not l.startswith("421 4.3.2"):
            print("BAD at shutdown: %s" % l)
            bad += 1
        if s.recv(100) != b"":
            print("BAD: not closed after the 421")
            bad += 1
sys.exit(1 if bad else 0)
PY

# sessions ... (in the foreground, for "quit"); sessions_bg: the same in
# the background, BG_PID set.
sessions() {
	local tag=$8 st=0
	note "--- sessions $tag"
	"$PYTHON" "$WORK/sessions.py" "$@" "$WORK" >"$WORK/sessions-$tag.out" \
	    2>&1 </dev/null || st=$?
	sed 's/^/    /' "$WORK/sessions-$tag.out"
	[ "$st" -eq 0 ] || fail "sessions $tag exited $st"
}
sessions_bg() {
	bg "sessions-$8" "$PYTHON" "$WORK/sessions.py" "$@" "$WORK"
}

# workers_from LINE: the distinct worker=N of connect lines from LINE on.
workers_from() {
	tail -n +"$1" "$PROXY_LOG" | grep -Eo 'event=connect .* worker=[0-9]+' |
	    grep -Eo 'worker=[0-9]+$' | sort -u | tr '\n' ' '
}
lines() { wc -l <"$PROXY_LOG"; }

check "1: two workers, each listening on every address"
wait_log 'event=workers workers=2 source=config cpus=[0-9]+ scanners=[0-9]+'
wait_until 10 log_at_least 2 "listening on 127\\.0\\.0\\.1:$PORT_B\$" ||
    fail "not two listeners on $PORT_B"
assert_eq 2 "$(log_count "listening on 127\\.0\\.0\\.1:$PROXY_PORT\$")" \
    "listeners on $PROXY_PORT"

check "2: sessions land on both workers"
mark=$(lines)
sessions "$PROXY_PORT" 127.0.0.1 40 '^220 ' 0 '' quit spread
wait_until 10 log_at_least 40 'event=close' || fail "40 sessions not closed"
assert_eq "worker=0 worker=1 " "$(workers_from "$mark")" "workers used"

check "3: max_sessions_per_client and max_sessions over both workers"
mark=$(lines)
TOO_MANY='^421 4\.7\.0 \S+ Too many connections, try again later$'
sessions_bg "$PROXY_PORT" 127.0.0.1 16 '^220 ' 2 "$TOO_MANY" hold one
ONE_PID=$BG_PID
wait_until 30 test -e "$WORK/answered-one" || fail "client one not answered"
sessions_bg "$PORT_B" 127.0.0.2 4 '^220 ' 2 "$TOO_MANY" hold two
TWO_PID=$BG_PID
wait_until 30 test -e "$WORK/answered-two" || fail "client two not answered"
assert_eq "worker=0 worker=1 " "$(workers_from "$mark")" \
    "workers of the held sessions"
assert_eq 2 "$(log_count 'event=refused reason="max_sessions_per_client"')" \
    "refusals by max_sessions_per_client"
assert_eq 2 "$(log_count 'event=refused reason="max_sessions"')" \
    "refusals by max_sessions"
touch "$WORK/release-one" "$WORK/release-two"
client_wait sessions-one "$ONE_PID"
client_wait sessions-two "$TWO_PID"
wait_until 10 log_at_least 60 'event=close' || fail "60 sessions not closed"

check "4: SIGUSR1 sums the counters over the workers"
kill -USR1 "$SIG_PID"
wait_log 'event=counters sessions=60 active=0 refused=4 '

check "5: a reload reaches both workers"
conf "$AB" mask >"$PROXY_CONF"
kill -HUP "$SIG_PID"
wait_log 'event=reloaded'
mark=$(lines)
sessions "$PROXY_PORT" 127.0.0.1 40 '^220 \*+$' 0 '' quit masked
assert_eq "worker=0 worker=1 " "$(workers_from "$mark")" \
    "workers with the masked banner"

check "6: a reload adds a listener and removes one; its open session finishes"
# A message half sent on port B across the reload.
printf 'Subject: across the reload\r\n\r\nfirst half\r\n' >"$WORK/half1"
printf 'second half\r\n.\r\n' >"$WORK/half2"
msgs=$(sink_count)
client_bg across --port "$PORT_B" 'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<across@example.org>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' "sendfile:$WORK/half1" 'sleep:3' \
    "sendfile:$WORK/half2" 'expect:^250 ' 'send:QUIT\r\n' 'expect:^221' \
    'eof'
ACROSS_PID=$BG_PID
wait_until 10 grep -q 'S: 354' "$WORK/across.out" ||
    fail "the message across the reload not started"
reloads=$(log_count 'event=reloaded')
conf "$AC" mask >"$PROXY_CONF"
kill -HUP "$SIG_PID"
wait_until 10 log_at_least $((reloads + 1)) 'event=reloaded' ||
    fail "second reload not logged"
wait_until 10 log_at_least 2 "event=listen-closed addr=127\\.0\\.0\\.1:$PORT_B\$" ||
    fail "port $PORT_B not closed by both workers"
wait_until 10 log_at_least 2 "listening on 127\\.0\\.0\\.1:$PORT_C\$" ||
    fail "port $PORT_C not opened by both workers"
is_listening "$PORT_B" && fail "still listening on $PORT_B"
ok "nothing listens on $PORT_B"
"$PYTHON" - "$PORT_B" <<'PY' || fail "a connection to the removed port was accepted"
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)
PY
ok "connection to $PORT_B refused"
client new-port --port "$PORT_C" 'expect:^220 \*+$' 'send:QUIT\r\n' \
    'expect:^221'
client_wait across "$ACROSS_PID"
wait_until 10 sink_has $((msgs + 1)) ||
    fail "the message across the reload not delivered"
grep -q 'second half' "$SINK_DIR"/* ||
    fail "the sink has not the whole message across the reload"
ok "the session on the removed port delivered its message"

check "7: a broken file changes nothing"
printf 'listen = { "127.0.0.1:%s" }\nmode = "bogus"\n' "$PORT_B" \
    >"$PROXY_CONF"
kill -HUP "$SIG_PID"
wait_log 'reload-failed'
assert_grep "$PROXY_LOG" 'proxy-[0-9]+\.conf:2: .*mode' "reload error names file:line"
is_listening "$PORT_B" && fail "the broken file opened $PORT_B"
client kept --port "$PORT_C" 'expect:^220 \*+$' 'send:QUIT\r\n' 'expect:^221'

check "8: SIGTERM with sessions on both workers"
mark=$(lines)
sessions_bg "$PROXY_PORT" 127.0.0.1 16 '^220 ' 0 '' term held
HELD_PID=$BG_PID
wait_until 30 test -e "$WORK/answered-held" || fail "held sessions not answered"
assert_eq "worker=0 worker=1 " "$(workers_from "$mark")" \
    "workers of the sessions at shutdown"
kill -TERM "$SIG_PID"
wait_log 'event=shutdown signal=15 sessions=16 '
client_wait sessions-held "$HELD_PID"
wait_log 'event=shutdown-grace-over sessions=16'
wait_pid_exit "$PROXY_PID" 15 || fail "proxy did not exit after the grace"
st=0
wait "$PROXY_PID" || st=$?
PROXY_PID=""
assert_eq 0 "$st" "exit status after SIGTERM"
assert_grep "$PROXY_LOG" 'event=stop' "stop logged"
pass
