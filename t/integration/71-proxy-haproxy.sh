#!/bin/bash
# 71-proxy-haproxy (SPEC §5 PROXY protocol): a real HAProxy in front of
# the proxy, clients on 127.0.0.2 and 127.0.0.3, HAProxy (trusted) on
# 127.0.0.1:
#  1. "server ... send-proxy" (v1) and "send-proxy-v2": a message from
#     127.0.0.2 is delivered, and the log names 127.0.0.2, never
#     HAProxy's address, as the client;
#  2. a deny rule on 127.0.0.3, an address only the header carries:
#     554 5.7.1 through HAProxy, in both versions;
#  3. HAProxy's "option smtpchk" checks with "check-send-proxy" keep both
#     servers UP (HAProxy's own stats), and no header is refused;
#  4. 127.0.0.3 connecting to the proxy directly, not through HAProxy:
#     421 4.7.0.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd haproxy haproxy
start_sink
free_port PROXY_PORT
free_port FE1
free_port FE2
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$SINK_ADDR\"
proxy_protocol = true
trusted_proxies = { \"127.0.0.1\" }
access {
	rule \"no-three\" {
		action = \"deny\"
		source = { \"127.0.0.3\" }
		reply = \"Not from 127.0.0.3\"
	}
}"

cat >"$WORK/haproxy.cfg" <<EOF
global
    maxconn 1000
    stats socket $WORK/haproxy.sock mode 600 level admin

defaults
    mode tcp
    timeout connect 10s
    timeout client 1m
    timeout server 1m

frontend v1
    bind 127.0.0.1:$FE1
    default_backend v1
frontend v2
    bind 127.0.0.1:$FE2
    default_backend v2

backend v1
    option smtpchk HELO haproxy.test
    server proxy 127.0.0.1:$PROXY_PORT send-proxy check check-send-proxy inter 500ms
backend v2
    option smtpchk EHLO haproxy.test
    server proxy 127.0.0.1:$PROXY_PORT send-proxy-v2 check check-send-proxy inter 500ms
EOF
haproxy -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.out" 2>&1 ||
    { cat "$WORK/haproxy-check.out"; fail "haproxy rejects its configuration"; }
bg haproxy haproxy -db -f "$WORK/haproxy.cfg"
wait_until 10 is_listening "$FE2" || fail "haproxy not listening"

message() {
	client "$1" --timeout 15 --port "$2" --source "$3" 'expect:^220 ' \
	    'send:EHLO client.test\r\n' 'expect:^250 ' \
	    "send:MAIL FROM:<$1@example.com>\\r\\n" 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "send:Subject: $1\\r\\n\\r\\nbody\\r\\n.\\r\\n" 'expect:^250 ' \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
}

# haproxy_status BACKEND: the server's status in HAProxy's "show stat".
haproxy_status() {
	"$PYTHON" - "$WORK/haproxy.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
lines = data.decode().splitlines()
head = lines[0].lstrip("# ").split(",")
for l in lines[1:]:
    f = dict(zip(head, l.split(",")))
    if f.get("pxname") == sys.argv[2] and f.get("svname") == "proxy":
        print(f["status"])
PY
}

servers_up() {
	[ "$(haproxy_status v1)" = UP ] && [ "$(haproxy_status v2)" = UP ]
}

check "1: send-proxy and send-proxy-v2: the client is 127.0.0.2"
message via-v1 "$FE1" 127.0.0.2
message via-v2 "$FE2" 127.0.0.2
wait_until 10 sink_has 2 || fail "messages not delivered"
assert_eq 2 "$(grep -l 'Subject: via-v' "$SINK_DIR"/* | wc -l)" "messages at the sink"
wait_log 'event=connect client=127\.0\.0\.2:[0-9]+ '
assert_eq 2 "$(log_count 'event=close client=127\.0\.0\.2:[0-9]+ .*messages=1')" \
    "sessions of 127.0.0.2 with a message"

check "2: a deny rule on 127.0.0.3 through HAProxy"
for fe in "$FE1" "$FE2"; do
	client "deny-$fe" --timeout 15 --port "$fe" --source 127.0.0.3 \
	    'expect:^554 5\.7\.1 Not from 127\.0\.0\.3$' \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
done
assert_eq 2 "$(log_count 'event=denied rule=no-three client=127\.0\.0\.3:')" \
    "denied sessions"

check "3: smtpchk health checks with check-send-proxy"
wait_until 10 servers_up ||
    fail "servers not UP: v1 $(haproxy_status v1), v2 $(haproxy_status v2)"
ok "v1 and v2 servers UP"
wait_until 10 log_at_least 4 'helo=haproxy\.test' ||
    fail "no health check sessions in the log"
ok "health check sessions: $(log_count 'helo=haproxy\.test')"
assert_no_grep "$PROXY_LOG" 'proxy-header-error' "headers refused"
# Only a check may name HAProxy's address: every message came from .2.
assert_no_grep "$PROXY_LOG" 'event=close client=127\.0\.0\.1:.*messages=[1-9]' \
    "messages with HAProxy's address as the client"

check "4: 127.0.0.3 directly: not a trusted proxy"
client direct --timeout 10 --source 127.0.0.3 'expect:^421 4\.7\.0 ' 'eof'

pass
