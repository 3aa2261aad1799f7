#!/bin/bash
# 53-filetypes-containers (SPEC §4.5, smtpproxy.conf(5) FILE TYPES):
# block_types = { "executable", "html", "script" } through the live
# proxy, messages from mkcontainers.py, one session each:
#  1. a zip of 300 text files and then an .exe: refused, the member
#     named (every member is typed, no cap at 256); the 300 fillers
#     alone pass;
#  2. 25 nested zips (libclamav stops at 17): refused with smtp:252
#     ("could not be inspected completely"), never accepted;
#  3. an executable inside the containers libclamav's mail parser opens:
#     a .eml sent as application/octet-stream, a base64 message/rfc822,
#     TNEF (winmail.dat), an HTML data: URI, uuencode in a text body
#     (behind a harmless block), an mbox file; and a PE sent as a base64
#     text/plain attachment: each refused and not delivered;
#  4. an HTML body and a "#!" body are message text, not files: both
#     delivered byte for byte;
#  5. alarm "smtp:252" { action = "log" }: the deep zip is delivered and
#     smtp:252 logged (the administrator's choice).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/mkcontainers.py" "$FX" ||
    fail "mkcontainers.py failed"
mkdir -m 700 "$WORK/spool"

start_recorder
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\"
filetypes {
	enabled = true
	block_types = { \"executable\", \"html\", \"script\" }
}"

N=0
one() { one_message "$@"; }

refused() {
	one "$1" "^554 5\\.7\\.1 Attachment \"$2\" \\(executable\\) not allowed\$"
}

accepted() {
	one "$1" '^250 2\.0\.0 Ok: queued as [0-9]+$'
}

check "1: every archive member is typed"
start_proxy "$base"
refused zip-300-exe 'many\.zip/z\.exe'
accepted zip-300
wait_log 'event=attachment-refused attachment="many\.zip/z\.exe" type=executable'
assert_no_grep "$PROXY_LOG" 'smtp:252' "proxy log (a complete typing)"

check "2: an incomplete typing is refused"
one zip-deep '^554 5\.7\.1 Attachment "deep\.zip" could not be inspected completely \(smtp:252\)$'
wait_log 'alarm=smtp:252 name=unscanned action=block attachment="deep\.zip" reason="file typing incomplete: Heuristics\.Limits\.Exceeded'

check "3: containers"
refused eml-octet 'fwd\.eml/inner\.exe'
refused rfc822-b64 '[^"]*inner\.exe'
refused tnef 'winmail\.dat'
refused html-data '\(unnamed\)/attachment'
refused uu-body '\(unnamed\)/evil\.exe'
refused mbox 'box\.mbox/inner\.exe'
refused text-b64-pe '\(unnamed\)'

check "4: bodies are not files"
accepted html-body
accepted sh-body
check_proxy_alive

check "5: smtp:252 configured to log"
start_proxy "$base
alarm \"smtp:252\" { action = \"log\" }"
accepted zip-deep
wait_log 'alarm=smtp:252 name=unscanned action=log attachment="deep\.zip"'
refused zip-300-exe 'many\.zip/z\.exe'
check_proxy_alive
pass
