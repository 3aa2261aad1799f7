#!/bin/bash
# 62-tproxy: transparent mode behind the TPROXY target, IPv4 and IPv6, on
# a gateway between a LAN and a remote MX (netns.sh: client C, gateway
# G, server S), set up on G by contrib/iptables-tproxy.sh as the kernel's
# TPROXY documentation (Documentation/networking/tproxy.rst) describes: a
# mangle PREROUTING rule marks packets of local sockets ("-m socket"),
# TPROXY sends the LAN's port-25 connections to the proxy's tproxy
# listener, and "ip rule fwmark 1 lookup 100" with "ip route add local
# default dev lo table 100" delivers marked packets locally (running the
# script twice adds nothing). smtp-sink listens on S.
#  1. tproxy.listen: mail from C to S over each family reaches the
#     proxy, which logs the original destination (from getsockname(),
#     bracketed for IPv6) and delivers it from G's own address;
#  2. a client that connects to the tproxy listener itself is a loop:
#     554 5.4.6, over each family;
#  3. tproxy.client_source = true: the upstream connection is made from
#     the client's address (smtp-sink's X-Client-Addr is C's), each
#     family;
#  4. -n refuses client_source without tproxy listeners and an address
#     both in listen and tproxy.listen;
#  5. client_source with user = "nobody" (which gives CAP_NET_ADMIN up)
#     stops at start-up, saying why, and a reload to it is refused;
#     started as nobody with CAP_NET_ADMIN as an ambient capability, the
#     proxy connects from client addresses; in relay mode to an IPv6
#     upstream, an IPv4 client's session connects from the proxy's own
#     address, logged;
#  6. iptables-tproxy.sh -D removes its rules, policy rule and route: mail
#     from C goes straight to S;
#  7. the same with contrib/nftables-tproxy.nft (and the ip rule and
#     route commands its header gives), then nft delete table.
# Without the TPROXY target or the socket match in the kernel the test
# is skipped, saying so.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
TEST_TIMEOUT=${TEST_TIMEOUT:-200}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

require_cmd swaks swaks
require_proxy

check "4: -n refuses what cannot work"
cat >"$WORK/bad1.conf" <<EOC
listen = { "127.0.0.1:10025" }
tproxy { client_source = true }
EOC
cat >"$WORK/bad2.conf" <<EOC
listen = { "127.0.0.1:10025", "[::1]:10026" }
tproxy { listen = { "[::1]:10026" } }
EOC
cat >"$WORK/good.conf" <<EOC
listen = { }
tproxy { listen = { "0.0.0.0:10026", "[::]:10026" }  client_source = true }
EOC
st=0; "$SMTPPROXY" -n -f "$WORK/bad1.conf" >"$WORK/bad1.out" 2>&1 || st=$?
cat "$WORK/bad1.out"
assert_eq 1 "$st" "-n exit status, client_source without listeners"
assert_grep "$WORK/bad1.out" 'bad1\.conf:2: tproxy.client_source: '
st=0; "$SMTPPROXY" -n -f "$WORK/bad2.conf" >"$WORK/bad2.out" 2>&1 || st=$?
cat "$WORK/bad2.out"
assert_eq 1 "$st" "-n exit status, an address in both lists"
assert_grep "$WORK/bad2.out" 'bad2\.conf:2: tproxy.listen: "\[::1\]:10026" is in listen too'
st=0; "$SMTPPROXY" -n -f "$WORK/good.conf" >"$WORK/good.out" 2>&1 || st=$?
cat "$WORK/good.out"
assert_eq 0 "$st" "-n exit status, tproxy listeners only"

netns_gateway t62
netns_iptables "${IN_G[@]}" 4
IPT4=$IPT
netns_iptables "${IN_G[@]}" 6
IPT6=$IPT
note "using $IPT4 and $IPT6"

netns_sinks
IN_NS=("${IN_G[@]}")
free_port PROXY_PORT
free_port PLAIN_PORT

# The kernel's TPROXY target and socket match, for each family, or SKIP.
for fam in 4 6; do
	if [ "$fam" = 4 ]; then ipt=$IPT4; else ipt=$IPT6; fi
	"${IN_G[@]}" "$ipt" -t mangle -N PROBE || fail "$ipt -N failed"
	"${IN_G[@]}" "$ipt" -t mangle -A PROBE -p tcp -m socket -j ACCEPT \
	    2>"$WORK/socket.err" ||
	    skip "no socket match for IPv$fam in this kernel (xt_socket): $(cat "$WORK/socket.err")"
	"${IN_G[@]}" "$ipt" -t mangle -A PROBE -p tcp -j TPROXY \
	    --tproxy-mark 0x1/0x1 --on-port "$PROXY_PORT" 2>"$WORK/tproxy.err" ||
	    skip "no TPROXY target for IPv$fam in this kernel (xt_TPROXY): $(cat "$WORK/tproxy.err")"
	"${IN_G[@]}" "$ipt" -t mangle -F PROBE &&
	    "${IN_G[@]}" "$ipt" -t mangle -X PROBE || fail "$ipt -X failed"
done
# The rules and routes themselves: contrib/iptables-tproxy.sh, as shipped
# (it runs iptables and ip6tables by those names).
[ "$IPT4" = iptables ] && [ "$IPT6" = ip6tables ] ||
    skip "iptables-tproxy.sh runs iptables and ip6tables, which do not work here"
TPSCRIPT="$TOP_SRCDIR/contrib/iptables-tproxy.sh"
check "contrib/iptables-tproxy.sh $PROXY_PORT lan0 (both families)"
"${IN_G[@]}" sh "$TPSCRIPT" "$PROXY_PORT" lan0 || fail "iptables-tproxy.sh failed"
"${IN_G[@]}" sh "$TPSCRIPT" "$PROXY_PORT" lan0 ||
    fail "iptables-tproxy.sh failed the second time"
for fam in 4 6; do
	if [ "$fam" = 4 ]; then ipt=$IPT4; else ipt=$IPT6; fi
	"${IN_G[@]}" "$ipt" -t mangle -S
	"${IN_G[@]}" ip -"$fam" rule show
	"${IN_G[@]}" ip -"$fam" route show table 100
	assert_eq 1 "$("${IN_G[@]}" "$ipt" -t mangle -S | grep -c -- '-j TPROXY')" \
	    "IPv$fam TPROXY rules after two runs"
	assert_eq 1 "$("${IN_G[@]}" ip -"$fam" rule show | grep -c 'fwmark 0x1 lookup 100')" \
	    "IPv$fam policy rules after two runs"
done

# mail_from_lan FAMILY FROM-ADDR: one message from C to S over FAMILY; it
# must reach the sink from FROM-ADDR (smtp-sink's X-Client-Addr) through
# the proxy, which logs the client and the original destination.
N=0
mail_from_lan() {
	local fam=$1 from=$2 dir pat n before
	N=$((N + 1))
	IN_NS=("${IN_C[@]}")
	if [ "$fam" = 4 ]; then
		dir=$SINK4
		pat="event=close client=$C4:[0-9]+ orig_dst=$S4:25 .*messages=1"
		before=$(at_sink "$dir" "^X-Client-Addr: $from\$")
		n=$(log_count "$pat")
		swaks_run "lan$N" --server "$S4" --port 25 \
		    --from "m$N@example.com" --to rcpt@example.net --body "m$N"
	else
		dir=$SINK6
		pat="event=close client=\\[$C6\\]:[0-9]+ orig_dst=\\[$S6\\]:25 .*messages=1"
		from="ipv6:$from"
		before=$(at_sink "$dir" "^X-Client-Addr: $from\$")
		n=$(log_count "$pat")
		swaks_run "lan$N" -6 --server "$S6" --port 25 \
		    --from "m$N@example.com" --to rcpt@example.net --body "m$N"
	fi
	IN_NS=("${IN_G[@]}")
	wait_until 10 log_at_least $((n + 1)) "$pat" ||
	    fail "no new line /$pat/ in the proxy log"
	ok "proxy log: a new line /$pat/"
	wait_until 10 test "$(at_sink "$dir" "^X-Client-Addr: $from\$")" \
	    -gt "$before" || fail "no new message from $from at the sink"
	ok "delivered from $from"
}

# ---------------------------------------------------------------------
base="listen = { \"127.0.0.1:$PLAIN_PORT\" }
mode = \"transparent\"
hostname = \"proxy.test\""
check "1: TPROXY to tproxy listeners, upstream from the gateway"
start_proxy "$base
tproxy { listen = { \"0.0.0.0:$PROXY_PORT\", \"[::]:$PROXY_PORT\" } }"
assert_grep "$PROXY_LOG" "listening on 0\\.0\\.0\\.0:$PROXY_PORT tproxy=yes\$"
assert_grep "$PROXY_LOG" "listening on \\[::\\]:$PROXY_PORT ipv6_only=yes tproxy=yes\$"
mail_from_lan 4 "$G4_WAN"
mail_from_lan 6 "$G6_WAN"
assert_eq 2 "$(log_count 'event=connect ')" "sessions at the proxy"

check "2: a connection to the tproxy listener itself is a loop"
IN_NS=("${IN_C[@]}")
client loop4 --timeout 15 --host "$G4_LAN" --port "$PROXY_PORT" \
    'expect:^554 5\.4\.6( |$)' 'send:QUIT\r\n' 'expect:^221 ' 'eof'
client loop6 --timeout 15 --host "$G6_LAN" --port "$PROXY_PORT" \
    'expect:^554 5\.4\.6( |$)' 'send:QUIT\r\n' 'expect:^221 ' 'eof'
IN_NS=("${IN_G[@]}")
wait_log "event=loop orig_dst=$G4_LAN:$PROXY_PORT\$"
wait_log "event=loop orig_dst=\\[$G6_LAN\\]:$PROXY_PORT\$"

check "3: client_source = true, upstream from the client's address"
start_proxy "$base
tproxy {
	listen = { \"0.0.0.0:$PROXY_PORT\", \"[::]:$PROXY_PORT\" }
	client_source = true
}"
mail_from_lan 4 "$C4"
mail_from_lan 6 "$C6"
assert_eq 2 "$(log_count 'event=connect ')" "sessions at the proxy"
assert_eq 0 "$(log_count 'event=(upstream-error|client-source-skipped)')" \
    "upstream errors"
stop_proxy

check "5: client_source needs CAP_NET_ADMIN while serving"
# Dropping to "user" gives the capability up: the proxy says so and
# does not start.
cat >"$WORK/drop.conf" <<EOC
$base
user = "nobody"
tproxy {
	listen = { "0.0.0.0:$PROXY_PORT" }
	client_source = true
}
EOC
st=0
"${IN_G[@]}" timeout -k 5 30 "$SMTPPROXY" -d -f "$WORK/drop.conf" \
    >"$WORK/drop.out" 2>&1 </dev/null || st=$?
cat "$WORK/drop.out"
assert_eq 1 "$st" "exit status with user = nobody"
assert_grep "$WORK/drop.out" 'tproxy.client_source: cannot connect from client addresses \(Operation not permitted\)'
# A reload that turns client_source on is refused the same way; the
# running configuration goes on serving.
start_proxy "$base
user = \"nobody\"
tproxy { listen = { \"0.0.0.0:$PROXY_PORT\", \"[::]:$PROXY_PORT\" } }"
sed -i 's/^tproxy { listen = \(.*\) }$/tproxy { listen = \1  client_source = true }/' \
    "$PROXY_CONF"
cat "$PROXY_CONF"
proxy_kill HUP
wait_log 'tproxy\.client_source: cannot connect from client addresses \(Operation not permitted\)'
wait_log 'event=reload-failed'
mail_from_lan 4 "$G4_WAN"
stop_proxy
# Started as nobody with CAP_NET_ADMIN as an ambient capability (what
# systemd's AmbientCapabilities= gives), it serves.
require_cmd setpriv util-linux
IN_NS=("${IN_G[@]}" setpriv --reuid=nobody --regid="$(id -g nobody)"
    --clear-groups --inh-caps=+net_admin --ambient-caps=+net_admin)
start_proxy "$base
tproxy {
	listen = { \"0.0.0.0:$PROXY_PORT\", \"[::]:$PROXY_PORT\" }
	client_source = true
}"
IN_NS=("${IN_G[@]}")
assert_eq nobody "$(ps -o user= -p "$(pgrep -P "$PROXY_PID" -x smtpproxy ||
    echo "$PROXY_PID")" | tr -d ' ')" "user of the proxy"
mail_from_lan 4 "$C4"
mail_from_lan 6 "$C6"

check "5: relay to IPv6 from an IPv4 client: the proxy's own address"
start_proxy "listen = { \"127.0.0.1:$PLAIN_PORT\" }
mode = \"relay\"
upstream = \"[$S6]:25\"
tproxy {
	listen = { \"0.0.0.0:$PROXY_PORT\", \"[::]:$PROXY_PORT\" }
	client_source = true
}"
n=$(at_sink "$SINK6" "^X-Client-Addr: ipv6:$G6_WAN\$")
IN_NS=("${IN_C[@]}")
swaks_run relay4to6 --server "$S4" --port 25 --from r@example.com \
    --to rcpt@example.net
IN_NS=("${IN_G[@]}")
wait_log "event=client-source-skipped client=$C4:[0-9]+ upstream=\\[$S6\\]:25 reason=\"address family\""
wait_until 10 test "$(at_sink "$SINK6" "^X-Client-Addr: ipv6:$G6_WAN\$")" \
    -gt "$n" || fail "not delivered over IPv6 from the gateway"
ok "delivered to [$S6]:25 from $G6_WAN"

check "6: iptables-tproxy.sh -D removes it all; mail goes straight to S"
"${IN_G[@]}" sh "$TPSCRIPT" -D "$PROXY_PORT" lan0 ||
    fail "iptables-tproxy.sh -D failed"
for fam in 4 6; do
	if [ "$fam" = 4 ]; then ipt=$IPT4; else ipt=$IPT6; fi
	assert_eq 0 "$("${IN_G[@]}" "$ipt" -t mangle -S | grep -c 'TPROXY\|SMTPPROXY_DIVERT')" \
	    "IPv$fam mangle rules after -D"
	assert_eq 0 "$("${IN_G[@]}" ip -"$fam" rule show | grep -c 'fwmark 0x1 lookup 100')" \
	    "IPv$fam policy rules after -D"
done
sessions=$(log_count 'event=connect ')
mail_direct() {
	local fam=$1 dir=$2 from=$3 before
	before=$(at_sink "$dir" "^X-Client-Addr: $from\$")
	IN_NS=("${IN_C[@]}")
	if [ "$fam" = 4 ]; then
		swaks_run "direct$fam" --server "$S4" --port 25 \
		    --from d@example.com --to rcpt@example.net
	else
		swaks_run "direct$fam" -6 --server "$S6" --port 25 \
		    --from d@example.com --to rcpt@example.net
	fi
	IN_NS=("${IN_G[@]}")
	wait_until 10 test "$(at_sink "$dir" "^X-Client-Addr: $from\$")" \
	    -gt "$before" || fail "IPv$fam: nothing straight from the client"
	ok "IPv$fam: delivered by the client itself"
}
mail_direct 4 "$SINK4" "$C4"
mail_direct 6 "$SINK6" "ipv6:$C6"
assert_eq "$sessions" "$(log_count 'event=connect ')" "sessions at the proxy"

# ---------------------------------------------------------------------
if ! command -v nft >/dev/null 2>&1 && [ ! -x /usr/sbin/nft ]; then
	note "SKIP of the nftables part: nft not found (Debian package nftables)"
	pass
fi
NFTFILE="$TOP_SRCDIR/contrib/nftables-tproxy.nft"
check "7: contrib/nftables-tproxy.nft, with the ip rules its header gives"
nft_load() {
	"${IN_G[@]}" nft -D LAN_IF=lan0 -D PROXY_PORT="$PROXY_PORT" \
	    -f "$NFTFILE" 2>"$WORK/nft.err"
}
if ! nft_load; then
	cat "$WORK/nft.err"
	grep -qi 'tproxy\|socket\|not supported' "$WORK/nft.err" &&
	    { note "SKIP of the nftables part: $(head -1 "$WORK/nft.err")"; pass; }
	fail "loading nftables-tproxy.nft failed"
fi
nft_load || fail "loading nftables-tproxy.nft failed the second time"
start_proxy "$base
tproxy {
	listen = { \"0.0.0.0:$PROXY_PORT\", \"[::]:$PROXY_PORT\" }
	client_source = true
}"
"${IN_G[@]}" nft list table inet smtpproxy_tproxy | tee "$WORK/nft.out"
assert_eq 2 "$(grep -c "tproxy ip6\? to :$PROXY_PORT" "$WORK/nft.out")" \
    "tproxy rules after two loads"
# The header's commands, as written there.
grep -E '^#     ip -[46] (rule|route) add ' "$NFTFILE" | sed 's/^#     //' \
    >"$WORK/nft-routes.sh"
cat "$WORK/nft-routes.sh"
assert_eq 4 "$(wc -l <"$WORK/nft-routes.sh")" "ip commands in the header"
"${IN_G[@]}" sh -e "$WORK/nft-routes.sh" || fail "the header's ip commands failed"
mail_from_lan 4 "$C4"
mail_from_lan 6 "$C6"
"${IN_G[@]}" nft delete table inet smtpproxy_tproxy ||
    fail "nft delete table failed"
sessions=$(log_count 'event=connect ')
mail_direct 4 "$SINK4" "$C4"
mail_direct 6 "$SINK6" "ipv6:$C6"
assert_eq "$sessions" "$(log_count 'event=connect ')" "sessions at the proxy"
pass
