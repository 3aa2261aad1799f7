#!/bin/bash
# 34-big-attachments (SPEC §3, §4.5): big messages through the proxy with
# filetypes on, relayed to smtp-sink; memory stays bounded.
#  1. a 20 MB message with a 15 MB base64 attachment (random bytes) is
#     delivered, and what smtp-sink dumped is the message, byte for byte
#     (LF line ends, as smtp-sink writes them); the client gets the
#     sink's own reply;
#  2. a 20 MB message whose 15 MB attachment is a PE program, and one with
#     a small PE program after the 15 MB attachment, are refused with
#     554 5.7.1 ... (executable) and not delivered; the session goes on;
#  3. 5 such sessions at once (3 clean, 2 with a program): each gets its
#     verdict, the 3 clean ones are delivered whole;
#  4. the proxy's peak resident memory (VmHWM) stays under 64 MB, and
#     spool_dir is empty afterwards.
# 36-slow-upstream does the same against an upstream slower than the
# client.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd smtp-sink postfix
HWM_LIMIT_KB=$((64 * 1024))
SIZE=20000000
BIG="$WORK/big"
mkdir -p "$BIG"
mkdir -m 700 "$WORK/spool"
for kind in clean exe exe-last; do
	"$PYTHON" "$INTEGRATION_DIR/mkfixtures.py" --big "$kind" "$SIZE" \
	    "$BIG/$kind.eml" || fail "mkfixtures.py --big $kind failed"
done
note "messages: $(ls -l "$BIG" | awk 'NR > 1 { printf "%s %s; ", $9, $5 }')"
# What smtp-sink dumps: the message with LF line ends.
"$PYTHON" -c 'import sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(d.replace(b"\r\n", b"\n"))' \
    "$BIG/clean.eml" "$BIG/clean.lf"

start_sink
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$SINK_ADDR\"
spool_dir = \"$WORK/spool\"
filetypes {
	enabled = true
	block_types = { \"executable\" }
}"
PID=$(pgrep -P "$PROXY_PID" | head -n 1)
[ -n "$PID" ] || fail "cannot find the proxy process under $PROXY_PID"

hwm_kb() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$PID/status"
}
note "proxy pid $PID, VmHWM at start: $(hwm_kb) kB"

# session NAME FROM WIREFILE REPLY-REGEX [more transactions as pairs]
steps() {
	local from=$1 wire=$2 want=$3
	STEPS+=("send:MAIL FROM:<$from>\\r\\n" 'expect:^250 '
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 '
	    'send:DATA\r\n' 'expect:^354 ' "sendfile:$wire" "expect:$want")
}

# check_dumps N: the sink has N messages, each the clean big message.
check_dumps() {
	local f
	wait_until 20 sink_has "$1" || fail "$1 messages expected at the sink"
	sleep 0.5
	assert_eq "$1" "$(sink_count)" "messages at the sink"
	for f in "$SINK_DIR"/*; do
		sink_body "$f" >"$WORK/dump.body" ||
		    fail "cannot read the dump $f"
		cmp -s "$BIG/clean.lf" "$WORK/dump.body" ||
		    fail "$(basename "$f"): not the message sent ($(wc -c \
			<"$WORK/dump.body") bytes, expected $(wc -c \
			<"$BIG/clean.lf"))"
	done
	ok "every dump is the clean message, byte for byte"
}

REFUSED_BIG='^554 5\.7\.1 Attachment "big-data\.bin" \(executable\) not allowed$'
REFUSED_TAIL='^554 5\.7\.1 Attachment "tail\.dat" \(executable\) not allowed$'

# ---------------------------------------------------------------------
check "1: a clean 20 MB message is delivered whole"
STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
steps clean@example.com "$BIG/clean.eml.wire" '^250 2\.0\.0 Ok$'
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
client big-clean --timeout 40 "${STEPS[@]}"
check_dumps 1
note "VmHWM: $(hwm_kb) kB"

# ---------------------------------------------------------------------
check "2: 20 MB messages with a program inside are refused"
STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
steps exe@example.com "$BIG/exe.eml.wire" "$REFUSED_BIG"
steps exe-last@example.com "$BIG/exe-last.eml.wire" "$REFUSED_TAIL"
steps again@example.com "$BIG/clean.eml.wire" '^250 2\.0\.0 Ok$'
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
client big-exe --timeout 40 "${STEPS[@]}"
check_dumps 2
wait_log 'event=message from=<exe@example\.com> .*verdict=reject'
wait_log 'event=message from=<exe-last@example\.com> .*verdict=reject'
note "VmHWM: $(hwm_kb) kB"

# ---------------------------------------------------------------------
check "3: 5 sessions at once"
pids=()
for i in 1 2 3 4 5; do
	case $i in
	2) wire=$BIG/exe.eml.wire want=$REFUSED_BIG ;;
	4) wire=$BIG/exe-last.eml.wire want=$REFUSED_TAIL ;;
	*) wire=$BIG/clean.eml.wire want='^250 2\.0\.0 Ok$' ;;
	esac
	STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
	steps "par$i@example.com" "$wire" "$want"
	STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
	client_bg "par-$i" --timeout 50 "${STEPS[@]}"
	pids+=("$BG_PID")
done
# Sample the resident size while they run (VmHWM keeps the peak anyway).
peak=0
while :; do
	running=0
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null && running=1
	done
	rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' \
	    "/proc/$PID/status" 2>/dev/null)
	[ -n "$rss" ] && [ "$rss" -gt "$peak" ] && peak=$rss
	[ "$running" = 1 ] || break
	sleep 0.1
done
check_proxy_alive	# a crash explains the clients' failures best
for i in 1 2 3 4 5; do
	client_wait "par-$i" "${pids[i - 1]}"
done
check_dumps 5
check_proxy_alive

# ---------------------------------------------------------------------
check "4: memory and spool"
hwm=$(hwm_kb)
note "proxy VmRSS peak sampled: $peak kB, VmHWM: $hwm kB (limit $HWM_LIMIT_KB kB)"
[ -n "$hwm" ] || fail "no VmHWM for pid $PID"
assert_memory "$hwm" "$HWM_LIMIT_KB" "proxy peak resident memory"
assert_eq 0 "$(find "$WORK/spool" -mindepth 1 | wc -l)" "files left in spool_dir"
pass
