#!/usr/bin/env python3
"""Hold many SMTP sessions open at once, then send a message on each.

    contrib/bench/loadgen.py [-n SESSIONS] [-c CONNECTING] [-l SIZE]
                             [-t TIMEOUT] [--no-hold-data] [--step]
                             HOST:PORT

Every session connects, reads the greeting and sends EHLO, then waits
until all sessions have got that far (or failed). Then each sends MAIL,
RCPT and DATA and, by default, waits again until every session has its
354, so that all the transactions are open at the same time; then each
sends a small message body, the final dot and QUIT, and closes. At most
CONNECTING sessions are between connect() and their greeting at any
time, so that the listen queue of the server never overflows (a dropped
SYN costs a second or more).

With --step, each barrier also waits for the caller: when every session
is established it prints "phase established", when every one has its
354 "phase data" (on stdout, flushed), and goes on only when it reads a
line from stdin. A script measures the server between the phases (the
memory of N idle sessions, then of N messages in flight).

A failure is a connection error, a reply that is not the expected one
(220, 250, 250, 250, 354, 250, 221) or no reply within TIMEOUT seconds.
The exit status is 0 when every session sent its message and got its
221, 1 when any failed, 2 on a usage error. The last line sums it up as
key=value pairs for scripts:

    result sessions=N established=N delivered=N failures=0 establish_s=...

Standard library only; Linux or any system with asyncio and resource.
"""
import argparse
import asyncio
import collections
import resource
import sys
import time

# Descriptors the process needs besides one per session.
RESERVE = 32


class Phase:
    """A barrier that failed sessions leave: done when every session
    still expected has arrived."""

    def __init__(self, expected):
        self.expected = expected
        self.arrived = 0
        self.event = asyncio.Event()
        self.when = None

    def _check(self):
        if not self.event.is_set() and self.arrived >= self.expected:
            self.when = time.monotonic()
            self.event.set()

    def arrive(self):
        self.arrived += 1
        self._check()

    def leave(self):
        self.expected -= 1
        self._check()

    async def wait(self):
        await self.event.wait()


class Failure(Exception):
    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


class Run:
    def __init__(self, args):
        self.args = args
        self.host, self.port = args.target
        self.connecting = asyncio.Semaphore(args.connecting)
        self.established = Phase(args.sessions)
        self.in_data = Phase(args.sessions)
        self.go_mail = asyncio.Event()
        self.go_body = asyncio.Event()
        self.delivered = 0
        self.quit = 0
        self.failures = collections.Counter()
        self.last = None
        self.body = make_body(args.size)

    async def reply(self, reader, step, expect):
        """Read one (possibly multi-line) reply; Failure unless its code
        is expect."""
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(),
                                              self.args.timeout)
                if not line:
                    raise Failure("%s: connection closed" % step)
                if len(line) < 4 or line[3:4] != b"-":
                    break
        except asyncio.TimeoutError:
            raise Failure("%s: no reply in %g s" % (step, self.args.timeout))
        except OSError as e:
            raise Failure("%s: %s" % (step, e.strerror or type(e).__name__))
        if line[:3] != expect:
            raise Failure("%s: %s" % (step, line.decode(
                "ascii", "replace").strip()[:60]))

    async def send(self, reader, writer, data, step, expect):
        try:
            writer.write(data)
            await writer.drain()
        except OSError as e:
            raise Failure("%s: %s" % (step, e.strerror or type(e).__name__))
        await self.reply(reader, step, expect)

    async def session(self, i):
        writer = None
        phases = [self.established, self.in_data]
        try:
            async with self.connecting:
                try:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(self.host, self.port),
                        self.args.timeout)
                except asyncio.TimeoutError:
                    raise Failure("connect: no connection in %g s"
                                  % self.args.timeout)
                except OSError as e:
                    raise Failure("connect: %s" % (e.strerror or
                                                   type(e).__name__))
                await self.reply(reader, "greeting", b"220")
            await self.send(reader, writer, b"EHLO loadgen.example.com\r\n",
                            "EHLO", b"250")
            phases.pop(0).arrive()
            await self.go_mail.wait()
            await self.send(reader, writer,
                            b"MAIL FROM:<loadgen-%d@example.com>\r\n" % i,
                            "MAIL", b"250")
            await self.send(reader, writer, b"RCPT TO:<sink@example.com>\r\n",
                            "RCPT", b"250")
            await self.send(reader, writer, b"DATA\r\n", "DATA", b"354")
            phases.pop(0).arrive()
            if self.args.hold_data:
                await self.go_body.wait()
            await self.send(reader, writer, self.body, "end of data", b"250")
            self.delivered += 1
            await self.send(reader, writer, b"QUIT\r\n", "QUIT", b"221")
            self.quit += 1
        except Failure as f:
            self.failures[f.kind] += 1
            for p in phases:
                p.leave()
        finally:
            if writer is not None:
                writer.close()
                try:
                    await writer.wait_closed()
                except OSError:
                    pass
            self.last = time.monotonic()

    async def main(self):
        start = time.monotonic()
        tasks = [asyncio.ensure_future(self.session(i))
                 for i in range(self.args.sessions)]
        await self.established.wait()
        await self.step("established")
        self.go_mail.set()
        await self.in_data.wait()
        if self.args.hold_data:
            await self.step("data")
        self.go_body.set()
        await asyncio.gather(*tasks)
        return start

    async def step(self, phase):
        """With --step: say phase, wait for a line on stdin."""
        if not self.args.step:
            return
        print("phase %s" % phase, flush=True)
        await asyncio.get_running_loop().run_in_executor(
            None, sys.stdin.readline)


def make_body(size):
    """Header and filler lines, about size bytes, dot-terminated."""
    head = (b"From: loadgen@example.com\r\nTo: sink@example.com\r\n"
            b"Subject: loadgen\r\n\r\n")
    line = b"x" * 70 + b"\r\n"
    n = max(1, (size - len(head)) // len(line))
    return head + line * n + b".\r\n"


def target(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT")
    return host.strip("[]"), int(port)


def positive(text):
    n = int(text)
    if n <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return n


def raise_nofile(want):
    """Raise the soft descriptor limit as far as the hard one allows;
    returns (limit now, hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if new > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):
            pass
    return soft, hard


def main():
    ap = argparse.ArgumentParser(
        description="Hold SESSIONS SMTP sessions open, then send a message "
        "on each (see the top of this file).")
    ap.add_argument("-n", "--sessions", type=positive, default=10000,
                    help="concurrent sessions [10000]")
    ap.add_argument("-c", "--connecting", type=positive, default=200,
                    help="sessions between connect and greeting at once [200]")
    ap.add_argument("-l", "--size", type=positive, default=1024,
                    help="bytes of each message [1024]")
    ap.add_argument("-t", "--timeout", type=float, default=120.0,
                    help="seconds to wait for a connection or a reply [120]")
    ap.add_argument("--no-hold-data", dest="hold_data", action="store_false",
                    help="send the body at once, without waiting for every "
                    "session's 354")
    ap.add_argument("--step", action="store_true",
                    help="at each barrier print \"phase NAME\" and wait for "
                    "a line on stdin")
    ap.add_argument("target", type=target, help="HOST:PORT")
    args = ap.parse_args()

    limit, hard = raise_nofile(args.sessions + RESERVE)
    print("loadgen: %d sessions to %s:%d, %d connecting at a time, "
          "%d-byte messages; RLIMIT_NOFILE %d (hard %s)"
          % (args.sessions, args.target[0], args.target[1], args.connecting,
             len(make_body(args.size)), limit,
             "unlimited" if hard == resource.RLIM_INFINITY else hard))
    if limit < args.sessions + RESERVE:
        print("loadgen: warning: the descriptor limit allows about %d "
              "sessions, not %d; the others will fail"
              % (max(0, limit - RESERVE), args.sessions), file=sys.stderr)
    sys.stdout.flush()

    run = Run(args)
    start = asyncio.run(run.main())
    est = run.established.when - start
    data = run.in_data.when - run.established.when
    msgs = run.last - run.established.when
    failed = sum(run.failures.values())
    print("established %d/%d in %.2f s" % (run.established.arrived,
                                          args.sessions, est))
    print("in DATA     %d/%d %.2f s later%s"
          % (run.in_data.arrived, args.sessions, data,
             " (all held there at once)" if args.hold_data else ""))
    print("delivered   %d/%d in %.2f s after all were established "
          "(QUIT answered: %d)" % (run.delivered, args.sessions, msgs,
                                   run.quit))
    print("failures    %d" % failed)
    for kind, n in run.failures.most_common(8):
        print("  %6d  %s" % (n, kind))
    print("result sessions=%d established=%d delivered=%d failures=%d "
          "establish_s=%.3f data_s=%.3f messages_s=%.3f total_s=%.3f"
          % (args.sessions, run.established.arrived, run.delivered, failed,
             est, data, msgs, run.last - start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
