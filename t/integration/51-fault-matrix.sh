#!/bin/bash
# 51-fault-matrix: fault injection, no loss. faultsrv.py is an upstream
# that fails at every step (connect refused, 421 greeting, EHLO 5xx,
# MAIL and RCPT 4xx/5xx, DATA 554, 354 then close, close in the body,
# close after the terminator, a slow end of data, 451/554 at the end of
# data, a stall at every step, replies one byte per packet);
# faultmatrix.py runs, for each fault, a client that leaves at each step
# (or never: one command at a time, or pipelined) and checks every cell:
#  1. the client got an explicit SMTP reply to every command it waited
#     for (never silence, a close or a reset instead);
#  2. the upstream got the message at most once;
#  3. the upstream queued it if and only if the client got the upstream's
#     own 250 (RFC 1047 cells, where the upstream closes or stalls after
#     the terminator: a 4xx and a "may have been delivered" log line
#     instead; a client that left after "." while the upstream queued it:
#     the log says the 250 or "may have been delivered");
#  4. the proxy ended the session and the upstream connection; the
#     proxies stay alive with no sanitizer report.
# The faults before any command have their own proxy (refused, greet421,
# greetstall, split); the others are chosen per connection by the
# client's EHLO name. Short timeouts keep the stall cells to seconds.
# FAULT_ROWS / FAULT_COLS (comma lists) run a part of the matrix.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
: "${TEST_TIMEOUT:=150}"
. "$(dirname "$0")/lib.sh"

FAULTSRV="$INTEGRATION_DIR/faultsrv.py"
FDIR="$WORK/fault"
mkdir -p "$FDIR"

free_port UP_MAIN
free_port UP_GREET421
free_port UP_GREETSTALL
free_port UP_SPLIT
free_port UP_DEAD		# nothing ever listens here
bg faultsrv "$PYTHON" "$FAULTSRV" --dir "$FDIR" --listen "$UP_MAIN" \
    --listen "$UP_GREET421=greet421" --listen "$UP_GREETSTALL=greetstall" \
    --listen "$UP_SPLIT=split"
FAULTSRV_PID=$BG_PID
wait_until 10 test -e "$FDIR/ready" || fail "faultsrv did not start"
note "faultsrv on 127.0.0.1:$UP_MAIN (fault per EHLO name),"\
    "$UP_GREET421 (greet421), $UP_GREETSTALL (greetstall), $UP_SPLIT (split)"

# proxy_conf PORT UPSTREAM_PORT
proxy_conf() {
	printf '%s\n' "listen = { \"127.0.0.1:$1\" }
mode = \"relay\"
upstream = \"127.0.0.1:$2\"
hostname = \"proxy.fault.test\"
timeouts { connect = 2s greeting = 2s command = 3s reply = 2s
           data_block = 3s data_end = 2s idle = 3s }"
}

free_port PROXY_PORT
start_proxy "$(proxy_conf "$PROXY_PORT" "$UP_MAIN")"
ARGS=(--proxy "main=$PROXY_PORT:$PROXY_LOG")
NAMED=()
port=""
for spec in "refused:$UP_DEAD" "greet421:$UP_GREET421" \
    "greetstall:$UP_GREETSTALL" "split:$UP_SPLIT"; do
	name=${spec%%:*}
	free_port port
	start_named_proxy "$name" "$port" "$(proxy_conf "$port" "${spec#*:}")"
	NAMED+=("$name $NAMED_PID")
	ARGS+=(--proxy "$name=$port:$WORK/proxy-$name.log")
done

check "the matrix"
st=0
"$PYTHON" "$INTEGRATION_DIR/faultmatrix.py" --events "$FDIR/events" \
    --jobs "${FAULT_JOBS:-16}" --timeout 10 --settle 12 \
    --rows "${FAULT_ROWS:-}" --cols "${FAULT_COLS:-}" \
    --details "$WORK/matrix-details.txt" "${ARGS[@]}" || st=$?

check "the proxies are alive, no sanitizer report"
check_proxy_alive
for entry in "${NAMED[@]}"; do
	kill -0 "${entry#* }" 2>/dev/null ||
	    fail "proxy ${entry% *} is gone"
	check_sanitizers_in "$WORK/proxy-${entry% *}.log"
done
ok "5 proxies alive"
[ "$st" -eq 0 ] || fail "fault matrix: failed cells (summary above)"
for entry in "${NAMED[@]}"; do
	stop_named_proxy "${entry% *}" "${entry#* }"
done
stop_bg "$FAULTSRV_PID"
pass
