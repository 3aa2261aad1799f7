#!/bin/bash
# 11-config-check: "smtpproxy -n" checks a configuration: "configuration
# OK" and exit 0 for a good file (the shipped conf/smtpproxy.conf
# included), "FILE:LINE: message" lines and exit 1 for a bad one (a key
# set twice in a section, or an untitled section given twice, included).
# "-V" prints the version and those of libevent, OpenSSL and libclamav.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"
require_proxy

run() {	# run NAME ARGS...: smtpproxy ARGS, output in $WORK/NAME.out
	local name=$1
	shift
	RC=0
	timeout -k 5 30 "$SMTPPROXY" "$@" >"$WORK/$name.out" 2>&1 \
	    </dev/null || RC=$?
	note "\$ smtpproxy $* -> exit $RC"
	sed 's/^/    /' "$WORK/$name.out"
}

cat >"$WORK/good.conf" <<'CONF'
# a small but complete relay configuration
listen = { "127.0.0.1:10025" }
mode = "relay"
upstream = "127.0.0.1:10026"
hostname = "gw.example.lan"
max_sessions = 500
max_sessions_per_client = 20
log_level = "debug"
timeouts { connect = 5s greeting = 1m command = 2m reply = 2m
           data_block = 3m data_end = 10m idle = 5m }
limits { command_line = 512 reply_line = 512 }
alarm "smtp:241" { action = "log" }
alarm "pipelining-violation" { action = "close" }
CONF

check "a good configuration"
run good -n -f "$WORK/good.conf"
assert_eq 0 "$RC" "exit status"
assert_grep "$WORK/good.out" '^configuration OK$' "output"

check "the shipped configuration"
shipped="$TOP_SRCDIR/conf/smtpproxy.conf"
[ -f "$shipped" ] || fail "$shipped is missing"
run shipped -n -f "$shipped"
assert_eq 0 "$RC" "exit status"
assert_grep "$WORK/shipped.out" '^configuration OK$' "output"

check "an unknown option (line 3) and a bad value (line 5)"
cat >"$WORK/bad.conf" <<'CONF'
listen = { "127.0.0.1:10025" }
mode = "relay"
no_such_option = 42
upstream = "127.0.0.1:10026"
max_sessions = "many"
CONF
run bad -n -f "$WORK/bad.conf"
assert_eq 1 "$RC" "exit status"
assert_grep "$WORK/bad.out" "bad\\.conf:3: .+" "output"
assert_no_grep "$WORK/bad.out" '^configuration OK' "output"

check "a bad value that only a validator sees (line 2)"
cat >"$WORK/bad2.conf" <<'CONF'
listen = { "127.0.0.1:10025" }
mode = "sideways"
upstream = "127.0.0.1:10026"
CONF
run bad2 -n -f "$WORK/bad2.conf"
assert_eq 1 "$RC" "exit status"
assert_grep "$WORK/bad2.out" "bad2\\.conf:2: .+" "output"

check "an unknown alarm (line 4)"
cat >"$WORK/bad3.conf" <<'CONF'
listen = { "127.0.0.1:10025" }
mode = "relay"
upstream = "127.0.0.1:10026"
alarm "smtp:999" { action = "log" }
CONF
run bad3 -n -f "$WORK/bad3.conf"
assert_eq 1 "$RC" "exit status"
assert_grep "$WORK/bad3.out" "bad3\\.conf:4: .+" "output"

check "an alarm action that does not exist (line 5)"
cat >"$WORK/bad4.conf" <<'CONF'
listen = { "127.0.0.1:10025" }
mode = "relay"
upstream = "127.0.0.1:10026"
alarm "smtp:241" {
	action = "drop"
}
CONF
run bad4 -n -f "$WORK/bad4.conf"
assert_eq 1 "$RC" "exit status"
assert_grep "$WORK/bad4.out" "bad4\\.conf:5: .+" "output"

check "every error of a file is reported (lines 2, 4 and 5)"
cat >"$WORK/many.conf" <<'CONF'
listen = { "127.0.0.1:10025" }
mode = "sideways"
upstream = "127.0.0.1:10026"
alarm "smtp:999" { action = "log" }
max_sessions = -5
CONF
run many -n -f "$WORK/many.conf"
assert_eq 1 "$RC" "exit status"
for l in 2 4 5; do
	assert_grep "$WORK/many.out" "many\\.conf:$l: .+" "output"
done

check "a key set twice, untitled sections given twice (lines 5, 7, 9, 10)"
cat >"$WORK/dup.conf" <<'CONF'
listen = { "127.0.0.1:10025" }
mode = "relay"
upstream = "127.0.0.1:10026"
max_sessions = 1
max_sessions = 2
limits { recipients = 5 }
limits { command_line = 600 }
antivirus { enabled = false }
antivirus {
	enabled = false
}
CONF
run dup -n -f "$WORK/dup.conf"
assert_eq 1 "$RC" "exit status"
assert_grep "$WORK/dup.out" '^.*dup\.conf:5: max_sessions: already set at line 4$' "output"
assert_grep "$WORK/dup.out" '^.*dup\.conf:7: limits: already set at line 6$' "output"
assert_grep "$WORK/dup.out" '^.*dup\.conf:9: antivirus: already set at line 8$' "output"
# libconfuse merges the second section into the first one.
assert_grep "$WORK/dup.out" '^.*dup\.conf:10: antivirus\.enabled: already set at line 8$' "output"
assert_eq 4 "$(grep -c . "$WORK/dup.out")" "error lines"
assert_no_grep "$WORK/dup.out" '^configuration OK' "output"

check "a list appended to with += is no duplicate"
cat >"$WORK/append.conf" <<'CONF'
listen = { "127.0.0.1:10025" }
listen += { "127.0.0.1:10027" }
mode = "relay"
upstream = "127.0.0.1:10026"
CONF
run append -n -f "$WORK/append.conf"
assert_eq 0 "$RC" "exit status"
assert_grep "$WORK/append.out" '^configuration OK$' "output"

check "relay mode without an upstream"
cat >"$WORK/noup.conf" <<'CONF'
listen = { "127.0.0.1:10025" }
mode = "relay"
CONF
run noup -n -f "$WORK/noup.conf"
assert_eq 1 "$RC" "exit status"
assert_grep "$WORK/noup.out" "noup\\.conf(:[0-9]+)?: .*upstream" "output"

check "a missing file"
run missing -n -f "$WORK/does-not-exist.conf"
assert_eq 1 "$RC" "exit status"
assert_grep "$WORK/missing.out" 'does-not-exist\.conf' "output"

check "-V: versions"
run version -V
assert_eq 0 "$RC" "exit status"
assert_grep "$WORK/version.out" 'smtpproxy.*[0-9]+\.[0-9]+' "output"
assert_grep "$WORK/version.out" '[Ll]ibevent.*[0-9]+\.[0-9]+\.[0-9]+' "output"
assert_grep "$WORK/version.out" 'OpenSSL.*3\.[0-9]+\.[0-9]+' "output"
assert_grep "$WORK/version.out" '[Ll]ib[Cc]lam[Aa][Vv].*[0-9]+\.[0-9]+\.[0-9]+' "output"
if command -v pkg-config >/dev/null 2>&1; then
	for m in libevent openssl libclamav; do
		v=$(pkg-config --modversion "$m" 2>/dev/null) || continue
		v=${v%%-*}
		grep -qF "$v" "$WORK/version.out" ||
		    note "note: $m $v (pkg-config) not in the -V output"
	done
fi
pass
