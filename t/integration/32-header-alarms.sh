#!/bin/bash
# 32-header-alarms (SPEC §4.4): the alarms of the message content, through
# the proxy to recorder.py, one message per session.
#  1. default actions: smtp:231 (raw 8-bit Subject, UTF-8 or Latin-1),
#     smtp:122 (NUL, control characters in a header) and smtp:217
#     (header line over 998, body line over 1000) are logged
#     ("alarm=smtp:NNN name=... action=log") and the message is
#     delivered unchanged; an RFC 2047 encoded Subject raises nothing;
#     smtp:247 (MIME nesting over 20, parts over 1000, an unterminated
#     multipart) and smtp:250 (message/partial, at the top or as a part)
#     are refused "554 5.6.0 ... (smtp:NNN)" and not delivered;
#  2. action = "block" for smtp:231 (by id), header-invalid-char (by
#     name) and smtp:217: each refused 554 5.6.0 naming its alarm, not
#     delivered; the encoded Subject and clean messages still pass;
#  3. action = "log" for mime-limits and smtp:250: delivered, logged;
#  4. limits { mime_depth = 30  mime_parts = 2000 }: the deep and the
#     many-part messages pass; limits { mime_depth = 3  mime_parts = 5 }:
#     5 nested multiparts and a message of 6 parts are refused, and pass
#     with the default limits.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/mkfixtures.py" "$FX" || fail "mkfixtures.py failed"

start_recorder
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

N=0
LATE_FAIL=()		# failures reported once every check has run
SOFT=""			# set: a failure of one() is reported at the end

# bad MESSAGE: fail, or with SOFT set, note MESSAGE for the end.
bad() {
	if [ -n "$SOFT" ]; then
		note "FAILED (reported at the end): $*"
		LATE_FAIL+=("$*")
		return 0
	fi
	fail "$*"
}

# one FIXTURE REPLY-REGEX [LOG-REGEX]: FIXTURE.wire in a session of its
# own, the end of data answered REPLY-REGEX; a 250 must be delivered
# byte for byte, anything else must not be. LOG-REGEX: a line the
# message adds to the proxy log; "-": no alarm line at all.
one() {
	local fx=$1 want=$2 logpat=${3:-} msgs before bpat=0 st=0
	N=$((N + 1))
	msgs=$(rec_msgs)
	before=$(log_count 'alarm=')
	case $logpat in ''|-) ;; *) bpat=$(log_count "$logpat") ;; esac
	note "--- client $N-$fx"
	timeout -k 5 60 "$PYTHON" "$SMTPCLIENT" --port "$PROXY_PORT" \
	    --timeout 20 \
	    'expect:^220 ' \
	    'send:EHLO client.test\r\n' 'expect:^250 ' \
	    "send:MAIL FROM:<$fx-$N@example.com>\\r\\n" 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "sendfile:$FX/$fx.wire" "expect:$want" \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof' \
	    >"$WORK/$N-$fx.out" 2>&1 </dev/null || st=$?
	sed 's/^/    /' "$WORK/$N-$fx.out"
	if [ "$st" -ne 0 ]; then
		bad "$fx: end of data not answered /$want/"
		st=bad
	fi
	# The session's lines are all in once its end is logged.
	wait_until 10 log_at_least "$N" 'event=close ' ||
	    fail "$fx: session end not logged"
	case $want in
	'^250'*)
		if [ "$st" = 0 ]; then
			wait_until 10 rec_has $((msgs + 1)) ||
			    fail "$fx: accepted but not delivered"
			# A NUL where a line starts never reaches the
			# upstream (it could hide a dot); one inside a line
			# is relayed as sent, as MTAs keep it.
			"$PYTHON" -c 'import re, sys
d = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(re.sub(rb"(^|\n)\x00+", rb"\1", d))' \
			    "$FX/$fx.eml" >"$WORK/$fx.nonul"
			assert_files_equal "$WORK/$fx.nonul" \
			    "$REC_DIR/msg-$((msgs + 1)).eml" "$fx: delivered"
		fi
		;;
	*)
		sleep 0.2
		assert_eq "$msgs" "$(rec_msgs)" "$fx: messages at the upstream"
		;;
	esac
	case $logpat in
	'') ;;
	-)
		[ "$before" = "$(log_count 'alarm=')" ] ||
		    bad "$fx: unexpected alarm lines in the proxy log"
		;;
	*)
		if wait_until 5 log_at_least $((bpat + 1)) "$logpat"; then
			ok "$fx: proxy log /$logpat/"
		else
			bad "$fx: no line matching /$logpat/ in the proxy log"
		fi
		;;
	esac
}

OK250='^250 2\.0\.0 Ok: queued as [0-9]+$'

# ---------------------------------------------------------------------
check "1: default actions"
start_proxy "$base"
N=0
one plain "$OK250" -
one subj-encoded "$OK250" -
one subj-8bit "$OK250" 'alarm=smtp:231 name=subject-8bit action=log'
one subj-latin1 "$OK250" 'alarm=smtp:231 name=subject-8bit action=log'
SOFT=1
one hdr-nul "$OK250" 'alarm=smtp:122 name=header-invalid-char action=log'
SOFT=""
one hdr-ctrl "$OK250" 'alarm=smtp:122 name=header-invalid-char action=log'
one hdr-long "$OK250" 'alarm=smtp:217 name=protocol-overflow action=log'
one body-long "$OK250" 'alarm=smtp:217 name=protocol-overflow action=log'
one mime-depth '^554 5\.6\.0 .*\(smtp:247\)$' \
    'alarm=smtp:247 name=mime-limits action=block'
one mime-parts '^554 5\.6\.0 .*\(smtp:247\)$' \
    'alarm=smtp:247 name=mime-limits action=block'
one mime-unterminated '^554 5\.6\.0 .*\(smtp:247\)$' \
    'alarm=smtp:247 name=mime-limits action=block'
one mime-partial '^554 5\.6\.0 .*\(smtp:250\)$' \
    'alarm=smtp:250 name=fragmented-message action=block'
one mime-partial-part '^554 5\.6\.0 .*\(smtp:250\)$' \
    'alarm=smtp:250 name=fragmented-message action=block'
assert_eq 0 "$(log_count 'alarm=smtp:231 .*action=block')" \
    "smtp:231 blocks in the proxy log"
wait_log 'event=message from=<mime-depth-[0-9]+@example\.com> .*verdict=reject'
wait_log 'event=message from=<subj-8bit-[0-9]+@example\.com> .*verdict=accept'
check_proxy_alive

# ---------------------------------------------------------------------
check "2: action = block"
start_proxy "$base
alarm \"smtp:231\" { action = \"block\" }
alarm \"header-invalid-char\" { action = \"block\" }
alarm \"smtp:217\" { action = \"block\" }"
N=0
one subj-8bit '^554 5\.6\.0 .*\(smtp:231\)$' \
    'alarm=smtp:231 name=subject-8bit action=block'
one subj-latin1 '^554 5\.6\.0 .*\(smtp:231\)$' \
    'alarm=smtp:231 name=subject-8bit action=block'
one subj-encoded "$OK250" -
SOFT=1
one hdr-nul '^554 5\.6\.0 .*\(smtp:122\)$' \
    'alarm=smtp:122 name=header-invalid-char action=block'
SOFT=""
one hdr-ctrl '^554 5\.6\.0 .*\(smtp:122\)$' \
    'alarm=smtp:122 name=header-invalid-char action=block'
one hdr-long '^554 5\.6\.0 .*\(smtp:217\)$' \
    'alarm=smtp:217 name=protocol-overflow action=block'
one body-long '^554 5\.6\.0 .*\(smtp:217\)$' \
    'alarm=smtp:217 name=protocol-overflow action=block'
one clean "$OK250" -
one plain "$OK250" -
wait_log 'event=message from=<subj-8bit-1@example\.com> .*verdict=reject'
check_proxy_alive

# ---------------------------------------------------------------------
check "3: action = log for mime-limits and smtp:250"
start_proxy "$base
alarm \"mime-limits\" { action = \"log\" }
alarm \"smtp:250\" { action = \"log\" }"
N=0
one mime-depth "$OK250" 'alarm=smtp:247 name=mime-limits action=log'
one mime-parts "$OK250" 'alarm=smtp:247 name=mime-limits action=log'
one mime-unterminated "$OK250" 'alarm=smtp:247 name=mime-limits action=log'
one mime-partial "$OK250" 'alarm=smtp:250 name=fragmented-message action=log'

# ---------------------------------------------------------------------
check "4: limits.mime_depth and limits.mime_parts"
start_proxy "$base
limits { mime_depth = 30  mime_parts = 2000 }"
N=0
one mime-depth "$OK250" -
one mime-parts "$OK250" -
start_proxy "$base
limits { mime_depth = 3  mime_parts = 5 }"
N=0
one clean "$OK250" -
one mime-nest5 '^554 5\.6\.0 .*\(smtp:247\)$' \
    'alarm=smtp:247 name=mime-limits action=block'
one mime-six '^554 5\.6\.0 .*\(smtp:247\)$' \
    'alarm=smtp:247 name=mime-limits action=block'
start_proxy "$base"
N=0
one mime-nest5 "$OK250" -
one mime-six "$OK250" -
check_proxy_alive
for m in "${LATE_FAIL[@]}"; do note "FAILED: $m"; done
[ "${#LATE_FAIL[@]}" -eq 0 ] || fail "$(printf '%s; ' "${LATE_FAIL[@]}")"
pass
