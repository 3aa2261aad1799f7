#!/usr/bin/python3
"""Messages for the file-typing tests 53-56 (containers, archives, text
parts, many parts), built with Python's email package at test time.

    mkcontainers.py DIR

Each message NAME is written as NAME.eml (CRLF), NAME.lf (LF line ends,
as files on disk usually are) and NAME.wire (dot-stuffed, with the end
of data). DIR/INDEX lists "NAME<TAB>expected" where expected is
"accept" or the refused attachment name; the tests read it.
"""

import base64
import binascii
import io
import os
import re
import struct
import sys
import zipfile
from email import policy
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkfixtures  # noqa: E402

CRLF = b"\r\n"
PE = mkfixtures.pe32()


def head(msg, subject):
    msg["From"] = "Sender <sender@example.com>"
    msg["To"] = "Rcpt <rcpt@example.net>"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 01 Jan 2024 00:00:00 +0000"
    msg["Message-ID"] = "<%s@example.com>" % subject.split()[0]
    return msg


def text_msg(subject, parts):
    m = head(MIMEMultipart(), subject)
    m.attach(MIMEText("Hello,\nsee below.\n"))
    for p in parts:
        m.attach(p)
    return m


def attached(data, name, ctype=("application", "octet-stream")):
    p = MIMEBase(*ctype)
    p.set_payload(data)
    from email import encoders
    encoders.encode_base64(p)
    p.add_header("Content-Disposition", "attachment", filename=name)
    return p


def inner_mail():
    m = head(EmailMessage(), "inner mail")
    m.set_content("the inner mail\n")
    m.add_attachment(PE, maintype="application", subtype="octet-stream",
                     filename="inner.exe")
    return m.as_bytes(policy=policy.SMTP)


def tnef(title, data):
    def attr(level, ident, payload):
        return (struct.pack("<BII", level, ident, len(payload)) + payload +
                struct.pack("<H", sum(payload) & 0xFFFF))
    return (struct.pack("<IH", 0x223E9F78, 1) +
            attr(1, 0x00089006, struct.pack("<I", 0x00010000)) +
            attr(1, 0x00078008, b"IPM.Microsoft Mail.Note\0") +
            attr(2, 0x00069002, b"\x01\x00\xff\xff\xff\xff" + bytes(8)) +
            attr(2, 0x00018010, title + b"\0") +
            attr(2, 0x0006800F, data))


def uu(name, data):
    return (b"begin 644 " + name + b"\n" +
            b"".join(binascii.b2a_uu(data[i:i + 45])
                     for i in range(0, len(data), 45)) + b"`\nend\n")


def zipped(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(name, data)
    return b.getvalue()


def nested_zip(depth, data):
    cur = zipped([("a.txt", data)])
    for _ in range(depth - 1):
        cur = zipped([("deeper.zip", cur)])
    return cur


def messages():
    out = []
    many = [("f%03d.txt" % i, b"filler %d\n" % i) for i in range(300)]
    out.append(("zip-300-exe", "many.zip/z.exe", text_msg(
        "zip-300-exe 300 fillers then an exe",
        [attached(zipped(many + [("z.exe", PE)]), "many.zip")])))
    out.append(("zip-300", "accept", text_msg(
        "zip-300 fillers only", [attached(zipped(many), "many.zip")])))
    out.append(("zip-deep", "252:deep.zip", text_msg(
        "zip-deep 25 levels", [attached(nested_zip(25, b"text\n"),
                                        "deep.zip")])))
    out.append(("eml-octet", "fwd.eml/inner.exe", text_msg(
        "eml-octet forwarded as a file", [attached(inner_mail(), "fwd.eml")])))
    rfc = MIMEBase("message", "rfc822")
    rfc.set_payload(inner_mail())
    from email import encoders
    encoders.encode_base64(rfc)
    out.append(("rfc822-b64", "inner.exe", text_msg(
        "rfc822-b64 base64 message/rfc822", [rfc])))
    out.append(("tnef", "winmail.dat", text_msg(
        "tnef winmail.dat", [attached(tnef(b"evil.exe", PE), "winmail.dat",
                                      ("application", "ms-tnef"))])))
    html = MIMEText("<html><body><p>hi</p><a href=\"data:application/"
                    "octet-stream;base64," + base64.b64encode(PE).decode() +
                    "\">x</a></body></html>\n", "html")
    out.append(("html-data", "(unnamed)/attachment", text_msg(
        "html-data data: URI", [html])))
    body = (b"Two files:\n\n" + uu(b"notes.txt", b"harmless\n") +
            b"\nand\n\n" + uu(b"evil.exe", PE))
    out.append(("uu-body", "(unnamed)/evil.exe", text_msg(
        "uu-body uuencoded in the text", [MIMEText(body.decode())])))
    mbox = b"From sender@example.com Mon Jan  1 00:00:00 2024\n" + \
        inner_mail().replace(CRLF, b"\n")
    out.append(("mbox", "box.mbox/inner.exe", text_msg(
        "mbox an mbox file", [attached(mbox, "box.mbox")])))
    t = MIMEBase("text", "plain")
    t.set_payload(PE)
    encoders.encode_base64(t)
    t.add_header("Content-Disposition", "attachment")
    out.append(("text-b64-pe", "(unnamed)", head(MIMEMultipart(),
                "text-b64-pe")))
    out[-1][2].attach(t)
    out.append(("html-body", "accept", text_msg(
        "html-body plain HTML", [MIMEText("<html><body><script>x=1"
                                          "</script>hi</body></html>\n",
                                          "html")])))
    out.append(("sh-body", "accept", text_msg(
        "sh-body a pasted script", [MIMEText("#!/bin/sh\necho hi\n")])))
    return out


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "INDEX"), "w") as idx:
        for name, want, msg in messages():
            # CRLF everywhere (the generator leaves some encoded
            # payloads with LF)
            eml = re.sub(rb"\r?\n", CRLF, msg.as_bytes(policy=policy.SMTP))
            with open(os.path.join(d, name + ".eml"), "wb") as f:
                f.write(eml)
            with open(os.path.join(d, name + ".lf"), "wb") as f:
                f.write(eml.replace(CRLF, b"\n"))
            with open(os.path.join(d, name + ".wire"), "wb") as f:
                f.write(mkfixtures.wire(eml))
            idx.write("%s\t%s\n" % (name, want))


if __name__ == "__main__":
    main()
