#!/bin/bash
# 12-upstream-bad-reply: the upstream answers EHLO with "hello", which is
# not an SMTP reply (alarm smtp:246, default action close). The client
# gets "421 4.4.0 ... (smtp:246)" and the connection is closed.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder --bad-reply
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\""

check "EHLO answered \"hello\" upstream"
client bad-reply --timeout 15 \
    'expect:^220 ' \
    'send:EHLO client.test\r\n' 'expect:^421 4\.4\.0 .*\(smtp:246\)' 'eof'
assert_no_grep "$WORK/bad-reply.out" 'S: hello' "client transcript"
wait_log 'alarm=smtp:246 name=invalid-reply action=close'
wait_log 'event=close '
pass
