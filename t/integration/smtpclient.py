#!/usr/bin/python3
"""Raw-socket SMTP client for the integration tests.

    smtpclient.py [--host H] --port P [--source ADDR] [--timeout SEC] STEP...

Connects (TCP_NODELAY), then runs the steps in order.  TEXT takes Python
escapes (\\r \\n \\0 \\x00 ...).  Every line received is printed as
"S: ..." and everything sent as "C: ...", with control bytes escaped.

    send:TEXT          send TEXT in one write
    slow:TEXT          send TEXT one byte per write (--byte-delay apart)
    sendfile:PATH      send the bytes of PATH in one write
    sleep:SEC          pause
    expect:REGEX       read one whole reply (multiline included); its last
                       line must match REGEX (Python re.match)
    expect-line:REGEX  read one whole reply; some line of it must match
    expect-none:REGEX  read one whole reply; no line of it may match
    reply              read one whole reply, whatever it is
    silence:SEC        nothing may arrive for SEC seconds
    eof                the server must close with nothing more sent
    drain              print whatever arrives until the server closes
    shutdown           half-close (SHUT_WR)
    mark               remember the time
    elapsed:MIN:MAX    seconds since the last mark must be in [MIN, MAX]
    touch:PATH         create PATH (to tell the test we got here)
    waitfile:PATH      wait until PATH exists (bounded by --wait-timeout)
    starttls           TLS handshake now (after the server's 220); any
                       byte already received after that 220 fails the step
    tls-expect:REGEX   the TLS version and cipher ("TLSv1.3 TLS_AES_...")
                       must match REGEX

--tls starts TLS at connect (implicit TLS, RFC 8314); --tls-max and
--tls-min bound the protocol (TLSv1, TLSv1_1, TLSv1_2, TLSv1_3); the
server's certificate is not checked.

Exit status: 0 when every step passed, 1 when a reply did not match or the
connection ended early, 2 on a timeout or a socket error, 3 on bad usage.
Reply lines must end with CRLF: a bare LF in a reply fails the step.
"""

import argparse
import codecs
import os
import re
import select
import socket
import ssl
import sys
import time

T0 = time.monotonic()


def show(data):
    out = []
    for b in data:
        c = chr(b)
        if c == "\\":
            out.append("\\\\")
        elif 0x20 <= b < 0x7f:
            out.append(c)
        elif c == "\r":
            out.append("\\r")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def say(prefix, text):
    print("%7.3f %s %s" % (time.monotonic() - T0, prefix, text), flush=True)


class Failed(Exception):
    def __init__(self, msg, status=1):
        super().__init__(msg)
        self.status = status


class Client:
    def __init__(self, sock, timeout):
        self.sock = sock
        self.timeout = timeout
        self.buf = b""
        self.eof = False
        self.mark = time.monotonic()

    def fill(self, deadline):
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failed("timed out after %.1fs waiting for the server" %
                         self.timeout, 2)
        pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
        r = pending or select.select([self.sock], [], [], left)[0]
        if not r:
            raise Failed("timed out after %.1fs waiting for the server" %
                         self.timeout, 2)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            say("--", "connection reset by peer")
            chunk = b""
        except ssl.SSLError as e:
            say("--", "TLS error: %s" % e)
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def line(self, deadline):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
                say("S:", show(line[:-2] if line.endswith(b"\r\n")
                               else line))
                if not line.endswith(b"\r\n"):
                    raise Failed("reply line ends with a bare LF")
                return line[:-2].decode("latin-1")
            if not self.fill(deadline):
                if self.buf:
                    say("S:", show(self.buf) + "  (no line end)")
                raise Failed("connection closed by the server")

    def reply(self):
        deadline = time.monotonic() + self.timeout
        lines = []
        while True:
            line = self.line(deadline)
            lines.append(line)
            if not re.match(r"^\d{3}-", line):
                return lines

    def send(self, data):
        say("C:", show(data) if len(data) <= 600 else
            show(data[:300]) + " ...(%d bytes)... " % len(data) +
            show(data[-100:]))
        try:
            self.sock.sendall(data)
        except OSError as e:
            # The reply that explains why may already be waiting.
            say("--", "send failed: %s" % e)


def unescape(text):
    return codecs.escape_decode(text.encode("latin-1"))[0]


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if args.tls_max or args.tls_min:
        # Old protocols need OpenSSL's security level 0 on this side.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if args.tls_max:
        ctx.maximum_version = getattr(ssl.TLSVersion, args.tls_max)
    if args.tls_min:
        ctx.minimum_version = getattr(ssl.TLSVersion, args.tls_min)
    return ctx


def starttls(args, c):
    if c.buf:
        say("S:", show(c.buf))
        raise Failed("bytes after the 220, before the TLS handshake")
    try:
        c.sock = tls_context(args).wrap_socket(c.sock)
    except (ssl.SSLError, OSError) as e:
        raise Failed("TLS handshake failed: %s" % e, 1)
    say("--", "TLS %s %s" % (c.sock.version(), c.sock.cipher()[0]))


def run(args, c, step):
    kind, _, arg = step.partition(":")
    if kind == "starttls":
        starttls(args, c)
    elif kind == "tls-expect":
        got = "%s %s" % (c.sock.version(), c.sock.cipher()[0]) \
            if isinstance(c.sock, ssl.SSLSocket) else "none"
        if not re.match(arg, got):
            raise Failed("TLS is %r, expected /%s/" % (got, arg))
    elif kind == "send":
        c.send(unescape(arg))
    elif kind == "slow":
        data = unescape(arg)
        say("C:", "(one byte per write) " + show(data))
        for i in range(len(data)):
            try:
                c.sock.send(data[i:i + 1])
            except OSError as e:
                raise Failed("send failed: %s" % e, 2)
            time.sleep(args.byte_delay)
    elif kind == "sendfile":
        with open(arg, "rb") as f:
            c.send(f.read())
    elif kind == "sleep":
        time.sleep(float(arg))
    elif kind in ("expect", "expect-line"):
        lines = c.reply()
        cand = lines[-1:] if kind == "expect" else lines
        if not any(re.match(arg, l) for l in cand):
            raise Failed("expected a reply matching /%s/, got %r" %
                         (arg, lines[-1]))
    elif kind == "expect-none":
        lines = c.reply()
        if any(re.match(arg, l) for l in lines):
            raise Failed("a reply line matches /%s/" % arg)
    elif kind == "reply":
        c.reply()
    elif kind == "silence":
        if c.buf:
            say("S:", show(c.buf))
            raise Failed("expected silence, got data")
        deadline = time.monotonic() + float(arg)
        while time.monotonic() < deadline:
            r, _, _ = select.select([c.sock], [], [],
                                    max(0, deadline - time.monotonic()))
            if r:
                got = c.fill(deadline + 1)
                if c.buf:
                    say("S:", show(c.buf))
                    raise Failed("expected silence, got data")
                if not got:
                    raise Failed("expected silence, got a close")
    elif kind in ("eof", "drain"):
        deadline = time.monotonic() + args.timeout
        while c.fill(deadline):
            pass
        if c.buf:
            for l in c.buf.split(b"\n"):
                if l:
                    say("S:", show(l[:-1] if l.endswith(b"\r") else l))
            if kind == "eof":
                raise Failed("expected the server to close, got more data")
            c.buf = b""
        say("--", "closed by the server")
    elif kind == "shutdown":
        c.sock.shutdown(socket.SHUT_WR)
    elif kind == "mark":
        c.mark = time.monotonic()
    elif kind == "elapsed":
        lo, hi = (float(x) for x in arg.split(":"))
        dt = time.monotonic() - c.mark
        say("--", "%.2fs since mark" % dt)
        if not lo <= dt <= hi:
            raise Failed("%.2fs since mark, expected %g..%g" % (dt, lo, hi))
    elif kind == "touch":
        open(arg, "w").close()
    elif kind == "waitfile":
        deadline = time.monotonic() + args.wait_timeout
        while not os.path.exists(arg):
            if time.monotonic() > deadline:
                raise Failed("waited %gs for %s" % (args.wait_timeout, arg),
                             2)
            time.sleep(0.05)
    else:
        raise Failed("unknown step %r" % step, 3)


def main():
    p = argparse.ArgumentParser(
        description="raw-socket SMTP client for the integration tests",
        epilog="steps: send: slow: sendfile: sleep: expect: expect-line: "
        "reply silence: eof drain shutdown mark elapsed: touch: waitfile:")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--source", default=None,
                   help="local address to connect from")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="per reply (default 10s)")
    p.add_argument("--wait-timeout", type=float, default=60.0)
    p.add_argument("--byte-delay", type=float, default=0.002)
    p.add_argument("--tls", action="store_true",
                   help="TLS from the connect on (implicit TLS)")
    p.add_argument("--tls-max", default=None)
    p.add_argument("--tls-min", default=None)
    p.add_argument("steps", nargs="*")
    args = p.parse_args()

    try:
        sock = socket.create_connection(
            (args.host, args.port), timeout=args.timeout,
            source_address=(args.source, 0) if args.source else None)
    except OSError as e:
        say("--", "connect to %s:%d failed: %s" % (args.host, args.port, e))
        return 2
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(None)
    say("--", "connected to %s:%d from %s:%d" %
        ((args.host, args.port) + sock.getsockname()[:2]))
    c = Client(sock, args.timeout)
    if args.tls:
        try:
            starttls(args, c)
        except Failed as e:
            say("!!", "implicit TLS: %s" % e)
            return e.status
    for step in args.steps:
        try:
            run(args, c, step)
        except Failed as e:
            say("!!", "step %r: %s" % (step if len(step) < 80 else
                                       step[:77] + "...", e))
            return e.status
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
