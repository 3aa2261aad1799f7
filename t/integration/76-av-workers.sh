#!/bin/bash
# 76-av-workers (SPEC §5 workers, §4.5, §4.6): scan verdicts come back to
# the worker that owns the session. 46-av-concurrency (12 sessions at
# once, infected and clean messages in every order, clients gone while
# their scan runs) and 31-filetypes run with workers = 4, more loops than
# this machine has CPUs, all sharing one pool of scanning threads: each
# must pass as it does with the default.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
dir=$(dirname "$0")
for t in 46-av-concurrency 31-filetypes; do
	printf '\n##### %s with workers = 4\n' "$t"
	st=0
	PROXY_WORKERS=4 bash "$dir/$t.sh" || st=$?
	case $st in
	0) ;;
	77) printf 'SKIP: %s\n' "$t"; exit 77 ;;
	*) printf 'FAIL: 76-av-workers: %s with workers = 4 (exit %s)\n' \
	    "$t" "$st"; exit 1 ;;
	esac
done
printf 'PASS: 76-av-workers\n'
