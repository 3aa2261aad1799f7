#!/usr/bin/env python3
"""Write the benchmark's signature database and its EICAR test message.

    contrib/bench/mksigs.py DIR COUNT [EICAR.eml]

DIR/bench.ndb holds EICAR as a body signature (name, target 0 = any
file, offset * = anywhere, hex of the 68 bytes); DIR/bench.hdb holds
COUNT hash signatures (MD5, file size, name) of random data, which match
nothing but make the engine load, index and keep them as it would real
ones (COUNT 0: no .hdb). EICAR.eml, if given, is a message with the
EICAR file as a base64 attachment, so that a scanner must decode MIME to
find it; its lines end in LF, as smtp-source -F wants them.
"""
import base64
import os
import random
import sys

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def main():
    if len(sys.argv) not in (3, 4) or not sys.argv[2].isdigit():
        sys.exit(__doc__)
    db, count = sys.argv[1], int(sys.argv[2])
    with open(os.path.join(db, "bench.ndb"), "w") as f:
        f.write("Eicar-Test-Signature:0:*:%s\n" % EICAR.hex())
    if count:
        rnd = random.SystemRandom()
        with open(os.path.join(db, "bench.hdb"), "w") as f:
            for i in range(count):
                f.write("%s:%d:Bench.Random-%d\n"
                        % (os.urandom(16).hex(), rnd.randint(1024, 10 << 20),
                           i))
    if len(sys.argv) == 4:
        with open(sys.argv[3], "w") as f:
            f.write("From: bench-from@example.com\n"
                    "To: bench-to@example.com\n"
                    "Subject: benchmark sanity check, EICAR attached\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"bench-boundary\"\n"
                    "\n"
                    "--bench-boundary\n"
                    "Content-Type: text/plain; charset=us-ascii\n"
                    "\n"
                    "The attached file is the EICAR anti-virus test file.\n"
                    "--bench-boundary\n"
                    "Content-Type: application/octet-stream\n"
                    "Content-Disposition: attachment; filename=\"eicar.com\"\n"
                    "Content-Transfer-Encoding: base64\n"
                    "\n"
                    + base64.encodebytes(EICAR).decode() +
                    "--bench-boundary--\n")


if __name__ == "__main__":
    main()
