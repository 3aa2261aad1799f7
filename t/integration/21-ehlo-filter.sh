#!/bin/bash
# 21-ehlo-filter (SPEC §3, §7 extensions{}): the upstream's EHLO reply is
# filtered to the extensions the proxy can follow.
#  1. default allow-list: the upstream offers CHUNKING, BINARYMIME,
#     XFORWARD, XCLIENT, VRFY-ish and unknown keywords besides the allowed
#     ones; the client sees exactly the allowed ones, in the upstream's
#     order, as a valid multi-line reply (only the last line "250 ");
#  2. extensions { allow = { "PIPELINING" } }: only PIPELINING is offered,
#     MAIL ... SIZE=100 and MAIL ... BODY=8BITMIME get 502 5.5.1
#     (smtp:223) and never reach the upstream;
#  3. after HELO (no extension offered) MAIL ... BODY=8BITMIME gets
#     502 5.5.1 (smtp:223), a plain MAIL goes through;
#  4. extensions { enabled = false }: the upstream's keywords pass through
#     unchanged, unknown ones included, but never CHUNKING or BINARYMIME.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

# The recorder offers PIPELINING, SIZE 10240000, 8BITMIME,
# ENHANCEDSTATUSCODES, then these (the last one is not allowed, so the
# proxy has to end the reply on another line).
start_recorder \
    --ehlo-ext CHUNKING \
    --ehlo-ext "DSN" \
    --ehlo-ext BINARYMIME \
    --ehlo-ext "XFORWARD NAME ADDR PROTO HELO" \
    --ehlo-ext "AUTH PLAIN LOGIN" \
    --ehlo-ext "VRFY" \
    --ehlo-ext "SMTPUTF8" \
    --ehlo-ext "XCLIENT NAME ADDR" \
    --ehlo-ext "ETRN" \
    --ehlo-ext "X-EXPERIMENTAL-VERIFY 2" \
    --ehlo-ext "XUNKNOWN"
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

# ehlo_lines TRANSCRIPT: the lines of the first EHLO reply, "S: " removed.
ehlo_lines() {
	"$PYTHON" - "$1" <<'EOF'
import re, sys
out, started = [], False
for l in open(sys.argv[1], encoding="latin-1"):
    m = re.match(r"^\s*[0-9.]+ (S:|C:) (.*)$", l.rstrip("\n"))
    if not m:
        continue
    if m.group(1) == "C:":
        if m.group(2).upper().startswith("EHLO"):
            started = True
        elif started:
            break
        continue
    if started:
        out.append(m.group(2))
        if not re.match(r"^\d{3}-", m.group(2)):
            break
print("\n".join(out))
EOF
}

# assert_ehlo TRANSCRIPT WANT: the EHLO reply is exactly WANT (lines,
# the keyword lines without their 250- / "250 " prefix), and is a valid
# multi-line reply: every line 250-, but the last, "250 ".
assert_ehlo() {
	local got want=$2 n i line kw=""
	mapfile -t got < <(ehlo_lines "$1")
	n=${#got[@]}
	[ "$n" -gt 0 ] || fail "no EHLO reply in $1"
	for ((i = 0; i < n; i++)); do
		line=${got[i]}
		if ((i < n - 1)); then
			[[ $line == 250-* ]] ||
			    fail "EHLO reply line $((i + 1)) of $n is not '250-...': '$line'"
		else
			[[ $line == "250 "* ]] ||
			    fail "EHLO reply last line is not '250 ...': '$line'"
		fi
		kw+="${line:4}"$'\n'
	done
	ok "EHLO reply is a valid $n-line reply"
	assert_eq "$want" "${kw%$'\n'}" "EHLO reply keywords"
}

# ---------------------------------------------------------------------
check "1: the default allow-list"
start_proxy "$base"
client ehlo-default --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<sender@example.com> SIZE=100 BODY=8BITMIME\r\n' \
    'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net> NOTIFY=NEVER\r\n' 'expect:^250 ' \
    'send:RSET\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
assert_ehlo "$WORK/ehlo-default.out" "recorder
PIPELINING
SIZE 10240000
8BITMIME
ENHANCEDSTATUSCODES
DSN
AUTH PLAIN LOGIN
SMTPUTF8"
# STARTTLS is allowed too, but the recorder does not offer it: the proxy
# never offers what the upstream did not.
wait_until 10 rec_closed 1 || fail "upstream connection 1 not closed"
raw_has 'MAIL FROM:<sender@example.com> SIZE=100 BODY=8BITMIME\r\nRCPT TO:<rcpt@example.net> NOTIFY=NEVER\r\n' \
    "$REC_DIR/conn-1.raw" || fail "MAIL/RCPT with offered parameters not forwarded"
ok "parameters of offered extensions forwarded"

# ---------------------------------------------------------------------
check "2: extensions { allow = { \"PIPELINING\" } }"
start_proxy "$base
extensions { allow = { \"PIPELINING\" } }"
client ehlo-pipelining --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<a@b> SIZE=100\r\n' \
    'expect:^502 5\.5\.1 .*\(smtp:223\)$' \
    'send:MAIL FROM:<a@b> BODY=8BITMIME\r\n' \
    'expect:^502 5\.5\.1 .*\(smtp:223\)$' \
    'send:MAIL FROM:<a@b>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<c@d> NOTIFY=SUCCESS\r\n' \
    'expect:^502 5\.5\.1 .*\(smtp:223\)$' \
    'send:RCPT TO:<c@d>\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
assert_ehlo "$WORK/ehlo-pipelining.out" "recorder
PIPELINING"
wait_until 10 rec_closed 2 || fail "upstream connection 2 not closed"
if raw_has 'SIZE=100' "$REC_DIR/conn-2.raw" ||
    raw_has 'BODY=8BITMIME' "$REC_DIR/conn-2.raw" ||
    raw_has 'NOTIFY=' "$REC_DIR/conn-2.raw"; then
	fail "a MAIL/RCPT with a parameter of a removed extension reached the upstream"
fi
raw_has 'EHLO client.test\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nQUIT\r\n' \
    "$REC_DIR/conn-2.raw" || fail "the plain MAIL/RCPT did not reach the upstream"
ok "only the plain MAIL and RCPT reached the upstream"
wait_log 'alarm=smtp:223 name=command-not-supported action=block'

# ---------------------------------------------------------------------
check "3: after HELO no extension is offered: BODY=8BITMIME refused"
start_proxy "$base"
client helo-8bit --timeout 15 \
    'expect:^220 ' \
    'send:HELO client.test\r\n' 'expect:^250 recorder$' \
    'send:MAIL FROM:<a@b> BODY=8BITMIME\r\n' \
    'expect:^502 5\.5\.1 .*\(smtp:223\)$' \
    'send:MAIL FROM:<a@b> SIZE=100\r\n' \
    'expect:^502 5\.5\.1 .*\(smtp:223\)$' \
    'send:MAIL FROM:<a@b>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<c@d>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    'send:Subject: after HELO\r\n\r\nbody\r\n.\r\n' \
    'expect:^250 2\.0\.0 Ok: queued as 1$' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_closed 3 || fail "upstream connection 3 not closed"
if raw_has 'BODY=8BITMIME' "$REC_DIR/conn-3.raw" ||
    raw_has 'SIZE=100' "$REC_DIR/conn-3.raw"; then
	fail "a refused MAIL reached the upstream"
fi
ok "the refused MAIL commands stayed at the proxy"
assert_eq 2 "$(log_count 'alarm=smtp:223 name=command-not-supported action=block')" \
    "smtp:223 alarm lines"

# ---------------------------------------------------------------------
check "4: extensions { enabled = false }: unknown keywords pass, CHUNKING/BINARYMIME never"
start_proxy "$base
extensions { enabled = false }"
client ehlo-disabled --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
mapfile -t lines < <(ehlo_lines "$WORK/ehlo-disabled.out")
for kw in PIPELINING 'SIZE 10240000' 8BITMIME ENHANCEDSTATUSCODES DSN \
    'AUTH PLAIN LOGIN' VRFY SMTPUTF8 ETRN 'X-EXPERIMENTAL-VERIFY 2' XUNKNOWN; do
	printf '%s\n' "${lines[@]}" | grep -qxE "250[- ]$kw" ||
	    fail "EHLO reply with extensions disabled lacks '$kw'"
done
ok "unknown and unfiltered keywords passed through"
printf '%s\n' "${lines[@]}" | grep -qE '^250[- ](CHUNKING|BINARYMIME)' &&
    fail "CHUNKING or BINARYMIME offered with extensions { enabled = false }"
ok "CHUNKING and BINARYMIME removed"
[[ ${lines[-1]} == "250 "* ]] || fail "EHLO reply does not end with '250 '"
for ((i = 0; i < ${#lines[@]} - 1; i++)); do
	[[ ${lines[i]} == 250-* ]] || fail "EHLO reply line '${lines[i]}' is not 250-"
done
ok "EHLO reply is a valid ${#lines[@]}-line reply"
assert_no_grep "$PROXY_LOG" 'alarm=' "proxy log"
pass
