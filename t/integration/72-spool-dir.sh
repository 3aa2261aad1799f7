#!/bin/bash
# 72-spool-dir (SPEC §5 spool_dir): with an inspection that spools on
# (filetypes here),
#  1. a missing spool_dir whose parent exists: -n says OK and creates
#     nothing; the proxy creates it at start-up, mode 0700, logs it and
#     serves;
#  2. as root with user = nobody: created owned by nobody;
#  3. an existing spool_dir with group or other bits (0750, 0705, 1777):
#     -n and start-up refuse it, naming the path and the mode in octal;
#  4. a missing parent: -n and start-up refuse it;
#  5. with the inspections off nothing is created.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

start_recorder
free_port PROXY_PORT
# conf SPOOL [EXTRA]: a configuration spooling to SPOOL.
conf() {
	printf '%s\n' "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$1\"
${2:-}
filetypes {
	enabled = ${3:-true}
	block_extensions = { \"exe\" }
}"
}

# refused NAME SPOOL PATTERN: -n and a start both fail with PATTERN.
refused() {
	local name=$1 st=0
	conf "$2" >"$WORK/$name.conf"
	"$SMTPPROXY" -n -f "$WORK/$name.conf" >"$WORK/$name-n.out" 2>&1 || st=$?
	assert_eq 1 "$st" "$name: -n exit status"
	assert_grep "$WORK/$name-n.out" "$3" "$name: -n"
	st=0
	timeout 20 "$SMTPPROXY" -d -f "$WORK/$name.conf" \
	    >"$WORK/$name-start.out" 2>&1 </dev/null || st=$?
	[ "$st" -ne 0 ] || fail "$name: the proxy started"
	assert_grep "$WORK/$name-start.out" "$3" "$name: start-up"
}

served() {
	client "$1" --timeout 15 'expect:^220 ' 'send:EHLO c\r\n' 'expect:^250 ' \
	    'send:QUIT\r\n' 'expect:^221 ' 'eof'
}

check "1: missing, parent exists: -n creates nothing, start-up creates it"
conf "$WORK/spool" >"$WORK/missing.conf"
out=$("$SMTPPROXY" -n -f "$WORK/missing.conf" 2>&1) ||
    fail "-n refused a missing spool_dir: $out"
assert_eq "configuration OK" "$out" "-n"
[ ! -e "$WORK/spool" ] || fail "-n created spool_dir"
ok "-n left spool_dir missing"
start_proxy "$(conf "$WORK/spool")"
wait_log "event=spool-created path=$WORK/spool mode=0700"
assert_eq 700 "$(stat -c %a "$WORK/spool")" "mode of the new spool_dir"
served created
stop_proxy
# Created, it is fine for the next start.
start_proxy "$(conf "$WORK/spool")"
assert_eq 0 "$(log_count 'event=spool-created')" "created again"
stop_proxy

check "2: as root with user = nobody: owned by nobody"
if [ "$(id -u)" -eq 0 ]; then
	start_proxy "$(conf "$WORK/spool-nobody" 'user = "nobody"')"
	assert_eq "nobody 700" "$(stat -c '%U %a' "$WORK/spool-nobody")" \
	    "owner and mode"
	served nobody
	stop_proxy
else
	note "not root: skipped"
fi

check "3: group or other permission bits are refused"
for mode in 750 705 1777; do
	mkdir -p "$WORK/open-$mode"
	chmod "$mode" "$WORK/open-$mode"
	refused "open-$mode" "$WORK/open-$mode" \
	    "spool_dir \"$WORK/open-$mode\" has mode $(printf '%04o' "0$mode"): group and others must have no access"
done

check "4: a missing parent"
refused noparent "$WORK/none/spool" "/none/spool.*No such file or directory"

check "5: inspections off: nothing created"
start_proxy "$(conf "$WORK/unused" '' false)"
served off
[ ! -e "$WORK/unused" ] || fail "spool_dir created with filetypes off"
ok "no spool_dir with filetypes off"

pass
