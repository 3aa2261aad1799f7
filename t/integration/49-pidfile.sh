#!/bin/bash
# 49-pidfile (SPEC §1, §7 pidfile, user): started as root with
# user = "nobody", the proxy writes its pidfile before it drops its
# privileges and removes it at exit as nobody:
#  1. the pidfile in a directory nobody owns (what the systemd unit's
#     RuntimeDirectory gives): it holds the proxy's pid while it runs, and
#     SIGTERM removes it;
#  2. the pidfile in a directory only root may write to (/run itself,
#     say): nobody cannot remove it, and the log says so, with the path
#     and the reason ("event=pidfile-not-removed path=... error=...").
# Skipped (77) when not root.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (starts as root, drops to nobody)"
id nobody >/dev/null 2>&1 || skip "no user nobody"

start_sink
free_port PROXY_PORT
# conf PIDFILE
conf() {
	printf '%s\n' "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"$SINK_ADDR\"
user = \"nobody\"
pidfile = \"$1\""
}

# proxy_pid: the proxy itself (PROXY_PID is timeout(1)).
proxy_pid() {
	pgrep -P "$PROXY_PID" | head -n 1
}

# ---------------------------------------------------------------------
check "1: a directory nobody owns: the pidfile is removed at exit"
mkdir "$WORK/run-nobody"
chown nobody "$WORK/run-nobody"
chmod 755 "$WORK/run-nobody"
PIDF="$WORK/run-nobody/smtpproxy.pid"
start_proxy "$(conf "$PIDF")"
pid=$(proxy_pid)
[ -f "$PIDF" ] || fail "no pidfile $PIDF"
assert_eq "$pid" "$(cat "$PIDF")" "pid in the pidfile"
assert_eq nobody "$(ps -o user= -p "$pid" | tr -d ' ')" "user of the proxy"
swaks_run mail1 --to rcpt@example.net --from sender@example.com
stop_proxy
[ -e "$PIDF" ] && fail "the pidfile is still there after SIGTERM"
ok "pidfile removed"
assert_no_grep "$PROXY_LOG" 'pidfile-not-removed' "proxy log"

# ---------------------------------------------------------------------
check "2: a directory only root writes to: the log says why"
mkdir "$WORK/run-root"
chmod 755 "$WORK/run-root"
PIDF="$WORK/run-root/smtpproxy.pid"
start_proxy "$(conf "$PIDF")"
pid=$(proxy_pid)
assert_eq "$pid" "$(cat "$PIDF")" "pid in the pidfile"
stop_proxy
[ -e "$PIDF" ] || fail "the pidfile is gone: nobody could remove it?"
wait_log "event=pidfile-not-removed path=$PIDF uid=[0-9]+ error=\"Permission denied\""
pass
