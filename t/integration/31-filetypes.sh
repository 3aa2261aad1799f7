#!/bin/bash
# 31-filetypes (SPEC §4.5): each file type rule through the proxy, one
# message per session, relayed to recorder.py. A refused message gets
# "554 5.7.1 Attachment "NAME" (TYPE) not allowed" and is not delivered;
# an accepted one is delivered once, byte for byte.
#  1. block_extensions = { "exe", ".SCR", "tar.gz" } alone: in any case,
#     the last of a double extension, a trailing dot and space, the
#     Content-Type name, RFC 2231 (continuations, charset) and RFC 2047
#     names, "tar.gz" as two extensions (logs.gz passes); a PE named
#     notes.txt passes (names only);
#  2. block_types = { "executable" }: PE and ELF named .txt, base64 and
#     quoted-printable, unnamed, inside a zip, inside a zip inside a zip,
#     inside a message/rfc822 part, and a PE that swaks attaches; text,
#     PDF, a zip of text, a "#!" script and an encrypted zip pass;
#  3. block_types = { "script" }: "#!" text named .txt, a .js file; a PE
#     passes;
#  4. block_types = { "archive" }: a zip of text files, a zip holding a PE;
#  5. block_encrypted_archives = true: a zip with a password; a plain
#     zip passes;
#  6. reply = "...%n...%t...%%": the configured refusal text;
#  7. filetypes { enabled = false } (every rule listed, spool_dir that
#     does not exist): everything is delivered.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "$(dirname "$0")/lib.sh"

FX="$WORK/fx"
"$PYTHON" "$INTEGRATION_DIR/mkfixtures.py" "$FX" || fail "mkfixtures.py failed"
mkdir -m 700 "$WORK/spool"

start_recorder
free_port PROXY_PORT
base="listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/spool\""

N=0
one() { one_message "$@"; }

# refused FIXTURE NAME-REGEX TYPE
refused() {
	one "$1" "^554 5\\.7\\.1 Attachment \"$2\" \\($3\\) not allowed\$"
}

accepted() {
	one "$1" '^250 2\.0\.0 Ok: queued as [0-9]+$'
}

# ---------------------------------------------------------------------
check "1: block_extensions"
start_proxy "$base
filetypes {
	enabled = true
	block_extensions = { \"exe\", \".SCR\", \"tar.gz\" }
}"
refused ext-double 'invoice\.pdf\.exe' exe
refused ext-upper 'REPORT\.EXE' exe
refused ext-trailing-dot 'a\.exe\. ' exe
refused ext-ctname 'setup\.scr' scr
refused ext-rfc2231 '[^"]*-invoice\.exe' exe
refused ext-rfc2047 'rapport-[^"]*\.exe' exe
refused exe-b64 'program\.exe' exe
refused ext-targz 'backup\.TAR\.GZ' '[tT][aA][rR]\.[gG][zZ]'
accepted ext-gz
accepted exe-renamed
accepted clean
accepted plain
wait_log 'event=attachment-refused attachment="invoice\.pdf\.exe" type=exe'

# ---------------------------------------------------------------------
check "2: block_types executable"
start_proxy "$base
filetypes {
	enabled = true
	block_types = { \"executable\" }
}"
refused exe-b64 'program\.exe' executable
refused exe-renamed 'notes\.txt' executable
refused elf-renamed 'notes\.txt' executable
refused exe-qp 'data\.bin' executable
refused exe-noname '[^"]*' executable
refused exe-zip 'files\.zip[^"]*' executable
refused elf-zip 'tools\.zip[^"]*' executable
refused exe-nested-zip 'outer\.zip[^"]*' executable
refused exe-rfc822 '[^"]*inner\.bin' executable
accepted clean
accepted clean-qp
accepted archive
accepted script-content
[ -e "$FX/encrypted.wire" ] && accepted encrypted
accepted plain
wait_log 'event=attachment-refused attachment="[^"]*inner\.bin" type=executable'
# swaks builds the MIME itself ("Content-Transfer-Encoding: BASE64").
msgs=$(rec_msgs)
require_cmd swaks swaks
note "--- swaks swaks-pe (refused: swaks exits non-zero)"
st=0
timeout -k 5 60 swaks --server "127.0.0.1:$PROXY_PORT" --helo client.test \
    --timeout 20 --from swaks-pe@example.com --to rcpt@example.net \
    --attach-type application/octet-stream --attach-name setup.dat \
    --attach "@$FX/pe.exe" >"$WORK/swaks-pe.out" 2>&1 </dev/null || st=$?
sed 's/^/    /' "$WORK/swaks-pe.out"
[ "$st" -ne 0 ] || fail "swaks-pe: swaks says the message was accepted"
assert_grep "$WORK/swaks-pe.out" \
    '^<\*\* +554 5\.7\.1 Attachment "setup\.dat" \(executable\) not allowed$' \
    "swaks-pe transcript"
swaks_run swaks-text --from swaks-text@example.com --to rcpt@example.net \
    --attach-type text/plain --attach-name minutes.txt \
    --attach "@$FX/notes-real.txt"
assert_grep "$WORK/swaks-text.out" '^<- +250 2\.0\.0 Ok: queued as [0-9]+$' \
    "swaks-text transcript"
wait_until 10 rec_has $((msgs + 1)) || fail "swaks-text: not delivered"
assert_eq $((msgs + 1)) "$(rec_msgs)" "messages at the upstream"
assert_grep "$REC_DIR/events" '^msg=[0-9]+ conn=[0-9]+ from=<swaks-text@' \
    "upstream events"

# ---------------------------------------------------------------------
check "3: block_types script"
start_proxy "$base
filetypes {
	enabled = true
	block_types = { \"SCRIPT\" }
}"
refused script-content 'install\.txt' script
refused script-name 'run\.js' script
accepted exe-b64
accepted clean

# ---------------------------------------------------------------------
check "4: block_types archive"
start_proxy "$base
filetypes {
	enabled = true
	block_types = { \"archive\" }
}"
refused archive 'docs\.zip' archive
refused exe-zip 'files\.zip' archive
accepted clean
accepted exe-renamed

# ---------------------------------------------------------------------
check "5: block_encrypted_archives"
if [ -e "$FX/encrypted.wire" ]; then
	start_proxy "$base
filetypes {
	enabled = true
	block_encrypted_archives = true
}"
	refused encrypted 'secret\.zip' encrypted-archive
	accepted archive
	accepted clean
else
	note "zip(1) not found (Debian package zip): encrypted archive not checked"
fi

# ---------------------------------------------------------------------
check "6: reply"
start_proxy "$base
filetypes {
	enabled = true
	block_types = { \"executable\" }
	reply = \"No %t files here (%n), 100%% sure\"
}"
one exe-renamed '^554 5\.7\.1 No executable files here \(notes\.txt\), 100% sure$'

# ---------------------------------------------------------------------
check "7: filetypes { enabled = false }: every attachment passes"
start_proxy "listen = { \"127.0.0.1:$PROXY_PORT\" }
mode = \"relay\"
upstream = \"127.0.0.1:$REC_PORT\"
spool_dir = \"$WORK/no-such-dir\"
filetypes {
	enabled = false
	block_extensions = { \"exe\", \"scr\", \"js\", \"zip\" }
	block_types = { \"executable\", \"script\", \"archive\" }
	block_encrypted_archives = true
}"
for fx in exe-b64 exe-renamed elf-renamed exe-zip exe-nested-zip \
    exe-rfc822 ext-double ext-rfc2231 script-content script-name archive \
    clean; do
	accepted "$fx"
done
[ -e "$FX/encrypted.wire" ] && accepted encrypted
assert_no_grep "$PROXY_LOG" 'attachment-refused|verdict=reject' "proxy log"
check_proxy_alive
pass
