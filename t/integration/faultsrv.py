#!/usr/bin/python3
"""Faulty SMTP upstream for the fault-injection matrix (51-fault-matrix).

    faultsrv.py --dir DIR --listen PORT[=FAULT] [--listen ...]

A minimal ESMTP server that fails on purpose.  A port given with =FAULT
applies that fault to every connection from its greeting on (the faults
that come before any command: "greet421", "greetstall", and "split" so
that the greeting too is split).  On a port given without a fault, the
fault is chosen per connection from the client's EHLO or HELO name,
"CELL.FAULT.fault.test" (the proxy passes the client's EHLO through and
replays it on a new upstream connection, so every upstream connection of
a matrix cell knows its cell and fault).  Until that name arrives the
server behaves normally.

Faults (what the server does instead of answering normally):

    none          answer everything normally
    greet421      greet "421 4.3.2 ..." and close
    greetstall    never greet; wait for the peer to close
    ehlo5xx       EHLO: 554 5.7.1 (HELO still works: the client falls back)
    mail4xx       MAIL: 451 4.3.0        mail5xx   MAIL: 550 5.7.1
    rcpt4xx       RCPT: 450 4.2.0        rcpt5xx   RCPT: 550 5.1.1
    data554       DATA: 554 5.5.1
    data354close  DATA: 354, then close at once
    bodyclose     DATA: 354, close after 1000 body bytes
    eodclose      take the message whole (it is queued), then close
                  without answering the terminator (RFC 1047)
    slow-eod      a slow but working end of data: queued at once,
                  "250" one second later
    eod451        end of data: 451 4.3.0 (not queued)
    eod554        end of data: 554 5.7.1 (not queued)
    stall-ehlo, stall-mail, stall-rcpt, stall-data
                  never answer that command (keep reading, answer nothing)
    stall-body    354, then never read again
    stall-eod     read the message whole, never answer the terminator
                  (not queued: the server never decided)
    split         every reply is written one byte per packet

DATA without an accepted RCPT gets 554 (as RFC 2920 expects).  A
queued message gets "250 2.0.0 Ok: queued as Q", Q numbered from 1
across all connections.  DIR/events gets one line per event:

    conn=N port=P open
    conn=N cell=C fault=F helo=NAME
    conn=N cell=C eod id=Q size=BYTES sha256=HEX  (a complete, terminated
                                                    DATA; content unstuffed)
    conn=N cell=C queued id=Q
    conn=N cell=C close how=...

and DIR/conn-N.raw every byte received.  DIR/ready is created once every
port listens.  SIGTERM or SIGINT stops the server (exit 0).
"""

import argparse
import hashlib
import os
import re
import select
import signal
import socket
import sys
import threading
import time

EOD = re.compile(rb"\r\n\.\r\n")
HELO_NAME = re.compile(r"^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.fault\.test$")
FAULTS = ("none greet421 greetstall ehlo5xx mail4xx mail5xx rcpt4xx rcpt5xx "
          "data554 data354close bodyclose eodclose slow-eod eod451 eod554 "
          "stall-ehlo "
          "stall-mail stall-rcpt stall-data stall-body stall-eod "
          "split").split()
BODY_CLOSE_AFTER = 1000


class Server:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.nconn = 0
        self.nqueued = 0
        self.stop = False

    def event(self, line):
        with self.lock:
            with open(os.path.join(self.args.dir, "events"), "a") as f:
                f.write(line + "\n")

    def next_conn(self):
        with self.lock:
            self.nconn += 1
            return self.nconn

    def next_queue_id(self):
        with self.lock:
            self.nqueued += 1
            return self.nqueued


def unstuff(body):
    """Message content from the wire form of a body (RFC 5321 4.5.2)."""
    parts = re.split(rb"(\r\n)", body)
    return b"".join(p[1:] if i % 2 == 0 and p.startswith(b".") else p
                    for i, p in enumerate(parts))


class Gone(Exception):
    """The peer closed or the connection broke."""


class Connection(threading.Thread):
    def __init__(self, srv, sock, port, fault):
        super().__init__(daemon=True)
        self.srv = srv
        self.sock = sock
        self.port = port
        self.fault = fault or "none"
        self.cell = "-"
        self.n = srv.next_conn()
        self.raw = open(os.path.join(srv.args.dir, "conn-%d.raw" % self.n),
                        "wb")
        self.buf = b""
        self.eof = False
        self.how = "peer closed"

    def event(self, text):
        self.srv.event("conn=%d cell=%s %s" % (self.n, self.cell, text))

    def send(self, text):
        data = text.encode("ascii", "replace") + b"\r\n"
        try:
            if self.fault == "split":
                for i in range(len(data)):
                    self.sock.send(data[i:i + 1])
                    time.sleep(0.001)
            else:
                self.sock.sendall(data)
        except OSError as e:
            raise Gone("send: %s" % e)

    def fill(self):
        if self.eof:
            raise Gone("peer closed")
        try:
            chunk = self.sock.recv(65536)
        except OSError as e:
            chunk = b""
            self.how = "recv: %s" % e
        if not chunk:
            self.eof = True
            raise Gone(self.how)
        self.raw.write(chunk)
        self.raw.flush()
        self.buf += chunk

    def readline(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self.fill()

    def read_body(self, limit=None):
        """The wire form of a body up to CRLF.CRLF (excluded), or None
        when limit bytes came first."""
        while True:
            if limit is not None and len(self.buf) >= limit:
                return None
            s = b"\r\n" + self.buf
            m = EOD.search(s)
            if m:
                body = s[2:m.start()] + (b"\r\n" if m.start() > 0 else b"")
                self.buf = s[m.end():]
                return body
            self.fill()

    def wait_gone(self, reading):
        """Answer nothing until the peer closes. reading: keep reading
        (and recording) its bytes; otherwise never read again and watch
        for the close with POLLRDHUP."""
        if reading:
            while True:
                self.fill()
        p = select.poll()
        p.register(self.sock, select.POLLRDHUP | select.POLLHUP |
                   select.POLLERR)
        while not self.srv.stop:
            if p.poll(200):
                raise Gone("peer closed (unread input left)")
        raise Gone("server stopped")

    def close_now(self, why):
        self.how = why
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise Gone(why)

    def run(self):
        self.srv.event("conn=%d port=%d open" % (self.n, self.port))
        try:
            self.session()
        except Gone as e:
            self.how = str(e)
        except OSError as e:
            self.how = "error: %s" % e
        finally:
            self.event("close how=%s" % self.how.replace(" ", "_"))
            try:
                self.sock.close()
            except OSError:
                pass
            self.raw.close()

    def helo_name(self, arg):
        m = HELO_NAME.match(arg)
        if m:
            self.cell = m.group(1)
            if self.port_fault is None:
                fault = m.group(2)
                self.fault = fault if fault in FAULTS else "none"
        self.event("fault=%s helo=%s" % (self.fault, arg or "-"))

    def session(self):
        f = self.port_fault = self.srv.port_faults[self.port]
        if f == "greetstall":
            self.wait_gone(True)
        if f == "greet421":
            self.send("421 4.3.2 faultsrv: service not available")
            self.close_now("closed after 421 greeting")
        self.send("220 faultsrv ESMTP")
        mail_from, rcpts = None, 0
        while True:
            line = self.readline()
            verb = line.split(b" ", 1)[0].upper()
            arg = line[len(verb):].strip().decode("latin-1")
            f = self.fault
            if f == "stall-" + verb.decode("latin-1").lower():
                self.wait_gone(True)
            if verb == b"EHLO":
                self.helo_name(arg)
                if self.fault == "stall-ehlo":
                    self.wait_gone(True)
                if self.fault == "ehlo5xx":
                    self.send("554 5.7.1 faultsrv: EHLO refused")
                    continue
                self.send("250-faultsrv\r\n250-PIPELINING\r\n"
                          "250-SIZE 52428800\r\n250-8BITMIME\r\n"
                          "250 ENHANCEDSTATUSCODES")
            elif verb == b"HELO":
                self.helo_name(arg)
                self.send("250 faultsrv")
            elif verb == b"MAIL":
                if f == "mail4xx":
                    self.send("451 4.3.0 faultsrv: MAIL deferred")
                elif f == "mail5xx":
                    self.send("550 5.7.1 faultsrv: MAIL refused")
                else:
                    mail_from, rcpts = arg, 0
                    self.send("250 2.1.0 Ok")
            elif verb == b"RCPT":
                if f == "rcpt4xx":
                    self.send("450 4.2.0 faultsrv: RCPT deferred")
                elif f == "rcpt5xx":
                    self.send("550 5.1.1 faultsrv: RCPT refused")
                elif mail_from is None:
                    self.send("503 5.5.1 faultsrv: MAIL first")
                else:
                    rcpts += 1
                    self.send("250 2.1.5 Ok")
            elif verb == b"DATA":
                if f == "data554":
                    self.send("554 5.5.1 faultsrv: DATA refused")
                    continue
                if not rcpts:
                    # RFC 2920 3.1: DATA after failed RCPTs.
                    self.send("554 5.5.1 faultsrv: no valid recipients")
                    continue
                self.send("354 End data with <CR><LF>.<CR><LF>")
                if f == "data354close":
                    self.close_now("closed after 354")
                if f == "stall-body":
                    self.wait_gone(False)
                body = self.read_body(BODY_CLOSE_AFTER
                                      if f == "bodyclose" else None)
                if body is None:
                    self.close_now("closed after %d body bytes" %
                                   len(self.buf))
                content = unstuff(body)
                q = self.srv.next_queue_id()
                self.event("eod id=%d size=%d sha256=%s" % (
                    q, len(content), hashlib.sha256(content).hexdigest()))
                mail_from, rcpts = None, 0
                if f == "stall-eod":
                    self.wait_gone(True)
                if f == "eod451":
                    self.send("451 4.3.0 faultsrv: message deferred")
                    continue
                if f == "eod554":
                    self.send("554 5.7.1 faultsrv: message refused")
                    continue
                self.event("queued id=%d" % q)
                if f == "eodclose":
                    self.close_now("closed after the terminator, "
                                   "no reply")
                if f == "slow-eod":
                    time.sleep(1)
                self.send("250 2.0.0 Ok: queued as %d" % q)
            elif verb == b"RSET":
                mail_from, rcpts = None, 0
                self.send("250 2.0.0 Ok")
            elif verb == b"NOOP":
                self.send("250 2.0.0 Ok")
            elif verb == b"QUIT":
                self.send("221 2.0.0 Bye")
                self.close_now("quit")
            else:
                self.send("502 5.5.2 Error: command not recognized")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--dir", required=True)
    p.add_argument("--listen", action="append", required=True,
                   metavar="PORT[=FAULT]")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    srv = Server(args)
    srv.port_faults = {}
    listeners = []
    for spec in args.listen:
        port, _, fault = spec.partition("=")
        if fault and fault not in FAULTS:
            p.error("unknown fault %r" % fault)
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((args.host, int(port)))
        ls.listen(1024)
        ls.setblocking(False)
        srv.port_faults[int(port)] = fault or None
        listeners.append((ls, int(port)))

    def stop(signum, frame):
        srv.stop = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(os.path.join(args.dir, "ready"), "w") as f:
        f.write("%d\n" % os.getpid())
    while not srv.stop:
        try:
            r, _, _ = select.select([ls for ls, _ in listeners], [], [], 0.2)
        except InterruptedError:
            continue
        for ls, port in listeners:
            if ls not in r:
                continue
            try:
                sock, _ = ls.accept()
            except (BlockingIOError, InterruptedError):
                continue
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            Connection(srv, sock, port, srv.port_faults[port]).start()
    for ls, _ in listeners:
        ls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
