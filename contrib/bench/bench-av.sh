#!/bin/bash
# Benchmark smtpproxy with virus scanning on, side by side with direct
# delivery and with clamsmtp. The same smtp-source run (Postfix's load
# generator) of messages with a small attachment is sent over four paths to
# the same smtp-sink (Postfix's null SMTP server):
#
#     direct               smtp-source -> smtp-sink                (no scanning)
#     clamsmtp             smtp-source -> clamsmtpd -> smtp-sink   (clamd scans)
#     smtpproxy/libclamav  smtp-source -> smtpproxy -> smtp-sink   (in-process)
#     smtpproxy/clamd      smtp-source -> smtpproxy -> smtp-sink   (clamd scans)
#
# clamd and both smtpproxy instances use one signature database generated
# here: EICAR plus random hash signatures (-n). Before measuring, a message
# with EICAR in an attachment must be refused by every scanning path. The
# script prints messages/s, MB/s, the ratio to clamsmtp, peak RSS and CPU
# time per message of the middle box and of clamd. Everything runs on the
# loopback interface and is stopped when the script exits. See
# contrib/bench/README.
#
# This is a benchmark, not a test: it exits 0 when it could measure, whatever
# the figures; 1 when a run lost messages; 2 on a usage or set-up error, when
# a scanning path let EICAR through, or when a server died during the runs
# (its log is printed and the temporary directory kept).

set -euo pipefail

PROG=bench-av
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# die, is_uint, find_tool, stop_pid, run, cpu_ticks, median, ...
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh" || exit 2

usage() {
	cat <<EOF
usage: ${0##*/} [-s sessions] [-m messages] [-r repeat] [-k] [-l size]
                [-n signatures] [-t threads] [-p port] [-K]

  -s N     parallel SMTP sessions (smtp-source -s)          [\$SESSIONS, 20]
  -m N     messages per run (smtp-source -m)                [\$MESSAGES, 2000]
  -r N     runs per path; the median run is reported       [\$REPEAT, 3]
  -k       keep connections open: all of a session's messages on one
           connection (smtp-source -d); default is one connection a message
  -l SIZE  message size for contrib/bench/mkmsg.py, bytes or 10K / 1M
                                                            [\$SIZE, 10K]
  -n N     random MD5 hash signatures (.hdb) added to EICAR [\$SIGNATURES, 10000]
  -t N     smtpproxy antivirus.threads (libclamav scanning threads)
                                                            [\$AV_THREADS, proxy default]
  -p PORT  first of four loopback ports to use              [\$BENCH_PORT, 22535]
  -K       keep the temporary directory (configurations, database and logs)

environment:
  SMTPPROXY     the proxy binary         [./src/smtpproxy]
  CLAMD         clamd                    [clamd, /usr/sbin/clamd]
  CLAMSMTPD     clamsmtpd                [clamsmtpd, /usr/sbin/clamsmtpd]
  SMTP_SOURCE   smtp-source              [smtp-source, /usr/sbin/smtp-source]
  SMTP_SINK     smtp-sink                [smtp-sink, /usr/sbin/smtp-sink]
  PYTHON        python3, for mkmsg.py and the signatures [python3]
  BENCH_TIMEOUT seconds one run may take [600]
EOF
}

SESSIONS=${SESSIONS:-20}
MESSAGES=${MESSAGES:-2000}
REPEAT=${REPEAT:-3}
SIZE=${SIZE:-10K}
SIGNATURES=${SIGNATURES:-10000}
AV_THREADS=${AV_THREADS:-}
BENCH_PORT=${BENCH_PORT:-22535}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
KEEPALIVE=no
KEEP_TMP=no
HOST=127.0.0.1 # loopback only, on purpose

while getopts "s:m:r:kl:n:t:p:Kh" opt; do
	case $opt in
	s) SESSIONS=$OPTARG ;;
	m) MESSAGES=$OPTARG ;;
	r) REPEAT=$OPTARG ;;
	k) KEEPALIVE=yes ;;
	l) SIZE=$OPTARG ;;
	n) SIGNATURES=$OPTARG ;;
	t) AV_THREADS=$OPTARG ;;
	p) BENCH_PORT=$OPTARG ;;
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

is_uint "$SESSIONS" || die "bad session count: $SESSIONS"
is_uint "$MESSAGES" || die "bad message count: $MESSAGES"
is_uint "$REPEAT" || die "bad repeat count: $REPEAT"
case $SIGNATURES in '' | *[!0-9]*) die "bad signature count: $SIGNATURES" ;; esac
if [ -n "$AV_THREADS" ] && ! is_uint "$AV_THREADS"; then
	die "bad thread count: $AV_THREADS"
fi
if ! is_uint "$BENCH_PORT" || [ "$BENCH_PORT" -gt 65532 ]; then
	die "bad port: $BENCH_PORT"
fi
is_uint "$BENCH_TIMEOUT" || die "bad timeout: $BENCH_TIMEOUT"
case ${SIZE%[KkMm]} in '' | 0* | *[!0-9]*) die "bad size: $SIZE" ;; esac

# --- tools -------------------------------------------------------------------

SMTP_SOURCE=${SMTP_SOURCE:-$(find_tool smtp-source)} ||
	die "smtp-source not found (Debian: apt-get install postfix, or contrib/debian-deps.sh)"
SMTP_SINK=${SMTP_SINK:-$(find_tool smtp-sink)} ||
	die "smtp-sink not found (Debian: apt-get install postfix)"
CLAMD=${CLAMD:-$(find_tool clamd)} ||
	die "clamd not found (Debian: apt-get install clamav-daemon)"
CLAMSMTPD=${CLAMSMTPD:-$(find_tool clamsmtpd)} ||
	die "clamsmtpd not found (Debian: apt-get install clamsmtp)"
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (Debian: apt-get install python3)"
SMTPPROXY=${SMTPPROXY:-./src/smtpproxy}
[ -x "$SMTPPROXY" ] || die "$SMTPPROXY is not an executable (build it, or set SMTPPROXY)"
case $SMTPPROXY in /*) ;; *) SMTPPROXY=$(pwd)/$SMTPPROXY ;; esac
command -v ss >/dev/null 2>&1 || die "ss not found (Debian: apt-get install iproute2)"

SINK_PORT=$BENCH_PORT
CLAMSMTP_PORT=$((BENCH_PORT + 1))
LIBCLAMAV_PORT=$((BENCH_PORT + 2))
CLAMD_PORT=$((BENCH_PORT + 3)) # smtpproxy with backend clamd

# --- processes and cleanup ---------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtpproxy-bench-av.XXXXXX")
PIDS=()
declare -A NAME_OF LOG_OF
SOURCE_PID=""

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	local i
	trap - EXIT INT TERM HUP
	# Three seconds each to exit before SIGKILL.
	if [ -n "$SOURCE_PID" ]; then
		stop_pid "$SOURCE_PID" 3
	fi
	# Clients of clamd first, clamd and the sink last.
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${PIDS[$i]}" 3
	done
	if [ "$KEEP_TMP" = yes ]; then
		echo "bench-av: configurations and logs kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# wait_ready PID SECONDS COMMAND...: until COMMAND succeeds while PID is
# alive, SECONDS at most.
wait_ready() {
	local pid=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "bench-av: ${NAME_OF[$pid]} exited before it was ready:" >&2
			tail -n 20 "${LOG_OF[$pid]}" >&2 || true
			exit 2
		fi
		"$@" && return 0
		sleep 0.1
	done
	echo "bench-av: ${NAME_OF[$pid]} not ready after $secs s:" >&2
	tail -n 20 "${LOG_OF[$pid]}" >&2 || true
	exit 2
}

for port in "$SINK_PORT" "$CLAMSMTP_PORT" "$LIBCLAMAV_PORT" "$CLAMD_PORT"; do
	port_busy "$port" && die "port $port is in use (choose others with -p)"
done

# Many sessions at once need file descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

backlog=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 1024)
maxconn=$((SESSIONS * 4 > 256 ? SESSIONS * 4 : 256))

# --- signatures and messages -------------------------------------------------

# The database (contrib/bench/mksigs.py): EICAR as a body signature and
# SIGNATURES random hash signatures, which match nothing but make the
# engine load, index and keep them, as it would real ones; and the EICAR
# test message, the string in a base64 attachment, so a scanner must
# decode MIME to find it.
mkdir "$TMP/db" "$TMP/clamd-tmp" "$TMP/clamsmtp-tmp" "$TMP/spool-libclamav" "$TMP/spool-clamd"
chmod 700 "$TMP/spool-libclamav" "$TMP/spool-clamd"
"$PYTHON" "$HERE/mksigs.py" "$TMP/db" "$SIGNATURES" "$TMP/eicar.eml" || die "mksigs.py failed"
"$PYTHON" "$HERE/mkmsg.py" "$SIZE" "$TMP/msg.eml" || die "mkmsg.py $SIZE failed"
# Bytes of the message as sent: smtp-source turns each LF into CRLF.
MSG_BYTES=$(($(wc -c <"$TMP/msg.eml") + $(wc -l <"$TMP/msg.eml")))

# --- smtp-sink ---------------------------------------------------------------

sink_args=(-c -m "$maxconn")
if [ "$(id -u)" -eq 0 ]; then
	sink_args+=(-u nobody) # smtp-sink insists on dropping root
fi
"$SMTP_SINK" "${sink_args[@]}" "$HOST:$SINK_PORT" "$backlog" \
	>"$TMP/sink.out" 2>"$TMP/sink.err" &
SINK_PID=$!
started "$SINK_PID" smtp-sink "$TMP/sink.err"
wait_ready "$SINK_PID" 10 port_busy "$SINK_PORT"

# --- clamd -------------------------------------------------------------------

# clamd runs as the user who runs the script (no User line), so it can read
# clamsmtpd's temporary files. smtp-source sends the same message every
# time: clamd's clean-file cache (the MD5 of every file and part it has
# found clean) would scan it once and answer from the cache ever after,
# which real mail, all different, never allows. smtpproxy's engine runs
# without that cache; DisableCache puts clamd on the same footing. All other
# settings are clamd's defaults (MaxThreads 10, StreamMaxLength 25M, ...).
CLAMD_SOCK=$TMP/clamd.sock
cat >"$TMP/clamd.conf" <<EOF
# generated by contrib/bench/bench-av.sh
LocalSocket $CLAMD_SOCK
Foreground yes
DatabaseDirectory $TMP/db
TemporaryDirectory $TMP/clamd-tmp
LogFile $TMP/clamd.log
LogTime yes
SelfCheck 0
DisableCache yes
EOF
"$CLAMD" -c "$TMP/clamd.conf" >"$TMP/clamd.out" 2>&1 &
CLAMD_PID=$!
started "$CLAMD_PID" clamd "$TMP/clamd.out"

# shellcheck disable=SC2317 # called through wait_ready
clamd_pong() {
	[ -S "$CLAMD_SOCK" ] || return 1
	"$PYTHON" - "$CLAMD_SOCK" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b"zPING\0")
sys.exit(0 if s.recv(16).startswith(b"PONG") else 1)
EOF
}
wait_ready "$CLAMD_PID" 120 clamd_pong

# --- clamsmtpd ---------------------------------------------------------------

# Action bounce makes clamsmtpd refuse an infected message at end of data
# (550), leaving the bounce to the sender; drop would answer 250 and discard
# it, which a sender cannot tell from a delivery. Header is empty, so that
# clamsmtpd passes the same bytes to the sink as smtpproxy does.
cat >"$TMP/clamsmtpd.conf" <<EOF
# generated by contrib/bench/bench-av.sh
Listen: $HOST:$CLAMSMTP_PORT
OutAddress: $HOST:$SINK_PORT
ClamAddress: $CLAMD_SOCK
TempDirectory: $TMP/clamsmtp-tmp
MaxConnections: $maxconn
Action: bounce
Header:
EOF
"$CLAMSMTPD" -d 1 -f "$TMP/clamsmtpd.conf" >"$TMP/clamsmtpd.log" 2>&1 &
CLAMSMTPD_PID=$!
started "$CLAMSMTPD_PID" clamsmtpd "$TMP/clamsmtpd.log"
wait_ready "$CLAMSMTPD_PID" 10 port_busy "$CLAMSMTP_PORT"

# --- smtpproxy, one per backend ----------------------------------------------

for backend in libclamav clamd; do
	if [ "$backend" = libclamav ]; then port=$LIBCLAMAV_PORT; else port=$CLAMD_PORT; fi
	cat >"$TMP/smtpproxy-$backend.conf" <<EOF
# generated by contrib/bench/bench-av.sh
listen = { "$HOST:$port" }
mode = "relay"
upstream = "$HOST:$SINK_PORT"
log_level = "warning"
max_sessions_per_client = $maxconn
shutdown_grace = 2s
spool_dir = "$TMP/spool-$backend"
antivirus {
    enabled = true
    backend = "$backend"
    database = "$TMP/db"
    clamd = { "$CLAMD_SOCK" }${AV_THREADS:+
    threads = $AV_THREADS}
}
EOF
	"$SMTPPROXY" -n -f "$TMP/smtpproxy-$backend.conf" >"$TMP/smtpproxy-$backend.log" 2>&1 ||
		{ cat "$TMP/smtpproxy-$backend.log" >&2; die "smtpproxy rejects the generated configuration"; }
	"$SMTPPROXY" -d -f "$TMP/smtpproxy-$backend.conf" >"$TMP/smtpproxy-$backend.log" 2>&1 &
	pid=$!
	started "$pid" "smtpproxy/$backend" "$TMP/smtpproxy-$backend.log"
	wait_ready "$pid" 120 port_busy "$port"
	if [ "$backend" = libclamav ]; then LIBCLAMAV_PID=$pid; else PROXY_CLAMD_PID=$pid; fi
done

# --- measuring ---------------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# clamd serves two paths: its peak RSS is taken per path by resetting the
# peak (clear_refs 5, Linux 4.0) before each of that path's runs. Where
# that is not possible, both rows show clamd's peak over all runs.
CLAMD_RESET=yes
reset_clamd_peak() {
	[ "$CLAMD_RESET" = yes ] || return 0
	echo 5 2>/dev/null >"/proc/$CLAMD_PID/clear_refs" || CLAMD_RESET=no
}

# The kernel's count of connections dropped because a listen queue was full
# (TcpExt ListenOverflows). The runs take turns, so the growth during a run
# belongs to its path, give or take what else the machine does.
listen_overflows() {
	awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 }
		else for (i = 1; i <= NF; i++) if (k[i] == "ListenOverflows") v = $i }
		END { print v + 0 }' /proc/net/netstat 2>/dev/null || echo 0
}

# The backlog a server listens with (ss shows it as Send-Q of a listener).
listen_backlog() {
	ss -Hltn "sport = :$1" 2>/dev/null | awk '{ print $3; exit }'
}

SOURCE_ARGS=(-s "$SESSIONS" -f bench-from@example.com -t bench-to@example.com -F "$TMP/msg.eml")
if [ "$KEEPALIVE" = yes ]; then
	SOURCE_ARGS+=(-d)
fi

PATHS=(direct clamsmtp smtpproxy/libclamav smtpproxy/clamd)
declare -A PORT_OF=([direct]=$SINK_PORT [clamsmtp]=$CLAMSMTP_PORT
	[smtpproxy/libclamav]=$LIBCLAMAV_PORT [smtpproxy/clamd]=$CLAMD_PORT)
declare -A PID_OF=([clamsmtp]=$CLAMSMTPD_PID [smtpproxy/libclamav]=$LIBCLAMAV_PID
	[smtpproxy/clamd]=$PROXY_CLAMD_PID)
declare -A USES_CLAMD=([clamsmtp]=yes [smtpproxy/clamd]=yes)

echo "smtpproxy anti-virus benchmark: $SESSIONS sessions, $MESSAGES messages of $MSG_BYTES bytes" \
	"(mkmsg.py $SIZE), $REPEAT run(s) per path," \
	"$([ "$KEEPALIVE" = yes ] && echo "connections kept open" || echo "one connection per message")"
echo "  cpus: $(nproc 2>/dev/null || echo '?')  kernel: $(uname -r)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  signatures: EICAR (.ndb) + $SIGNATURES random MD5 (.hdb);" \
	"$(sed -n 's/.*Loaded \([0-9]*\) signatures.*/\1/p' "$TMP/clamd.log" | tail -n 1) loaded by clamd"
echo "  clamd: $("$CLAMD" -V 2>/dev/null | head -n 1)  clamsmtpd: $("$CLAMSMTPD" -v 2>&1 | head -n 1)"
echo "  listen backlog: smtp-sink $(listen_backlog "$SINK_PORT"), clamsmtpd $(listen_backlog "$CLAMSMTP_PORT")," \
	"smtpproxy $(listen_backlog "$LIBCLAMAV_PORT")"
echo "  smtpproxy: $SMTPPROXY $("$SMTPPROXY" -V 2>/dev/null | tr '\n' ' ' || true)"

# Sanity check: the sink takes the EICAR message on the direct path, and
# every scanning path refuses it with a 5xx and delivers nothing.
eicar_check() {
	local name=$1 port=$2 before after out rc=0 i
	before=$(sink_count)
	out=$(timeout -k 5 60 "$SMTP_SOURCE" -s 1 -m 1 -f bench-from@example.com -t bench-to@example.com \
		-F "$TMP/eicar.eml" "$HOST:$port" 2>&1) || rc=$?
	if [ "$name" = direct ]; then
		for ((i = 0; i < 50; i++)); do
			after=$(sink_count)
			[ "$after" -gt "$before" ] && break
			sleep 0.1
		done
		if [ "$rc" -ne 0 ] || [ "$after" -ne $((before + 1)) ]; then
			echo "bench-av: the sink did not take the EICAR message directly: $out" >&2
			KEEP_TMP=yes
			exit 2
		fi
		printf '  eicar %-20s accepted by the sink (delivered)\n' "$name"
		return 0
	fi
	sleep 0.5
	after=$(sink_count)
	case $out in
	*"rejected: 5"[0-9][0-9]*) ;;
	*)
		echo "bench-av: $name did not refuse the EICAR message (smtp-source exit $rc${out:+: $out})" >&2
		KEEP_TMP=yes
		exit 2
		;;
	esac
	if [ "$after" -ne "$before" ]; then
		echo "bench-av: $name refused the EICAR message but the sink received it" >&2
		KEEP_TMP=yes
		exit 2
	fi
	printf '  eicar %-20s refused: %s\n' "$name" "$(printf '%s\n' "$out" | sed -n 's/.*rejected: //p' | head -n 1)"
}
for p in "${PATHS[@]}"; do
	eicar_check "$p" "${PORT_OF[$p]}"
	check_alive
done

# Warm-up: a few messages through each path, not reported.
warm=$((MESSAGES < 200 ? MESSAGES : 200))
for p in "${PATHS[@]}"; do
	run "$p" "${PORT_OF[$p]}" "$warm"
	if [ "$DELIVERED" -ne "$warm" ]; then
		echo "bench-av: warning: warm-up through $p delivered $DELIVERED of $warm messages" >&2
	fi
done

declare -A RATES FULL CPU_BOX CPU_CLAMD CLAMD_HWM DROPS
LOST=0

# Interleave the paths so that drift of the machine hits all of them alike.
for ((r = 1; r <= REPEAT; r++)); do
	for p in "${PATHS[@]}"; do
		box0=0 box1=0
		if [ "$p" != direct ]; then
			box0=$(cpu_ticks "${PID_OF[$p]}")
		fi
		[ -z "${USES_CLAMD[$p]:-}" ] || reset_clamd_peak
		clamd0=$(cpu_ticks "$CLAMD_PID")
		drops0=$(listen_overflows)
		run "$p" "${PORT_OF[$p]}" "$MESSAGES"
		drops1=$(listen_overflows)
		clamd1=$(cpu_ticks "$CLAMD_PID")
		DROPS[$p]=$((${DROPS[$p]:-0} + drops1 - drops0))
		if [ "$p" != direct ]; then
			box1=$(cpu_ticks "${PID_OF[$p]}")
		fi
		CPU_BOX[$p]=$((${CPU_BOX[$p]:-0} + box1 - box0))
		CPU_CLAMD[$p]=$((${CPU_CLAMD[$p]:-0} + clamd1 - clamd0))
		if [ -n "${USES_CLAMD[$p]:-}" ]; then
			hwm=$(peak_rss_kib "$CLAMD_PID")
			[ "$hwm" -le "${CLAMD_HWM[$p]:-0}" ] || CLAMD_HWM[$p]=$hwm
		fi
		elapsed=$ELAPSED
		delivered=$DELIVERED
		rate=$(awk -v n="$delivered" -v t="$elapsed" 'BEGIN { printf "%.3f", (t > 0 ? n / t : 0) }')
		printf '  run %d %-20s %8.3f s  %6d/%d delivered  %9.1f msg/s\n' \
			"$r" "$p" "$elapsed" "$delivered" "$MESSAGES" "$rate"
		RATES[$p]="${RATES[$p]:-} $rate"
		if [ "$delivered" -ne "$MESSAGES" ]; then
			echo "bench-av: warning: $p run $r delivered $delivered of $MESSAGES messages" >&2
			FULL[$p]=no
			LOST=1
		fi
	done
done
if [ "$CLAMD_RESET" = no ]; then
	hwm=$(peak_rss_kib "$CLAMD_PID")
	CLAMD_HWM[clamsmtp]=$hwm
	CLAMD_HWM[smtpproxy/clamd]=$hwm
fi

ref_rate=$(median "${RATES[clamsmtp]}")

echo
printf '%-20s %9s %7s %12s %10s %10s %9s %9s\n' path "msgs/s" "MB/s" "vs clamsmtp" \
	"box RSS" "clamd RSS" "box CPU" "clamd CPU"
for p in "${PATHS[@]}"; do
	rate=$(median "${RATES[$p]}")
	mbs=$(awk -v r="$rate" -v b="$MSG_BYTES" 'BEGIN { printf "%.2f", r * b / 1e6 }')
	ratio=$(awk -v r="$rate" -v h="$ref_rate" 'BEGIN { if (h > 0) printf "%.2f", r / h; else print "n/a" }')
	box_rss=n/a box_cpu=n/a clamd_rss=n/a clamd_cpu=n/a
	if [ "$p" != direct ]; then
		box_rss=$(mib "$(peak_rss_kib "${PID_OF[$p]}")")
		box_cpu=$(per_msg "${CPU_BOX[$p]}")
	fi
	if [ -n "${USES_CLAMD[$p]:-}" ]; then
		clamd_rss=$(mib "${CLAMD_HWM[$p]}")
		clamd_cpu=$(per_msg "${CPU_CLAMD[$p]}")
	fi
	mark=""
	[ "${FULL[$p]:-yes}" = yes ] || mark=" (lost messages)"
	printf '%-20s %9.1f %7s %12s %10s %10s %9s %9s%s\n' "$p" "$rate" "$mbs" "$ratio" \
		"$box_rss" "$clamd_rss" "$box_cpu" "$clamd_cpu" "$mark"
done
echo
echo "msgs/s and MB/s: median of $REPEAT run(s), MB = 10^6 bytes of message as sent;" \
	"RSS: peak (VmHWM)$([ "$CLAMD_RESET" = yes ] || echo ", clamd's over all runs");" \
	"CPU: user+system time per message."
drops=""
for p in "${PATHS[@]}"; do
	[ "${DROPS[$p]:-0}" -eq 0 ] || drops="$drops $p ${DROPS[$p]},"
done
if [ -n "$drops" ]; then
	echo "Connections dropped on a full listen queue (the client resends its SYN" \
		"after 1 s, 3 s, ...):${drops%,}."
fi

for backend in libclamav clamd; do
	log=$TMP/smtpproxy-$backend.log
	if grep -qiE 'error|fatal|alarm=' "$log"; then
		echo "bench-av: smtpproxy/$backend logged warnings or errors; first lines:" >&2
		grep -iE 'error|fatal|alarm=' "$log" | head -n 5 >&2
	fi
done
if grep -v 'running as root is NOT recommended' "$TMP/clamsmtpd.log" | grep -q .; then
	echo "bench-av: clamsmtpd logged; first lines:" >&2
	grep -v 'running as root is NOT recommended' "$TMP/clamsmtpd.log" | head -n 5 >&2
fi

exit "$LOST"
