#!/bin/bash
# 06-upstream-down: the relay upstream is a closed port. The client gets
# "421 4.4.1" as its greeting and the connection is closed; the proxy
# stays up and does the same for the next client.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

free_port DEAD_PORT	# nothing listens there
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$DEAD_PORT\"
timeouts { connect = 5s }"

for i in 1 2; do
	check "client $i: greeting 421 4.4.1, then close"
	client "down-$i" --timeout 15 'expect:^421 4\.4\.1( |$)' 'eof'
done
wait_log 'event=close .*client=127\.0\.0\.1:[0-9]+'
assert_eq 2 "$(log_count 'event=close ')" "session close lines"
pass
