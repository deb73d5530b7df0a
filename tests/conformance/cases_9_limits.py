"""Section 9: limits and large messages, sized for this machine.

9.1-9.6 run against the server started with --max-message-size 16MiB ("echo" config): text
and binary of 64 KiB..16 MiB in one frame (9.1, 9.2), 4 MiB in fragments of 64 B..4 MiB
(9.3, 9.4), 1 MiB written in chops of 64 B..2 KiB (9.5, 9.6), 1000 small round trips (9.7,
9.8). 9.9-9.10 are ours and run against the server with the default 8 KiB limit ("limits").
"""

import os

from harness import Case, close_normally, expect_echo, expect_failure
from wsclient import OP_BINARY, OP_CONT, OP_TEXT, encode_frame

KIB, MIB = 1024, 1024 * 1024
SIZES = [64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB, 8 * MIB, 16 * MIB]
FRAGMENTS = [64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, MIB, 4 * MIB]
CHOPS = [64, 128, 256, 512, KIB, 2 * KIB]
DEFAULT_LIMIT = 8 * KIB

_TEXT_UNIT = b"BAsd7&jh23"


def _data(opcode, n):
    if opcode == OP_TEXT:
        return (_TEXT_UNIT * (n // len(_TEXT_UNIT) + 1))[:n]
    block = os.urandom(4096)
    return (block * (n // 4096 + 1))[:n]


def _fragmented(opcode, payload, size):
    out = []
    for i in range(0, max(len(payload), 1), size):
        out.append(encode_frame(opcode if i == 0 else OP_CONT, payload[i:i + size],
                                fin=i + size >= len(payload)))
    return b"".join(out)


def _round_trip(opcode, n, frag=None, chop=None, timeout=60):
    def run(ctx):
        payload = _data(opcode, n)
        c = ctx.connect()
        wire = _fragmented(opcode, payload, frag) if frag else encode_frame(opcode, payload)
        c.send_raw(wire, chop=chop)
        expect_echo(c, opcode, payload, timeout=timeout)
        close_normally(c)
    return run


def _many_round_trips(opcode, n, count):
    def run(ctx):
        c = ctx.connect()
        payload = _data(opcode, n)
        for _ in range(count):
            c.send_raw(encode_frame(opcode, payload))
            expect_echo(c, opcode, payload)
        close_normally(c)
    return run


def _over_limit_header_only(n):
    """Only the header announcing n bytes is sent: the server must refuse from the header
    (the limit is checked as soon as the length is known)."""
    def run(ctx):
        c = ctx.connect()
        frame = encode_frame(OP_BINARY, b"\x00" * n)
        head = 2 + (2 if n <= 0xFFFF else 8) + 4
        c.send_raw(frame[:head])
        expect_failure(c, 1009)
    return run


def _over_limit(opcode, n, frag=None):
    def run(ctx):
        c = ctx.connect()
        payload = _data(opcode, n)
        wire = _fragmented(opcode, payload, frag) if frag else encode_frame(opcode, payload)
        c.send_raw(wire)
        expect_failure(c, 1009)
    return run


def _under_then_over(ctx):
    c = ctx.connect()
    ok = _data(OP_TEXT, DEFAULT_LIMIT)
    c.send_raw(encode_frame(OP_TEXT, ok))
    expect_echo(c, OP_TEXT, ok)
    c.send_raw(_fragmented(OP_TEXT, _data(OP_TEXT, DEFAULT_LIMIT + 1), 4096))
    expect_failure(c, 1009)


def _kind(op):
    return "text" if op == OP_TEXT else "binary"


def _human(n):
    return "%d MiB" % (n // MIB) if n >= MIB else ("%d KiB" % (n // KIB) if n >= KIB else "%d B" % n)


def _cases():
    out = []
    for sub, op in ((1, OP_TEXT), (2, OP_BINARY)):
        for i, n in enumerate(SIZES, 1):
            out.append(Case("9.%d.%d" % (sub, i), "%s message of %s in one frame" % (_kind(op), _human(n)),
                            "echo (16 MiB limit)", _round_trip(op, n)))
    for sub, op in ((3, OP_TEXT), (4, OP_BINARY)):
        for i, f in enumerate(FRAGMENTS, 1):
            out.append(Case("9.%d.%d" % (sub, i), "%s message of 4 MiB in fragments of %s"
                            % (_kind(op), _human(f)), "echo", _round_trip(op, 4 * MIB, frag=f)))
    for sub, op in ((5, OP_TEXT), (6, OP_BINARY)):
        for i, ch in enumerate(CHOPS, 1):
            out.append(Case("9.%d.%d" % (sub, i), "%s message of 1 MiB in one frame, written in chops of %s"
                            % (_kind(op), _human(ch)), "echo", _round_trip(op, MIB, chop=ch)))
    for sub, op in ((7, OP_TEXT), (8, OP_BINARY)):
        for i, n in enumerate([0, 16, 64, 256, 1024, 4096], 1):
            out.append(Case("9.%d.%d" % (sub, i), "1000 round trips of a %d-byte %s message"
                            % (n, _kind(op)), "1000 echoes", _many_round_trips(op, n, 1000)))
    lim = [
        ("9.9.1", "text of exactly 8 KiB (default limit)", "echo", _round_trip(OP_TEXT, DEFAULT_LIMIT)),
        ("9.9.2", "binary of exactly 8 KiB", "echo", _round_trip(OP_BINARY, DEFAULT_LIMIT)),
        ("9.9.3", "text of 8 KiB + 1 in one frame", "close 1009", _over_limit(OP_TEXT, DEFAULT_LIMIT + 1)),
        ("9.9.4", "binary of 8 KiB + 1 in one frame", "close 1009",
         _over_limit(OP_BINARY, DEFAULT_LIMIT + 1)),
        ("9.9.5", "8 KiB text in 1 KiB fragments", "echo", _round_trip(OP_TEXT, DEFAULT_LIMIT, frag=KIB)),
        ("9.9.6", "8 KiB + 1 binary in 4 KiB fragments (the last 1-byte fragment crosses the limit)",
         "close 1009", _over_limit(OP_BINARY, DEFAULT_LIMIT + 1, frag=4096)),
        ("9.9.7", "8 KiB + 1 text in 100-byte fragments", "close 1009",
         _over_limit(OP_TEXT, DEFAULT_LIMIT + 1, frag=100)),
        ("9.9.8", "only the header of a 8 KiB + 1 frame", "close 1009 before any payload",
         _over_limit_header_only(DEFAULT_LIMIT + 1)),
        ("9.9.9", "only the header of a 16 MiB frame", "close 1009 before any payload",
         _over_limit_header_only(16 * MIB)),
        ("9.9.10", "8 KiB text (echoed), then 8 KiB + 1 text in fragments on the same connection",
         "echo, then close 1009", _under_then_over),
    ]
    for cid, sent, exp, fn in lim:
        out.append(Case(cid, sent, exp, fn, config="limits"))
    out.append(Case("9.10.1", "text of 16 MiB + 1 in one frame (16 MiB limit)", "close 1009",
                    _over_limit(OP_TEXT, 16 * MIB + 1)))
    out.append(Case("9.10.2", "binary of 16 MiB + 1 in 1 MiB fragments (16 MiB limit)", "close 1009",
                    _over_limit(OP_BINARY, 16 * MIB + 1, frag=MIB)))
    return out


CASES = _cases()
