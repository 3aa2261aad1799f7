#!/bin/bash
# 33-offline-verdict (SPEC §1 -t): "smtpproxy -f CONF -t MESSAGE.eml"
# runs the content inspection on a message file and prints one line per
# finding, then "verdict: accept" (exit 0) or "verdict: reject 554 ..."
# (exit 1); exit 2 on an error (a missing file, a bad configuration).
#  1. for each fixture: the exit status and the last line match what
#     the policy says; a message with nothing to report prints the
#     verdict line alone, a refused one at least one finding before it;
#     no -t run contacts the upstream;
#  2. the same fixtures through the live proxy, with the same file as its
#     configuration: accepted where -t accepts (and delivered), refused
#     with exactly the reply -t printed where -t rejects;
#  3. filetypes { enabled = false }, and inspect = false: -t accepts
#     what the first configuration refuses, as the live proxy does;
#  4. errors: a missing message file and a bad configuration exit 2.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_proxy
FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/mkfixtures.py" "$FX" || fail "mkfixtures.py failed"
mkdir -m 700 "$WORK/spool"
LATE_FAIL=()

start_recorder
free_port PROXY_PORT
CONF_TEXT="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
alarm \"subject-8bit\" { action = \"block\" }
filetypes {
	enabled = true
	block_extensions = { \"scr\" }
	block_types = { \"executable\", \"script\" }
	block_encrypted_archives = true
}"
CONF="$WORK/offline.conf"
printf '%s\n' "$CONF_TEXT" >"$CONF"

# Fixture, expected verdict: "accept", or the refusal (an ERE).
EXPECT=(
	plain		accept
	clean		accept
	clean-qp	accept
	archive		accept
	subj-encoded	accept
	hdr-ctrl	accept
	hdr-long	accept
	body-long	accept
	exe-b64		'554 5\.7\.1 Attachment "program\.exe" \(executable\) not allowed'
	exe-renamed	'554 5\.7\.1 Attachment "notes\.txt" \(executable\) not allowed'
	exe-qp		'554 5\.7\.1 Attachment "data\.bin" \(executable\) not allowed'
	elf-zip		'554 5\.7\.1 Attachment "tools\.zip[^"]*" \(executable\) not allowed'
	exe-nested-zip	'554 5\.7\.1 Attachment "outer\.zip[^"]*" \(executable\) not allowed'
	exe-rfc822	'554 5\.7\.1 Attachment "[^"]*inner\.bin" \(executable\) not allowed'
	ext-ctname	'554 5\.7\.1 Attachment "setup\.scr" \([a-z]+\) not allowed'
	script-content	'554 5\.7\.1 Attachment "install\.txt" \(script\) not allowed'
	subj-8bit	'554 5\.6\.0 .*\(smtp:231\)'
	mime-depth	'554 5\.6\.0 .*\(smtp:247\)'
	mime-unterminated '554 5\.6\.0 .*\(smtp:247\)'
	mime-partial	'554 5\.6\.0 .*\(smtp:250\)'
	hdr-nul		accept
)
if [ -e "$FX/encrypted.eml" ]; then
	EXPECT+=(encrypted '554 5\.7\.1 Attachment "secret\.zip" \([a-z-]+\) not allowed')
fi

# offline CONF FIXTURE: run -t; sets T_OUT (file), T_ST, T_LAST.
offline() {
	T_OUT="$WORK/t-$(basename "$1" .conf)-$2.out"
	T_ST=0
	timeout -k 5 30 "$SMTPPROXY" -f "$1" -t "$FX/$2.eml" \
	    >"$T_OUT" 2>"$T_OUT.err" </dev/null || T_ST=$?
	T_LAST=$(tail -n 1 "$T_OUT")
	note "--- smtpproxy -t $2.eml: exit $T_ST"
	sed 's/^/    /' "$T_OUT" "$T_OUT.err"
}

# ---------------------------------------------------------------------
check "1: -t on each fixture"
declare -A VERDICT
for ((i = 0; i < ${#EXPECT[@]}; i += 2)); do
	fx=${EXPECT[i]}
	want=${EXPECT[i + 1]}
	offline "$CONF" "$fx"
	VERDICT[$fx]=$T_LAST
	nlines=$(wc -l <"$T_OUT")
	if [ "$want" = accept ]; then
		[ "$T_ST" -eq 0 ] || fail "$fx: -t exit $T_ST, expected 0"
		[ "$T_LAST" = "verdict: accept" ] ||
		    fail "$fx: last line '$T_LAST', expected 'verdict: accept'"
	else
		[ "$T_ST" -eq 1 ] || fail "$fx: -t exit $T_ST, expected 1"
		[[ $T_LAST =~ ^verdict:\ reject\ $want$ ]] ||
		    fail "$fx: last line '$T_LAST', expected /verdict: reject $want/"
		[ "$nlines" -ge 2 ] ||
		    fail "$fx: refused without a finding line"
	fi
	# Every line but the last is a finding, never another verdict.
	if head -n -1 "$T_OUT" | grep -q '^verdict:'; then
		fail "$fx: more than one verdict line"
	fi
	if head -n -1 "$T_OUT" | grep -q '^[[:space:]]*$'; then
		fail "$fx: empty finding line"
	fi
	ok "$fx: exit $T_ST, $T_LAST"
done
# Nothing to report: the verdict line alone.
for fx in plain clean clean-qp archive subj-encoded; do
	[ "$(wc -l <"$WORK/t-offline-$fx.out")" -eq 1 ] ||
	    fail "$fx: findings printed for a clean message"
done
ok "clean messages: the verdict line alone"
# Findings that do not refuse are printed too.
for fx in hdr-ctrl hdr-long body-long; do
	[ "$(wc -l <"$WORK/t-offline-$fx.out")" -ge 2 ] ||
	    fail "$fx: the logged alarm is not printed as a finding"
done
assert_grep "$WORK/t-offline-hdr-ctrl.out" 'smtp:122' "-t hdr-ctrl"
assert_grep "$WORK/t-offline-hdr-long.out" 'smtp:217' "-t hdr-long"
assert_grep "$WORK/t-offline-subj-8bit.out" 'smtp:231' "-t subj-8bit"
assert_grep "$WORK/t-offline-exe-renamed.out" 'notes\.txt' "-t exe-renamed"
assert_eq 0 "$(rec_conns)" "upstream connections made by -t"

# ---------------------------------------------------------------------
check "2: the live proxy with the same configuration agrees"
start_proxy "$CONF_TEXT"
N=0
for ((i = 0; i < ${#EXPECT[@]}; i += 2)); do
	fx=${EXPECT[i]}
	N=$((N + 1))
	msgs=$(rec_msgs)
	client "live-$fx" --timeout 20 \
	    'expect:^220 ' \
	    'send:EHLO client.test\r\n' 'expect:^250 ' \
	    "send:MAIL FROM:<$fx-$N@example.com>\\r\\n" 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "sendfile:$FX/$fx.wire" 'reply' \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
	# The reply to the end of data: the last "S:" line before QUIT.
	live=$(sed -n 's/^ *[0-9.]* S: //p' "$WORK/live-$fx.out" | tail -n 2 |
	    head -n 1)
	t=${VERDICT[$fx]}
	if [ "$t" = "verdict: accept" ]; then
		if [[ $live =~ ^250\  ]]; then
			wait_until 10 rec_has $((msgs + 1)) ||
			    fail "$fx: accepted live but not delivered"
			ok "$fx: accepted by both"
		else
			LATE_FAIL+=("$fx: -t accepts, the live proxy answers '$live'")
			note "FAILED (reported at the end): $fx: -t accepts, live '$live'"
		fi
	else
		if [ "verdict: reject $live" = "$t" ]; then
			ok "$fx: refused by both with '$live'"
		else
			LATE_FAIL+=("$fx: -t '$t', the live proxy '$live'")
			note "FAILED (reported at the end): $fx: -t '$t', live '$live'"
		fi
		sleep 0.1
		assert_eq "$msgs" "$(rec_msgs)" "$fx: messages at the upstream"
	fi
done
check_proxy_alive

# ---------------------------------------------------------------------
check "3: inspections turned off"
OFF1="$WORK/off-filetypes.conf"
OFF2="$WORK/off-inspect.conf"
printf '%s\n' "${CONF_TEXT/enabled = true/enabled = false}" >"$OFF1"
printf '%s\ninspect = false\n' "$CONF_TEXT" >"$OFF2"
for fx in exe-b64 exe-nested-zip script-content; do
	offline "$OFF1" "$fx"
	[ "$T_ST" -eq 0 ] && [ "$T_LAST" = "verdict: accept" ] ||
	    fail "$fx: filetypes off: exit $T_ST, '$T_LAST'"
	ok "$fx: filetypes off: accepted"
done
for fx in exe-b64 ext-ctname subj-8bit mime-partial mime-depth; do
	offline "$OFF2" "$fx"
	if [ "$T_ST" -eq 0 ] && [ "$T_LAST" = "verdict: accept" ]; then
		ok "$fx: inspect = false: accepted"
	else
		LATE_FAIL+=("$fx: -t with inspect = false: exit $T_ST, '$T_LAST'")
		note "FAILED (reported at the end): $fx: inspect = false: exit $T_ST, '$T_LAST'"
	fi
done
# The live proxy with inspect = false passes the same messages.
start_proxy "$(cat "$OFF2")"
for fx in ext-ctname subj-8bit mime-partial mime-depth; do
	msgs=$(rec_msgs)
	client "live-off-$fx" --timeout 20 \
	    'expect:^220 ' \
	    'send:EHLO client.test\r\n' 'expect:^250 ' \
	    "send:MAIL FROM:<off-$fx@example.com>\\r\\n" 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "sendfile:$FX/$fx.wire" 'expect:^250 ' \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
	wait_until 10 rec_has $((msgs + 1)) ||
	    fail "$fx: inspect = false: not delivered"
	ok "$fx: inspect = false: the live proxy delivers it"
done

# ---------------------------------------------------------------------
check "4: errors exit 2"
st=0
timeout -k 5 30 "$SMTPPROXY" -f "$CONF" -t "$WORK/no-such-message.eml" \
    >"$WORK/t-missing.out" 2>&1 </dev/null || st=$?
sed 's/^/    /' "$WORK/t-missing.out"
assert_eq 2 "$st" "-t on a missing file: exit status"
assert_no_grep "$WORK/t-missing.out" '^verdict: (accept|reject)' "-t missing file"
assert_grep "$WORK/t-missing.out" 'no-such-message\.eml' "-t missing file"
printf 'filetypes {\n\tenabled = true\n\tblock_types = { "no-such-type" }\n}\n' \
    >"$WORK/bad.conf"
st=0
timeout -k 5 30 "$SMTPPROXY" -f "$WORK/bad.conf" -t "$FX/plain.eml" \
    >"$WORK/t-badconf.out" 2>&1 </dev/null || st=$?
sed 's/^/    /' "$WORK/t-badconf.out"
assert_eq 2 "$st" "-t with a bad configuration: exit status"
assert_no_grep "$WORK/t-badconf.out" '^verdict:' "-t with a bad configuration"

for m in "${LATE_FAIL[@]}"; do note "FAILED: $m"; done
[ "${#LATE_FAIL[@]}" -eq 0 ] || fail "$(printf '%s; ' "${LATE_FAIL[@]}")"
pass
