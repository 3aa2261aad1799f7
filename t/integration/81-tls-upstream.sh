#!/bin/bash
# 81-tls-upstream: the upstream leg of tls.mode = inspect (SPEC §4.7) and
# tls.mode = off.
#  1. an upstream that sends "220 ...\r\n250 injected\r\n" in one write
#     to STARTTLS: the 250 is discarded (smtp:253 side=upstream), never
#     shown to the client inside TLS; the message goes over TLS;
#  2. upstream = required against an upstream without STARTTLS: the
#     client's STARTTLS is refused 454 4.7.0 (smtp:254), the session
#     goes on in plaintext; on an implicit TLS listener the session is
#     closed 421 4.7.0 (smtp:254) at the EHLO; opportunistic: the
#     client's leg alone is encrypted, logged, tls_upstream=none;
#  3. required against an upstream that refuses STARTTLS: 454;
#  4. upstream_verify = true with a CA that did not sign the upstream's
#     certificate: required gives 454 (smtp:254) with the verify
#     reason logged; opportunistic delivers over a plaintext upstream
#     leg (a new connection), also for an implicit TLS client, whose
#     EHLO goes to a new plaintext connection;
#  5. upstream_verify = true with the right CA (the name is the relay
#     host, 127.0.0.1, in the certificate's subjectAltName): delivered
#     over TLS;
#  6. tls.mode = off: no STARTTLS in the EHLO reply although the
#     upstream offers it, STARTTLS refused 502 5.5.1 (smtp:223), never
#     sent upstream.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

tls_ca ca
tls_ca otherca
tls_cert proxy proxy.test
tls_cert up up.test ca

free_port PROXY_PORT
# proxy_conf UPSTREAM-PORT TLS-LINES...
proxy_conf() {
	local port=$1
	shift
	start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$port\"
tls {
	mode = \"inspect\"
	certificate = \"$WORK/proxy.crt\"
	key = \"$WORK/proxy.key\"
$(printf '\t%s\n' "$@")
}"
}

# One message through STARTTLS; NAME.out has the dialog.
tls_message() {
	client "$1" 'expect:^220 ' 'send:EHLO c.test\r\n' \
	    'expect-line:^250.STARTTLS$' 'send:STARTTLS\r\n' \
	    'expect:^220 2\.0\.0 Ready to start TLS' starttls \
	    'send:EHLO c.test\r\n' 'expect-none:^250.STARTTLS' \
	    'send:MAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\n' \
	    'expect:^250 ' 'expect:^250 ' 'expect:^354 ' \
	    "send:Subject: $1\\r\\n\\r\\nbody of $1\\r\\n.\\r\\n" \
	    'expect:^250 2\.0\.0 Ok' 'send:QUIT\r\n' 'expect:^221 '
}

check "1: response injection after the upstream's 220 is discarded"
start_recorder --tls-cert "$WORK/up.crt" --tls-key "$WORK/up.key" \
    --starttls-inject '250 injected\r\n'
proxy_conf "$REC_PORT"
tls_message inj
assert_no_grep "$WORK/inj.out" 'injected' "the client never saw it"
wait_log 'alarm=smtp:253 name=starttls-injection action=log side=upstream bytes=14'
wait_until 10 rec_has 1 || fail "not delivered"
assert_grep "$REC_DIR/msg-1.tls" '^TLSv1\.3 ' "upstream leg in TLS"
wait_log 'tls=inspect tls_client=TLSv1\.3/[^ ]+ tls_upstream=TLSv1\.3/'
stop_proxy
stop_bg "$REC_PID"

check "2: required against an upstream without STARTTLS"
start_recorder
free_port TLS_PORT
proxy_conf "$REC_PORT" 'upstream = "required"' \
    "listen = { \"127.0.0.1:$TLS_PORT\" }"
client req-none 'expect:^220 ' 'send:EHLO c.test\r\n' \
    'expect-line:^250.STARTTLS$' 'send:STARTTLS\r\n' \
    'expect:^454 4\.7\.0 TLS not available \(smtp:254\)' \
    'send:MAIL FROM:<s@example.test>\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 '
wait_log 'alarm=smtp:254 name=tls-unavailable action=block reason="upstream offers no STARTTLS"'
assert_no_grep "$REC_DIR/conn-1.raw" 'STARTTLS' "never sent upstream"
check "2a: implicit TLS, required, an upstream without STARTTLS: 421"
client req-implicit --port "$TLS_PORT" --tls 'expect:^220 ' \
    'send:EHLO c.test\r\n' 'expect:^421 4\.7\.0 .*\(smtp:254\)' 'eof'
check "2b: opportunistic: the client's leg alone"
proxy_conf "$REC_PORT"
tls_message opp-none
wait_until 10 rec_has 1 || fail "not delivered"
[ ! -e "$REC_DIR/msg-1.tls" ] || fail "upstream leg should be plaintext"
wait_log 'event=tls-upstream-plain reason="upstream offers no STARTTLS"'
wait_log 'tls=inspect tls_client=TLSv1\.3/[^ ]+ tls_upstream=none'
stop_proxy
stop_bg "$REC_PID"

check "3: required against an upstream that refuses STARTTLS"
start_recorder --tls-cert "$WORK/up.crt" --tls-key "$WORK/up.key" \
    --starttls-refuse
proxy_conf "$REC_PORT" 'upstream = "required"'
client req-refused 'expect:^220 ' 'send:EHLO c.test\r\n' \
    'expect:^250 ' 'send:STARTTLS\r\n' \
    'expect:^454 4\.7\.0 TLS not available \(smtp:254\)' \
    'send:QUIT\r\n' 'expect:^221 '
wait_log 'alarm=smtp:254 .*reason="upstream refused STARTTLS with 454"'
stop_proxy
stop_bg "$REC_PID"

check "4: verification failure"
start_recorder --tls-cert "$WORK/up.crt" --tls-key "$WORK/up.key"
proxy_conf "$REC_PORT" 'upstream = "required"' 'upstream_verify = true' \
    "ca = \"$WORK/otherca.crt\""
client verify-fail 'expect:^220 ' 'send:EHLO c.test\r\n' \
    'expect:^250 ' 'send:STARTTLS\r\n' \
    'expect:^454 4\.7\.0 TLS not available \(smtp:254\)' \
    'send:EHLO c.test\r\n' 'expect:^250 ' \
    'send:MAIL FROM:<s@example.test>\r\n' 'expect:^250 ' \
    'send:QUIT\r\n' 'expect:^221 '
wait_log 'alarm=smtp:254 .*reason="certificate verify failed: '
wait_log 'event=tls-error side=upstream .*certificate verify failed'
check "4b: opportunistic with a failed verification: plaintext leg"
proxy_conf "$REC_PORT" 'upstream_verify = true' \
    "ca = \"$WORK/otherca.crt\"" "listen = { \"127.0.0.1:$TLS_PORT\" }"
tls_message verify-opp
wait_until 10 rec_has 1 || fail "not delivered"
[ ! -e "$REC_DIR/msg-1.tls" ] || fail "upstream leg should be plaintext"
wait_log 'event=tls-upstream-plain reason="certificate verify failed'
check_proxy_alive
check "4c: implicit TLS, opportunistic, failed verification: a new plaintext leg"
client implicit-opp --port "$TLS_PORT" --tls 'expect:^220 ' \
    'send:EHLO c.test\r\n' 'expect-none:^250.STARTTLS' \
    'send:MAIL FROM:<i@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\n' \
    'expect:^250 ' 'expect:^250 ' 'expect:^354 ' \
    'send:Subject: implicit-opp\r\n\r\nplain leg\r\n.\r\n' \
    'expect:^250 2\.0\.0 Ok' 'send:QUIT\r\n' 'expect:^221 '
wait_until 10 rec_has 2 || fail "not delivered"
[ ! -e "$REC_DIR/msg-2.tls" ] || fail "upstream leg should be plaintext"
assert_eq 1 "$(grep -c 'S: 250[- ]recorder' "$WORK/implicit-opp.out")" \
    "EHLO replies the client saw"
check_proxy_alive
check "5: the right CA: verified, delivered inside TLS"
proxy_conf "$REC_PORT" 'upstream = "required"' 'upstream_verify = true' \
    "ca = \"$WORK/ca.crt\""
tls_message verify-ok
wait_until 10 rec_has 3 || fail "not delivered"
assert_grep "$REC_DIR/msg-3.tls" '^TLSv1\.3 ' "upstream leg in TLS"
stop_proxy

check "6: tls.mode = off"
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
tls { mode = \"off\" }"
n=$(rec_conns)
client off 'expect:^220 ' 'send:EHLO c.test\r\n' \
    'expect-none:^250.STARTTLS' 'send:STARTTLS\r\n' \
    'expect:^502 5\.5\.1 Command not permitted \(smtp:223\)' \
    'send:QUIT\r\n' 'expect:^221 '
assert_no_grep "$REC_DIR/conn-$((n + 1)).raw" 'STARTTLS' "never sent upstream"
wait_log 'event=close .* tls=none reason="quit"'

check_proxy_alive
pass
