#!/bin/bash
# 73-metrics (SPEC §5 metrics): the Prometheus endpoint of a proxy that
# is sent a known load, the relay upstream changed by reloads between
# the phases:
#  1. a first session of known bytes (HELO, so nothing is rewritten):
#     smtpproxy_bytes_total{direction="client"} is what the client sent,
#     {direction="upstream"} what it received; then two accepted
#     messages and one refused by smtp:231 (action block), while a
#     scraper that sent half a request stays stuck: the sessions are
#     served meanwhile and another scrape is answered;
#  2. a reload moves the endpoint to another port (the old one closes);
#     a STARTTLS relayed to an upstream that answers 220 is a
#     passthrough TLS session;
#  3. an upstream nobody listens on: upstream_errors{reason="connect"};
#  4. an upstream that dies within the message: 421 4.4.2,
#     upstream_errors{reason="lost"};
#  5. clamd unreachable with on_error = tempfail: 451, verdict tempfail,
#     one clamd scan in the duration histogram;
# then every value is checked against what was sent, "promtool check
# metrics" passes on the output, and any other path is 404.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null 2>&1 ||
    skip "promtool not found (Debian package prometheus)"
start_recorder
R1_PORT=$REC_PORT
R1_DIR=$REC_DIR
free_port PROXY_PORT
free_port M1
free_port M2
free_port DEAD_PORT
free_port TLS_PORT

# conf UPSTREAM_PORT METRICS_PORT [EXTRA]
conf() {
	printf '%s\n' "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$1\"
spool_dir = \"$WORK/spool\"
banner { enabled = false }
extensions { enabled = false }
alarm \"smtp:231\" { action = \"block\" }
metrics { listen = \"127.0.0.1:$2\" }
${3:-}"
}

# scrape PORT [PATH]: the body into $WORK/scrape.out, the status in
# $WORK/scrape.code.
scrape() {
	"$PYTHON" - "$1" "${2:-/metrics}" >"$WORK/scrape.out" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", sys.argv[2])
r = c.getresponse()
body = r.read()
sys.stdout.buffer.write(body)
sys.stderr.write("%d %s\n" % (r.status, r.getheader("Content-Type")))
PY
}

# metric SAMPLE: the value of one sample line of $WORK/scrape.out.
metric() {
	awk -v s="$1" '$1 == s { print $2; found = 1 } END { if (!found) print "missing" }' \
	    "$WORK/scrape.out"
}

# bytes_session: one session of known bytes; prints "SENT RECEIVED".
bytes_session() {
	"$PYTHON" - "$PROXY_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
sent = recv = 0
def reply():
    global recv
    while True:
        l = f.readline()
        recv += len(l)
        if l[3:4] != b"-":
            return l
def send(b):
    global sent
    s.sendall(b)
    sent += len(b)
reply()
for cmd in (b"HELO client.test\r\n", b"MAIL FROM:<a@example.com>\r\n",
            b"RCPT TO:<b@example.net>\r\n", b"DATA\r\n"):
    send(cmd)
    reply()
send(b"Subject: counted\r\n\r\nexactly these bytes\r\n.\r\n")
reply()
send(b"QUIT\r\n")
reply()
if f.read() != b"":
    sys.exit("bytes after the 221")
print(sent, recv)
PY
}

message() {
	client "$1" --timeout 15 'expect:^220 ' 'send:HELO client.test\r\n' \
	    'expect:^250 ' 'send:MAIL FROM:<a@example.com>\r\n' 'expect:^250 ' \
	    'send:RCPT TO:<b@example.net>\r\n' 'expect:^250 ' \
	    'send:DATA\r\n' 'expect:^354 ' "send:Subject: $2\\r\\n\\r\\nbody\\r\\n.\\r\\n" \
	    "expect:$3" 'send:QUIT\r\n' 'expect:^221 ' 'eof'
}

reload() {
	conf "$1" "$2" "${4:-}" >"$PROXY_CONF"
	# The proxy, not timeout(1) above it (which would arm its -k).
	kill -HUP "$(pgrep -P "$PROXY_PID" | head -n 1)"
	wait_until 10 log_at_least "$3" 'event=reloaded' ||
	    fail "no reload $3"
}

# ---------------------------------------------------------------------
check "1: known bytes, messages, a stuck scraper"
start_proxy "$(conf "$R1_PORT" "$M1")"
wait_until 10 is_listening "$M1" || fail "metrics not listening on $M1"
read -r sent received < <(bytes_session) || fail "the bytes session failed"
note "the client sent $sent bytes and received $received"
scrape "$M1"
assert_eq "$sent" "$(metric 'smtpproxy_bytes_total{direction="client"}')" \
    "bytes from the client"
assert_eq "$received" \
    "$(metric 'smtpproxy_bytes_total{direction="upstream"}')" \
    "bytes from the upstream"
assert_eq 1 "$(metric smtpproxy_sessions_total)" "sessions"

# A scraper that sends half a request and waits.
cat >"$WORK/stuck.py" <<'PY'
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metr")
open(sys.argv[2] + ".up", "w").close()
s.settimeout(30)
while not os.path.exists(sys.argv[2] + ".go"):
    time.sleep(0.05)
# Still connected: nothing came back, nothing closed.
s.setblocking(False)
try:
    d = s.recv(1)
    print("closed" if d == b"" else "data")
except BlockingIOError:
    print("open")
PY
bg stuck "$PYTHON" "$WORK/stuck.py" "$M1" "$WORK/stuck"
stuck=$BG_PID
wait_until 10 test -e "$WORK/stuck.up" || fail "the stuck scraper did not connect"
message m1 "one" '^250 '
message m2 "two" '^250 '
message m3 "caf\xe9" '^554 5\.6\.0 '
scrape "$M1"
assert_eq 4 "$(metric smtpproxy_sessions_total)" "sessions, scraped beside the stuck one"
touch "$WORK/stuck.go"
wait "$stuck" || true
assert_eq open "$(cat "$WORK/stuck.out")" "the stuck scraper, after the sessions"

check "2: the endpoint moves on reload; a STARTTLS passthrough"
cat >"$WORK/tlsup.py" <<'PY'
import socket, sys
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(5)
open(sys.argv[2] + ".ready", "w").close()
while True:
    c, _ = ls.accept()
    f = c.makefile("rb")
    c.sendall(b"220 tls.test ESMTP\r\n")
    for line in f:
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO"):
            c.sendall(b"250-tls.test\r\n250 STARTTLS\r\n")
        elif cmd == b"STARTTLS":
            c.sendall(b"220 2.0.0 go ahead\r\n")
        else:
            break
    c.shutdown(socket.SHUT_RDWR)
    f.close()
    c.close()
PY
bg tlsup "$PYTHON" "$WORK/tlsup.py" "$TLS_PORT" "$WORK/tlsup"
wait_until 10 test -e "$WORK/tlsup.ready" || fail "the STARTTLS upstream did not start"
reload "$TLS_PORT" "$M2" 1
wait_until 10 is_listening "$M2" || fail "metrics not moved to $M2"
wait_until 10 eval '! is_listening "$M1"' || fail "metrics still on $M1"
ok "metrics moved from $M1 to $M2"
client tls --timeout 15 'expect:^220 ' 'send:EHLO client.test\r\n' \
    'expect:^250 ' 'send:STARTTLS\r\n' 'expect:^220 ' 'send:\x16\x03\x01\r\n' 'eof'

check "3: an upstream nobody listens on"
reload "$DEAD_PORT" "$M2" 2
client dead --timeout 15 'expect:^421 4\.4\.1 ' 'eof'

check "4: an upstream that dies within the message"
start_recorder --die-after-data-bytes 10
reload "$REC_PORT" "$M2" 3
client m4 --timeout 15 'expect:^220 ' 'send:HELO client.test\r\n' \
    'expect:^250 ' 'send:MAIL FROM:<a@example.com>\r\n' 'expect:^250 ' \
    'send:RCPT TO:<b@example.net>\r\n' 'expect:^250 ' \
    'send:DATA\r\n' 'expect:^354 ' \
    'send:Subject: lost\r\n\r\nbody body body\r\n.\r\n' \
    'expect:^421 4\.4\.2 ' 'eof'

check "5: an anti-virus engine that fails: on_error = tempfail"
reload "$R1_PORT" "$M2" 4 "antivirus { enabled = true  backend = \"clamd\"
	clamd = { \"127.0.0.1:$DEAD_PORT\" }  on_error = \"tempfail\" }"
message m5 "scanned" '^451 4\.'

check "6: the values, promtool, 404"
wait_log 'reason="upstream unavailable"|upstream unavailable'
scrape "$M2" 2>"$WORK/scrape.hdr"
assert_grep "$WORK/scrape.hdr" '^200 text/plain; version=0\.0\.4' "status and type"
note "--- the metrics (samples not zero)"
grep -v '^#' "$WORK/scrape.out" | awk '$2 != 0' | sed 's/^/    /'
assert_eq 8 "$(metric smtpproxy_sessions_total)" "sessions"
assert_eq 0 "$(metric smtpproxy_sessions_active)" "sessions active"
assert_eq 3 "$(metric 'smtpproxy_messages_total{verdict="accept"}')" "accepted"
assert_eq 1 "$(metric 'smtpproxy_messages_total{verdict="reject"}')" "rejected"
assert_eq 1 "$(metric 'smtpproxy_messages_total{verdict="tempfail"}')" "tempfailed"
assert_eq 1 "$(metric 'smtpproxy_alarms_total{id="smtp:231",name="subject-8bit"}')" \
    "alarm smtp:231"
assert_eq 1 "$(metric 'smtpproxy_alarms_total{id="smtp:249",name="tls-passthrough"}')" \
    "alarm smtp:249"
assert_eq 1 "$(metric 'smtpproxy_tls_sessions_total{mode="passthrough"}')" \
    "TLS passthrough sessions"
assert_eq 0 "$(metric 'smtpproxy_tls_sessions_total{mode="inspect"}')" \
    "TLS inspect sessions"
assert_eq 1 "$(metric 'smtpproxy_upstream_errors_total{reason="connect"}')" \
    "upstream errors: connect"
assert_eq 1 "$(metric 'smtpproxy_upstream_errors_total{reason="lost"}')" \
    "upstream errors: lost"
assert_grep "$WORK/scrape.out" "^smtpproxy_build_info\\{version=\"[^\"]+\"\\} 1\$"
assert_eq 1 "$(metric 'smtpproxy_scan_duration_seconds_count{engine="clamd"}')" \
    "clamd scans timed"
assert_eq 1 "$(metric 'smtpproxy_scan_duration_seconds_bucket{engine="clamd",le="+Inf"}')" \
    "clamd scans, +Inf bucket"
assert_eq 0 "$(metric 'smtpproxy_scan_duration_seconds_count{engine="libclamav"}')" \
    "libclamav scans timed"
assert_grep "$WORK/scrape.out" '^# TYPE smtpproxy_scan_duration_seconds histogram$'
promtool check metrics <"$WORK/scrape.out" >"$WORK/promtool.out" 2>&1 ||
    { cat "$WORK/promtool.out"; fail "promtool check metrics"; }
note "promtool check metrics: $(cat "$WORK/promtool.out") (exit 0)"
ok "promtool check metrics"
scrape "$M2" /other 2>"$WORK/scrape.hdr"
assert_grep "$WORK/scrape.hdr" '^404 ' "another path"
scrape "$M2" /metrics/x 2>"$WORK/scrape.hdr"
assert_grep "$WORK/scrape.hdr" '^404 ' "a longer path"

pass
