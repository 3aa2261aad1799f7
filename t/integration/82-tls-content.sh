#!/bin/bash
# 82-tls-content: inside an inspected TLS session everything of §3-§4.6
# applies as in plaintext (SPEC §4.7).
#  1. EICAR attached in base64 inside TLS is refused "554 5.7.1 Virus
#     found", never terminated upstream; the clean message after it is
#     delivered once over a new upstream connection that redoes STARTTLS
#     (EHLO, STARTTLS, handshake, EHLO again) before it: the upstream
#     leg is encrypted for it too;
#  2. SMTP smuggling inside TLS against a lenient upstream: every
#     variant is refused 554 5.6.0 (smtp:241), nothing smuggled is
#     delivered, no bare CR or LF reaches the upstream.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/avfixtures.py" "$FX" || fail "avfixtures.py failed"
mkdir -m 700 "$WORK/spool"
tls_cert proxy proxy.test
tls_cert up up.test

TLS_START=('expect:^220 ' 'send:EHLO client.test\r\n'
    'expect-line:^250.STARTTLS$' 'send:STARTTLS\r\n'
    'expect:^220 2\.0\.0 Ready to start TLS' starttls
    'send:EHLO client.test\r\n' 'expect-none:^250.STARTTLS')

free_port PROXY_PORT
proxy() {
	start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
antivirus {
	enabled = true
	backend = \"libclamav\"
	database = \"$FX/db\"
}
tls {
	mode = \"inspect\"
	certificate = \"$WORK/proxy.crt\"
	key = \"$WORK/proxy.key\"
}"
	wait_log 'event=signatures-loaded count=2( |$)'
}

check "1: EICAR refused inside TLS, the clean message after it over TLS"
start_recorder --tls-cert "$WORK/up.crt" --tls-key "$WORK/up.key"
proxy
STEPS=("${TLS_START[@]}")
txn eicar@example.com "$FX/eicar-b64.wire" \
    '^554 5\.7\.1 Virus found: Eicar-Test-Signature(\.UNOFFICIAL)?$'
txn clean@example.com "$FX/clean.wire" '^250 2\.0\.0 Ok: queued as 1$'
STEPS+=('send:QUIT\r\n' 'expect:^221 ' 'eof')
client av --timeout 20 "${STEPS[@]}"
wait_until 10 rec_has 1 || fail "the clean message was not delivered"
sleep 0.3
assert_eq 1 "$(rec_msgs)" "messages at the upstream"
assert_files_equal "$FX/clean.eml" "$REC_DIR/msg-1.eml" "the clean message"
assert_grep "$REC_DIR/msg-1.tls" '^TLSv1\.3 ' "delivered over an encrypted leg"
assert_no_grep "$REC_DIR/events" 'from=<eicar@' "EICAR never delivered"
assert_eq 2 "$(rec_conns)" "upstream connections"
assert_grep "$REC_DIR/conn-1.raw" 'MAIL FROM:<eicar@example.com>' \
    "EICAR's transaction on the first connection"
"$PYTHON" - "$REC_DIR/conn-2.raw" <<'EOF' || fail "reconnect did not redo STARTTLS first"
import sys
d = open(sys.argv[1], "rb").read()
want = (b"EHLO client.test\r\nSTARTTLS\r\n[TLS]\r\nEHLO client.test\r\n"
        b"MAIL FROM:<clean@example.com>\r\n")
sys.exit(0 if d.startswith(want) else "conn-2 starts %r" % d[:120])
EOF
ok "the new upstream connection did EHLO, STARTTLS, EHLO, then MAIL"
assert_eq 2 "$(grep -c 'S: 250[- ]recorder' "$WORK/av.out")" \
    "EHLO replies the client saw (before and inside TLS, none replayed)"
wait_log 'event=message from=<eicar@example\.com> .*verdict=reject'
wait_log 'event=close .*messages=2 .*tls=inspect tls_client=TLSv1\.3/[^ ]+ tls_upstream=TLSv1\.3/'
stop_proxy
stop_bg "$REC_PID"

check "2: smuggling inside TLS"
start_recorder --lenient --tls-cert "$WORK/up.crt" --tls-key "$WORK/up.key"
proxy
smuggled='MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n'
i=0
for v in '\n.\n' '\n.\r\n' '\r\n.\n' '\r.\r' '\r.\n' '\r\n\0.\r\n'; do
	i=$((i + 1))
	client "smuggle-$i" --timeout 15 "${TLS_START[@]}" \
	    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "send:Subject: smuggle-$i\\r\\n\\r\\nhello${v}${smuggled}" \
	    'expect:^554 5\.6\.0 .*\(smtp:241\)' \
	    'send:QUIT\r\n' 'expect:^221 '
done
sleep 0.5
assert_eq 0 "$(rec_msgs)" "messages at the lenient upstream"
assert_no_bare_crlf "$REC_DIR"/conn-*.raw
for f in "$REC_DIR"/conn-*.raw; do
	assert_grep "$f" '^\[TLS\]' "$(basename "$f") in TLS"
done

check_proxy_alive
pass
