#!/bin/bash
# 64-ipv6-access (SPEC §4.1, §5): access rules and objects with IPv6
# addresses and prefixes, and max_sessions_per_client per IPv6 address,
# over real IPv6 connections in a network namespace the test creates.
# Its loopback carries ::1, 127.0.0.1 and the clients' addresses
# 2001:db8::10, 2001:db8::11 (one /64), 2001:db8::25 and fd00::10; the
# proxy listens on 0.0.0.0:PORT and [::]:PORT and relays to smtp-sink
# on [::1].
#  1. objects and prefixes with "!": { "docnet", "!mx" } with docnet
#     2001:db8::/32 and mx 2001:db8::25 refuses 2001:db8::10 (554 5.7.1,
#     the rule's reply, the log names the rule and the bracketed client)
#     and serves 2001:db8::25, fd00::10, ::1 and 127.0.0.1;
#  2. the families apart: a rule for 0.0.0.0/0 refuses the IPv4 clients
#     (also one that connects to ::ffff:127.0.0.1) and no IPv6 client;
#     a rule for ::/0 refuses the IPv6 clients and no IPv4 client;
#  3. destination lists in relay mode see the IPv6 upstream:
#     2001:db8::/32 does not match [::1], ::1/128 does;
#  4. max_sessions_per_client = 2 counts per /128: a third session from
#     2001:db8::10 gets 421 4.7.0 (logged with the bracketed client)
#     while 2001:db8::11, in the same /64, and ::1 are served.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

netns_single t64
for a in 2001:db8::10 2001:db8::11 2001:db8::25 fd00::10; do
	"${IN_NS[@]}" ip -6 addr add "$a/128" dev lo nodad ||
	    skip "no IPv6 in the namespace (cannot add $a to lo)"
done

free_port SINK_PORT
start_sink -a "[::1]:$SINK_PORT"
free_port PROXY_PORT
base="listen = { \"0.0.0.0:$PROXY_PORT\", \"[::]:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"[::1]:$SINK_PORT\""

# host_for SOURCE: the proxy's address a client on SOURCE connects to.
host_for() {
	case $1 in
	*:*) echo ::1 ;;
	*) echo 127.0.0.1 ;;
	esac
}

# denied NAME SOURCE REPLY [HOST]: a session from SOURCE is refused with
# "554 5.7.1 REPLY" and the refusal dialog; nothing reaches the sink.
denied() {
	local name=$1 src=$2 reply=$3 host=${4:-$(host_for "$2")} n
	n=$(sink_count)
	client "$name" --timeout 15 --host "$host" --source "$src" \
	    "expect:^554 5\\.7\\.1 $reply\$" \
	    'send:EHLO client.test\r\n' 'expect:^503 5\.5\.1( |$)' \
	    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^503 5\.5\.1( |$)' \
	    'send:QUIT\r\n' 'expect:^221( |$)' 'eof'
	sleep 0.2
	assert_eq "$n" "$(sink_count)" "messages at the sink"
}

# served NAME SOURCE [HOST]: a session from SOURCE delivers a message.
served() {
	local name=$1 src=$2 host=${3:-$(host_for "$2")} n
	n=$(sink_count)
	client "$name" --timeout 15 --host "$host" --source "$src" \
	    'expect:^220 ' 'send:EHLO client.test\r\n' 'expect:^250 ' \
	    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "send:Subject: from $src\\r\\n\\r\\nbody\\r\\n.\\r\\n" \
	    'expect:^250 ' 'send:QUIT\r\n' 'expect:^221 ' 'eof'
	wait_until 10 sink_has $((n + 1)) || fail "$name: not delivered"
}

# ---------------------------------------------------------------------
check "1: IPv6 objects and prefixes with ! excludes"
start_proxy "$base
access {
	rule \"docnet-but-mx\" {
		action = \"deny\"
		source = { \"docnet\", \"!mx\" }
		reply = \"Not from the documentation network\"
	}
	object \"docnet\" { address = { \"2001:db8::/32\" } }
	object \"mx\" { address = { \"2001:db8::25\" } }
}"
denied doc10 2001:db8::10 'Not from the documentation network'
wait_log 'event=denied rule=docnet-but-mx client=\[2001:db8::10\]:[0-9]+ orig_dst=\[::1\]:'
served doc25 2001:db8::25
served ula fd00::10
served loop6 ::1
served loop4 127.0.0.1
assert_eq 1 "$(log_count 'event=denied ')" "refused sessions"

# ---------------------------------------------------------------------
check "2: a rule for 0.0.0.0/0 matches no IPv6 client"
start_proxy "$base
access {
	rule \"v4\" {
		action = \"deny\"
		source = { \"0.0.0.0/0\" }
		reply = \"No IPv4\"
	}
}"
denied v4-loop 127.0.0.1 'No IPv4'
# The client's own socket is IPv6; the connection is IPv4.
denied v4-mapped ::ffff:127.0.0.1 'No IPv4' ::ffff:127.0.0.1
served v4rule-doc 2001:db8::10
served v4rule-ula fd00::10
served v4rule-loop6 ::1
assert_eq 2 "$(log_count 'event=denied rule=v4 client=127\.0\.0\.1:')" \
    "IPv4 sessions refused by rule v4"

check "2: a rule for ::/0 matches no IPv4 client"
start_proxy "$base
access {
	rule \"v6\" {
		action = \"deny\"
		source = { \"::/0\", \"!fd00::/8\" }
		reply = \"No IPv6 but ULA\"
	}
}"
denied v6-doc 2001:db8::10 'No IPv6 but ULA'
denied v6-loop ::1 'No IPv6 but ULA'
served v6rule-ula fd00::10
served v6rule-loop4 127.0.0.1
served v6rule-mapped ::ffff:127.0.0.1 ::ffff:127.0.0.1
wait_log 'event=denied rule=v6 client=\[::1\]:[0-9]+ '
assert_eq 2 "$(log_count 'event=denied ')" "refused sessions"

# ---------------------------------------------------------------------
check "3: destination lists see the IPv6 upstream"
start_proxy "$base
access {
	rule \"to-docnet\" {
		action = \"deny\"
		destination = { \"2001:db8::/32\" }
		reply = \"Not to the documentation network\"
	}
}"
served dst-doc 2001:db8::10
start_proxy "$base
access {
	rule \"to-loopback6\" {
		action = \"deny\"
		destination = { \"::1/128\" }
		reply = \"Not to ::1\"
	}
}"
denied dst-loop6 2001:db8::10 'Not to ::1'
denied dst-loop4 127.0.0.1 'Not to ::1'

# ---------------------------------------------------------------------
check "4: max_sessions_per_client = 2 per IPv6 address"
start_proxy "$base
max_sessions_per_client = 2"
hold=(--timeout 15 --host ::1 --source 2001:db8::10 'expect:^220 '
    'touch:'"$WORK/held-\$N" 'waitfile:'"$WORK/release"
    'send:QUIT\r\n' 'expect:^221 ' 'eof')
client_bg held-1 "${hold[@]//\$N/1}"
h1=$BG_PID
client_bg held-2 "${hold[@]//\$N/2}"
h2=$BG_PID
wait_until 10 test -e "$WORK/held-1" -a -e "$WORK/held-2" ||
    fail "the two held sessions did not start"
client third --timeout 15 --host ::1 --source 2001:db8::10 \
    'expect:^421 4\.7\.0 .*Too many connections' 'eof'
wait_log 'event=refused reason="max_sessions_per_client" client=\[2001:db8::10\]:[0-9]+$'
served same-64 2001:db8::11
served other ::1
touch "$WORK/release"
client_wait held-1 "$h1"
client_wait held-2 "$h2"
served after-release 2001:db8::10
assert_eq 1 "$(log_count 'event=refused ')" "refused connections"
pass
