#!/bin/bash
# 35-unscanned-spool (SPEC §4.5, §4.6 "nothing unscanned passes and
# nothing is lost"; smtpproxy.conf(5) spool_dir): attachments too large
# to inspect in memory go to spool_dir. When it becomes unusable while
# the proxy runs, a message that needs it is answered "451 4.3.0" (try
# again later): nothing is delivered, and the proxy log says why; once
# spool_dir is back, the same message, sent again in the same session,
# is delivered. The upstream is smtp-sink; the message is 12 MB with a
# 9 MB base64 attachment (about 6.7 MB decoded).
#  1. spool_dir removed after the start;
#  2. spool_dir not writable after the start: the proxy runs as nobody
#     (when the test runs as root, for which permissions do not count)
#     and the directory is made read-only.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd smtp-sink postfix
FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/mkfixtures.py" "$FX" || fail "mkfixtures.py failed"
"$PYTHON" "$INTEGRATION_DIR/mkfixtures.py" --big clean 12000000 \
    "$FX/big.eml" || fail "mkfixtures.py --big failed"
# What smtp-sink dumps: the message with LF line ends.
"$PYTHON" -c 'import sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(d.replace(b"\r\n", b"\n"))' \
    "$FX/big.eml" "$FX/big.lf"

start_sink
free_port PROXY_PORT
TEMPFAIL='^451 4\.3\.0 '

# txn FROM WIREFILE REPLY-REGEX: the steps of one transaction, in STEPS.
# check_big_dump: the sink's latest dump is the big message.
check_big_dump() {
	local f
	f=$(ls -t "$SINK_DIR"/* | head -n 1)
	sink_body "$f" >"$WORK/dump.body" || fail "cannot read the dump $f"
	cmp -s "$FX/big.lf" "$WORK/dump.body" ||
	    fail "$(basename "$f"): not the big message"
	ok "the big message arrived whole at the sink"
}

# scenario NAME BREAK-COMMAND REPAIR-COMMAND LOG-REGEX
scenario() {
	local name=$1 break=$2 repair=$3 why=$4 msgs
	msgs=$(sink_count)
	STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
	# A small message needs no spool: it may be delivered (noted below).
	txn "$name-small@example.com" "$FX/clean.wire" '^[245][0-9][0-9] '
	txn "$name-big@example.com" "$FX/big.eml.wire" "$TEMPFAIL"
	STEPS+=("touch:$WORK/$name.tempfailed" "waitfile:$WORK/$name.repaired")
	txn "$name-again@example.com" "$FX/big.eml.wire" '^250 '
	STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
	eval "$break" || fail "cannot break spool_dir: $break"
	note "spool_dir broken: $break"
	client_bg "$name" --timeout 40 --wait-timeout 30 "${STEPS[@]}"
	local pid=$BG_PID
	if ! wait_until 40 test -e "$WORK/$name.tempfailed"; then
		wait "$pid" 2>/dev/null
		note "--- client $name"
		sed 's/^/    /' "$WORK/$name.out"
		fail "$name: the big message was not answered /$TEMPFAIL/"
	fi
	ok "$name: the big message got a 451 4.3.0"
	# Nothing of it was delivered.
	sleep 0.5
	if grep -q "$name-big@" "$SINK_DIR"/* 2>/dev/null; then
		fail "$name: the tempfailed message was delivered"
	fi
	ok "$name: the tempfailed message was not delivered"
	wait_log "$why"
	wait_log "event=message from=<$name-big@example\\.com> .*reply=\"451 4\\.3\\.0"
	eval "$repair" || fail "cannot repair spool_dir: $repair"
	touch "$WORK/$name.repaired"
	client_wait "$name" "$pid"
	wait_until 20 sink_has $((msgs + 1)) || fail "$name: nothing delivered"
	sleep 0.5
	grep -Eq "event=message from=<$name-small@example\\.com> .*verdict=accept" \
	    "$PROXY_LOG" ||
	    note "note: the small message, which needs no spool, was not accepted"
	grep -lq "$name-again@" "$SINK_DIR"/* ||
	    fail "$name: the message sent again was not delivered"
	ok "$name: the message sent again was delivered"
	check_big_dump
	assert_eq 0 "$(find "$WORK/spool" -mindepth 1 2>/dev/null | wc -l)" \
	    "files left in spool_dir"
}

# ---------------------------------------------------------------------
check "1: spool_dir removed while the proxy runs"
mkdir -m 700 "$WORK/spool"
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$SINK_ADDR\"
spool_dir = \"$WORK/spool\"
filetypes {
	enabled = true
	block_types = { \"executable\" }
}"
scenario removed "rm -rf '$WORK/spool'" "mkdir -m 700 '$WORK/spool'" \
    "$WORK/spool.*(No such file or directory|ENOENT)"
check_proxy_alive

# ---------------------------------------------------------------------
check "2: spool_dir not writable while the proxy runs"
user=""
if [ "$(id -u)" -eq 0 ]; then
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	user="user = \"nobody\""
	chown nobody "$WORK/spool"
fi
chmod 700 "$WORK/spool"
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$SINK_ADDR\"
$user
spool_dir = \"$WORK/spool\"
filetypes {
	enabled = true
	block_types = { \"executable\" }
}"
PID=$(pgrep -P "$PROXY_PID" | head -n 1)
[ -z "$user" ] || [ "$(stat -c %U "/proc/$PID")" = nobody ] ||
    fail "the proxy did not switch to user nobody"
scenario readonly "chmod 500 '$WORK/spool'" "chmod 700 '$WORK/spool'" \
    "$WORK/spool.*(Permission denied|EACCES)"
check_proxy_alive
pass
