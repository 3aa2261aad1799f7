#!/usr/bin/python3
"""Test fixtures for the content-inspection integration tests (30-39).

    mkfixtures.py DIR                   files and messages, in DIR
    mkfixtures.py --big KIND SIZE FILE  one big message, FILE and FILE.wire
                                        (KIND clean, exe or exe-last)

Everything is generated at test time, nothing binary is shipped:

    pe.exe        a minimal, valid PE32 program (one .text section, "ret")
    elf.bin       a copy of /bin/true (an ELF program)
    script.sh     "#!/bin/sh" text
    pe.zip        a zip holding pe.exe as "readme.dat"
    elf.zip       a zip holding elf.bin as "data.txt"
    nested.zip    a zip holding inner.zip, which holds pe.exe as "x.dat"
    clean.zip     a zip holding two text files
    enc.zip       a zip encrypted with "zip -P secret" (needs zip(1))
    report.pdf    a small PDF-ish document

Each message NAME is written twice: NAME.eml, the message (CRLF line
ends), for "smtpproxy -t", and NAME.wire, the same dot-stuffed and
followed by the end of data (CRLF.CRLF), to send after DATA's 354.
The attachment a message is about is listed in DIR/INDEX as
"NAME<TAB>ATTACHMENT-NAME<TAB>what it is".
"""

import base64
import os
import quopri
import random
import shutil
import struct
import subprocess
import sys
import zipfile

CRLF = b"\r\n"


def pe32():
    """A minimal PE32 console program: headers, one .text section."""
    dos = bytearray(0x40)
    dos[0:2] = b"MZ"
    struct.pack_into("<H", dos, 0x02, 0x90)      # bytes on last page
    struct.pack_into("<H", dos, 0x04, 3)         # pages
    struct.pack_into("<H", dos, 0x08, 4)         # header paragraphs
    struct.pack_into("<H", dos, 0x18, 0x40)      # relocation table
    struct.pack_into("<I", dos, 0x3C, 0x80)      # e_lfanew
    stub = bytearray(0x40)                       # DOS stub: int 21h exit
    stub[0:5] = b"\xb8\x01\x4c\xcd\x21"
    coff = struct.pack("<4sHHIIIHH", b"PE\0\0",
                       0x14C,          # i386
                       1,              # sections
                       0x5F000000,     # time stamp
                       0, 0,           # symbols
                       0xE0,           # optional header size
                       0x0102)         # executable, 32-bit
    opt = struct.pack("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII",
                      0x10B, 14, 0,    # PE32, linker 14.0
                      0x200,           # size of code
                      0, 0,            # initialised, uninitialised data
                      0x1000,          # entry point
                      0x1000,          # base of code
                      0x2000,          # base of data
                      0x400000,        # image base
                      0x1000, 0x200,   # section and file alignment
                      6, 0, 0, 0, 6, 0,  # OS, image, subsystem versions
                      0,               # Win32 version
                      0x2000,          # size of image
                      0x200,           # size of headers
                      0,               # checksum
                      3,               # console subsystem
                      0x8140,          # DLL characteristics
                      0x100000, 0x1000, 0x100000, 0x1000,
                      0,               # loader flags
                      16)              # data directories
    opt += bytes(16 * 8)
    sect = struct.pack("<8sIIIIIIHHI", b".text\0\0\0",
                       0x1000,         # virtual size
                       0x1000,         # virtual address
                       0x200,          # raw size
                       0x200,          # raw data offset
                       0, 0, 0, 0,
                       0x60000020)     # code, execute, read
    hdr = bytes(dos) + bytes(stub) + coff + opt + sect
    assert len(hdr) <= 0x200
    hdr += bytes(0x200 - len(hdr))
    code = b"\x31\xc0\xc3" + bytes(0x200 - 3)  # xor eax,eax; ret
    return hdr + code


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


def qplines(data):
    return quopri.encodestring(data).replace(b"\r\n", b"\n").split(b"\n")


def header(subject, extra=()):
    h = [b"From: Sender <sender@example.com>",
         b"To: Rcpt <rcpt@example.net>",
         b"Subject: " + subject,
         b"Date: Mon, 01 Jan 2024 00:00:00 +0000",
         b"Message-ID: <" + subject.split(b" ")[0] + b"@example.com>",
         b"MIME-Version: 1.0"]
    return h + list(extra)


def attachment(data, ctype=b"application/octet-stream", disp_name=None,
               ct_name=None, enc=b"base64", raw_params=None):
    """The lines of a leaf part: headers, empty line, encoded body."""
    ct = b"Content-Type: " + ctype
    if ct_name is not None:
        ct += b'; name="' + ct_name + b'"'
    lines = [ct, b"Content-Transfer-Encoding: " + enc]
    if raw_params is not None:
        lines.append(b"Content-Disposition: attachment;")
        lines += [b" " + p for p in raw_params]
    elif disp_name is not None:
        lines.append(b'Content-Disposition: attachment; filename="' +
                     disp_name + b'"')
    lines.append(b"")
    if enc == b"base64":
        lines += b64lines(data)
    elif enc == b"quoted-printable":
        lines += qplines(data)
    else:
        lines += data.split(b"\n")
    return lines


def multipart(boundary, parts, preamble=True):
    """The body lines of a multipart/mixed with the given part lines."""
    out = []
    if preamble:
        out.append(b"This is a multi-part message in MIME format.")
    for p in parts:
        out.append(b"--" + boundary)
        out += p
    out.append(b"--" + boundary + b"--")
    return out


def text_part(text=b"Hello,\r\nplease find the file attached.\r\n"):
    return [b"Content-Type: text/plain; charset=us-ascii", b""] + \
        text.rstrip(CRLF).split(CRLF)


def mixed(subject, parts, boundary=b"==b1==", extra=()):
    return header(subject, [b'Content-Type: multipart/mixed; boundary="' +
                            boundary + b'"'] + list(extra)) + [b""] + \
        multipart(boundary, parts)


def build(lines):
    return CRLF.join(lines) + CRLF


def mkzip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return open(path, "rb").read()


def fixtures(d):
    os.makedirs(d, exist_ok=True)
    index = []
    msgs = {}

    def put(name, data):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        return data

    def msg(name, lines, att, what):
        msgs[name] = build(lines)
        index.append("%s\t%s\t%s" % (name, att, what))

    pe = put("pe.exe", pe32())
    elf = put("elf.bin", open("/bin/true", "rb").read())
    script = put("script.sh", b"#!/bin/sh\necho hello from a script\n"
                 b"exit 0\n")
    text = put("notes-real.txt", b"Minutes of the meeting.\n"
               b"Nothing to see here.\n" * 20)
    pdf = put("report.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog "
              b"/Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] "
              b"/Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    pezip = mkzip(os.path.join(d, "pe.zip"), [("readme.dat", pe)])
    elfzip = mkzip(os.path.join(d, "elf.zip"), [("data.txt", elf)])
    inner = mkzip(os.path.join(d, "inner.zip"), [("x.dat", pe)])
    nested = mkzip(os.path.join(d, "nested.zip"),
                   [("inner.zip", inner), ("readme.txt", b"nested\n")])
    cleanzip = mkzip(os.path.join(d, "clean.zip"),
                     [("a.txt", text), ("b.txt", b"second file\n")])
    enczip = None
    zipbin = shutil.which("zip")
    if zipbin:
        src = os.path.join(d, "secret.txt")
        put("secret.txt", b"the password is not here\n" * 10)
        encpath = os.path.join(d, "enc.zip")
        if os.path.exists(encpath):
            os.unlink(encpath)
        subprocess.run([zipbin, "-q", "-j", "-P", "secret", encpath, src],
                       check=True)
        enczip = open(encpath, "rb").read()

    # --- clean messages
    msg("plain", header(b"plain message") + [b"", b"Just text.",
        b".a line that starts with a dot", b"bye"], "-", "no attachment")
    msg("clean", mixed(b"clean attachments", [
        text_part(),
        attachment(text, b"text/plain", b"notes.txt", b"notes.txt"),
        attachment(pdf, b"application/pdf", b"report.pdf"),
    ]), "notes.txt", "text and PDF attachments")
    msg("clean-qp", mixed(b"clean quoted-printable", [
        text_part(),
        attachment(b"caf\xc3\xa9 cr\xc3\xa8me, " * 30 + b"\n",
                   b"text/plain; charset=utf-8", b"menu.txt",
                   enc=b"quoted-printable"),
    ]), "menu.txt", "quoted-printable text")

    # --- executables, by content
    msg("exe-b64", mixed(b"exe-b64 program attached", [
        text_part(), attachment(pe, disp_name=b"program.exe")]),
        "program.exe", "PE, base64")
    msg("exe-renamed", mixed(b"exe-renamed notes", [
        text_part(), attachment(pe, b"text/plain", b"notes.txt",
                                b"notes.txt")]),
        "notes.txt", "PE named notes.txt")
    msg("elf-renamed", mixed(b"elf-renamed notes", [
        text_part(), attachment(elf, b"text/plain", b"notes.txt")]),
        "notes.txt", "ELF named notes.txt")
    msg("exe-qp", mixed(b"exe-qp quoted-printable program", [
        text_part(), attachment(pe, disp_name=b"data.bin",
                                enc=b"quoted-printable")]),
        "data.bin", "PE, quoted-printable")
    msg("exe-noname", mixed(b"exe-noname unnamed program", [
        text_part(), attachment(pe)]),
        "(unnamed)", "PE without a name")
    msg("exe-zip", mixed(b"exe-zip archive", [
        text_part(), attachment(pezip, b"application/zip", b"files.zip")]),
        "files.zip", "zip holding a PE named readme.dat")
    msg("elf-zip", mixed(b"elf-zip archive", [
        text_part(), attachment(elfzip, b"application/zip", b"tools.zip")]),
        "tools.zip", "zip holding an ELF named data.txt")
    msg("exe-nested-zip", mixed(b"exe-nested-zip archive", [
        text_part(), attachment(nested, b"application/zip",
                                b"outer.zip")]),
        "outer.zip", "zip holding a zip holding a PE")
    inner_msg = mixed(b"inner message", [
        text_part(), attachment(pe, disp_name=b"inner.bin")],
        boundary=b"==inner==")
    msg("exe-rfc822", mixed(b"exe-rfc822 forwarded", [
        text_part(),
        [b"Content-Type: message/rfc822",
         b'Content-Disposition: attachment; filename="fwd.eml"', b""] +
        inner_msg]),
        "inner.bin", "PE inside a message/rfc822 part")

    # --- names
    harmless = b"just some text, not a program\n" * 4
    msg("ext-double", mixed(b"ext-double invoice", [
        text_part(), attachment(harmless, b"application/pdf",
                                b"invoice.pdf.exe")]),
        "invoice.pdf.exe", "text named invoice.pdf.exe")
    msg("ext-upper", mixed(b"ext-upper report", [
        text_part(), attachment(harmless, disp_name=b"REPORT.EXE")]),
        "REPORT.EXE", "text named REPORT.EXE")
    msg("ext-ctname", mixed(b"ext-ctname by Content-Type name", [
        text_part(), attachment(harmless, b"application/octet-stream",
                                ct_name=b"setup.scr")]),
        "setup.scr", "text named in Content-Type only")
    msg("ext-rfc2231", mixed(b"ext-rfc2231 continuation", [
        text_part(), attachment(harmless, raw_params=[
            b"filename*0*=UTF-8''%E2%82%AC-inv;",
            b'filename*1="oice.";',
            b'filename*2="exe"'])]),
        "\\u20ac-invoice.exe", "RFC 2231 filename*0*= ... *2=")
    msg("ext-rfc2047", mixed(b"ext-rfc2047 encoded word", [
        text_part(), attachment(harmless, disp_name=b"=?UTF-8?B?" +
                                base64.b64encode("rapport-\u00e9t\u00e9."
                                                 "exe".encode()) + b"?=")]),
        "rapport-\\u00e9t\\u00e9.exe", "RFC 2047 filename")
    msg("ext-targz", mixed(b"ext-targz backup", [
        text_part(), attachment(harmless, disp_name=b"backup.TAR.GZ")]),
        "backup.TAR.GZ", "two extensions, upper case")
    msg("ext-gz", mixed(b"ext-gz logs", [
        text_part(), attachment(harmless, disp_name=b"logs.gz")]),
        "logs.gz", "one of the two extensions only")
    msg("ext-trailing-dot", mixed(b"ext-trailing-dot name", [
        text_part(), attachment(harmless, disp_name=b"a.exe. ")]),
        "a.exe. ", "trailing dot and space")

    # --- scripts, archives
    msg("script-content", mixed(b"script-content install", [
        text_part(), attachment(script, b"text/plain", b"install.txt")]),
        "install.txt", "#! text named install.txt")
    msg("script-name", mixed(b"script-name js", [
        text_part(), attachment(b"var x = 1;\n", b"text/plain",
                                b"run.js")]),
        "run.js", "JavaScript by name")
    msg("archive", mixed(b"archive docs", [
        text_part(), attachment(cleanzip, b"application/zip",
                                b"docs.zip")]),
        "docs.zip", "zip of text files")
    if enczip is not None:
        msg("encrypted", mixed(b"encrypted archive", [
            text_part(), attachment(enczip, b"application/zip",
                                    b"secret.zip")]),
            "secret.zip", "zip encrypted with a password")

    # --- header and MIME alarms
    msg("subj-8bit", header(b"subj-8bit caf\xc3\xa9 cr\xc3\xa8me") +
        [b"", b"body"], "-", "raw UTF-8 in Subject")
    msg("subj-latin1", header(b"subj-latin1 caf\xe9") + [b"", b"body"],
        "-", "raw Latin-1 in Subject")
    msg("subj-encoded", header(b"subj-encoded =?UTF-8?Q?caf=C3=A9_cr="
                               b"C3=A8me?= =?ISO-8859-1?B?Y2Fm6Q==?=") +
        [b"", b"body with raw 8-bit text: caf\xc3\xa9"],
        "-", "RFC 2047 Subject")
    msg("hdr-nul", header(b"hdr-nul", [b"X-Test: before\x00after"]) +
        [b"", b"body"], "-", "NUL in a header")
    msg("hdr-ctrl", header(b"hdr-ctrl", [b"X-Test: bell\x07escape\x1b"]) +
        [b"", b"body"], "-", "control characters in a header")
    msg("hdr-long", header(b"hdr-long", [b"X-Long: " + b"h" * 1200]) +
        [b"", b"body"], "-", "a header line of 1210 bytes")
    msg("body-long", header(b"body-long") +
        [b"", b"short", b"b" * 1500, b"short"], "-",
        "a body line of 1502 bytes")
    # Nesting: multiparts one inside the other.
    def nested(name, depth):
        lines = header(name.encode(), [b'Content-Type: multipart/mixed; '
                                       b'boundary="d0"']) + [b""]
        for i in range(depth):
            lines += [b"--d%d" % i]
            if i + 1 < depth:
                lines += [b'Content-Type: multipart/mixed; '
                          b'boundary="d%d"' % (i + 1), b""]
        lines += text_part(b"deep\r\n")
        for i in reversed(range(depth)):
            lines += [b"--d%d--" % i]
        msg(name, lines, "-", "%d nested multiparts" % depth)
    nested("mime-depth", 25)
    nested("mime-nest5", 5)
    msg("mime-six", mixed(b"mime-six parts", [
        text_part(b"part %d\r\n" % i) for i in range(6)]),
        "-", "6 parts")
    msg("mime-parts", mixed(b"mime-parts many", [
        text_part(b"part %d\r\n" % i) for i in range(1100)]),
        "-", "1100 parts")
    msg("mime-unterminated", header(b"mime-unterminated", [
        b'Content-Type: multipart/mixed; boundary="never-closed"']) +
        [b"", b"--never-closed"] + text_part() +
        [b"--never-closed"] + attachment(text, b"text/plain", b"a.txt"),
        "-", "no closing boundary")
    msg("mime-partial", header(b"mime-partial", [
        b'Content-Type: message/partial; id="frag@example.com"; '
        b'number=1; total=2']) + [b""] +
        header(b"fragment") + [b"", b"first half"],
        "-", "message/partial")
    msg("mime-partial-part", mixed(b"mime-partial-part inside", [
        text_part(),
        [b'Content-Type: message/partial; id="f2@example.com"; '
         b'number=2; total=3', b"", b"second third"]]),
        "-", "message/partial part")

    for name, data in msgs.items():
        put(name + ".eml", data)
        put(name + ".wire", wire(data))
    with open(os.path.join(d, "INDEX"), "w") as f:
        f.write("\n".join(index) + "\n")


def big(kind, size, path):
    """A message of about SIZE bytes: a text part and one base64
    attachment of 3/4 of it (random bytes). KIND exe: the attachment is
    a PE program with the random bytes as its overlay; exe-last: a small
    PE program follows the attachment, as "tail.dat"."""
    rnd = random.Random(12345)
    n = size * 3 // 4 * 3 // 4       # raw bytes of 3/4 SIZE in base64
    payload = rnd.randbytes(n) if hasattr(rnd, "randbytes") else \
        os.urandom(n)
    name = b"big-data.bin"
    if kind == "exe":
        payload = pe32() + payload
    body = [b"Some text before the attachment."] * 2
    filler = size // 4 - 2000
    lines = header(b"big " + kind.encode(), [
        b'Content-Type: multipart/mixed; boundary="==big=="']) + [b""]
    lines += [b"--==big==", b"Content-Type: text/plain", b""] + body
    lines += [b"filler line %07d " % i + b"f" * 60
              for i in range(max(0, filler // 82))]
    lines += [b"--==big==", b"Content-Type: application/octet-stream",
              b"Content-Transfer-Encoding: base64",
              b'Content-Disposition: attachment; filename="' + name + b'"',
              b""] + b64lines(payload)
    if kind == "exe-last":
        lines += [b"--==big==", b"Content-Type: application/octet-stream",
                  b"Content-Transfer-Encoding: base64",
                  b'Content-Disposition: attachment; filename="tail.dat"',
                  b""] + b64lines(pe32())
    lines += [b"--==big==--"]
    data = build(lines)
    with open(path, "wb") as f:
        f.write(data)
    with open(path + ".wire", "wb") as f:
        f.write(wire(data))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--big":
        big(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return 0
    if len(sys.argv) == 2:
        fixtures(sys.argv[1])
        return 0
    sys.stderr.write(__doc__)
    return 3


if __name__ == "__main__":
    sys.exit(main())
