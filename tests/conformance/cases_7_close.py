"""Section 7: close handling (Autobahn 7.1.x, 7.3.x, 7.5.1, 7.7.x, 7.9.x, 7.13.x).

The server documents: a client close is answered with a close echoing the code (an empty
body for an empty one) and then TCP close; invalid codes and 1-byte bodies fail with 1002; a
reason that is not UTF-8 fails with 1007."""

from harness import (Case, CaseFailure, close_normally, expect_echo, expect_failure,
                     expect_silence_then_close, next_frame)
from wsclient import OP_CLOSE, OP_CONT, OP_PING, OP_TEXT, close_payload, encode_frame

VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
VALID_CODES_OURS = [1012, 1013, 1014]  # registered after Autobahn's list was written
INVALID_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]
INVALID_CODES_OURS = [1015]  # 65535 is 7.13.2


def _message_then_close(ctx):
    c = ctx.connect()
    c.send_raw(encode_frame(OP_TEXT, b"Hello World!") + encode_frame(OP_CLOSE, close_payload(1000)))
    expect_echo(c, OP_TEXT, b"Hello World!")
    f = expect_silence_then_close(c)
    if f.close_code != 1000:
        raise CaseFailure("close answer %s, expected 1000" % f.close_code)


def _after_close(extra, what):
    def run(ctx):
        c = ctx.connect()
        c.send_raw(encode_frame(OP_CLOSE, close_payload(1000)) + extra)
        f = expect_silence_then_close(c)
        if f.close_code != 1000:
            raise CaseFailure("close answer %s, expected 1000 (%s ignored)" % (f.close_code, what))
    return run


def _large_then_close_then_ping(ctx):
    c = ctx.connect()
    payload = b"*" * 262144
    c.send_raw(encode_frame(OP_TEXT, payload) + encode_frame(OP_CLOSE, close_payload(1000))
               + encode_frame(OP_PING, b"ping after close"))
    expect_echo(c, OP_TEXT, payload, timeout=20)
    f = expect_silence_then_close(c)
    if f.close_code != 1000:
        raise CaseFailure("close answer %s, expected 1000" % f.close_code)


def _empty_close(ctx):
    c = ctx.connect()
    c.send_frame(OP_CLOSE, b"")
    f = next_frame(c, 5, "the close answer")
    if f.opcode != OP_CLOSE:
        raise CaseFailure("expected close, got %r" % f)
    if f.payload != b"":
        raise CaseFailure("answer to an empty close has body %r (expected empty)" % f.payload)
    if not c.wait_tcp_close(5):
        raise CaseFailure("server did not close TCP")


def _close_body(body, expect_codes):
    def run(ctx):
        c = ctx.connect()
        c.send_frame(OP_CLOSE, body)
        if expect_codes is None:
            f = expect_silence_then_close(c)
            code = int.from_bytes(body[:2], "big")
            if f.close_code != code:
                raise CaseFailure("close answer %s, expected the echo %d" % (f.close_code, code))
        else:
            expect_failure(c, expect_codes)
    return run


def _valid_code(code):
    def run(ctx):
        c = ctx.connect()
        close_normally(c, code)
    return run


def _close_inside_fragmented(ctx):
    c = ctx.connect()
    c.send_raw(encode_frame(OP_TEXT, b"fragment1", fin=False)
               + encode_frame(OP_CLOSE, close_payload(1000))
               + encode_frame(OP_CONT, b"fragment2", fin=True))
    f = expect_silence_then_close(c)
    if f.close_code != 1000:
        raise CaseFailure("close answer %s, expected 1000" % f.close_code)


def _cases():
    out = [
        Case("7.1.1", "text 'Hello World!', then close 1000", "echo, then close 1000, TCP close",
             _message_then_close),
        Case("7.1.2", "close 1000 twice, one write", "one close 1000 answer, then TCP close",
             _after_close(encode_frame(OP_CLOSE, close_payload(1000)), "second close")),
        Case("7.1.3", "close 1000, then a ping", "close 1000 answer, no pong",
             _after_close(encode_frame(OP_PING, b"ping"), "ping")),
        Case("7.1.4", "close 1000, then a text message", "close 1000 answer, no echo",
             _after_close(encode_frame(OP_TEXT, b"Hello World!"), "text")),
        Case("7.1.5", "text fragment 1, close 1000, text fragment 2", "close 1000 answer, no echo",
             _close_inside_fragmented),
        Case("7.1.6", "256 KiB text, close 1000, ping, one write", "echo, close 1000, no pong",
             _large_then_close_then_ping),
        Case("7.3.1", "close with an empty payload", "close with an empty payload, TCP close",
             _empty_close),
        Case("7.3.2", "close with a 1-byte payload", "close 1002", _close_body(b"\x03", 1002)),
        Case("7.3.3", "close 1000, no reason", "close 1000", _close_body(close_payload(1000), None)),
        Case("7.3.4", "close 1000 with reason 'Hello World!'", "close 1000",
             _close_body(close_payload(1000, b"Hello World!"), None)),
        Case("7.3.5", "close 1000 with a 123-byte reason (125-byte payload)", "close 1000",
             _close_body(close_payload(1000, b"*" * 123), None)),
        Case("7.3.6", "close 1000 with a 124-byte reason (126-byte payload)", "close 1002",
             _close_body(close_payload(1000, b"*" * 124), 1002)),
        Case("7.5.1", "close 1000 with a reason that is not UTF-8 "
             "(κόσμε + ED A0 80 + 'edited')", "close 1007",
             _close_body(close_payload(1000, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
                                             b"\xed\xa0\x80edited"), 1007)),
        Case("7.5.2", "close 1000 with a reason cut inside a code point (ours)", "close 1007",
             _close_body(close_payload(1000, b"ok\xe2\x82"), 1007)),
    ]
    for i, code in enumerate(VALID_CODES, 1):
        out.append(Case("7.7.%d" % i, "close with valid code %d" % code, "close %d echoed" % code,
                        _valid_code(code)))
    for i, code in enumerate(VALID_CODES_OURS, len(VALID_CODES) + 1):
        out.append(Case("7.7.%d" % i, "close with valid code %d (ours)" % code,
                        "close %d echoed" % code, _valid_code(code)))
    for i, code in enumerate(INVALID_CODES, 1):
        out.append(Case("7.9.%d" % i, "close with invalid code %d" % code, "close 1002",
                        _close_body(close_payload(code), 1002)))
    for i, code in enumerate(INVALID_CODES_OURS, len(INVALID_CODES) + 1):
        out.append(Case("7.9.%d" % i, "close with invalid code %d (ours)" % code, "close 1002",
                        _close_body(close_payload(code), 1002)))
    # Autobahn marks 7.13.x informational; the server documents 1002 for codes above 4999.
    out.append(Case("7.13.1", "close with code 5000", "close 1002 (server's documented choice)",
                    _close_body(close_payload(5000), 1002)))
    out.append(Case("7.13.2", "close with code 65536-1 and a reason", "close 1002",
                    _close_body(close_payload(65535, b"reason"), 1002)))
    return out


CASES = _cases()
