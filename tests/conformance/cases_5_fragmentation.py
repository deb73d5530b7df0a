"""Section 5: fragmentation (Autobahn 5.1-5.20), plus ours: the 5.19 byte stream split into
two writes at every offset, and Autobahn 10.1.1 (a 64 KiB message in 1300-byte fragments)."""

import time

from harness import (Case, close_normally, expect_echo, expect_failure,
                     expect_failure_after_optional_echo, expect_pong)
from wsclient import OP_BINARY, OP_CONT, OP_PING, OP_PONG, OP_TEXT, encode_frame

CHOP_FRAMEWISE = "frames"  # one write per frame
CHOP_OCTETS = 1


def _send(c, frames, chop):
    if chop == CHOP_FRAMEWISE:
        for f in frames:
            c.send_raw(f)
    else:
        c.send_raw(b"".join(frames), chop=chop)


def _fragmented_control(opcode):
    def run(ctx):
        c = ctx.connect()
        _send(c, [encode_frame(opcode, b"fragment1", fin=False),
                  encode_frame(OP_CONT, b"fragment2", fin=True)], None)
        expect_failure(c, 1002)
    return run


def _two_fragments(opcode, chop, ping=False):
    def run(ctx):
        c = ctx.connect()
        frames = [encode_frame(opcode, b"fragment1", fin=False)]
        if ping:
            frames.append(encode_frame(OP_PING, b"ping payload"))
        frames.append(encode_frame(OP_CONT, b"fragment2", fin=True))
        _send(c, frames, chop)
        if ping:
            expect_pong(c, b"ping payload")
        expect_echo(c, opcode, b"fragment1fragment2")
        close_normally(c)
    return run


def _stray_continuation(fin, chop):
    def run(ctx):
        c = ctx.connect()
        _send(c, [encode_frame(OP_CONT, b"non-continuation payload", fin=fin),
                  encode_frame(OP_TEXT, b"Hello, world!")], chop)
        expect_failure(c, 1002)
    return run


def _case_5_15(ctx):
    c = ctx.connect()
    _send(c, [encode_frame(OP_TEXT, b"fragment1", fin=False),
              encode_frame(OP_CONT, b"fragment2", fin=True),
              encode_frame(OP_CONT, b"fragment3", fin=False),
              encode_frame(OP_TEXT, b"fragment4", fin=True)], None)
    return expect_failure_after_optional_echo(c, OP_TEXT, b"fragment1fragment2", 1002)


def _repeated_stray(fin):
    def run(ctx):
        c = ctx.connect()
        frames = []
        for _ in range(2):
            frames += [encode_frame(OP_CONT, b"fragment1", fin=fin),
                       encode_frame(OP_TEXT, b"fragment2", fin=False),
                       encode_frame(OP_CONT, b"fragment3", fin=True)]
        _send(c, frames, None)
        expect_failure(c, 1002)
    return run


def _text_text(ctx):
    c = ctx.connect()
    _send(c, [encode_frame(OP_TEXT, b"fragment1", fin=False),
              encode_frame(OP_TEXT, b"fragment2", fin=True)], None)
    expect_failure(c, 1002)


def _stream_5_19():
    part1 = [encode_frame(OP_TEXT, b"fragment1", fin=False),
             encode_frame(OP_CONT, b"fragment2", fin=False),
             encode_frame(OP_PING, b"pongme 1!")]
    part2 = [encode_frame(OP_CONT, b"fragment3", fin=False),
             encode_frame(OP_PING, b"pongme 2!"),
             encode_frame(OP_CONT, b"fragment4", fin=False),
             encode_frame(OP_PING, b"pongme 3!"),
             encode_frame(OP_CONT, b"fragment5", fin=True)]
    return part1, part2


def _case_5_19(sync):
    def run(ctx):
        c = ctx.connect()
        part1, part2 = _stream_5_19()
        _send(c, part1, CHOP_FRAMEWISE if sync else None)
        expect_pong(c, b"pongme 1!")
        time.sleep(0.2)  # Autobahn waits 1 s here: the server must keep the message open
        _send(c, part2, CHOP_FRAMEWISE if sync else None)
        expect_pong(c, b"pongme 2!")
        expect_pong(c, b"pongme 3!")
        expect_echo(c, OP_TEXT, b"fragment1fragment2fragment3fragment4fragment5")
        close_normally(c)
    return run


def _split_at(offset, stream):
    def run(ctx):
        c = ctx.connect()
        c.send_raw(stream[:offset])
        time.sleep(0.002)  # let the first piece arrive as its own read
        c.send_raw(stream[offset:])
        expect_pong(c, b"pongme 1!")
        expect_pong(c, b"pongme 2!")
        expect_echo(c, OP_TEXT, b"fragment1fragment2fragment3")
        close_normally(c)
    return run


def _split_stream():
    frames = [encode_frame(OP_TEXT, b"fragment1", fin=False, key=b"\x01\x02\x03\x04"),
              encode_frame(OP_PING, b"pongme 1!", key=b"\x05\x06\x07\x08"),
              encode_frame(OP_CONT, b"fragment2", fin=False, key=b"\x09\x0a\x0b\x0c"),
              encode_frame(OP_PING, b"pongme 2!", key=b"\x0d\x0e\x0f\x10"),
              encode_frame(OP_CONT, b"fragment3", fin=True, key=b"\x11\x12\x13\x14")]
    return b"".join(frames)


def _autofragment(ctx):
    c = ctx.connect()
    payload = bytes(range(256)) * 256
    frames = []
    for i in range(0, len(payload), 1300):
        frames.append(encode_frame(OP_BINARY if i == 0 else OP_CONT, payload[i:i + 1300],
                                   fin=i + 1300 >= len(payload)))
    c.send_raw(b"".join(frames))
    expect_echo(c, OP_BINARY, payload)
    close_normally(c)


def _empty_fragments(ctx):
    c = ctx.connect()
    c.send_raw(encode_frame(OP_BINARY, b"", fin=False) + encode_frame(OP_CONT, b"", fin=False)
               + encode_frame(OP_CONT, b"", fin=True))
    expect_echo(c, OP_BINARY, b"")
    close_normally(c)


def _pong_interleaved(ctx):
    c = ctx.connect()
    c.send_raw(encode_frame(OP_TEXT, b"frag1", fin=False) + encode_frame(OP_PONG, b"unsolicited")
               + encode_frame(OP_CONT, b"frag2", fin=True))
    expect_echo(c, OP_TEXT, b"frag1frag2")
    close_normally(c)


def _cases():
    out = [
        Case("5.1", "ping fragmented into 2 frames", "close 1002", _fragmented_control(OP_PING)),
        Case("5.2", "pong fragmented into 2 frames", "close 1002", _fragmented_control(OP_PONG)),
    ]
    n = 3
    for ping in (False, True):
        for chop, how in ((None, "one write"), (CHOP_FRAMEWISE, "frame-wise writes"),
                          (CHOP_OCTETS, "1-byte writes")):
            sent = "text message in 2 fragments%s, %s" % (", a ping between them" if ping else "", how)
            exp = ("pong, then " if ping else "") + "echo 'fragment1fragment2'"
            out.append(Case("5.%d" % n, sent, exp, _two_fragments(OP_TEXT, chop, ping)))
            n += 1
    for fin in (True, False):
        for chop, how in ((None, "one write"), (CHOP_FRAMEWISE, "frame-wise writes"),
                          (CHOP_OCTETS, "1-byte writes")):
            sent = "continuation frame FIN=%d with nothing to continue, then a text message, %s" % (
                int(fin), how)
            out.append(Case("5.%d" % n, sent, "close 1002", _stray_continuation(fin, chop)))
            n += 1
    out += [
        Case("5.15", "text in 2 fragments, then a stray continuation FIN=0, then a text message",
             "echo of the first message, close 1002", _case_5_15),
        Case("5.16", "2x: stray continuation FIN=0, then text in 2 fragments", "close 1002",
             _repeated_stray(False)),
        Case("5.17", "2x: stray continuation FIN=1, then text in 2 fragments", "close 1002",
             _repeated_stray(True)),
        Case("5.18", "text in 2 fragments, both with the text opcode", "close 1002", _text_text),
        Case("5.19", "text in 5 fragments with 3 pings between them, 0.2 s pause in the middle",
             "3 pongs, then the echo of the whole message", _case_5_19(False)),
        Case("5.20", "as 5.19, every frame in its own write", "as 5.19", _case_5_19(True)),
        Case("5.21", "binary in 3 empty fragments (ours)", "empty binary echo", _empty_fragments),
        Case("5.22", "text in 2 fragments with an unsolicited pong between them (ours)",
             "echo, the pong ignored", _pong_interleaved),
        Case("10.1.1", "binary message of 65536 bytes in 1300-byte fragments",
             "echo of the whole message", _autofragment),
    ]
    stream = _split_stream()
    # Every split point inside the first two frames (header, mask key, payload, the ping in
    # the middle of the message); the later frames repeat the same shapes.
    for k in range(1, 31):
        out.append(Case("5.23.%d" % k,
                        "text in 3 fragments with 2 pings, stream split at byte %d of %d (ours)"
                        % (k, len(stream)), "2 pongs, echo", _split_at(k, stream)))
    return out


CASES = _cases()
