"""Section 1: framing — text and binary messages of boundary lengths (Autobahn 1.1.x, 1.2.x)."""

import struct

from harness import Case, CaseFailure, close_normally, expect_echo, expect_failure, next_frame
from wsclient import OP_BINARY, OP_TEXT, encode_frame

MAX_MESSAGE = 16 * 1024 * 1024  # the echo server of this suite runs with --max-message-size 16MiB

# Autobahn's lengths, then ours: the largest message the server accepts.
LENGTHS = [0, 125, 126, 127, 128, 65535, 65536]


def _payload(opcode, n):
    if opcode == OP_TEXT:
        return (b"*" * n)
    return bytes((i * 7 + 3) & 0xFF for i in range(min(n, 4096))) * (n // 4096 + 1)


def _echo_case(opcode, n, chop):
    def run(ctx):
        payload = _payload(opcode, n)[:n]
        c = ctx.connect()
        c.send_raw(encode_frame(opcode, payload), chop=chop)
        expect_echo(c, opcode, payload, timeout=30)
        close_normally(c)
    return run


def _cases():
    out = []
    for sub, opcode, kind in ((1, OP_TEXT, "text"), (2, OP_BINARY, "binary")):
        for i, n in enumerate(LENGTHS, 1):
            out.append(Case("1.%d.%d" % (sub, i), "%s message, payload %d bytes, one write" % (kind, n),
                            "echoed unchanged", _echo_case(opcode, n, None)))
        out.append(Case("1.%d.8" % sub, "%s message, 65536 bytes, written in chops of 997 bytes" % kind,
                        "echoed unchanged", _echo_case(opcode, 65536, 997)))
        out.append(Case("1.%d.9" % sub, "%s message of the maximum size (16 MiB), one write (ours)" % kind,
                        "echoed unchanged", _echo_case(opcode, MAX_MESSAGE, None)))
        # Ours: every length again, written in small chops so that the header itself is split.
        for i, n in enumerate(LENGTHS, 1):
            chop = 1 if n <= 128 else 1000
            out.append(Case("1.%d.%dc" % (sub, i),
                            "%s message, %d bytes, written in chops of %d bytes (ours)" % (kind, n, chop),
                            "echoed unchanged", _echo_case(opcode, n, chop)))
    out.append(Case("1.3.1", "unmasked text frame 'hello' (ours; RFC 6455 §5.1)",
                    "close 1002", _unmasked))
    out.append(Case("1.3.2", "text frame with a 64-bit length whose top bit is set (ours; §5.2)",
                    "close 1002 or 1009", _length_msb))
    out.append(Case("1.3.3", "text frame 'hi' with a non-minimal 16-bit length encoding (ours)",
                    "echoed, or close 1002 (RFC says MUST use minimal, no failure mandated)",
                    _non_minimal))
    return out


def _unmasked(ctx):
    c = ctx.connect()
    c.send_raw(encode_frame(OP_TEXT, b"hello", mask=False))
    expect_failure(c, 1002)


def _length_msb(ctx):
    c = ctx.connect()
    c.send_raw(struct.pack("!BBQ", 0x81, 0xFF, (1 << 63) | 5) + b"\x00\x00\x00\x00" + b"hello")
    expect_failure(c, (1002, 1009))


def _non_minimal(ctx):
    c = ctx.connect()
    c.send_raw(encode_frame(OP_TEXT, b"hi", length_bytes=2))
    f = next_frame(c, 5, "an echo or a close")
    if f.opcode == OP_TEXT:
        if f.payload != b"hi":
            raise CaseFailure("echo %r" % f.payload)
        close_normally(c)
    elif f.opcode == 0x8:
        if f.close_code != 1002:
            raise CaseFailure("close %s, expected 1002" % f.close_code)
    else:
        raise CaseFailure("unexpected %r" % f)


CASES = _cases()
