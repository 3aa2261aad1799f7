#!/usr/bin/env python3
"""Write the seed inputs of fuzz_session (t/fuzz/corpus/session/) in the
operation encoding documented at the top of t/fuzz/fuzz_session.c.

Usage: t/fuzz/session_seeds.py [DIR]   (default: corpus/session beside it)

The regress-* inputs reproduce bugs that were fixed; the others are seeds
shaped like them (backed-up replies, alarms that close, pipelined floods)
for the fuzzer to grow, without being them.
"""
import os
import sys

CSEND, CCANNED, CREPEAT, USEND, UCANNED, UANSWER, CCLOSE, UCLOSE, \
    CREAD, UREAD, TIME, RELOAD, NEWSESS, CSENDL, UREPEAT = range(15)

# Configurations (fz_conf_text[] in fuzz_session.c).
DEFAULT, LIMITS, FILETYPES, CLOSE, MASK, REPLACE, NOINSPECT, LENIENT, \
    DENY, CUSTOM = range(10)


def c(data):
    """The client sends data (CSEND, or CSENDL when it is long)."""
    data = data.encode("latin-1") if isinstance(data, str) else data
    if len(data) < 256:
        return bytes([CSEND, len(data)]) + data
    return bytes([CSENDL, len(data) & 0xff, len(data) >> 8]) + data


def u(data):
    data = data.encode("latin-1")
    return bytes([USEND, len(data)]) + data


def op(*b):
    return bytes(b)


ANSWER = op(UANSWER)
EHLO = c("EHLO client.test\r\n") + ANSWER
BODY = "From: a@b.test\r\nTo: c@d.test\r\nSubject: hello\r\n\r\nbody\r\n" \
    "..dot\r\n.\r\n"

SEEDS = {
    # Greeting, EHLO, one message, QUIT, every reply from the upstream.
    "clean": op(DEFAULT) + ANSWER + EHLO +
    c("MAIL FROM:<a@b.test>\r\n") + ANSWER +
    c("RCPT TO:<c@d.test>\r\n") + ANSWER +
    c("DATA\r\n") + ANSWER + c(BODY) + ANSWER +
    c("QUIT\r\n") + ANSWER,
    # RFC 2920 pipelining: the group in one write, replies together.
    "pipelined": op(DEFAULT) + ANSWER + EHLO +
    c("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
      "RCPT TO:<e@f.test>\r\nDATA\r\n") + ANSWER + c(BODY + "QUIT\r\n") +
    ANSWER + ANSWER,
    # STARTTLS passthrough: after the 220 bytes go through as they are.
    "starttls": op(DEFAULT) + ANSWER + EHLO + c("STARTTLS\r\n") + ANSWER +
    c(b"\x16\x03\x01\x00\x05hello") + u("\x16\x03\x03\x00\x02hi"),
    # AUTH LOGIN: 334 exchanges, then a message.
    "auth": op(DEFAULT) + ANSWER + EHLO + c("AUTH LOGIN\r\n") + ANSWER +
    c("dXNlcg==\r\n") + op(UCANNED, 6) + c("cGFzcw==\r\n") +
    op(UCANNED, 7) + c("MAIL FROM:<a@b.test>\r\n") + ANSWER,
    # A body over limits.message_size (1K) in a transaction.
    "large": op(LIMITS) + ANSWER + EHLO +
    c("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n") + ANSWER +
    c("Subject: big\r\n\r\n" + "x" * 70 + "\r\n") +
    op(CREPEAT, 5, 12) + b"0123456789\r\n" + c(".\r\n") + ANSWER,
    # An attachment the file type policy refuses.
    "attachment": op(FILETYPES) + ANSWER + EHLO + op(CCANNED, 16) + ANSWER +
    op(CCANNED, 14) + c(".\r\n") + ANSWER + c("RSET\r\n") + ANSWER,
    # A masked multi-line banner, the EHLO host replaced; then idle.
    "banner": op(MASK) + op(UCANNED, 12) + EHLO + op(TIME, 2) +
    c("NOOP\r\n") + ANSWER + op(TIME, 9),
    # Alarms set to close, every group end answered before the next
    # command: a violation is one moved or dropped UANSWER away.
    "close-alarms": op(CLOSE) + ANSWER + c("EHLO x\r\n") + ANSWER +
    c("NOOP\r\n") + ANSWER + c("MAIL FROM:<a@b.test>\r\n"
                                 "RCPT TO:<c@d.test>\r\nDATA\r\n") + ANSWER +
    c(BODY + "QUIT\r\n") + ANSWER,
    "close-ehlo": op(CLOSE) + ANSWER + c("EHLO x\r\n") + ANSWER +
    c("NOOP\r\n") + ANSWER,
    "close-helo": op(REPLACE) + ANSWER + c("HELO x\r\n") + ANSWER +
    c("MAIL FROM:<a@b.test>\r\n") + ANSWER,
    "close-data": op(CUSTOM) + ANSWER + c("HELO x\r\n") + ANSWER +
    op(CCANNED, 16) + op(UCANNED, 2, UCANNED, 2, UCANNED, 11) +
    c("RSET\r\n") + ANSWER,
    # The same dialog with a pipelining violation that is only logged.
    "lenient-early": op(LENIENT) + ANSWER + c("HELO x\r\n") +
    c("RSET\r\n") + ANSWER + c("DATA\r\n") + ANSWER,
    # The client stops reading: its replies back up behind NOOPs
    # (CREPEAT, or the upstream's 6 KB replies), then a body under the
    # limit (a CREPEAT count to grow), and it reads again in the middle
    # of the body.
    "backlog-body": op(LIMITS) + ANSWER + EHLO + op(CREAD, 0) +
    (op(CREPEAT, 6, 6) + b"NOOP\r\n" + ANSWER) * 2 + op(CCANNED, 16) +
    ANSWER + op(CREPEAT, 2, 12) + b"0123456789\r\n" + op(CREAD, 1) +
    c(".\r\n") + ANSWER,
    "backlog-long": op(CLOSE) + ANSWER + op(CREAD, 0) +
    c("HELO x\r\n") + ANSWER + c("NOOP\r\nNOOP\r\n") + op(UCANNED, 14) +
    op(UCANNED, 14) + op(CCANNED, 16) + ANSWER + op(CREPEAT, 1, 60) +
    b"x" * 58 + b"\r\n" + op(CREAD, 1) + c(".\r\n") + ANSWER,
    # The same with a body over the limit, read again after its end.
    "backlog-large": op(LIMITS) + ANSWER + EHLO + op(CREAD, 0) +
    (op(CREPEAT, 6, 6) + b"NOOP\r\n" + ANSWER) * 2 + op(CCANNED, 16) +
    ANSWER + op(CREPEAT, 4, 12) + b"0123456789\r\n" + c(".\r\n") +
    ANSWER + op(CREAD, 1),
    "backlog-large-close": op(CLOSE) + ANSWER + op(CREAD, 0) +
    c("HELO x\r\n") + ANSWER + c("NOOP\r\nNOOP\r\n") + op(UCANNED, 14) +
    op(UCANNED, 14) + op(CCANNED, 16) + ANSWER + op(CREPEAT, 3, 60) +
    b"x" * 58 + b"\r\n" + c(".\r\n") + op(CREAD, 1) + ANSWER,
    "backlog-large-mg": op(REPLACE) + ANSWER + EHLO + op(CREAD, 0) +
    op(CREPEAT, 5, 6) + b"RSET\r\n" + ANSWER + op(CCANNED, 16) +
    op(UCANNED, 14, UCANNED, 14, UCANNED, 3) + op(CREPEAT, 3, 60) +
    b"z" * 58 + b"\r\n" + c(".\r\n") + ANSWER + op(CREAD, 1),
    # Commands pipelined by the hundred while nobody answers, then the
    # upstream answers them all.
    "noop-flood": op(DEFAULT) + ANSWER + EHLO + op(CREAD, 0) +
    op(CREPEAT, 3, 6) + b"NOOP\r\n" + op(TIME, 0) + ANSWER + op(CREAD, 1),
    # An upstream that stops reading while the client sends a body.
    "slow-upstream": op(NOINSPECT) + ANSWER + EHLO + op(CCANNED, 16) +
    ANSWER + op(UREAD, 0) + op(CREPEAT, 20, 100) + b"y" * 98 + b"\r\n" +
    op(UREAD, 1) + c(".\r\n") + ANSWER,
    # The client does not read for a while; a second session after HUP.
    "slow-client": op(DEFAULT) + ANSWER + op(CREAD, 0) + EHLO +
    c("NOOP\r\nNOOP\r\n") + ANSWER + op(CREAD, 1) + op(RELOAD, LENIENT) +
    op(NEWSESS) + ANSWER + c("HELO x\r\n") + ANSWER,
    # Regression inputs, one for each bug the target must keep finding.
    # The upstream aborted for a body over the limit while the client's
    # replies were backed up: draining them must not touch the upstream.
    "regress-abort-drain": op(LIMITS) + ANSWER + EHLO + op(CREAD, 0) +
    op(CREPEAT, 9, 6) + b"NOOP\r\n" + ANSWER + op(CCANNED, 16) + ANSWER +
    op(CREPEAT, 10, 12) + b"0123456789\r\n" + op(CREAD, 1),
    # A pipelining alarm that closes, on the reply that ends a group.
    "regress-close-alarm": op(CLOSE) + ANSWER + c("EHLO x\r\nNOOP\r\n") +
    ANSWER + ANSWER,
    # NOOPs pipelined without end, never answered: replies outstanding
    # stay bounded.
    "regress-noop-unanswered": op(DEFAULT) + ANSWER + EHLO + op(CREAD, 0) +
    op(CREPEAT, 255, 252) + b"NOOP\r\n" * 42,
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(here, "corpus", "session")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
