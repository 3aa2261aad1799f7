#!/bin/bash
# 14-upstream-timeout: the upstream is slower than timeouts.greeting. The
# client gets "421 4.4.2" once the timeout expires, then the connection is
# closed.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder --delay-reply 6
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
timeouts { greeting = 1s }"

check "the upstream greeting takes 6s, timeouts.greeting is 1s"
client slow-upstream --timeout 15 'mark' \
    'expect:^421 4\.4\.2( |$)' 'elapsed:0.5:5' 'eof'
wait_log 'event=close '
pass
