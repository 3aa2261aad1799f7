#!/bin/bash
# Many sessions at once: contrib/bench/loadgen.py holds N SMTP sessions open
# (greeting and EHLO done), then has each send one message and QUIT, over
# three paths to the same smtp-sink:
#
#     direct     loadgen.py -> smtp-sink
#     haproxy    loadgen.py -> haproxy (mode tcp) -> smtp-sink
#     smtpproxy  loadgen.py -> smtpproxy (mode relay) -> smtp-sink
#
# at each session count (-n, 1000 and 10000 by default), in interleaved
# rounds. It checks that every message reached the sink and prints, for
# each middle box, its peak RSS and the growth of its RSS per session, and
# its CPU time per session, so that "peak RSS against HAProxy's" and "CPU
# per session flat from 1,000 to 10,000" can be read off. Everything runs
# on the loopback interface and is stopped when the script exits. See
# contrib/bench/README.
#
# This is a benchmark, not a test: it exits 0 when every session of every
# run succeeded, whatever the figures; 1 when a session failed or a message
# did not reach the sink; 2 on a usage or set-up error, or when a server
# died (its log is printed and the temporary directory kept).

set -euo pipefail

PROG=concurrency
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# die, is_uint, find_tool, stop_pid, started, check_alive, sink_count, ...
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh" || exit 2

usage() {
	cat <<EOF
usage: ${0##*/} [-n "counts"] [-r rounds] [-c connecting] [-l size]
                [-p port] [-x extra.conf] [-K]

  -n LIST  session counts, each run at all paths    [\$COUNTS, "1000 10000"]
  -r N     rounds; in each, every count over every path [\$ROUNDS, 3]
  -c N     sessions connecting at once (loadgen.py -c)   [\$CONNECTING, 200]
  -l SIZE  bytes of each message (loadgen.py -l)        [\$SIZE, 1024]
  -p PORT  first of three loopback ports to use          [\$BENCH_PORT, 22545]
  -x FILE  extra smtpproxy configuration appended to the generated one
  -K       keep the temporary directory (configurations and logs)

environment:
  SMTPPROXY     the proxy binary         [./src/smtpproxy]
  SMTPPROXY_BASE another smtpproxy build, run as one more path "base"
  HAPROXY       the haproxy binary       [haproxy]
  SMTP_SINK     smtp-sink                [smtp-sink, /usr/sbin/smtp-sink]
  PYTHON        python3, for loadgen.py  [python3]
  BENCH_TIMEOUT seconds one run may take [600]
EOF
}

COUNTS=${COUNTS:-1000 10000}
ROUNDS=${ROUNDS:-3}
CONNECTING=${CONNECTING:-200}
SIZE=${SIZE:-1024}
BENCH_PORT=${BENCH_PORT:-22545}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
EXTRA_CONF=""
KEEP_TMP=no
HOST=127.0.0.1 # loopback only, on purpose

while getopts "n:r:c:l:p:x:Kh" opt; do
	case $opt in
	n) COUNTS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	c) CONNECTING=$OPTARG ;;
	l) SIZE=$OPTARG ;;
	p) BENCH_PORT=$OPTARG ;;
	x) EXTRA_CONF=$OPTARG ;;
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
if [ $# -ne 0 ]; then
	usage >&2
	exit 2
fi

for n in $COUNTS; do
	is_uint "$n" || die "bad session count: $n"
done
[ -n "${COUNTS// /}" ] || die "no session count"
is_uint "$ROUNDS" || die "bad round count: $ROUNDS"
is_uint "$CONNECTING" || die "bad connecting count: $CONNECTING"
is_uint "$SIZE" || die "bad size: $SIZE"
if ! is_uint "$BENCH_PORT" || [ "$BENCH_PORT" -gt 65533 ]; then
	die "bad port: $BENCH_PORT"
fi
is_uint "$BENCH_TIMEOUT" || die "bad timeout: $BENCH_TIMEOUT"
if [ -n "$EXTRA_CONF" ] && [ ! -r "$EXTRA_CONF" ]; then
	die "cannot read $EXTRA_CONF"
fi

SMTP_SINK=${SMTP_SINK:-$(find_tool smtp-sink)} ||
	die "smtp-sink not found (Debian: apt-get install postfix)"
HAPROXY=${HAPROXY:-$(find_tool haproxy)} ||
	die "haproxy not found (Debian: apt-get install haproxy)"
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (Debian: apt-get install python3)"
SMTPPROXY=${SMTPPROXY:-./src/smtpproxy}
[ -x "$SMTPPROXY" ] || die "$SMTPPROXY is not an executable (build it, or set SMTPPROXY)"
case $SMTPPROXY in /*) ;; *) SMTPPROXY=$(pwd)/$SMTPPROXY ;; esac
command -v ss >/dev/null 2>&1 || die "ss not found (Debian: apt-get install iproute2)"

SINK_PORT=$BENCH_PORT
HAPROXY_PORT=$((BENCH_PORT + 1))
PROXY_PORT=$((BENCH_PORT + 2))
BASE_PORT=$((BENCH_PORT + 3))
SMTPPROXY_BASE=${SMTPPROXY_BASE:-}
if [ -n "$SMTPPROXY_BASE" ]; then
	[ -x "$SMTPPROXY_BASE" ] || die "$SMTPPROXY_BASE is not an executable"
	case $SMTPPROXY_BASE in /*) ;; *) SMTPPROXY_BASE=$(pwd)/$SMTPPROXY_BASE ;; esac
fi

# --- descriptors ----------------------------------------------------------------

# Every process started here inherits the raised limit. A proxy holds two
# descriptors a session (client and server side) plus a few of its own:
# the hard limit, which only CAP_SYS_RESOURCE can raise, caps the sessions
# that can go through a proxy at once. Counts above that cap are lowered
# to it (to a multiple of 100), and the script says so.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
RESERVE=128
if [ "$NOFILE" = unlimited ]; then
	CAP=1000000
else
	CAP=$(((NOFILE - RESERVE) / 2 / 100 * 100))
fi
counts=""
for n in $COUNTS; do
	if [ "$n" -gt "$CAP" ]; then
		echo "concurrency: $n sessions need $((2 * n + RESERVE)) descriptors in a proxy," \
			"RLIMIT_NOFILE is $NOFILE (hard): running $CAP instead" >&2
		n=$CAP
	fi
	counts="$counts $n"
done
COUNTS=${counts# }
MAXN=0
for n in $COUNTS; do
	[ "$n" -le "$MAXN" ] || MAXN=$n
done

# --- processes and cleanup ---------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtpproxy-concurrency.XXXXXX")
PIDS=()
declare -A NAME_OF LOG_OF
LOADGEN_PID=""

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	local pid
	trap - EXIT INT TERM HUP
	if [ -n "$LOADGEN_PID" ]; then
		stop_pid "$LOADGEN_PID" 2
	fi
	if [ -n "$BOX_PID" ]; then
		stop_pid "$BOX_PID" 3
	fi
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid" 3
	done
	if [ "$KEEP_TMP" = yes ]; then
		echo "concurrency: configurations and logs kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

for port in "$SINK_PORT" "$HAPROXY_PORT" "$PROXY_PORT" "$BASE_PORT"; do
	port_busy "$port" && die "port $port is in use (choose others with -p)"
done

backlog=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)
maxconn=$((MAXN + 100))

# --- smtp-sink ---------------------------------------------------------------

# -m: sessions it serves at once (the others wait in the listen queue);
# -t: seconds it waits for a command, longer than the sessions are held.
sink_args=(-c -m "$maxconn" -t 600)
if [ "$(id -u)" -eq 0 ]; then
	sink_args+=(-u nobody) # smtp-sink insists on dropping root
fi
"$SMTP_SINK" "${sink_args[@]}" "$HOST:$SINK_PORT" "$backlog" \
	>"$TMP/sink.out" 2>"$TMP/sink.err" &
SINK_PID=$!
started "$SINK_PID" smtp-sink "$TMP/sink.err"
wait_listen "$SINK_PORT" "$SINK_PID" "$TMP/sink.err"

declare -A PORT_OF=([direct]=$SINK_PORT [haproxy]=$HAPROXY_PORT [smtpproxy]=$PROXY_PORT
	[base]=$BASE_PORT)

# --- haproxy -----------------------------------------------------------------

# maxconn in defaults too: a frontend's own limit is otherwise lower than
# the global one. haproxy raises its descriptor limit to what maxconn
# needs (two a connection and a few) and refuses to start if it cannot:
# a margin of 32 above the largest count, within RESERVE.
cat >"$TMP/haproxy.cfg" <<EOF
global
    maxconn $((MAXN + 32))

defaults
    mode tcp
    maxconn $((MAXN + 32))
    backlog $backlog
    timeout connect 10s
    timeout client 10m
    timeout server 10m

frontend smtp_in
    bind $HOST:$HAPROXY_PORT
    default_backend smtp_sink

backend smtp_sink
    server sink $HOST:$SINK_PORT
EOF
"$HAPROXY" -c -q -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 ||
	{ cat "$TMP/haproxy.log" >&2; die "haproxy rejects the generated configuration"; }

# --- smtpproxy ---------------------------------------------------------------

# All sessions come from 127.0.0.1: max_sessions_per_client (100 by
# default) and max_sessions (10000) are raised above the largest count.
cat >"$TMP/smtpproxy.conf" <<EOF
# generated by contrib/bench/concurrency.sh
listen = { "$HOST:$PROXY_PORT" }
mode = "relay"
upstream = "$HOST:$SINK_PORT"
log_level = "warning"
max_sessions = $maxconn
max_sessions_per_client = $maxconn
shutdown_grace = 2s
EOF
if [ -n "$EXTRA_CONF" ]; then
	cat "$EXTRA_CONF" >>"$TMP/smtpproxy.conf"
fi
sed "s/:$PROXY_PORT\"/:$BASE_PORT\"/" "$TMP/smtpproxy.conf" >"$TMP/base.conf"
"$SMTPPROXY" -n -f "$TMP/smtpproxy.conf" >"$TMP/smtpproxy.log" 2>&1 ||
	{ cat "$TMP/smtpproxy.log" >&2; die "smtpproxy rejects the generated configuration"; }

# start_box PATH: a fresh middle box for each run, so that its peak RSS and
# the growth of its RSS belong to that run alone (a process seldom gives
# back to the system what it once allocated). Sets BOX_PID; the box is
# stopped by stop_box, or by the cleanup.
BOX_PID=""
start_box() {
	local p=$1 log=$TMP/$1.log
	case $p in
	haproxy) "$HAPROXY" -db -f "$TMP/haproxy.cfg" >>"$log" 2>&1 & ;;
	smtpproxy) "$SMTPPROXY" -d -f "$TMP/smtpproxy.conf" >>"$log" 2>&1 & ;;
	base) "$SMTPPROXY_BASE" -d -f "$TMP/base.conf" >>"$log" 2>&1 & ;;
	esac
	BOX_PID=$!
	PIDS=("$SINK_PID")
	started "$BOX_PID" "$p" "$log"
	wait_listen "${PORT_OF[$p]}" "$BOX_PID" "$log"
}

stop_box() {
	[ -n "$BOX_PID" ] || return 0
	stop_pid "$BOX_PID" 5
	BOX_PID=""
	PIDS=("$SINK_PID")
}

# --- measuring ---------------------------------------------------------------

# CPU time in nanoseconds: the first field of every thread's schedstat,
# summed over the process tree (exact, where /proc/PID/stat counts clock
# ticks). A thread that exits during a run takes its time with it; both
# proxies keep their threads.
cpu_ns() {
	local pid sum=0 t f
	for pid in $(proc_tree "$1"); do
		for f in /proc/"$pid"/task/*/schedstat; do
			read -r t _ <"$f" 2>/dev/null || t=0
			sum=$((sum + t))
		done
	done
	echo "$sum"
}

rss_kib() {
	local pid sum=0 kib
	for pid in $(proc_tree "$1"); do
		kib=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true)
		sum=$((sum + ${kib:-0}))
	done
	echo "$sum"
}

PATHS=(direct haproxy smtpproxy)
[ -z "$SMTPPROXY_BASE" ] || PATHS+=(base)
# Per path and count: lists of the rounds' figures.
declare -A EST MSGS CPU HWM GROW
FAILED=0

echo "smtpproxy concurrency benchmark: sessions ${COUNTS// /, }, $ROUNDS round(s)," \
	"$SIZE-byte messages, $CONNECTING connecting at a time"
echo "  cpus: $(nproc 2>/dev/null || echo '?')  kernel: $(uname -r)  RLIMIT_NOFILE: $NOFILE" \
	" somaxconn: $backlog  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  haproxy: $("$HAPROXY" -v 2>/dev/null | head -n 1)"
echo "  smtpproxy: $SMTPPROXY $("$SMTPPROXY" -V 2>/dev/null | head -n 1 || true)"

# one_run PATH COUNT ROUND
one_run() {
	local p=$1 n=$2 r=$3 pid="" cpu0=0 cpu1=0 base=0 hwm=0 before after rc=0 i res
	local est msgs fails cpu_s grow_s rss_s
	if [ "$p" != direct ]; then
		start_box "$p"
		pid=$BOX_PID
		base=$(rss_kib "$pid")
		cpu0=$(cpu_ns "$pid")
	fi
	before=$(sink_count)
	timeout -k 5 "$BENCH_TIMEOUT" "$PYTHON" "$HERE/loadgen.py" -n "$n" -c "$CONNECTING" \
		-l "$SIZE" "$HOST:${PORT_OF[$p]}" >"$TMP/loadgen.out" 2>&1 &
	LOADGEN_PID=$!
	wait "$LOADGEN_PID" || rc=$?
	LOADGEN_PID=""
	for ((i = 0; i < 100; i++)); do
		after=$(sink_count)
		[ $((after - before)) -ge "$n" ] && break
		sleep 0.1
	done
	if [ -n "$pid" ]; then
		cpu1=$(cpu_ns "$pid")
		hwm=$(peak_rss_kib "$pid")
	fi
	check_alive
	stop_box
	res=$(sed -n 's/^result //p' "$TMP/loadgen.out")
	est=$(printf '%s\n' "$res" | tr ' ' '\n' | sed -n 's/^establish_s=//p')
	msgs=$(printf '%s\n' "$res" | tr ' ' '\n' | sed -n 's/^messages_s=//p')
	fails=$(printf '%s\n' "$res" | tr ' ' '\n' | sed -n 's/^failures=//p')
	if [ -z "$res" ] || [ "$rc" -ne 0 ] || [ "${fails:-1}" -ne 0 ] || [ $((after - before)) -ne "$n" ]; then
		echo "concurrency: warning: $p, $n sessions, round $r: loadgen exit $rc," \
			"${fails:-?} failures, $((after - before))/$n messages at the sink:" >&2
		grep -v '^result ' "$TMP/loadgen.out" | tail -n 12 >&2 || true
		FAILED=1
	fi
	EST[$p, $n]="${EST[$p, $n]:-} ${est:-0}"
	MSGS[$p, $n]="${MSGS[$p, $n]:-} ${msgs:-0}"
	cpu_s="" rss_s=""
	if [ -n "$pid" ]; then
		cpu_s=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n / 1000 }')
		grow_s=$(awk -v h="$hwm" -v b="$base" -v n="$n" 'BEGIN { printf "%.2f", (h - b) / n }')
		CPU[$p, $n]="${CPU[$p, $n]:-} $cpu_s"
		HWM[$p, $n]="${HWM[$p, $n]:-} $hwm"
		GROW[$p, $n]="${GROW[$p, $n]:-} $grow_s"
		rss_s=$(printf '  peak %s (+%s KiB/session)  %7s us CPU/session' "$(mib "$hwm")" "$grow_s" "$cpu_s")
	fi
	printf '  round %d %-9s %6d sessions  established %6.2f s  messages %6.2f s  %d/%d at the sink%s\n' \
		"$r" "$p" "$n" "${est:-0}" "${msgs:-0}" $((after - before)) "$n" "$rss_s"
	# Let the closed connections go before the next run.
	sleep 1
}

for ((r = 1; r <= ROUNDS; r++)); do
	for n in $COUNTS; do
		for p in "${PATHS[@]}"; do
			one_run "$p" "$n" "$r"
		done
	done
done

# spread "N N ...": "min-max"
spread() {
	# shellcheck disable=SC2086 # one number per word
	printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { printf "%s-%s", v[1], v[NR] }'
}

med2() { printf '%.2f' "$(median "$1")"; }

# ratios "A A ..." "B B ...": A/B of each round.
ratios() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++) printf "%s%.2f", (i > 1 ? " " : ""), (y[i] > 0 ? x[i] / y[i] : 0) }'
}

echo
printf '%-10s %8s %11s %10s %18s %13s %22s\n' path sessions "establish" "messages" \
	"peak RSS" "KiB/session" "CPU/session"
for n in $COUNTS; do
	for p in "${PATHS[@]}"; do
		if [ "$p" = direct ]; then
			printf '%-10s %8d %9.2f s %8.2f s %18s %13s %22s\n' "$p" "$n" \
				"$(median "${EST[$p, $n]}")" "$(median "${MSGS[$p, $n]}")" n/a n/a n/a
			continue
		fi
		printf '%-10s %8d %9.2f s %8.2f s %18s %13s %22s\n' "$p" "$n" \
			"$(median "${EST[$p, $n]}")" "$(median "${MSGS[$p, $n]}")" \
			"$(mib "$(median "${HWM[$p, $n]}")")" "$(med2 "${GROW[$p, $n]}")" \
			"$(med2 "${CPU[$p, $n]}") us ($(spread "${CPU[$p, $n]}"))"
	done
done
echo
echo "establish: until every session had its EHLO reply; messages: from then until the last QUIT" \
	"reply; medians of $ROUNDS round(s)."
echo "peak RSS: VmHWM of a box started for that run;" \
	"KiB/session: (peak - RSS after start-up) / sessions; CPU/session: user+system time / sessions (spread)."
echo
echo "by round (smtpproxy / haproxy, and each box's CPU/session at the largest count / the smallest):"
for n in $COUNTS; do
	rr=$(ratios "${HWM[smtpproxy, $n]}" "${HWM[haproxy, $n]}")
	cr=$(ratios "${CPU[smtpproxy, $n]}" "${CPU[haproxy, $n]}")
	printf '  %6d sessions  peak RSS %s (median %s)   CPU/session %s (median %s)\n' \
		"$n" "$rr" "$(med2 "$rr")" "$cr" "$(med2 "$cr")"
	if [ -n "$SMTPPROXY_BASE" ]; then
		rr=$(ratios "${HWM[base, $n]}" "${HWM[haproxy, $n]}")
		cr=$(ratios "${CPU[base, $n]}" "${CPU[haproxy, $n]}")
		printf '  %6d base / haproxy  peak RSS %s (median %s)   CPU/session %s (median %s)\n' \
			"$n" "$rr" "$(med2 "$rr")" "$cr" "$(med2 "$cr")"
	fi
done
first=${COUNTS%% *}
last=${COUNTS##* }
if [ "$first" != "$last" ]; then
	for p in "${PATHS[@]:1}"; do
		fr=$(ratios "${CPU[$p, $last]}" "${CPU[$p, $first]}")
		printf '  %-9s CPU/session %d / %d sessions: %s (median %s)\n' "$p" "$last" "$first" "$fr" "$(med2 "$fr")"
	done
fi

if [ -s "$TMP/smtpproxy.log" ] && grep -qiE 'error|fatal|alarm=' "$TMP/smtpproxy.log"; then
	echo "concurrency: smtpproxy logged warnings or errors; first lines:" >&2
	grep -iE 'error|fatal|alarm=' "$TMP/smtpproxy.log" | head -n 5 >&2
fi

exit "$FAILED"
