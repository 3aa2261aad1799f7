#!/bin/bash
# 60-transparent-ipv6: transparent mode behind a real ip6tables REDIRECT,
# the IPv6 twin of 09-transparent-netns, in a network namespace the test
# creates (only its loopback is used, with 2001:db8::25 added to it).
# smtp-sink listens on [2001:db8::25]:25; user nobody's connections to
# port 25 are redirected to the proxy (mode transparent, [::1]:PORT),
# which runs as root and so is not redirected itself. swaks as nobody to
# [2001:db8::25]:25 is delivered through the proxy, which logs
# orig_dst=[2001:db8::25]:25 and client=[2001:db8::25]:port (the source
# address the kernel picks for it); swaks as root goes
# straight to the sink; a direct connection to the proxy's own IPv6
# listener is a loop: 554 5.4.6, logged with the bracketed address.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

require_cmd swaks swaks
require_cmd setpriv util-linux
id nobody >/dev/null 2>&1 || skip "no user nobody"

netns_single t60
"${IN_NS[@]}" ip -6 addr add 2001:db8::25/128 dev lo nodad ||
    skip "no IPv6 in the namespace (cannot add 2001:db8::25 to lo)"
"${IN_NS[@]}" ip -o addr show dev lo
netns_iptables "${IN_NS[@]}" 6
note "using $IPT"

start_sink -a '[2001:db8::25]:25'
free_port PROXY_PORT
start_proxy "listen = { \"[::1]:$PROXY_PORT\" }
mode = \"transparent\"
hostname = \"proxy.test\""

"${IN_NS[@]}" "$IPT" -t nat -A OUTPUT -p tcp --dport 25 \
    -m owner --uid-owner nobody -j REDIRECT --to-ports "$PROXY_PORT" ||
    fail "$IPT REDIRECT rule failed"
"${IN_NS[@]}" "$IPT" -t nat -S OUTPUT

printf 'Subject: transparent over IPv6\n\nthrough the REDIRECT\n.hidden dot\n' \
    >"$WORK/body.txt"
chmod 644 "$WORK/body.txt"

check "swaks as nobody to [2001:db8::25]:25 goes through the proxy"
# shellcheck disable=SC2034 # used by swaks_run
AS_USER=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
swaks_run nobody -6 --server 2001:db8::25 --port 25 \
    --from sender@example.com --to rcpt@example.net --data @"$WORK/body.txt"
# shellcheck disable=SC2034
AS_USER=()
wait_until 10 sink_has 1 || fail "no message at smtp-sink"
wait_log 'event=connect client=\[2001:db8::25\]:[0-9]+ orig_dst=\[2001:db8::25\]:25$'
wait_log 'event=message .*from=<sender@example\.com> .*verdict=accept'
wait_log 'event=close client=\[2001:db8::25\]:[0-9]+ orig_dst=\[2001:db8::25\]:25 .*messages=1'
dump=$(find "$SINK_DIR" -type f | head -1)
assert_grep "$dump" '^\.hidden dot$' "delivered message"
assert_grep "$dump" '^Subject: transparent over IPv6$' "delivered message"
# The proxy connected to the original destination itself, over IPv6.
assert_grep "$dump" '^X-Client-Addr: ipv6:' "delivered message"

check "swaks as root is not redirected (the proxy's own traffic is not)"
swaks_run root -6 --server 2001:db8::25 --port 25 --from root@example.com \
    --to rcpt@example.net --body "direct"
wait_until 10 sink_has 2 || fail "direct message not at smtp-sink"
assert_eq 1 "$(log_count 'event=connect ')" "sessions at the proxy"

check "a connection straight to the proxy's IPv6 listener is a loop"
# RFC 5321 3.1: after a 554 greeting the server waits for QUIT and
# answers other commands 503.
client loop --timeout 15 --host ::1 --port "$PROXY_PORT" \
    'expect:^554 5\.4\.6( |$)' 'send:NOOP\r\n' 'expect:^503 ' \
    'send:QUIT\r\n' 'expect:^221 ' 'eof'
wait_log "event=loop orig_dst=\\[::1\\]:$PROXY_PORT\$"
assert_eq 2 "$(sink_count)" "messages at smtp-sink"
pass
