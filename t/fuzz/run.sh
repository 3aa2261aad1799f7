#!/bin/sh
# Build the libFuzzer targets (t/fuzz/fuzz_*.c) with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer, and run each for a bounded time on a copy
# of its seed corpus t/fuzz/corpus/TARGET.
#
# Usage: t/fuzz/run.sh [-t SECONDS] [-m] [TARGET ...]
#   -t SECONDS  run each target this long (default 20, or $FUZZ_SECONDS)
#   -m          merge the inputs that found new coverage into the seed
#               corpus in the source tree (libFuzzer -merge=1)
#   TARGET      smtp, mime, session, rewrite, config, proxy (default: all)
#
# From make check it finds the tree through TOP_SRCDIR and TOP_BUILDDIR;
# run by hand it works them out from its own path. Everything it makes
# goes to $TOP_BUILDDIR/t/fuzz/build. Exit status: 0 when every target ran
# clean, 1 after a crash (the input and its stack are printed) or a build
# failure, 77 (SKIP) when clang or its libFuzzer runtime is missing.
# $FUZZ_ARGS adds libFuzzer options to every run, e.g. -jobs=2.
set -u

usage() {
	echo "usage: $0 [-t SECONDS] [-m] [TARGET ...]" >&2
	exit 2
}

secs=${FUZZ_SECONDS:-20}
merge=no
while getopts t:mh opt; do
	case $opt in
	t) secs=$OPTARG ;;
	m) merge=yes ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
case $secs in
''|*[!0-9]*) usage ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
TOP_BUILDDIR=${TOP_BUILDDIR:-$TOP_SRCDIR}
if [ ! -f "$TOP_BUILDDIR/autoconf.h" ]; then
	echo "$0: no autoconf.h in $TOP_BUILDDIR: run configure first" >&2
	exit 1
fi
src="$TOP_SRCDIR/src"
fuzzdir="$TOP_SRCDIR/t/fuzz"
out="$TOP_BUILDDIR/t/fuzz/build"
objdir="$out/obj"
mkdir -p "$objdir"

all="smtp mime session rewrite config proxy"
targets=${*:-$all}
for t in $targets; do
	[ -f "$fuzzdir/fuzz_$t.c" ] || { echo "$0: no target $t" >&2; usage; }
done

CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null 2>&1 || { echo "SKIP: no $CC"; exit 77; }
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -fno-omit-frame-pointer $SAN"
# libFuzzer's runtime: without it nothing here can run.
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)'\
'{ (void)d; (void)n; return 0; }\n' >"$out/probe.c"
if ! $CC $CFLAGS -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" \
    >"$out/probe.log" 2>&1; then
	cat "$out/probe.log"
	echo "SKIP: $CC has no libFuzzer"
	exit 77
fi

pkgs="libevent openssl libconfuse libclamav"
# shellcheck disable=SC2086
PKG_CFLAGS=$(pkg-config --cflags $pkgs) &&
    PKG_LIBS=$(pkg-config --libs $pkgs) || {
	echo "$0: pkg-config does not find: $pkgs" >&2
	exit 1
}

# The project's sources (all of src/ but main()), instrumented for
# coverage, in one archive; an object is rebuilt when its source or any
# header is newer.
newest_header=$(ls -t "$src"/*.h "$TOP_BUILDDIR/autoconf.h" | head -1)
stale=""
for c in "$src"/*.c; do
	name=$(basename "$c" .c)
	[ "$name" = smtpproxy ] && continue
	o="$objdir/$name.o"
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then
		stale="$stale $name"
	fi
done
if [ -n "$stale" ]; then
	echo "building:$stale"
	# shellcheck disable=SC2086
	if ! printf '%s\n' $stale | xargs -P "${FUZZ_JOBS:-2}" -I{} \
	    $CC $CFLAGS -fsanitize=fuzzer-no-link -I"$TOP_BUILDDIR" -I"$src" \
	    $PKG_CFLAGS -c "$src/{}.c" -o "$objdir/{}.o" \
	    2>"$out/build-objects.log"; then
		cat "$out/build-objects.log"
		exit 1
	fi
	rm -f "$objdir/libfuzzsrc.a"
fi
lib="$objdir/libfuzzsrc.a"
if [ ! -f "$lib" ]; then
	ar rcs "$lib" "$objdir"/*.o || exit 1
fi

# Extra libFuzzer options per target.
target_opts() {
	case $1 in
	rewrite) echo "-max_len=16384" ;;
	session) echo "-max_len=4096" ;;
	config) echo "-max_len=8192" ;;
	*) echo "" ;;
	esac
}

status=0
for t in $targets; do
	bin="$out/fuzz_$t"
	if [ ! -x "$bin" ] || [ "$fuzzdir/fuzz_$t.c" -nt "$bin" ] ||
	    [ "$lib" -nt "$bin" ]; then
		# shellcheck disable=SC2086
		if ! $CC $CFLAGS -fsanitize=fuzzer -I"$TOP_BUILDDIR" -I"$src" \
		    $PKG_CFLAGS "$fuzzdir/fuzz_$t.c" "$lib" $PKG_LIBS \
		    -lpthread -ldl -o "$bin" 2>"$out/build-$t.log"; then
			cat "$out/build-$t.log"
			echo "fuzz_$t: build failed"
			status=1
			continue
		fi
	fi
	seeds="$fuzzdir/corpus/$t"
	corpus="$out/corpus-$t"
	rm -rf "$corpus"
	mkdir -p "$corpus"
	if [ -d "$seeds" ]; then
		cp "$seeds"/* "$corpus/" 2>/dev/null
	fi
	dict=""
	[ -f "$fuzzdir/$t.dict" ] && dict="-dict=$fuzzdir/$t.dict"
	log="$out/run-$t.log"
	rm -f "$out/$t-"crash-* "$out/$t-"leak-* "$out/$t-"timeout-* \
	    "$out/$t-"oom-* "$out/$t-"slow-unit-*
	echo "fuzz_$t: ${secs}s"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$out/$t-" \
	    $(target_opts "$t") $dict ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	if [ $rc -ne 0 ]; then
		status=1
		# From the first line of the report to the end.
		sed -n '/==[0-9]*==ERROR\|runtime error\|^fuzz_[a-z]*: \|deadly signal\|ERROR: libFuzzer/,$p' \
		    "$log" | head -120
		artifact=$(ls -t "$out/$t-"crash-* "$out/$t-"leak-* \
		    "$out/$t-"timeout-* "$out/$t-"oom-* 2>/dev/null | head -1)
		echo "fuzz_$t: FAILED after ${runs:-?} runs (${rate:-?} exec/s);" \
		    "input: ${artifact:-none written}; log: $log"
	else
		echo "fuzz_$t: ${runs:-?} runs, ${rate:-?} exec/s, no crash"
	fi
	if [ $merge = yes ]; then
		mkdir -p "$seeds"
		before=$(ls "$seeds" | wc -l)
		"$bin" -merge=1 $(target_opts "$t") "$seeds" "$corpus" \
		    >"$out/merge-$t.log" 2>&1 ||
		    { tail -20 "$out/merge-$t.log"; status=1; }
		after=$(ls "$seeds" | wc -l)
		echo "fuzz_$t: corpus $seeds: $before -> $after inputs"
	fi
done
exit $status
