#!/bin/bash
# 45-av-latency (SPEC §4.6: libclamav runs on worker threads, never on
# the event loop): while one session streams a 20 MB message that the
# libclamav back end then scans, the other sessions are served promptly.
# The proxy relays to smtp-sink.
#  - a probe session, open before, does 20 NOOP round trips while idle
#    (the baseline), then NOOP round trips every 10 ms from the moment
#    the big message starts until its verdict, and every 250 ms a new
#    connection measures the time to its greeting;
#  - the scan window is read from the proxy's log: from the end of data
#    ("state body -> ready") to the verdict (event=message); at least 20
#    NOOP round trips must fall inside it, and the slowest NOOP reply and
#    the slowest greeting while the big message was in flight must be
#    under MAX_LATENCY (1 s);
#  - the big message is delivered; the same message with EICAR attached
#    after its 15 MB attachment is refused (so the 20 MB were scanned
#    whole, not skipped).
# The figures (median, 95th percentile, max) are printed.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd smtp-sink postfix
MAX_LATENCY=${MAX_LATENCY:-1.0}
MIN_IN_SCAN=20
FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" "$FX" || fail "avfixtures.py failed"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" --big 20000000 "$FX/big.eml" ||
    fail "avfixtures.py --big failed"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" --big-eicar 20000000 \
    "$FX/big-eicar.eml" || fail "avfixtures.py --big-eicar failed"
note "big message: $(wc -c <"$FX/big.eml") bytes"
mkdir -m 700 "$WORK/spool"

start_sink
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$SINK_ADDR\"
spool_dir = \"$WORK/spool\"
antivirus {
	enabled = true
	database = \"$FX/db\"
	threads = 2
}"

# The probe: baseline NOOPs, then NOOPs and greetings until DONE exists.
cat >"$WORK/probe.py" <<'EOF'
import json, os, socket, sys, time
port, start, done, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
LIMIT = 90


def reply(s, buf):
    """One whole reply; returns (last line, rest of the buffer)."""
    while True:
        while b"\r\n" not in buf:
            x = s.recv(4096)
            if not x:
                raise SystemExit("connection closed")
            buf += x
        line, buf = buf.split(b"\r\n", 1)
        if line[3:4] != b"-":
            return line, buf


def greeting():
    t0 = time.time()
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    line, _ = reply(s, b"")
    dt = time.time() - t0
    if not line.startswith(b"220"):
        raise SystemExit("greeting: %r" % line)
    s.sendall(b"QUIT\r\n")
    s.close()
    return t0, dt


s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b""
line, buf = reply(s, buf)
s.sendall(b"EHLO probe.test\r\n")
line, buf = reply(s, buf)


def noop():
    global buf
    t0 = time.time()
    s.sendall(b"NOOP\r\n")
    line, buf = reply(s, buf)
    if not line.startswith(b"250"):
        raise SystemExit("NOOP: %r" % line)
    return t0, time.time() - t0


res = {"baseline": [noop()[1] for _ in range(20)], "noop": [],
       "greeting": []}
open(out + ".ready", "w").close()
deadline = time.time() + LIMIT
while not os.path.exists(start):
    if time.time() > deadline:
        raise SystemExit("the big message never started")
    time.sleep(0.005)
last_greeting = 0
while not os.path.exists(done) and time.time() < deadline:
    res["noop"].append(noop())
    if time.time() - last_greeting > 0.25:
        res["greeting"].append(greeting())
        last_greeting = time.time()
    time.sleep(0.01)
res["done"] = time.time()
s.sendall(b"QUIT\r\n")
json.dump(res, open(out, "w"))
EOF

bg probe "$PYTHON" "$WORK/probe.py" "$PROXY_PORT" "$WORK/big-start" \
    "$WORK/big-done" "$WORK/probe.json"
PROBE_PID=$BG_PID
wait_until 15 test -e "$WORK/probe.json.ready" || fail "the probe did not start"

# ---------------------------------------------------------------------
check "a 20 MB message streamed and scanned while the probe measures"
client big --timeout 60 \
    'expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<big@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "touch:$WORK/big-start" "sendfile:$FX/big.eml.wire" \
    "touch:$WORK/big-sent" 'expect:^250 ' "touch:$WORK/big-done" \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait "$PROBE_PID" || { cat "$WORK/probe.out"; fail "the probe failed"; }
check_proxy_alive
wait_until 20 sink_has 1 || fail "the big message was not delivered"
wait_log 'event=message from=<big@example\.com> .*verdict=accept'
assert_no_grep "$PROXY_LOG" 'alarm=smtp:252' "proxy log (the message was scanned)"

# The scan window, from the proxy's log (HH:MM:SS.mmm, local time).
big_sid=$(sed -nE 's/.*session=([0-9a-f]+) event=message from=<big@example\.com>.*/\1/p' \
    "$PROXY_LOG" | head -n 1)
[ -n "$big_sid" ] || fail "no session id for the big message"
eod=$(sed -nE "s/^([0-9:.]+) .*session=$big_sid state body -> ready.*/\\1/p" \
    "$PROXY_LOG" | head -n 1)
verdict=$(sed -nE "s/^([0-9:.]+) .*session=$big_sid event=message .*/\\1/p" \
    "$PROXY_LOG" | head -n 1)
[ -n "$eod" ] && [ -n "$verdict" ] ||
    fail "no end of data or verdict time for session $big_sid in the log"

report=$("$PYTHON" - "$WORK/probe.json" "$eod" "$verdict" "$MAX_LATENCY" \
    "$MIN_IN_SCAN" "$WORK/big-start" <<'EOF'
import datetime, json, os, statistics, sys
res = json.load(open(sys.argv[1]))
lim, need = float(sys.argv[4]), int(sys.argv[5])
start = os.stat(sys.argv[6]).st_mtime


def sod(hms):
    h, m, s = hms.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def local_sod(t):
    d = datetime.datetime.fromtimestamp(t)
    return d.hour * 3600 + d.minute * 60 + d.second + d.microsecond / 1e6


eod, verdict = sod(sys.argv[2]), sod(sys.argv[3])
if verdict < eod:
    verdict += 86400
scan = [(t, dt) for t, dt in res["noop"]
        if local_sod(t) + dt >= eod - 0.001 and local_sod(t) <= verdict + 0.001]


def fig(xs):
    xs = sorted(xs)
    if not xs:
        return "n=0"
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    return "n=%d median=%.2fms p95=%.2fms max=%.2fms" % (
        len(xs), statistics.median(xs) * 1e3, p95 * 1e3, xs[-1] * 1e3)


print("scan window (end of data -> verdict): %.3fs" % (verdict - eod))
print("big message in flight (DATA -> verdict): %.3fs" % (res["done"] - start))
print("NOOP idle baseline:         " + fig(res["baseline"]))
print("NOOP while in flight:       " + fig([d for _, d in res["noop"]]))
print("NOOP during the scan:       " + fig([d for _, d in scan]))
print("greeting while in flight:   " + fig([d for _, d in res["greeting"]]))
bad = []
if len(scan) < need:
    bad.append("only %d NOOP round trips inside the scan window (need %d)"
               % (len(scan), need))
worst = max([d for _, d in res["noop"]] or [0])
if worst >= lim:
    bad.append("slowest NOOP reply %.3fs >= %.3fs" % (worst, lim))
worstg = max([d for _, d in res["greeting"]] or [0])
if worstg >= lim:
    bad.append("slowest greeting %.3fs >= %.3fs" % (worstg, lim))
if not res["greeting"]:
    bad.append("no greeting measured while the message was in flight")
for b in bad:
    print("BAD: " + b)
sys.exit(1 if bad else 0)
EOF
) || { printf '%s\n' "$report"; fail "latency: $(printf '%s\n' "$report" | grep '^BAD' | tr '\n' ' ')"; }
printf '%s\n' "$report" | sed 's/^/    /'
ok "NOOP replies and greetings under ${MAX_LATENCY}s while the 20 MB message was scanned"

# ---------------------------------------------------------------------
check "the same 20 MB message with EICAR after the attachment: refused"
client big-eicar --timeout 60 \
    'expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<big-eicar@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' "sendfile:$FX/big-eicar.eml.wire" \
    'expect:^554 5\.7\.1 Virus found: Eicar-Test-Signature(\.UNOFFICIAL)?$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
check_proxy_alive
sleep 0.5
assert_eq 1 "$(sink_count)" "messages at the sink"
pass
