#!/bin/sh
# Build the libFuzzer targets with clang and run each for a bounded time
# on a copy of its seed corpus. SKIP (77) where clang cannot build them.
set -u
: "${TOP_SRCDIR:?}" "${TOP_BUILDDIR:?}"
secs=${FUZZ_SECONDS:-20}
out="$TOP_BUILDDIR/t/fuzz"
mkdir -p "$out"
command -v clang >/dev/null 2>&1 || { echo "SKIP: no clang"; exit 77; }
src="$TOP_SRCDIR/src"
status=0
for target in smtp mime; do
	libs=""
	case $target in
	smtp) files="$src/smtp_line.c $src/smtp_cmd.c $src/smtp_reply.c $src/data.c" ;;
	mime) files="$src/mime.c $src/mime_param.c $src/b64.c"
		libs=$(pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto) ;;
	esac
	bin="$out/fuzz_$target"
	# shellcheck disable=SC2086
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined \
	    -I"$TOP_BUILDDIR" -I"$src" "$TOP_SRCDIR/t/fuzz/fuzz_$target.c" \
	    $files $libs -o "$bin" 2>"$out/build-$target.log"; then
		if grep -q "fuzzer" "$out/build-$target.log"; then
			cat "$out/build-$target.log"
			echo "SKIP: clang has no libFuzzer"
			exit 77
		fi
		cat "$out/build-$target.log"
		exit 1
	fi
	corpus="$out/corpus-$target"
	rm -rf "$corpus"
	mkdir -p "$corpus"
	cp "$TOP_SRCDIR/t/fuzz/corpus/$target/"* "$corpus/"
	echo "fuzz_$target: ${secs}s"
	if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    "$corpus" >"$out/run-$target.log" 2>&1; then
		tail -50 "$out/run-$target.log"
		status=1
	else
		tail -2 "$out/run-$target.log"
	fi
done
exit $status
