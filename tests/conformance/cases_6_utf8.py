"""Section 6: UTF-8 handling (Autobahn 6.1-6.23).

6.5-6.23 are generated from the categories of Markus Kuhn's UTF-8 decoder stress test, in the
order and numbering Autobahn uses. Each sequence runs twice: in one frame (Autobahn's case id)
and fragmented into one frame per byte (the same id with an 'f' suffix, ours). Valid text must
be echoed; invalid text must fail the connection with 1007. 6.4.x are the "fail fast" cases:
the close must arrive before the rest of the message is sent.
"""

from harness import (Case, CaseFailure, close_normally, expect_echo, expect_failure, next_frame)
from wsclient import OP_CONT, OP_PING, OP_TEXT, Timeout, encode_frame

KAPPA = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"  # "κόσμε", 11 bytes


def _is_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _categories():
    """[(title, [bytes, ...])] in Autobahn's 6.5..6.23 order; validity is computed with
    Python's strict decoder (which rejects surrogates, overlongs and > U+10FFFF)."""
    cats = []
    cats.append(("Some valid UTF-8 sequences",
                 [b"hello\x24world", b"hello\xc2\xa2world", b"hello\xe2\x82\xacworld",
                  b"hello\xf0\xa4\xad\xa2world", KAPPA]))
    cats.append(("All prefixes of a valid UTF-8 string with multi-byte code points",
                 [KAPPA[:i] for i in range(1, len(KAPPA) + 1)]))
    cats.append(("First possible sequence of a certain length",
                 [b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"]))
    cats.append(("First possible sequence length 5/6 (invalid code points)",
                 [b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80"]))
    cats.append(("Last possible sequence of a certain length",
                 [b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"]))
    cats.append(("Last possible sequence length 4/5/6 (invalid code points)",
                 [b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf"]))
    cats.append(("Other boundary conditions",
                 [b"\xed\x9f\xbf", b"\xee\x80\x80", b"\xef\xbf\xbd", b"\xf4\x8f\xbf\xbf",
                  b"\xf4\x90\x80\x80"]))
    cats.append(("Unexpected continuation bytes",
                 [b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80", b"\x80\xbf\x80\xbf",
                  b"\x80\xbf\x80\xbf\x80", b"\x80\xbf\x80\xbf\x80\xbf",
                  bytes(range(0x80, 0xbf))]))
    cats.append(("Lonely start characters",
                 [b"".join(bytes([i, 0x20]) for i in range(lo, hi))
                  for lo, hi in ((0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb),
                                 (0xfc, 0xfd))]))
    missing = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
               b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    cats.append(("Sequences with last continuation byte missing", missing))
    cats.append(("Concatenation of incomplete sequences", [b"".join(missing)]))
    cats.append(("Impossible bytes", [b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"]))
    cats.append(("Examples of an overlong ASCII character",
                 [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf",
                  b"\xfc\x80\x80\x80\x80\xaf"]))
    cats.append(("Maximum overlong sequences",
                 [b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf",
                  b"\xfc\x83\xbf\xbf\xbf\xbf"]))
    cats.append(("Overlong representation of the NUL character",
                 [b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80",
                  b"\xfc\x80\x80\x80\x80\x80"]))
    singles = [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf",
               b"\xed\xb0\x80", b"\xed\xbe\x80", b"\xed\xbf\xbf"]
    cats.append(("Single UTF-16 surrogates", singles))
    cats.append(("Paired UTF-16 surrogates",
                 [hi + lo for hi in singles[:4] for lo in (b"\xed\xb0\x80", b"\xed\xbf\xbf")]))
    nonchars = [b"\xef\xbf\xbe", b"\xef\xbf\xbf"]
    for z1 in (0xf0, 0xf1, 0xf2, 0xf3, 0xf4):
        for z2 in (0x8f, 0x9f, 0xaf, 0xbf):
            if z1 == 0xf4 and z2 != 0x8f:
                continue  # above U+10FFFF
            for z3 in (0xbe, 0xbf):
                seq = bytes([z1, z2, 0xbf, z3])
                if seq[:2] != b"\xf0\x8f":  # overlong
                    nonchars.append(seq)
    cats.append(("Non-character code points (valid UTF-8)", nonchars))
    cats.append(("Unicode specials (e.g. replacement character)",
                 [bytes([0xef, 0xbf, b]) for b in range(0xb9, 0xc0)]))
    return cats


def _sequence_case(payload, valid, per_byte):
    def run(ctx):
        c = ctx.connect()
        if per_byte and len(payload) > 1:
            frames = [encode_frame(OP_TEXT if i == 0 else OP_CONT, payload[i:i + 1],
                                   fin=i == len(payload) - 1) for i in range(len(payload))]
            c.send_raw(b"".join(frames))
        else:
            c.send_raw(encode_frame(OP_TEXT, payload))
        if valid:
            expect_echo(c, OP_TEXT, payload)
            close_normally(c)
        else:
            expect_failure(c, 1007)
    return run


def _fragments_case(pieces, valid, chop=None):
    def run(ctx):
        c = ctx.connect()
        frames = [encode_frame(OP_TEXT if i == 0 else OP_CONT, p, fin=i == len(pieces) - 1)
                  for i, p in enumerate(pieces)]
        c.send_raw(b"".join(frames), chop=chop)
        if valid:
            expect_echo(c, OP_TEXT, b"".join(pieces))
            close_normally(c)
        else:
            expect_failure(c, 1007)
    return run


FAIL_FAST_PAYLOAD = KAPPA + b"\xf4\x90\x80\x80" + b"\x65\x64\x69\x74\x65\x64"


def _no_close_yet(c, wait):
    """Part 1 is valid so far: the server must not have failed the connection."""
    try:
        f = c.recv_frame(wait)
    except Timeout:
        return
    raise CaseFailure("server reacted to a valid prefix with %r" % f)


def _fail_fast(split, frames):
    """Sends the payload in 3 parts (as frames, or as chops of one frame); the close 1007
    must arrive after part 2, before part 3 is sent."""
    def run(ctx):
        c = ctx.connect()
        p = FAIL_FAST_PAYLOAD
        parts = [p[:split[0]], p[split[0]:split[1]], p[split[1]:]]
        if frames:
            c.send_raw(encode_frame(OP_TEXT, parts[0], fin=False))
            # A ping proves the first fragment was processed and accepted.
            c.send_raw(encode_frame(OP_PING, b"part1"))
            f = next_frame(c, 5, "the pong after part 1")
            if f.opcode != 0xA:
                raise CaseFailure("after the valid part 1, got %r" % f)
            c.send_raw(encode_frame(OP_CONT, parts[1], fin=False))
        else:
            key = b"\x37\xfa\x21\x3d"
            whole = encode_frame(OP_TEXT, p, key=key)
            head = len(whole) - len(p)
            c.send_raw(whole[:head + split[0]])
            _no_close_yet(c, 0.2)
            c.send_raw(whole[head + split[0]:head + split[1]])
        # Fail fast: the close must come now, while part 3 is still unsent.
        expect_failure(c, 1007, timeout=2.0)
    return run


def _cases():
    out = [
        Case("6.1.1", "text message with empty payload", "empty text echo",
             _sequence_case(b"", True, False)),
        Case("6.1.2", "text in 3 empty fragments", "empty text echo",
             _fragments_case([b"", b"", b""], True)),
        Case("6.1.3", "text in 3 fragments, the first and last empty", "echo 'middle frame payload'",
             _fragments_case([b"", b"middle frame payload", b""], True)),
    ]
    hello = "Hello-µ@ßöäüàá-UTF-8!!".encode("utf-8")
    out += [
        Case("6.2.1", "valid UTF-8 text 'Hello-µ@ßöäüàá-UTF-8!!' in one frame", "echo",
             _sequence_case(hello, True, False)),
        Case("6.2.2", "the same text in 2 fragments split at a code point boundary", "echo",
             _fragments_case([hello[:12], hello[12:]], True)),
        Case("6.2.3", "the same text in 1-byte fragments", "echo",
             _fragments_case([hello[i:i + 1] for i in range(len(hello))], True)),
        Case("6.2.4", "'κόσμε' in 1-byte fragments", "echo",
             _fragments_case([KAPPA[i:i + 1] for i in range(len(KAPPA))], True)),
        Case("6.3.1", "invalid text (κόσμε + U+D800 encoded + 'edited') in one frame", "close 1007",
             _sequence_case(KAPPA + b"\xed\xa0\x80edited", False, False)),
        Case("6.3.2", "the same invalid text in 1-byte fragments", "close 1007",
             _sequence_case(KAPPA + b"\xed\xa0\x80edited", False, True)),
        Case("6.4.1", "invalid text in 3 frames: valid part, then 4 bytes encoding 0x110000, "
             "then the rest", "close 1007 right after frame 2, before frame 3 is sent",
             _fail_fast((11, 15), True)),
        Case("6.4.2", "as 6.4.1, frame 2 is only the octet that makes the text invalid",
             "close 1007 right after frame 2", _fail_fast((12, 13), True)),
        Case("6.4.3", "as 6.4.1, but 3 chops of one frame", "close 1007 after chop 2, before chop 3",
             _fail_fast((11, 15), False)),
        Case("6.4.4", "as 6.4.2, but 3 chops of one frame", "close 1007 after chop 2, before chop 3",
             _fail_fast((12, 13), False)),
    ]
    for i, (title, seqs) in enumerate(_categories(), 5):
        for j, seq in enumerate(seqs, 1):
            valid = _is_utf8(seq)
            exp = "echo" if valid else "close 1007"
            hexs = seq.hex() if len(seq) <= 24 else seq[:24].hex() + "…"
            out.append(Case("6.%d.%d" % (i, j), "%s: 0x%s, one frame" % (title, hexs), exp,
                            _sequence_case(seq, valid, False)))
            # Per-byte fragmentation: an invalid sequence must still be caught when every
            # byte is its own frame (validation state carried across frames); for valid text
            # 6.2.x and 6.5 already cover cutting code points.
            if len(seq) > 1 and (not valid or i == 5):
                out.append(Case("6.%d.%df" % (i, j), "%s: 0x%s, one frame per byte (ours)"
                                % (title, hexs), exp, _sequence_case(seq, valid, True)))
    return out


CASES = _cases()
