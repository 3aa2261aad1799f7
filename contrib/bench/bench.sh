#!/bin/bash
# Benchmark smtpproxy side by side with direct delivery and with HAProxy in
# TCP mode. The same smtp-source run (Postfix's load generator) is sent over
# three paths to the same smtp-sink (Postfix's null SMTP server):
#
#     direct     smtp-source -> smtp-sink
#     haproxy    smtp-source -> haproxy (mode tcp) -> smtp-sink
#     smtpproxy  smtp-source -> smtpproxy (mode relay) -> smtp-sink
#
# and prints messages/s, MB/s, the ratio to HAProxy, peak RSS and CPU time
# per message of the middle box. Everything runs on the loopback interface
# and is stopped when the script exits. See contrib/bench/README.
#
# This is a benchmark, not a test: it exits 0 when it could measure, even if
# smtpproxy is slower than HAProxy; 1 when a run lost messages; 2 on a usage
# or set-up error, or when one of the servers died during the runs (its log
# is printed and the temporary directory kept).

set -euo pipefail

PROG=bench
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# die, is_uint, find_tool, stop_pid, run, cpu_ticks, median, ...
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh" || exit 2

usage() {
	cat <<EOF
usage: ${0##*/} [-s sessions] [-m messages] [-l size] [-r repeat] [-p port]
                [-w warm-up] [-k] [-x extra.conf] [-F message.eml] [-W workers]
                [-S] [-P] [-K]

  -s N     parallel SMTP sessions (smtp-source -s)          [\$SESSIONS, 50]
  -m N     messages per run (smtp-source -m)                [\$MESSAGES, 5000]
  -l SIZE  message payload, bytes or 10K / 1M (smtp-source -l) [\$SIZE, 10K]
  -r N     runs per path; the median run is reported       [\$REPEAT, 3]
  -p PORT  first of three loopback ports to use             [\$BENCH_PORT, 22525]
  -w N     warm-up messages per path, not measured          [\$WARMUP, min(-m, 200)]
  -k       keep connections open: all of a session's messages on one
           connection (smtp-source -d); default is one connection a message
  -x FILE  extra smtpproxy configuration appended to the generated one
           (e.g. to measure with antivirus or filetypes enabled)
  -F FILE  send this message (header and body, e.g. with attachments made
           by contrib/bench/mkmsg.py) instead of -l bytes of filler
  -W LIST  smtpproxy's workers setting, e.g. -W 0 or -W 0,1: the first
           is the "smtpproxy" path; each further one runs a proxy of its
           own as path "smtpproxy-wN", measured in the same interleaved
           rounds (ports after the first three)   [the default, 0]
  -S       after the timed runs, one more run per middle box under
           strace -c -f: syscalls per message, in total and the most
           frequent ones (not part of the timed figures)
  -P       after the timed runs, one more smtpproxy run under perf
           record -g: the top symbols of its profile
  -K       keep the temporary directory (configurations and logs)

environment:
  SMTPPROXY     the proxy binary         [./src/smtpproxy]
  HAPROXY       the haproxy binary       [haproxy]
  SMTP_SOURCE   smtp-source              [smtp-source, /usr/sbin/smtp-source]
  SMTP_SINK     smtp-sink                [smtp-sink, /usr/sbin/smtp-sink]
  STRACE, PERF  strace and perf, for -S and -P [strace, perf]
  BENCH_TIMEOUT seconds one run may take [600]
EOF
}

SESSIONS=${SESSIONS:-50}
MESSAGES=${MESSAGES:-5000}
SIZE=${SIZE:-10K}
REPEAT=${REPEAT:-3}
BENCH_PORT=${BENCH_PORT:-22525}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
KEEPALIVE=no
EXTRA_CONF=""
KEEP_TMP=no
MESSAGE_FILE=""
WARMUP=${WARMUP:-}
SYSCALLS=no
PROFILE=no
WORKERS_LIST=""
HOST=127.0.0.1 # loopback only, on purpose

while getopts "s:m:l:r:p:w:kx:F:W:SPKh" opt; do
	case $opt in
	s) SESSIONS=$OPTARG ;;
	m) MESSAGES=$OPTARG ;;
	l) SIZE=$OPTARG ;;
	r) REPEAT=$OPTARG ;;
	p) BENCH_PORT=$OPTARG ;;
	w) WARMUP=$OPTARG ;;
	k) KEEPALIVE=yes ;;
	x) EXTRA_CONF=$OPTARG ;;
	F) MESSAGE_FILE=$OPTARG ;;
	W) WORKERS_LIST=$OPTARG ;;
	S) SYSCALLS=yes ;;
	P) PROFILE=yes ;;
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

# 10240, 10K, 10k, 1M -> bytes
parse_size() {
	local n=${1%[KkMm]} mult=1
	case $1 in
	*[Kk]) mult=1024 ;;
	*[Mm]) mult=1048576 ;;
	esac
	is_uint "$n" || [ "$n" = 0 ] || return 1
	echo $((n * mult))
}

is_uint "$SESSIONS" || die "bad session count: $SESSIONS"
is_uint "$MESSAGES" || die "bad message count: $MESSAGES"
is_uint "$REPEAT" || die "bad repeat count: $REPEAT"
if ! is_uint "$BENCH_PORT" || [ "$BENCH_PORT" -gt 65533 ]; then
	die "bad port: $BENCH_PORT"
fi
is_uint "$BENCH_TIMEOUT" || die "bad timeout: $BENCH_TIMEOUT"
case $WARMUP in '' | 0) ;; *[!0-9]*) die "bad warm-up count: $WARMUP" ;; esac
SIZE_BYTES=$(parse_size "$SIZE") || die "bad size: $SIZE"
if [ -n "$MESSAGE_FILE" ]; then
	[ -r "$MESSAGE_FILE" ] || die "cannot read $MESSAGE_FILE"
	MESSAGE_FILE=$(cd "$(dirname "$MESSAGE_FILE")" && pwd)/$(basename "$MESSAGE_FILE")
	SIZE_BYTES=$(wc -c <"$MESSAGE_FILE")
fi
if [ -n "$EXTRA_CONF" ] && [ ! -r "$EXTRA_CONF" ]; then
	die "cannot read $EXTRA_CONF"
fi

# --- tools -------------------------------------------------------------------

SMTP_SOURCE=${SMTP_SOURCE:-$(find_tool smtp-source)} ||
	die "smtp-source not found (Debian: apt-get install postfix, or contrib/debian-deps.sh)"
SMTP_SINK=${SMTP_SINK:-$(find_tool smtp-sink)} ||
	die "smtp-sink not found (Debian: apt-get install postfix)"
HAPROXY=${HAPROXY:-$(find_tool haproxy)} ||
	die "haproxy not found (Debian: apt-get install haproxy)"
SMTPPROXY=${SMTPPROXY:-./src/smtpproxy}
[ -x "$SMTPPROXY" ] || die "$SMTPPROXY is not an executable (build it, or set SMTPPROXY)"
case $SMTPPROXY in /*) ;; *) SMTPPROXY=$(pwd)/$SMTPPROXY ;; esac
command -v ss >/dev/null 2>&1 || die "ss not found (Debian: apt-get install iproute2)"
if [ "$SYSCALLS" = yes ]; then
	STRACE=${STRACE:-$(find_tool strace)} || die "strace not found (Debian: apt-get install strace)"
fi
if [ "$PROFILE" = yes ]; then
	PERF=${PERF:-$(find_tool perf)} ||
		die "perf not found (Debian: apt-get install linux-perf)"
fi

SINK_PORT=$BENCH_PORT
HAPROXY_PORT=$((BENCH_PORT + 1))
PROXY_PORT=$((BENCH_PORT + 2))

# -W: a workers value for the smtpproxy path, then one more proxy per value
# ("" for the configuration's default).
SP_PATHS=(smtpproxy)
declare -A WORKERS_OF
WORKERS_OF[smtpproxy]=""
if [ -n "$WORKERS_LIST" ]; then
	IFS=, read -r -a wl <<<"$WORKERS_LIST"
	for ((i = 0; i < ${#wl[@]}; i++)); do
		is_uint "${wl[i]}" || [ "${wl[i]}" = 0 ] || die "bad workers value: ${wl[i]}"
		if [ "$i" -eq 0 ]; then
			WORKERS_OF[smtpproxy]=${wl[0]}
		else
			SP_PATHS+=("smtpproxy-w${wl[i]}")
			WORKERS_OF[smtpproxy-w${wl[i]}]=${wl[i]}
		fi
	done
fi
[ $((BENCH_PORT + ${#SP_PATHS[@]} + 1)) -le 65535 ] || die "bad port: $BENCH_PORT"

# --- processes and cleanup ---------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtpproxy-bench.XXXXXX")
PIDS=()
declare -A NAME_OF LOG_OF
SOURCE_PID=""
TRACER_PID="" # strace or perf during -S and -P runs

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	local pid
	trap - EXIT INT TERM HUP
	# Two seconds each to exit before SIGKILL.
	if [ -n "$SOURCE_PID" ]; then
		stop_pid "$SOURCE_PID" 2
	fi
	if [ -n "$TRACER_PID" ]; then
		kill -INT "$TRACER_PID" 2>/dev/null || true
		stop_pid "$TRACER_PID" 5
	fi
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid" 2
	done
	if [ "$KEEP_TMP" = yes ]; then
		echo "bench: configurations and logs kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

SP_PORT=()
for ((i = 0; i < ${#SP_PATHS[@]}; i++)); do
	SP_PORT[i]=$((PROXY_PORT + i))
done
for port in "$SINK_PORT" "$HAPROXY_PORT" "${SP_PORT[@]}"; do
	port_busy "$port" && die "port $port is in use (choose others with -p)"
done

# Many sessions at once need file descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

backlog=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 1024)
maxconn=$((SESSIONS * 4 > 256 ? SESSIONS * 4 : 256))

# --- smtp-sink ---------------------------------------------------------------

sink_args=(-c -m "$maxconn")
if [ "$(id -u)" -eq 0 ]; then
	sink_args+=(-u nobody) # smtp-sink insists on dropping root
fi
"$SMTP_SINK" "${sink_args[@]}" "$HOST:$SINK_PORT" "$backlog" \
	>"$TMP/sink.out" 2>"$TMP/sink.err" &
SINK_PID=$!
started "$SINK_PID" smtp-sink "$TMP/sink.err"
wait_listen "$SINK_PORT" "$SINK_PID" "$TMP/sink.err"

# --- haproxy -----------------------------------------------------------------

cat >"$TMP/haproxy.cfg" <<EOF
global
    maxconn $((maxconn * 4))

defaults
    mode tcp
    timeout connect 10s
    timeout client 5m
    timeout server 5m

frontend smtp_in
    bind $HOST:$HAPROXY_PORT
    default_backend smtp_sink

backend smtp_sink
    server sink $HOST:$SINK_PORT
EOF
"$HAPROXY" -c -q -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 ||
	{ cat "$TMP/haproxy.log" >&2; die "haproxy rejects the generated configuration"; }
"$HAPROXY" -db -f "$TMP/haproxy.cfg" >>"$TMP/haproxy.log" 2>&1 &
HAPROXY_PID=$!
started "$HAPROXY_PID" haproxy "$TMP/haproxy.log"
wait_listen "$HAPROXY_PORT" "$HAPROXY_PID" "$TMP/haproxy.log"

# --- smtpproxy ---------------------------------------------------------------

# start_smtpproxy PATH PORT: a proxy with its own configuration and log.
declare -A SP_PID SP_PORT_OF
start_smtpproxy() {
	local p=$1 port=$2
	cat >"$TMP/$p.conf" <<EOF
# generated by contrib/bench/bench.sh
listen = { "$HOST:$port" }
mode = "relay"
upstream = "$HOST:$SINK_PORT"
log_level = "warning"
max_sessions_per_client = $maxconn
shutdown_grace = 2s
EOF
	if [ -n "${WORKERS_OF[$p]}" ]; then
		echo "workers = ${WORKERS_OF[$p]}" >>"$TMP/$p.conf"
	fi
	if [ -n "$EXTRA_CONF" ]; then
		cat "$EXTRA_CONF" >>"$TMP/$p.conf"
	fi
	"$SMTPPROXY" -d -f "$TMP/$p.conf" >"$TMP/$p.log" 2>&1 &
	SP_PID[$p]=$!
	SP_PORT_OF[$p]=$port
	started "${SP_PID[$p]}" "$p" "$TMP/$p.log"
	wait_listen "$port" "${SP_PID[$p]}" "$TMP/$p.log"
}
for ((i = 0; i < ${#SP_PATHS[@]}; i++)); do
	start_smtpproxy "${SP_PATHS[i]}" "${SP_PORT[i]}"
done
PROXY_PID=${SP_PID[smtpproxy]}

# --- measuring ---------------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

SOURCE_ARGS=(-s "$SESSIONS" -f bench-from@example.com -t bench-to@example.com)
if [ -n "$MESSAGE_FILE" ]; then
	SOURCE_ARGS+=(-F "$MESSAGE_FILE")
else
	SOURCE_ARGS+=(-l "$SIZE_BYTES")
fi
if [ "$KEEPALIVE" = yes ]; then
	SOURCE_ARGS+=(-d)
fi

LOST=0

declare -A RATES CPU0 CPU1 FULL
PATHS=(direct haproxy "${SP_PATHS[@]}")
BOXES=(haproxy "${SP_PATHS[@]}") # the middle boxes
declare -A PORT_OF=([direct]=$SINK_PORT [haproxy]=$HAPROXY_PORT)
declare -A PID_OF=([haproxy]=$HAPROXY_PID)
for p in "${SP_PATHS[@]}"; do
	PORT_OF[$p]=${SP_PORT_OF[$p]}
	PID_OF[$p]=${SP_PID[$p]}
done

echo "smtpproxy benchmark: $SESSIONS sessions, $MESSAGES messages of $SIZE_BYTES bytes," \
	"$REPEAT run(s) per path, $([ "$KEEPALIVE" = yes ] && echo "connections kept open" || echo "one connection per message")"
echo "  cpus: $(nproc 2>/dev/null || echo '?')  kernel: $(uname -r)"
echo "  haproxy: $("$HAPROXY" -v 2>/dev/null | head -n 1)"
echo "  smtpproxy: $SMTPPROXY $("$SMTPPROXY" -V 2>/dev/null | head -n 1 || true)"
for p in "${SP_PATHS[@]}"; do
	echo "  $p: workers = ${WORKERS_OF[$p]:-0 (the default: one per CPU)}"
done

# Warm-up: a few messages through each path, not reported.
warm=${WARMUP:-$((MESSAGES < 200 ? MESSAGES : 200))}
for p in "${PATHS[@]}"; do
	[ "$warm" -gt 0 ] || break
	run "$p" "${PORT_OF[$p]}" "$warm"
	if [ "$DELIVERED" -ne "$warm" ]; then
		echo "bench: warning: warm-up through $p delivered $DELIVERED of $warm messages" >&2
	fi
done

for p in "${BOXES[@]}"; do
	CPU0[$p]=$(cpu_ticks "${PID_OF[$p]}")
done

# Interleave the paths so that drift of the machine hits all of them alike.
# Each run's CPU time of the middle box is kept, for the ratio per round.
declare -A RUN_CPU
for ((r = 1; r <= REPEAT; r++)); do
	for p in "${PATHS[@]}"; do
		[ "$p" = direct ] || t0=$(cpu_ticks "${PID_OF[$p]}")
		run "$p" "${PORT_OF[$p]}" "$MESSAGES"
		cpu=""
		if [ "$p" != direct ]; then
			RUN_CPU[$p, $r]=$(($(cpu_ticks "${PID_OF[$p]}") - t0))
			cpu=$(awk -v t="${RUN_CPU[$p, $r]}" -v hz="$CLK_TCK" -v n="$MESSAGES" \
				'BEGIN { printf "  %6.0f us/msg CPU", t / hz / n * 1e6 }')
		fi
		elapsed=$ELAPSED
		delivered=$DELIVERED
		rate=$(awk -v n="$delivered" -v t="$elapsed" 'BEGIN { printf "%.3f", (t > 0 ? n / t : 0) }')
		printf '  run %d %-12s %7.3f s  %6d/%d delivered  %9.1f msg/s%s\n' \
			"$r" "$p" "$elapsed" "$delivered" "$MESSAGES" "$rate" "$cpu"
		RATES[$p]="${RATES[$p]:-} $rate"
		if [ "$delivered" -ne "$MESSAGES" ]; then
			echo "bench: warning: $p run $r delivered $delivered of $MESSAGES messages" >&2
			FULL[$p]=no
			LOST=1
		fi
	done
done

for p in "${BOXES[@]}"; do
	CPU1[$p]=$(cpu_ticks "${PID_OF[$p]}")
done

hap_rate=$(median "${RATES[haproxy]}")

echo
printf '%-13s %10s %8s %11s %10s %10s\n' path "msgs/s" "MB/s" "vs haproxy" "peak RSS" "CPU/msg"
for p in "${PATHS[@]}"; do
	rate=$(median "${RATES[$p]}")
	mbs=$(awk -v r="$rate" -v b="$SIZE_BYTES" 'BEGIN { printf "%.1f", r * b / 1e6 }')
	ratio=$(awk -v r="$rate" -v h="$hap_rate" 'BEGIN { if (h > 0) printf "%.2f", r / h; else print "n/a" }')
	if [ "$p" = direct ]; then
		rss=n/a
		cpu=n/a
	else
		rss=$(mib "$(peak_rss_kib "${PID_OF[$p]}")")
		cpu=$(per_msg $((CPU1[$p] - CPU0[$p])))
	fi
	mark=""
	[ "${FULL[$p]:-yes}" = yes ] || mark=" (lost messages)"
	printf '%-13s %10.0f %8s %11s %10s %10s%s\n' "$p" "$rate" "$mbs" "$ratio" "$rss" "$cpu" "$mark"
done
echo
echo "msgs/s and MB/s: median of $REPEAT run(s), MB = 10^6 bytes of payload;" \
	"peak RSS: VmHWM; CPU/msg: user+system time of the middle box."

# The ratios of each round, and their spread: the figures to compare.
spread() {
	# shellcheck disable=SC2086 # one number per word
	printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { printf "%s-%s", v[1], v[NR] }'
}
for p in "${SP_PATHS[@]}"; do
	cpu_ratios="" rate_ratios=""
	for ((r = 1; r <= REPEAT; r++)); do
		cpu_ratios="$cpu_ratios $(awk -v x="${RUN_CPU[$p, $r]}" -v h="${RUN_CPU[haproxy, $r]}" \
			'BEGIN { printf "%.2f", (h > 0 ? x / h : 0) }')"
		rate_ratios="$rate_ratios $(echo "${RATES[$p]}" "${RATES[haproxy]}" | awk -v r="$r" -v n="$REPEAT" \
			'{ printf "%.2f", ($(r + n) > 0 ? $r / $(r + n) : 0) }')"
	done
	printf '%-33s %s\n' "$p / haproxy by round:" "CPU/msg${cpu_ratios}  (median $(median "$cpu_ratios"), spread $(spread "$cpu_ratios"))"
	printf '%-33s %s\n' "" "msgs/s ${rate_ratios}  (median $(median "$rate_ratios"), spread $(spread "$rate_ratios"))"
done

# --- syscalls and profile, in runs of their own ----------------------------------

# Every thread of PID and of its children.
all_tasks() {
	local pid
	for pid in $(proc_tree "$1"); do
		ls "/proc/$pid/task" 2>/dev/null || true
	done
}

# until_traced TID...: every TID has a tracer, 10 s at most.
until_traced() {
	local tid i tracer
	for ((i = 0; i < 100; i++)); do
		for tid in "$@"; do
			tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$tid/status" 2>/dev/null || echo 1)
			[ "${tracer:-0}" != 0 ] || continue 2
		done
		return 0
	done
	die "strace did not attach to $* within 10 s"
}

# stop_tracer: SIGINT makes strace and perf write their summary and exit.
stop_tracer() {
	kill -INT "$TRACER_PID" 2>/dev/null || true
	wait "$TRACER_PID" 2>/dev/null || true
	TRACER_PID=""
}

# syscall_run PATH: one run of MESSAGES through PATH with strace -c -f
# attached to its middle box; "NAME CALLS" lines in $TMP/syscalls-PATH.
syscall_run() {
	local p=$1 pid args=()
	# -f with -p attaches to every thread of the process, and follows
	# threads and processes created later.
	for pid in $(proc_tree "${PID_OF[$p]}"); do
		args+=(-p "$pid")
	done
	"$STRACE" -c -f -qq -o "$TMP/strace-$p.txt" "${args[@]}" 2>"$TMP/strace-$p.err" &
	TRACER_PID=$!
	# shellcheck disable=SC2046 # one task id a word
	until_traced $(all_tasks "${PID_OF[$p]}")
	run "$p" "${PORT_OF[$p]}" "$MESSAGES"
	stop_tracer
	if [ "$DELIVERED" -ne "$MESSAGES" ]; then
		echo "bench: warning: $p under strace delivered $DELIVERED of $MESSAGES messages" >&2
		LOST=1
	fi
	# "% time seconds usecs/call calls [errors] syscall": calls is the
	# fourth field, the name the last; the errors column may be empty.
	awk '$4 ~ /^[0-9]+$/ && $NF ~ /^[a-z_0-9]+$/ { print $NF, $4 }' \
		"$TMP/strace-$p.txt" >"$TMP/syscalls-$p"
	grep -q '^total ' "$TMP/syscalls-$p" ||
		die "no strace summary for $p (see $TMP/strace-$p.err)"
}

if [ "$SYSCALLS" = yes ]; then
	for p in haproxy smtpproxy; do
		syscall_run "$p"
	done
	echo
	echo "syscalls per message (strace -c -f on every thread of the middle box, one more run" \
		"of $MESSAGES messages each, not part of the figures above):"
	# total first, then the 12 most frequent of each, the larger count first.
	awk '
		FNR == 1 { f++ }
		{ c[f, $1] = $2; if ($1 != "total" && ++k[f] <= 12) top[$1] = 1 }
		END {
			print "total", c[1, "total"] + 0, c[2, "total"] + 0
			for (s in top)
				print s, c[1, s] + 0, c[2, s] + 0, (c[1, s] > c[2, s] ? c[1, s] : c[2, s]) | "sort -k4,4nr -k1,1"
		}' "$TMP/syscalls-haproxy" "$TMP/syscalls-smtpproxy" |
		awk -v n="$MESSAGES" '
			BEGIN { printf "  %-18s %9s %9s %7s\n", "syscall", "haproxy", "smtpproxy", "ratio" }
			{ h = $2 / n; x = $3 / n
			  printf "  %-18s %9.2f %9.2f %7s\n", $1, h, x, (h > 0 ? sprintf("%.2f", x / h) : "-") }'
fi

if [ "$PROFILE" = yes ]; then
	"$PERF" record -g -q -o "$TMP/perf.data" -p "$PROXY_PID" >"$TMP/perf.err" 2>&1 &
	TRACER_PID=$!
	sleep 1 # perf has no "attached" signal; it is quick on an idle process
	run smtpproxy "$PROXY_PORT" "$MESSAGES"
	stop_tracer
	echo
	echo "top of smtpproxy's profile (perf record -g, one more run of $MESSAGES messages;" \
		"self time by symbol):"
	"$PERF" report -i "$TMP/perf.data" --stdio --no-children -g none --sort dso,symbol \
		2>/dev/null | grep -v '^#' | grep . | head -n 15 | sed 's/^/ /; s/[[:space:]-]*$//' || true
	echo "by object (self time):"
	"$PERF" report -i "$TMP/perf.data" --stdio --no-children -g none --sort dso \
		2>/dev/null | grep -v '^#' | grep . | head -n 8 | sed 's/^/ /; s/[[:space:]-]*$//' || true
	[ "$KEEP_TMP" = no ] || echo "  perf.data: $TMP/perf.data"
fi

for p in "${SP_PATHS[@]}"; do
	if [ -s "$TMP/$p.log" ] && grep -qiE 'error|fatal|alarm=' "$TMP/$p.log"; then
		echo "bench: $p logged warnings or errors; first lines:" >&2
		grep -iE 'error|fatal|alarm=' "$TMP/$p.log" | head -n 5 >&2
	fi
done

exit "$LOST"
