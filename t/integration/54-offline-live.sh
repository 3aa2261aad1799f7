#!/bin/bash
# 54-offline-live (SPEC §1 -t): "smtpproxy -t" judges a message file
# exactly as the live proxy judges the same message:
#  1. NAME.lf (LF line ends, as files on disk): -t notes that it reads
#     the file with CRLF, raises no smtp:122 for the LF line ends, and
#     its verdict line is the live proxy's reply to the same file sent
#     by swaks (which sends CRLF);
#  2. NAME.eml (CRLF) with -t, and NAME.wire sent raw: the same verdict;
#  3. CR-only and mixed files (a bare CR or LF among CRLF lines) with -t,
#     and the same bytes sent raw (dot-stuffed, with the end of data):
#     both refuse with smtp:241 (before, -t accepted an .exe in a
#     CR-only file that the live proxy refused); with smtp:241 set to
#     log both refuse the executable the body layer's CRLF lines reveal;
#  4. a file whose lines start with "." and one without a final line
#     end: -t and live agree (dot-stuffing and end of data as a client
#     sends them).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_proxy
require_cmd swaks swaks
FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/mkcontainers.py" "$FX" ||
    fail "mkcontainers.py failed"
mkdir -m 700 "$WORK/spool"
# CR-only, mixed, leading dots, no final line end; NAME.wire as a raw
# client sends NAME.eml: "." doubled at the start of a CRLF line, CRLF
# added if the file does not end with one, then the end of data.
"$PYTHON" - "$FX" <<'PY' || fail "building the line-end variants"
import sys, re
d = sys.argv[1]
def wire(b):
    out, bol = bytearray(), True
    for i, c in enumerate(b):
        if bol and c == 0x2e:
            out.append(0x2e)
        out.append(c)
        bol = c == 0x0a and i > 0 and b[i - 1] == 0x0d
    if not bol:
        out += b"\r\n"
    return bytes(out) + b".\r\n"
exe = open(d + "/text-b64-pe.eml", "rb").read()
variants = {
    "cr-only": exe.replace(b"\r\n", b"\r"),
    "mixed": exe.replace(b"\r\n", b"\n", 3),
    "dots": exe.replace(b"\r\n\r\n", b"\r\n\r\n.\r\n..x\r\n.\r\n", 1),
    "no-final-eol": exe.rstrip(b"\r\n"),
}
for name, b in variants.items():
    open("%s/%s.eml" % (d, name), "wb").write(b)
    open("%s/%s.wire" % (d, name), "wb").write(wire(b))
PY

start_recorder
free_port PROXY_PORT
CONF_TEXT="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
filetypes {
	enabled = true
	block_types = { \"executable\", \"html\", \"script\" }
}"

# offline CONF FILE TAG: -t's last line in T_LAST, output in $WORK/t-TAG
offline() {
	T_OUT="$WORK/t-$3"
	timeout -k 5 60 "$SMTPPROXY" -f "$1" -t "$2" >"$T_OUT" \
	    2>"$T_OUT.err" </dev/null || true
	T_LAST=$(tail -n 1 "$T_OUT")
	note "--- -t $(basename "$2"): $T_LAST"
	sed 's/^/    /' "$T_OUT" "$T_OUT.err"
}

# live_raw FIXTURE TAG: the reply to the end of data in LIVE
live_raw() {
	client "live-$2" --timeout 30 \
	    'expect:^220 ' \
	    'send:EHLO client.test\r\n' 'expect:^250 ' \
	    "send:MAIL FROM:<$2@example.com>\\r\\n" 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "sendfile:$FX/$1.wire" 'reply' \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
	LIVE=$(sed -n 's/^ *[0-9.]* S: //p' "$WORK/live-$2.out" | tail -n 2 |
	    head -n 1)
}

# live_swaks FILE TAG: swaks --data @FILE; its reply to the end of data
live_swaks() {
	note "--- swaks $2"
	timeout -k 5 60 swaks --server "127.0.0.1:$PROXY_PORT" \
	    --helo client.test --timeout 30 --from "$2@example.com" \
	    --to rcpt@example.net --data "@$1" >"$WORK/swaks-$2.out" 2>&1 \
	    </dev/null || true
	sed 's/^/    /' "$WORK/swaks-$2.out"
	LIVE=$(sed -n 's/^<[-*]* *\([0-9][0-9][0-9] .*\)$/\1/p' \
	    "$WORK/swaks-$2.out" | tail -n 2 | head -n 1)
}

# same TAG: -t's T_LAST and the live reply LIVE say the same
same() {
	local want
	case $LIVE in
	250\ *) want="verdict: accept" ;;
	*) want="verdict: reject $LIVE" ;;
	esac
	[ "$T_LAST" = "$want" ] ||
	    fail "$1: -t '$T_LAST', the live proxy '$LIVE'"
	ok "$1: both: $T_LAST"
}

CONF="$WORK/offline.conf"
printf '%s\n' "$CONF_TEXT" >"$CONF"
start_proxy "$CONF_TEXT"
FIXTURES=$(cut -f1 "$FX/INDEX")

check "1: LF line ends: -t reads CRLF, as swaks sends it"
for fx in $FIXTURES; do
	offline "$CONF" "$FX/$fx.lf" "lf-$fx"
	assert_grep "$T_OUT.err" 'LF line ends; read with CRLF' "-t $fx.lf"
	assert_no_grep "$T_OUT" 'smtp:122' "-t $fx.lf"
	live_swaks "$FX/$fx.lf" "lf-$fx"
	same "$fx.lf"
done

check "2: CRLF files: -t and the raw client"
for fx in $FIXTURES; do
	offline "$CONF" "$FX/$fx.eml" "eml-$fx"
	assert_no_grep "$T_OUT.err" 'LF line ends' "-t $fx.eml"
	live_raw "$fx" "eml-$fx"
	same "$fx.eml"
done

check "3: CR-only and mixed line ends"
for fx in cr-only mixed; do
	offline "$CONF" "$FX/$fx.eml" "$fx"
	[[ $T_LAST == *'(smtp:241)' ]] || fail "$fx: -t '$T_LAST'"
	live_raw "$fx" "$fx"
	same "$fx"
done
LOG241="$CONF_TEXT
alarm \"smtp:241\" { action = \"log\" }"
printf '%s\n' "$LOG241" >"$WORK/log241.conf"
start_proxy "$LOG241"
for fx in cr-only mixed; do
	offline "$WORK/log241.conf" "$FX/$fx.eml" "$fx-log"
	[[ $T_LAST == *'(executable) not allowed' ]] ||
	    fail "$fx (smtp:241 logged): -t '$T_LAST'"
	assert_grep "$T_OUT" 'alarm=smtp:241 name=bare-line-ending action=log' \
	    "-t $fx"
	live_raw "$fx" "$fx-log"
	same "$fx (smtp:241 logged)"
done

check "4: leading dots, no final line end"
start_proxy "$CONF_TEXT"
for fx in dots no-final-eol; do
	offline "$CONF" "$FX/$fx.eml" "$fx"
	live_raw "$fx" "$fx"
	same "$fx"
done
check_proxy_alive
pass
