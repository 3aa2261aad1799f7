#!/bin/bash
# 61-contrib-redirect: the shipped examples contrib/iptables-redirect.sh
# and contrib/nftables-redirect.nft themselves (not a copy of their
# rules), for IPv4 and IPv6, on a gateway between a LAN and a remote MX
# (netns.sh: client C, gateway G, server S). The proxy runs on G in
# transparent mode as user nobody, listening on 0.0.0.0:PORT and
# [::]:PORT; smtp-sink listens on S (198.51.100.2:25, [2001:db8:2::2]:25).
# With each rule set loaded on G for lan0, PORT and nobody:
#  1. mail from the LAN (C) to S, over each family, is redirected by the
#     PREROUTING rule: the proxy logs the client's address and the
#     original destination (bracketed for IPv6) and delivers from G's
#     own address (smtp-sink's X-Client-Addr);
#  2. mail that G sends itself (root, not nobody) to S is redirected by
#     the OUTPUT rule, and the proxy's own upstream connection (as
#     nobody) is not: one session per message, no loop;
#  3. loading the rules again adds nothing (no duplicate rules);
#  4. removing them (iptables-redirect.sh -D, nft delete table) lets mail
#     from the LAN go straight to S again.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
TEST_TIMEOUT=${TEST_TIMEOUT:-240}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

require_cmd swaks swaks
id nobody >/dev/null 2>&1 || skip "no user nobody"
IPTSCRIPT="$TOP_SRCDIR/contrib/iptables-redirect.sh"
NFTFILE="$TOP_SRCDIR/contrib/nftables-redirect.nft"
[ -r "$IPTSCRIPT" ] && [ -r "$NFTFILE" ] || fail "contrib examples not found"

netns_gateway t61
for c in iptables ip6tables; do
	"${IN_G[@]}" "$c" -t nat -S OUTPUT >/dev/null 2>&1 ||
	    skip "$c (the command the script runs) has no working nat table"
done
HAVE_NFT=yes
if ! command -v nft >/dev/null 2>&1 && [ ! -x /usr/sbin/nft ]; then
	HAVE_NFT="nft not found (Debian package nftables)"
elif ! "${IN_G[@]}" nft list tables >/dev/null 2>&1; then
	HAVE_NFT="nft does not work in a network namespace here"
fi

netns_sinks

IN_NS=("${IN_G[@]}")
free_port PROXY_PORT
start_proxy "listen = { \"0.0.0.0:$PROXY_PORT\", \"[::]:$PROXY_PORT\" }
mode = \"transparent\"
user = \"nobody\"
hostname = \"proxy.test\""

# mail NAME PREFIX-ARRAY FAMILY: one message with swaks run in a namespace
# (IN_NS), to S over FAMILY (4 or 6).
N=0
mail() {
	local name=$1 fam=$2
	N=$((N + 1))
	if [ "$fam" = 4 ]; then
		swaks_run "$name" --server "$S4" --port 25 \
		    --from "m$N@example.com" --to rcpt@example.net --body "m$N"
	else
		swaks_run "$name" -6 --server "$S6" --port 25 \
		    --from "m$N@example.com" --to rcpt@example.net --body "m$N"
	fi
}

# one_more PATTERN BEFORE: the proxy log gets a line matching PATTERN
# beyond the BEFORE it had.
one_more() {
	wait_until 10 log_at_least $(($2 + 1)) "$1" ||
	    fail "no new line matching /$1/ in the proxy log"
	ok "proxy log: a new line /$1/"
}

# rules_work WHICH: the checks 1 and 2 with the rule set WHICH loaded.
rules_work() {
	local which=$1 sessions before4 before6 pat n
	sessions=$(log_count 'event=connect ')

	check "$which, IPv4: mail from the LAN goes through the proxy"
	before4=$(at_sink "$SINK4" "^X-Client-Addr: $G4_WAN\$")
	IN_NS=("${IN_C[@]}")
	pat="event=close client=$C4:[0-9]+ orig_dst=$S4:25 .*messages=1"
	n=$(log_count "$pat")
	mail "$which-lan4" 4
	one_more "$pat" "$n"
	wait_until 10 test "$(at_sink "$SINK4" "^X-Client-Addr: $G4_WAN\$")" \
	    -gt "$before4" || fail "no message from the gateway at the sink"
	ok "delivered by the proxy from $G4_WAN"

	check "$which, IPv6: mail from the LAN goes through the proxy"
	before6=$(at_sink "$SINK6" "^X-Client-Addr: ipv6:$G6_WAN\$")
	pat="event=close client=\\[$C6\\]:[0-9]+ orig_dst=\\[$S6\\]:25 .*messages=1"
	n=$(log_count "$pat")
	mail "$which-lan6" 6
	one_more "$pat" "$n"
	wait_until 10 test "$(at_sink "$SINK6" "^X-Client-Addr: ipv6:$G6_WAN\$")" \
	    -gt "$before6" || fail "no message from the gateway at the sink"
	ok "delivered by the proxy from $G6_WAN"

	check "$which: mail the gateway sends itself goes through the proxy once"
	IN_NS=("${IN_G[@]}")
	mail "$which-local4" 4
	mail "$which-local6" 6
	wait_until 10 log_at_least $((sessions + 4)) 'event=close ' ||
	    fail "the gateway's own mail did not go through the proxy"
	sleep 0.5
	# A proxy connection sent back to the proxy would be a session more
	# (and another, and another).
	assert_eq $((sessions + 4)) "$(log_count 'event=connect ')" \
	    "sessions at the proxy (4 messages)"
	assert_eq $((sessions + 4)) "$(log_count 'event=close .*messages=1')" \
	    "sessions with a message"
	wait_until 10 test "$(at_sink "$SINK4" "^X-Client-Addr: $G4_WAN\$")" \
	    -ge $((before4 + 2)) || fail "local IPv4 mail not at the sink"
	wait_until 10 test "$(at_sink "$SINK6" "^X-Client-Addr: ipv6:$G6_WAN\$")" \
	    -ge $((before6 + 2)) || fail "local IPv6 mail not at the sink"
	ok "4 messages delivered, one session each"
}

# rules_gone WHICH: check 4, mail from the LAN is not redirected.
rules_gone() {
	local which=$1 sessions n4 n6
	sessions=$(log_count 'event=connect ')
	n4=$(at_sink "$SINK4" "^X-Client-Addr: $C4\$")
	n6=$(at_sink "$SINK6" "^X-Client-Addr: ipv6:$C6\$")
	check "$which removed: mail from the LAN goes straight to the server"
	IN_NS=("${IN_C[@]}")
	mail "$which-gone4" 4
	mail "$which-gone6" 6
	wait_until 10 test "$(at_sink "$SINK4" "^X-Client-Addr: $C4\$")" \
	    -gt "$n4" ||
	    fail "no IPv4 message straight from the client at the sink"
	wait_until 10 test "$(at_sink "$SINK6" "^X-Client-Addr: ipv6:$C6\$")" \
	    -gt "$n6" ||
	    fail "no IPv6 message straight from the client at the sink"
	ok "both delivered by the client itself"
	assert_eq "$sessions" "$(log_count 'event=connect ')" \
	    "sessions at the proxy"
	IN_NS=("${IN_G[@]}")
}

# ---------------------------------------------------------------------
check "iptables-redirect.sh $PROXY_PORT lan0 nobody (both families)"
"${IN_G[@]}" sh "$IPTSCRIPT" "$PROXY_PORT" lan0 nobody ||
    fail "iptables-redirect.sh failed"
"${IN_G[@]}" sh "$IPTSCRIPT" "$PROXY_PORT" lan0 nobody ||
    fail "iptables-redirect.sh failed the second time"
for c in iptables ip6tables; do
	"${IN_G[@]}" "$c" -t nat -S | grep smtpproxy
	assert_eq 2 "$("${IN_G[@]}" "$c" -t nat -S | grep -c -- '--comment smtpproxy')" \
	    "$c rules after two runs"
done
rules_work iptables
"${IN_G[@]}" sh "$IPTSCRIPT" -D "$PROXY_PORT" lan0 nobody ||
    fail "iptables-redirect.sh -D failed"
for c in iptables ip6tables; do
	assert_eq 0 "$("${IN_G[@]}" "$c" -t nat -S | grep -c -- '--comment smtpproxy')" \
	    "$c rules after -D"
done
rules_gone iptables

check "iptables-redirect.sh -6: IPv6 only"
"${IN_G[@]}" sh "$IPTSCRIPT" -6 "$PROXY_PORT" lan0 nobody ||
    fail "iptables-redirect.sh -6 failed"
assert_eq 0 "$("${IN_G[@]}" iptables -t nat -S | grep -c -- '--comment smtpproxy')" \
    "iptables rules after -6"
assert_eq 2 "$("${IN_G[@]}" ip6tables -t nat -S | grep -c -- '--comment smtpproxy')" \
    "ip6tables rules after -6"
"${IN_G[@]}" sh "$IPTSCRIPT" -D -6 "$PROXY_PORT" lan0 nobody ||
    fail "iptables-redirect.sh -D -6 failed"

# ---------------------------------------------------------------------
if [ "$HAVE_NFT" != yes ]; then
	note "SKIP of the nftables part: $HAVE_NFT"
	pass
fi
nft_load() {
	"${IN_G[@]}" nft -D LAN_IF=lan0 -D PROXY_PORT="$PROXY_PORT" \
	    -D PROXY_USER=nobody -f "$NFTFILE"
}
check "nft -D LAN_IF=lan0 -D PROXY_PORT=$PROXY_PORT -D PROXY_USER=nobody -f nftables-redirect.nft"
nft_load || fail "loading nftables-redirect.nft failed"
nft_load || fail "loading nftables-redirect.nft failed the second time"
"${IN_G[@]}" nft list table inet smtpproxy >"$WORK/nft.out" ||
    fail "no table inet smtpproxy"
cat "$WORK/nft.out"
assert_eq 2 "$(grep -c "redirect to :$PROXY_PORT" "$WORK/nft.out")" \
    "redirect rules after two loads"
rules_work nftables
"${IN_G[@]}" nft delete table inet smtpproxy || fail "nft delete table failed"
rules_gone nftables
pass
