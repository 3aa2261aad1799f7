#!/usr/bin/python3
"""Scripted SMTP upstream for the integration tests.

Listens on HOST:PORT and, for each connection N (from 1), records every
byte received in DIR/conn-N.raw (flushed as it arrives, so a test can read
it while the connection is still open).  It answers like a minimal ESMTP
server:

    greeting     220 recorder ESMTP          (--greeting changes the text)
    EHLO         250-recorder / PIPELINING / SIZE / 8BITMIME /
                 ENHANCEDSTATUSCODES (+ --ehlo-ext lines)
    HELO         250 recorder
    MAIL RCPT RSET NOOP   250
    DATA         354, then the body up to CRLF.CRLF, then
                 "250 2.0.0 Ok: queued as M"
    QUIT         221, close
    other        502 5.5.2

Each delivered message M (numbered from 1 across connections) is written
to DIR/msg-M.eml with dot-stuffing removed and without the terminator,
and a line is appended to DIR/events:

    msg=M conn=N from=<...> rcpts=<a>,<b> size=BYTES

Connection life is logged to DIR/connlog.  DIR/ready is created once the
socket listens.  SIGTERM or SIGINT stops the recorder (exit 0).

--lenient makes the recorder behave like the upstream servers SMTP
smuggling exploits: a command line ends at a bare LF, and the body ends at
any of <LF>.<LF>, <CR><LF>.<LF>, <LF>.<CR><LF>, <CR>.<CR>, <CR>.<LF>, ...
with NUL bytes ignored around the dot.  A proxy that lets any of those
through therefore shows up as an extra message here.

--tls-cert/--tls-key offer STARTTLS (RFC 3207): its 220 is followed by
the TLS handshake (Python ssl), the buffer is discarded, and the bytes
recorded in conn-N.raw from then on are the decrypted ones.  A message
delivered inside TLS also gets DIR/msg-M.tls with the protocol and
cipher.  --starttls-inject TEXT is sent in the same write as the 220
(the response injection), --starttls-refuse answers 454, and
--starttls-in-tls offers STARTTLS again inside TLS.
"""

import argparse
import os
import re
import signal
import ssl
import socket
import sys
import threading
import time

STRICT_EOD = re.compile(rb"\r\n\.\r\n")
# Everything a careless server may take for the end of data.
LENIENT_EOD = re.compile(rb"(?:\r\n|\n|\r)\x00*\.\x00*(?:\r\n|\n|\r)")


class Recorder:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.nconn = 0
        self.nmsg = 0
        self.stop = False

    def log(self, line):
        with self.lock:
            with open(os.path.join(self.args.dir, "connlog"), "a") as f:
                f.write(line + "\n")

    def next_conn(self):
        with self.lock:
            self.nconn += 1
            return self.nconn

    def deliver(self, conn, mail_from, rcpts, content, tls=None):
        with self.lock:
            self.nmsg += 1
            n = self.nmsg
            with open(os.path.join(self.args.dir, "msg-%d.eml" % n),
                      "wb") as f:
                f.write(content)
            with open(os.path.join(self.args.dir, "events"), "a") as f:
                f.write("msg=%d conn=%d from=%s rcpts=%s size=%d\n" % (
                    n, conn, mail_from, ",".join(rcpts) or "-",
                    len(content)))
            if tls:
                with open(os.path.join(self.args.dir, "msg-%d.tls" % n),
                          "w") as f:
                    f.write(tls + "\n")
        return n


def unstuff(body, lenient):
    """Message content from the wire form of a body (RFC 5321 4.5.2)."""
    if lenient:
        lines = re.split(rb"(\r\n|\n)", body)
    else:
        lines = re.split(rb"(\r\n)", body)
    out = []
    for i, part in enumerate(lines):
        if i % 2 == 0 and part.startswith(b"."):
            part = part[1:]
        out.append(part)
    return b"".join(out)


class Connection(threading.Thread):
    def __init__(self, rec, sock, peer):
        super().__init__(daemon=True)
        self.rec = rec
        self.args = rec.args
        self.sock = sock
        self.peer = peer
        self.n = rec.next_conn()
        self.raw = open(os.path.join(self.args.dir, "conn-%d.raw" % self.n),
                        "wb")
        self.buf = b""
        self.eof = False
        self.mail_from = None
        self.rcpts = []
        self.data_bytes = 0
        self.tls = None

    def reply(self, text):
        if self.args.delay_reply:
            time.sleep(self.args.delay_reply)
        self.sock.sendall(text.encode("ascii", "replace") + b"\r\n")

    def fill(self):
        """Read more input; False at EOF."""
        if self.eof:
            return False
        try:
            chunk = self.sock.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.raw.write(chunk)
        self.raw.flush()
        self.buf += chunk
        return True

    def readline(self):
        while True:
            if self.args.lenient:
                i = self.buf.find(b"\n")
                if i >= 0:
                    line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
                    return line.rstrip(b"\n").rstrip(b"\r")
            else:
                i = self.buf.find(b"\r\n")
                if i >= 0:
                    line, self.buf = self.buf[:i], self.buf[i + 2:]
                    return line
            if len(self.buf) > 1 << 20:
                return None
            if not self.fill():
                return None

    def read_body(self):
        """Body bytes in wire form, "die", or None when the peer went away."""
        die = self.args.die_after_data_bytes
        while True:
            if die is not None and len(self.buf) >= die:
                return "die"
            s = b"\r\n" + self.buf
            m = (LENIENT_EOD if self.args.lenient else STRICT_EOD).search(s)
            if m and m.end() == len(s) and s.endswith(b"\r") and \
                    not self.eof:
                m = None        # "\r" may be the first half of "\r\n"
            if m:
                body = s[2:m.start()]
                if m.start() > 0:
                    body += b"\r\n"
                self.buf = s[m.end():]
                return body
            if self.eof:
                return None
            self.fill()

    def run(self):
        try:
            self.session()
        except OSError as e:
            self.rec.log("conn=%d error=%s" % (self.n, e))
        finally:
            self.rec.log("conn=%d close" % self.n)
            try:
                self.sock.close()
            except OSError:
                pass
            self.raw.close()

    def session(self):
        self.rec.log("conn=%d open peer=%s:%d" % ((self.n,) + self.peer[:2]))
        if self.args.no_greeting_close:
            return
        self.reply("220 " + self.args.greeting)
        while True:
            line = self.readline()
            if line is None:
                return
            verb = line.split(b" ", 1)[0].upper()
            arg = line[len(verb):].strip().decode("latin-1")
            if verb == b"EHLO":
                if self.args.bad_reply:
                    self.reply("hello")
                    continue
                exts = ["PIPELINING", "SIZE 10240000", "8BITMIME",
                        "ENHANCEDSTATUSCODES"] + self.args.ehlo_ext
                if self.args.tls_cert and (not self.tls or
                                           self.args.starttls_in_tls):
                    exts.append("STARTTLS")
                lines = ["recorder"] + exts
                self.reply("\r\n".join(
                    "250%s%s" % ("-" if i < len(lines) - 1 else " ", l)
                    for i, l in enumerate(lines)))
            elif verb == b"HELO":
                self.reply("250 recorder")
            elif verb == b"STARTTLS" and self.args.tls_cert and \
                    not self.tls:
                if self.args.starttls_refuse:
                    self.reply("454 4.7.0 TLS not available now")
                    continue
                self.sock.sendall(b"220 2.0.0 Ready to start TLS\r\n" +
                                  self.args.starttls_inject.encode()
                                  .decode("unicode_escape").encode("latin-1"))
                if self.buf:
                    self.rec.log("conn=%d discarded=%d" % (self.n,
                                                           len(self.buf)))
                self.buf = b""
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(self.args.tls_cert, self.args.tls_key)
                self.sock = ctx.wrap_socket(self.sock, server_side=True)
                self.tls = "%s %s" % (self.sock.version(),
                                      self.sock.cipher()[0])
                self.rec.log("conn=%d tls=%s" % (self.n, self.tls))
                self.raw.write(b"[TLS]\r\n")
                self.raw.flush()
            elif verb == b"MAIL":
                self.mail_from = arg.split(":", 1)[-1].split(" ")[0]
                self.rcpts = []
                self.reply("250 2.1.0 Ok")
            elif verb == b"RCPT":
                self.rcpts.append(arg.split(":", 1)[-1].split(" ")[0])
                self.reply("250 2.1.5 Ok")
            elif verb == b"RSET":
                self.mail_from, self.rcpts = None, []
                self.reply("250 2.0.0 Ok")
            elif verb == b"NOOP":
                self.reply("250 2.0.0 Ok")
            elif verb == b"QUIT":
                self.reply("221 2.0.0 Bye")
                return
            elif verb == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                body = self.read_body()
                if body == "die":
                    self.rec.log("conn=%d died in data as asked" % self.n)
                    try:
                        self.sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if body is None:
                    self.rec.log("conn=%d eof in data" % self.n)
                    return
                content = unstuff(body, self.args.lenient)
                if self.args.lenient:
                    content = content.replace(b"\x00", b"")
                n = self.rec.deliver(self.n, self.mail_from, self.rcpts,
                                     content, self.tls)
                self.mail_from, self.rcpts = None, []
                self.reply("250 2.0.0 Ok: queued as %d" % n)
            elif line == b"":
                self.reply("500 5.5.2 Error: bad syntax")
            else:
                self.reply("502 5.5.2 Error: command not recognized")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--greeting", default="recorder ESMTP")
    p.add_argument("--ehlo-ext", action="append", default=[],
                   help="extra EHLO keyword line (repeatable)")
    p.add_argument("--die-after-data-bytes", type=int, default=None,
                   metavar="N", help="close the socket after N body bytes")
    p.add_argument("--delay-reply", type=float, default=0.0, metavar="SEC",
                   help="wait SEC before every reply, greeting included")
    p.add_argument("--bad-reply", action="store_true",
                   help='answer EHLO with "hello"')
    p.add_argument("--no-greeting-close", action="store_true",
                   help="accept, then close without a greeting")
    p.add_argument("--tls-cert", default=None)
    p.add_argument("--tls-key", default=None)
    p.add_argument("--starttls-inject", default="", metavar="TEXT",
                   help="sent right after the 220 to STARTTLS (escapes)")
    p.add_argument("--starttls-refuse", action="store_true")
    p.add_argument("--starttls-in-tls", action="store_true")
    p.add_argument("--lenient", action="store_true",
                   help="take bare LF / smuggling sequences as line and "
                   "data ends, like a vulnerable server")
    args = p.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    rec = Recorder(args)

    def stop(signum, frame):
        rec.stop = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    ls = socket.socket(socket.AF_INET6 if ":" in args.host
                       else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.host, args.port))
    ls.listen(1024)
    ls.settimeout(0.2)
    with open(os.path.join(args.dir, "ready"), "w") as f:
        f.write("%d\n" % os.getpid())
    while not rec.stop:
        try:
            sock, peer = ls.accept()
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Connection(rec, sock, peer).start()
    ls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
