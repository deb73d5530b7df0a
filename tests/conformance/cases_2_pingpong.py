"""Section 2: ping and pong (Autobahn 2.1-2.11)."""

import os

from harness import Case, barrier, close_normally, expect_failure, expect_pong
from wsclient import OP_PING, OP_PONG, encode_frame


def _ping(payload, chop=None):
    def run(ctx):
        c = ctx.connect()
        c.send_raw(encode_frame(OP_PING, payload), chop=chop)
        expect_pong(c, payload)
        close_normally(c)
    return run


def _ping_too_big(ctx):
    c = ctx.connect()
    c.send_raw(encode_frame(OP_PING, b"\xfe" * 126))
    expect_failure(c, 1002)


def _unsolicited_pong(payload):
    def run(ctx):
        c = ctx.connect()
        c.send_frame(OP_PONG, payload)
        barrier(c)  # the next thing we get must be the pong to our ping: nothing answered the pong
        close_normally(c)
    return run


def _pong_then_ping(ctx):
    c = ctx.connect()
    c.send_raw(encode_frame(OP_PONG, b"unsolicited pong payload")
               + encode_frame(OP_PING, b"ping payload"))
    expect_pong(c, b"ping payload")
    close_normally(c)


def _ten_pings(chop):
    def run(ctx):
        c = ctx.connect()
        payloads = [b"payload-%d" % i for i in range(10)]
        c.send_raw(b"".join(encode_frame(OP_PING, p) for p in payloads), chop=chop)
        for p in payloads:
            expect_pong(c, p)
        close_normally(c)
    return run


CASES = [
    Case("2.1", "ping, empty payload", "pong, empty payload", _ping(b"")),
    Case("2.2", "ping with a small text payload", "pong echoing the payload", _ping(b"Hello, world!")),
    Case("2.3", "ping with a small binary payload", "pong echoing the payload",
         _ping(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")),
    Case("2.4", "ping with 125 bytes of binary payload", "pong echoing the payload",
         _ping(b"\xfe" * 125)),
    Case("2.5", "ping with 126 bytes of binary payload", "close 1002", _ping_too_big),
    Case("2.6", "ping with 125 bytes, written in 1-byte chops", "pong echoing the payload",
         _ping(os.urandom(125), chop=1)),
    Case("2.7", "unsolicited pong, empty payload, then a ping", "only the pong to our ping",
         _unsolicited_pong(b"")),
    Case("2.8", "unsolicited pong with payload, then a ping", "only the pong to our ping",
         _unsolicited_pong(b"unsolicited pong payload")),
    Case("2.9", "unsolicited pong then a ping with payload, one write", "pong echoing the ping payload",
         _pong_then_ping),
    Case("2.10", "10 pings with distinct payloads, one write", "10 pongs in order", _ten_pings(None)),
    Case("2.11", "10 pings, written in 1-byte chops", "10 pongs in order", _ten_pings(1)),
]
