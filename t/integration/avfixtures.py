#!/usr/bin/python3
"""Test signatures and messages for the anti-virus integration tests (40-49).

    avfixtures.py DIR                  signatures, files and messages, in DIR
    avfixtures.py --big SIZE FILE      a clean message of about SIZE bytes,
                                       FILE and FILE.wire
    avfixtures.py --big-eicar SIZE FILE  the same with eicar.com attached
                                       after the big attachment

Everything is generated at test time; not even the EICAR test string is
stored in this file as such (it is built from its hex form), so that no
anti-virus on a developer's machine takes the source tree for infected.

DIR gets:

    db/test.ndb       Eicar-Test-Signature: the 68-byte EICAR string,
                      anywhere in any file
    db/test.hdb       Test-File-Signature: the MD5 and size of testfile.bin
    new.hdb           New-File-Signature: the MD5 and size of newfile.bin,
                      for a reload (not in db/)
    broken.ndb        a signature file libclamav refuses to load
    eicar.com         the EICAR test file
    testfile.bin      4000 random bytes (a fixed seed)
    newfile.bin       3000 other random bytes
    eicar.zip         a zip holding eicar.com (deflated)
    nested.zip        a zip holding inner.zip, which holds eicar.com
    bomb.zip          zips nested 20 deep (over libclamav's recursion
                      limit of 17) around a clean text file

and each message NAME twice: NAME.eml (CRLF line ends) and NAME.wire,
dot-stuffed and followed by CRLF.CRLF, to send after DATA's 354:

    eicar-plain       the EICAR string as a line of the text body
    eicar-b64         eicar.com attached in base64
    eicar-qp          eicar.com attached in quoted-printable, every byte
                      encoded (=XX), so the string is not in the raw message
    eicar-zip         eicar.zip attached
    eicar-nested-zip  nested.zip attached
    eicar-rfc822      a message/rfc822 part whose message has eicar.com
                      attached in base64
    hdb-file          testfile.bin attached in base64
    new-file          newfile.bin attached in base64
    bomb              bomb.zip attached
    clean             a plain text message
    clean2            another one
    medium            a clean message of about 8 KB of text
"""

import base64
import hashlib
import io
import os
import random
import sys
import zipfile

CRLF = b"\r\n"
EICAR = bytes.fromhex(
    "58354f2150254041505b345c505a58353428505e2937434329377d2445494341"
    "522d5354414e444152442d414e544956495255532d544553542d46494c452124"
    "482b482a")
assert len(EICAR) == 68


def wire(msg):
    """The DATA form of a message: dot-stuffed, with the end of data."""
    lines = msg.split(CRLF)
    if lines and lines[-1] == b"":
        lines.pop()
    out = [b"." + l if l.startswith(b".") else l for l in lines]
    return CRLF.join(out) + CRLF + b"." + CRLF


def b64lines(data):
    s = base64.b64encode(data)
    return [s[i:i + 76] for i in range(0, len(s), 76)] or [b""]


def qp_all(data):
    """Quoted-printable with every byte encoded, soft breaks at 75."""
    enc = b"".join(b"=%02X" % b for b in data)
    lines = []
    while len(enc) > 72:
        lines.append(enc[:72] + b"=")
        enc = enc[72:]
    lines.append(enc)
    return lines


def header(subject, extra=()):
    mid = subject.split(b" ")[0]
    return [b"From: Sender <sender@example.com>",
            b"To: Rcpt <rcpt@example.net>",
            b"Subject: " + subject,
            b"Date: Mon, 01 Jan 2024 00:00:00 +0000",
            b"Message-ID: <" + mid + b"@example.com>",
            b"MIME-Version: 1.0"] + list(extra)


def text_part(text=b"Hello,\r\nplease find the file attached.\r\n"):
    return [b"Content-Type: text/plain; charset=us-ascii", b""] + \
        text.rstrip(CRLF).split(CRLF)


def attachment(data, name, ctype=b"application/octet-stream",
               enc=b"base64"):
    lines = [b"Content-Type: " + ctype + b'; name="' + name + b'"',
             b"Content-Transfer-Encoding: " + enc,
             b'Content-Disposition: attachment; filename="' + name + b'"',
             b""]
    if enc == b"base64":
        lines += b64lines(data)
    else:
        lines += qp_all(data)
    return lines


def mixed(subject, parts, boundary=b"==av1=="):
    out = header(subject, [b'Content-Type: multipart/mixed; boundary="' +
                           boundary + b'"']) + [b""]
    out.append(b"This is a multi-part message in MIME format.")
    for p in parts:
        out.append(b"--" + boundary)
        out += p
    out.append(b"--" + boundary + b"--")
    return out


def build(lines):
    return CRLF.join(lines) + CRLF


def mkzip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def hdb_line(data, name):
    return "%s:%d:%s\n" % (hashlib.md5(data).hexdigest(), len(data), name)


def fixtures(d):
    os.makedirs(os.path.join(d, "db"), exist_ok=True)

    def put(name, data):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        return data

    rnd = random.Random(4242)
    testfile = put("testfile.bin", bytes(rnd.randrange(256)
                                         for _ in range(4000)))
    newfile = put("newfile.bin", bytes(rnd.randrange(256)
                                       for _ in range(3000)))
    put("eicar.com", EICAR)
    put("db/test.ndb", b"Eicar-Test-Signature:0:*:" +
        EICAR.hex().encode() + b"\n")
    put("db/test.hdb", hdb_line(testfile, "Test-File-Signature").encode())
    put("new.hdb", hdb_line(newfile, "New-File-Signature").encode())
    put("broken.ndb", b"This-Is-Not:A:Valid:Signature:Line:At:All\n"
        b"Broken-Sig:0:*:zz-not-hex\n")
    ezip = put("eicar.zip", mkzip([("eicar.com", EICAR)]))
    inner = mkzip([("eicar.com", EICAR)])
    nested = put("nested.zip", mkzip([("inner.zip", inner),
                                      ("readme.txt", b"nested\n")]))
    bomb = mkzip([("deep.txt", b"nothing to see at the bottom\n")])
    for i in range(20):
        bomb = mkzip([("level%02d.zip" % i, bomb)])
    put("bomb.zip", bomb)

    msgs = {}
    msgs["eicar-plain"] = build(header(b"eicar-plain text body") + [
        b"", b"The test string follows on its own line:", EICAR,
        b"end of message"])
    msgs["eicar-b64"] = build(mixed(b"eicar-b64 attachment", [
        text_part(), attachment(EICAR, b"eicar.com")]))
    msgs["eicar-qp"] = build(mixed(b"eicar-qp attachment", [
        text_part(), attachment(EICAR, b"eicar.txt", b"text/plain",
                                b"quoted-printable")]))
    msgs["eicar-zip"] = build(mixed(b"eicar-zip archive", [
        text_part(), attachment(ezip, b"files.zip", b"application/zip")]))
    msgs["eicar-nested-zip"] = build(mixed(b"eicar-nested-zip archive", [
        text_part(), attachment(nested, b"outer.zip", b"application/zip")]))
    inner_msg = mixed(b"inner forwarded", [
        text_part(), attachment(EICAR, b"inner.com")],
        boundary=b"==inner==")
    msgs["eicar-rfc822"] = build(mixed(b"eicar-rfc822 forwarded", [
        text_part(),
        [b"Content-Type: message/rfc822",
         b'Content-Disposition: attachment; filename="fwd.eml"', b""] +
        inner_msg]))
    msgs["hdb-file"] = build(mixed(b"hdb-file attachment", [
        text_part(), attachment(testfile, b"data.bin")]))
    msgs["new-file"] = build(mixed(b"new-file attachment", [
        text_part(), attachment(newfile, b"other.bin")]))
    msgs["bomb"] = build(mixed(b"bomb archive", [
        text_part(), attachment(bomb, b"deep.zip", b"application/zip")]))
    msgs["clean"] = build(header(b"clean message") + [
        b"", b"Just text.", b".a line that starts with a dot", b"bye"])
    msgs["clean2"] = build(header(b"clean2 message") + [
        b"", b"More text, nothing else."])
    msgs["medium"] = build(header(b"medium message") + [b""] + [
        b"medium line %04d " % i + b"m" * 60 for i in range(100)])
    for name, data in msgs.items():
        put(name + ".eml", data)
        put(name + ".wire", wire(data))


def big(size, path, eicar=False):
    """A clean message of about SIZE bytes: text, then random bytes
    attached in base64 (and EICAR attached last with eicar)."""
    rnd = random.Random(777)
    n = (size - 4096) * 3 // 4 * 76 // 78
    payload = rnd.randbytes(n) if hasattr(rnd, "randbytes") else \
        os.urandom(n)
    parts = [text_part(b"A big attachment follows.\r\n"),
             attachment(payload, b"big-data.bin")]
    if eicar:
        parts.append(attachment(EICAR, b"last.com"))
    lines = mixed(b"big message", parts, boundary=b"==big==")
    data = build(lines)
    with open(path, "wb") as f:
        f.write(data)
    with open(path + ".wire", "wb") as f:
        f.write(wire(data))


def main():
    if len(sys.argv) == 4 and sys.argv[1] in ("--big", "--big-eicar"):
        big(int(sys.argv[2]), sys.argv[3], sys.argv[1] == "--big-eicar")
        return 0
    if len(sys.argv) == 2:
        fixtures(sys.argv[1])
        return 0
    sys.stderr.write(__doc__)
    return 3


if __name__ == "__main__":
    sys.exit(main())
