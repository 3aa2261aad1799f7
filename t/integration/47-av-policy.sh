#!/bin/bash
# 47-av-policy (SPEC §4.6 reply, §4.4 smtp:252 actions, §4.8, §1 -t): the
# settings around the anti-virus verdict, libclamav back end, the proxy
# relaying to recorder.py.
#  1. reply = "Rejected %v (100%% sure)", with a signature whose name has
#     a non-ASCII character and a "%v" in it: "554 5.7.1 Rejected NAME
#     (100% sure)", NAME with the non-ASCII bytes replaced (the reply is
#     printable ASCII) and its "%v" left alone; the default reply with the
#     same signature is "554 5.7.1 Virus found: NAME";
#  2. reply with another "%" sequence is a configuration error (-n exits
#     1 with FILE:LINE), as is an enabled section that scans nothing; a
#     disabled section is not checked for its database;
#  3. antivirus { enabled = false }, and inspect = false with the section
#     enabled: EICAR is delivered, nothing is logged about it (§4.8);
#  4. alarm smtp:252 with its action set (max_size = 1K, a bigger
#     message): "block" refuses it with a reply naming smtp:252 and
#     delivers nothing; "close" answers 421 4.7.0 naming smtp:252 and
#     closes; "pass" delivers it, logs nothing, counts it (SIGUSR1);
#  5. -t runs the anti-virus offline: EICAR is "verdict: reject 554 5.7.1
#     Virus found: ..." (exit 1) after an "antivirus" finding line, a
#     clean message "verdict: accept" (exit 0), a message over max_size
#     an smtp:252 line and "verdict: accept".
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_proxy
FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" "$FX" || fail "avfixtures.py failed"
mkdir -p "$WORK/odd-db"
mkdir -m 700 "$WORK/spool"
# A signature named "Vir<U+00FC>s-%v-Test" for the EICAR string.
"$PYTHON" - "$FX/eicar.com" "$WORK/odd-db/odd.ndb" <<'EOF' ||
import sys
e = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write("Vir\u00fcs-%v-Test".encode() + b":0:*:" +
                              e.hex().encode() + b"\n")
EOF
    fail "cannot write the odd signature"
EICAR_RE='Eicar-Test-Signature(\.UNOFFICIAL)?'
OK_RE='^250 2\.0\.0 Ok: queued as [0-9]+$'

STEPS=()
start_recorder
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\""

# one NAME WIREFILE REPLY-REGEX [MORE STEPS...]: one session, one message.
one() {
	local name=$1 wire=$2 want=$3
	shift 3
	STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
	txn "$name@example.com" "$wire" "$want"
	if [ $# -gt 0 ]; then
		STEPS+=("$@")
	else
		STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
	fi
	client "$name" --timeout 20 "${STEPS[@]}"
}

# ---------------------------------------------------------------------
check "1: reply with %v and %%, a signature name with non-ASCII and %v"
start_proxy "$base
antivirus {
	enabled = true
	database = \"$WORK/odd-db\"
	reply = \"Rejected %v (100%% sure)\"
}"
one odd-reply "$FX/eicar-b64.wire" \
    '^554 5\.7\.1 Rejected Vir[!-~]+s-%v-Test(\.UNOFFICIAL)? \(100% sure\)$'
"$PYTHON" - "$WORK/odd-reply.out" <<'EOF' ||
import sys
for l in open(sys.argv[1], "rb"):
    if b" S: 554 " in l and any(b < 0x20 or b > 0x7e for b in l.rstrip(b"\n")):
        sys.exit("non-printable byte in %r" % l)
EOF
    fail "the reply is not printable ASCII"
ok "the reply is printable ASCII"
start_proxy "$base
antivirus {
	enabled = true
	database = \"$WORK/odd-db\"
}"
one odd-default "$FX/eicar-zip.wire" \
    '^554 5\.7\.1 Virus found: Vir[!-~]+s-%v-Test(\.UNOFFICIAL)?$'
sleep 0.3
assert_eq 0 "$(rec_msgs)" "messages at the upstream"
stop_proxy

# ---------------------------------------------------------------------
check "2: configuration errors"
# check_conf NAME WANT-STATUS TEXT [PATTERN]
check_conf() {
	local name=$1 want=$2 st=0
	printf '%s\n' "$3" >"$WORK/$name.conf"
	timeout -k 5 20 "$SMTPPROXY" -n -f "$WORK/$name.conf" \
	    >"$WORK/$name.out" 2>&1 </dev/null || st=$?
	note "--- smtpproxy -n ($name): exit $st"
	sed 's/^/    /' "$WORK/$name.out"
	assert_eq "$want" "$st" "$name: -n exit status"
	[ -z "${4:-}" ] || assert_grep "$WORK/$name.out" "$4"
}
check_conf bad-reply 1 "$base
antivirus {
	enabled = true
	database = \"$FX/db\"
	reply = \"Rejected %x\"
}" 'bad-reply\.conf:[0-9]+: .*reply'
check_conf scans-nothing 1 "$base
antivirus {
	enabled = true
	database = \"$FX/db\"
	scan_local = true
	scan_other = false
}" 'scans-nothing\.conf:[0-9]+: antivirus'
check_conf disabled-missing-db 0 "$base
antivirus {
	enabled = false
	database = \"$WORK/no-such-db\"
}" '^configuration OK$'

# ---------------------------------------------------------------------
check "3: antivirus disabled, and inspect = false: EICAR delivered"
start_proxy "$base
antivirus {
	enabled = false
	database = \"$FX/db\"
}"
one disabled "$FX/eicar-b64.wire" "$OK_RE"
start_proxy "$base
inspect = false
antivirus {
	enabled = true
	database = \"$FX/db\"
}"
one no-inspect "$FX/eicar-zip.wire" "$OK_RE"
wait_until 10 rec_has 2 || fail "the EICAR messages were not delivered"
assert_files_equal "$FX/eicar-b64.eml" "$REC_DIR/msg-1.eml" \
    "EICAR with the anti-virus disabled"
assert_files_equal "$FX/eicar-zip.eml" "$REC_DIR/msg-2.eml" \
    "EICAR with inspect = false"
assert_no_grep "$WORK/proxy-3.log" 'event=antivirus|alarm=' "proxy-3.log"
assert_no_grep "$WORK/proxy-4.log" 'event=antivirus|alarm=|signatures-loaded' \
    "proxy-4.log"
stop_proxy

# ---------------------------------------------------------------------
check "4: alarm smtp:252 with its action set (max_size = 1K)"
av_small="antivirus {
	enabled = true
	database = \"$FX/db\"
	max_size = 1K
}"
start_proxy "$base
$av_small
alarm \"unscanned\" { action = \"block\" }"
msgs=$(rec_msgs)
STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
txn block@example.com "$FX/medium.wire" '^5[0-9][0-9] .*smtp:252'
txn small@example.com "$FX/clean.wire" "$OK_RE"
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
client block-252 --timeout 20 "${STEPS[@]}"
wait_until 10 rec_has $((msgs + 1)) || fail "the small message was not delivered"
sleep 0.3
assert_eq $((msgs + 1)) "$(rec_msgs)" "messages at the upstream"
assert_no_grep "$REC_DIR/events" 'from=<block@' "upstream events"
wait_log 'alarm=smtp:252 name=unscanned action=block'

start_proxy "$base
$av_small
alarm \"smtp:252\" { action = \"close\" }"
one close-252 "$FX/medium.wire" '^421 4\.7\.0 .*smtp:252' 'eof'
sleep 0.3
assert_eq $((msgs + 1)) "$(rec_msgs)" "messages at the upstream"
wait_log 'alarm=smtp:252 name=unscanned action=close'

start_proxy "$base
$av_small
alarm \"smtp:252\" { action = \"pass\" }"
one pass-252 "$FX/medium.wire" "$OK_RE"
wait_until 10 rec_has $((msgs + 2)) || fail "the message was not delivered"
assert_files_equal "$FX/medium.eml" "$REC_DIR/msg-$((msgs + 2)).eml" \
    "the message passed unscanned"
wait_log 'event=message from=<pass-252@example\.com> .*verdict=accept'
assert_no_grep "$PROXY_LOG" 'alarm=' "proxy log"
kill -USR1 "$(pgrep -P "$PROXY_PID" | head -n 1)" || fail "cannot signal the proxy"
wait_log 'event=counters .*alarms=1( |$)'
stop_proxy

# ---------------------------------------------------------------------
check "5: -t runs the anti-virus offline"
conns=$(rec_conns)
printf '%s\n' "$base
$av_small" >"$WORK/offline-small.conf"
printf '%s\n' "$base
antivirus {
	enabled = true
	database = \"$FX/db\"
}" >"$WORK/offline.conf"
# offline NAME CONF MESSAGE WANT-STATUS LAST-LINE-REGEX
offline() {
	local name=$1 st=0
	timeout -k 5 30 "$SMTPPROXY" -f "$2" -t "$3" >"$WORK/$name.out" \
	    2>&1 </dev/null || st=$?
	note "--- smtpproxy -t $(basename "$3") ($name): exit $st"
	sed 's/^/    /' "$WORK/$name.out"
	assert_eq "$4" "$st" "$name: -t exit status"
	tail -n 1 "$WORK/$name.out" | grep -Eq -- "$5" ||
	    fail "$name: last line does not match /$5/"
	ok "$name: last line /$5/"
}
offline t-eicar "$WORK/offline.conf" "$FX/eicar-nested-zip.eml" 1 \
    "^verdict: reject 554 5\\.7\\.1 Virus found: $EICAR_RE\$"
assert_grep "$WORK/t-eicar.out" "^antivirus .*$EICAR_RE" "-t finding line"
offline t-hdb "$WORK/offline.conf" "$FX/hdb-file.eml" 1 \
    '^verdict: reject 554 5\.7\.1 Virus found: Test-File-Signature(\.UNOFFICIAL)?$'
offline t-clean "$WORK/offline.conf" "$FX/clean.eml" 0 '^verdict: accept$'
assert_eq 1 "$(wc -l <"$WORK/t-clean.out")" "-t lines for a clean message"
offline t-big "$WORK/offline-small.conf" "$FX/eicar-rfc822.eml" 0 \
    '^verdict: accept$'
assert_grep "$WORK/t-big.out" '^alarm=smtp:252 name=unscanned action=log ' \
    "-t smtp:252 line"
assert_eq "$conns" "$(rec_conns)" "upstream connections (none opened by -t)"
pass
