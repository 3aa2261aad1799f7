#!/usr/bin/env python3
"""Differential test of smtpproxy's MIME parser against Python's email.

For each message of the corpus, smtpproxy's reading is what t/mime_dump
prints (the streaming parser of src/mime.c, fed as the live proxy feeds
it); the readers it is compared with are Python's email package under
policy.default and under policy.compat32 (mail clients are built on
both kinds of parser): message_from_bytes, walk(), get_filename() and
get_content_type() of every part.

The rule (issue 9): every attachment name a reader sees must be among
the names smtpproxy reports for the message (a part's filename or one
of its altnames), part for part: n parts a reader names "a.exe" need n
parts smtpproxy names so. A name a reader sees and smtpproxy does not
is a disagreement and fails the test, unless smtpproxy refused the
message on its own (smtp:247 mime-limits or smtp:250 message/partial,
both "block" by default): that is "refused, safe". Content types that
differ are reported, not failed.

Names are compared as a file-type check sees them (src/filetype.c):
white space at both ends stripped (Python strips it), trailing dots and
spaces dropped (Windows drops them), control characters as "_" (as
src/mime_param.c writes them), ASCII case ignored, and only the last
100 characters kept (smtpproxy shortens a name over 255 bytes in its
middle and keeps its end). A name Python leaves folded is unfolded
(RFC 5322 §2.2.3). Bytes that are not UTF-8, on either side, compare
as U+FFFD.

Two details of the readers:
 - compat32's get_filename() leaves RFC 2047 encoded words as they are;
   an application on compat32 decodes them (email.header.decode_header)
   before it shows or saves the name, as mail clients decode them in
   parameters, so that reading is the one used (unknown charsets as ISO
   8859-1, undecodable bytes as U+FFFD). policy.default decodes them
   itself and its name is taken as it is, even where it left words it
   could not decode.
 - Python parses a message/rfc822 part sent base64 or quoted-printable
   without decoding it (the inner message is never seen); a mail client
   decodes it and shows the attachments inside. The driver adds that
   reading: such a part's body is decoded and parsed again, and the
   names inside count as the reader's ("rfc822" in the report).

A name that smtpproxy reports differently still agrees when the file-
type check cannot tell them apart: when both end in the same chain of
extensions (from the first dot of the last path component on: any
block_extensions entry matches both or neither, see filetype_ext_match),
or when the reader's name has no extension at all (no entry can match
it). Those are counted apart ("same extensions", "no extension") and
never fail; only a name whose extensions smtpproxy does not see fails.

Each disagreement is listed with a hint for whoever reads it, which
changes nothing in the verdict: "fewer parts" (smtpproxy has the name,
on fewer parts than the reader), "same extension" (a name smtpproxy
reports ends the same way, so an extension check agrees, a name check
does not), "reader odd" (the reader's name ends in no ".exe" where
smtpproxy's does: all the built samples' attachments end in ".exe").

Line ends: the live proxy's body layer hands the parser CRLF lines only;
a bare CR or bare LF in a message body is refused there (smtp:241)
before the parser matters. Files on disk usually have LF line ends, so
a file with LF-only (or mixed) line ends is converted to CRLF first, as
smtpproxy -t does; a file with a bare CR cannot be sent at all and is
skipped. Dot-stuffing is undone by the body layer: files hold messages
as they are meant, so nothing is to be done.

Usage:
    t/mime_diff.py --dump t/mime_dump [--pydata DIR] [--mutations N]
                   [--seed S] [--save DIR] [-v] [FILE ...]
The corpus is the FILEs, the msg_*.txt of --pydata (Python's own test
messages, Debian package libpython3.11-testsuite), the messages of
t/mime_corpus.py and N mutations of them all. --save DIR writes every
message that disagrees there, for mime_dump by hand. Exit status 0 if
no disagreement, 1 if any, 2 on an error.
"""

import argparse
import base64
import binascii
import collections
import email
import email.header
import email.policy
import glob
import json
import os
import quopri
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mime_corpus  # noqa: E402

REFUSING = {16: "smtp:247", 32: "smtp:250"}	# MIME_F_LIMITS, _PARTIAL
TAIL = 100


def normalise(name):
    """A name as a file-type check compares it (see the module doc)."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    else:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8",
                                                              "replace")
    name = re.sub(r"\r?\n(?=[ \t])", "", name)	# RFC 5322 unfolding
    name = "".join("_" if ord(c) < 0x20 or ord(c) == 0x7f else c
                   for c in name).strip().rstrip(". ")
    name = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in name)
    return name[-TAIL:]


def crlf(data):
    """The message as the body layer hands it on, or None (bare CR)."""
    if b"\r" in data.replace(b"\r\n", b""):
        return None
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


# --- smtpproxy's reading -------------------------------------------------

def smtpproxy_read(dump, data):
    p = subprocess.run([dump], input=data, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("mime_dump exit %d: %s" % (
            p.returncode, p.stderr.decode(errors="replace").strip()))
    parts, summary = [], None
    for line in p.stdout.split(b"\n"):
        if not line:
            continue
        o = json.loads(line.decode("utf-8", "surrogateescape"))
        if "index" in o:
            parts.append(o)
        else:
            summary = o
    if summary is None:
        raise RuntimeError("mime_dump printed no summary")
    return parts, summary


def part_names(p):
    return [n for n in [p["filename"]] + p["altnames"] if n]


# --- Python's readings ---------------------------------------------------

def decode_2047(name):
    """A name as a mail client shows it: RFC 2047 encoded words left in
    it decoded, bytes a charset does not take as U+FFFD, an unknown
    charset read as ISO 8859-1."""
    if "=?" not in name:
        return name
    try:
        words = email.header.decode_header(name)
    except (binascii.Error, ValueError, UnicodeError):
        return name
    out = []
    for text, charset in words:
        if isinstance(text, str):
            out.append(text)
            continue
        try:
            out.append(text.decode(charset or "ascii", "replace"))
        except LookupError:
            out.append(text.decode("latin-1"))
    return "".join(out)


def encoded_rfc822(part):
    """The decoded inner message of an encoded message/rfc822, or None."""
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if cte not in ("base64", "quoted-printable"):
        return None
    payload = part.get_payload()
    if not isinstance(payload, list) or not payload:
        return None
    raw = payload[0].as_bytes(policy=email.policy.compat32.clone(
        linesep="\n", max_line_length=0))
    try:
        if cte == "base64":
            return base64.b64decode(raw)
        return quopri.decodestring(raw)
    except (binascii.Error, ValueError):
        return None


def python_read(data, policy, depth=0):
    """[(name, how)] and [type] of the leaf parts one reader sees."""
    msg = email.message_from_bytes(data, policy=policy)
    names, types = [], []
    for part in msg.walk():
        ctype = part.get_content_type()
        if not part.is_multipart():
            types.append(ctype)
        name = part.get_filename()
        if name is not None:
            name = str(name)
            if policy is email.policy.compat32:
                name = decode_2047(name)
            names.append((name, "rfc822" if depth else "walk"))
        if ctype == "message/rfc822" and depth < 5:
            inner = encoded_rfc822(part)
            if inner is not None:
                n, _ = python_read(inner, policy, depth + 1)
                names.extend((x, "rfc822") for x, _ in n)
    return names, types


READERS = [("default", email.policy.default),
           ("compat32", email.policy.compat32)]


# --- comparison ----------------------------------------------------------

def ext_chain(n):
    """What an extension check reads of a normalised name: the text
    from the first dot of its last path component on, or ""."""
    base = re.split(r"[/\\]", n)[-1]
    return base[base.index("."):] if "." in base else ""


def match(py_names, sp_parts, key=normalise):
    """Bipartite matching of the reader's (name, how) to smtpproxy's
    parts (a part may carry the name as filename or as an altname),
    names compared by key; returns the (key, as written, how) left
    without a part."""
    want = [(key(n), n, how) for n, how in py_names]
    sp_sets = [set(key(n) for n in part_names(p)) for p in sp_parts]
    owner = {}		# smtpproxy part -> index in want

    def augment(i, seen):
        for j, s in enumerate(sp_sets):
            if want[i][0] in s and j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return [w for i, w in enumerate(want) if not augment(i, set())]


class Totals:
    def __init__(self):
        self.c = collections.Counter()
        self.disagree = []	# (id, reader, name, how, sp names, seen)
        self.types = []		# (id, reader, python types, sp types)
        self.errors = []


def check(sid, data, dump, tot, verbose):
    msg = crlf(data)
    if msg is None:
        tot.c["skipped (bare CR)"] += 1
        return False
    tot.c["messages"] += 1
    parts, summary = smtpproxy_read(dump, msg)
    refused = [REFUSING[f] for f in REFUSING if summary["flags"] & f]
    sp_all = sorted(set(n for p in parts for n in part_names(p)))
    tot.c["names smtpproxy"] += sum(len(part_names(p)) for p in parts)
    bad = False
    for rname, policy in READERS:
        try:
            names, types = python_read(msg, policy)
        except Exception as e:  # a reader that fails sees nothing
            tot.errors.append((sid, rname, repr(e)))
            tot.c["python errors " + rname] += 1
            continue
        tot.c["names python " + rname] += len(names)
        tot.c["names python %s rfc822" % rname] += sum(
            1 for _, how in names if how == "rfc822")
        missed = match(names, parts)
        tot.c["matched " + rname] += len(names) - len(missed)
        if missed:
            left = [(orig, how) for _, orig, how in missed]
            noext = [(n, h) for n, h in left if not ext_chain(normalise(n))]
            left = [(n, h) for n, h in left if ext_chain(normalise(n))]
            still = match(left, parts,
                          key=lambda n: ext_chain(normalise(n)))
            tot.c["no extension " + rname] += len(noext)
            tot.c["same extensions " + rname] += len(left) - len(still)
            missed = [(normalise(orig), orig, how)
                      for _, orig, how in still]
        if missed and refused:
            tot.c["refused-safe " + rname] += len(missed)
        elif missed:
            tot.c["disagreements " + rname] += len(missed)
            for n, orig, how in missed:
                tot.disagree.append((sid, rname, orig, how, sp_all,
                                     hint(n, sp_all)))
            bad = True
        sp_types = [p["type"] for p in parts if not p["enclosed"]]
        if collections.Counter(types) != collections.Counter(sp_types):
            tot.c["type mismatches " + rname] += 1
            tot.types.append((sid, rname, types, sp_types))
    if verbose:
        print("%s: parts=%d flags=%s%s" % (sid, len(parts), summary["names"],
              " DISAGREE" if bad else ""))
    return bad


def ext(n):
    return n.rpartition(".")[2] if "." in n else ""


def hint(n, sp_names):
    """What a reader of the report wants to know about a missed name."""
    sp = set(normalise(x) for x in sp_names)
    if n in sp:
        return "fewer parts"
    if ext(n) and ext(n) in set(ext(x) for x in sp):
        return "same extension"
    if not n.endswith(".exe") and any(x.endswith(".exe") for x in sp):
        return "reader odd"
    return ""


def kind(sid):
    """The group of a message id in the report: "k1" ... "py", "mut"."""
    return sid.split("-", 1)[0] if not sid.startswith("mut") else "mut"


def short(s, n=90):
    s = repr(s)
    return s if len(s) <= n else s[:n // 2] + "..." + s[-n // 2:]


def report(tot):
    out = sys.stdout
    if tot.disagree:
        out.write("\nDisagreements (message, reader, name the reader "
                  "sees, names smtpproxy reports):\n")
        for sid, rname, name, how, sp, h in tot.disagree:
            out.write("  %s [%s%s] %s -> smtpproxy %s%s\n" % (
                sid, rname, "/rfc822" if how == "rfc822" else "",
                short(name), short(sp, 160) if sp else "[]",
                " (%s)" % h if h else ""))
        by = collections.Counter((kind(d[0]), d[1]) for d in tot.disagree)
        msgs = collections.Counter(kind(k) for k in
                                   set(d[0] for d in tot.disagree))
        out.write("\nDisagreements by group (messages; names for "
                  "default, compat32):\n")
        for k in sorted(msgs):
            out.write("  %-4s %4d; %4d, %4d\n" % (
                k, msgs[k], by[(k, "default")], by[(k, "compat32")]))
    if tot.types:
        out.write("\nContent types that differ (reported, not failed): "
                  "%d; the first 15:\n" % len(tot.types))
        for sid, rname, pt, st in tot.types[:15]:
            out.write("  %s [%s] python %s smtpproxy %s\n" % (
                sid, rname, short(pt, 120), short(st, 120)))
    if tot.errors:
        out.write("\nPython reader errors (%d):\n" % len(tot.errors))
        for e in tot.errors[:10]:
            out.write("  %s [%s] %s\n" % e)
    c = tot.c
    out.write("\nTotals:\n  messages %d (skipped, bare CR: %d)\n"
              "  names seen by smtpproxy %d\n" % (
                  c["messages"], c["skipped (bare CR)"],
                  c["names smtpproxy"]))
    for rname, _ in READERS:
        out.write("  %-8s names seen by Python %d (inside encoded "
                  "message/rfc822: %d), matched %d, same extensions %d, "
                  "no extension %d, refused-safe %d, disagreements %d\n" % (
                      rname, c["names python " + rname],
                      c["names python %s rfc822" % rname],
                      c["matched " + rname], c["same extensions " + rname],
                      c["no extension " + rname], c["refused-safe " + rname],
                      c["disagreements " + rname]))


def main(argv):
    ap = argparse.ArgumentParser(
        description="smtpproxy's MIME parser against Python's email")
    ap.add_argument("--dump", required=True, help="the mime_dump program")
    ap.add_argument("--pydata", help="directory of Python's msg_*.txt")
    ap.add_argument("--mutations", type=int, default=300)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--no-built", action="store_true",
                    help="leave out the messages of mime_corpus.py")
    ap.add_argument("--save", help="write disagreeing messages here")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args(argv)

    corpus = []
    for f in a.files:
        with open(f, "rb") as fp:
            corpus.append((os.path.basename(f), fp.read()))
    if a.pydata:
        for f in sorted(glob.glob(os.path.join(a.pydata, "msg_*.txt"))):
            with open(f, "rb") as fp:
                corpus.append(("py-" + os.path.basename(f), fp.read()))
    if not a.no_built:
        corpus += mime_corpus.built()
    sources = [(sid, m) for sid, m in ((s, crlf(d)) for s, d in corpus)
               if m is not None]
    corpus += mime_corpus.mutate(sources, a.mutations, a.seed)

    tot = Totals()
    bad = []
    for sid, data in corpus:
        try:
            if check(sid, data, a.dump, tot, a.verbose):
                bad.append((sid, data))
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            print("mime_diff: %s: %s" % (sid, e), file=sys.stderr)
            return 2
    if a.save and bad:
        os.makedirs(a.save, exist_ok=True)
        for sid, data in bad:
            with open(os.path.join(a.save, sid[:200] + ".eml"), "wb") as f:
                f.write(data)
    report(tot)
    if bad:
        print("\nFAIL: %d messages with names Python sees and smtpproxy "
              "does not" % len(bad))
        return 1
    print("\nok: smtpproxy sees every name Python sees")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
