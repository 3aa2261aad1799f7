#!/bin/bash
# 48-av-reload-race (SPEC §2 signals, §4.6; STYLE 17): a scan job owns
# the configuration it reads. The clamd back end with two servers: first
# a slow fake clamd (python, speaking INSTREAM) that takes the whole
# stream, holds it until the test says so and then closes without an
# answer, then a real clamd. The client sends a message and leaves right
# after the end of data, so the job outlives its session; the
# configuration file is changed and the proxy gets SIGHUP while the scan
# is in flight ("event=reloaded": the old configuration has no session
# left). Then the slow server lets go: the worker thread logs the failed
# server by name and fails over to the next one of the old
# configuration's list, which the real clamd answers. A job that only
# borrowed the configuration reads freed memory there (the sanitizer
# build reports it in the proxy log, which fails the test). After that,
# a message through the new configuration is scanned and delivered.
# Skipped (77) without /usr/sbin/clamd (Debian package clamav-daemon).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

CLAMD=${CLAMD:-/usr/sbin/clamd}
[ -x "$CLAMD" ] || skip "$CLAMD not found (Debian package clamav-daemon)"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" "$FX" || fail "avfixtures.py failed"
mkdir -p "$WORK/clamd"
mkdir -m 700 "$WORK/spool"

# ---------------------------------------------------------------------
check "starting clamd"
start_clamd "$FX/db" "LogClean yes"
ok "clamd answers"

# The slow one: reads one INSTREAM to its zero-length chunk, touches
# GOT, waits for RELEASE, closes without an answer; then serves the
# next connection the same way.
SLOW_SOCK="$WORK/slow.sock"
cat >"$WORK/slowclamd.py" <<'EOF'
import os, socket, struct, sys, time
path, got, release = sys.argv[1], sys.argv[2], sys.argv[3]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(8)
print("ready", flush=True)


def read(c, n):
    b = b""
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            raise EOFError
        b += x
    return b


while True:
    c, _ = srv.accept()
    try:
        cmd = b""
        while not cmd.endswith(b"\0"):
            cmd += read(c, 1)
        total = 0
        while True:
            n = struct.unpack("!I", read(c, 4))[0]
            if n == 0:
                break
            read(c, n)
            total += n
        print("stream %r %d bytes" % (cmd, total), flush=True)
        open(got, "w").close()
        deadline = time.time() + 60
        while not os.path.exists(release) and time.time() < deadline:
            time.sleep(0.05)
        print("closing without an answer", flush=True)
    except EOFError:
        pass
    c.close()
EOF
bg slowclamd "$PYTHON" "$WORK/slowclamd.py" "$SLOW_SOCK" "$WORK/got" \
    "$WORK/release"
wait_until 10 test -S "$SLOW_SOCK" || fail "the slow clamd did not start"

start_sink
free_port PROXY_PORT
# conf BANNER-MODE: the slow server first, then the real one.
conf() {
	printf '%s\n' "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$SINK_ADDR\"
spool_dir = \"$WORK/spool\"
banner { mode = \"$1\" }
antivirus {
	enabled = true
	backend = \"clamd\"
	clamd = { \"$SLOW_SOCK\", \"$CLAMD_SOCK\" }
}"
}
start_proxy "$(conf pass)"
# PROXY_PID is timeout(1): signal the proxy itself (see 15-signals).
SIG_PID=$(pgrep -P "$PROXY_PID" | head -n 1)
[ -n "$SIG_PID" ] || fail "cannot find the proxy process under $PROXY_PID"

# ---------------------------------------------------------------------
check "the client leaves right after the end of data"
client gone --timeout 20 'expect:^220 [^*]' 'send:EHLO client.test\r\n' \
    'expect:^250 ' 'send:MAIL FROM:<gone@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' "sendfile:$FX/clean.wire"
wait_until 15 test -e "$WORK/got" ||
    fail "the slow clamd did not get the message"
ok "the scan is in flight on a worker thread"
wait_log 'event=close .*reason=' 10
check_proxy_alive

check "SIGHUP with a changed file while the scan is in flight"
conf mask >"$PROXY_CONF"
kill -HUP "$SIG_PID" || fail "cannot signal the proxy"
wait_log 'event=reloaded' 15
# Nothing holds the old configuration now but the scan job.
sleep 0.3
touch "$WORK/release"
# slow_done: the job went on past the slow server, or the proxy is gone.
slow_done() {
	! kill -0 "$PROXY_PID" 2>/dev/null ||
	    grep -q "clamd server=\"$SLOW_SOCK\" error=" "$PROXY_LOG"
}
wait_until 15 slow_done
check_sanitizers
check_proxy_alive
wait_log "clamd server=\"$SLOW_SOCK\" error=\"connection closed without an answer\""
# The failover reached the real clamd, from the old configuration's list.
wait_until 15 grep -q ': OK' "$WORK/clamd/clamd.log" ||
    fail "the real clamd did not scan the message"
ok "the job failed over to the real clamd"
sleep 0.5
check_proxy_alive

check "the new configuration serves: masked banner, scanned, delivered"
rm -f "$WORK/release"
msgs=$(sink_count)
(sleep 1; touch "$WORK/release") &
TOUCH_PID=$!
client after --timeout 30 'expect:^220 \*+$' 'send:EHLO client.test\r\n' \
    'expect:^250 ' 'send:MAIL FROM:<after@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' "sendfile:$FX/clean.wire" \
    'expect:^250 ' 'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait "$TOUCH_PID"
wait_until 10 sink_has $((msgs + 1)) || fail "the message was not delivered"
ok "delivered"
assert_no_grep "$PROXY_LOG" 'clamd server="[^"/]' "proxy log (server names)"
pass
