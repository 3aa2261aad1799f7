#!/bin/bash
# tlsbench.sh: TLS side by side (see README, "TLS"). One run measures, with
# the same load generator (tlsload.c, built here) and the same certificate:
#
#   haproxy     implicit TLS -> haproxy (bind ... ssl crt, mode tcp) -> smtp-sink
#   implicit    implicit TLS -> smtpproxy tls.listen, inspect, checks on -> smtp-sink
#   st-inspect  STARTTLS -> smtpproxy inspect (upstream = none) -> smtp-sink
#   st-inspect2 STARTTLS -> smtpproxy inspect (both legs TLS) -> tlsload -S
#   st-pass     STARTTLS -> smtpproxy passthrough -> tlsload -S (TLS end to end)
#
# each without and with TLS session resumption (tickets) on the client side,
# one connection per message, and prints messages/s, handshakes/s, the
# middle box's CPU per message and peak RSS, and implicit/haproxy per round.
#
#   contrib/bench/tlsbench.sh [-c CONNS] [-m MESSAGES] [-l BYTES] [-r ROUNDS]
#                             [-p PORT] [-K]
set -euo pipefail

PROG=tlsbench
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=contrib/bench/common.sh
. "$HERE/common.sh"

CONNS=${CONNS:-8}
MESSAGES=${MESSAGES:-2000}
SIZE=${SIZE:-10240}
REPEAT=${REPEAT:-3}
BASE_PORT=${BENCH_PORT:-23525}
KEEP=no
while getopts c:m:l:r:p:K opt; do
	case $opt in
	c) CONNS=$OPTARG ;;
	m) MESSAGES=$OPTARG ;;
	l) SIZE=$OPTARG ;;
	r) REPEAT=$OPTARG ;;
	p) BASE_PORT=$OPTARG ;;
	K) KEEP=yes ;;
	*) die "usage: $0 [-c CONNS] [-m MESSAGES] [-l BYTES] [-r ROUNDS] [-p PORT] [-K]" ;;
	esac
done
for v in "$CONNS" "$MESSAGES" "$SIZE" "$REPEAT" "$BASE_PORT"; do
	is_uint "$v" || die "not a number: $v"
done

SMTPPROXY=${SMTPPROXY:-./src/smtpproxy}
[ -x "$SMTPPROXY" ] || die "no $SMTPPROXY (build first, or set SMTPPROXY)"
HAPROXY=${HAPROXY:-$(find_tool haproxy)} || die "haproxy not found"
SMTP_SINK=${SMTP_SINK:-$(find_tool smtp-sink)} || die "smtp-sink not found"
HOST=127.0.0.1
SINK_PORT=$BASE_PORT
HAPROXY_PORT=$((BASE_PORT + 1))
IMPL_PORT=$((BASE_PORT + 2))
INSP_PORT=$((BASE_PORT + 3))
INSP2_PORT=$((BASE_PORT + 4))
PASS_PORT=$((BASE_PORT + 5))
TSINK_PORT=$((BASE_PORT + 6))
PLAIN_PORT=$((BASE_PORT + 7))	# implicit's plaintext listener

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tlsbench.XXXXXX")
PIDS=()
declare -A NAME_OF LOG_OF
KEEP_TMP=$KEEP
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid" 5
	done
	if [ "$KEEP_TMP" = yes ]; then
		echo "$PROG: kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

for p in $(seq "$BASE_PORT" $((BASE_PORT + 7))); do
	port_busy "$p" && die "port $p is in use (choose others with -p)"
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

"${CC:-cc}" -O2 -Wall -o "$TMP/tlsload" "$HERE/tlsload.c" -lssl -lcrypto \
    -lpthread || die "cannot build tlsload.c (libssl-dev installed?)"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bench.test \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 ||
    die "openssl req failed"
cat "$TMP/cert.pem" "$TMP/key.pem" >"$TMP/both.pem"
mkdir -p "$TMP/spool"
chmod 755 "$TMP"

maxconn=$((CONNS * 8 > 256 ? CONNS * 8 : 256))
sink_args=(-c -m "$maxconn")
[ "$(id -u)" -ne 0 ] || sink_args+=(-u nobody)
"$SMTP_SINK" "${sink_args[@]}" "$HOST:$SINK_PORT" 4096 \
    >"$TMP/sink.out" 2>"$TMP/sink.err" &
started $! smtp-sink "$TMP/sink.err"
wait_listen "$SINK_PORT" $! "$TMP/sink.err"

"$TMP/tlsload" -S "$TSINK_PORT" -C "$TMP/cert.pem" -K "$TMP/key.pem" \
    >"$TMP/tsink.log" 2>&1 &
started $! tlsload-sink "$TMP/tsink.log"
wait_listen "$TSINK_PORT" $! "$TMP/tsink.log"

# The same cipher on every path: TLS 1.3, AES-256-GCM (OpenSSL's first).
# HAPROXY_THREADS: nbthread (default HAProxy's, one per CPU; smtpproxy
# runs one event loop here, so 1 compares one loop with one loop).
cat >"$TMP/haproxy.cfg" <<EOF
global
    maxconn $((maxconn * 4))
    ${HAPROXY_THREADS:+nbthread $HAPROXY_THREADS}
    ssl-default-bind-ciphersuites TLS_AES_256_GCM_SHA384
defaults
    mode tcp
    timeout connect 10s
    timeout client 5m
    timeout server 5m
frontend smtps_in
    bind $HOST:$HAPROXY_PORT ssl crt $TMP/both.pem
    default_backend smtp_sink
backend smtp_sink
    server sink $HOST:$SINK_PORT
EOF
"$HAPROXY" -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
HAPROXY_PID=$!
started "$HAPROXY_PID" haproxy "$TMP/haproxy.log"
wait_listen "$HAPROXY_PORT" "$HAPROXY_PID" "$TMP/haproxy.log"

declare -A PID_OF
# Every check on: file types and header alarms blocking (no signatures:
# the anti-virus engine is measured by bench-av.sh).
CHECKS='filetypes {
	enabled = true
	block_extensions = { "exe", "scr", "js" }
	block_encrypted_archives = true
	block_office_macros = true
}
alarm "smtp:231" { action = "block" }
alarm "smtp:122" { action = "block" }'
# proxy_start NAME PORT LISTEN UPSTREAM-PORT TLS-LINES [EXTRA]: one smtpproxy;
# PORT is the one to wait for (tls.listen for implicit TLS).
proxy_start() {
	local name=$1 port=$2 listen=$3 up=$4 tls=$5 extra=${6:-}
	cat >"$TMP/$name.conf" <<EOF
listen = { "$HOST:$listen" }
mode = "relay"
upstream = "$HOST:$up"
log_level = "warning"
max_sessions_per_client = $maxconn
shutdown_grace = 2s
spool_dir = "$TMP/spool"
tls {
	certificate = "$TMP/cert.pem"
	key = "$TMP/key.pem"
	ciphersuites = "TLS_AES_256_GCM_SHA384"
$tls
}
$extra
EOF
	"$SMTPPROXY" -d -f "$TMP/$name.conf" >"$TMP/$name.log" 2>&1 &
	PID_OF[$name]=$!
	started $! "$name" "$TMP/$name.log"
	wait_listen "$port" $! "$TMP/$name.log"
}
proxy_start implicit "$IMPL_PORT" "$PLAIN_PORT" "$SINK_PORT" \
    "	mode = \"inspect\"
	listen = { \"$HOST:$IMPL_PORT\" }" "$CHECKS"
proxy_start st-inspect "$INSP_PORT" "$INSP_PORT" "$SINK_PORT" \
    '	mode = "inspect"
	upstream = "none"' "$CHECKS"
proxy_start st-inspect2 "$INSP2_PORT" "$INSP2_PORT" "$TSINK_PORT" \
    '	mode = "inspect"' "$CHECKS"
proxy_start st-pass "$PASS_PORT" "$PASS_PORT" "$TSINK_PORT" \
    '	mode = "passthrough"'
PID_OF[haproxy]=$HAPROXY_PID

PATHS=(haproxy implicit st-inspect st-inspect2 st-pass)
declare -A PORT_OF=([haproxy]=$HAPROXY_PORT [implicit]=$IMPL_PORT
    [st-inspect]=$INSP_PORT [st-inspect2]=$INSP2_PORT [st-pass]=$PASS_PORT)
declare -A TYPE_OF=([haproxy]=implicit [implicit]=implicit
    [st-inspect]=starttls [st-inspect2]=starttls [st-pass]=starttls)

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
echo "tlsbench: $CONNS connections at once, $MESSAGES messages of $SIZE bytes a run, $REPEAT rounds"
echo "  haproxy: $("$HAPROXY" -v 2>/dev/null | head -n 1), nbthread ${HAPROXY_THREADS:-default}"
echo "  openssl: $(openssl version)"

# one PATH RESUME: a run; sets RATE HS CPU_US CLIENT_US.
one() {
	local p=$1 res=$2 t0 t1 out args=()
	[ "$res" = yes ] && args=(-R)
	t0=$(cpu_ticks "${PID_OF[$p]}")
	out=$(timeout 600 "$TMP/tlsload" -p "${PORT_OF[$p]}" -c "$CONNS" \
	    -m "$MESSAGES" -l "$SIZE" -t "${TYPE_OF[$p]}" "${args[@]}") ||
	    echo "$PROG: warning: $p: $out" >&2
	t1=$(cpu_ticks "${PID_OF[$p]}")
	check_alive
	RATE=$(sed -n 's/.*msgs_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
	HS=$(sed -n 's/.*handshakes_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
	FAILED=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$out")
	RESUMED=$(sed -n 's/.*resumed=\([0-9]*\).*/\1/p' <<<"$out")
	CLIENT_US=$(sed -n 's/.*client_cpu_us_per_msg=\([0-9]*\).*/\1/p' <<<"$out")
	CPU_US=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$MESSAGES" \
	    'BEGIN { printf "%.0f", t / hz / n * 1e6 }')
}

# Warm-up.
for p in "${PATHS[@]}"; do
	MESSAGES_SAVED=$MESSAGES
	MESSAGES=200 one "$p" no
	MESSAGES=$MESSAGES_SAVED
done

declare -A R H C CL
for ((r = 1; r <= REPEAT; r++)); do
	for res in no yes; do
		for p in "${PATHS[@]}"; do
			one "$p" "$res"
			k="$p,$res"
			R[$k]="${R[$k]:-} $RATE"
			H[$k]="${H[$k]:-} $HS"
			C[$k]="${C[$k]:-} $CPU_US"
			CL[$k]="${CL[$k]:-} $CLIENT_US"
			R[$k,$r]=$RATE
			printf '  round %d %-12s tickets=%-3s %8.1f msg/s %8.1f hs/s resumed=%-5s failed=%s %5s us/msg CPU (client %s us)\n' \
			    "$r" "$p" "$res" "$RATE" "$HS" "$RESUMED" "$FAILED" "$CPU_US" "$CLIENT_US"
		done
	done
done

echo
printf '%-12s %-8s %10s %10s %10s %12s %10s\n' path tickets "msgs/s" "hs/s" "CPU/msg" "client CPU" "peak RSS"
for res in no yes; do
	for p in "${PATHS[@]}"; do
		k="$p,$res"
		printf '%-12s %-8s %10.1f %10.1f %8s us %9s us %10s\n' "$p" "$res" \
		    "$(median "${R[$k]}")" "$(median "${H[$k]}")" \
		    "$(median "${C[$k]}")" "$(median "${CL[$k]}")" \
		    "$(mib "$(peak_rss_kib "${PID_OF[$p]}")")"
	done
done
echo
for res in no yes; do
	ratios=""
	for ((r = 1; r <= REPEAT; r++)); do
		ratios="$ratios $(awk -v a="${R[implicit,$res,$r]}" -v b="${R[haproxy,$res,$r]}" 'BEGIN { printf "%.3f", a / b }')"
	done
	pr=""
	for ((r = 1; r <= REPEAT; r++)); do
		pr="$pr $(awk -v a="${R[st-inspect,$res,$r]}" -v b="${R[st-pass,$res,$r]}" 'BEGIN { printf "%.3f", a / b }')"
	done
	echo "tickets=$res: implicit/haproxy per round:$ratios (median $(median "$ratios"));" \
	    "st-inspect/st-pass per round:$pr (median $(median "$pr"))"
done
