#!/bin/bash
# What the proxy's file typing and anti-virus cost beside libclamav's own:
# the proxy's CPU time per message (contrib/bench/bench.sh, HAProxy beside
# it) and the CPU time of libclamav alone on the same content
# (contrib/bench/clamtype.c, the engine settings and scan options of
# src/scan.c), and their ratio:
#
#     file types  bench.sh -F (mkmsg.py 5M) -x "filetypes { enabled = true ... }"
#                 against clamtype on the decoded attachment(s)
#     anti-virus  bench.sh -F (mkmsg.py 10K) -x "antivirus { backend = libclamav ... }"
#                 against clamtype -d DB on the whole message (cl_scandesc)
#
# The anti-virus path is that of bench-av.sh's smtpproxy/libclamav, with the
# same generated database (contrib/bench/mksigs.py). The rounds interleave
# the proxy runs and the bare ones. Everything runs on the loopback
# interface and is stopped when the script exits. See contrib/bench/README.
#
# This is a benchmark, not a test: it exits 0 when it could measure; 1 when
# a run lost messages; 2 on a usage or set-up error.

set -euo pipefail

PROG=clamcost
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# die, is_uint, median, ...
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh" || exit 2

usage() {
	cat <<EOF
usage: ${0##*/} [-l size] [-a size] [-m messages] [-M messages] [-s sessions]
                [-r rounds] [-n signatures] [-c scans] [-F message.eml]
                [-t only] [-p port] [-K]

  -l SIZE  file-type message, mkmsg.py size               [\$FT_SIZE, 5M]
  -a SIZE  anti-virus message, mkmsg.py size              [\$AV_SIZE, 10K]
  -m N     file-type messages per proxy run               [\$FT_MESSAGES, 40]
  -M N     anti-virus messages per proxy run              [\$AV_MESSAGES, 2000]
  -s N     parallel sessions of the proxy runs            [\$SESSIONS, 10]
  -r N     rounds                                         [\$ROUNDS, 3]
  -n N     random .hdb signatures besides EICAR           [\$SIGNATURES, 10000]
  -c N     bare scans per file and round (median kept)    [\$SCANS, 10]
  -F FILE  use this message for both paths instead of mkmsg.py's
  -t ONLY  only one path: filetypes or antivirus
  -p PORT  first of three loopback ports (bench.sh -p)    [\$BENCH_PORT, 22555]
  -K       keep the temporary directory

environment:
  SMTPPROXY     the proxy binary [./src/smtpproxy]; also HAPROXY, SMTP_SOURCE,
                SMTP_SINK, as for bench.sh
  CLAMTYPE      a built contrib/bench/clamtype; else it is built here with
                \$CC (cc) and pkg-config libclamav
  PYTHON        python3 [python3]
EOF
}

FT_SIZE=${FT_SIZE:-5M}
AV_SIZE=${AV_SIZE:-10K}
FT_MESSAGES=${FT_MESSAGES:-40}
AV_MESSAGES=${AV_MESSAGES:-2000}
SESSIONS=${SESSIONS:-10}
ROUNDS=${ROUNDS:-3}
SIGNATURES=${SIGNATURES:-10000}
SCANS=${SCANS:-10}
BENCH_PORT=${BENCH_PORT:-22555}
MESSAGE_FILE=""
ONLY=""
KEEP_TMP=no

while getopts "l:a:m:M:s:r:n:c:F:t:p:Kh" opt; do
	case $opt in
	l) FT_SIZE=$OPTARG ;;
	a) AV_SIZE=$OPTARG ;;
	m) FT_MESSAGES=$OPTARG ;;
	M) AV_MESSAGES=$OPTARG ;;
	s) SESSIONS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	n) SIGNATURES=$OPTARG ;;
	c) SCANS=$OPTARG ;;
	F) MESSAGE_FILE=$OPTARG ;;
	t) ONLY=$OPTARG ;;
	p) BENCH_PORT=$OPTARG ;;
	K) KEEP_TMP=yes ;;
	h)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
if [ $# -ne 0 ]; then
	usage >&2
	exit 2
fi

for v in FT_MESSAGES AV_MESSAGES SESSIONS ROUNDS SCANS BENCH_PORT; do
	is_uint "${!v}" || die "bad ${v,,}: ${!v}"
done
case $SIGNATURES in '' | *[!0-9]*) die "bad signature count: $SIGNATURES" ;; esac
for v in FT_SIZE AV_SIZE; do
	case ${!v%[KkMm]} in '' | 0* | *[!0-9]*) die "bad size: ${!v}" ;; esac
done
case $ONLY in '' | filetypes | antivirus) ;; *) die "-t: filetypes or antivirus" ;; esac
if [ -n "$MESSAGE_FILE" ]; then
	[ -r "$MESSAGE_FILE" ] || die "cannot read $MESSAGE_FILE"
	MESSAGE_FILE=$(readlink -f "$MESSAGE_FILE")
fi
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found"
SMTPPROXY=${SMTPPROXY:-./src/smtpproxy}
[ -x "$SMTPPROXY" ] || die "$SMTPPROXY is not an executable (build it, or set SMTPPROXY)"
SMTPPROXY=$(readlink -f "$SMTPPROXY")
export SMTPPROXY

TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtpproxy-clamcost.XXXXXX")
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	trap - EXIT INT TERM HUP
	if [ "$KEEP_TMP" = yes ]; then
		echo "clamcost: files kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- the harness -------------------------------------------------------------

if [ -n "${CLAMTYPE:-}" ]; then
	[ -x "$CLAMTYPE" ] || die "$CLAMTYPE is not an executable"
else
	command -v pkg-config >/dev/null 2>&1 || die "pkg-config not found"
	# shellcheck disable=SC2046 # flags, one a word
	"${CC:-cc}" -O2 -Wall $(pkg-config --cflags libclamav) -o "$TMP/clamtype" \
		"$HERE/clamtype.c" $(pkg-config --libs libclamav) ||
		die "cannot build clamtype.c (libclamav-dev installed?)"
	CLAMTYPE=$TMP/clamtype
fi

# --- messages, parts, signatures, configurations -----------------------------

mkdir "$TMP/parts" "$TMP/db" "$TMP/spool"
chmod 700 "$TMP/spool"
if [ -n "$MESSAGE_FILE" ]; then
	cp "$MESSAGE_FILE" "$TMP/ft.eml"
	cp "$MESSAGE_FILE" "$TMP/av.eml"
else
	"$PYTHON" "$HERE/mkmsg.py" "$FT_SIZE" "$TMP/ft.eml" || die "mkmsg.py $FT_SIZE failed"
	"$PYTHON" "$HERE/mkmsg.py" "$AV_SIZE" "$TMP/av.eml" || die "mkmsg.py $AV_SIZE failed"
fi
"$PYTHON" "$HERE/mksigs.py" "$TMP/db" "$SIGNATURES" || die "mksigs.py failed"

# The parts the proxy types (src/inspect.c): every leaf part but a text
# body (a text/ part that is not an attachment, has no name and is not
# base64), decoded. And the messages with CRLF line ends, as the proxy
# hands them to libclamav (smtp-source -F sends each LF line with CRLF).
"$PYTHON" - "$TMP/ft.eml" "$TMP/parts" "$TMP/ft.crlf" "$TMP/av.eml" "$TMP/av.crlf" <<'EOF'
import email, email.policy, os, sys

src, parts, crlf, av, avcrlf = sys.argv[1:]
for a, b in ((src, crlf), (av, avcrlf)):
    with open(a, "rb") as f, open(b, "wb") as g:
        g.write(f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
with open(src, "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.compat32)
n = 0
for part in msg.walk():
    if part.is_multipart():
        continue
    cte = (part.get("Content-Transfer-Encoding") or "").strip().lower()
    body = (part.get_content_maintype() == "text" and part.get_filename() is None
            and not (part.get("Content-Disposition") or "").lower().startswith("attachment")
            and cte != "base64")
    if body:
        continue
    n += 1
    with open(os.path.join(parts, "part%02d.bin" % n), "wb") as g:
        g.write(part.get_payload(decode=True) or b"")
if n == 0:
    sys.exit("no attachment to type in " + src)
EOF

cat >"$TMP/filetypes.conf" <<EOF
# generated by contrib/bench/clamcost.sh
spool_dir = "$TMP/spool"
limits { message_size = 1G }
filetypes {
    enabled = true
    block_types = { "executable" }
}
EOF
cat >"$TMP/antivirus.conf" <<EOF
# generated by contrib/bench/clamcost.sh
spool_dir = "$TMP/spool"
antivirus {
    enabled = true
    backend = "libclamav"
    database = "$TMP/db"
}
EOF

# --- measuring ---------------------------------------------------------------

# proxy_run NAME MESSAGE CONF COUNT: sets PROXY_US, HAPROXY_US (CPU per
# message) and PROXY_RSS from one bench.sh run.
proxy_run() {
	local name=$1 msg=$2 conf=$3 count=$4 rc=0 warm
	warm=$((count / 10 > 0 ? count / 10 : 1))
	"$HERE/bench.sh" -r 1 -w "$warm" -m "$count" -s "$SESSIONS" -p "$BENCH_PORT" \
		-F "$msg" -x "$conf" >"$TMP/bench-$name.out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "clamcost: bench.sh ($name) exited $rc:" >&2
		tail -n 15 "$TMP/bench-$name.out" >&2
		[ "$rc" -eq 1 ] || exit 2
		LOST=1
	fi
	PROXY_US=$(awk '$1 == "smtpproxy" && $NF == "us" { print $(NF - 1) }' "$TMP/bench-$name.out")
	HAPROXY_US=$(awk '$1 == "haproxy" && $NF == "us" { print $(NF - 1) }' "$TMP/bench-$name.out")
	PROXY_RSS=$(awk '$1 == "smtpproxy" && $NF == "us" { print $(NF - 3) }' "$TMP/bench-$name.out")
	[ -n "$PROXY_US" ] || die "no CPU figures in bench.sh's output ($name): $(tail -n 3 "$TMP/bench-$name.out")"
}

# bare_run NAME ARGS...: sets BARE_US, the CPU per message of clamtype.
bare_run() {
	local name=$1
	shift
	"$CLAMTYPE" -n "$SCANS" "$@" >"$TMP/clamtype-$name.out" 2>&1 ||
		die "clamtype failed: $(tail -n 3 "$TMP/clamtype-$name.out")"
	BARE_US=$(sed -n 's/^result .*cpu_ms=\([0-9.]*\).*/\1/p' "$TMP/clamtype-$name.out" |
		awk '{ printf "%.0f", $1 * 1000 }')
}

PATHS=(filetypes antivirus)
[ -z "$ONLY" ] || PATHS=("$ONLY")
declare -A MSG_OF=([filetypes]=$TMP/ft.eml [antivirus]=$TMP/av.eml)
declare -A COUNT_OF=([filetypes]=$FT_MESSAGES [antivirus]=$AV_MESSAGES)
declare -A PROXY HAP BARE RATIO RSS
LOST=0

echo "smtpproxy against bare libclamav: $ROUNDS round(s), $SCANS bare scans per file and round"
echo "  cpus: $(nproc 2>/dev/null || echo '?')  load: $(cut -d' ' -f1-3 /proc/loadavg)" \
	" smtpproxy: $SMTPPROXY"
for p in "${PATHS[@]}"; do
	if [ "$p" = filetypes ]; then
		echo "  filetypes: ${COUNT_OF[$p]} messages of $(wc -c <"$TMP/ft.crlf") bytes a run;" \
			"typed: $(cd "$TMP/parts" && for f in *; do printf '%s (%s bytes) ' "$f" "$(wc -c <"$f")"; done)"
	else
		echo "  antivirus: ${COUNT_OF[$p]} messages of $(wc -c <"$TMP/av.crlf") bytes a run;" \
			"EICAR + $SIGNATURES random MD5 signatures"
	fi
done

for ((r = 1; r <= ROUNDS; r++)); do
	for p in "${PATHS[@]}"; do
		proxy_run "$p" "${MSG_OF[$p]}" "$TMP/$p.conf" "${COUNT_OF[$p]}"
		if [ "$p" = filetypes ]; then
			bare_run "$p" "$TMP"/parts/*
		else
			bare_run "$p" -d "$TMP/db" "$TMP/av.crlf"
		fi
		ratio=$(awk -v x="$PROXY_US" -v b="$BARE_US" 'BEGIN { printf "%.2f", (b > 0 ? x / b : 0) }')
		PROXY[$p]="${PROXY[$p]:-} $PROXY_US"
		HAP[$p]="${HAP[$p]:-} $HAPROXY_US"
		BARE[$p]="${BARE[$p]:-} $BARE_US"
		RATIO[$p]="${RATIO[$p]:-} $ratio"
		RSS[$p]="${RSS[$p]:-} $PROXY_RSS"
		printf '  round %d %-9s  smtpproxy %8d us/msg  haproxy %6d us/msg  libclamav %8d us/msg  ratio %5s\n' \
			"$r" "$p" "$PROXY_US" "$HAPROXY_US" "$BARE_US" "$ratio"
	done
done

spread() {
	# shellcheck disable=SC2086 # one number per word
	printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { printf "%s-%s", v[1], v[NR] }'
}

echo
printf '%-10s %16s %16s %16s %22s %12s\n' path "smtpproxy CPU" "haproxy CPU" "libclamav CPU" \
	"smtpproxy/libclamav" "proxy RSS"
for p in "${PATHS[@]}"; do
	printf '%-10s %13.0f us %13.0f us %13.0f us %10s (%s) %8.1f MiB\n' "$p" \
		"$(median "${PROXY[$p]}")" "$(median "${HAP[$p]}")" "$(median "${BARE[$p]}")" \
		"$(median "${RATIO[$p]}")" "$(spread "${RATIO[$p]}")" "$(median "${RSS[$p]}")"
done
echo
echo "CPU per message, medians of $ROUNDS round(s): smtpproxy and haproxy from bench.sh" \
	"(user+system time of the middle box), libclamav from clamtype (its median scan);" \
	"smtpproxy/libclamav: median and spread of the rounds' ratios; proxy RSS: peak (VmHWM)."
exit "$LOST"
