#!/usr/bin/env python3
"""Write a test message for the benchmark: a short text part and one
base64 attachment of random bytes, about SIZE bytes in all.

    contrib/bench/mkmsg.py SIZE OUT.eml     # SIZE: bytes, or 10K / 5M
"""
import base64
import os
import sys


def parse_size(text):
    mult = {"K": 1024, "M": 1024 * 1024, "G": 1024 ** 3}
    if text[-1:].upper() in mult:
        return int(text[:-1]) * mult[text[-1:].upper()]
    return int(text)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    size = parse_size(sys.argv[1])
    # base64 grows the data by 4/3 plus line ends; leave room for headers.
    raw = max(0, (size - 600) * 3 // 4 * 76 // 78)
    data = base64.encodebytes(os.urandom(raw)).decode().replace("\n", "\r\n")
    msg = (
        "From: bench-from@example.com\r\n"
        "To: bench-to@example.com\r\n"
        "Subject: benchmark message with an attachment\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"bench-boundary\"\r\n"
        "\r\n"
        "--bench-boundary\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "The attached file is random data.\r\n"
        "--bench-boundary\r\n"
        "Content-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n" + data +
        "--bench-boundary--\r\n")
    # smtp-source -F appends CRLF to each line itself: write LF lines.
    with open(sys.argv[2], "w", newline="\n") as out:
        out.write(msg.replace("\r\n", "\n"))


if __name__ == "__main__":
    main()
