#!/bin/bash
# 63-ipv6-relay: relay mode to an IPv6 upstream, and IPv6 listeners, in a
# network namespace the test creates (its loopback only).
#  1. upstream = "[::1]:PORT": mail from an IPv4 and an IPv6 client
#     reaches smtp-sink on [::1] over IPv6; with the upstream down, the
#     client gets 421 4.4.1 and the log says upstream=[::1]:PORT;
#  2. upstream = a host name that resolves to an IPv6 address only (an
#     /etc/hosts of the test's own, bind-mounted in a private mount
#     namespace of the proxy; the machine's /etc/hosts is not touched):
#     delivered over IPv6;
#  3. listen = { "[::]:PORT" } is IPv6 only whatever net.ipv6.bindv6only
#     says (0 and 1, set in the namespace): an IPv6 client is served, an
#     IPv4 client finds no listener; "0.0.0.0:PORT" and "[::]:PORT" both
#     bind (one socket per family);
#  4. a client connecting to the IPv4-mapped address ::ffff:127.0.0.1 is
#     an IPv4 client: logged as client=127.0.0.1:port, counted and
#     matched by an IPv4 access rule (refused with its reply), while an
#     IPv6 client is served.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

require_cmd unshare util-linux
require_proxy
netns_single t63
"${IN_NS[@]}" "$PYTHON" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' ||
    skip "no ::1 in the namespace"

free_port SINK_PORT
start_sink -a "[::1]:$SINK_PORT"

# mail NAME HOST: one message through the proxy from a client on HOST.
N=0
mail() {
	N=$((N + 1))
	client "$1" --timeout 15 --host "$2" \
	    'expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ' \
	    "send:MAIL FROM:<m$N@example.com>\\r\\n" 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "send:Subject: m$N\\r\\n\\r\\nbody\\r\\n.\\r\\n" 'expect:^250 ' \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
}

# from_v6 N: N messages at the sink, each received from ::1.
from_v6() {
	wait_until 10 sink_has "$1" || fail "$(sink_count) of $1 messages at the sink"
	assert_eq "$1" "$(grep -l '^X-Client-Addr: ipv6:::1$' "$SINK_DIR"/* | wc -l)" \
	    "messages the sink received over IPv6"
}

# ---------------------------------------------------------------------
check "1: upstream = \"[::1]:$SINK_PORT\""
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\", \"[::1]:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"[::1]:$SINK_PORT\""
assert_grep "$PROXY_LOG" "listening on \\[::1\\]:$PROXY_PORT ipv6_only=yes\$"
mail v4-client 127.0.0.1
mail v6-client ::1
from_v6 2
wait_log "event=close client=127\\.0\\.0\\.1:[0-9]+ orig_dst=127\\.0\\.0\\.1:$PROXY_PORT .*messages=1"
wait_log "event=close client=\\[::1\\]:[0-9]+ orig_dst=\\[::1\\]:$PROXY_PORT .*messages=1"

free_port DOWN_PORT
start_proxy "listen = { \"[::1]:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"[::1]:$DOWN_PORT\""
client down --timeout 15 --host ::1 'expect:^421 4\.4\.1( |$)' 'eof'
wait_log "event=upstream-error upstream=\\[::1\\]:$DOWN_PORT "

# ---------------------------------------------------------------------
check "2: upstream = a name with an IPv6 address only"
name=mx6.smtpproxy.test
if getent hosts "$name" >/dev/null 2>&1; then
	fail "$name resolves on this machine already"
fi
printf '::1\t%s\n' "$name" >"$WORK/hosts"
cat >"$WORK/with-hosts.sh" <<EOF2
#!/bin/sh
# In a private mount namespace: this test's hosts file, then the command.
mount --bind "$WORK/hosts" /etc/hosts || exit 1
exec "\$@"
EOF2
chmod 755 "$WORK/with-hosts.sh"
"${IN_NS[@]}" unshare -m --propagation private "$WORK/with-hosts.sh" \
    getent ahosts "$name" >"$WORK/ahosts.out" 2>&1 ||
    skip "no private mount namespace with a hosts file of its own: $(cat "$WORK/ahosts.out")"
cat "$WORK/ahosts.out"
assert_no_grep "$WORK/ahosts.out" '^[0-9]+\.' "$name's addresses (IPv6 only)"
NS_PLAIN=("${IN_NS[@]}")
IN_NS+=(unshare -m --propagation private "$WORK/with-hosts.sh")
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$name:$SINK_PORT\""
IN_NS=("${NS_PLAIN[@]}")
mail by-name 127.0.0.1
from_v6 3
getent hosts "$name" >/dev/null 2>&1 &&
    fail "$name resolves outside the proxy's mount namespace"
ok "the machine's /etc/hosts does not know $name"

# ---------------------------------------------------------------------
for v6only in 0 1; do
	check "3: net.ipv6.bindv6only = $v6only: [::] is IPv6 only"
	"${IN_NS[@]}" sysctl -qw "net.ipv6.bindv6only=$v6only" ||
	    skip "cannot set net.ipv6.bindv6only in the namespace"
	start_proxy "listen = { \"[::]:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"[::1]:$SINK_PORT\""
	n=$(sink_count)
	mail "v6only$v6only-v6" ::1
	from_v6 $((n + 1))
	client "v6only$v6only-v4" --expect-status 2 --timeout 5 \
	    --host 127.0.0.1 'expect:^220 '
	assert_grep "$WORK/v6only$v6only-v4.out" 'connect to 127\.0\.0\.1:[0-9]+ failed: .*refused'
	# A dual-stack socket would take this one (a client's own IPv6
	# socket can reach ::ffff:0:0/96 only with bindv6only = 0).
	if [ "$v6only" = 0 ]; then
		client "v6only$v6only-mapped" --expect-status 2 --timeout 5 \
		    --host ::ffff:127.0.0.1 'expect:^220 '
		assert_grep "$WORK/v6only$v6only-mapped.out" \
		    'connect to ::ffff:127\.0\.0\.1:[0-9]+ failed: .*refused'
	fi

	check "3: net.ipv6.bindv6only = $v6only: 0.0.0.0 and [::] on one port"
	start_proxy "listen = { \"0.0.0.0:$PROXY_PORT\", \"[::]:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"[::1]:$SINK_PORT\""
	assert_eq 2 "$(log_count "listening on (0\\.0\\.0\\.0|\\[::\\]):$PROXY_PORT")" \
	    "listeners"
	mail "both$v6only-v4" 127.0.0.1
	mail "both$v6only-v6" ::1
	from_v6 $((n + 3))
done

# ---------------------------------------------------------------------
check "4: an IPv4-mapped client is an IPv4 client"
"${IN_NS[@]}" sysctl -qw net.ipv6.bindv6only=0
start_proxy "listen = { \"0.0.0.0:$PROXY_PORT\", \"[::]:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"[::1]:$SINK_PORT\"
access {
	rule \"no-v4-loopback\" {
		action = \"deny\"
		source = { \"127.0.0.0/8\" }
		reply = \"No IPv4 loopback\"
	}
}"
client mapped --timeout 15 --host ::ffff:127.0.0.1 \
    'expect:^554 5\.7\.1 No IPv4 loopback$' 'send:QUIT\r\n' \
    'expect:^221 ' 'eof'
assert_grep "$WORK/mapped.out" 'connected to ::ffff:127\.0\.0\.1:[0-9]+ from ::ffff:127\.0\.0\.1:'
wait_log "event=connect client=127\\.0\\.0\\.1:[0-9]+ orig_dst=127\\.0\\.0\\.1:$PROXY_PORT\$"
wait_log "event=denied rule=no-v4-loopback client=127\\.0\\.0\\.1:[0-9]+ "
assert_no_grep "$PROXY_LOG" 'ffff' "proxy log"
n=$(sink_count)
mail mapped-v6 ::1
from_v6 $((n + 1))
pass
