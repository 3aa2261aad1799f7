#!/bin/bash
# 57-mime-differential (issue 9): the streaming MIME parser against a
# real reader. t/mime_diff.py runs t/mime_dump (src/mime.c fed as the
# live proxy feeds it) and Python's email package (policy.default and
# policy.compat32: walk, get_filename, get_content_type) over
#  - Python's own test messages (libpython3.11-testsuite, installed by
#    contrib/debian-deps.sh; PYTHON_EMAIL_DATA names another directory),
#  - the messages t/mime_corpus.py builds for the kinds of bypass of
#    issue 9, every attachment named "*.exe",
#  - 300 seeded mutations of both,
# and fails on any attachment name Python sees that smtpproxy does not
# report, unless smtpproxy refused that message itself (smtp:247,
# smtp:250). LF-only files are converted to CRLF first, as the body layer
# requires; files with a bare CR are skipped (smtp:241 refuses them
# before the parser matters). KEEP_WORK=1 keeps the disagreeing messages
# in the work directory's disagree/.
#
# By hand, from the build directory:
#   python3 t/mime_diff.py --dump t/mime_dump \
#       --pydata /usr/lib/python3.11/test/test_email/data [-v] [FILE ...]
# SKIP only without python3 (lib.sh) or without Python's test messages.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

: "${PYTHON_EMAIL_DATA:=/usr/lib/python3.11/test/test_email/data}"
compgen -G "$PYTHON_EMAIL_DATA/msg_*.txt" >/dev/null ||
	skip "no $PYTHON_EMAIL_DATA/msg_*.txt (libpython3.11-testsuite)"
DUMP="$TOP_BUILDDIR/t/mime_dump"
[ -x "$DUMP" ] || fail "$DUMP not built (make)"

check "smtpproxy sees every attachment name Python's email package sees"
RC=0
timeout -k 5 120 "$PYTHON" "$TOP_SRCDIR/t/mime_diff.py" --dump "$DUMP" \
    --pydata "$PYTHON_EMAIL_DATA" --mutations 300 --seed 9 \
    --save "$WORK/disagree" >"$WORK/mime-diff.txt" 2>&1 || RC=$?
cat "$WORK/mime-diff.txt"
case $RC in
0) ok "no disagreement" ;;
1) fail "names Python sees and smtpproxy does not (listed above)" ;;
*) fail "t/mime_diff.py exit $RC" ;;
esac
