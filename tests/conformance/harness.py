"""Case registry and the expectations shared by every section."""

import struct

import wsclient
from wsclient import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, Timeout

HOST = "127.0.0.1"


class CaseFailure(Exception):
    pass


class Case:
    """One conformance case.

    cid: Autobahn-style id ("5.19", "6.12.3"; ours add a suffix such as "1.1.8a" or "6.12.3f").
    sent / expected: one-line descriptions for the report.
    fn(ctx): runs the case; raises CaseFailure (or any exception) on failure.
    config: which server instance runs it ("echo", "limits", "deflate").
    """

    def __init__(self, cid, sent, expected, fn, config="echo"):
        self.cid, self.sent, self.expected, self.fn, self.config = cid, sent, expected, fn, config

    @property
    def section(self):
        return int(self.cid.split(".")[0])


class Context:
    def __init__(self, port):
        self.port = port

    def connect(self, path="/echo", extensions=None, timeout=5.0):
        c = wsclient.WsClient(HOST, self.port, timeout=timeout)
        status = c.handshake(path, extensions=extensions)
        if status != 101:
            c.close()
            raise CaseFailure("handshake answered %d, expected 101" % status)
        return c


def check(cond, msg):
    if not cond:
        raise CaseFailure(msg)


def next_frame(c, timeout=5.0, what="a frame"):
    """The next frame that is not a server-initiated ping (keepalive is allowed at any time)."""
    while True:
        try:
            f = c.recv_frame(timeout)
        except Timeout:
            raise CaseFailure("timed out waiting for %s" % what)
        if f is None:
            raise CaseFailure("TCP closed while waiting for %s" % what)
        if f.opcode == OP_PING:
            continue
        return f


def recv_message(c, timeout=10.0):
    """Reassembles the next data message: returns (opcode, payload, frames)."""
    frames = []
    first = next_frame(c, timeout, "a data message")
    if first.opcode == OP_CLOSE:
        raise CaseFailure("expected a message, got close code %s reason %r"
                          % (first.close_code, first.close_reason))
    check(first.opcode in (OP_TEXT, OP_BINARY),
          "expected a data frame, got %r" % first)
    check(first.rsv & 3 == 0, "server set RSV2/RSV3: %r" % first)
    compressed = bool(first.rsv & 4)
    if compressed:
        check(c.deflate is not None, "RSV1 set without a negotiated extension: %r" % first)
    frames.append(first)
    f = first
    while not f.fin:
        f = next_frame(c, timeout, "a continuation frame")
        check(f.opcode == OP_CONT, "expected a continuation frame, got %r" % f)
        check(f.rsv == 0, "RSV bits on a continuation frame: %r" % f)
        frames.append(f)
    payload = b"".join(x.payload for x in frames)
    if compressed:
        try:
            payload = c.inflate_message(payload)
        except Exception as e:  # zlib.error or a window violation
            raise CaseFailure("cannot inflate server message: %s" % e)
    if first.opcode == OP_TEXT:
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            raise CaseFailure("server sent a text message that is not UTF-8")
    return first.opcode, payload, frames


def expect_echo(c, opcode, payload, timeout=10.0):
    op, got, frames = recv_message(c, timeout)
    check(op == opcode, "echo opcode %d, expected %d" % (op, opcode))
    if got != payload:
        raise CaseFailure("echo differs: got %d bytes, expected %d (first %r vs %r)"
                          % (len(got), len(payload), got[:24], payload[:24]))
    return frames


def expect_pong(c, payload, timeout=5.0):
    f = next_frame(c, timeout, "a pong")
    check(f.opcode == OP_PONG, "expected pong, got %r" % f)
    check(f.payload == payload, "pong payload %r, expected %r" % (f.payload[:24], payload[:24]))


def barrier(c, token=b"barrier"):
    """Proves that nothing was sent before it: the next frame must be our pong."""
    c.send_frame(OP_PING, token)
    expect_pong(c, token)


def expect_failure(c, codes, timeout=5.0):
    """The server must fail the connection: a close frame with one of `codes` (before any
    other frame) and then TCP close. We answer the close as RFC 6455 §5.5.1 asks."""
    if isinstance(codes, int):
        codes = (codes,)
    f = next_frame(c, timeout, "a close frame with %s" % "/".join(map(str, codes)))
    if f.opcode != OP_CLOSE:
        raise CaseFailure("expected close %s, got %r" % ("/".join(map(str, codes)), f))
    check(f.close_code in codes, "close code %s, expected %s (reason %r)"
          % (f.close_code, "/".join(map(str, codes)), f.close_reason))
    check_reason_utf8(f)
    c.send_close(f.close_code)
    check(c.wait_tcp_close(timeout), "server did not close TCP after its close frame")
    return f


def check_reason_utf8(f):
    try:
        f.close_reason.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseFailure("close reason is not UTF-8: %r" % f.close_reason)


def close_normally(c, code=1000, reason=b"", expect_code="echo", timeout=5.0):
    """We start the closing handshake; the server must answer with a close frame (echoing
    our code, empty when ours was) and then close TCP; no data may follow its close."""
    c.send_close(code, reason)
    f = next_frame(c, timeout, "the close answer")
    check(f.opcode == OP_CLOSE, "expected the close answer, got %r" % f)
    want = code if expect_code == "echo" else expect_code
    check(f.close_code == want, "close answer code %s, expected %s" % (f.close_code, want))
    check_reason_utf8(f)
    check(c.wait_tcp_close(timeout), "server did not close TCP after the close handshake")
    check(not c.buf, "bytes after the server's close frame: %r" % bytes(c.buf[:24]))
    return f


def expect_silence_then_close(c, timeout=5.0):
    """After our close: only the close answer, nothing else (no pong, no echo)."""
    f = next_frame(c, timeout, "the close answer")
    check(f.opcode == OP_CLOSE, "expected only a close answer, got %r" % f)
    check(c.wait_tcp_close(timeout), "server did not close TCP")
    check(not c.buf, "bytes after the server's close frame: %r" % bytes(c.buf[:24]))
    return f


def pack_code(code):
    return struct.pack("!H", code)


def expect_failure_after_optional_echo(c, opcode, payload, codes):
    """A valid message, then a violation, sent together. Autobahn's strict result is the echo
    followed by the failure; failing before echoing is its "non-strict" pass (the RFC does not
    require delivering a message that arrived with the violation). Returns a note then."""
    f = next_frame(c, 5, "the echo or the close")
    if f.opcode == OP_CLOSE:
        c.buf[0:0] = _reencode(f)
        expect_failure(c, codes)
        return "non-strict: failed before echoing the valid message"
    c.buf[0:0] = _reencode(f)
    expect_echo(c, opcode, payload)
    expect_failure(c, codes)
    return None


def _reencode(f):
    """Puts a received (unmasked) frame back in front of the read buffer."""
    return wsclient.encode_frame(f.opcode, f.payload, fin=f.fin, rsv=f.rsv, mask=False)
