#!/bin/bash
# 30-held-eod (SPEC §3, §4.5): the end of data is held until the verdict.
# The proxy relays to recorder.py with filetypes on (spool_dir a
# directory of the test).
#  1. EHLO session: a message with an executable attachment is answered
#     554 5.7.1 Attachment "program.exe" (executable) not allowed; its
#     upstream connection never gets the terminator (the body may have
#     streamed: no CRLF.CRLF after its DATA, the recorder saw it end in
#     data, no msg file); the next, clean message of the same session is
#     delivered exactly once, byte for byte, over a new upstream
#     connection that starts with the client's EHLO replayed, and the
#     client gets the upstream's own reply ("250 2.0.0 Ok: queued as N");
#  2. HELO session: accepted, refused, accepted: the HELO is replayed on
#     the new connection, each accepted message is delivered once and
#     answered with the upstream's reply;
#  3. a message refused by a content alarm (message/partial, smtp:250)
#     is held the same way.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/mkfixtures.py" "$FX" || fail "mkfixtures.py failed"
mkdir -m 700 "$WORK/spool"

# txn FROM WIREFILE REPLY-REGEX: the steps of one transaction, in STEPS.
STEPS=()
# no_eod_after_data FILE: after the first DATA line of FILE, no CRLF.CRLF.
no_eod_after_data() {
	"$PYTHON" - "$1" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"\r\nDATA\r\n")
if i < 0 and d.startswith(b"DATA\r\n"):
    i = 0
if i < 0:
    sys.exit("no DATA in %s" % sys.argv[1])
rest = d[i + 6:]
if b"\r\n.\r\n" in b"\r\n" + rest:
    sys.exit("%s: CRLF.CRLF after DATA" % sys.argv[1])
EOF
}

# starts_with FILE TEXT: FILE's first bytes are TEXT (Python escapes).
starts_with() {
	"$PYTHON" -c 'import codecs, sys
want = codecs.escape_decode(sys.argv[2].encode("latin-1"))[0]
got = open(sys.argv[1], "rb").read()
sys.exit(0 if got.startswith(want) else
         "starts with %r, expected %r" % (got[:len(want) + 20], want))' "$1" "$2"
}

# conn_of FROM: the recorder connection that delivered FROM's message.
conn_of() {
	sed -nE "s/^msg=[0-9]+ conn=([0-9]+) from=<$1>.*/\\1/p" "$REC_DIR/events"
}

start_recorder
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
filetypes {
	enabled = true
	block_types = { \"executable\" }
}"

# ---------------------------------------------------------------------
check "1: refused, then clean, in one EHLO session"
STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
txn refused@example.com "$FX/exe-b64.wire" \
    '^554 5\.7\.1 Attachment "program\.exe" \(executable\) not allowed$'
txn clean@example.com "$FX/clean.wire" '^250 2\.0\.0 Ok: queued as 1$'
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
client ehlo-session --timeout 20 "${STEPS[@]}"

wait_until 10 rec_closed 2 || fail "upstream connection 2 not closed"
wait_until 10 rec_closed 1 || fail "upstream connection 1 not closed"
assert_eq 1 "$(rec_msgs)" "messages at the upstream"
assert_eq 2 "$(rec_conns)" "upstream connections"
assert_files_equal "$FX/clean.eml" "$REC_DIR/msg-1.eml" "the clean message"
assert_eq 1 "$(grep -c 'from=<clean@example\.com>' "$REC_DIR/events")" \
    "deliveries of the clean message"
assert_no_grep "$REC_DIR/events" 'refused@' "upstream events"
# Connection 1 carried the refused transaction, cut before its end.
raw_has 'MAIL FROM:<refused@example.com>\r\n' "$REC_DIR/conn-1.raw" ||
    fail "conn-1 did not carry the refused transaction"
out=$(no_eod_after_data "$REC_DIR/conn-1.raw" 2>&1) ||
    fail "the refused message got its terminator at the upstream: $out"
ok "no CRLF.CRLF after DATA on the refused message's connection"
if raw_has 'MAIL FROM:<clean@' "$REC_DIR/conn-1.raw"; then
	fail "the clean transaction went over the aborted connection"
fi
assert_grep "$REC_DIR/connlog" '^conn=1 eof in data$' \
    "recorder: connection 1 ended inside the data"
if raw_has 'TVqQAAMAAAAEAAAA' "$REC_DIR/conn-1.raw"; then
	note "note: the refused body streamed upstream before the abort"
fi
# Connection 2: the client's EHLO replayed, then the clean transaction.
out=$(starts_with "$REC_DIR/conn-2.raw" \
    'EHLO client.test\r\nMAIL FROM:<clean@example.com>\r\n' 2>&1) ||
    fail "new upstream connection: $out"
ok "the new upstream connection starts with the client's EHLO replayed"
assert_eq 2 "$(conn_of 'clean@example\.com')" "connection of the clean message"
# The upstream's EHLO reply to the replay was absorbed: the client saw
# exactly one EHLO reply.
assert_eq 1 "$(grep -c 'S: 250[- ]recorder' "$WORK/ehlo-session.out")" \
    "EHLO replies seen by the client"
assert_grep "$WORK/ehlo-session.out" 'S: 250 2\.0\.0 Ok: queued as 1$' \
    "client transcript (the upstream's own reply)"
wait_log 'attachment="program\.exe" type=executable'
wait_log 'event=message from=<refused@example\.com> .*verdict=reject'
wait_log 'event=message from=<clean@example\.com> .*verdict=accept'
check_proxy_alive

# ---------------------------------------------------------------------
check "2: accepted, refused, accepted in one HELO session"
msgs=$(rec_msgs)
conns=$(rec_conns)
STEPS=('expect:^220 ' 'send:HELO helo.client.test\r\n' 'expect:^250 ')
txn first@example.com "$FX/plain.wire" \
    "^250 2\\.0\\.0 Ok: queued as $((msgs + 1))\$"
txn refused2@example.com "$FX/elf-renamed.wire" \
    '^554 5\.7\.1 Attachment "notes\.txt" \(executable\) not allowed$'
txn third@example.com "$FX/clean-qp.wire" \
    "^250 2\\.0\\.0 Ok: queued as $((msgs + 2))\$"
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
client helo-session --timeout 20 "${STEPS[@]}"
wait_until 10 rec_closed $((conns + 2)) ||
    fail "upstream connection $((conns + 2)) not closed"
assert_eq $((msgs + 2)) "$(rec_msgs)" "messages at the upstream"
assert_eq $((conns + 2)) "$(rec_conns)" "upstream connections"
assert_files_equal "$FX/plain.eml" "$REC_DIR/msg-$((msgs + 1)).eml" \
    "the first message"
assert_files_equal "$FX/clean-qp.eml" "$REC_DIR/msg-$((msgs + 2)).eml" \
    "the third message"
a=$(conn_of 'first@example\.com')
b=$(conn_of 'third@example\.com')
assert_eq "$((conns + 1))" "$a" "connection of the first message"
assert_eq "$((conns + 2))" "$b" "connection of the third message"
raw_has 'MAIL FROM:<refused2@example.com>\r\n' "$REC_DIR/conn-$a.raw" ||
    fail "the refused transaction did not use the first connection"
# The first DATA of that connection is the accepted message's: look
# after the refused one's.
"$PYTHON" - "$REC_DIR/conn-$a.raw" <<'EOF' ||
import sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"MAIL FROM:<refused2@example.com>\r\n")
j = d.find(b"\r\nDATA\r\n", i)
if i < 0 or j < 0:
    sys.exit("no refused transaction with DATA")
if b"\r\n.\r\n" in d[j + 6:]:
    sys.exit("CRLF.CRLF after the refused message's DATA")
EOF
    fail "the refused message got its terminator at the upstream"
ok "no CRLF.CRLF after the refused message's DATA"
out=$(starts_with "$REC_DIR/conn-$b.raw" \
    'HELO helo.client.test\r\nMAIL FROM:<third@example.com>\r\n' 2>&1) ||
    fail "new upstream connection: $out"
ok "the new upstream connection starts with the client's HELO replayed"
assert_no_grep "$REC_DIR/events" 'refused2@' "upstream events"

# ---------------------------------------------------------------------
check "3: refused by a content alarm (smtp:250): held the same way"
msgs=$(rec_msgs)
conns=$(rec_conns)
STEPS=('expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ')
txn partial@example.com "$FX/mime-partial.wire" \
    '^554 5\.6\.0 .*\(smtp:250\)$'
txn after@example.com "$FX/plain.wire" \
    "^250 2\\.0\\.0 Ok: queued as $((msgs + 1))\$"
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
client partial-session --timeout 20 "${STEPS[@]}"
wait_until 10 rec_closed $((conns + 2)) ||
    fail "upstream connection $((conns + 2)) not closed"
assert_eq $((msgs + 1)) "$(rec_msgs)" "messages at the upstream"
out=$(no_eod_after_data "$REC_DIR/conn-$((conns + 1)).raw" 2>&1) ||
    fail "the refused message got its terminator at the upstream: $out"
ok "no CRLF.CRLF after DATA on the refused message's connection"
out=$(starts_with "$REC_DIR/conn-$((conns + 2)).raw" \
    'EHLO client.test\r\nMAIL FROM:<after@example.com>\r\n' 2>&1) ||
    fail "new upstream connection: $out"
ok "the new upstream connection starts with the client's EHLO replayed"
wait_log 'alarm=smtp:250 name=fragmented-message action=block'
assert_no_bare_crlf "$REC_DIR"/conn-*.raw
pass
