#!/bin/bash
# Peak memory of smtpproxy while N sessions each stream one large message
# with an attachment through it at the same time (default 20 sessions of
# 20 MB, content inspection and file types on). Memory should be bounded
# by the proxy's buffers and spool, not by the message size.
#
#     contrib/bench/memory.sh [-s SESSIONS] [-l SIZE] [-x extra.conf]
#
# Loopback only; everything started is stopped on exit.
set -euo pipefail

SESSIONS=20
SIZE=20M
EXTRA_CONF=""
while getopts "s:l:x:h" opt; do
	case $opt in
	s) SESSIONS=$OPTARG ;;
	l) SIZE=$OPTARG ;;
	x) EXTRA_CONF=$OPTARG ;;
	*) sed -n '2,10p' "$0"; exit 0 ;;
	esac
done

here=$(cd "$(dirname "$0")" && pwd)
SMTPPROXY=${SMTPPROXY:-$here/../../src/smtpproxy}
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
SINK_PORT=$(port)
PROXY_PORT=$(port)

python3 "$here/mkmsg.py" "$SIZE" "$tmp/msg.eml"
mkdir -p -m 700 "$tmp/spool"
cat >"$tmp/proxy.conf" <<CONF
listen = { "127.0.0.1:$PROXY_PORT" }
mode = "relay"
upstream = "127.0.0.1:$SINK_PORT"
log_level = "warning"
max_sessions_per_client = 1000
spool_dir = "$tmp/spool"
limits { message_size = 1G }
filetypes { enabled = true  block_types = { "executable" } }
CONF
[ -z "$EXTRA_CONF" ] || cat "$EXTRA_CONF" >>"$tmp/proxy.conf"

smtp-sink -u nobody -c "127.0.0.1:$SINK_PORT" 1000 >"$tmp/sink.out" 2>&1 &
pids+=($!)
"$SMTPPROXY" -d -f "$tmp/proxy.conf" 2>"$tmp/proxy.log" &
proxy=$!
pids+=("$proxy")
for _ in $(seq 50); do
	ss -ltn "sport = :$PROXY_PORT" | grep -q LISTEN && break
	sleep 0.1
done
base=$(awk '/VmRSS/ { print $2 }' "/proc/$proxy/status")
start=$(date +%s.%N)
timeout 600 smtp-source -s "$SESSIONS" -m "$SESSIONS" -c -F "$tmp/msg.eml" \
    -f a@example.com -t b@example.com "127.0.0.1:$PROXY_PORT" >/dev/null
end=$(date +%s.%N)
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$proxy/status")
size=$(wc -c <"$tmp/msg.eml")
echo "sessions=$SESSIONS message_bytes=$size seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
echo "smtpproxy RSS at start: $((base / 1024)) MiB; peak RSS: $((hwm / 1024)) MiB"
echo "in flight at once: $((SESSIONS * size / 1048576)) MiB of messages"
