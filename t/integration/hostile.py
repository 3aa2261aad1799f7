#!/usr/bin/python3
"""Hostile clients and upstreams for 52-hostile.sh.

    hostile.py upstream PORT MODE      a scripted upstream on 127.0.0.1:PORT
    hostile.py client PORT SCENARIO    one client scenario against the proxy

Upstream modes (greeting and EHLO are answered normally in each):

    prompt    every other command gets 250 at once; DATA 354, the body is
              read to CRLF.CRLF and queued
    mute      after EHLO, reads everything and never answers again
    endless   after EHLO, answers the next command with a reply line that
              never ends: a "250-" and then one byte every 50 ms

Client scenarios print "result: ..." lines that the test checks:

    backlog   pipelines NOOPs, then MAIL/RCPT/DATA and a body over the
              proxy's message_size, with a small receive window and
              without reading; then reads everything. Prints the last
              reply and whether the connection ended cleanly.
    flood     pipelines 200,000 NOOPs (1.2 MB) without reading a reply,
              for a few seconds; prints "sent=BYTES".
    groupflood  the same behind a HELO the upstream never answers, so
              nothing may be parsed until its reply.
    trickle   sends "NOOP\\r\\n" one byte every 0.7 s; prints the reply
              and how long it took to come.
    wait      EHLO, then NOOP, then waits for a reply; prints it and the
              time it took.
"""

import socket
import sys
import threading
import time


def upstream(port, mode):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c, mode), daemon=True).start()


def serve(c, mode):
    f = c.makefile("rb")
    try:
        c.sendall(b"220 up.test ESMTP\r\n")
        ehlo = False
        for line in f:
            verb = line[:4].upper()
            if not ehlo:
                if verb in (b"EHLO", b"HELO"):
                    c.sendall(b"250-up.test\r\n250-PIPELINING\r\n"
                              b"250 8BITMIME\r\n")
                    ehlo = True
                continue
            if mode == "mute":
                continue
            if mode == "endless":
                c.sendall(b"250-")
                while True:
                    c.sendall(b"x")
                    time.sleep(0.05)
            if verb == b"DATA":
                c.sendall(b"354 go\r\n")
                body = b""
                while not body.endswith(b"\r\n.\r\n"):
                    chunk = f.readline()
                    if not chunk:
                        return
                    body += chunk
                c.sendall(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return
            else:
                c.sendall(b"250 2.0.0 ok\r\n")
    except OSError:
        pass
    finally:
        c.close()


def connect(port, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    return s


def read_all(s, limit, until=None):
    """What arrives within limit seconds, up to EOF or until(data)."""
    data = b""
    s.settimeout(limit)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data, "eof"
            data += chunk
            if until is not None and until(data):
                return data, "done"
    except socket.timeout:
        return data, "timeout"
    except ConnectionResetError:
        return data, "reset"


def reply_complete(data):
    return any(len(l) >= 4 and l[3:4] == b" "
               for l in data.split(b"\r\n")[:-1])


def read_reply(s, limit):
    """One complete reply (last line "NNN "), or what came by then."""
    return read_all(s, limit, reply_complete)[0]


def scenario_backlog(port):
    s = connect(port, rcvbuf=4096)
    read_reply(s, 10)
    s.sendall(b"EHLO client.test\r\n")
    read_reply(s, 10)
    # Replies that back up unread (under the proxy's high watermark, so
    # it goes on parsing), then a transaction; the body is sent once the
    # 354 is out (not early), still without reading.
    s.sendall(b"NOOP\r\n" * 17000 + b"MAIL FROM:<a@b.test>\r\n"
              b"RCPT TO:<c@d.test>\r\nDATA\r\n")
    time.sleep(1)
    s.sendall(b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 40)
    time.sleep(0.5)
    got = b""
    done = threading.Event()

    def reader():
        nonlocal got
        got, _ = read_all(s, 15)
        done.set()
    threading.Thread(target=reader, daemon=True).start()
    # The client drains its replies while the body goes on.
    try:
        for _ in range(10):
            time.sleep(0.1)
            s.sendall((b"y" * 998 + b"\r\n") * 10)
        s.sendall(b".\r\nQUIT\r\n")
    except OSError:
        pass
    done.wait(30)
    print("result: replies=%d" % got.count(b"\r\n"))
    print("result: has552=%d" % (b"552 5.3.4" in got))
    print("result: has221=%d" % (b"221 " in got))


def scenario_groupflood(port):
    scenario_flood(port, b"HELO client.test\r\n")


def scenario_flood(port, first=b""):
    s = connect(port, rcvbuf=4096)
    read_reply(s, 10)
    s.sendall(b"EHLO client.test\r\n")
    read_reply(s, 10)
    s.setblocking(False)
    out = first + b"NOOP\r\n" * 200000
    sent = 0
    deadline = time.time() + 4
    while sent < len(out) and time.time() < deadline:
        try:
            sent += s.send(out[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.01)
    print("result: sent=%d" % sent)
    sys.stdout.flush()
    # Hold the connection while the test measures the proxy.
    time.sleep(3)
    s.close()


def scenario_trickle(port):
    s = connect(port)
    read_reply(s, 10)
    s.sendall(b"EHLO client.test\r\n")
    read_reply(s, 10)
    start = time.time()
    s.setblocking(False)
    got = b""
    for b in b"NOOP\r\n" * 4:
        try:
            s.send(bytes([b]))
        except OSError:
            break
        time.sleep(0.7)
        try:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        except BlockingIOError:
            pass
        except OSError:
            break
        if b"421" in got:
            break
    print("result: reply=%s" % got.decode("latin-1").strip())
    print("result: elapsed=%.1f" % (time.time() - start))


def scenario_wait(port):
    s = connect(port)
    read_reply(s, 10)
    s.sendall(b"EHLO client.test\r\n")
    read_reply(s, 10)
    start = time.time()
    s.sendall(b"NOOP\r\n")
    data, how = read_all(s, 20)
    last = [l for l in data.split(b"\r\n") if l[:3].isdigit()]
    print("result: reply=%s" % (last[-1].decode("latin-1") if last else ""))
    print("result: elapsed=%.1f end=%s" % (time.time() - start, how))


def main():
    if sys.argv[1] == "upstream":
        upstream(int(sys.argv[2]), sys.argv[3])
    else:
        globals()["scenario_" + sys.argv[3]](int(sys.argv[2]))


if __name__ == "__main__":
    main()
