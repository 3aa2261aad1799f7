#!/bin/bash
# 74-fleet (README "Running several proxies"): HAProxy in front of two
# smtpproxy processes and one smtp-sink, HAProxy's configuration made
# from contrib/haproxy-smtpproxy.cfg with only its addresses changed.
#  1. HAProxy's smtpchk checks (check-send-proxy) reach both proxies;
#  2. 200 messages from 127.0.0.2 through HAProxy, 10 sessions of 20 at
#     once: both proxies served sessions, every message arrived exactly
#     once at the sink, and the proxies' logs name 127.0.0.2 as the
#     client of every message session (never HAProxy's 127.0.0.1);
#     the two metrics endpoints add up to the 200;
#  3. the deny rule on 127.0.0.3 works through the balancer.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd haproxy haproxy
start_sink
free_port PA
free_port PB
free_port MA
free_port MB
free_port FE
PROXY_PORT=$PA

# proxy_conf PORT METRICS NAME
proxy_conf() {
	printf '%s\n' "listen = { \"127.0.0.1:$1\" }
mode = \"relay\"
upstream = \"$SINK_ADDR\"
hostname = \"$3.fleet.test\"
proxy_protocol = true
trusted_proxies = { \"127.0.0.1\" }
metrics { listen = \"127.0.0.1:$2\" }
access {
	rule \"no-three\" {
		action = \"deny\"
		source = { \"127.0.0.3\" }
		reply = \"Not from 127.0.0.3\"
	}
}"
}
start_named_proxy a "$PA" "$(proxy_conf "$PA" "$MA" a)"
PID_A=$NAMED_PID
start_named_proxy b "$PB" "$(proxy_conf "$PB" "$MB" b)"
PID_B=$NAMED_PID
LOG_A="$WORK/proxy-a.log"
LOG_B="$WORK/proxy-b.log"

sed -e "s/^\\( *bind \\):25\$/\\1127.0.0.1:$FE/" \
    -e "s/192\\.0\\.2\\.11:10025/127.0.0.1:$PA/" \
    -e "s/192\\.0\\.2\\.12:10025/127.0.0.1:$PB/" \
    -e "s/inter 5s/inter 1s/" -e "s/maxconn 20000/maxconn 1000/" \
    "$TOP_SRCDIR/contrib/haproxy-smtpproxy.cfg" >"$WORK/haproxy.cfg"
note "haproxy.cfg, from contrib/haproxy-smtpproxy.cfg:"
grep -Ev '^ *(#|$)' "$WORK/haproxy.cfg" | sed 's/^/    /'
haproxy -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.out" 2>&1 ||
    { cat "$WORK/haproxy-check.out"; fail "haproxy rejects its configuration"; }
bg haproxy haproxy -db -f "$WORK/haproxy.cfg"
wait_until 10 is_listening "$FE" || fail "haproxy not listening"

checked() {
	grep -q 'helo=haproxy\.example\.net' "$LOG_A" &&
	    grep -q 'helo=haproxy\.example\.net' "$LOG_B"
}

check "1: health checks reach both proxies"
# rise 2: two checks a second apart before a server takes traffic.
wait_until 15 checked || fail "no smtpchk session on both proxies"
sleep 2.5
ok "smtpchk sessions on both"

check "2: 200 messages through HAProxy"
cat >"$WORK/send.py" <<'PY'
import socket, sys, threading, time
port, sessions, per = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
errors = []

def reply(f):
    while True:
        l = f.readline()
        if not l:
            raise IOError("closed")
        if l[3:4] != b"-":
            return l

def session(t):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30,
                                     source_address=("127.0.0.2", 0))
        f = s.makefile("rb")
        def cmd(b, want):
            s.sendall(b)
            r = reply(f)
            if not r.startswith(want):
                raise IOError("%r -> %r" % (b, r))
        r = reply(f)
        if not r.startswith(b"220"):
            raise IOError("greeting %r" % r)
        cmd(b"EHLO sender.test\r\n", b"250")
        for m in range(per):
            cmd(b"MAIL FROM:<s%d@example.com>\r\n" % t, b"250")
            cmd(b"RCPT TO:<r@example.net>\r\n", b"250")
            cmd(b"DATA\r\n", b"354")
            cmd(b"Subject: fleet-%d-%d\r\n\r\nmessage %d of session %d\r\n.\r\n"
                % (t, m, m, t), b"250")
        cmd(b"QUIT\r\n", b"221")
    except Exception as e:
        errors.append("session %d: %s" % (t, e))

t0 = time.monotonic()
ts = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("sent %d messages in %d sessions in %.2fs" %
      (sessions * per, sessions, time.monotonic() - t0))
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY
"$PYTHON" "$WORK/send.py" "$FE" 10 20 >"$WORK/send.out" 2>&1 ||
    { cat "$WORK/send.out"; fail "the sender failed"; }
cat "$WORK/send.out"
wait_until 20 sink_has 200 || fail "$(sink_count) messages at the sink, not 200"
sleep 0.5
assert_eq 200 "$(sink_count)" "messages at the sink"
dups=$(grep -ho '^Subject: fleet-[0-9]*-[0-9]*' "$SINK_DIR"/* | sort | uniq -d | wc -l)
assert_eq 0 "$dups" "subjects delivered twice"
assert_eq 200 "$(grep -ho '^Subject: fleet-[0-9]*-[0-9]*' "$SINK_DIR"/* | sort -u | wc -l)" \
    "distinct subjects at the sink"
sa=$(grep -c 'event=close client=127\.0\.0\.2:.*messages=' "$LOG_A" || true)
sb=$(grep -c 'event=close client=127\.0\.0\.2:.*messages=' "$LOG_B" || true)
note "sessions: proxy a $sa, proxy b $sb"
[ "$sa" -gt 0 ] && [ "$sb" -gt 0 ] || fail "one proxy served no session"
assert_eq 10 "$((sa + sb))" "sessions of 127.0.0.2"
ma=$(grep -c 'event=message .*verdict=accept' "$LOG_A" || true)
mb=$(grep -c 'event=message .*verdict=accept' "$LOG_B" || true)
note "messages: proxy a $ma, proxy b $mb"
assert_eq 200 "$((ma + mb))" "messages the proxies accepted"
for l in "$LOG_A" "$LOG_B"; do
	assert_no_grep "$l" 'event=close client=127\.0\.0\.1:.*messages=[1-9]' \
	    "$(basename "$l"): message sessions under HAProxy's address"
	assert_no_grep "$l" 'proxy-header-error' "$(basename "$l"): refused headers"
done

# The metrics of the two add up.
total=0
for m in "$MA" "$MB"; do
	v=$("$PYTHON" - "$m" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1],
                              timeout=10).read().decode()
for line in body.splitlines():
    if line.startswith('smtpproxy_messages_total{verdict="accept"} '):
        print(line.split()[1])
PY
)
	note "metrics on $m: accepted $v"
	total=$((total + v))
done
assert_eq 200 "$total" "accepted messages, summed over the metrics"

check "3: the deny rule on 127.0.0.3 through the balancer"
for i in 1 2 3 4; do
	client "deny-$i" --timeout 15 --port "$FE" --source 127.0.0.3 \
	    'expect:^554 5\.7\.1 Not from 127\.0\.0\.3$' \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
done
denied=$(cat "$LOG_A" "$LOG_B" | grep -c 'event=denied rule=no-three client=127\.0\.0\.3:' || true)
assert_eq 4 "$denied" "denied sessions"
assert_eq 200 "$(sink_count)" "messages at the sink after the denied ones"

stop_named_proxy a "$PID_A"
stop_named_proxy b "$PID_B"
printf '\nPASS: %s\n' "$TEST_NAME"
exit 0
