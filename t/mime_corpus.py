"""Messages for the MIME differential test (t/mime_diff.py).

built() returns the messages made for the kinds of bypass of issue 9,
each as (id, bytes); the id starts with the kind ("k1-" ... "k11-", "kx-"
for the shapes that are no single kind). Every attachment in them has a
name ending in ".exe", so a name one reader misses is plain to see.
mutate(messages, count, seed) derives further messages from any corpus
by small edits mail software makes or attackers try (swapped, repeated
or folded header lines, a lost empty line after a header, boundary
suffixes, names re-encoded in other charsets, case changes), the same
ones for the same seed.

Run as a script to write the built messages (and their mutations) to a
directory for reading or for mime_dump by hand:
    python3 t/mime_corpus.py DIR [--mutations N] [--seed S]
"""

import base64
import io
import quopri
import random
import re
import sys
import urllib.parse
import zipfile

CRLF = b"\r\n"

# The start of a PE file: enough for a reader (and libclamav) to call it
# an executable, small enough to keep the messages short.
PE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
      + b"\xb8" + b"\x00" * 43 + b"\x40\x00\x00\x00"
      + b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
      + b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 7
      + b"PE\x00\x00\x4c\x01\x03\x00")


def b64(data, width=76):
    s = base64.b64encode(data)
    return CRLF.join(s[i:i + width] for i in range(0, len(s), width))


def lines(*ls):
    """Header or body lines (str or bytes) joined with CRLF, CRLF ended."""
    out = b""
    for line in ls:
        out += (line.encode("latin-1") if isinstance(line, str)
                else line) + CRLF
    return out


TOP = lines("From: sender@example.org", "To: rcpt@example.net",
            "Subject: differential sample", "Date: Mon, 1 Jan 2024 "
            "00:00:00 +0000", "Message-ID: <diff@example.org>",
            "MIME-Version: 1.0")


def exe_part(*hdrs, body=None, cte="base64"):
    """A part: its header lines, an empty line, a PE in base64."""
    h = list(hdrs)
    if cte:
        h.append("Content-Transfer-Encoding: " + cte)
    return lines(*h) + CRLF + (b64(PE) + CRLF if body is None else body)


def text_part(text="Hello.", ctype="text/plain; charset=us-ascii"):
    return lines("Content-Type: " + ctype) + CRLF + lines(text)


def multipart(boundary, parts, subtype="mixed", top=True, extra=()):
    """A multipart (a whole message if top) of already built parts."""
    out = TOP if top else b""
    out += lines('Content-Type: multipart/%s; boundary="%s"'
                 % (subtype, boundary), *extra) + CRLF
    out += lines("This is a multi-part message in MIME format.")
    for p in parts:
        out += b"--" + boundary.encode() + CRLF + p
    return out + b"--" + boundary.encode() + b"--" + CRLF


def att(name, ctype="application/octet-stream"):
    """The usual attachment part for name."""
    return exe_part('Content-Type: %s; name="%s"' % (ctype, name),
                    'Content-Disposition: attachment; filename="%s"' % name)


# --- RFC 2047 and RFC 2231 encodings of a name --------------------------

def enc_2047(name, charset, mode="b", codec=None):
    raw = name.encode(codec or charset) if isinstance(name, str) else name
    if mode == "b":
        text = base64.b64encode(raw).decode()
    else:
        text = "".join(chr(c) if (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5a or
                                  0x61 <= c <= 0x7a) else "=%02X" % c
                       for c in raw)
    return "=?%s?%s?%s?=" % (charset, mode.upper(), text)


def enc_2231(name, charset, codec=None):
    raw = name.encode(codec or charset) if isinstance(name, str) else name
    return "%s''%s" % (charset, urllib.parse.quote(raw, safe=""))


# UTF-7 with every character in base64, so no ASCII "exe" shows through.
def utf7_all(name):
    return ("+" + base64.b64encode(name.encode("utf-16-be"))
            .decode().rstrip("=") + "-").encode()


CHARSETS = [  # (label in the message, Python codec)
    ("utf-16le", "utf-16-le"), ("UTF-16BE", "utf-16-be"),
    ("utf-16", "utf-16"), ("utf-32", "utf-32"), ("UTF-32LE", "utf-32-le"),
    ("utf-32be", "utf-32-be"), ("ibm500", "cp500"), ("cp037", "cp037"),
    ("iso-2022-jp", "iso-2022-jp"), ("shift_jis", "shift_jis"),
    ("gb18030", "gb18030"), ("koi8-r", "koi8-r"), ("iso-8859-1", "latin-1"),
    ("windows-1252", "cp1252"), ("utf-8", "utf-8"), ("big5", "big5"),
]


# --- the kinds of issue 9 ------------------------------------------------

def kind1():
    """Header sections without their empty line."""
    B = "BB1"
    a = att("k1-first.exe")
    yield "k1-top-into-boundary", (
        TOP + lines('Content-Type: multipart/mixed; boundary="%s"' % B)
        + b"--" + B.encode() + CRLF + a + lines("--" + B + "--"))
    yield "k1-top-into-text", (
        TOP + lines('Content-Type: multipart/mixed; boundary="%s"' % B,
                    "This is a multi-part message in MIME format.", "")
        + b"--" + B.encode() + CRLF + a + lines("--" + B + "--"))
    yield "k1-top-into-badfield", (
        TOP + lines('Content-Type: multipart/mixed; boundary="%s"' % B,
                    "Bad field: no", "") + b"--" + B.encode() + CRLF + a
        + lines("--" + B + "--"))
    # A part header that runs into the next boundary: the part is empty
    # for a reader, the next part is a part of its own.
    yield "k1-part-into-boundary", multipart(B, [
        lines("Content-Type: text/plain"), att("k1-second.exe")])
    yield "k1-part-into-boundary-named", multipart(B, [
        lines('Content-Type: application/octet-stream; name="k1-a.exe"'),
        att("k1-b.exe")])
    # A part header that runs into a line that is no field, then a
    # boundary: readers end the header at the line.
    yield "k1-part-into-text", multipart(B, [
        lines("Content-Type: text/plain", "hello there", ""),
        att("k1-third.exe")])
    yield "k1-part-into-base64", multipart(B, [
        lines('Content-Type: application/octet-stream; name="k1-b64.exe"',
              "Content-Transfer-Encoding: base64") + b64(PE) + CRLF,
        att("k1-after.exe")])
    # The same one level down.
    inner = multipart("CC1", [lines("Content-Type: text/plain"),
                              att("k1-inner.exe")], top=False)
    yield "k1-nested-into-boundary", multipart(B, [text_part(), inner])
    inner = (lines('Content-Type: multipart/mixed; boundary="CC1"')
             + lines("--CC1") + att("k1-inner2.exe") + lines("--CC1--"))
    yield "k1-nested-top-into-boundary", multipart(B, [text_part(), inner])
    # A line with a space before the colon is no field for Python.
    yield "k1-part-into-spacecolon", multipart(B, [
        lines("Content-Type: text/plain", "X Note : looks like a field"),
        att("k1-fourth.exe")])
    # A header that runs into the end of the message.
    yield "k1-top-no-body", TOP + lines(
        'Content-Type: application/octet-stream; name="k1-only.exe"',
        'Content-Disposition: attachment; filename="k1-only.exe"')


def kind2():
    """Names in charsets that are not ASCII supersets, or broken."""
    B = "BB2"
    for label, codec in CHARSETS:
        n = "k2-%s.exe" % label.lower()
        yield "k2-2047-b-" + label.lower(), multipart(B, [text_part(),
            exe_part('Content-Type: application/octet-stream; name="%s"'
                     % enc_2047(n, label, codec=codec),
                     'Content-Disposition: attachment; filename="%s"'
                     % enc_2047(n, label, codec=codec))])
        yield "k2-2231-" + label.lower(), multipart(B, [text_part(),
            exe_part("Content-Type: application/octet-stream",
                     "Content-Disposition: attachment; filename*=%s"
                     % enc_2231(n, label, codec=codec))])
    n = "k2-utf16q.exe"
    yield "k2-2047-q-utf16le", multipart(B, [text_part(), exe_part(
        "Content-Type: application/octet-stream",
        'Content-Disposition: attachment; filename="%s"'
        % enc_2047(n, "utf-16le", "q", "utf-16-le"))])
    yield "k2-2047-ctname-utf16be", multipart(B, [text_part(), exe_part(
        'Content-Type: application/octet-stream; name="%s"'
        % enc_2047("k2-ct16.exe", "utf-16be", codec="utf-16-be"))])
    yield "k2-2231-ctname-utf32", multipart(B, [text_part(), exe_part(
        "Content-Type: application/octet-stream; name*=%s"
        % enc_2231("k2-ct32.exe", "utf-32"))])
    u7 = utf7_all("k2-utf7.exe")
    yield "k2-2047-utf7", multipart(B, [text_part(), exe_part(
        "Content-Type: application/octet-stream",
        'Content-Disposition: attachment; filename="%s"'
        % enc_2047(u7, "utf-7"))])
    yield "k2-2231-utf7", multipart(B, [text_part(), exe_part(
        "Content-Type: application/octet-stream",
        "Content-Disposition: attachment; filename*=%s"
        % enc_2231(u7, "UTF-7"))])
    for cs in ("x-unknown", "klingon", "utf-9"):
        yield "k2-2047-unknown-" + cs, multipart(B, [text_part(), exe_part(
            "Content-Type: application/octet-stream",
            'Content-Disposition: attachment; filename="%s"'
            % enc_2047(b"k2-unk.exe", cs))])
        yield "k2-2231-unknown-" + cs, multipart(B, [text_part(), exe_part(
            "Content-Type: application/octet-stream",
            "Content-Disposition: attachment; filename*=%s"
            % enc_2231(b"k2-unk.exe", cs))])
    for label, raw in (("utf8-ff", b"k2-bad\xff.exe"),
                       ("utf8-overlong", b"k2-\xc0\xaebad.exe"),
                       ("utf16-odd", "k2-odd.exe".encode("utf-16-le")
                        + b"\x00"),
                       ("utf8-surrogate", b"k2-\xed\xa0\x80.exe")):
        cs = "utf-16le" if label.startswith("utf16") else "utf-8"
        yield "k2-2047-invalid-" + label, multipart(B, [text_part(),
            exe_part("Content-Type: application/octet-stream",
                     'Content-Disposition: attachment; filename="%s"'
                     % enc_2047(raw, cs))])
        yield "k2-2231-invalid-" + label, multipart(B, [text_part(),
            exe_part("Content-Type: application/octet-stream",
                     "Content-Disposition: attachment; filename*=%s"
                     % enc_2231(raw, cs))])
    # Raw 8-bit bytes in a quoted name (no encoding at all).
    yield "k2-raw-latin1", multipart(B, [text_part(), exe_part(
        "Content-Type: application/octet-stream",
        b'Content-Disposition: attachment; filename="k2-r\xe9sum\xe9.exe"')])
    yield "k2-raw-utf16", multipart(B, [text_part(), exe_part(
        "Content-Type: application/octet-stream",
        b'Content-Disposition: attachment; filename="'
        + "k2-raw16.exe".encode("utf-16-le") + b'"')])
    # Two encoded words, the split inside a UTF-16 code unit.
    raw = "k2-split.exe".encode("utf-16-le")
    yield "k2-2047-split-utf16", multipart(B, [text_part(), exe_part(
        "Content-Type: application/octet-stream",
        'Content-Disposition: attachment; filename="%s %s"'
        % (enc_2047(raw[:5], "utf-16le"), enc_2047(raw[5:], "utf-16le")))])
    # RFC 2231 with a language, and the charset in continuations.
    yield "k2-2231-lang-utf16", multipart(B, [text_part(), exe_part(
        "Content-Type: application/octet-stream",
        "Content-Disposition: attachment;",
        " filename*0*=utf-16le'en'%s;" % urllib.parse.quote(
            "k2-lang".encode("utf-16-le")),
        " filename*1*=%s" % urllib.parse.quote(
            ".exe".encode("utf-16-le")))])


def kind3():
    """Long names."""
    B = "BB3"
    for n in (990, 1200, 5000):
        name = "k3-" + "A" * n + ".exe"
        yield "k3-physical-%d" % n, multipart(B, [text_part(), exe_part(
            "Content-Type: application/octet-stream",
            'Content-Disposition: attachment; filename="%s"' % name)])
        yield "k3-ctname-physical-%d" % n, multipart(B, [text_part(),
            exe_part('Content-Type: application/octet-stream; name="%s"'
                     % name)])
    for total in (70000, 140000):
        # RFC 2231 continuations, one per folded line.
        secs = total // 60
        h = ["Content-Type: application/octet-stream",
             "Content-Disposition: attachment;"]
        h += [' filename*%d="%s";' % (i, "B" * 60) for i in range(secs)]
        h.append(' filename*%d="k3-end.exe"' % secs)
        yield "k3-folded-2231-%d" % total, multipart(B, [text_part(),
                                                        exe_part(*h)])
        # One quoted string folded at spaces.
        words = ["C" * 70] * (total // 71)
        h = ["Content-Type: application/octet-stream",
             'Content-Disposition: attachment; filename="k3 '
             + "\r\n ".join(words) + '\r\n k3-tail.exe"']
        yield "k3-folded-quoted-%d" % total, multipart(B, [text_part(),
                                                          exe_part(*h)])
        # Encoded words, each on its own line.
        n = total // 40
        ws = [enc_2047("D" * 20, "utf-8")] * n
        h = ["Content-Type: application/octet-stream",
             'Content-Disposition: attachment; filename="'
             + "\r\n ".join(ws + [enc_2047("k3-ew.exe", "utf-8")]) + '"']
        yield "k3-folded-2047-%d" % total, multipart(B, [text_part(),
                                                        exe_part(*h)])
    for last in (127, 128, 200, 999, 1500):
        h = ["Content-Type: application/octet-stream",
             "Content-Disposition: attachment;"]
        h += [' filename*%d="s%d";' % (i, i) for i in range(last)]
        h.append(' filename*%d=".exe"' % last)
        yield "k3-2231-sections-%d" % last, multipart(B, [text_part(),
                                                         exe_part(*h)])
    # Sections out of order, the last written first.
    h = ["Content-Type: application/octet-stream",
         "Content-Disposition: attachment;", ' filename*130=".exe";']
    h += [' filename*%d="r%d";' % (i, i) for i in range(130)]
    yield "k3-2231-sections-reversed", multipart(B, [text_part(),
                                                     exe_part(*h)])
    # A long name in a part header with a long boundary line around it.
    name = "k3-" + "E" * 300 + ".exe"
    yield "k3-ctname-300", multipart(B, [text_part(), att(name)])


def kind4():
    """Content-Disposition with parameters but no (or a bad) type."""
    B = "BB4"
    cds = ['filename="k4-a.exe"', "filename=k4-b.exe", '; filename="k4-c.exe"',
           '"attachment"; filename="k4-d.exe"',
           'attachment filename="k4-e.exe"', '=; filename="k4-f.exe"',
           'inline/attachment; filename="k4-g.exe"',
           'attachment;; filename="k4-h.exe"', 'filename*=utf-8\'\'k4-i.exe',
           '(comment) filename="k4-j.exe"', ' ; name="k4-k.exe"',
           'attachment; filename ="k4-l.exe"',
           'attachment; filename= "k4-m.exe"',
           'attachment; FILENAME="k4-n.exe"', 'attachment; filename="k4-o.exe',
           'attachment; filename=k4 p.exe']
    for i, cd in enumerate(cds):
        yield "k4-cdisp-%02d" % i, multipart(B, [text_part(), exe_part(
            "Content-Type: application/octet-stream",
            "Content-Disposition: " + cd)])
    # The same forms in Content-Type.
    for i, ct in enumerate(['name="k4-ct-a.exe"', '; name="k4-ct-b.exe"',
                            'application/octet-stream name="k4-ct-c.exe"',
                            '"application/octet-stream"; name="k4-ct-d.exe"',
                            'application; name="k4-ct-e.exe"']):
        yield "k4-ctype-%02d" % i, multipart(B, [text_part(), exe_part(
            "Content-Type: " + ct)])


def zip_with(n_fillers, name):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(n_fillers):
            z.writestr("filler%03d.txt" % i, "x")
        z.writestr(name, PE)
    return buf.getvalue()


def kind5():
    """An archive whose executable comes after many members."""
    B = "BB5"
    for n in (255, 300):
        yield "k5-zip-%d" % n, multipart(B, [text_part(), exe_part(
            'Content-Type: application/zip; name="k5-%d.exe"' % n,
            'Content-Disposition: attachment; filename="k5-%d.exe"' % n,
            body=b64(zip_with(n, "k5-inner.exe")) + CRLF)])


def kind6():
    """Lines that begin with a boundary and go on."""
    B = "BB6"
    for i, junk in enumerate(["--junk", "cd", "-", "--", " x", "\tx", "--\tx",
                              "x--", "--BB6"]):
        yield "k6-suffix-%02d" % i, multipart(B, [
            text_part("before\r\n--%s%s\r\nafter" % (B, junk)),
            att("k6-after-%02d.exe" % i)])
    # Boundaries that are prefixes of each other, both ways.
    inner = multipart(B + "cd", [text_part(), att("k6-inner.exe")], top=False)
    yield "k6-inner-longer", multipart(B, [text_part(), inner,
                                           att("k6-outer.exe")])
    inner = multipart(B, [text_part(), att("k6-inner2.exe")], top=False)
    yield "k6-inner-shorter", multipart(B + "cd", [text_part(), inner,
                                                   att("k6-outer2.exe")])
    # Transport padding after a boundary, and a close delimiter with it.
    out = TOP + lines('Content-Type: multipart/mixed; boundary="%s"' % B)
    out += CRLF + lines("--" + B + "  ") + att("k6-pad.exe")
    out += lines("--" + B + "\t") + att("k6-pad2.exe")
    out += lines("--" + B + "-- ")
    yield "k6-padding", out
    # Case: a boundary line in another case is no boundary.
    yield "k6-case", multipart(B, [
        text_part("--bb6\r\nContent-Type: application/octet-stream; "
                  'name="k6-case-hidden.exe"\r\n'), att("k6-case.exe")])
    # A boundary parameter with trailing white space in its quotes.
    out = TOP + lines('Content-Type: multipart/mixed; boundary="%s "' % B)
    out += CRLF + lines("--" + B) + att("k6-ws.exe") + lines("--" + B + "--")
    yield "k6-param-trailing-space", out
    out = TOP + lines('Content-Type: multipart/mixed; boundary="%s "' % B)
    out += CRLF + lines("--" + B + " ") + att("k6-ws2.exe")
    out += lines("--" + B + " --")
    yield "k6-param-trailing-space-lines", out
    # Two boundary parameters.
    out = TOP + lines('Content-Type: multipart/mixed; boundary="X6"; '
                      'boundary="%s"' % B)
    out += CRLF + lines("--X6") + att("k6-dup-x.exe")
    out += lines("--" + B) + att("k6-dup-b.exe")
    out += lines("--" + B + "--", "--X6--")
    yield "k6-two-boundaries", out


def kind7():
    """Attached messages, encoded and not."""
    B = "BB7"
    inner = multipart("IN7", [text_part(), att("k7-inner.exe")])
    for cte in ("base64", "quoted-printable", "7bit", "8bit", "binary"):
        if cte == "base64":
            body = b64(inner) + CRLF
        elif cte == "quoted-printable":
            body = quopri.encodestring(inner.replace(CRLF, b"\n")) \
                .replace(b"\n", CRLF)
        else:
            body = inner
        yield "k7-rfc822-" + cte, multipart(B, [text_part(), lines(
            "Content-Type: message/rfc822",
            "Content-Transfer-Encoding: " + cte) + CRLF + body])
        yield "k7-rfc822-named-" + cte, multipart(B, [text_part(), lines(
            'Content-Type: message/rfc822; name="k7-fwd.exe"',
            'Content-Disposition: attachment; filename="k7-fwd.exe"',
            "Content-Transfer-Encoding: " + cte) + CRLF + body])
    yield "k7-eml-octet", multipart(B, [text_part(), lines(
        'Content-Type: application/octet-stream; name="k7-mail.exe"',
        "Content-Transfer-Encoding: base64") + CRLF + b64(inner) + CRLF])
    # Digest: message/rfc822 is the default type of its parts.
    yield "k7-digest", multipart(B, [CRLF + inner, CRLF + inner], "digest")
    # Two levels of encoded messages.
    outer = multipart("MID7", [text_part(), lines(
        "Content-Type: message/rfc822",
        "Content-Transfer-Encoding: base64") + CRLF + b64(inner) + CRLF])
    yield "k7-rfc822-base64-twice", multipart(B, [text_part(), lines(
        "Content-Type: message/rfc822",
        "Content-Transfer-Encoding: base64") + CRLF + b64(outer) + CRLF])
    # A whole message that is message/rfc822.
    yield "k7-top-rfc822", TOP + lines("Content-Type: message/rfc822") \
        + CRLF + inner


def kind8():
    """Executables sent as base64 text/plain."""
    B = "BB8"
    yield "k8-text-named", multipart(B, [text_part(), exe_part(
        'Content-Type: text/plain; name="k8-named.exe"',
        "Content-Disposition: attachment")])
    yield "k8-text-disp-named", multipart(B, [text_part(), exe_part(
        "Content-Type: text/plain",
        'Content-Disposition: attachment; filename="k8-disp.exe"')])
    yield "k8-text-unnamed", multipart(B, [text_part(), exe_part(
        "Content-Type: text/plain", "Content-Disposition: attachment")])
    yield "k8-text-inline-named", multipart(B, [text_part(), exe_part(
        "Content-Type: text/plain; charset=utf-8",
        'Content-Disposition: inline; filename="k8-inline.exe"')])
    yield "k8-top-text-named", TOP + exe_part(
        'Content-Type: text/plain; name="k8-top.exe"')
    yield "k8-html-named", multipart(B, [text_part(), exe_part(
        'Content-Type: text/html; name="k8-page.exe"')])


def kind9():
    """Line ends: the same shapes with LF only (the driver converts)."""
    for sid, m in [next(kind1()), next(kind6()), ("x", multipart(
            "BB9", [text_part(), att("k9-lf.exe")]))]:
        yield "k9-lf-" + sid, m.replace(CRLF, b"\n")
    # Mixed line ends: converted the same way.
    m = multipart("BB9", [text_part(), att("k9-mixed.exe")])
    yield "k9-mixed", m.replace(CRLF, b"\n", 3)
    # Bare CR: refused by the body layer (smtp:241); the driver skips it.
    yield "k9-cr-only", m.replace(CRLF, b"\r")


def kind10():
    """Many parts: up to the parts limit, and over it."""
    for n in (999, 1001):
        yield "k10-parts-%d" % n, multipart("BB10", [
            exe_part('Content-Type: application/octet-stream; '
                     'name="k10-%04d.exe"' % i, body=b"TVqQAA==\r\n")
            for i in range(n)])


def kind11():
    """Many findings in one message."""
    yield "k11-40", multipart("BB11", [att("k11-%02d.exe" % i)
                                       for i in range(40)])


def kindx():
    """Name sources that disagree, and other shapes."""
    B = "BBX"
    variants = [
        ('application/octet-stream; name="kx-ct.exe"',
         'attachment; filename="kx-cd.txt"'),
        ('application/octet-stream; name="kx-ct.txt"',
         'attachment; filename="kx-cd.exe"'),
        ("application/octet-stream",
         'attachment; filename="kx-a.txt"; filename="kx-b.exe"'),
        ("application/octet-stream",
         'attachment; filename="kx-c.exe"; filename="kx-d.txt"'),
        ("application/octet-stream",
         "attachment; filename=\"kx-e.txt\"; filename*=utf-8''kx-f.exe"),
        ("application/octet-stream",
         "attachment; filename*=utf-8''kx-g.txt; filename=\"kx-h.exe\""),
        ("application/octet-stream",
         "attachment; filename*=utf-8''kx-i.exe; filename*0=\"kx-j.txt\""),
        ("application/octet-stream",
         'attachment; filename*0="kx-k"; filename*1=".exe"; '
         'filename="kx-k.txt"'),
        ('application/octet-stream; name="kx-l.txt"; name="kx-m.exe"', None),
        ("application/octet-stream; name*=utf-8''kx-n.exe; "
         'name="kx-o.txt"', 'attachment; filename="kx-p.txt"'),
        ("application/octet-stream",
         'attachment; filename="kx-q.txt"\r\nContent-Disposition: '
         'attachment; filename="kx-r.exe"'),
        ('application/octet-stream; name="kx-s.txt"\r\nContent-Type: '
         'application/x-msdownload; name="kx-t.exe"', None),
        ("application/octet-stream",
         'attachment; filename="kx-u.exe\\"; x=".txt"'),
        ("application/octet-stream",
         'attachment; filename="kx-v\\.exe"'),
        ("application/octet-stream",
         'attachment; filename="kx-w.exe  "'),
        ("application/octet-stream",
         'attachment; filename="  kx-x.exe"'),
        ("application/octet-stream",
         'attachment; filename="kx-y.exe."'),
        ("application/octet-stream",
         'attachment; filename="kx-z.EXE"'),
        ("application/octet-stream",
         'attachment; filename="kx-tab\tname.exe"'),
        ("application/octet-stream",
         'attachment; filename="dir/sub\\\\kx-path.exe"'),
        ("application/octet-stream",
         "attachment; filename=\"=?utf-8?q?kx-ew.txt?=\"; "
         "filename*=utf-8''kx-ew.exe"),
        ("application/octet-stream",
         "attachment; filename==?utf-8?b?a3gtdW5xdW90ZWQuZXhl?="),
    ]
    for i, (ct, cd) in enumerate(variants):
        h = ["Content-Type: " + ct]
        if cd is not None:
            h.append("Content-Disposition: " + cd)
        yield "kx-names-%02d" % i, multipart(B, [text_part(), exe_part(*h)])
    # A part header with an encoded word split over a folded line.
    yield "kx-folded-ew", multipart(B, [text_part(), exe_part(
        "Content-Type: application/octet-stream",
        'Content-Disposition: attachment; filename="=?utf-8?q?kx-fold?=',
        ' =?utf-8?q?ed.exe?="')])
    # Part with a header line of only white space (a continuation).
    yield "kx-ws-line", multipart(B, [text_part(), exe_part(
        "Content-Type: application/octet-stream", " ",
        'Content-Disposition: attachment; filename="kx-ws.exe"')])
    # Message with no MIME-Version and a multipart anyway.
    yield "kx-no-mime-version", (
        TOP.replace(b"MIME-Version: 1.0\r\n", b"")
        + lines('Content-Type: multipart/mixed; boundary="%s"' % B) + CRLF
        + lines("--" + B) + att("kx-nomv.exe") + lines("--" + B + "--"))
    # Multipart with no close delimiter (message ends inside a part).
    yield "kx-no-close", multipart(B, [text_part(), att("kx-open.exe")]) \
        .rsplit(b"--" + B.encode() + b"--", 1)[0]
    # An unknown transfer encoding on the attachment.
    yield "kx-cte-unknown", multipart(B, [text_part(), exe_part(
        'Content-Type: application/octet-stream; name="kx-cte.exe"',
        cte="x-uuencode")])
    # Type given twice, the second multipart.
    yield "kx-ctype-twice", TOP + lines(
        'Content-Type: application/octet-stream; name="kx-twice.exe"',
        'Content-Type: multipart/mixed; boundary="%s"' % B) + CRLF + lines(
        "--" + B) + att("kx-twice-part.exe") + lines("--" + B + "--")


KINDS = [kind1, kind2, kind3, kind4, kind5, kind6, kind7, kind8, kind9,
         kind10, kind11, kindx]


def built():
    out = []
    for k in KINDS:
        out.extend(k())
    return out


# --- mutations -------------------------------------------------------------

def _split_lines(data):
    return data.split(b"\n")


def _header_blocks(ls):
    """(start, end) of each header block: the message's, and every one
    after a line that starts with "--" (a boundary, as far as a
    mutation needs to know); end is the index of the empty line."""
    starts = [0] + [i + 1 for i, l in enumerate(ls) if l.startswith(b"--")]
    blocks = []
    for s in starts:
        e = s
        while e < len(ls) and ls[e].rstrip(b"\r") != b"":
            e += 1
        if e < len(ls) and e > s and ls[e] == b"\r":
            blocks.append((s, e))
    return blocks


def _field_starts(ls, s, e):
    return [i for i in range(s, e) if ls[i][:1] not in (b" ", b"\t")
            and b":" in ls[i]]


def m_swap(ls, rnd):
    blocks = _header_blocks(ls)
    if not blocks:
        return None
    s, e = rnd.choice(blocks)
    f = _field_starts(ls, s, e)
    if len(f) < 2:
        return None
    i = rnd.randrange(len(f) - 1)
    a, b = f[i], f[i + 1]
    end_b = f[i + 2] if i + 2 < len(f) else e
    return ls[:a] + ls[b:end_b] + ls[a:b] + ls[end_b:]


def m_duplicate(ls, rnd):
    blocks = _header_blocks(ls)
    if not blocks:
        return None
    s, e = rnd.choice(blocks)
    f = _field_starts(ls, s, e)
    if not f:
        return None
    i = rnd.choice(f)
    j = i + 1
    while j < e and ls[j][:1] in (b" ", b"\t"):
        j += 1
    return ls[:j] + ls[i:j] + ls[j:]


def m_drop_empty(ls, rnd):
    blocks = _header_blocks(ls)
    if not blocks:
        return None
    s, e = rnd.choice(blocks)
    return ls[:e] + ls[e + 1:]


def m_boundary_suffix(ls, rnd):
    idx = [i for i, l in enumerate(ls) if l.startswith(b"--") and
           len(l.rstrip(b"\r")) > 2]
    if not idx:
        return None
    i = rnd.choice(idx)
    cr = b"\r" if ls[i].endswith(b"\r") else b""
    line = ls[i].rstrip(b"\r")
    suffix = rnd.choice([b"x", b" ", b"\t", b"--", b"-", b"--x", b" x",
                         b"  ", b"0"])
    return ls[:i] + [line + suffix + cr] + ls[i + 1:]


_NAME_RE = re.compile(rb'((?:file)?name)="([^"\r\n]{1,80})"', re.I)


def m_reencode(ls, rnd):
    idx = [i for i, l in enumerate(ls) if _NAME_RE.search(l)]
    if not idx:
        return None
    i = rnd.choice(idx)
    label, codec = rnd.choice(CHARSETS + [("utf-7", None)])

    def repl(mo):
        try:
            name = mo.group(2).decode("utf-8")
        except UnicodeDecodeError:
            return mo.group(0)
        if "=?" in name or "\\" in name:	# encoded already, or quoted-pairs
            return mo.group(0)
        raw = utf7_all(name) if codec is None else name.encode(codec)
        if rnd.random() < 0.5:
            return b'%s="%s"' % (mo.group(1), enc_2047(
                raw, label, rnd.choice("bq")).encode())
        return b"%s*=%s" % (mo.group(1), enc_2231(raw, label).encode())
    try:
        return ls[:i] + [_NAME_RE.sub(repl, ls[i], count=1)] + ls[i + 1:]
    except UnicodeEncodeError:
        return None


def m_fold(ls, rnd):
    blocks = _header_blocks(ls)
    if not blocks:
        return None
    s, e = rnd.choice(blocks)
    f = [i for i in _field_starts(ls, s, e) if b" " in ls[i] or b";" in
         ls[i]]
    if not f:
        return None
    i = rnd.choice(f)
    line = ls[i]
    cuts = [j for j in range(1, len(line) - 1) if line[j:j + 1] in
            (b" ", b";", b"=", b'"')]
    if not cuts:
        return None
    j = rnd.choice(cuts)
    if line[j:j + 1] == b" ":
        first, rest = line[:j], line[j:]
    else:
        first, rest = line[:j + 1], b" " + line[j + 1:]
    return ls[:i] + [first + b"\r", rest] + ls[i + 1:]


def m_case(ls, rnd):
    idx = [i for i, l in enumerate(ls) if re.match(
        rb"(?i)content-|--", l)]
    if not idx:
        return None
    i = rnd.choice(idx)
    line = ls[i]
    how = rnd.choice(("upper", "lower", "swap"))
    if line.startswith(b"--"):
        new = getattr(line, how if how != "swap" else "swapcase")()
    else:
        name, sep, rest = line.partition(b":")
        if rnd.random() < 0.5:
            new = getattr(name, how if how != "swap" else "swapcase")() \
                + sep + rest
        else:
            new = name + sep + re.sub(
                rb"(?i)(filename|name|boundary|charset|attachment|base64|"
                rb"utf-[0-9a-z]+)", lambda m: m.group(0).swapcase(), rest)
    return ls[:i] + [new] + ls[i + 1:]


MUTATORS = [m_swap, m_duplicate, m_drop_empty, m_boundary_suffix,
            m_reencode, m_fold, m_case]


def mutate(messages, count, seed=9, max_size=200000):
    """count messages derived from messages ((id, bytes) pairs, CRLF),
    each by one to three mutations; the same for the same seed."""
    rnd = random.Random(seed)
    pool = [(sid, m) for sid, m in messages if len(m) <= max_size and
            b"\r\n" in m]
    out = []
    tries = 0
    while len(out) < count and pool and tries < count * 20:
        tries += 1
        sid, m = rnd.choice(pool)
        ls = _split_lines(m)
        ops = []
        for _ in range(rnd.randint(1, 3)):
            f = rnd.choice(MUTATORS)
            new = f(ls, rnd)
            if new is not None:
                ls = new
                ops.append(f.__name__[2:])
        if not ops:
            continue
        out.append(("mut%03d-%s+%s" % (len(out), sid, ",".join(ops)),
                    b"\n".join(ls)))
    return out


def main(argv):
    import argparse
    import os
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--mutations", type=int, default=0)
    ap.add_argument("--seed", type=int, default=9)
    a = ap.parse_args(argv)
    os.makedirs(a.dir, exist_ok=True)
    ms = built()
    ms += mutate(ms, a.mutations, a.seed)
    for sid, m in ms:
        with open(os.path.join(a.dir, sid[:200] + ".eml"), "wb") as f:
            f.write(m)
    print("%d messages in %s" % (len(ms), a.dir))


if __name__ == "__main__":
    main(sys.argv[1:])
