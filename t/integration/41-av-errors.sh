#!/bin/bash
# 41-av-errors (SPEC §4.6, §4.4 smtp:252, §2 -n): what happens when the
# anti-virus cannot do its job.
#  1. a broken signature database (a directory with a malformed .ndb):
#     "smtpproxy -n" only checks that the path is usable (smtpproxy.conf(5):
#     the signatures are loaded when the daemon starts), so it says
#     "configuration OK" and exits 0; a database path that does not exist
#     is an error of -n, "FILE:LINE: antivirus.database: cannot use ...",
#     exit 1; the daemon refuses to start with the broken database (or an
#     empty directory) with an error naming it, and never listens; -t
#     exits 2 naming it;
#  2. on_error, with the clamd back end and only dead servers (a unix
#     socket nobody listens on, a TCP port nobody listens on): the default
#     and "tempfail" answer "451 4.3.0" and deliver nothing, "reject"
#     answers "554 5.7.1" and delivers nothing, "pass" delivers the
#     message and logs alarm=smtp:252 name=unscanned action=log; the
#     session goes on after each;
#  3. libclamav's limits: a zip nested 20 deep (over its recursion limit)
#     is delivered and logged as smtp:252;
#  4. max_size = 1K: a bigger message is delivered unscanned with
#     smtp:252 logged, even one with EICAR inside and on_error =
#     "tempfail" (on_error does not apply); a smaller infected one is
#     still refused.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" "$FX" || fail "avfixtures.py failed"
mkdir -p "$WORK/broken-db" "$WORK/empty-db"
mkdir -m 700 "$WORK/spool"
cp "$FX/db/test.ndb" "$FX/broken.ndb" "$WORK/broken-db/"
EICAR_RE='Eicar-Test-Signature(\.UNOFFICIAL)?'

STEPS=()
start_recorder
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\""

# run_proxy NAME CONFIG ARGS...: the proxy in the foreground, bounded;
# output in $WORK/NAME.out, status in RUN_ST.
run_proxy() {
	local name=$1
	printf '%s\n' "$2" >"$WORK/$name.conf"
	shift 2
	RUN_ST=0
	timeout -k 5 30 "$SMTPPROXY" -f "$WORK/$name.conf" "$@" \
	    >"$WORK/$name.out" 2>&1 </dev/null || RUN_ST=$?
	note "--- smtpproxy $* ($name): exit $RUN_ST"
	sed 's/^/    /' "$WORK/$name.out"
}

# ---------------------------------------------------------------------
check "1a: -n with a broken database: only the path is checked"
require_proxy
broken="$base
antivirus { enabled = true  database = \"$WORK/broken-db\" }"
run_proxy check-broken "$broken" -n
assert_eq 0 "$RUN_ST" "-n exit status (broken database)"
assert_grep "$WORK/check-broken.out" '^configuration OK$'

check "1b: -n with a database that does not exist: an error"
run_proxy check-missing "$base
antivirus {
	enabled = true
	database = \"$WORK/no-such-db\"
}" -n
assert_eq 1 "$RUN_ST" "-n exit status (missing database)"
assert_grep "$WORK/check-missing.out" \
    "check-missing\\.conf:[0-9]+: antivirus\\.database: cannot use \"$WORK/no-such-db\""
assert_no_grep "$WORK/check-missing.out" 'configuration OK'

check "1c: the daemon refuses to start with the broken database"
free_port OTHER_PORT
run_proxy start-broken "listen = { \"127.0.0.1:$OTHER_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
antivirus { enabled = true  database = \"$WORK/broken-db\" }" -d
[ "$RUN_ST" -ne 0 ] && [ "$RUN_ST" -ne 124 ] && [ "$RUN_ST" -lt 128 ] ||
    fail "the daemon with a broken database: exit $RUN_ST (expected an error exit)"
ok "the daemon exited $RUN_ST"
assert_grep "$WORK/start-broken.out" "antivirus: .*$WORK/broken-db.*[Mm]alformed" \
    "start-up error names the database"
is_listening "$OTHER_PORT" && fail "something listens on $OTHER_PORT"
ok "nothing listens on 127.0.0.1:$OTHER_PORT"

check "1d: the daemon refuses to start with an empty database directory"
run_proxy start-empty "listen = { \"127.0.0.1:$OTHER_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
antivirus { enabled = true  database = \"$WORK/empty-db\" }" -d
[ "$RUN_ST" -ne 0 ] && [ "$RUN_ST" -ne 124 ] && [ "$RUN_ST" -lt 128 ] ||
    fail "the daemon with an empty database: exit $RUN_ST (expected an error exit)"
ok "the daemon exited $RUN_ST"
assert_grep "$WORK/start-empty.out" "antivirus: .*$WORK/empty-db" \
    "start-up error names the database"

check "1e: -t with the broken database: exit 2, naming it"
run_proxy test-broken "$broken" -t "$FX/clean.eml"
assert_eq 2 "$RUN_ST" "-t exit status (broken database)"
assert_grep "$WORK/test-broken.out" "$WORK/broken-db" "-t error names the database"

# ---------------------------------------------------------------------
# Dead clamd servers: a unix socket file nobody listens on (connect is
# refused) and a TCP port nobody listens on.
"$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.close()' "$WORK/dead.sock" || fail "cannot make the dead socket"
free_port DEAD_PORT
dead_clamd="backend = \"clamd\"
	clamd = { \"$WORK/dead.sock\", \"127.0.0.1:$DEAD_PORT\" }"

# on_error_case NAME ON_ERROR-LINE REPLY-REGEX DELIVERED(0|1)
on_error_case() {
	local name=$1 line=$2 want=$3 delivered=$4 msgs
	check "2: clamd unreachable, ${line:-no on_error (default)}"
	start_proxy "$base
antivirus {
	enabled = true
	$dead_clamd
	$line
}"
	msgs=$(rec_msgs)
	STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
	txn "$name@example.com" "$FX/clean.wire" "$want"
	# The session goes on: RSET and NOOP are answered.
	STEPS+=('send:RSET\r\n' 'expect:^250 ' 'send:NOOP\r\n' 'expect:^250 '
	    'send:QUIT\r\n' 'expect:^221 ' 'eof')
	client "on-error-$name" --timeout 30 "${STEPS[@]}"
	check_proxy_alive
	if [ "$delivered" = 1 ]; then
		wait_until 10 rec_has $((msgs + 1)) ||
		    fail "$name: the message was not delivered"
		assert_files_equal "$FX/clean.eml" \
		    "$REC_DIR/msg-$((msgs + 1)).eml" "$name: the delivered message"
		wait_log "alarm=smtp:252 name=unscanned action=log .*clamd"
		wait_log "event=message from=<$name@example\\.com> .*verdict=accept"
	else
		wait_log "event=message from=<$name@example\\.com> .*reply=\"${want#^}"
		wait_log 'event=antivirus .*clamd'
		sleep 0.3
		assert_eq "$msgs" "$(rec_msgs)" "$name: messages at the upstream"
		assert_no_grep "$REC_DIR/events" "from=<$name@" "upstream events"
		assert_no_grep "$PROXY_LOG" 'alarm=smtp:252' "proxy log"
	fi
	# Both servers were tried.
	wait_log "clamd server=\"$WORK/dead\\.sock\" error="
	wait_log "clamd server=\"127\\.0\\.0\\.1:$DEAD_PORT\" error="
}
on_error_case default '' '^451 4\.3\.0 ' 0
on_error_case tempfail 'on_error = "tempfail"' '^451 4\.3\.0 ' 0
on_error_case reject 'on_error = "reject"' '^554 5\.7\.1 ' 0
on_error_case pass 'on_error = "pass"' '^250 2\.0\.0 Ok: queued as [0-9]+$' 1

# ---------------------------------------------------------------------
check "3: libclamav's limits (zip nested 20 deep): delivered, smtp:252"
start_proxy "$base
antivirus {
	enabled = true
	database = \"$FX/db\"
}"
msgs=$(rec_msgs)
STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
txn bomb@example.com "$FX/bomb.wire" '^250 2\.0\.0 Ok: queued as [0-9]+$'
txn eicar@example.com "$FX/eicar-zip.wire" "^554 5\\.7\\.1 Virus found: $EICAR_RE\$"
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
client limits --timeout 30 "${STEPS[@]}"
wait_until 10 rec_has $((msgs + 1)) || fail "the nested zip was not delivered"
assert_files_equal "$FX/bomb.eml" "$REC_DIR/msg-$((msgs + 1)).eml" \
    "the nested zip message"
wait_log 'alarm=smtp:252 name=unscanned action=log .*limits'
sleep 0.3
assert_eq $((msgs + 1)) "$(rec_msgs)" "messages at the upstream"

# ---------------------------------------------------------------------
check "4: max_size = 1K: bigger messages pass unscanned, with smtp:252"
start_proxy "$base
antivirus {
	enabled = true
	database = \"$FX/db\"
	max_size = 1K
	on_error = \"tempfail\"
}"
msgs=$(rec_msgs)
STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
txn medium@example.com "$FX/medium.wire" '^250 2\.0\.0 Ok: queued as [0-9]+$'
txn big-eicar@example.com "$FX/eicar-rfc822.wire" \
    '^250 2\.0\.0 Ok: queued as [0-9]+$'
txn small-eicar@example.com "$FX/eicar-b64.wire" \
    "^554 5\\.7\\.1 Virus found: $EICAR_RE\$"
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
client max-size --timeout 30 "${STEPS[@]}"
wait_until 10 rec_has $((msgs + 2)) || fail "the big messages were not delivered"
sleep 0.3
assert_eq $((msgs + 2)) "$(rec_msgs)" "messages at the upstream"
assert_files_equal "$FX/medium.eml" "$REC_DIR/msg-$((msgs + 1)).eml" \
    "the medium message"
assert_files_equal "$FX/eicar-rfc822.eml" "$REC_DIR/msg-$((msgs + 2)).eml" \
    "the big infected message (not scanned)"
assert_no_grep "$REC_DIR/events" 'from=<small-eicar@' "upstream events"
wait_until 10 log_at_least 2 'alarm=smtp:252 name=unscanned action=log .*max_size' ||
    fail "not two smtp:252 lines for max_size"
ok "two smtp:252 lines for messages over max_size"
wait_log 'event=message from=<small-eicar@example\.com> .*verdict=reject'
pass
