#!/bin/bash
# 56-findings (SPEC §4.4): any number of findings, the strongest action
# wins. A message with 40 attachments refused by block_extensions and a
# part header with a control character (smtp:122):
#  1. smtp:122 set to close: 421 4.7.0 naming smtp:122, the session
#     closes, nothing is delivered (before: the 33rd finding and later
#     were dropped, so the alarm was lost and the answer was a 554);
#     the log lists 32 refused attachments, one line "more=8", and the
#     alarm with action=close;
#  2. smtp:122 set to block: the first refusal's 554 5.7.1 and the
#     session goes on; the next message in it is delivered.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
mkdir -p "$FX"
mkdir -m 700 "$WORK/spool"
"$PYTHON" - "$FX" "$INTEGRATION_DIR" <<'PY' || fail "building the message"
import sys
sys.path.insert(0, sys.argv[2])
import mkfixtures
d = sys.argv[1]
h = mkfixtures.header(b"findings 40 refused then an alarm", [
    b'Content-Type: multipart/mixed; boundary="BB"']) + [b""]
for i in range(40):
    h += [b"--BB", b"Content-Type: application/octet-stream",
          b'Content-Disposition: attachment; filename="f%02d.exe"' % i,
          b"", b"x"]
h += [b"--BB", b"Content-Type: text/plain", b"X-Note: bad\x01char", b"",
      b"end", b"--BB--", b""]
m = b"\r\n".join(h)
open(d + "/findings.wire", "wb").write(mkfixtures.wire(m))
open(d + "/clean.wire", "wb").write(mkfixtures.wire(b"\r\n".join(
    mkfixtures.header(b"clean after") + [b"", b"hello", b""])))
PY

start_recorder
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
filetypes {
	enabled = true
	block_extensions = { \"exe\" }
}"

check "1: smtp:122 close behind 40 refused attachments"
start_proxy "$base
alarm \"smtp:122\" { action = \"close\" }"
client close --timeout 30 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<close@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "sendfile:$FX/findings.wire" \
    'expect:^421 4\.7\.0 .*\(smtp:122\)$' 'eof'
sleep 0.2
assert_eq 0 "$(rec_msgs)" "messages at the upstream"
wait_log 'alarm=smtp:122 name=header-invalid-char action=close'
assert_eq 32 "$(grep -c 'event=attachment-refused attachment=' "$PROXY_LOG")" \
    "refused attachments listed"
assert_grep "$PROXY_LOG" 'event=attachment-refused more=8 ' "proxy log"
assert_grep "$PROXY_LOG" 'attachment="f31\.exe"' "proxy log"
assert_no_grep "$PROXY_LOG" 'attachment="f32\.exe"' "proxy log"

check "2: smtp:122 block: the first refusal, the session goes on"
start_proxy "$base
alarm \"smtp:122\" { action = \"block\" }"
client block --timeout 30 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<block@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "sendfile:$FX/findings.wire" \
    'expect:^554 5\.7\.1 Attachment "f00\.exe" \(exe\) not allowed$' \
    'send:MAIL FROM:<after@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    "sendfile:$FX/clean.wire" 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_until 10 rec_has 1 || fail "the message after the refusal: not delivered"
check_proxy_alive
pass
