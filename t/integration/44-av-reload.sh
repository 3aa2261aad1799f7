#!/bin/bash
# 44-av-reload (SPEC §4.6, §2 signals): signatures reload on SIGHUP
# without stopping traffic. The libclamav back end with a database
# directory of the test (the EICAR .ndb and one .hdb signature), the
# proxy relaying to recorder.py:
#  1. before: a file with no signature yet (newfile.bin) is delivered,
#     EICAR is refused;
#  2. a new .hdb signature for newfile.bin is added to the directory and
#     the proxy gets SIGHUP: "event=reloaded signatures=3" is logged and
#     newfile.bin is refused with "554 5.7.1 Virus found:
#     New-File-Signature"; a session opened before the reload and still
#     open goes on undisturbed; EICAR is still refused;
#  3. a malformed signature file is added and the proxy gets SIGHUP:
#     "event=reload-failed" is logged with the error naming the database,
#     and the running signatures stay: EICAR and newfile.bin are still
#     refused, a clean message is delivered;
#  4. a reload that takes a while (the broken file replaced by 600000
#     generated signatures) does not stop traffic: a session does NOOP
#     round trips every 10 ms from before the SIGHUP to "event=reloaded";
#     at least 5 fall between "event=reload" and "event=reloaded" in the
#     log and the slowest reply is under 1 s; then the new signatures are
#     in force (signatures=600003) and EICAR is still refused.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" "$FX" || fail "avfixtures.py failed"
mkdir -p "$WORK/db"
mkdir -m 700 "$WORK/spool"
cp "$FX/db/test.ndb" "$FX/db/test.hdb" "$WORK/db/"
EICAR_RE='Eicar-Test-Signature(\.UNOFFICIAL)?'
NEW_RE='New-File-Signature(\.UNOFFICIAL)?'

STEPS=()
start_recorder
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
antivirus {
	enabled = true
	database = \"$WORK/db\"
}"
wait_log 'event=signatures-loaded count=2( |$)'
# PROXY_PID is timeout(1): signal the proxy itself (see 15-signals).
SIG_PID=$(pgrep -P "$PROXY_PID" | head -n 1)
[ -n "$SIG_PID" ] || fail "cannot find the proxy process under $PROXY_PID"

# round NAME NEWFILE-REPLY-REGEX: newfile.bin, EICAR, a clean message.
round() {
	local name=$1 want=$2 msgs newok=0
	msgs=$(rec_msgs)
	case $want in ^250*) newok=1 ;; esac
	STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
	txn "new-$name@example.com" "$FX/new-file.wire" "$want"
	txn "eicar-$name@example.com" "$FX/eicar-zip.wire" \
	    "^554 5\\.7\\.1 Virus found: $EICAR_RE\$"
	txn "clean-$name@example.com" "$FX/clean.wire" \
	    '^250 2\.0\.0 Ok: queued as [0-9]+$'
	STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
	client "$name" --timeout 20 "${STEPS[@]}"
	check_proxy_alive
	wait_until 10 rec_has $((msgs + 1 + newok)) ||
	    fail "$name: messages not delivered"
	sleep 0.3
	assert_eq $((msgs + 1 + newok)) "$(rec_msgs)" "$name: messages at the upstream"
	assert_no_grep "$REC_DIR/events" "from=<eicar-$name@" "$name: upstream events"
	if [ "$newok" = 1 ]; then
		assert_files_equal "$FX/new-file.eml" \
		    "$REC_DIR/msg-$((msgs + 1)).eml" "$name: newfile.bin delivered"
	else
		assert_no_grep "$REC_DIR/events" "from=<new-$name@" \
		    "$name: upstream events"
	fi
}

# ---------------------------------------------------------------------
check "1: before the reload: newfile.bin passes, EICAR is refused"
round before '^250 2\.0\.0 Ok: queued as [0-9]+$'

# ---------------------------------------------------------------------
check "2: a new signature and SIGHUP: newfile.bin is refused"
# A session open across the reload.
client_bg across 'expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ' \
    "touch:$WORK/across-open" "waitfile:$WORK/reloaded" \
    'send:NOOP\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<across@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' "sendfile:$FX/clean2.wire" \
    'expect:^250 2\.0\.0 Ok: queued as [0-9]+$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
ACROSS_PID=$BG_PID
wait_until 10 test -e "$WORK/across-open" || fail "the open session did not start"
cp "$FX/new.hdb" "$WORK/db/new.hdb"
kill -HUP "$SIG_PID" || fail "cannot signal the proxy"
wait_log 'event=reloaded signatures=3( |$)' 15
touch "$WORK/reloaded"
client_wait across "$ACROSS_PID"
assert_grep "$REC_DIR/events" 'from=<across@example\.com>' \
    "the session open across the reload delivered"
round after '^554 5\.7\.1 Virus found: '"$NEW_RE"'$'
wait_log "event=antivirus virus=\"$NEW_RE\""
wait_log "event=message from=<new-after@example\\.com> .*verdict=reject reply=\"554 5\\.7\\.1 Virus found: $NEW_RE\""

# ---------------------------------------------------------------------
check "3: a broken signature file and SIGHUP: the running ones stay"
cp "$FX/broken.ndb" "$WORK/db/broken.ndb"
kill -HUP "$SIG_PID" || fail "cannot signal the proxy"
wait_log 'event=reload-failed' 15
assert_grep "$PROXY_LOG" "antivirus: .*$WORK/db" "reload error names the database"
assert_eq 1 "$(log_count 'event=reloaded ')" "event=reloaded lines"
round broken '^554 5\.7\.1 Virus found: '"$NEW_RE"'$'

# ---------------------------------------------------------------------
check "4: a slow reload (600000 signatures) does not stop traffic"
rm -f "$WORK/db/broken.ndb"
"$PYTHON" - "$WORK/db" <<'EOF' || fail "cannot generate the signatures"
import random, sys
r = random.Random(99)
with open(sys.argv[1] + "/many.hdb", "w") as f:
    for i in range(500000):
        f.write("%032x:%d:Many-H-%d\n" % (r.getrandbits(128), 5000 + i, i))
with open(sys.argv[1] + "/many.ndb", "w") as f:
    for i in range(100000):
        f.write("Many-N-%d:0:*:%016x%016x\n" % (i, r.getrandbits(64),
                                                r.getrandbits(64)))
EOF
# A session doing NOOP round trips every 10 ms until DONE exists.
cat >"$WORK/noops.py" <<'EOF'
import json, os, socket, sys, time
port, go, done, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b""


def reply():
    global buf
    while b"\r\n" not in buf:
        x = s.recv(4096)
        if not x:
            raise SystemExit("connection closed")
        buf += x
    line, buf = buf.split(b"\r\n", 1)
    return line


reply()
s.sendall(b"HELO probe.test\r\n")
reply()
open(go, "w").close()
res = []
deadline = time.time() + 60
while not os.path.exists(done) and time.time() < deadline:
    t0 = time.time()
    s.sendall(b"NOOP\r\n")
    if not reply().startswith(b"250"):
        raise SystemExit("NOOP refused")
    res.append((t0, time.time() - t0))
    time.sleep(0.01)
s.sendall(b"QUIT\r\n")
json.dump(res, open(out, "w"))
EOF
bg noops "$PYTHON" "$WORK/noops.py" "$PROXY_PORT" "$WORK/noops-go" \
    "$WORK/noops-done" "$WORK/noops.json"
NOOPS_PID=$BG_PID
wait_until 10 test -e "$WORK/noops-go" || fail "the NOOP session did not start"
sleep 0.2
kill -HUP "$SIG_PID" || fail "cannot signal the proxy"
wait_log 'event=reloaded signatures=600003( |$)' 40
touch "$WORK/noops-done"
wait "$NOOPS_PID" || { cat "$WORK/noops.out"; fail "the NOOP session failed"; }
t_hup=$(sed -nE 's/^([0-9:.]+) .*event=reload path=.*/\1/p' "$PROXY_LOG" |
    tail -n 1)
t_done=$(sed -nE 's/^([0-9:.]+) .*event=reloaded signatures=600003.*/\1/p' \
    "$PROXY_LOG" | tail -n 1)
[ -n "$t_hup" ] && [ -n "$t_done" ] || fail "no reload times in the log"
report=$("$PYTHON" - "$WORK/noops.json" "$t_hup" "$t_done" <<'EOF'
import datetime, json, statistics, sys
res = json.load(open(sys.argv[1]))


def sod(hms):
    h, m, s = hms.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def local_sod(t):
    d = datetime.datetime.fromtimestamp(t)
    return d.hour * 3600 + d.minute * 60 + d.second + d.microsecond / 1e6


a, b = sod(sys.argv[2]), sod(sys.argv[3])
if b < a:
    b += 86400
inside = sorted(dt for t, dt in res
                if local_sod(t) + dt >= a - 0.001 and local_sod(t) <= b + 0.001)
worst = max(dt for _, dt in res)
print("reload took %.3fs; NOOPs inside it: n=%d median=%.2fms max=%.2fms; "
      "slowest of all %d: %.2fms" % (
          b - a, len(inside),
          statistics.median(inside) * 1e3 if inside else 0,
          inside[-1] * 1e3 if inside else 0, len(res), worst * 1e3))
bad = []
if len(inside) < 5:
    bad.append("only %d NOOPs inside the reload" % len(inside))
if worst >= 1.0:
    bad.append("slowest NOOP %.3fs" % worst)
for x in bad:
    print("BAD: " + x)
sys.exit(1 if bad else 0)
EOF
) || fail "traffic during the reload: $report"
note "    $report"
ok "NOOPs answered promptly during the reload"
STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
txn eicar-slow@example.com "$FX/eicar-b64.wire" \
    "^554 5\\.7\\.1 Virus found: $EICAR_RE\$"
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
client after-slow --timeout 20 "${STEPS[@]}"
pass
