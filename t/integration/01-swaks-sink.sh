#!/bin/bash
# 01-swaks-sink: swaks sends a message through the proxy (mode relay) to
# Postfix's smtp-sink. The message arrives once and its content is
# byte-identical to what swaks sent, lines starting with "." included
# (swaks dot-stuffs, the proxy re-stuffs, smtp-sink un-stuffs).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd swaks swaks
start_sink
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$SINK_PORT\"
hostname = \"proxy.test\""

check "the proxy announces its listener"
assert_grep "$PROXY_LOG" "listening on 127\.0\.0\.1:$PROXY_PORT\b"

long=$(printf 'x%.0s' $(seq 1 900))
cat >"$WORK/body.txt" <<BODY
From: <sender@example.com>
To: <rcpt@example.net>
Subject: dot-stuffing through smtpproxy
Message-ID: <01-swaks-sink@example.com>

first line
.a line starting with a dot
..two dots
.
...
 . space then dot
.. .
trailing dot.
$long
last line
BODY

check "swaks delivers through the proxy"
swaks_run swaks --from sender@example.com --to rcpt@example.net \
    --data @"$WORK/body.txt"
assert_grep "$WORK/swaks.out" '^<-  250 .*' "swaks transcript"
assert_grep "$WORK/swaks.out" '^ -> \.\.a line starting with a dot.?$' \
    "swaks dot-stuffed"

check "smtp-sink got exactly one message"
wait_until 10 sink_has 1 || fail "no message at smtp-sink"
sleep 0.3
assert_eq 1 "$(sink_count)" "messages at smtp-sink"
dump=$(find "$SINK_DIR" -type f | head -1)
assert_grep "$dump" '^X-Mail-Args: <sender@example\.com>' "dump"
assert_grep "$dump" '^X-Rcpt-Args: <rcpt@example\.net>' "dump"
assert_grep "$dump" '^X-Helo-Args: client\.test$' "dump (EHLO passed)"

check "the delivered content is what swaks sent"
# What swaks sent: its transcript between DATA's 354 and the lone ".",
# dot-stuffing removed.
"$PYTHON" - "$WORK/swaks.out" >"$WORK/sent.txt" <<'PY'
import sys
lines = [l.rstrip("\r") for l in
         open(sys.argv[1], encoding="latin-1").read().split("\n")]
i = lines.index(" -> DATA")
while not lines[i].startswith("<-  354"):
    i += 1
out = []
for l in lines[i + 1:]:
    if not l.startswith(" -> "):
        continue
    l = l[4:]
    if l == ".":
        break
    out.append(l[1:] if l.startswith(".") else l)
else:
    sys.exit("no end of data in the swaks transcript")
sys.stdout.write("".join(l + "\n" for l in out))
PY
sink_body "$dump" >"$WORK/delivered.txt" || fail "cannot parse $dump"
assert_files_equal "$WORK/sent.txt" "$WORK/delivered.txt" "delivered content"
# And against the file itself (swaks may only add an empty last line).
head -c "$(wc -c <"$WORK/body.txt")" "$WORK/delivered.txt" \
    >"$WORK/delivered.head"
assert_files_equal "$WORK/body.txt" "$WORK/delivered.head" "body file"

check "the proxy logged the session"
wait_log 'event=connect .*client=127\.0\.0\.1:[0-9]+'
wait_log 'event=message .*from=<sender@example\.com> .*rcpts=1 .*verdict=accept'
wait_log 'event=close .*helo=client\.test .*messages=1'
assert_eq 1 "$(log_count 'event=message ')" "event=message lines"
pass
