# shellcheck shell=bash disable=SC2034
# Shared helpers of the integration tests; every t/integration/NN-*.sh
# starts with
#
#	if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
#	. "$(dirname "$0")/lib.sh"
#
# Environment, set by "make check": SMTPPROXY (the binary), TOP_SRCDIR,
# TOP_BUILDDIR. Optional: PYTHON (default /usr/bin/python3), TEST_TIMEOUT
# (seconds for the whole test, default 150), KEEP_WORK=1 (keep the work
# directory: configurations, logs, recorded bytes, dumped messages),
# PROXY_WORKERS=N (start_proxy adds "workers = N" to every configuration
# and checks that the proxy runs N workers).
#
# Exit status: 0 pass, 77 skip, 1 fail. Every process a test starts is
# bounded by timeout(1) and stopped by the EXIT trap; a watchdog ends a
# test that runs longer than TEST_TIMEOUT. Only 127.0.0.0/8, in the
# default network namespace or in one the test creates, carries traffic.

set -u

TEST_NAME=$(basename "$0" .sh)
INTEGRATION_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${TOP_SRCDIR:=$(cd "$INTEGRATION_DIR/../.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR}"
: "${SMTPPROXY:=$TOP_BUILDDIR/src/smtpproxy}"
: "${TEST_TIMEOUT:=150}"
RECORDER="$INTEGRATION_DIR/recorder.py"
SMTPCLIENT="$INTEGRATION_DIR/smtpclient.py"

# Upper bound for anything left running in the background.
BG_TIMEOUT=$((TEST_TIMEOUT + 30))

PIDS=()			# background processes: "pid name"
IN_NS=()		# command prefix that runs inside the test's netns
NETNS=""		# network namespaces to delete on exit (names, spaces between)
PROXY_PID=""
PROXY_N=0
PROXY_LOG=/dev/null
PROXY_CONF=""
WATCHDOG=""

note() { printf '%s\n' "$*"; }
check() { printf '\n=== %s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }

skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# Print a file for the failure report, control bytes escaped.
dump_file() {
	local f=$1
	[ -e "$f" ] || return 0
	printf -- '----- %s (%s bytes) -----\n' "${f#"$WORK"/}" \
	    "$(wc -c <"$f")"
	"$PYTHON" - "$f" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
if len(data) > 60000:
    print("(first 20000 and last 20000 bytes)")
    data = data[:20000] + b"\n[...]\n" + data[-20000:]
for line in data.split(b"\n"):
    s = "".join(chr(b) if 0x20 <= b < 0x7f else
                {13: "\\r", 9: "\\t"}.get(b, "\\x%02x" % b) for b in line)
    print(s)
EOF
}

# fail MESSAGE: report, dump what the test saw, exit 1.
fail() {
	local f
	printf '\nFAIL: %s: %s\n' "$TEST_NAME" "$*"
	printf '\n##### what the test saw (KEEP_WORK=1 keeps %s) #####\n' "$WORK"
	for f in "$WORK"/proxy-*.conf "$WORK"/proxy-*.log "$WORK"/*.out \
	    "$WORK"/rec*/events "$WORK"/rec*/connlog "$WORK"/rec*/*.raw \
	    "$WORK"/rec*/msg-*.eml; do
		[ -f "$f" ] && dump_file "$f"
	done
	for f in "$WORK"/sink*/; do
		[ -d "$f" ] && printf -- '----- %s: %s files\n' "$f" \
		    "$(find "$f" -type f | wc -l)"
	done
	exit 1
}

# ---------------------------------------------------------------------
# Set-up and clean-up.

if [ -x "${PYTHON:-/usr/bin/python3}" ]; then
	PYTHON=${PYTHON:-/usr/bin/python3}
elif command -v python3 >/dev/null 2>&1; then
	PYTHON=$(command -v python3)
else
	skip "python3 not found (Debian package python3)"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/smtpproxy-$TEST_NAME.XXXXXX") ||
    { echo "mktemp failed"; exit 1; }
# smtp-sink runs as nobody and must reach its dump directory.
chmod 755 "$WORK"

# at_exit COMMAND...: run COMMAND at clean-up, before the background
# processes are stopped (a daemon that forks away from its PID).
AT_EXIT=()
at_exit() {
	AT_EXIT+=("$(printf '%q ' "$@")")
}

cleanup() {
	local rc=$? entry pid i
	trap - EXIT INT TERM
	set +e
	for entry in "${AT_EXIT[@]}"; do
		eval "$entry" >/dev/null 2>&1
	done
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		entry=${PIDS[i]}
		pid=${entry%% *}
		kill -TERM "$pid" 2>/dev/null
	done
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		entry=${PIDS[i]}
		pid=${entry%% *}
		wait_pid_exit "$pid" 5 || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# Deleting a namespace drops its iptables rules too.
	for i in $NETNS; do
		ip netns delete "$i" 2>/dev/null
	done
	if [ -n "$WATCHDOG" ]; then
		kill -TERM "$WATCHDOG" 2>/dev/null
		wait "$WATCHDOG" 2>/dev/null
	fi
	# A failure has printed what it saw; KEEP_WORK=1 keeps the files.
	if [ -n "${KEEP_WORK:-}" ]; then
		printf 'work directory kept: %s\n' "$WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'fail "interrupted (watchdog: more than ${TEST_TIMEOUT}s, or a signal)"' \
    INT TERM

# The watchdog signals the test, then the test's children (the shell
# runs its trap only once the foreground command is over); the trap above
# reports and cleans up.
(
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "$TEST_TIMEOUT" &
	sp=$!
	wait "$sp"
	trap - TERM
	kill -TERM $$ 2>/dev/null
	for p in $(ps -o pid= --ppid $$ 2>/dev/null); do
		[ "$p" = "$BASHPID" ] || kill -TERM "$p" 2>/dev/null
	done
) </dev/null >/dev/null 2>&1 &
WATCHDOG=$!

# wait_pid_exit PID SECONDS: true once PID is gone.
wait_pid_exit() {
	local pid=$1 n=$(($2 * 10))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$n" -gt 0 ] || return 1
		n=$((n - 1))
		sleep 0.1
	done
	return 0
}

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1s; false on timeout.
wait_until() {
	local n=$(($1 * 10))
	shift
	until "$@"; do
		[ "$n" -gt 0 ] || return 1
		n=$((n - 1))
		sleep 0.1
	done
	return 0
}

# bg NAME COMMAND...: start COMMAND in the background (in the test's
# namespace if any), bounded by BG_TIMEOUT, output to $WORK/NAME.out.
# Sets BG_PID.
bg() {
	local name=$1
	shift
	"${IN_NS[@]}" timeout -k 5 "$BG_TIMEOUT" "$@" \
	    >"$WORK/$name.out" 2>&1 </dev/null &
	BG_PID=$!
	PIDS+=("$BG_PID $name")
}

require_cmd() {
	local c=$1 pkg=$2
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
	    skip "$c not found (Debian package $pkg)"
}

require_proxy() {
	[ -x "$SMTPPROXY" ] || fail "SMTPPROXY=$SMTPPROXY is not an executable"
}

# ---------------------------------------------------------------------
# Ports.

USED_PORTS=" "
# free_port VAR: set VAR to a TCP port that nothing listens on, below the
# ephemeral range so no outgoing connection takes it meanwhile, and not
# handed out before in this test.
free_port() {
	local p
	p=$("${IN_NS[@]}" "$PYTHON" - "$USED_PORTS" <<'EOF'
import random, socket, sys
used = set(int(x) for x in sys.argv[1].split())
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError):
    lo = 32768
hi = max(lo, 2048)
for _ in range(1000):
    port = random.randrange(1025, hi)
    if port in used:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    sys.exit("no free port")
EOF
) || fail "free_port: no free port"
	USED_PORTS="$USED_PORTS$p "
	printf -v "$1" '%s' "$p"
}

# is_listening [ADDR:]PORT: a TCP listener exists (checked with ss, so
# no connection is made).
is_listening() {
	local port=${1##*:}
	"${IN_NS[@]}" ss -Hltn "sport = :$port" 2>/dev/null | grep -q .
}

# ---------------------------------------------------------------------
# The proxy.

# start_proxy CONFIG_TEXT: write CONFIG_TEXT to $WORK/proxy-N.conf, run
# "$SMTPPROXY -d -v -f FILE" with stderr in $WORK/proxy-N.log (PROXY_LOG)
# and wait until it listens on $PROXY_PORT (set it before). One proxy at a
# time: stop_proxy the previous one first.
start_proxy() {
	require_proxy
	[ -z "$PROXY_PID" ] || stop_proxy
	PROXY_N=$((PROXY_N + 1))
	PROXY_CONF="$WORK/proxy-$PROXY_N.conf"
	PROXY_LOG="$WORK/proxy-$PROXY_N.log"
	printf '%s\n' "$1" >"$PROXY_CONF"
	[ -z "${PROXY_WORKERS:-}" ] ||
	    printf 'workers = %s\n' "$PROXY_WORKERS" >>"$PROXY_CONF"
	note "starting proxy #$PROXY_N on 127.0.0.1:$PROXY_PORT with:"
	sed 's/^/    /' "$PROXY_CONF"
	"${IN_NS[@]}" timeout -k 5 "$BG_TIMEOUT" \
	    "$SMTPPROXY" -d -v -f "$PROXY_CONF" \
	    2>"$PROXY_LOG" >"$WORK/proxy-$PROXY_N.out" </dev/null &
	PROXY_PID=$!
	PIDS+=("$PROXY_PID proxy-$PROXY_N")
	if ! wait_until 15 proxy_ready; then
		kill -0 "$PROXY_PID" 2>/dev/null ||
		    fail "proxy exited at start-up"
		fail "proxy not listening on 127.0.0.1:$PROXY_PORT after 15s"
	fi
	[ -z "${PROXY_WORKERS:-}" ] ||
	    wait_log "event=workers workers=$PROXY_WORKERS source=config"
}

proxy_ready() {
	kill -0 "$PROXY_PID" 2>/dev/null || return 0	# reported above
	is_listening "$PROXY_PORT"
}

# proxy_kill SIG: send SIG to the proxy itself. PROXY_PID is timeout(1)'s,
# which passes a signal on but then kills the proxy 5 s later (-k).
proxy_kill() {
	local pid
	pid=$(pgrep -P "$PROXY_PID" -x smtpproxy | head -n 1)
	[ -n "$pid" ] || fail "cannot find the proxy process under $PROXY_PID"
	kill -"$1" "$pid" || fail "cannot signal the proxy"
}

# A crash, a sanitizer report or an unexpected exit fails the test.
check_proxy_alive() {
	[ -n "$PROXY_PID" ] || return 0
	if ! kill -0 "$PROXY_PID" 2>/dev/null; then
		local st=0
		wait "$PROXY_PID" || st=$?
		PROXY_PID=""
		fail "proxy is gone (exit status $st)"
	fi
	check_sanitizers
}

# sanitized_build: the proxy is built with AddressSanitizer, whose shadow
# memory and quarantine make its resident size meaningless for limits.
sanitized_build() {
	ldd "$SMTPPROXY" 2>/dev/null | grep -q 'libasan'
}

# assert_memory KB LIMIT_KB WHAT: a resident-memory bound, not checked in
# a sanitizer build.
assert_memory() {
	if sanitized_build; then
		note "sanitizer build: $3 $1 kB not checked against $2 kB"
		return 0
	fi
	[ "$1" -lt "$2" ] || fail "$3 $1 kB, over $2 kB"
	ok "$3 $1 kB < $2 kB"
}

check_sanitizers() {
	check_sanitizers_in "$PROXY_LOG"
}

# stop_proxy: SIGTERM, then wait for the exit (sessions are over, so the
# shutdown grace does not apply). A crash fails the test.
stop_proxy() {
	local st=0
	[ -n "$PROXY_PID" ] || return 0
	check_proxy_alive
	kill -TERM "$PROXY_PID" 2>/dev/null
	if ! wait_pid_exit "$PROXY_PID" 35; then
		kill -KILL "$PROXY_PID" 2>/dev/null
		wait "$PROXY_PID" 2>/dev/null
		PROXY_PID=""
		fail "proxy still running 35s after SIGTERM"
	fi
	wait "$PROXY_PID" || st=$?
	PROXY_PID=""
	case $st in
	0) ;;
	134|135|136|139) fail "proxy crashed on SIGTERM (status $st)" ;;
	*) note "warning: proxy exit status $st after SIGTERM (expected 0)" ;;
	esac
	check_sanitizers
}

# start_named_proxy NAME PORT CONFIG_TEXT: one more proxy beside the one
# of start_proxy, for a test that needs several at once: configuration
# in $WORK/proxy-NAME.conf, stderr in $WORK/proxy-NAME.log; waits until
# it listens on PORT. Sets NAMED_PID. stop_named_proxy NAME PID stops it
# as stop_proxy does: a crash or a sanitizer report fails the test.
start_named_proxy() {
	local name=$1 port=$2 conf="$WORK/proxy-$1.conf" log="$WORK/proxy-$1.log"
	require_proxy
	printf '%s\n' "$3" >"$conf"
	note "starting proxy $name on 127.0.0.1:$port with:"
	sed 's/^/    /' "$conf"
	"${IN_NS[@]}" timeout -k 5 "$BG_TIMEOUT" \
	    "$SMTPPROXY" -d -v -f "$conf" \
	    2>"$log" >"$WORK/proxy-$name.out" </dev/null &
	NAMED_PID=$!
	PIDS+=("$NAMED_PID proxy-$name")
	wait_until 15 named_proxy_ready "$NAMED_PID" "$port" ||
	    fail "proxy $name not listening on 127.0.0.1:$port after 15s"
	kill -0 "$NAMED_PID" 2>/dev/null ||
	    fail "proxy $name exited at start-up"
}

named_proxy_ready() {
	kill -0 "$1" 2>/dev/null || return 0	# reported by the caller
	is_listening "$2"
}

# check_sanitizers_in FILE: a sanitizer report in a proxy's log fails.
check_sanitizers_in() {
	if grep -Eq 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' \
	    "$1" 2>/dev/null; then
		fail "sanitizer report in $1"
	fi
}

stop_named_proxy() {
	local name=$1 pid=$2 st=0 log="$WORK/proxy-$1.log"
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" || st=$?
		fail "proxy $name is gone (exit status $st)"
	fi
	check_sanitizers_in "$log"
	kill -TERM "$pid" 2>/dev/null
	if ! wait_pid_exit "$pid" 35; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "proxy $name still running 35s after SIGTERM"
	fi
	wait "$pid" || st=$?
	case $st in
	0) ;;
	134|135|136|139) fail "proxy $name crashed on SIGTERM (status $st)" ;;
	*) note "warning: proxy $name exit status $st after SIGTERM" ;;
	esac
	check_sanitizers_in "$log"
}

# wait_log PATTERN [SECONDS]: the proxy log gets a line matching the
# extended regular expression PATTERN (events are logged asynchronously).
wait_log() {
	local pat=$1 t=${2:-10}
	if wait_until "$t" grep -Eq -- "$pat" "$PROXY_LOG"; then
		ok "proxy log: /$pat/"
		return 0
	fi
	fail "no line matching /$pat/ in $(basename "$PROXY_LOG") after ${t}s"
}

# log_count PATTERN: lines of the proxy log matching PATTERN.
log_count() {
	grep -Ec -- "$1" "$PROXY_LOG" || true
}

# log_at_least N PATTERN: for wait_until.
log_at_least() {
	[ "$(log_count "$2")" -ge "$1" ]
}

# ---------------------------------------------------------------------
# Upstreams.

# start_sink [-a HOST:PORT] [SMTP-SINK OPTIONS...]: Postfix smtp-sink
# dumping each message to its own file in $SINK_DIR (dot-stuffing
# removed, LF line ends, smtp-sink's X-* and Received headers first).
# Sets SINK_ADDR, SINK_PORT, SINK_DIR.
SINK_N=0
start_sink() {
	local addr="" user=()
	require_cmd smtp-sink postfix
	if [ "${1:-}" = "-a" ]; then
		addr=$2
		shift 2
	fi
	if [ -z "$addr" ]; then
		free_port SINK_PORT
		addr="127.0.0.1:$SINK_PORT"
	fi
	SINK_N=$((SINK_N + 1))
	SINK_ADDR=$addr
	SINK_PORT=${addr##*:}
	SINK_DIR="$WORK/sink-$SINK_N"
	mkdir -p "$SINK_DIR"
	chmod 777 "$SINK_DIR"
	[ "$(id -u)" -ne 0 ] || user=(-u nobody)
	bg "sink-$SINK_N" "$(command -v smtp-sink || echo /usr/sbin/smtp-sink)" \
	    "${user[@]}" -d "$SINK_DIR/m." "$@" "$SINK_ADDR" 1024
	SINK_PID=$BG_PID	# for the tests
	wait_until 10 is_listening "$SINK_PORT" ||
	    fail "smtp-sink not listening on $SINK_ADDR"
	note "smtp-sink on $SINK_ADDR, dumps in $SINK_DIR"
}

# sink_count: messages the sink has completed.
sink_count() {
	find "$SINK_DIR" -type f | wc -l
}

# sink_has N: at least N messages at the sink (for wait_until).
sink_has() {
	[ "$(sink_count)" -ge "$1" ]
}

# sink_body FILE: a dumped message without the sink's own headers (up to
# and including the three-line Received: header) and the final empty line.
sink_body() {
	"$PYTHON" - "$1" <<'EOF'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
i = next(n for n, l in enumerate(lines) if l.startswith(b"Received: "))
body = lines[i + 3:]
assert body[-1] == b"" and body[-2] == b"", "unexpected dump end"
sys.stdout.buffer.write(b"\n".join(body[:-2]) + b"\n")
EOF
}

# clamd_ping ADDRESS: clamd answers PING on a unix socket path or on
# host:port.
clamd_ping() {
	"$PYTHON" - "$1" <<'EOF' 2>/dev/null
import socket, sys
a = sys.argv[1]
if a.startswith("/"):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    s.connect(a)
else:
    h, p = a.rsplit(":", 1)
    s = socket.create_connection((h, int(p)), timeout=2)
s.sendall(b"zPING\0")
sys.exit(0 if s.recv(16) == b"PONG\0" else 1)
EOF
}

# start_clamd DBDIR [CLAMD.CONF LINES...]: a real clamd (CLAMD, default
# /usr/sbin/clamd), a child of the test stopped by the EXIT trap, with the
# signatures in DBDIR, listening on the unix socket CLAMD_SOCK (and
# wherever the extra lines say); returns once it answers PING there.
# Sets CLAMD_SOCK and CLAMD_PID.
start_clamd() {
	local db=$1
	shift
	mkdir -p "$WORK/clamd"
	CLAMD_SOCK="$WORK/clamd/clamd.sock"
	printf '%s\n' "LocalSocket $CLAMD_SOCK" "DatabaseDirectory $db" \
	    "TemporaryDirectory $WORK/clamd" "Foreground yes" \
	    "LogFile $WORK/clamd/clamd.log" "LogTime yes" "MaxThreads 4" \
	    "SelfCheck 3600" "$@" >"$WORK/clamd/clamd.conf"
	bg clamd "${CLAMD:-/usr/sbin/clamd}" -c "$WORK/clamd/clamd.conf"
	CLAMD_PID=$BG_PID
	if ! wait_until 60 clamd_ping "$CLAMD_SOCK"; then
		dump_file "$WORK/clamd.out"
		dump_file "$WORK/clamd/clamd.log"
		fail "clamd did not answer PING on $CLAMD_SOCK within 60s"
	fi
}

# start_recorder [RECORDER OPTIONS...]: recorder.py on a free port,
# recording into $REC_DIR. Sets REC_PORT, REC_DIR.
REC_N=0
start_recorder() {
	REC_N=$((REC_N + 1))
	free_port REC_PORT
	REC_DIR="$WORK/rec-$REC_N"
	mkdir -p "$REC_DIR"
	bg "recorder-$REC_N" "$PYTHON" "$RECORDER" --port "$REC_PORT" \
	    --dir "$REC_DIR" "$@"
	REC_PID=$BG_PID		# for the tests
	wait_until 10 test -e "$REC_DIR/ready" ||
	    fail "recorder did not start"
	note "recorder on 127.0.0.1:$REC_PORT ($*), recording in $REC_DIR"
}

stop_bg() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null
	wait_pid_exit "$pid" 5 || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}

rec_msgs() {
	find "$REC_DIR" -name 'msg-*.eml' | wc -l
}

rec_conns() {
	find "$REC_DIR" -name 'conn-*.raw' | wc -l
}

# rec_has N: at least N messages at the recorder (for wait_until).
rec_has() {
	[ "$(rec_msgs)" -ge "$1" ]
}

# rec_closed N: the recorder saw connection N end.
rec_closed() {
	grep -q "^conn=$1 close" "$REC_DIR/connlog" 2>/dev/null
}

# raw_has TEXT FILE...: some FILE contains the bytes TEXT (Python escapes).
raw_has() {
	"$PYTHON" -c 'import codecs, sys
needle = codecs.escape_decode(sys.argv[1].encode("latin-1"))[0]
sys.exit(0 if any(needle in open(f, "rb").read() for f in sys.argv[2:])
         else 1)' "$@"
}

# write_bytes FILE TEXT: FILE gets TEXT with Python escapes decoded
# (the same escapes smtpclient.py takes).
write_bytes() {
	"$PYTHON" -c 'import codecs, sys
sys.stdout.buffer.write(codecs.escape_decode(sys.argv[1].encode("latin-1"))[0])' \
	    "$2" >"$1"
}

# assert_no_bare_crlf FILE...: no CR without LF, no LF without CR. A CR
# as the very last byte is allowed (a connection cut between CR and LF).
assert_no_bare_crlf() {
	local out
	out=$("$PYTHON" - "$@" <<'EOF'
import re, sys
bad = 0
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    for m in re.finditer(rb"\r(?!\n)|(?<!\r)\n", data):
        if m.start() == len(data) - 1 and data.endswith(b"\r"):
            continue
        ctx = data[max(0, m.start() - 20):m.end() + 20]
        print("%s: bare %s at offset %d: %r" % (path.split("/")[-1],
              "CR" if m.group() == b"\r" else "LF", m.start(), ctx))
        bad += 1
sys.exit(1 if bad else 0)
EOF
) || fail "bare CR/LF reached the upstream:
$out"
}

# ---------------------------------------------------------------------
# Clients.

# client NAME [--expect-status N] [SMTPCLIENT ARGS...]: run smtpclient.py
# against the proxy (127.0.0.1:$PROXY_PORT unless --port is given),
# transcript in $WORK/NAME.out (printed). Fails the test unless the
# client exits with N (default 0).
client() {
	local name=$1 want=0 st=0
	shift
	if [ "${1:-}" = "--expect-status" ]; then
		want=$2
		shift 2
	fi
	client_port_arg "$@"
	note "--- client $name"
	"${IN_NS[@]}" timeout -k 5 90 "$PYTHON" "$SMTPCLIENT" \
	    "${PORT_ARG[@]}" "$@" >"$WORK/$name.out" 2>&1 </dev/null ||
	    st=$?
	sed 's/^/    /' "$WORK/$name.out"
	[ "$st" -eq "$want" ] ||
	    fail "client $name exited $st (expected $want)"
}

# txn FROM FILE REPLY-REGEX: append to STEPS (an array of smtpclient.py
# steps) one transaction: MAIL FROM:<FROM>, RCPT, DATA, the bytes of FILE
# (already in DATA form, terminator included), and the end-of-data reply
# it must get.
txn() {
	STEPS+=("send:MAIL FROM:<$1>\\r\\n" 'expect:^250 '
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 '
	    'send:DATA\r\n' 'expect:^354 '
	    "sendfile:$2" "expect:$3")
}

# one_message FIXTURE REPLY-REGEX: $FX/FIXTURE.wire in a session of its
# own, through the proxy to recorder.py; the end of data must be
# answered REPLY-REGEX. A 250 must be delivered, byte for byte
# ($FX/FIXTURE.eml); anything else must not be. N counts the sessions.
one_message() {
	local fx=$1 want=$2 msgs
	N=$((N + 1))
	msgs=$(rec_msgs)
	client "$N-$fx" --timeout 30 \
	    'expect:^220 ' \
	    'send:EHLO client.test\r\n' 'expect:^250 ' \
	    "send:MAIL FROM:<$fx-$N@example.com>\\r\\n" 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "sendfile:$FX/$fx.wire" "expect:$want" \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
	case $want in
	'^250'*)
		wait_until 10 rec_has $((msgs + 1)) ||
		    fail "$fx: accepted but not delivered"
		assert_files_equal "$FX/$fx.eml" \
		    "$REC_DIR/msg-$((msgs + 1)).eml" "$fx: delivered"
		;;
	*)
		sleep 0.2
		assert_eq "$msgs" "$(rec_msgs)" "$fx: messages at the upstream"
		if grep -q "from=<$fx-$N@" "$REC_DIR/events" 2>/dev/null; then
			fail "$fx: refused, yet delivered"
		fi
		;;
	esac
}

# PORT_ARG: the proxy's port unless the arguments name one.
client_port_arg() {
	case " $* " in
	*" --port "*) PORT_ARG=() ;;
	*) PORT_ARG=(--port "$PROXY_PORT") ;;
	esac
}

# client_bg NAME [SMTPCLIENT ARGS...]: the same in the background; sets
# BG_PID. client_wait NAME PID then checks it exited 0.
client_bg() {
	local name=$1
	shift
	client_port_arg "$@"
	bg "$name" "$PYTHON" "$SMTPCLIENT" "${PORT_ARG[@]}" "$@"
}

client_wait() {
	local name=$1 pid=$2 st=0
	wait "$pid" || st=$?
	note "--- client $name (background)"
	sed 's/^/    /' "$WORK/$name.out"
	[ "$st" -eq 0 ] || fail "client $name exited $st"
}

# swaks_run NAME [SWAKS ARGS...]: swaks to the proxy (unless --server is
# given), transcript in $WORK/NAME.out; fails the test if swaks fails.
# AS_USER, if set, is a command prefix that drops privileges.
AS_USER=()
swaks_run() {
	local name=$1 st=0 server=()
	shift
	require_cmd swaks swaks
	case " $* " in
	*" --server "*) ;;
	*) server=(--server "127.0.0.1:$PROXY_PORT") ;;
	esac
	note "--- swaks $name"
	"${IN_NS[@]}" timeout -k 5 60 "${AS_USER[@]}" swaks "${server[@]}" \
	    --helo client.test --timeout 20 "$@" \
	    >"$WORK/$name.out" 2>&1 </dev/null || st=$?
	sed 's/^/    /' "$WORK/$name.out"
	[ "$st" -eq 0 ] || fail "swaks $name exited $st"
}

# ---------------------------------------------------------------------
# TLS: certificates made at test time with openssl(1).

# tls_ca NAME: a self-signed CA in $WORK/NAME.crt and $WORK/NAME.key.
tls_ca() {
	require_cmd openssl openssl
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
	    -subj "/CN=$1 test CA" -keyout "$WORK/$1.key" \
	    -out "$WORK/$1.crt" >/dev/null 2>&1 ||
	    fail "cannot make the test CA $1"
}

# tls_cert NAME CN [CA]: a certificate for CN (also its subjectAltName,
# with IP:127.0.0.1), signed by CA (made by tls_ca) or self-signed, in
# $WORK/NAME.crt and $WORK/NAME.key.
tls_cert() {
	local name=$1 cn=$2 ca=${3:-}
	require_cmd openssl openssl
	printf 'subjectAltName=DNS:%s,IP:127.0.0.1\n' "$cn" >"$WORK/$name.ext"
	if [ -z "$ca" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
		    -subj "/CN=$cn" -addext "subjectAltName=DNS:$cn" \
		    -keyout "$WORK/$name.key" -out "$WORK/$name.crt" \
		    >/dev/null 2>&1 || fail "cannot make certificate $name"
		return
	fi
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" \
	    -keyout "$WORK/$name.key" -out "$WORK/$name.csr" >/dev/null 2>&1 &&
	openssl x509 -req -in "$WORK/$name.csr" -CA "$WORK/$ca.crt" \
	    -CAkey "$WORK/$ca.key" -CAcreateserial -days 1 \
	    -extfile "$WORK/$name.ext" -out "$WORK/$name.crt" >/dev/null 2>&1 ||
	    fail "cannot make certificate $name"
}

# tls_subject PORT: the subject of the certificate the proxy shows on a
# STARTTLS session to 127.0.0.1:PORT, as openssl s_client prints it.
tls_subject() {
	timeout 20 openssl s_client -connect "127.0.0.1:$1" -starttls smtp \
	    </dev/null 2>/dev/null | sed -n 's/^subject=//p'
}

# ---------------------------------------------------------------------
# Assertions.

assert_eq() {
	local want=$1 got=$2 what=$3
	[ "$want" = "$got" ] || fail "$what: expected '$want', got '$got'"
	ok "$what: $got"
}

# assert_grep FILE PATTERN [WHAT]: extended regular expression.
assert_grep() {
	grep -Eq -- "$2" "$1" ||
	    fail "${3:-$(basename "$1")}: no line matching /$2/"
	ok "${3:-$(basename "$1")}: /$2/"
}

assert_no_grep() {
	if grep -Eq -- "$2" "$1"; then
		fail "${3:-$(basename "$1")}: unexpected line matching /$2/:
$(grep -E -- "$2" "$1" | head -5)"
	fi
	ok "${3:-$(basename "$1")}: nothing matches /$2/"
}

# assert_files_equal EXPECTED GOT WHAT: byte for byte, diff on failure.
assert_files_equal() {
	if ! cmp -s "$1" "$2"; then
		note "diff expected got:"
		diff -u "$1" "$2" | cat -A | head -60
		fail "$3: differs"
	fi
	ok "$3: identical ($(wc -c <"$1") bytes)"
}

# pass: stop the proxy (a crash at shutdown fails) and exit 0.
pass() {
	stop_proxy
	printf '\nPASS: %s\n' "$TEST_NAME"
	exit 0
}
