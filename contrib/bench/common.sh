# shellcheck shell=bash
# Functions shared by bench.sh and bench-av.sh, sourced by both. Sourcing it
# only defines functions: it starts nothing, sets no variable, installs no
# trap and changes no shell option; the scripts keep their own set -euo
# pipefail, traps, options and output.
#
# What it provides:
#
#     die MESSAGE...          "$PROG: MESSAGE" on stderr, exit 2
#     is_uint S               S is a whole number greater than 0
#     find_tool NAME          NAME from PATH, else /usr/sbin/NAME
#     stop_pid PID SECONDS    TERM, up to SECONDS to exit, then KILL
#     port_busy PORT          something listens on TCP PORT
#     wait_listen PORT PID LOG  until PORT listens (10 s), exit 2 if PID dies
#     started PID NAME LOG    remember a server, to check and to stop it
#     check_alive             exit 2, with the log's end, if a server died
#     sink_count              messages smtp-sink has counted so far
#     now                     the time in seconds, with nanoseconds
#     run PATH PORT COUNT     one smtp-source run of COUNT messages to PORT
#     proc_tree PID           PID and its descendants
#     peak_rss_kib PID        VmHWM in KiB, summed over proc_tree PID
#     cpu_ticks PID           user+system clock ticks, summed the same way
#     median "N N ..."        median of numbers separated by blanks
#     spread "N N ..."        their lowest and highest, as "min-max"
#     mib KIB                 KIB as "12.3 MiB"
#     per_msg TICKS           TICKS per measured message, as "123 us"
#
# What the sourcing script provides: the globals the functions read or set,
# and which functions use them.
#
#     PROG                     name in messages, e.g. bench     die, check_alive, run,
#                                                               wait_listen
#     TMP                      temporary directory: sink.out is smtp-sink's
#                              output, source-*.err smtp-source's errors
#                                                               sink_count, run
#     PIDS, NAME_OF, LOG_OF    array of server PIDs; PID -> name and
#                              PID -> log (declare -A)          started, check_alive
#     KEEP_TMP                 set to yes when a server died    check_alive
#     SMTP_SOURCE, SOURCE_ARGS (array), HOST, BENCH_TIMEOUT     run
#     SOURCE_PID               smtp-source's PID during run, "" otherwise
#     ELAPSED, DELIVERED       set by run: seconds, messages the sink got
#     CLK_TCK, MESSAGES, REPEAT                                 per_msg
#
# Linux only, as the scripts: /proc, ss (iproute2), pgrep, GNU date.

die() {
	echo "$PROG: $*" >&2
	exit 2
}

is_uint() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	[ "$1" -gt 0 ]
}

# find_tool NAME: NAME from PATH, else /usr/sbin/NAME (Postfix's test
# programs and the daemons live there, and /usr/sbin is not in every user's
# PATH).
find_tool() {
	local name=$1
	if command -v "$name" >/dev/null 2>&1; then
		command -v "$name"
	elif [ -x "/usr/sbin/$name" ]; then
		echo "/usr/sbin/$name"
	else
		return 1
	fi
}

# stop_pid PID SECONDS: SIGTERM, then SIGKILL if PID is still there after
# SECONDS, and reap it.
# shellcheck disable=SC2317 # called from the scripts' cleanup, from the trap
stop_pid() {
	local pid=$1 secs=$2 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

port_busy() {
	[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# wait_listen PORT PID LOG: until PORT is listening, PID alive, 10 s at most.
wait_listen() {
	local port=$1 pid=$2 log=$3 i
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$PROG: process $pid exited before listening on $port:" >&2
			tail -n 20 "$log" >&2 || true
			exit 2
		fi
		port_busy "$port" && return 0
		sleep 0.1
	done
	echo "$PROG: nothing listens on $port after 10 s:" >&2
	tail -n 20 "$log" >&2 || true
	exit 2
}

# started PID NAME LOG: remember a server, to stop it and to report it.
started() {
	PIDS+=("$1")
	NAME_OF["$1"]=$2
	LOG_OF["$1"]=$3
}

# A server that died makes every further figure meaningless: say which and
# why, and stop.
check_alive() {
	local pid rc
	for pid in "${PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null && continue
		rc=0
		wait "$pid" 2>/dev/null || rc=$?
		if [ "$rc" -gt 128 ]; then
			echo "$PROG: ${NAME_OF[$pid]} (pid $pid) was killed by signal $((rc - 128))" >&2
		else
			echo "$PROG: ${NAME_OF[$pid]} (pid $pid) exited with status $rc" >&2
		fi
		echo "$PROG: last lines of ${LOG_OF[$pid]}:" >&2
		tail -n 20 "${LOG_OF[$pid]}" >&2 || true
		# shellcheck disable=SC2034 # read by the scripts' cleanup
		KEEP_TMP=yes
		exit 2
	done
}

# smtp-sink -c writes "sess=N quit=N mesg=N" followed by CR at every event.
sink_count() {
	tail -c 256 "$TMP/sink.out" | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9][0-9]*\).*/\1/p' | tail -n 1 |
		grep . || echo 0
}

now() { date +%s.%N; }

# run PATH PORT COUNT: sets ELAPSED (seconds) and DELIVERED (messages the
# sink counted). Runs in the script's shell, so that the trap can stop
# smtp-source. smtp-source's errors go to $TMP/source-PATH.err, a "/" in
# PATH written "-".
# shellcheck disable=SC2034 # ELAPSED and DELIVERED are for the caller
run() {
	local name=$1 port=$2 count=$3 before after start end rc=0 i
	before=$(sink_count)
	start=$(now)
	timeout -k 5 "$BENCH_TIMEOUT" "$SMTP_SOURCE" "${SOURCE_ARGS[@]}" -m "$count" \
		"$HOST:$port" >/dev/null 2>>"$TMP/source-${name//\//-}.err" &
	SOURCE_PID=$!
	wait "$SOURCE_PID" || rc=$?
	end=$(now)
	SOURCE_PID=""
	# The sink counts "." when it reads it; give it a moment to catch up.
	for ((i = 0; i < 50; i++)); do
		after=$(sink_count)
		[ $((after - before)) -ge "$count" ] && break
		sleep 0.1
	done
	if [ "$rc" -ne 0 ]; then
		echo "$PROG: warning: $name: smtp-source exited $rc:" >&2
		tail -n 3 "$TMP/source-${name//\//-}.err" >&2 || true
	fi
	ELAPSED=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.6f", e - s }')
	DELIVERED=$((after - before))
	check_alive
}

# Process $1 and its descendants.
proc_tree() {
	local pid=$1 child
	echo "$pid"
	for child in $(pgrep -P "$pid" 2>/dev/null || true); do
		proc_tree "$child"
	done
}

# Peak resident set size in KiB, summed over the process tree.
peak_rss_kib() {
	local pid sum=0 kib
	for pid in $(proc_tree "$1"); do
		kib=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true)
		sum=$((sum + ${kib:-0}))
	done
	echo "$sum"
}

# CPU time (user + system) in clock ticks, summed over the process tree.
cpu_ticks() {
	local pid sum=0 t
	for pid in $(proc_tree "$1"); do
		# fields after the ")" of comm: 12 = utime, 13 = stime
		t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}' || true)
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

median() {
	# shellcheck disable=SC2086 # one number per word
	printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) print 0
		else if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

spread() {
	# shellcheck disable=SC2086 # one number per word
	printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { printf "%s-%s", v[1], v[NR] }'
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# per_msg TICKS: CPU time per message of the measured runs (MESSAGES x
# REPEAT), in microseconds.
per_msg() {
	awk -v t="$1" -v hz="$CLK_TCK" -v n=$((MESSAGES * REPEAT)) \
		'BEGIN { printf "%.0f us", t / hz / n * 1e6 }'
}
