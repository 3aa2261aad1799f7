#!/bin/sh
# Example: send SMTP (TCP port 25) through smtpproxy in transparent mode with
# iptables REDIRECT, for IPv4 (iptables) and IPv6 (ip6tables).
#
# usage: iptables-redirect.sh [-D] [-n] [-4 | -6] PROXY_PORT LAN_IF [PROXY_USER]
#
#   PROXY_PORT  the port smtpproxy listens on (its "listen" setting)
#   LAN_IF      the interface the LAN's mail comes in on (e.g. eth1)
#   PROXY_USER  the user smtpproxy runs as after start-up (its "user"
#               setting) [smtpproxy]
#   -D          delete the rules instead of adding them
#   -n          print the commands, change nothing
#   -4          IPv4 only (leave ip6tables alone)
#   -6          IPv6 only (leave iptables alone)
#
# What it sets up, in the nat table of each family:
#
#   PREROUTING  connections from LAN_IF to port 25 of any host (mail that
#               this machine forwards as the LAN's gateway) are redirected
#               to the proxy. smtpproxy reads the original destination with
#               SO_ORIGINAL_DST (IP6T_SO_ORIGINAL_DST for IPv6) and connects
#               there itself.
#   OUTPUT      connections this host makes itself to port 25 of another host
#               are redirected too, EXCEPT those of PROXY_USER: the proxy's
#               own upstream connections go to port 25 as well and must not
#               be sent back to the proxy (that would be a loop, which the
#               proxy refuses with 554 5.4.6). This is why smtpproxy must
#               drop to its own user ("user = ..." in smtpproxy.conf) and why
#               that user must run nothing else.
#
# REDIRECT rewrites the destination to the primary address of the incoming
# interface (PREROUTING) or to the loopback address (OUTPUT), so smtpproxy must
# listen on an address that covers them, e.g.
#     listen = { "0.0.0.0:10025", "[::]:10025" }
#     mode = "transparent"
#     user = "smtpproxy"
#
# The rules are added only once (running the script again changes nothing)
# and carry the comment "smtpproxy", so `iptables -t nat -S | grep smtpproxy`
# shows them. They do not survive a reboot: save them with your distribution's
# tool (Debian: iptables-persistent, `iptables-save > /etc/iptables/rules.v4`,
# `ip6tables-save > /etc/iptables/rules.v6`), or use the nftables example
# contrib/nftables-redirect.nft instead.
#
# A gateway also needs forwarding on for the rest of the LAN's traffic
# (sysctl net.ipv4.ip_forward=1, net.ipv6.conf.all.forwarding=1); the
# redirected SMTP connections themselves end on this host and are not
# forwarded.

set -eu

usage() {
	echo "usage: ${0##*/} [-D] [-n] [-4 | -6] PROXY_PORT LAN_IF [PROXY_USER]" >&2
	exit 2
}

action=-A
dry_run=no
families="4 6"
while getopts "Dn46h" opt; do
	case $opt in
	D) action=-D ;;
	n) dry_run=yes ;;
	4) families=4 ;;
	6) families=6 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || [ $# -eq 3 ] || usage

port=$1
lan_if=$2
user=${3:-smtpproxy}

case $port in
'' | *[!0-9]*) echo "bad port: $port" >&2 && exit 2 ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ] || [ "$port" -eq 25 ]; then
	echo "PROXY_PORT must be 1-65535 and not 25 (the port being redirected)" >&2
	exit 2
fi
if [ "$dry_run" = no ] && ! id -u "$user" >/dev/null 2>&1; then
	echo "no such user: $user (create it, e.g. useradd --system --no-create-home" \
		"--shell /usr/sbin/nologin $user)" >&2
	exit 1
fi

# rule CMD CHAIN ARGS...: add (idempotent) or delete one rule.
rule() {
	cmd=$1
	chain=$2
	shift 2
	if [ "$dry_run" = yes ]; then
		echo "$cmd -t nat $action $chain $*"
		return 0
	fi
	if $cmd -t nat -C "$chain" "$@" 2>/dev/null; then
		# present: adding again would duplicate it
		[ "$action" = -A ] && return 0
	else
		# absent: nothing to delete
		[ "$action" = -D ] && return 0
	fi
	$cmd -t nat "$action" "$chain" "$@"
}

for family in $families; do
	if [ "$family" = 4 ]; then
		cmd=iptables
	else
		cmd=ip6tables
	fi
	if [ "$dry_run" = no ] && ! command -v "$cmd" >/dev/null 2>&1; then
		echo "$cmd not found, skipping IPv$family" >&2
		continue
	fi

	# Mail the LAN sends through this gateway.
	rule "$cmd" PREROUTING -i "$lan_if" -p tcp --dport 25 \
		-m comment --comment smtpproxy \
		-j REDIRECT --to-ports "$port"

	# Mail this host sends itself, except the proxy's own upstream
	# connections (and except connections to this host's own MTA on the
	# loopback interface; drop "! -o lo" to inspect those too).
	rule "$cmd" OUTPUT ! -o lo -p tcp --dport 25 \
		-m owner ! --uid-owner "$user" \
		-m comment --comment smtpproxy \
		-j REDIRECT --to-ports "$port"
done
