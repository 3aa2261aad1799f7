#!/bin/bash
# 80-tls-inspect: tls.mode = inspect, the client's leg (SPEC §4.7).
#  1. swaks --tls through the proxy: the proxy answers STARTTLS, the
#     upstream leg is encrypted too (the recorder offers STARTTLS), the
#     message is delivered inside TLS, and the session log line says
#     tls=inspect with both legs' protocol and cipher;
#  2. RFC 3207 §4.2: after the handshake MAIL without a new EHLO is
#     503 5.5.1 (smtp:243); the EHLO reply inside TLS offers no
#     STARTTLS, though the upstream offers it again inside TLS; a second
#     STARTTLS is refused 502 (smtp:223);
#  3. "STARTTLS\r\nMAIL FROM:<smuggled@x>\r\n" in one write: the MAIL
#     is discarded (smtp:253 side=client), never run inside TLS, never
#     seen upstream;
#  4. implicit TLS on a second listener (tls.listen): greeting and
#     dialog inside TLS, no STARTTLS offered, message delivered;
#  5. a client that aborts the handshake: that session is closed and
#     logged with OpenSSL's reason, the next session works;
#     malformed input: STARTTLS byte at a time works; with a NUL or a
#     bare LF it is refused (smtp:241), overlong (smtp:217); plaintext
#     garbage instead of a ClientHello closes that session, logged;
#  6. a TLS 1.1 client against min_protocol TLSv1.2: the handshake
#     fails, logged, nothing crashes;
#  7. SIGHUP with a new certificate: new sessions see it;
#  8. SIGHUP with tls.listen moved to another port: the old one is
#     closed (listen-closed ... tls=implicit), the new one speaks TLS
#     from the connect on;
#  9. SIGUSR1: tls_inspect counts every session whose client leg
#     completed its handshake, tls_passthrough none.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

tls_cert proxy proxy.test
tls_cert up up.test
start_recorder --tls-cert "$WORK/up.crt" --tls-key "$WORK/up.key" \
    --starttls-in-tls

free_port PROXY_PORT
free_port TLS_PORT
conf() {
	printf '%s\n' "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
tls {
	mode = \"inspect\"
	certificate = \"$WORK/$1.crt\"
	key = \"$WORK/$1.key\"
	listen = { \"127.0.0.1:${2:-$TLS_PORT}\" }
}"
}
start_proxy "$(conf proxy)"
is_listening "$TLS_PORT" || fail "no implicit TLS listener"

check "1: swaks --tls: both legs encrypted, delivered inside TLS"
swaks_run tls --tls --to rcpt@example.test --from sender@example.test \
    --body "secret body"
assert_grep "$WORK/tls.out" '<~  250 2\.0\.0 Ok: queued as 1' \
    "swaks got the upstream's reply inside TLS"
wait_until 10 rec_has 1 || fail "nothing delivered"
assert_grep "$REC_DIR/msg-1.tls" '^TLSv1\.[23] ' "upstream leg in TLS"
assert_grep "$REC_DIR/msg-1.eml" 'secret body' "the message"
wait_log 'event=close .* tls=inspect tls_client=TLSv1\.3/TLS_[A-Z0-9_]+ tls_upstream=TLSv1\.3/TLS_[A-Z0-9_]+ reason="quit"'
assert_no_grep "$PROXY_LOG" 'smtp:249' "not passed through"

check "2: the dialog restarts after the handshake (RFC 3207 4.2)"
client restart 'expect:^220 ' 'send:EHLO c.test\r\n' \
    'expect-line:^250.STARTTLS$' 'send:STARTTLS\r\n' \
    'expect:^220 2\.0\.0 Ready to start TLS' starttls \
    'send:MAIL FROM:<a@example.test>\r\n' \
    'expect:^503 5\.5\.1 .*\(smtp:243\)' \
    'send:EHLO c.test\r\n' 'expect-none:^250.STARTTLS' \
    'send:STARTTLS\r\n' 'expect:^502 5\.5\.1 .*\(smtp:223\)' \
    'send:MAIL FROM:<a@example.test>\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 '
wait_log 'event=tls side=client tls=TLSv1\.3'

check "3: STARTTLS and MAIL in one write: MAIL never runs inside TLS"
client inject 'expect:^220 ' 'send:EHLO c.test\r\n' 'expect:^250 ' \
    'send:STARTTLS\r\nMAIL FROM:<smuggled@example.test>\r\n' \
    'expect:^220 2\.0\.0 ' starttls \
    'send:EHLO c.test\r\n' 'expect:^250 ' \
    'send:RCPT TO:<r@example.test>\r\n' 'expect:^503 ' \
    'send:QUIT\r\n' 'expect:^221 '
wait_log 'alarm=smtp:253 name=starttls-injection action=log side=client bytes=35'
for f in "$REC_DIR"/conn-*.raw; do
	assert_no_grep "$f" 'smuggled' "$(basename "$f") never got the MAIL"
done

check "4: implicit TLS on the second listener"
client implicit --port "$TLS_PORT" --tls 'tls-expect:^TLSv1\.3 ' \
    'expect:^220 ' 'send:EHLO c.test\r\n' 'expect-none:^250.STARTTLS' \
    'send:MAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\n' \
    'expect:^250 ' 'expect:^250 ' 'expect:^354 ' \
    'send:Subject: implicit\r\n\r\nover implicit TLS\r\n.\r\n' \
    'expect:^250 2\.0\.0 Ok' 'send:QUIT\r\n' 'expect:^221 '
wait_until 10 rec_has 2 || fail "implicit TLS message not delivered"
m=$(grep -l 'over implicit TLS' "$REC_DIR"/msg-*.eml)
assert_grep "${m%.eml}.tls" '^TLSv1\.3 ' "upstream leg of implicit TLS in TLS"
c=$(grep -l 'over implicit TLS' "$REC_DIR"/conn-*.raw)
"$PYTHON" - "$c" <<'EOF' || fail "implicit TLS: not STARTTLS before the client's EHLO"
import sys
d = open(sys.argv[1], "rb").read()
want = b"EHLO c.test\r\nSTARTTLS\r\n[TLS]\r\nEHLO c.test\r\nMAIL FROM:<s@"
sys.exit(0 if d.startswith(want) else "starts %r" % d[:100])
EOF
ok "implicit TLS: EHLO, STARTTLS, EHLO again inside TLS upstream"
assert_eq 1 "$(grep -c 'S: 250[- ]recorder' "$WORK/implicit.out")" \
    "EHLO replies the implicit TLS client saw"
wait_log 'tls=implicit'

check "5: a client that aborts the handshake: that session only"
client abort 'expect:^220 ' 'send:EHLO c.test\r\n' 'expect:^250 ' \
    'send:STARTTLS\r\n' 'expect:^220 ' \
    'send:\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03garbage' shutdown \
    'eof'
wait_log 'event=tls-error side=client error="'
wait_log 'reason="TLS handshake failed: '
check_proxy_alive
swaks_run after-abort --tls --to rcpt@example.test --from s@example.test
assert_grep "$WORK/after-abort.out" '<~  250 2\.0\.0 Ok' "next session fine"

check "5b: malformed input around STARTTLS"
# Byte at a time, then the handshake.
client slow 'expect:^220 ' 'slow:EHLO c.test\r\n' 'expect:^250 ' \
    'slow:STARTTLS\r\n' 'expect:^220 2\.0\.0 ' starttls \
    'send:EHLO c.test\r\n' 'expect:^250 ' 'send:QUIT\r\n' 'expect:^221 '
# A NUL or a bare LF in the command: refused, no TLS.
client nul 'expect:^220 ' 'send:EHLO c.test\r\n' 'expect:^250 ' \
    'send:STARTTLS\0\r\n' 'expect:^500 5\.5\.2 .*\(smtp:241\)' \
    'send:STARTTLS\nNOOP\r\n' 'expect:^500 5\.5\.2 .*\(smtp:241\)' \
    'send:QUIT\r\n' 'expect:^221 '
# An overlong STARTTLS line: refused (smtp:217), no TLS.
long=$(printf 'x%.0s' $(seq 1 600))
client long 'expect:^220 ' 'send:EHLO c.test\r\n' 'expect:^250 ' \
    "send:STARTTLS $long\\r\\n" 'expect:^500 5\.5\.2 .*\(smtp:217\)' \
    'send:QUIT\r\n' 'expect:^221 '
# Plaintext garbage instead of a ClientHello: that session is closed.
client garbage 'expect:^220 ' 'send:EHLO c.test\r\n' 'expect:^250 ' \
    'send:STARTTLS\r\n' 'expect:^220 ' \
    'send:GET / HTTP/1.0\r\n\r\n' 'eof'
wait_log 'event=tls-error side=client error="TLS: error:[0-9A-F]+:SSL routines::(wrong version number|http request)'
check_proxy_alive

check "6: a TLS 1.1 client against min_protocol TLSv1.2"
client old --expect-status 1 --tls-max TLSv1_1 'expect:^220 ' \
    'send:EHLO c.test\r\n' 'expect:^250 ' 'send:STARTTLS\r\n' \
    'expect:^220 ' starttls
wait_log 'event=tls-error side=client error=".*(version|protocol)'
check_proxy_alive
client implicit-old --expect-status 1 --port "$TLS_PORT" --tls \
    --tls-max TLSv1_1 'expect:^220 '
check_proxy_alive

check "7: SIGHUP with a new certificate: new sessions see it"
subj=$(tls_subject "$PROXY_PORT")
note "certificate before: $subj"
case $subj in *proxy.test*) ;; *) fail "not the first certificate: $subj" ;; esac
tls_cert renewed renewed.test
conf renewed >"$PROXY_CONF"
proxy_kill HUP
wait_log 'event=reloaded'
subj=$(tls_subject "$PROXY_PORT")
note "certificate after: $subj"
case $subj in *renewed.test*) ;; *) fail "still the old certificate: $subj" ;; esac
swaks_run after-hup --tls --to rcpt@example.test --from s@example.test
assert_grep "$WORK/after-hup.out" '<~  250 2\.0\.0 Ok' "delivered after HUP"

check "8: SIGHUP with tls.listen on another port: re-bound"
free_port TLS_PORT2
conf renewed "$TLS_PORT2" >"$PROXY_CONF"
proxy_kill HUP
wait_log "event=listen-closed addr=127\\.0\\.0\\.1:$TLS_PORT tls=implicit"
wait_log "listening on 127\\.0\\.0\\.1:$TLS_PORT2 tls=implicit"
is_listening "$TLS_PORT" && fail "still listening on $TLS_PORT"
is_listening "$TLS_PORT2" || fail "not listening on $TLS_PORT2"
client moved --port "$TLS_PORT2" --tls 'tls-expect:^TLSv1\.3 ' \
    'expect:^220 ' 'send:EHLO c.test\r\n' 'expect-none:^250.STARTTLS' \
    'send:QUIT\r\n' 'expect:^221 '

check "9: SIGUSR1: TLS sessions counted by mode"
wait_until 10 sh -c "[ \"\$(grep -c 'event=close ' '$PROXY_LOG')\" = \
    \"\$(grep -c 'event=connect ' '$PROXY_LOG')\" ]" ||
    fail "sessions still open"
n=$(grep -c 'event=tls side=client' "$PROXY_LOG")
[ "$n" -ge 5 ] || fail "only $n client handshakes logged"
proxy_kill USR1
wait_log "event=counters .*tls_passthrough=0 tls_inspect=$n( |\$)"

check_proxy_alive
pass
