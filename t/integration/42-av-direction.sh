#!/bin/bash
# 42-av-direction (SPEC §4.6): scan_local and scan_other decide by the
# server a session goes to; in relay mode that is upstream. Two
# recorders, one on 127.0.0.1 and one on 127.0.0.2; the proxy relays to
# one of them, with local_servers = { "127.0.0.1" }:
#  1. scan_local = false, scan_other = true: to 127.0.0.1 (local) an
#     EICAR message is not scanned and is delivered, byte for byte; to
#     127.0.0.2 (other) it is refused with "554 5.7.1 Virus found: ..."
#     and not delivered;
#  2. the reverse, scan_local = true, scan_other = false: refused to
#     127.0.0.1, delivered to 127.0.0.2;
#  3. local_servers = { "127.0.0.0/8", "!127.0.0.2" } (a CIDR with an
#     exclusion), scan_local = false: 127.0.0.1 is local (delivered),
#     127.0.0.2 is not (refused).
# In each case a clean message is delivered both ways.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" "$FX" || fail "avfixtures.py failed"
mkdir -m 700 "$WORK/spool"
EICAR_RE='Eicar-Test-Signature(\.UNOFFICIAL)?'

STEPS=()
start_recorder --host 127.0.0.1
LOCAL_PORT=$REC_PORT
LOCAL_DIR=$REC_DIR
start_recorder --host 127.0.0.2
OTHER_PORT=$REC_PORT
OTHER_DIR=$REC_DIR
free_port PROXY_PORT

# deliver CASE ADDR PORT DIR AVCONF SCANNED(0|1): an EICAR message and a
# clean one through the proxy relaying to ADDR:PORT (recording in DIR).
deliver() {
	local tag=$1 addr=$2 port=$3 dir=$4 av=$5 scanned=$6 msgs want
	check "$tag: upstream $addr, expect the EICAR message $([ "$scanned" = 1 ] && echo refused || echo delivered)"
	start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$addr:$port\"
spool_dir = \"$WORK/spool\"
antivirus {
	enabled = true
	database = \"$FX/db\"
	$av
}"
	REC_DIR=$dir
	msgs=$(rec_msgs)
	if [ "$scanned" = 1 ]; then
		want="^554 5\\.7\\.1 Virus found: $EICAR_RE\$"
	else
		want='^250 2\.0\.0 Ok: queued as [0-9]+$'
	fi
	STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
	txn "eicar-$tag@example.com" "$FX/eicar-b64.wire" "$want"
	txn "clean-$tag@example.com" "$FX/clean.wire" \
	    '^250 2\.0\.0 Ok: queued as [0-9]+$'
	STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
	client "$tag" --timeout 20 "${STEPS[@]}"
	check_proxy_alive
	wait_until 10 rec_has $((msgs + 2 - scanned)) ||
	    fail "$tag: not delivered"
	sleep 0.3
	assert_eq $((msgs + 2 - scanned)) "$(rec_msgs)" \
	    "$tag: messages at the upstream $addr"
	if [ "$scanned" = 1 ]; then
		assert_no_grep "$dir/events" "from=<eicar-$tag@" \
		    "$tag: upstream events"
		wait_log "event=antivirus virus=\"$EICAR_RE\""
		wait_log "event=message from=<eicar-$tag@example\\.com> .*verdict=reject"
		assert_files_equal "$FX/clean.eml" "$dir/msg-$((msgs + 1)).eml" \
		    "$tag: the clean message"
	else
		assert_files_equal "$FX/eicar-b64.eml" \
		    "$dir/msg-$((msgs + 1)).eml" "$tag: the EICAR message (not scanned)"
		assert_files_equal "$FX/clean.eml" "$dir/msg-$((msgs + 2)).eml" \
		    "$tag: the clean message"
		assert_no_grep "$PROXY_LOG" 'event=antivirus' "$tag: proxy log"
		wait_log "event=message from=<eicar-$tag@example\\.com> .*verdict=accept"
	fi
}

# ---------------------------------------------------------------------
av='local_servers = { "127.0.0.1" }
	scan_local = false
	scan_other = true'
deliver 1-local 127.0.0.1 "$LOCAL_PORT" "$LOCAL_DIR" "$av" 0
deliver 1-other 127.0.0.2 "$OTHER_PORT" "$OTHER_DIR" "$av" 1

av='local_servers = { "127.0.0.1" }
	scan_local = true
	scan_other = false'
deliver 2-local 127.0.0.1 "$LOCAL_PORT" "$LOCAL_DIR" "$av" 1
deliver 2-other 127.0.0.2 "$OTHER_PORT" "$OTHER_DIR" "$av" 0

av='local_servers = { "127.0.0.0/8", "!127.0.0.2" }
	scan_local = false
	scan_other = true'
deliver 3-local 127.0.0.1 "$LOCAL_PORT" "$LOCAL_DIR" "$av" 0
deliver 3-other 127.0.0.2 "$OTHER_PORT" "$OTHER_DIR" "$av" 1

# Each recorder saw only its own proxy's traffic.
assert_no_grep "$LOCAL_DIR/events" 'from=<(eicar|clean)-[0-9]-other@' \
    "events at 127.0.0.1"
assert_no_grep "$OTHER_DIR/events" 'from=<(eicar|clean)-[0-9]-local@' \
    "events at 127.0.0.2"
pass
