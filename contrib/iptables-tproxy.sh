#!/bin/sh
# Example: send SMTP (TCP port 25) that this gateway forwards through
# smtpproxy with the TPROXY target, for IPv4 (iptables) and IPv6
# (ip6tables), as the kernel's Documentation/networking/tproxy.rst sets
# it up.
#
# usage: iptables-tproxy.sh [-D] [-n] [-4 | -6] [-m MARK] [-t TABLE] PROXY_PORT LAN_IF
#
#   PROXY_PORT  the port of smtpproxy's TPROXY listeners (tproxy { listen })
#   LAN_IF      the interface the LAN's mail comes in on (e.g. eth1)
#   -D          delete the rules, the policy routing rule and the route
#   -n          print the commands, change nothing
#   -4          IPv4 only (leave ip6tables alone)
#   -6          IPv6 only (leave iptables alone)
#   -m MARK     the firewall mark that sends a packet to the local table [1]
#   -t TABLE    the routing table of the local route [100]
#
# What it sets up, for each family:
#
#   mangle SMTPPROXY_DIVERT
#       packets of connections that have a local socket (the proxy's
#       sessions, and the server's replies to the connections the proxy
#       makes from a client's address with tproxy { client_source = true })
#       get MARK and are accepted;
#   mangle PREROUTING
#       "-p tcp -m socket" goes to SMTPPROXY_DIVERT, and connections from
#       LAN_IF to port 25 of any host go to PROXY_PORT with TPROXY (which
#       marks them too);
#   ip rule fwmark MARK lookup TABLE, and
#   ip route local 0.0.0.0/0 (::/0) dev lo table TABLE
#       marked packets are delivered on this host.
#
# smtpproxy then runs with, for example,
#     mode = "transparent"
#     tproxy { listen = { "0.0.0.0:10026", "[::]:10026" } }
# and reads each connection's original destination from its socket
# (getsockname(2)): TPROXY rewrites no address. Its listeners get
# IP_TRANSPARENT, which takes CAP_NET_ADMIN (or CAP_NET_RAW) when it
# starts. TPROXY acts on forwarded traffic only (PREROUTING), so the proxy's
# own connections are never diverted and no user needs to be excluded. The
# rest of the LAN's traffic needs forwarding on (sysctl
# net.ipv4.ip_forward=1, net.ipv6.conf.all.forwarding=1).
#
# The rules are added only once (running the script again changes nothing);
# the TPROXY rule carries the comment "smtpproxy". Like any iptables rules
# and policy routes they do not survive a reboot: save them with your
# distribution's tools.

set -eu

usage() {
	echo "usage: ${0##*/} [-D] [-n] [-4 | -6] [-m MARK] [-t TABLE]" \
	    "PROXY_PORT LAN_IF" >&2
	exit 2
}

action=-A
dry_run=no
families="4 6"
mark=1
table=100
while getopts "Dn46m:t:h" opt; do
	case $opt in
	D) action=-D ;;
	n) dry_run=yes ;;
	4) families=4 ;;
	6) families=6 ;;
	m) mark=$OPTARG ;;
	t) table=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage

port=$1
lan_if=$2
for n in "$port" "$mark" "$table"; do
	case $n in
	'' | *[!0-9]*) echo "not a number: $n" >&2 && exit 2 ;;
	esac
done
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ] || [ "$port" -eq 25 ]; then
	echo "PROXY_PORT must be 1-65535 and not 25 (the port being diverted)" >&2
	exit 2
fi
if [ "$mark" -lt 1 ] || [ "$table" -lt 1 ] || [ "$table" -gt 252 ]; then
	echo "MARK must be at least 1 and TABLE 1-252" >&2
	exit 2
fi

run() {
	if [ "$dry_run" = yes ]; then
		echo "$*"
		return 0
	fi
	"$@"
}

# rule CMD CHAIN ARGS...: add (idempotent) or delete one mangle rule.
rule() {
	cmd=$1
	chain=$2
	shift 2
	if [ "$dry_run" = no ]; then
		if $cmd -t mangle -C "$chain" "$@" 2>/dev/null; then
			[ "$action" = -A ] && return 0
		else
			[ "$action" = -D ] && return 0
		fi
	fi
	run "$cmd" -t mangle "$action" "$chain" "$@"
}

for family in $families; do
	if [ "$family" = 4 ]; then
		cmd=iptables
		any=0.0.0.0/0
	else
		cmd=ip6tables
		any=::/0
	fi
	if [ "$dry_run" = no ] && ! command -v "$cmd" >/dev/null 2>&1; then
		echo "$cmd not found, skipping IPv$family" >&2
		continue
	fi

	if [ "$action" = -A ]; then
		if [ "$dry_run" = yes ] ||
		    ! $cmd -t mangle -S SMTPPROXY_DIVERT >/dev/null 2>&1; then
			run "$cmd" -t mangle -N SMTPPROXY_DIVERT
		fi
		rule "$cmd" SMTPPROXY_DIVERT -j MARK --set-mark "$mark"
		rule "$cmd" SMTPPROXY_DIVERT -j ACCEPT
		rule "$cmd" PREROUTING -p tcp -m socket -j SMTPPROXY_DIVERT
		rule "$cmd" PREROUTING -i "$lan_if" -p tcp --dport 25 \
			-m comment --comment smtpproxy \
			-j TPROXY --tproxy-mark "$mark/$mark" --on-port "$port"
		if [ "$dry_run" = yes ] || ! ip -"$family" rule show |
		    grep -q "fwmark $(printf '%#x' "$mark") lookup $table\$"; then
			run ip -"$family" rule add fwmark "$mark" lookup "$table"
		fi
		run ip -"$family" route replace local "$any" dev lo \
			table "$table"
	else
		rule "$cmd" PREROUTING -i "$lan_if" -p tcp --dport 25 \
			-m comment --comment smtpproxy \
			-j TPROXY --tproxy-mark "$mark/$mark" --on-port "$port"
		rule "$cmd" PREROUTING -p tcp -m socket -j SMTPPROXY_DIVERT
		rule "$cmd" SMTPPROXY_DIVERT -j MARK --set-mark "$mark"
		rule "$cmd" SMTPPROXY_DIVERT -j ACCEPT
		if [ "$dry_run" = yes ] ||
		    $cmd -t mangle -S SMTPPROXY_DIVERT >/dev/null 2>&1; then
			run "$cmd" -t mangle -X SMTPPROXY_DIVERT
		fi
		if [ "$dry_run" = yes ] || ip -"$family" rule show |
		    grep -q "fwmark $(printf '%#x' "$mark") lookup $table\$"; then
			run ip -"$family" rule del fwmark "$mark" lookup "$table"
		fi
		if [ "$dry_run" = yes ] || [ -n "$(ip -"$family" route show \
		    table "$table" 2>/dev/null)" ]; then
			run ip -"$family" route del local "$any" dev lo \
				table "$table"
		fi
	fi
done
