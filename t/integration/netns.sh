# shellcheck shell=bash disable=SC2034
# Network namespaces that a test creates, sourced after lib.sh:
#
#	. "$(dirname "$0")/netns.sh"
#	netns_single t60	# one namespace, the test's (IN_NS)
#	netns_gateway t61	# a LAN, a gateway and a server
#
# netns_single: one namespace with its loopback up, in NETNS and IN_NS,
# so that lib.sh's helpers run everything there.
#
# netns_gateway: a gateway between two networks, in three namespaces,
# for the tests of what a firewall in front of a LAN does (REDIRECT on
# PREROUTING, TPROXY):
#
#   client C  eth0 192.0.2.2/24      2001:db8:1::2/64  (the LAN)
#                  |
#   gateway G lan0 192.0.2.1/24      2001:db8:1::1/64  forwarding on
#             wan0 198.51.100.1/24   2001:db8:2::1/64
#                  |
#   server S  eth0 198.51.100.2/24   2001:db8:2::2/64  (a remote MX)
#
# C and S route everything through G. Only these documentation networks
# (RFC 5737, RFC 3849) on veth pairs between the test's own namespaces
# carry traffic; lib.sh deletes the namespaces on exit. IN_C, IN_G and
# IN_S are command prefixes that run in each; set IN_NS to one of them
# for lib.sh's helpers (start_proxy, start_sink, client, swaks_run).

C4=192.0.2.2
G4_LAN=192.0.2.1
G4_WAN=198.51.100.1
S4=198.51.100.2
C6=2001:db8:1::2
G6_LAN=2001:db8:1::1
G6_WAN=2001:db8:2::1
S6=2001:db8:2::2

# netns_single TAG: one namespace with lo up (skips the test if that is
# not possible here).
netns_single() {
	netns_new "smtpproxy-$1-$$"
	IN_NS=(ip netns exec "smtpproxy-$1-$$")
}

# netns_new NAME: create namespace NAME, deleted on exit, with lo up.
netns_new() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
	require_cmd ip iproute2
	ip netns add "$1" 2>"$WORK/netns.err" ||
	    skip "ip netns unusable: $(cat "$WORK/netns.err")"
	NETNS="$NETNS $1"
	ip netns exec "$1" ip link set lo up || skip "cannot bring lo up in $1"
}

# netns_sinks: smtp-sink on S for each family, 198.51.100.2:25 and
# [2001:db8:2::2]:25, dumping into SINK4 and SINK6.
netns_sinks() {
	local keep=("${IN_NS[@]}")
	IN_NS=("${IN_S[@]}")
	start_sink -a "$S4:25"
	SINK4=$SINK_DIR
	start_sink -a "[$S6]:25"
	SINK6=$SINK_DIR
	IN_NS=("${keep[@]}")
}

# at_sink DIR PATTERN: messages in a sink's DIR with a header line
# matching PATTERN.
at_sink() {
	grep -l -E -- "$2" "$1"/* 2>/dev/null | wc -l
}

# netns_gateway TAG: create and wire the three namespaces (skips the
# test if that is not possible here).
netns_gateway() {
	local tag=$1 n
	NS_C="smtpproxy-$tag-c-$$"
	NS_G="smtpproxy-$tag-g-$$"
	NS_S="smtpproxy-$tag-s-$$"
	for n in "$NS_C" "$NS_G" "$NS_S"; do
		netns_new "$n"
	done
	IN_C=(ip netns exec "$NS_C")
	IN_G=(ip netns exec "$NS_G")
	IN_S=(ip netns exec "$NS_S")
	ip link add lan0 netns "$NS_G" type veth peer name eth0 \
	    netns "$NS_C" 2>"$WORK/veth.err" ||
	    skip "no veth pairs: $(cat "$WORK/veth.err")"
	ip link add wan0 netns "$NS_G" type veth peer name eth0 \
	    netns "$NS_S" 2>"$WORK/veth.err" ||
	    skip "no veth pairs: $(cat "$WORK/veth.err")"
	netns_if "${IN_C[@]}" eth0 "$C4/24" "$C6/64"
	netns_if "${IN_G[@]}" lan0 "$G4_LAN/24" "$G6_LAN/64"
	netns_if "${IN_G[@]}" wan0 "$G4_WAN/24" "$G6_WAN/64"
	netns_if "${IN_S[@]}" eth0 "$S4/24" "$S6/64"
	"${IN_C[@]}" ip route add default via "$G4_LAN" &&
	    "${IN_C[@]}" ip -6 route add default via "$G6_LAN" &&
	    "${IN_S[@]}" ip route add default via "$G4_WAN" &&
	    "${IN_S[@]}" ip -6 route add default via "$G6_WAN" ||
	    fail "cannot set the default routes"
	"${IN_G[@]}" sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1 >/dev/null ||
	    fail "cannot turn forwarding on in the gateway"
	# Neighbour discovery on a fresh veth takes a moment.
	wait_until 10 netns_reaches "$S4" ||
	    fail "no IPv4 route from the client to the server"
	wait_until 10 netns_reaches "$S6" ||
	    fail "no IPv6 route from the client to the server"
	note "namespaces: client $NS_C, gateway $NS_G, server $NS_S"
}

# netns_reaches ADDR: from C, a TCP connection to ADDR port 9 (nothing
# listens there) is refused by S: a round trip through the gateway.
netns_reaches() {
	"${IN_C[@]}" "$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.settimeout(1)
try:
    s.connect((sys.argv[1], 9))
except ConnectionRefusedError:
    sys.exit(0)
except OSError:
    sys.exit(1)
sys.exit(1)' "$1"
}

# netns_if PREFIX... IF ADDR4 ADDR6: bring IF up with both addresses
# (no duplicate address detection: the address is usable at once).
netns_if() {
	local n=$# a6=${*: -1} a4=${*: -2:1} ifn=${*: -3:1}
	local pre=("${@:1:n-3}")
	"${pre[@]}" sysctl -qw "net.ipv6.conf.$ifn.accept_dad=0" >/dev/null
	"${pre[@]}" ip addr add "$a4" dev "$ifn" &&
	    "${pre[@]}" ip -6 addr add "$a6" dev "$ifn" nodad &&
	    "${pre[@]}" ip link set "$ifn" up ||
	    fail "cannot configure $ifn"
}

# netns_iptables PREFIX... FAMILY: the iptables (FAMILY 4) or ip6tables
# (6) command whose back end works in that namespace, in IPT; skips the
# test if there is none.
netns_iptables() {
	local n=$# fam=${*: -1} c base=iptables
	local pre=("${@:1:n-1}")
	[ "$fam" = 4 ] || base=ip6tables
	IPT=""
	for c in "$base" "$base-nft" "$base-legacy"; do
		command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
		    continue
		if "${pre[@]}" "$c" -t nat -S OUTPUT >/dev/null 2>&1; then
			IPT=$c
			return 0
		fi
	done
	skip "no working $base nat table (Debian package iptables)"
}
