#!/bin/bash
# What a session costs in memory, idle and with a message in flight:
# loadgen.py --step holds N sessions open through each box (haproxy in TCP
# mode, smtpproxy in relay mode, and a second smtpproxy binary if
# SMTPPROXY_BASE is set) and the script reads the box's memory at three
# points:
#
#     start    the box started, nothing connected
#     idle     N sessions greeted and past EHLO, nothing else
#     data     each of them has MAIL, RCPT, DATA and its 354: N messages
#              in flight, no body byte sent yet
#
# and prints, per session, the growth of RSS (VmRSS, what the system
# pays) and of the bytes malloc has handed out (glibc's malloc_stats(),
# "in use bytes" summed over the arenas, read through gdb attached for a
# moment; what the structures cost, without the heap's fragmentation).
# Without gdb, or with -G, only RSS.
#
#     contrib/bench/inflight.sh                 # 2000 sessions, 3 rounds
#     contrib/bench/inflight.sh -n 10000 -r 5
#     SMTPPROXY_BASE=/path/to/old/smtpproxy contrib/bench/inflight.sh
#
# Loopback only; every process the script started is stopped when it ends.
set -euo pipefail

PROG=inflight
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh" || exit 2

usage() {
	cat <<EOF
usage: ${0##*/} [-n sessions] [-r rounds] [-p port] [-x extra.conf] [-G] [-K]

  -n N     sessions held at once                        [\$SESSIONS, 2000]
  -r N     rounds, the boxes interleaved in each        [\$ROUNDS, 3]
  -p PORT  first of four loopback ports to use          [\$BENCH_PORT, 22565]
  -x FILE  extra smtpproxy configuration appended to the generated one
  -G       no gdb: RSS only
  -K       keep the temporary directory (configurations and logs)

environment:
  SMTPPROXY       the proxy binary                  [./src/smtpproxy]
  SMTPPROXY_BASE  another build to measure beside it (row "base")
  HAPROXY, SMTP_SINK, PYTHON, GDB, BENCH_TIMEOUT [600]
EOF
}

SESSIONS=${SESSIONS:-2000}
ROUNDS=${ROUNDS:-3}
BENCH_PORT=${BENCH_PORT:-22565}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
EXTRA_CONF=""
KEEP_TMP=no
USE_GDB=yes
HOST=127.0.0.1 # loopback only, on purpose

while getopts "n:r:p:x:GKh" opt; do
	case $opt in
	n) SESSIONS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	p) BENCH_PORT=$OPTARG ;;
	x) EXTRA_CONF=$OPTARG ;;
	G) USE_GDB=no ;;
	K) KEEP_TMP=yes ;;
	h)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || {
	usage >&2
	exit 2
}
is_uint "$SESSIONS" || die "bad session count: $SESSIONS"
is_uint "$ROUNDS" || die "bad round count: $ROUNDS"
if ! is_uint "$BENCH_PORT" || [ "$BENCH_PORT" -gt 65532 ]; then
	die "bad port: $BENCH_PORT"
fi
if [ -n "$EXTRA_CONF" ] && [ ! -r "$EXTRA_CONF" ]; then
	die "cannot read $EXTRA_CONF"
fi

SMTP_SINK=${SMTP_SINK:-$(find_tool smtp-sink)} ||
	die "smtp-sink not found (Debian: apt-get install postfix)"
HAPROXY=${HAPROXY:-$(find_tool haproxy)} ||
	die "haproxy not found (Debian: apt-get install haproxy)"
PYTHON=${PYTHON:-python3}
SMTPPROXY=${SMTPPROXY:-./src/smtpproxy}
[ -x "$SMTPPROXY" ] || die "$SMTPPROXY is not an executable (build it, or set SMTPPROXY)"
case $SMTPPROXY in /*) ;; *) SMTPPROXY=$(pwd)/$SMTPPROXY ;; esac
SMTPPROXY_BASE=${SMTPPROXY_BASE:-}
if [ -n "$SMTPPROXY_BASE" ]; then
	[ -x "$SMTPPROXY_BASE" ] || die "$SMTPPROXY_BASE is not an executable"
fi
GDB=${GDB:-gdb}
if [ "$USE_GDB" = yes ] && ! command -v "$GDB" >/dev/null 2>&1; then
	echo "$PROG: gdb not found (Debian: apt-get install gdb): RSS only" >&2
	USE_GDB=no
fi

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ $((2 * SESSIONS + 128)) -gt "$NOFILE" ]; then
	die "$SESSIONS sessions need $((2 * SESSIONS + 128)) descriptors, RLIMIT_NOFILE is $NOFILE"
fi

SINK_PORT=$BENCH_PORT
declare -A PORT_OF=([haproxy]=$((BENCH_PORT + 1)) [smtpproxy]=$((BENCH_PORT + 2))
	[base]=$((BENCH_PORT + 3)))
BOXES=(haproxy smtpproxy)
[ -z "$SMTPPROXY_BASE" ] || BOXES+=(base)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtpproxy-inflight.XXXXXX")
PIDS=()
declare -A NAME_OF LOG_OF
BOX_PID=""
LOADGEN_PID=""

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	local pid
	trap - EXIT INT TERM HUP
	[ -z "$LOADGEN_PID" ] || stop_pid "$LOADGEN_PID" 2
	[ -z "$BOX_PID" ] || stop_pid "$BOX_PID" 3
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid" 3
	done
	if [ "$KEEP_TMP" = yes ]; then
		echo "$PROG: configurations and logs kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

for b in "${BOXES[@]}"; do
	port_busy "${PORT_OF[$b]}" && die "port ${PORT_OF[$b]} is in use (choose others with -p)"
done
port_busy "$SINK_PORT" && die "port $SINK_PORT is in use (choose others with -p)"

backlog=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)
maxconn=$((SESSIONS + 100))
sink_args=(-c -m "$maxconn" -t 600)
[ "$(id -u)" -ne 0 ] || sink_args+=(-u nobody)
"$SMTP_SINK" "${sink_args[@]}" "$HOST:$SINK_PORT" "$backlog" >"$TMP/sink.out" 2>"$TMP/sink.err" &
SINK_PID=$!
started "$SINK_PID" smtp-sink "$TMP/sink.err"
wait_listen "$SINK_PORT" "$SINK_PID" "$TMP/sink.err"

cat >"$TMP/haproxy.cfg" <<EOF
global
    maxconn $((SESSIONS + 32))
defaults
    mode tcp
    maxconn $((SESSIONS + 32))
    backlog $backlog
    timeout connect 10s
    timeout client 10m
    timeout server 10m
frontend smtp_in
    bind $HOST:${PORT_OF[haproxy]}
    default_backend smtp_sink
backend smtp_sink
    server sink $HOST:$SINK_PORT
EOF
for b in smtpproxy base; do
	cat >"$TMP/$b.conf" <<EOF
listen = { "$HOST:${PORT_OF[$b]}" }
mode = "relay"
upstream = "$HOST:$SINK_PORT"
log_level = "warning"
max_sessions = $maxconn
max_sessions_per_client = $maxconn
shutdown_grace = 2s
EOF
	[ -z "$EXTRA_CONF" ] || cat "$EXTRA_CONF" >>"$TMP/$b.conf"
done

start_box() {
	local b=$1 log=$TMP/$1.log
	: >"$log"
	case $b in
	haproxy) "$HAPROXY" -db -f "$TMP/haproxy.cfg" >>"$log" 2>&1 & ;;
	smtpproxy) "$SMTPPROXY" -d -f "$TMP/smtpproxy.conf" >>"$log" 2>&1 & ;;
	base) "$SMTPPROXY_BASE" -d -f "$TMP/base.conf" >>"$log" 2>&1 & ;;
	esac
	BOX_PID=$!
	PIDS=("$SINK_PID")
	started "$BOX_PID" "$b" "$log"
	wait_listen "${PORT_OF[$b]}" "$BOX_PID" "$log"
}

stop_box() {
	[ -n "$BOX_PID" ] || return 0
	stop_pid "$BOX_PID" 5
	BOX_PID=""
	PIDS=("$SINK_PID")
}

rss_kib() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

# malloc_kib PID LOG: glibc's "in use bytes" of all arenas, in KiB: gdb
# has the process call malloc_stats(), which writes to its stderr (LOG).
malloc_kib() {
	local pid=$1 log=$2 n
	[ "$USE_GDB" = yes ] || {
		echo 0
		return
	}
	n=$(wc -l <"$log")
	"$GDB" -q -nx -batch -p "$pid" -ex 'call (void) malloc_stats()' >/dev/null 2>&1 || true
	tail -n +"$((n + 1))" "$log" | sed -n 's/^in use bytes *= *\([0-9]*\)/\1/p' | tail -n 1 |
		awk '{ printf "%d", $1 / 1024 } END { if (NR == 0) print 0 }'
}

# per_session A B: (B - A) / SESSIONS, KiB
per_session() {
	awk -v a="$1" -v b="$2" -v n="$SESSIONS" 'BEGIN { printf "%.2f", (b - a) / n }'
}

declare -A IDLE_RSS DATA_RSS IDLE_MAL DATA_MAL
FAILED=0

echo "smtpproxy in-flight memory: $SESSIONS sessions, $ROUNDS round(s), boxes: ${BOXES[*]}"
echo "  cpus: $(nproc 2>/dev/null || echo '?')  kernel: $(uname -r)  load: $(cut -d' ' -f1-3 /proc/loadavg)"

one_run() {
	local b=$1 r=$2 pid log rs0 rs1 rs2 ma0 ma1 ma2 line rc=0 before after i
	start_box "$b"
	pid=$BOX_PID
	log=$TMP/$b.log
	sleep 0.5
	rs0=$(rss_kib "$pid")
	ma0=$(malloc_kib "$pid" "$log")
	before=$(sink_count)
	coproc LG { timeout -k 5 "$BENCH_TIMEOUT" "$PYTHON" "$HERE/loadgen.py" --step \
		-n "$SESSIONS" "$HOST:${PORT_OF[$b]}" 2>&1; }
	LOADGEN_PID=$LG_PID
	exec {lgout}<&"${LG[0]}" {lgin}>&"${LG[1]}"
	while IFS= read -r line <&"$lgout"; do
		printf '%s\n' "$line" >>"$TMP/loadgen-$b-$r.out"
		case $line in
		"phase established")
			sleep 0.5
			rs1=$(rss_kib "$pid")
			ma1=$(malloc_kib "$pid" "$log")
			echo >&"$lgin"
			;;
		"phase data")
			sleep 0.5
			rs2=$(rss_kib "$pid")
			ma2=$(malloc_kib "$pid" "$log")
			echo >&"$lgin"
			;;
		esac
	done
	wait "$LOADGEN_PID" || rc=$?
	exec {lgout}<&- {lgin}>&-
	LOADGEN_PID=""
	for ((i = 0; i < 100; i++)); do
		after=$(sink_count)
		[ $((after - before)) -ge "$SESSIONS" ] && break
		sleep 0.1
	done
	check_alive
	stop_box
	if [ "$rc" -ne 0 ] || [ $((after - before)) -ne "$SESSIONS" ] || [ -z "${rs2:-}" ]; then
		echo "$PROG: warning: $b round $r: loadgen exit $rc, $((after - before))/$SESSIONS at the sink:" >&2
		tail -n 12 "$TMP/loadgen-$b-$r.out" >&2 || true
		FAILED=1
		rs1=${rs1:-$rs0} rs2=${rs2:-$rs0} ma1=${ma1:-$ma0} ma2=${ma2:-$ma0}
	fi
	IDLE_RSS[$b]="${IDLE_RSS[$b]:-} $(per_session "$rs0" "$rs1")"
	DATA_RSS[$b]="${DATA_RSS[$b]:-} $(per_session "$rs1" "$rs2")"
	IDLE_MAL[$b]="${IDLE_MAL[$b]:-} $(per_session "$ma0" "$ma1")"
	DATA_MAL[$b]="${DATA_MAL[$b]:-} $(per_session "$ma1" "$ma2")"
	printf '  round %d %-9s RSS %6d -> %6d -> %6d KiB   malloc %6d -> %6d -> %6d KiB\n' \
		"$r" "$b" "$rs0" "$rs1" "$rs2" "$ma0" "$ma1" "$ma2"
	sleep 1
}

for ((r = 1; r <= ROUNDS; r++)); do
	for b in "${BOXES[@]}"; do
		one_run "$b" "$r"
	done
done

cell() { printf '%.2f (%s)' "$(median "$1")" "$(spread "$1")"; }

echo
printf '%-10s %22s %22s %22s %22s\n' box "idle RSS KiB" "in-flight RSS KiB" \
	"idle malloc KiB" "in-flight malloc KiB"
for b in "${BOXES[@]}"; do
	printf '%-10s %22s %22s %22s %22s\n' "$b" "$(cell "${IDLE_RSS[$b]}")" \
		"$(cell "${DATA_RSS[$b]}")" "$(cell "${IDLE_MAL[$b]}")" "$(cell "${DATA_MAL[$b]}")"
done
echo
echo "per session, median (spread) of $ROUNDS round(s): idle = growth from start-up to $SESSIONS sessions" \
	"past EHLO; in-flight = growth from there to each with its 354 (the message's own cost)."
[ "$USE_GDB" = yes ] || echo "malloc columns: not measured (no gdb)"
exit "$FAILED"
