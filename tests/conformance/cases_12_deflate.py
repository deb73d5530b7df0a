"""Sections 12 and 13: permessage-deflate (RFC 7692), against the server started with
--deflate --max-message-size 16MiB.

12.1/12.2: compressed messages of Autobahn's sizes (16 B..128 KiB, some auto-fragmented) both
ways, with the default offer; every server message is inflated with the agreed window and
context takeover. 12.3 (ours): deflate protocol errors. 13.x: the negotiation offers of
Autobahn 13.x plus server_max_window_bits=9..15, each followed by a round trip.

The server documents: server_no_context_takeover is always in its answer; messages of at
least 64 bytes (--deflate-min-size) are sent compressed; bad deflate data fails with 1007.
"""

import random
import zlib

from harness import (Case, CaseFailure, check, close_normally, expect_failure, recv_message)
from wsclient import (DEFLATE_TAIL, OP_BINARY, OP_CONT, OP_PING, OP_TEXT, compress_message,
                      encode_frame, parse_extension_header)

MIN_SIZE = 64
MSG_SIZES = [(16, 0), (64, 0), (256, 0), (1024, 0), (4096, 0), (8192, 0), (16384, 0),
             (32768, 0), (65536, 0), (131072, 0), (8192, 256), (16384, 256), (32768, 256),
             (65536, 256), (131072, 256), (131072, 1024), (131072, 4096), (131072, 32768)]
MESSAGES_PER_CASE = 20  # Autobahn sends 1000; 20 keep the suite fast and still cross contexts
DEFAULT_OFFER = "permessage-deflate; client_no_context_takeover; client_max_window_bits"


def _json_corpus(n, seed=0):
    """Deterministic, compressible, valid UTF-8 text of exactly n bytes (JSON-like, with
    some non-ASCII)."""
    rnd = random.Random(n * 1000 + seed)
    parts = []
    size = 0
    while size < n:
        item = ('{"id": %d, "user": "usér-%d", "channel": "conv:%d", "text": "%s", "ts": %d},'
                % (rnd.randrange(10 ** 6), rnd.randrange(500), rnd.randrange(50),
                   " ".join(rnd.choice(["hello", "world", "grüß", "κόσμε", "deflate", "frame"])
                            for _ in range(rnd.randrange(3, 12))), rnd.randrange(10 ** 9)))
        parts.append(item)
        size += len(item.encode())
    data = "".join(parts).encode()
    cut = n
    while 0 < cut < len(data) and (data[cut] & 0xC0) == 0x80:  # back to a code point boundary
        cut -= 1
    return data[:cut] + b" " * (n - cut)


def _binary_corpus(n, seed):
    """Binary with long-distance repetition: a 1000-byte random block repeated, so that a
    server using a larger window than it announced produces back-references the client's
    smaller window cannot resolve (we would fail to inflate)."""
    block = random.Random(seed).randbytes(1000)
    return (block * (n // 1000 + 1))[:n]


class Session:
    """A deflate connection: negotiation check plus compress/inflate with agreed params."""

    def __init__(self, ctx, offer, offers_parsed):
        self.c = ctx.connect(extensions=offer)
        self.p = self.c.accept_deflate(offers_parsed)
        self.compressor = None

    def require(self):
        check(self.p is not None, "server declined permessage-deflate (no extension answer)")
        check(self.p.server_no_context_takeover,
              "answer lacks server_no_context_takeover (documented as always present)")

    def send(self, opcode, payload, compress=True, frag=0):
        c = self.c
        if compress and self.p is not None and self.p.client_max_window_bits >= 9:
            if self.compressor is None or self.p.client_no_context_takeover:
                self.compressor = c.make_compressor()
            wire = compress_message(self.compressor, payload)
            rsv = 4
        else:
            wire, rsv = payload, 0
        if not frag or len(wire) <= frag:
            c.send_raw(encode_frame(opcode, wire, rsv=rsv))
            return
        frames = []
        for i in range(0, len(wire), frag):
            frames.append(encode_frame(opcode if i == 0 else OP_CONT, wire[i:i + frag],
                                       fin=i + frag >= len(wire), rsv=rsv if i == 0 else 0))
        c.send_raw(b"".join(frames))

    def expect(self, opcode, payload, strict_min_size=True):
        op, got, frames = recv_message(self.c, timeout=20)
        check(op == opcode, "echo opcode %d, expected %d" % (op, opcode))
        if got != payload:
            raise CaseFailure("echo differs after inflate: %d bytes vs %d" % (len(got), len(payload)))
        compressed = bool(frames[0].rsv & 4)
        if strict_min_size and self.p is not None:
            # Documented: messages >= --deflate-min-size are sent compressed, shorter ones not.
            check(compressed == (len(payload) >= MIN_SIZE),
                  "%d-byte echo %s compressed (min size %d)"
                  % (len(payload), "was" if compressed else "was not", MIN_SIZE))
        if self.p is None:
            check(not compressed, "compressed message without a negotiated extension")


def _parse_offers(offer):
    out = []
    for name, params in parse_extension_header(offer):
        if name == "permessage-deflate":
            out.append(dict(params))
    return out


def _traffic(binary, size, frag):
    def run(ctx):
        s = Session(ctx, DEFAULT_OFFER, _parse_offers(DEFAULT_OFFER))
        s.require()
        op = OP_BINARY if binary else OP_TEXT
        corpus = _binary_corpus(size * 4, size)
        for i in range(MESSAGES_PER_CASE):
            start = (i * size) % (3 * size)
            msg = corpus[start:start + size] if binary else _json_corpus(size, seed=i)
            s.send(op, msg, frag=frag)
            s.expect(op, msg, strict_min_size=not binary)
        close_normally(s.c)
    return run


def _negotiation(offer, expect_accept=True, expect_window=None):
    """expect_accept: True (must accept), False (must decline), None (either is allowed)."""
    def run(ctx):
        s = Session(ctx, offer, _parse_offers(offer))
        if expect_accept is True:
            s.require()
        elif expect_accept is False:
            check(s.p is None, "server accepted an offer it must decline: %r"
                  % s.c.response_headers.get("sec-websocket-extensions"))
        if s.p is not None:
            check(s.p.server_no_context_takeover, "answer lacks server_no_context_takeover")
            if expect_window is not None:
                check(s.p.server_max_window_bits <= expect_window,
                      "server_max_window_bits %d > offered %d" % (s.p.server_max_window_bits,
                                                                 expect_window))
        # Both directions, compressed, with long-distance repeats to catch a window violation.
        for n in (10, 200, 5000, 70000):
            msg = _binary_corpus(n, n)
            s.send(OP_BINARY, msg)
            s.expect(OP_BINARY, msg, strict_min_size=False)
            text = _json_corpus(n)
            s.send(OP_TEXT, text)
            s.expect(OP_TEXT, text)
        close_normally(s.c)
        if s.p is None:
            return "declined; traffic uncompressed"
        return "accepted: %s" % s.c.response_headers.get("sec-websocket-extensions")
    return run


def _plain_session(ctx):
    s = Session(ctx, DEFAULT_OFFER, _parse_offers(DEFAULT_OFFER))
    s.require()
    return s


def _err_rsv1_continuation(ctx):
    s = _plain_session(ctx)
    comp = s.c.make_compressor()
    wire = compress_message(comp, b"Hello, compressed world! " * 10)
    s.c.send_raw(encode_frame(OP_TEXT, wire[:10], fin=False, rsv=4)
                 + encode_frame(OP_CONT, wire[10:], fin=True, rsv=4))
    expect_failure(s.c, 1002)


def _err_rsv1_control(ctx):
    s = _plain_session(ctx)
    s.c.send_raw(encode_frame(OP_PING, b"ping", rsv=4))
    expect_failure(s.c, 1002)


def _err_bad_data(payload):
    def run(ctx):
        s = _plain_session(ctx)
        s.c.send_raw(encode_frame(OP_BINARY, payload, rsv=4))
        expect_failure(s.c, 1007)
    return run


def _err_invalid_utf8_after_inflate(ctx):
    s = _plain_session(ctx)
    comp = s.c.make_compressor()
    s.c.send_raw(encode_frame(OP_TEXT, compress_message(comp, b"valid \xed\xa0\x80 then not"),
                              rsv=4))
    expect_failure(s.c, 1007)


def _err_bomb(ctx):
    s = _plain_session(ctx)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    wire = compress_message(comp, b"\x00" * (16 * 1024 * 1024 + 1))
    s.c.send_raw(encode_frame(OP_BINARY, wire, rsv=4))
    expect_failure(s.c, 1009)


def _rsv1_not_negotiated(ctx):
    c = ctx.connect()  # no offer
    check("sec-websocket-extensions" not in c.response_headers,
          "extension answered without an offer")
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    c.send_raw(encode_frame(OP_TEXT, compress_message(comp, b"x" * 100), rsv=4))
    expect_failure(c, 1002)


def _uncompressed_on_deflate(ctx):
    s = _plain_session(ctx)
    msg = b"an uncompressed message on a deflate connection " * 4
    s.send(OP_TEXT, msg, compress=False)
    s.expect(OP_TEXT, msg)
    close_normally(s.c)


def _empty_compressed(ctx):
    s = _plain_session(ctx)
    s.send(OP_BINARY, b"")
    s.expect(OP_BINARY, b"")
    s.c.send_raw(encode_frame(OP_TEXT, b"\x00", rsv=4))  # RFC 7692 §7.2.3.6: one 0x00 octet
    s.expect(OP_TEXT, b"")
    close_normally(s.c)


def _compressed_ping_between_fragments(ctx):
    s = _plain_session(ctx)
    msg = _json_corpus(3000)
    wire = compress_message(s.c.make_compressor(), msg)
    half = len(wire) // 2
    s.c.send_raw(encode_frame(OP_TEXT, wire[:half], fin=False, rsv=4)
                 + encode_frame(OP_PING, b"mid") + encode_frame(OP_CONT, wire[half:], fin=True))
    f = s.c.recv_frame(5)
    check(f is not None and f.opcode == 0xA and f.payload == b"mid", "expected pong, got %r" % f)
    s.expect(OP_TEXT, msg)
    close_normally(s.c)


def _with_tail(ctx):
    """A sender that leaves the 00 00 ff ff tail in the payload: RFC 7692 §7.2.2 says the
    receiver appends the tail itself; an extra empty stored block is still valid deflate."""
    s = _plain_session(ctx)
    comp = s.c.make_compressor()
    msg = _json_corpus(500)
    wire = comp.compress(msg) + comp.flush(zlib.Z_SYNC_FLUSH)
    check(wire.endswith(DEFLATE_TAIL), "zlib sync flush")
    s.c.send_raw(encode_frame(OP_TEXT, wire, rsv=4))
    s.expect(OP_TEXT, msg)
    close_normally(s.c)


def _cases():
    out = []
    for sub, binary in ((1, False), (2, True)):
        for i, (size, frag) in enumerate(MSG_SIZES, 1):
            kind = "binary" if binary else "JSON text"
            sent = "%d compressed %s messages of %d bytes%s, default offer" % (
                MESSAGES_PER_CASE, kind, size,
                ", fragmented into %d-byte frames" % frag if frag else "")
            out.append(Case("12.%d.%d" % (sub, i), sent,
                            "every echo inflates to the message sent", _traffic(binary, size, frag),
                            config="deflate"))
    errs = [
        ("12.3.1", "compressed text in 2 frames, RSV1 also on the continuation", "close 1002",
         _err_rsv1_continuation),
        ("12.3.2", "ping with RSV1 on a deflate connection", "close 1002", _err_rsv1_control),
        ("12.3.3", "RSV1 binary frame with bytes ff ff ff ff (not deflate)", "close 1007",
         _err_bad_data(b"\xff\xff\xff\xff")),
        ("12.3.4", "RSV1 binary frame using a reserved block type (07 ..)", "close 1007",
         _err_bad_data(b"\x07\x00\x01\x02\x03")),
        ("12.3.5", "compressed text that inflates to invalid UTF-8", "close 1007",
         _err_invalid_utf8_after_inflate),
        ("12.3.6", "16 MiB + 1 zeros compressed to a few KiB (limit 16 MiB)", "close 1009",
         _err_bomb),
        ("12.3.7", "RSV1 text frame when no extension was offered", "close 1002", _rsv1_not_negotiated),
        ("12.3.8", "uncompressed (RSV1 clear) text on a deflate connection", "echo (compressed)",
         _uncompressed_on_deflate),
        ("12.3.9", "empty compressed messages (zlib's empty block, and a single 00 octet)",
         "empty echoes", _empty_compressed),
        ("12.3.10", "compressed text in 2 frames with a ping between them", "pong, then the echo",
         _compressed_ping_between_fragments),
        ("12.3.11", "compressed text that keeps the 00 00 ff ff tail", "echo", _with_tail),
    ]
    for cid, sent, exp, fn in errs:
        out.append(Case(cid, sent, exp, fn, config="deflate"))
    nego = [
        ("13.1", "permessage-deflate", True, None),
        ("13.2", "permessage-deflate; client_no_context_takeover", True, None),
        ("13.3", "permessage-deflate; client_max_window_bits", True, None),
        ("13.4", "permessage-deflate; client_max_window_bits=10", True, None),
        ("13.5", "permessage-deflate; server_no_context_takeover", True, None),
        ("13.6", "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                 "client_max_window_bits=15", True, None),
        ("13.7", "permessage-deflate; server_max_window_bits=8; client_no_context_takeover, "
                 "permessage-deflate; client_no_context_takeover, permessage-deflate", True, None),
        ("13.8", "permessage-deflate; server_max_window_bits=8", None, 8),
        ("13.10", "permessage-deflate; foo=bar", False, None),
        ("13.11", "permessage-deflate; foo=bar, permessage-deflate; client_max_window_bits", True, None),
        ("13.12", "x-webkit-deflate-frame", False, None),
        ("13.13", "permessage-deflate; server_max_window_bits=16", False, None),
        ("13.14", "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
         False, None),
    ]
    for cid, offer, acc, win in nego:
        exp = {True: "accepted", False: "declined (101 without the extension)",
               None: "declined, or accepted with a window <= 8"}[acc]
        out.append(Case(cid, "offer: %s; then messages both ways" % offer,
                        exp + "; response parameters valid; round trips inflate",
                        _negotiation(offer, acc, win), config="deflate"))
    for bits in range(9, 16):
        offer = "permessage-deflate; server_max_window_bits=%d" % bits
        # A server may decline a window smaller than the one it compresses with (§7.1.2.1);
        # when it accepts, its messages must inflate with the window it announced.
        out.append(Case("13.9.%d" % (bits - 8), "offer: %s; then messages both ways" % offer,
                        "accepted with server_max_window_bits <= %d and server messages "
                        "inflating with that window, or declined" % bits,
                        _negotiation(offer, None, bits),
                        config="deflate"))
    out.sort(key=lambda c: [int(x) for x in c.cid.split(".")])
    return out


CASES = _cases()
