#!/bin/bash
# 83-tls-postfix: Postfix's own SMTP client through the proxy in
# tls.mode = inspect. A private Postfix instance (its own configuration,
# queue and log in the work directory; no system mail configuration is
# read or changed) takes three messages with swaks on its smtpd and
# relays them to relayhost = the proxy with smtp_tls_security_level =
# may; the proxy relays to the recorder, which offers STARTTLS too.
# Every message arrives once, over an encrypted upstream leg; Postfix
# logs "TLS connection established" for the proxy leg; the proxy logs
# tls=inspect for each session.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

require_cmd postfix postfix
[ "$(id -u)" -eq 0 ] || skip "a private Postfix instance needs root"
id postfix >/dev/null 2>&1 || skip "no postfix user (Debian package postfix)"
getent group postdrop >/dev/null || skip "no postdrop group"

tls_cert proxy proxy.test
tls_cert up up.test
start_recorder --tls-cert "$WORK/up.crt" --tls-key "$WORK/up.key"
free_port PROXY_PORT
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
tls {
	mode = \"inspect\"
	certificate = \"$WORK/proxy.crt\"
	key = \"$WORK/proxy.key\"
}"

PF="$WORK/postfix"
mkdir -p "$PF/conf" "$PF/queue" "$PF/data"
chown postfix "$PF/data"
free_port PF_PORT
cat >"$PF/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = sender.test
mydomain = sender.test
myorigin = sender.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$PROXY_PORT
smtp_tls_security_level = may
smtp_tls_loglevel = 1
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
alternate_config_directories = $PF/conf
EOF
# smtpd on a free port instead of 25; nothing chrooted.
sed -E -e "s/^smtp( +inet +n +- +)[yn-]( +- +- +smtpd)/$PF_PORT\\1n\\2/" \
    -e 's/^([a-z0-9]+ +(unix|inet|unix-dgram|fifo|pass) +[-ny] +[-ny] +)y/\1n/' \
    /etc/postfix/master.cf >"$PF/conf/master.cf"
grep -q "^$PF_PORT " "$PF/conf/master.cf" || fail "no smtpd line in master.cf"
postfix -c "$PF/conf" check >"$WORK/postfix-check.out" 2>&1 ||
    fail "postfix check: $(cat "$WORK/postfix-check.out")"
# start-fg leaves master running in the background: stopped at exit.
at_exit timeout 30 postfix -c "$PF/conf" stop
bg postfix postfix -c "$PF/conf" start-fg
wait_until 20 is_listening "$PF_PORT" ||
    fail "private Postfix not listening: $(tail -5 "$PF/maillog" 2>/dev/null)"

check "three messages from Postfix through the proxy in inspect mode"
for i in 1 2 3; do
	swaks_run "pf-$i" --server "127.0.0.1:$PF_PORT" \
	    --to "rcpt$i@example.test" --from "sender$i@sender.test" \
	    --header "Subject: postfix $i" --body "message $i through postfix"
done
wait_until 60 rec_has 3 || fail "not every message arrived: $(rec_msgs)
$(tail -20 "$PF/maillog")"
sleep 1
assert_eq 3 "$(rec_msgs)" "messages at the upstream"
for i in 1 2 3; do
	assert_eq 1 "$(grep -l "message $i through postfix" "$REC_DIR"/msg-*.eml | wc -l)" \
	    "copies of message $i"
	assert_eq 1 "$(grep -c "from=<sender$i@sender.test>" "$REC_DIR/events")" \
	    "deliveries of message $i"
done
for f in "$REC_DIR"/msg-*.eml; do
	assert_grep "${f%.eml}.tls" '^TLSv1\.3 ' "$(basename "$f") over TLS"
done
wait_until 20 grep -q 'status=sent' "$PF/maillog" ||
    fail "Postfix logged no status=sent"
assert_grep "$PF/maillog" \
    "TLS connection established to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:$PROXY_PORT: TLSv1\\.3" \
    "Postfix's log for the proxy leg"
grep 'TLS connection established' "$PF/maillog" | sed 's/^/    postfix: /'
assert_eq 3 "$(grep -c 'status=sent' "$PF/maillog")" "messages Postfix sent"
wait_log 'event=close .* tls=inspect tls_client=TLSv1\.3/[^ ]+ tls_upstream=TLSv1\.3/'
assert_no_grep "$PROXY_LOG" 'alarm=' "no alarm on Postfix's dialog"

check_proxy_alive
pass
