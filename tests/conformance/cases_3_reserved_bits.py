"""Section 3: reserved bits (Autobahn 3.1-3.7). Without a negotiated extension every RSV bit
must fail the connection (RFC 6455 §5.2) with 1002 — also after a valid message."""

from harness import Case, expect_failure, expect_failure_after_optional_echo
from wsclient import OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT, close_payload, encode_frame


def _rsv_case(rsv, opcode, payload, prior, chop):
    def run(ctx):
        c = ctx.connect()
        data = b""
        if prior:
            data += encode_frame(OP_TEXT, b"Hello, world!")
        data += encode_frame(opcode, payload, rsv=rsv)
        data += encode_frame(OP_PING, b"")
        c.send_raw(data, chop=chop)
        if prior:
            # and no pong: expect_failure rejects any frame before the close
            return expect_failure_after_optional_echo(c, OP_TEXT, b"Hello, world!", 1002)
        expect_failure(c, 1002)
    return run


CASES = [
    Case("3.1", "small text message with RSV=1", "close 1002",
         _rsv_case(1, OP_TEXT, b"Hello, world!", False, None)),
    Case("3.2", "valid text, then text with RSV=2, then ping, one write",
         "echo of the first, close 1002, no pong", _rsv_case(2, OP_TEXT, b"Hello, world!", True, None)),
    Case("3.3", "as 3.2 with RSV=3, frame-wise writes",
         "echo of the first, close 1002, no pong", _rsv_case(3, OP_TEXT, b"Hello, world!", True, 19)),
    Case("3.4", "as 3.2 with RSV=4, 1-byte writes",
         "echo of the first, close 1002, no pong", _rsv_case(4, OP_TEXT, b"Hello, world!", True, 1)),
    Case("3.5", "binary message with RSV=5", "close 1002",
         _rsv_case(5, OP_BINARY, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", False, None)),
    Case("3.6", "ping with RSV=6", "close 1002", _rsv_case(6, OP_PING, b"Hello, world!", False, None)),
    Case("3.7", "close 1000 with RSV=7", "close 1002",
         _rsv_case(7, OP_CLOSE, close_payload(1000), False, None)),
    Case("3.8", "valid text, then binary with RSV=1 (ours)", "echo of the first, close 1002",
         _rsv_case(4, OP_BINARY, b"\x01\x02", True, None)),
    Case("3.9", "valid text, then pong with RSV=2 (ours)", "echo of the first, close 1002",
         _rsv_case(2, 0xA, b"x", True, None)),
]
