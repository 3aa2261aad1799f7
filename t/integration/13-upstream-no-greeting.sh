#!/bin/bash
# 13-upstream-no-greeting: the upstream accepts the connection and closes
# it without a greeting. The client gets a 421 4.4.x greeting (never a
# silent close) and the connection is closed.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder --no-greeting-close
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

check "the upstream closes before its greeting"
client no-greeting --timeout 15 'expect:^421 4\.4\.[12]( |$)' 'eof'
wait_log 'event=close '
pass
