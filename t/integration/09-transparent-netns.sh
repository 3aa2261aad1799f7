#!/bin/bash
# 09-transparent-netns: transparent mode behind a real iptables REDIRECT,
# in a network namespace the test creates (only its loopback is used).
# smtp-sink listens on 127.0.0.2:25; user nobody's connections to port 25
# are redirected to the proxy (mode transparent, 127.0.0.1:PORT), which
# runs as root and so is not redirected itself. swaks as nobody to
# 127.0.0.2:25 is delivered through the proxy (orig_dst=127.0.0.2:25);
# swaks as root goes straight to the sink; a direct connection to the
# proxy's own listener is a loop: 554 5.4.6.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, iptables)"
require_cmd ip iproute2
require_cmd swaks swaks
require_cmd setpriv util-linux
id nobody >/dev/null 2>&1 || skip "no user nobody"

ns="smtpproxy-t09-$$"
ip netns add "$ns" 2>"$WORK/netns.err" ||
    skip "ip netns unusable: $(cat "$WORK/netns.err")"
# shellcheck disable=SC2034 # lib.sh deletes it on exit
NETNS=$ns
IN_NS=(ip netns exec "$ns")
"${IN_NS[@]}" ip link set lo up || skip "cannot bring lo up in $ns"
"${IN_NS[@]}" ip -o addr show dev lo

# Whichever iptables back end works in the namespace (nft or legacy).
IPT=""
for c in iptables iptables-nft iptables-legacy; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || continue
	if "${IN_NS[@]}" "$c" -t nat -S OUTPUT >/dev/null 2>&1; then
		IPT=$c
		break
	fi
done
[ -n "$IPT" ] || skip "no working iptables nat table (Debian package iptables)"
note "using $IPT"

start_sink -a 127.0.0.2:25
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"transparent\"
hostname = \"proxy.test\""

"${IN_NS[@]}" "$IPT" -t nat -A OUTPUT -p tcp --dport 25 \
    -m owner --uid-owner nobody -j REDIRECT --to-ports "$PROXY_PORT" ||
    fail "$IPT REDIRECT rule failed"
"${IN_NS[@]}" "$IPT" -t nat -S OUTPUT

printf 'Subject: transparent\n\nthrough the REDIRECT\n.hidden dot\n' \
    >"$WORK/body.txt"
chmod 644 "$WORK/body.txt"

check "swaks as nobody to 127.0.0.2:25 goes through the proxy"
# shellcheck disable=SC2034 # used by swaks_run
AS_USER=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
swaks_run nobody --server 127.0.0.2:25 --from sender@example.com \
    --to rcpt@example.net --data @"$WORK/body.txt"
# shellcheck disable=SC2034
AS_USER=()
wait_until 10 sink_has 1 || fail "no message at smtp-sink"
wait_log 'event=connect .*orig_dst=127\.0\.0\.2:25'
wait_log 'event=message .*from=<sender@example\.com> .*verdict=accept'
wait_log 'event=close .*orig_dst=127\.0\.0\.2:25 .*messages=1'
dump=$(find "$SINK_DIR" -type f | head -1)
assert_grep "$dump" '^\.hidden dot$' "delivered message"

check "swaks as root is not redirected (the proxy's own traffic is not)"
swaks_run root --server 127.0.0.2:25 --from root@example.com \
    --to rcpt@example.net --body "direct"
wait_until 10 sink_has 2 || fail "direct message not at smtp-sink"
assert_eq 1 "$(log_count 'event=connect ')" "sessions at the proxy"

check "a connection straight to the proxy's listener is a loop"
# RFC 5321 3.1: after a 554 greeting the server waits for QUIT and
# answers other commands 503.
client loop --timeout 15 --host 127.0.0.1 --port "$PROXY_PORT" \
    'expect:^554 5\.4\.6( |$)' 'send:NOOP\r\n' 'expect:^503 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
assert_eq 2 "$(sink_count)" "messages at smtp-sink"
pass
