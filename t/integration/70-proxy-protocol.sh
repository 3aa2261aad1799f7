#!/bin/bash
# 70-proxy-protocol (SPEC §5): PROXY protocol v1 and v2 headers from a
# trusted proxy (127.0.0.1), driven by a raw-socket client.
#  1. a v1 header, then a message: the log names the header's client,
#     not the peer; a v2 header (with a TLV) the same;
#  2. an access rule denying 192.0.2.66, an address only the header
#     carries: 554 5.7.1 before any upstream connection;
#  3. the header and EHLO in one write: the EHLO is the client's, early
#     (smtp:242 logged), and answered after the greeting;
#  4. max_sessions_per_client counts the header's client;
#  5. no header, a malformed one, one cut short by a close, a v2 LOCAL
#     health check: logged and closed without a byte (LOCAL: served as
#     the proxy's own session);
#  6. a header sent slowly but within 5 s is served; none within 5 s:
#     closed without a byte after 5 s;
#  7. a connection from 127.0.0.2 (untrusted) gets "421 4.7.0" at once
#     and the close, even if it sends a header;
#  8. transparent mode: the header's destination is the original
#     destination (the session reaches the recorder named there), and a
#     destination that is the proxy itself is a loop, 554 5.4.6;
#  9. -n: proxy_protocol without trusted_proxies, a bad entry, FILE:LINE.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder --delay-reply 0.3
free_port PROXY_PORT
conf="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
max_sessions_per_client = 1
proxy_protocol = true
trusted_proxies = { \"127.0.0.1\", \"10.0.0.0/8\" }
access {
	rule \"no-66\" {
		action = \"deny\"
		source = { \"192.0.2.66\" }
		reply = \"Not from 192.0.2.66\"
	}
}"

V2SIG='\r\n\r\n\x00\r\nQUIT\n'
# v2 PROXY TCP4 198.51.100.9:40001 -> 127.0.0.1:25, an ALPN TLV.
V2="${V2SIG}\\x21\\x11\\x00\\x11\\xc6\\x33\\x64\\x09\\x7f\\x00\\x00\\x01\\x9c\\x41\\x00\\x19\\x01\\x00\\x02h2"
message=('send:EHLO client.test\r\n' 'expect:^250 '
    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 '
    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 '
    'send:DATA\r\n' 'expect:^354 '
    'send:Subject: proxied\r\n\r\nbody\r\n.\r\n'
    'expect:^250 2\.0\.0 Ok: queued as [0-9]+$'
    'send:QUIT\r\n' 'expect:^221 ' 'eof')

# dropped NAME STEPS...: the connection is closed without a byte.
dropped() {
	local name=$1
	shift
	client "$name" --timeout 10 "$@" 'eof'
	assert_no_grep "$WORK/$name.out" '^S: ' "$name: nothing sent"
}

start_proxy "$conf"

check "1: v1 and v2 headers name the client"
client v1 --timeout 15 'send:PROXY TCP4 198.51.100.7 127.0.0.1 40000 25\r\n' \
    'expect:^220 recorder ESMTP$' "${message[@]}"
wait_log 'event=connect client=198\.51\.100\.7:40000 '
wait_log 'client=198\.51\.100\.7:40000 .*messages=1'
client v2 --timeout 15 "send:$V2" 'expect:^220 recorder ESMTP$' \
    "${message[@]}"
wait_log 'event=connect client=198\.51\.100\.9:40001 '
client v1-tcp6 --timeout 15 \
    'send:PROXY TCP6 2001:db8::5 ::1 40002 25\r\n' \
    'expect:^220 recorder ESMTP$' "${message[@]}"
wait_log 'event=connect client=\[2001:db8::5\]:40002 '
assert_eq 3 "$(rec_msgs)" "messages delivered"
assert_no_grep "$PROXY_LOG" 'event=connect client=127\.0\.0\.1:' \
    "the peer's address is not the client"

check "2: a deny rule on an address only the header carries"
conns=$(rec_conns)
client deny --timeout 15 'send:PROXY TCP4 192.0.2.66 127.0.0.1 40003 25\r\n' \
    'expect:^554 5\.7\.1 Not from 192\.0\.2\.66$' \
    'send:QUIT\r\n' 'expect:^221' 'eof'
wait_log 'event=denied rule=no-66 client=192\.0\.2\.66:40003'
sleep 0.3
assert_eq "$conns" "$(rec_conns)" "connections at the upstream"

check "3: the header and EHLO in one write: EHLO stays the client's"
client early --timeout 15 \
    'send:PROXY TCP4 198.51.100.8 127.0.0.1 40004 25\r\nEHLO early.test\r\n' \
    'expect:^220 recorder ESMTP$' 'expect:^250 ' 'send:QUIT\r\n' \
    'expect:^221 ' 'eof'
wait_log 'alarm=smtp:242 name=early-talker'
raw_has 'EHLO early.test\r\n' "$REC_DIR"/conn-*.raw ||
    fail "the EHLO after the header did not reach the upstream"
raw_has 'PROXY' "$REC_DIR"/conn-*.raw &&
    fail "the header reached the upstream"
ok "the EHLO after the header reached the upstream, the header did not"

check "4: max_sessions_per_client counts the header's client"
hold="$WORK/hold"
client_bg held --timeout 20 \
    'send:PROXY TCP4 198.51.100.20 127.0.0.1 40005 25\r\n' \
    'expect:^220 ' "touch:$hold.up" "waitfile:$hold.go" \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
held=$BG_PID
wait_until 10 test -e "$hold.up" || fail "the held session did not start"
client same --timeout 10 'send:PROXY TCP4 198.51.100.20 127.0.0.1 40006 25\r\n' \
    'expect:^421 4\.7\.0 .*Too many connections' 'eof'
client other --timeout 10 'send:PROXY TCP4 198.51.100.21 127.0.0.1 40007 25\r\n' \
    'expect:^220 ' 'send:QUIT\r\n' 'expect:^221 ' 'eof'
touch "$hold.go"
client_wait held "$held"

check "5: no header, a bad one, one cut short, a v2 LOCAL health check"
dropped none 'send:EHLO client.test\r\n'
wait_log 'event=proxy-header-error proxy=127\.0\.0\.1:[0-9]+ reason="not a PROXY protocol header"'
dropped bad 'send:PROXY TCP4 198.51.100.7 127.0.0.1 40000\r\n'
wait_log 'reason="version 1: not six fields"'
dropped bad-v2 "send:${V2SIG}\\x21\\x12\\x00\\x0c"
wait_log 'reason="version 2: a datagram connection"'
dropped nul 'send:PROXY TCP4 198.51.100.7\x00127.0.0.1 1 2\r\n'
wait_log 'reason="version 1: control or non-ASCII byte"'
dropped cut 'send:PROXY TCP4 198.51' 'shutdown'
wait_log 'reason="closed within the header"'
client local --timeout 15 "send:${V2SIG}\\x20\\x00\\x00\\x00" \
    'expect:^220 recorder ESMTP$' 'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_log 'event=connect client=127\.0\.0\.1:[0-9]+ '

check "6: slow but within 5 s is served; nothing for 5 s is closed"
client slow --timeout 15 --byte-delay 0.05 \
    'slow:PROXY TCP4 198.51.100.30 127.0.0.1 40008 25\r\n' \
    'expect:^220 ' 'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_log 'event=connect client=198\.51\.100\.30:40008 '
client silent --timeout 15 'mark' 'eof' 'elapsed:4.5:7'
assert_no_grep "$WORK/silent.out" '^S: ' "silent: nothing sent"
wait_log 'reason="no complete header within 5 seconds"'

check "7: an untrusted source gets 421 4.7.0, never parsed"
client untrusted --timeout 10 --source 127.0.0.2 \
    'expect:^421 4\.7\.0 .*trusted proxy' 'eof'
client untrusted-hdr --timeout 10 --source 127.0.0.2 \
    'send:PROXY TCP4 198.51.100.40 127.0.0.1 40009 25\r\n' \
    'expect:^421 4\.7\.0 ' 'eof'
assert_no_grep "$PROXY_LOG" '198\.51\.100\.40' "the untrusted header"
wait_log 'event=refused reason="untrusted proxy" client=127\.0\.0\.2:[0-9]+$'

check "8: transparent mode: the header's destination is the original one"
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"transparent\"
proxy_protocol = true
trusted_proxies = { \"127.0.0.1\" }"
client transparent --timeout 15 \
    "send:PROXY TCP4 198.51.100.50 127.0.0.1 40010 $REC_PORT\\r\\n" \
    'expect:^220 recorder ESMTP$' "${message[@]}"
wait_log "client=198\\.51\\.100\\.50:40010 orig_dst=127\\.0\\.0\\.1:$REC_PORT"
client loop --timeout 15 \
    "send:PROXY TCP4 198.51.100.51 127.0.0.1 40011 $PROXY_PORT\\r\\n" \
    'expect:^554 5\.4\.6 ' 'send:QUIT\r\n' 'expect:^221' 'eof'
wait_log 'event=loop'

check "9: -n"
# refused_n NAME TEXT PATTERN: -n exits 1 with PATTERN for the file TEXT.
refused_n() {
	local st=0
	printf "$2" >"$WORK/$1.conf"
	"$SMTPPROXY" -n -f "$WORK/$1.conf" >"$WORK/$1.out" 2>&1 || st=$?
	assert_eq 1 "$st" "$1: -n exit status"
	assert_grep "$WORK/$1.out" "$3"
}
refused_n bad1 'mode = "relay"\nupstream = "127.0.0.1:25"\nproxy_protocol = true\n' \
    "bad1\\.conf:3: proxy_protocol: trusted_proxies is empty"
refused_n bad2 'mode = "relay"\nupstream = "127.0.0.1:25"\nproxy_protocol = true\ntrusted_proxies = {\n "10.0.0.0/8",\n "lb.example" }\n' \
    'bad2\.conf:6: trusted_proxies: "lb\.example" is not an address or a CIDR'

pass
