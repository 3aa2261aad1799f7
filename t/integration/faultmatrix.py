#!/usr/bin/python3
"""Fault-injection no-loss matrix for smtpproxy (driver of 51-fault-matrix).

    faultmatrix.py --events FAULTSRV_EVENTS --proxy NAME=PORT:LOG ...
                   [--jobs N] [--timeout SEC] [--settle SEC]
                   [--rows R,R] [--cols C,C] [--details FILE]

Rows are upstream faults (faultsrv.py), columns are clients that leave at
each step of the dialog.  Every cell is one client session through a
proxy to the faulty upstream:

  - cells run concurrently (--jobs at a time); each has its own source
    address 127.1.X.Y (so the proxy log's "event=connect client=" line
    names its session), its own EHLO name "CELL.FAULT.fault.test" (the
    upstream reads its fault and cell from it) and its own MAIL FROM and
    message body;
  - the faults that come before any command use their own proxy
    (--proxy NAME=...): "refused" (the proxy's upstream is a port nothing
    listens on), "greet421", "greetstall" and "split" (faultsrv ports
    with that fault from the greeting on); every other row uses "main".

Columns (the client leaves = closes its socket):
    connect    right after connecting
    greeting   after the greeting
    ehlo       after the EHLO reply
    mail       after the MAIL reply
    rcpt       after the RCPT reply
    data       after the DATA reply (354)
    body       in the middle of the body
    dot        0.2s after sending "." (the end of data), not reading its
               reply (the terminator has reached the upstream by then, so
               the cell does not depend on a race in the proxy; the
               "slow-eod" row's reply comes after the client left)
    never      never: the whole dialog, one command at a time, then QUIT
    pipelined  never, with PIPELINING (RFC 2920): MAIL RCPT DATA in one
               write, then the body, "." and QUIT in one write

A client whose command is refused goes on as a real MTA does: a 5xx to
EHLO falls back to HELO; any other refusal is followed by QUIT; after a
421 it closes.

Assertions, per cell:
  1. every command the client sent and waited for got a complete SMTP
     reply: never a close, a reset or --timeout seconds of silence before
     it (a reset after a 4xx/5xx reply is tolerated);
  2. the upstream got the message (a complete, terminated DATA) at most
     once;
  3. the upstream queued it if and only if the client got the upstream's
     own "250 2.0.0 Ok: queued as Q" for it, content unchanged.
     Exceptions, where SMTP cannot know (RFC 1047): the upstream closes
     ("eodclose") or stays silent ("stall-eod") after the terminator: the
     client must get a 4xx and the proxy must log, for that session, that
     the message "may have been delivered"; and when the client itself
     left after "." ("dot") and the upstream queued it, the proxy log
     must still tell the truth: the upstream's 250 (event=message
     verdict=accept) or "may have been delivered";
  4. the proxy ended the session (one event=close line) and every
     upstream connection of the cell is closed once the matrix settled;
     the proxy answered the connection at all (alive).
  Each row also names the reply its fault must produce at its step
  (e.g. MAIL 451 passed as 451, a stall answered 421 4.4.2), and a QUIT
  sent while the session is on gets 221.

Prints a summary grid, then each failed cell with what was seen (client
transcript, upstream events, proxy log lines).  Exit 0 when every cell
passed, 1 otherwise, 2 on bad usage.
"""

import argparse
import errno
import hashlib
import os
import re
import select
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

T0 = time.monotonic()

COLUMNS = ["connect", "greeting", "ehlo", "mail", "rcpt", "data", "body",
           "dot", "never", "pipelined"]

OK250 = r"^250 2\.0\.0 Ok: queued as \d+$"
TIMEOUT421 = r"^421 4\.4\.2( |$)"

# name, proxy, {step: reply regex it must get there}, success expected.
# Steps: greeting EHLO HELO MAIL RCPT DATA EOD (EOD: the end-of-data
# reply, or a reply that came in the middle of the body).
ROWS = [
    ("none", "main", {}, True),
    ("refused", "refused", {"greeting": r"^421 4\.4\.1( |$)"}, False),
    ("greet421", "greet421", {"greeting": r"^421 "}, False),
    ("greetstall", "greetstall", {"greeting": TIMEOUT421}, False),
    ("ehlo5xx", "main", {"EHLO": r"^554 ", "HELO": r"^250 "}, True),
    ("mail4xx", "main", {"MAIL": r"^451 "}, False),
    ("mail5xx", "main", {"MAIL": r"^550 "}, False),
    ("rcpt4xx", "main", {"RCPT": r"^450 "}, False),
    ("rcpt5xx", "main", {"RCPT": r"^550 "}, False),
    ("data554", "main", {"DATA": r"^554 "}, False),
    ("data354close", "main", {"DATA": r"^(354|4\d\d) ", "EOD": r"^4"},
     False),
    ("bodyclose", "main", {"EOD": r"^4"}, False),
    ("eodclose", "main", {"EOD": r"^4"}, False),
    ("slow-eod", "main", {}, True),
    ("eod451", "main", {"EOD": r"^451 "}, False),
    ("eod554", "main", {"EOD": r"^554 "}, False),
    ("stall-ehlo", "main", {"EHLO": TIMEOUT421}, False),
    ("stall-mail", "main", {"MAIL": TIMEOUT421}, False),
    ("stall-rcpt", "main", {"RCPT": TIMEOUT421}, False),
    ("stall-data", "main", {"DATA": TIMEOUT421}, False),
    ("stall-body", "main", {"EOD": TIMEOUT421}, False),
    ("stall-eod", "main", {"EOD": TIMEOUT421}, False),
    ("split", "split", {}, True),
]
# After the terminator the upstream may have the message: SMTP cannot
# tell (RFC 1047); the proxy must say so in its log.
MAYBE_ROWS = ("eodclose", "stall-eod")
MAYBE_LOG = re.compile(r"event=\S+.*may have been delivered")
# Over what the kernel buffers on both legs with Debian's default
# tcp_rmem/tcp_wmem (6 MB + 4 MB and more), so a stalled upstream does
# stall the client.
BIG_BODY_ROWS = {"stall-body": 16 * 1024 * 1024}
SANITIZER = re.compile(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|"
                       r"runtime error:")


def show(data):
    out = []
    for b in data:
        if b == 0x5c:
            out.append("\\\\")
        elif 0x20 <= b < 0x7f:
            out.append(chr(b))
        else:
            out.append({13: "\\r", 10: "\\n", 9: "\\t"}.get(b, "\\x%02x" % b))
    return "".join(out)


def make_body(cell, size):
    """(wire form without the terminator, content) of cell's message."""
    lines = [b"From: <%s@fault.test>" % cell.encode(),
             b"To: <rcpt@fault.test>",
             b"Subject: fault matrix cell " + cell.encode(),
             b"Message-ID: <%s@fault.test>" % cell.encode(),
             b"", b"Cell %s." % cell.encode(),
             b".a line that starts with a dot", b"..two dots", b"."]
    filler = b"%s " % cell.encode() + b"x" * 70
    n, total = 0, sum(len(l) + 2 for l in lines)
    while total < size:
        n += 1
        lines.append(b"%06d " % n + filler)
        total += len(lines[-1]) + 2
    lines.append(b"end of " + cell.encode())
    content = b"".join(l + b"\r\n" for l in lines)
    wire = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
                    for l in lines)
    return wire, content


class Step:
    """One command the client sent and waited for."""

    def __init__(self, name):
        self.name = name
        self.outcome = None     # reply eof reset timeout stuck
        self.lines = []

    @property
    def last(self):
        return self.lines[-1] if self.lines else ""

    def code(self):
        m = re.match(r"^(\d{3})", self.last)
        return int(m.group(1)) if m and self.outcome == "reply" else 0

    def describe(self):
        if self.outcome == "reply":
            return "%s: %s" % (self.name, self.last)
        return "%s: %s" % (self.name, {
            "eof": "connection closed with no reply",
            "reset": "connection reset with no reply",
            "timeout": "no reply (silence until the client's timeout)",
            "stuck": "the proxy stopped reading the body, no reply "
                     "(until the client's timeout)"}.get(self.outcome,
                                                         self.outcome))


class Client:
    def __init__(self, cell, port, timeout):
        self.cell = cell
        self.port = port
        self.timeout = timeout
        self.sock = None
        self.buf = b""
        self.eof = False
        self.reset = False
        self.reset_before_refusal = False
        self.transcript = []
        self.steps = []
        self.left = None        # where the client left by its own choice
        self.esmtp = True
        self.pipelining = False
        self.connect_error = None

    def say(self, prefix, text):
        self.transcript.append("%7.3f %s %s" % (time.monotonic() - T0,
                                                 prefix, text))

    def connect(self):
        s = socket.socket()
        try:
            s.bind((self.cell.source, 0))
            s.settimeout(self.timeout)
            s.connect(("127.0.0.1", self.port))
        except OSError as e:
            s.close()
            self.connect_error = str(e)
            self.say("--", "connect to 127.0.0.1:%d failed: %s" %
                     (self.port, e))
            return False
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        self.sock = s
        self.cell.client_addr = "%s:%d" % s.getsockname()[:2]
        self.say("--", "connected from %s" % self.cell.client_addr)
        return True

    def refused_before(self):
        return any(st.outcome == "reply" and st.code() >= 400
                   for st in self.steps)

    def got_reset(self):
        if not self.reset:
            self.reset = True
            self.say("--", "connection reset by peer")
            if not self.refused_before():
                self.reset_before_refusal = True

    def fill(self, deadline):
        """Read once; False at EOF, reset or the deadline."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return True
        except OSError as e:
            if e.errno == errno.ECONNRESET:
                self.got_reset()
            else:
                self.say("--", "recv: %s" % e)
            self.eof = True
            return False
        if not chunk:
            self.eof = True
            self.say("--", "closed by the proxy")
            return False
        self.buf += chunk
        return True

    def take_reply(self):
        """A complete reply from the buffer, or None."""
        lines, pos = [], 0
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i < 0:
                return None
            line = self.buf[pos:i].decode("latin-1")
            lines.append(line)
            pos = i + 2
            if not re.match(r"^\d{3}-", line):
                for l in lines:
                    self.say("S:", show(l.encode("latin-1")))
                self.buf = self.buf[pos:]
                return lines

    def wait(self, name, timeout=None):
        st = Step(name)
        self.steps.append(st)
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            lines = self.take_reply()
            if lines is not None:
                st.outcome, st.lines = "reply", lines
                return st
            if not self.fill(deadline):
                if self.buf:
                    self.say("S:", show(self.buf) + "  (no line end)")
                    self.buf = b""
                if self.reset:
                    st.outcome = "reset"
                elif self.eof:
                    st.outcome = "eof"
                else:
                    st.outcome = "timeout"
                    self.say("--", "no reply in %gs" % timeout)
                return st

    def send(self, data, leaving=False, stall_limit=None):
        """Send data whole, reading meanwhile. Returns "reply" when a
        reply came before the data was all sent (the proxy gave up in the
        middle; it stays in the buffer for wait()), "stuck" when nothing
        moved for stall_limit seconds, "error" when sending failed, or
        None."""
        self.say("C:", show(data) if len(data) <= 300 else
                 show(data[:120]) + " ...(%d bytes)... " % len(data) +
                 show(data[-60:]))
        limit = self.timeout if stall_limit is None else stall_limit
        off = 0
        moved = time.monotonic()
        while off < len(data):
            if time.monotonic() - moved > limit:
                self.say("--", "send blocked for %gs (%d of %d bytes sent)"
                         % (limit, off, len(data)))
                return "stuck"
            r, w, _ = select.select([] if self.eof else [self.sock],
                                    [self.sock], [], 0.2)
            if r and not self.eof:
                before = len(self.buf)
                if not self.fill(time.monotonic() + 0.01) and \
                        (self.eof or self.reset):
                    if not leaving:
                        self.say("--", "input closed while sending "
                                 "(%d of %d bytes sent)" % (off, len(data)))
                if len(self.buf) > before and self.take_reply_peek():
                    self.say("--", "reply while sending (%d of %d bytes "
                             "sent)" % (off, len(data)))
                    return "reply"
            if w:
                try:
                    n = self.sock.send(data[off:off + 262144])
                except BlockingIOError:
                    continue
                except OSError as e:
                    if e.errno == errno.ECONNRESET:
                        self.got_reset()
                    self.say("--", "send failed: %s (%d of %d bytes sent)"
                             % (e, off, len(data)))
                    return "error"
                off += n
                moved = time.monotonic()
        return None

    def take_reply_peek(self):
        return re.search(rb"(^|\r\n)\d{3}( [^\r\n]*)?\r\n", self.buf) \
            is not None

    def command(self, line, name=None):
        self.send(line.encode() + b"\r\n")
        return self.wait(name or line.split(" ")[0].split(":")[0])

    def leave(self, where):
        self.left = where
        self.say("--", "client leaves (%s)" % where)
        self.close()

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def finish(self, st):
        """After a refusal: QUIT unless the session is over (421, close)."""
        if st.outcome == "reply" and st.code() != 421 and not self.eof:
            self.command("QUIT")
        self.close()

    def run(self):
        c = self.cell
        try:
            self.dialog(c)
        except OSError as e:
            self.say("!!", "client error: %s" % e)
        finally:
            self.close()

    def dialog(self, c):
        if not self.connect():
            return
        if c.col == "connect":
            return self.leave("after connect")
        st = self.wait("greeting")
        if st.outcome != "reply" or st.code() != 220:
            return self.finish(st)
        if c.col == "greeting":
            return self.leave("after the greeting")
        st = self.command("EHLO " + c.helo)
        if st.outcome == "reply" and 500 <= st.code() < 600:
            self.esmtp = False
            st = self.command("HELO " + c.helo)
        if st.outcome != "reply" or st.code() // 100 != 2:
            return self.finish(st)
        self.pipelining = self.esmtp and any(
            re.match(r"^250[- ]PIPELINING\b", l, re.I) for l in st.lines)
        if c.col == "ehlo":
            return self.leave("after the EHLO reply")
        mail = "MAIL FROM:<%s@fault.test>" % c.id
        rcpt = "RCPT TO:<rcpt@fault.test>"
        if c.col == "pipelined" and self.pipelining:
            return self.pipelined(c, mail, rcpt)
        for line, col in ((mail, "mail"), (rcpt, "rcpt")):
            st = self.command(line)
            if st.outcome != "reply" or st.code() // 100 != 2:
                return self.finish(st)
            if c.col == col:
                return self.leave("after the %s reply" % line[:4])
        st = self.command("DATA")
        if st.outcome != "reply" or st.code() != 354:
            return self.finish(st)
        if c.col == "data":
            return self.leave("after the 354")
        wire = c.body()
        if c.col == "body":
            self.send(wire[:len(wire) // 2], leaving=True,
                      stall_limit=3)
            return self.leave("in the middle of the body")
        how = self.send(wire + b".\r\n")
        if c.col == "dot" and how is None:
            time.sleep(0.2)
            return self.leave('0.2s after ".", its reply not read')
        st = self.wait("EOD", 1 if how == "stuck" else None)
        if how == "stuck" and st.outcome == "timeout":
            st.outcome = "stuck"
        c.eod_step = st
        self.finish(st)

    def pipelined(self, c, mail, rcpt):
        self.send(("%s\r\n%s\r\nDATA\r\n" % (mail, rcpt)).encode())
        sts = []
        for name in ("MAIL", "RCPT", "DATA"):
            st = self.wait(name)
            sts.append(st)
            if st.outcome != "reply" or st.code() == 421:
                return self.close()
        if sts[2].code() != 354:
            return self.finish(sts[2])
        if sts[0].code() // 100 != 2 or sts[1].code() // 100 != 2:
            # 354 with no valid recipient: end the empty message.
            self.send(b".\r\n")
            return self.finish(self.wait("EOD"))
        how = self.send(c.body() + b".\r\nQUIT\r\n")
        st = self.wait("EOD", 1 if how == "stuck" else None)
        if how == "stuck" and st.outcome == "timeout":
            st.outcome = "stuck"
        c.eod_step = st
        if st.outcome == "reply" and st.code() != 421:
            self.wait("QUIT")
        self.close()


class Cell:
    def __init__(self, idx, row, col):
        self.idx = idx
        self.id = "c%03d" % idx
        self.row, self.proxy, self.expect, self.success = row
        self.col = col
        self.helo = "%s.%s.fault.test" % (self.id, self.row)
        self.source = "127.1.%d.%d" % (idx // 250, idx % 250 + 1)
        self.size = BIG_BODY_ROWS.get(self.row, 3000)
        self.content_len, self.sha = None, None
        self.client_addr = None
        self.eod_step = None
        self.client = None
        self.failures = []
        self.duration = 0.0
        self.ev = {"eod": [], "queued": set(), "conns": set(), "lines": []}
        self.sid = None
        self.slines = []

    def body(self):
        """The wire form of the message (made when needed: some are big)."""
        wire, content = make_body(self.id, self.size)
        self.content_len = len(content)
        self.sha = hashlib.sha256(content).hexdigest()
        return wire

    def weight(self):
        """Expected duration, to start the slow cells first."""
        if self.row.startswith("stall-") or self.row == "greetstall":
            return 2
        return 1 if self.row in BIG_BODY_ROWS else 0


def run_cell(cell, port, timeout):
    t = time.monotonic()
    cell.client = Client(cell, port, timeout)
    cell.client.run()
    cell.duration = time.monotonic() - t


# ---------------------------------------------------------------------
# What the upstream and the proxy saw.

def read_events(path):
    """faultsrv events: per cell, [eod (id, size, sha)], {queued ids},
    connections; and the connections still open."""
    cells, open_conns, conn_cell = {}, set(), {}
    try:
        text = open(path).read()
    except OSError:
        text = ""
    # A line being written is not complete yet.
    lines = text.split("\n")[:-1]
    for line in lines:
        kv = dict(x.split("=", 1) for x in line.split() if "=" in x)
        n = kv.get("conn")
        if line.endswith(" open"):
            open_conns.add(n)
            continue
        cell = kv.get("cell", "-")
        if cell != "-":
            conn_cell[n] = cell
        e = cells.setdefault(cell, {"eod": [], "queued": set(),
                                    "conns": set(), "lines": []})
        e["lines"].append(line)
        if cell != "-":
            e["conns"].add(n)
        if " eod " in line:
            e["eod"].append((int(kv["id"]), int(kv["size"]), kv["sha256"]))
        elif " queued " in line:
            e["queued"].add(int(kv["id"]))
        elif " close " in line:
            open_conns.discard(n)
    still = {}
    for n in open_conns:
        still.setdefault(conn_cell.get(n, "-"), set()).add(n)
    return cells, still


class ProxyLog:
    def __init__(self, path):
        self.path = path
        self.sessions = {}      # client address -> session id
        self.lines = {}         # session id -> [lines]
        self.sanitizer = []     # (line number, text, last session id)
        self.all = []

    def load(self):
        try:
            text = open(self.path, "rb").read().decode("latin-1")
        except OSError:
            text = ""
        self.all = text.splitlines()
        self.sessions, self.lines, self.sanitizer = {}, {}, []
        last = None
        for i, line in enumerate(self.all):
            m = re.search(r"session=([0-9a-f]+) ", line)
            if m:
                last = m.group(1)
                self.lines.setdefault(last, []).append(line)
                c = re.search(r"event=connect client=(\S+)", line)
                if c:
                    self.sessions[c.group(1)] = last
            if SANITIZER.search(line):
                self.sanitizer.append((i, line, last))

    def session_of(self, addr):
        return self.sessions.get(addr) if addr else None

    def closed(self, sid):
        return sum(1 for l in self.lines.get(sid, ())
                   if " event=close " in l)


# ---------------------------------------------------------------------
# The assertions.

def judge(cell, events, still, log):
    cl = cell.client
    f = cell.failures
    ev = events.get(cell.id, {"eod": [], "queued": set(), "conns": set(),
                              "lines": []})
    sid = log.session_of(cell.client_addr)
    slines = log.lines.get(sid, []) if sid else []

    # 4 (alive): the proxy answered.
    if cl.connect_error:
        f.append("connect to the proxy failed: %s (proxy gone?)" %
                 cl.connect_error)
        return
    # 1: an explicit reply to every command waited for.
    for st in cl.steps:
        if st.outcome != "reply":
            f.append("(1) " + st.describe())
        elif not re.match(r"^\d{3}( |$)", st.last):
            f.append("(1) %s: not an SMTP reply: %r" % (st.name, st.last))
    if cl.reset_before_refusal:
        f.append("(1) connection reset without a 4xx/5xx reply first")
    # The fault's own reply at its step.
    got = {}
    for st in cl.steps:
        got.setdefault(st.name, st)
    for step, rx in cell.expect.items():
        st = cell.eod_step if step == "EOD" else got.get(step)
        if st is None or st.outcome != "reply":
            continue
        if not re.match(rx, st.last):
            f.append("%s: expected /%s/, got %r" % (step, rx, st.last))
    # 2: at most once.
    if len(ev["eod"]) > 1:
        f.append("(2) the upstream got the message %d times (ids %s)" %
                 (len(ev["eod"]), ",".join(str(e[0]) for e in ev["eod"])))
    for q, size, sha in ev["eod"]:
        if cell.sha is None:
            f.append("(3) the upstream got a message %d (%d bytes) the "
                     "client never sent" % (q, size))
        elif sha != cell.sha:
            f.append("(3) the upstream's copy %d differs from what the "
                     "client sent (%d bytes, expected %d)" %
                     (q, size, cell.content_len))
    # 3: queued if and only if the client got the upstream's own 250.
    eod = cell.eod_step
    text = eod.last if eod is not None and eod.outcome == "reply" else ""
    m = re.match(r"^250 2\.0\.0 Ok: queued as (\d+)$", text)
    client_250 = int(m.group(1)) if m else None
    queued = ev["queued"]
    maybe = [l for l in slines if MAYBE_LOG.search(l)]
    if text.startswith("2") and client_250 is None:
        f.append("(3) the client got %r for its message, not the "
                 "upstream's own reply" % text)
    if client_250 is not None and client_250 not in queued:
        f.append("(3) the client got %r but the upstream did not queue "
                 "it (queued: %s)" % (text, sorted(queued) or "none"))
    if queued and client_250 not in queued:
        if cell.row in MAYBE_ROWS and eod is not None:
            pass        # judged below
        elif cell.col == "dot" and eod is None:
            told = [l for l in slines if "event=message" in l and
                    "verdict=accept" in l and
                    any('reply="250 2.0.0 Ok: queued as %d"' % q in l
                        for q in queued)]
            if not told and not maybe:
                f.append("(3) the client left after \".\"; the upstream "
                         "queued it (%s) and the proxy log says neither "
                         "the upstream's 250 nor \"may have been "
                         "delivered\"" % ",".join(map(str, sorted(queued))))
        else:
            f.append("(3) the upstream queued it (%s) but the client did "
                     "not get that 250 (got %r)" %
                     (",".join(map(str, sorted(queued))), text or
                      (eod.describe() if eod else "no end of data")))
    if cell.row in MAYBE_ROWS and eod is not None:
        if eod.outcome == "reply" and not text.startswith("4"):
            f.append("(3) %s: the client must get a 4xx, got %r" %
                     (cell.row, text))
        if ev["eod"] and not maybe:
            f.append("(3) %s: no proxy log line /%s/ for session %s" %
                     (cell.row, MAYBE_LOG.pattern, sid or "?"))
    # A normal dialog must deliver.
    if cell.success and cell.col in ("never", "pipelined") and \
            client_250 is None:
        f.append("the dialog should have delivered the message; end of "
                 "data: %s" % (eod.describe() if eod else "not reached"))
    # QUIT, sent while the session is still on (no 421 before it), gets
    # 221 (SPEC 3: commands after "." in the same write run after the
    # end-of-data reply), and a normal dialog ends with it.
    quits = [st for st in cl.steps if st.name == "QUIT"]
    for st in quits:
        if st.outcome == "reply" and st.code() != 221:
            f.append("QUIT: expected 221, got %r" % st.last)
    if cell.success and cell.col in ("never", "pipelined") and not quits:
        f.append("QUIT: the dialog did not reach QUIT")
    # 4: sessions end, upstream connections close.
    if sid is None:
        f.append("(4) no event=connect line for client=%s in %s" %
                 (cell.client_addr, os.path.basename(log.path)))
    else:
        n = log.closed(sid)
        if n != 1:
            f.append("(4) session %s has %d event=close lines (expected 1)"
                     % (sid, n))
    if still.get(cell.id):
        f.append("(4) upstream connection(s) %s of this cell still open" %
                 ",".join(sorted(still[cell.id])))
    cell.ev, cell.sid, cell.slines = ev, sid, slines


def settled(cells, logs, events_path):
    events, still = read_events(events_path)
    if any(still.values()):
        return False
    for log in logs.values():
        log.load()
    for c in cells:
        if c.client.connect_error:
            continue
        log = logs[c.proxy]
        sid = log.session_of(c.client_addr)
        if sid is None or log.closed(sid) == 0:
            return False
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--events", required=True)
    p.add_argument("--proxy", action="append", required=True,
                   metavar="NAME=PORT:LOG")
    p.add_argument("--jobs", type=int, default=12)
    p.add_argument("--timeout", type=float, default=10.0,
                   help="client's wait for each reply (default 10s)")
    p.add_argument("--settle", type=float, default=12.0,
                   help="wait this long at most for the sessions and the "
                   "upstream connections to end (default 12s)")
    p.add_argument("--rows", default="")
    p.add_argument("--cols", default="")
    p.add_argument("--details", default=None,
                   help="also write every cell's transcript to FILE")
    args = p.parse_args()

    proxies, logs = {}, {}
    for spec in args.proxy:
        name, _, rest = spec.partition("=")
        port, _, path = rest.partition(":")
        proxies[name] = int(port)
        logs[name] = ProxyLog(path)
    rows = [r for r in ROWS if not args.rows or r[0] in
            args.rows.split(",")]
    cols = [c for c in COLUMNS if not args.cols or c in
            args.cols.split(",")]
    for r in rows:
        if r[1] not in proxies:
            p.error("row %s needs --proxy %s=PORT:LOG" % (r[0], r[1]))
    cells = []
    for r in rows:
        for col in cols:
            cells.append(Cell(len(cells) + 1, r, col))

    print("fault matrix: %d rows x %d columns = %d cells, %d at a time" %
          (len(rows), len(cols), len(cells), args.jobs), flush=True)
    order = sorted(cells, key=lambda c: -c.weight())
    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for c in order:
            ex.submit(run_cell, c, proxies[c.proxy], args.timeout)
    ran = time.monotonic() - T0
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline:
        if settled(cells, logs, args.events):
            break
        time.sleep(0.25)
    events, still = read_events(args.events)
    for log in logs.values():
        log.load()
    for c in cells:
        judge(c, events, still, logs[c.proxy])
    total = time.monotonic() - T0

    failed = [c for c in cells if c.failures]
    w = max(len(r[0]) for r in rows) + 1
    print("\n%-*s %s" % (w, "", " ".join("%-9s" % c for c in cols)))
    for r in rows:
        marks = []
        for col in cols:
            c = next(x for x in cells if x.row == r[0] and x.col == col)
            marks.append("%-9s" % ("FAIL" if c.failures else "ok"))
        print("%-*s %s" % (w, r[0], " ".join(marks)))
    print("\ncells: %d, passed: %d, failed: %d (clients %.1fs, total "
          "%.1fs)" % (len(cells), len(cells) - len(failed), len(failed),
                      ran, total))
    san = [(n, log) for n, log in logs.items() if log.sanitizer]
    for name, log in san:
        for i, line, sid in log.sanitizer[:3]:
            owner = [c.id + " " + c.row + " x " + c.col for c in cells
                     if c.client_addr and log.session_of(c.client_addr)
                     == sid]
            print("SANITIZER in proxy %s (%s line %d): %s\n  last session "
                  "before it: %s (%s)" % (name, os.path.basename(log.path),
                                          i + 1, line.strip(), sid,
                                          ", ".join(owner) or "unknown"))
    for c in failed:
        print("\n--- FAIL %s %s x %s (proxy %s, client %s, session %s, "
              "%.1fs)" % (c.id, c.row, c.col, c.proxy, c.client_addr,
                          getattr(c, "sid", None), c.duration))
        for x in c.failures:
            print("  * " + x)
        print("  client:")
        for l in c.client.transcript[-14:]:
            print("    " + l)
        print("  upstream: eod=%d queued=%s" % (
            len(c.ev["eod"]), sorted(c.ev["queued"]) or "none"))
        for l in c.ev["lines"][-8:]:
            print("    " + l)
        print("  proxy:")
        for l in c.slines[-10:]:
            print("    " + l)
    if args.details:
        with open(args.details, "w") as fh:
            for c in cells:
                fh.write("=== %s %s x %s: %s\n" % (
                    c.id, c.row, c.col, "FAIL" if c.failures else "ok"))
                for l in c.client.transcript:
                    fh.write("  " + l + "\n")
    print("\nfault matrix: %d of %d cells failed" % (len(failed),
                                                     len(cells)))
    return 1 if failed or san else 0


if __name__ == "__main__":
    sys.exit(main())
