#!/bin/bash
# 23-access (SPEC §4.1): access rules, decided before any byte is
# relayed. Clients are told apart by their source address on the
# loopback network (127.0.0.1, .2, .3, .4).
#  1. a deny rule: the client gets "554 5.7.1 <reply>" instead of the
#     greeting, "503 5.5.1" to every command, "221" to QUIT, then the
#     close; the upstream never sees a connection; the log names the
#     rule; a client the rule does not match is served;
#  2. default = "deny" with an accept rule for 127.0.0.1: 127.0.0.1 is
#     served, 127.0.0.2 refused ("Access denied", rule=default);
#  3. objects, CIDRs, "!" excludes, a list of only "!" entries, and the
#     first matching rule deciding;
#  4. destination lists: in relay mode the destination is the upstream's
#     address (smtpproxy.conf(5)), not the proxy's listening address;
#  5. access { enabled = false }: the deny-all rule is ignored.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd swaks swaks
start_recorder
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

# denied NAME SOURCE REPLY [smtpclient options]: a session from SOURCE is
# refused with "554 5.7.1 REPLY" and the refusal dialog.
denied() {
	local name=$1 src=$2 reply=$3
	shift 3
	client "$name" --timeout 15 --source "$src" "$@" \
	    "expect:^554 5\\.7\\.1 $reply\$" \
	    'send:EHLO client.test\r\n' 'expect:^503 5\.5\.1( |$)' \
	    'send:HELO client.test\r\n' 'expect:^503 5\.5\.1( |$)' \
	    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^503 5\.5\.1( |$)' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^503 5\.5\.1( |$)' \
	    'send:DATA\r\n' 'expect:^503 5\.5\.1( |$)' \
	    'send:NOOP\r\n' 'expect:^503 5\.5\.1( |$)' \
	    'send:QUIT\r\n' 'expect:^221( |$)' 'eof'
}

# served NAME SOURCE [smtpclient options]: a session from SOURCE delivers
# a message through the upstream.
served() {
	local name=$1 src=$2
	shift 2
	client "$name" --timeout 15 --source "$src" "$@" \
	    'expect:^220 recorder ESMTP$' \
	    'send:EHLO client.test\r\n' 'expect:^250 ' \
	    'send:MAIL FROM:<sender@example.com>\r\n' 'expect:^250 ' \
	    'send:RCPT TO:<rcpt@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' \
	    "send:Subject: from $src\\r\\n\\r\\nbody\\r\\n.\\r\\n" \
	    'expect:^250 2\.0\.0 Ok: queued as [0-9]+$' \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
}

# no_new_upstream BEFORE: the recorder got no connection since it had
# BEFORE of them.
no_new_upstream() {
	# A refused session is over once the client has seen the close;
	# give a stray connect a moment to show up anyway.
	sleep 0.3
	assert_eq "$1" "$(rec_conns)" "connections at the upstream"
}

# ---------------------------------------------------------------------
check "1: a deny rule for 127.0.0.2"
start_proxy "$base
access {
	default = \"accept\"
	object \"host-two\" { address = { \"127.0.0.2\" } }
	rule \"no-two\" {
		action = \"deny\"
		source = { \"host-two\" }
		reply = \"Mail from this host is not accepted here\"
	}
}"
denied deny-two 127.0.0.2 'Mail from this host is not accepted here'
no_new_upstream 0
[ ! -s "$REC_DIR/connlog" ] || fail "the recorder logged a connection"
ok "the recorder's connection log is empty"
wait_log 'event=denied rule=no-two client=127\.0\.0\.2:[0-9]+'
wait_log 'event=close .*client=127\.0\.0\.2:'

check "1: swaks from 127.0.0.2 is refused too"
# swaks fails on a 554 greeting: run it directly, not with swaks_run.
timeout -k 5 60 swaks --server "127.0.0.1:$PROXY_PORT" \
    --local-interface 127.0.0.2 --helo client.test --timeout 20 \
    --from sender@example.com --to rcpt@example.net \
    >"$WORK/swaks-two.out" 2>&1 </dev/null
st=$?
sed 's/^/    /' "$WORK/swaks-two.out"
[ "$st" -ne 0 ] || fail "swaks from 127.0.0.2 succeeded"
assert_grep "$WORK/swaks-two.out" '^<\*\* +554 5\.7\.1 Mail from this host is not accepted here' \
    "swaks transcript"
no_new_upstream 0

check "1: 127.0.0.1 is served"
served accept-one 127.0.0.1
swaks_run swaks-one --local-interface 127.0.0.1 \
    --from sender@example.com --to rcpt@example.net
wait_until 10 rec_has 2 || fail "messages from 127.0.0.1 not delivered"
assert_eq 2 "$(rec_conns)" "connections at the upstream"
assert_no_grep "$PROXY_LOG" 'event=denied .*client=127\.0\.0\.1:' "proxy log"

# ---------------------------------------------------------------------
check "2: default = deny, accept rule for 127.0.0.1"
start_proxy "$base
access {
	default = \"deny\"
	rule \"local-only\" {
		action = \"accept\"
		source = { \"127.0.0.1\" }
	}
}"
conns=$(rec_conns)
denied default-two 127.0.0.2 'Access denied'
no_new_upstream "$conns"
wait_log 'event=denied rule=default client=127\.0\.0\.2:'
served default-one 127.0.0.1
assert_eq $((conns + 1)) "$(rec_conns)" "connections at the upstream"

# ---------------------------------------------------------------------
check "3: objects, CIDR, ! excludes, first match"
start_proxy "$base
access {
	default = \"deny\"
	# Every rule below uses an object defined after it.
	rule \"only-excludes\" {
		action = \"deny\"
		source = { \"!127.0.0.1\", \"!127.0.0.2\", \"!127.0.0.3\" }
		reply = \"Neither one two nor three\"
	}
	rule \"loopback-but-two\" {
		action = \"accept\"
		source = { \"loopback\", \"!two\" }
		destination = { \"any\" }
	}
	rule \"cidr-deny\" {
		action = \"deny\"
		source = { \"127.0.0.0/30\" }
		reply = \"Denied by the CIDR rule\"
	}
	rule \"late-accept\" {
		action = \"accept\"
		source = { \"any\" }
	}
	object \"loopback\" { address = { \"127.0.0.0/8\" } }
	object \"two\" { address = { \"127.0.0.2\" } }
}"
conns=$(rec_conns)
# .4 is in no "!" entry of the first rule's list of only "!" entries.
denied rules-four 127.0.0.4 'Neither one two nor three'
# .2 is excluded from the second rule; the third (a /30 that also holds
# .1) refuses it before the fourth would accept it.
denied rules-two 127.0.0.2 'Denied by the CIDR rule'
no_new_upstream "$conns"
# .1 and .3: accepted by the second rule (.1 despite the /30 after it).
served rules-one 127.0.0.1
served rules-three 127.0.0.3
assert_eq $((conns + 2)) "$(rec_conns)" "connections at the upstream"
wait_log 'event=denied rule=only-excludes client=127\.0\.0\.4:'
wait_log 'event=denied rule=cidr-deny client=127\.0\.0\.2:'
assert_no_grep "$PROXY_LOG" 'event=denied .*client=127\.0\.0\.[13]:' "proxy log"

# ---------------------------------------------------------------------
check "5: access { enabled = false } ignores a deny-all rule"
start_proxy "$base
access {
	enabled = false
	default = \"deny\"
	rule \"deny-all\" { action = \"deny\" source = { \"any\" } }
}"
conns=$(rec_conns)
served disabled-two 127.0.0.2
assert_eq $((conns + 1)) "$(rec_conns)" "connections at the upstream"
assert_no_grep "$PROXY_LOG" 'event=denied' "proxy log"

# ---------------------------------------------------------------------
# The proxy listens on 127.0.0.3, the upstream is on 127.0.0.1.
check "4: destination lists match the upstream's address in relay mode"
dst_base="listen = { \"127.0.0.3:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""
start_proxy "$dst_base
access {
	rule \"listener-address\" {
		action = \"deny\"
		destination = { \"127.0.0.3\" }
		reply = \"Matched the listening address\"
	}
}"
conns=$(rec_conns)
served dst-listener 127.0.0.1 --host 127.0.0.3
assert_eq $((conns + 1)) "$(rec_conns)" "connections at the upstream"

start_proxy "$dst_base
access {
	object \"upstream-server\" { address = { \"127.0.0.1\" } }
	rule \"to-upstream\" {
		action = \"deny\"
		source = { \"127.0.0.2\" }
		destination = { \"upstream-server\" }
		reply = \"No mail from two to the upstream server\"
	}
}"
conns=$(rec_conns)
served dst-one 127.0.0.1 --host 127.0.0.3
denied dst-two 127.0.0.2 'No mail from two to the upstream server' \
    --host 127.0.0.3
assert_eq $((conns + 1)) "$(rec_conns)" "connections at the upstream"
wait_log 'event=denied rule=to-upstream client=127\.0\.0\.2:'
pass
