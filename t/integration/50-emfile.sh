#!/bin/bash
# 50-emfile (SPEC §5 limits): out of descriptors, the proxy still answers,
# backs off and never spins. The proxy runs with "ulimit -n 64" (63 if
# that leaves an odd number free, see below) in relay mode to smtp-sink,
# max_sessions set above what that holds;
# a python client opens 200 connections at once and holds them:
#  1. every client gets a first line, either the sink's greeting through
#     the proxy ("220 ") or a refusal ("421 "), none is left without a
#     byte;
#  2. accept(2) failed with EMFILE, and the proxy's log has at most a few
#     "event=accept-error" lines over the run (once a second at most);
#  3. while the connections are held, the proxy uses next to no CPU time
#     (utime + stime from /proc/PID/stat over 3 s: no busy loop);
#  4. once the clients are gone, a message goes through with swaks.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

NCLIENTS=200
start_sink
free_port PROXY_PORT
# Soft and hard: the proxy raises its soft limit to the hard one.
prlimit --nofile=64:64 true || skip "cannot lower the descriptor limit"
saved_ns=("${IN_NS[@]}")
IN_NS=(prlimit --nofile=64:64 -- "${saved_ns[@]}")
# max_sessions set in the file: kept above what 64 descriptors hold
# (a default would be lowered to fit, see 58-fd-limit), so that the
# descriptors do run out.
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$SINK_ADDR\"
max_sessions = 10000"
IN_NS=("${saved_ns[@]}")
SIG_PID=$(pgrep -P "$PROXY_PID" | head -n 1)
[ -n "$SIG_PID" ] || fail "cannot find the proxy process under $PROXY_PID"
# A session takes two descriptors (client, upstream). With an odd number
# left, the last one lets accept(2) succeed and the upstream connection
# fail, so that nothing ever waits for a descriptor; with an even number
# the held sessions take them all and accept(2) fails with EMFILE while
# connections wait in the backlog, which is the case to test.
# The limit is on descriptor numbers: count those below it only.
nfd=$(find "/proc/$SIG_PID/fd" -mindepth 1 -printf '%f\n' |
    awk '$1 < 64' | wc -l)
limit=64
[ $(((limit - nfd) % 2)) -eq 0 ] || limit=63
prlimit --pid "$SIG_PID" --nofile="$limit:" ||
    fail "prlimit --nofile=$limit failed"
note "the proxy has $nfd descriptors open at start, limit $limit"
assert_eq "$limit" "$(awk '/^Max open files/ { print $4 }' \
    "/proc/$SIG_PID/limits")" "the proxy's descriptor limit"

# cpu_ticks: utime + stime of the proxy, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$SIG_PID/stat"
}

cat >"$WORK/many.py" <<'EOF'
import json, os, selectors, socket, sys, time
port, n, answered, release, out = (int(sys.argv[1]), int(sys.argv[2]),
                                   sys.argv[3], sys.argv[4], sys.argv[5])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setblocking(False)
    socks.append(s)
sel = selectors.DefaultSelector()
bufs = {}
for s in socks:
    sel.register(s, selectors.EVENT_READ)
    bufs[s] = b""
first = {}
deadline = time.time() + 30
while len(first) < n and time.time() < deadline:
    for key, _ in sel.select(timeout=0.5):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except ConnectionError:
            data = b""
        if data:
            bufs[s] += data
            if b"\r\n" in bufs[s]:
                first[s] = bufs[s].split(b"\r\n")[0].decode("latin-1")
                sel.unregister(s)
        else:
            first[s] = "(closed without a byte)"
            sel.unregister(s)
res = {"220": 0, "421": 0, "other": [], "none": n - len(first)}
for line in first.values():
    code = line[:4]
    if code == "220 ":
        res["220"] += 1
    elif code == "421 ":
        res["421"] += 1
        res.setdefault("421-lines", {}).setdefault(line, 0)
        res["421-lines"][line] += 1
    else:
        res["other"].append(line)
json.dump(res, open(out, "w"), indent=1)
open(answered, "w").close()
deadline = time.time() + 60
while not os.path.exists(release) and time.time() < deadline:
    time.sleep(0.05)
for s in socks:
    s.close()
EOF

check "$NCLIENTS connections at once to a proxy with 64 descriptors"
t0=$(date +%s.%N)
bg many "$PYTHON" "$WORK/many.py" "$PROXY_PORT" "$NCLIENTS" \
    "$WORK/answered" "$WORK/release" "$WORK/many.json"
MANY_PID=$BG_PID
wait_until 40 test -e "$WORK/answered" || fail "the clients did not finish"
t1=$(date +%s.%N)
cat "$WORK/many.json"
check_proxy_alive

check "the connections held for 3 s: no busy loop"
c0=$(cpu_ticks)
sleep 3
c1=$(cpu_ticks)
hz=$(getconf CLK_TCK)
cpu_ms=$(( (c1 - c0) * 1000 / hz ))
note "proxy CPU time over 3 s with $NCLIENTS connections held: ${cpu_ms} ms"
[ "$cpu_ms" -lt 300 ] || fail "the proxy used ${cpu_ms} ms of CPU in 3 s"
ok "CPU ${cpu_ms} ms < 300 ms"
touch "$WORK/release"
wait "$MANY_PID" || fail "the client script failed"

check "every client got a greeting or a 421"
read -r n220 n421 nother nnone < <("$PYTHON" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(r["220"], r["421"], len(r["other"]), r["none"])' "$WORK/many.json")
note "answered in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s: $n220 greetings, $n421 refusals"
assert_eq 0 "$nnone" "clients without a first line"
assert_eq 0 "$nother" "clients with another first line"
assert_eq "$NCLIENTS" $((n220 + n421)) "greetings and refusals"
[ "$n220" -gt 0 ] || fail "no client got a greeting"
[ "$n421" -gt 0 ] || fail "no client got a 421"
ok "$n220 + $n421 = $NCLIENTS"
# The refusal of the reserve descriptor, or a session's own when its
# upstream connection found no descriptor.
"$PYTHON" -c 'import json, re, sys
r = json.load(open(sys.argv[1]))
bad = [l for l in r.get("421-lines", {}) if not re.match(
    r"421 4\.7\.0 \S+ Too many connections, try again later$|421 4\.4\.1 ", l)]
sys.exit("unexpected refusals: %r" % bad if bad else 0)' "$WORK/many.json" ||
    fail "a refusal with another text"
ok "421 4.7.0 Too many connections, try again later"

check "the log: EMFILE seen, and logged once a second at most"
wait_log 'event=accept-error error="Too many open files"'
nerr=$(log_count 'event=accept-error')
note "accept-error lines: $nerr"
grep 'event=accept-error' "$PROXY_LOG" | sed 's/^/    /'
[ "$nerr" -le 6 ] || fail "$nerr accept-error lines"
ok "$nerr accept-error lines"

check "after the clients are gone, mail goes through"
msgs=$(sink_count)
swaks_run after --to rcpt@example.net --from sender@example.com
wait_until 10 sink_has $((msgs + 1)) || fail "the message did not reach the sink"
ok "delivered"
pass
