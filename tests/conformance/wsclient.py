"""A deliberately low-level WebSocket client for conformance testing (RFC 6455, RFC 7692).

It can build frames no well-behaved library would send (reserved bits, reserved opcodes,
oversized control frames, non-minimal length encodings), write them in arbitrary chops with
pauses, and read server frames with a deadline. Standard library only.
"""

import base64
import hashlib
import os
import select
import socket
import struct
import time
import zlib

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
RSV1, RSV2, RSV3 = 4, 2, 1  # values of the 3-bit rsv field passed to encode_frame

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DEFLATE_TAIL = b"\x00\x00\xff\xff"


class ProtocolViolation(Exception):
    """The server sent something a client must reject (bad handshake, bad frame)."""


class Timeout(Exception):
    pass


def mask_payload(key, payload):
    """XORs payload with the 4-byte key. Uses big-integer XOR: fast enough for 16 MiB."""
    if not payload:
        return b""
    n = len(payload)
    stream = (key * (n // 4 + 1))[:n]
    x = int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")
    return x.to_bytes(n, "big")


def encode_frame(opcode, payload=b"", fin=True, rsv=0, mask=True, key=None, length_bytes=None):
    """Serialises one client frame.

    rsv is the 3-bit RSV1..RSV3 field (RSV1 = 4). length_bytes forces the length encoding
    (0: 7-bit, 2: 16-bit, 8: 64-bit); None picks the minimal one as RFC 6455 §5.2 requires.
    """
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    n = len(payload)
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    mbit = 0x80 if mask else 0
    if length_bytes is None:
        length_bytes = 0 if n <= 125 else (2 if n <= 0xFFFF else 8)
    if length_bytes == 0:
        head = struct.pack("!BB", b0, mbit | n)
    elif length_bytes == 2:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = key if key is not None else os.urandom(4)
    return head + key + mask_payload(key, payload)


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    return struct.pack("!H", code) + reason


class Frame:
    __slots__ = ("fin", "rsv", "opcode", "payload")

    def __init__(self, fin, rsv, opcode, payload):
        self.fin, self.rsv, self.opcode, self.payload = fin, rsv, opcode, payload

    @property
    def close_code(self):
        """The code of a close frame; None for an empty body."""
        if len(self.payload) >= 2:
            return struct.unpack("!H", self.payload[:2])[0]
        return None

    @property
    def close_reason(self):
        return self.payload[2:]

    def __repr__(self):
        p = self.payload if len(self.payload) <= 32 else self.payload[:32] + b"..."
        return "Frame(op=%d fin=%d rsv=%d len=%d %r)" % (
            self.opcode, self.fin, self.rsv, len(self.payload), p)


class DeflateParams:
    """What the server's Sec-WebSocket-Extensions answer agreed (RFC 7692 §7)."""

    def __init__(self):
        self.server_no_context_takeover = False
        self.client_no_context_takeover = False
        self.server_max_window_bits = 15
        self.client_max_window_bits = 15


def parse_extension_header(value):
    """'a; x=1, b' -> [('a', [('x', '1')]), ('b', [])]; quoted values are unquoted."""
    result = []
    for ext in value.split(","):
        parts = [p.strip() for p in ext.split(";")]
        if not parts[0]:
            continue
        params = []
        for p in parts[1:]:
            if not p:
                continue
            if "=" in p:
                k, v = p.split("=", 1)
                params.append((k.strip().lower(), v.strip().strip('"')))
            else:
                params.append((p.lower(), None))
        result.append((parts[0].lower(), params))
    return result


class WsClient:
    """One raw connection. All reads are bounded by an explicit deadline."""

    def __init__(self, host, port, timeout=5.0):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = False
        self.response_headers = {}
        self.status = None
        self.deflate = None  # DeflateParams once negotiated
        self._inflater = None

    # ---- handshake -------------------------------------------------------------------

    def handshake(self, path="/echo", extensions=None, extra_headers=(), timeout=5.0):
        """Sends the upgrade request; returns the status code. Validates a 101 answer."""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            "GET %s HTTP/1.1" % path,
            "Host: %s:%d" % (self.host, self.port),
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: %s" % key,
            "Sec-WebSocket-Version: 13",
        ]
        if extensions:
            lines.append("Sec-WebSocket-Extensions: %s" % extensions)
        lines.extend(extra_headers)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise ProtocolViolation("connection closed during handshake")
            if len(self.buf) > 65536:
                raise ProtocolViolation("handshake response too large")
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        self.status = int(parts[1])
        for line in lines[1:]:
            k, _, v = line.partition(":")
            k = k.strip().lower()
            v = v.strip()
            # Repeated headers are joined as a list would be (RFC 7230 §3.2.2).
            self.response_headers[k] = (self.response_headers[k] + ", " + v
                                        if k in self.response_headers else v)
        if self.status != 101:
            return self.status
        expect = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
        h = self.response_headers
        if h.get("sec-websocket-accept") != expect:
            raise ProtocolViolation("bad Sec-WebSocket-Accept %r" % h.get("sec-websocket-accept"))
        if h.get("upgrade", "").lower() != "websocket":
            raise ProtocolViolation("bad Upgrade header %r" % h.get("upgrade"))
        if "upgrade" not in [t.strip().lower() for t in h.get("connection", "").split(",")]:
            raise ProtocolViolation("bad Connection header %r" % h.get("connection"))
        return self.status

    def accept_deflate(self, offers):
        """Validates the extension answer against our offers (a list of dicts of params);
        returns DeflateParams, or None when the server declined every offer."""
        value = self.response_headers.get("sec-websocket-extensions")
        if not value:
            return None
        exts = parse_extension_header(value)
        if len(exts) != 1 or exts[0][0] != "permessage-deflate":
            raise ProtocolViolation("unexpected extensions answer %r" % value)
        params = exts[0][1]
        names = [k for k, _ in params]
        if len(set(names)) != len(names):
            raise ProtocolViolation("duplicate parameter in %r" % value)
        p = DeflateParams()
        d = dict(params)
        for k, v in params:
            if k in ("server_no_context_takeover", "client_no_context_takeover"):
                if v is not None:
                    raise ProtocolViolation("%s must have no value: %r" % (k, value))
            elif k in ("server_max_window_bits", "client_max_window_bits"):
                if v is None or not v.isdigit() or not 8 <= int(v) <= 15:
                    raise ProtocolViolation("%s needs a value 8..15: %r" % (k, value))
            else:
                raise ProtocolViolation("unknown parameter %s in %r" % (k, value))
        # The answer must be compatible with at least one offer (RFC 7692 §7.1.2).
        ok = False
        for offer in offers:
            if "client_max_window_bits" in d and "client_max_window_bits" not in offer:
                continue
            if ("client_max_window_bits" in d and offer["client_max_window_bits"] is not None
                    and int(d["client_max_window_bits"]) > int(offer["client_max_window_bits"])):
                continue
            if "server_max_window_bits" in offer and offer["server_max_window_bits"] is not None:
                if "server_max_window_bits" not in d:
                    continue
                if int(d["server_max_window_bits"]) > int(offer["server_max_window_bits"]):
                    continue
            if "server_no_context_takeover" in offer and "server_no_context_takeover" not in d:
                continue
            ok = True
            break
        if not ok:
            raise ProtocolViolation("answer %r matches none of the offers" % value)
        p.server_no_context_takeover = "server_no_context_takeover" in d
        p.client_no_context_takeover = "client_no_context_takeover" in d
        p.server_max_window_bits = int(d.get("server_max_window_bits") or 15)
        p.client_max_window_bits = int(d.get("client_max_window_bits") or 15)
        self.deflate = p
        return p

    # ---- sending ---------------------------------------------------------------------

    def send_raw(self, data, chop=None, pause=0.0):
        """Writes data, optionally in pieces of `chop` bytes with `pause` seconds between
        them (a slow network). Returns False if the peer reset the connection."""
        try:
            if not chop:
                self.sock.sendall(data)
                return True
            for i in range(0, len(data), chop):
                self.sock.sendall(data[i:i + chop])
                if pause:
                    time.sleep(pause)
            return True
        except (BrokenPipeError, ConnectionResetError, TimeoutError, socket.timeout):
            # The server stopped reading (it failed the connection): what it sent before
            # is still readable, and the case's expectations decide.
            return False

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, chop=None, pause=0.0, **kw):
        return self.send_raw(encode_frame(opcode, payload, fin=fin, rsv=rsv, **kw), chop, pause)

    def send_close(self, code=None, reason=b""):
        return self.send_frame(OP_CLOSE, close_payload(code, reason))

    # ---- receiving -------------------------------------------------------------------

    def _fill(self, deadline):
        """Reads more bytes into buf. False on EOF/reset; raises Timeout at the deadline."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout()
        r, _, _ = select.select([self.sock], [], [], remaining)
        if not r:
            raise Timeout()
        try:
            data = self.sock.recv(1 << 20)
        except (ConnectionResetError, OSError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _need(self, n, deadline):
        while len(self.buf) < n:
            if not self._fill(deadline):
                return False
        return True

    def recv_frame(self, timeout=5.0):
        """The next frame, or None when TCP closed. Raises Timeout, ProtocolViolation."""
        deadline = time.monotonic() + timeout
        if not self._need(2, deadline):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise ProtocolViolation("server frame is masked")
        n = b1 & 0x7F
        off = 2
        if n == 126:
            if not self._need(4, deadline):
                return None
            n = struct.unpack_from("!H", self.buf, 2)[0]
            off = 4
            if n < 126:
                raise ProtocolViolation("non-minimal 16-bit length %d" % n)
        elif n == 127:
            if not self._need(10, deadline):
                return None
            n = struct.unpack_from("!Q", self.buf, 2)[0]
            off = 10
            if n <= 0xFFFF or n >> 63:
                raise ProtocolViolation("bad 64-bit length %d" % n)
        if not self._need(off + n, deadline):
            return None
        payload = bytes(self.buf[off:off + n])
        del self.buf[:off + n]
        frame = Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, payload)
        if frame.opcode in (3, 4, 5, 6, 7) or frame.opcode > 0xA:
            raise ProtocolViolation("server used reserved opcode %d" % frame.opcode)
        if frame.opcode >= 8 and (not frame.fin or n > 125):
            raise ProtocolViolation("server sent an invalid control frame %r" % frame)
        return frame

    def wait_tcp_close(self, timeout=3.0):
        """True when the server closes TCP within timeout (data received meanwhile is
        kept in buf)."""
        deadline = time.monotonic() + timeout
        try:
            while self._fill(deadline):
                pass
        except Timeout:
            return False
        return True

    # ---- permessage-deflate helpers --------------------------------------------------

    def inflate_message(self, data):
        """Inflates one compressed server message, honouring server_no_context_takeover."""
        p = self.deflate
        if self._inflater is None or p.server_no_context_takeover:
            self._inflater = zlib.decompressobj(wbits=-p.server_max_window_bits)
        out = self._inflater.decompress(data + DEFLATE_TAIL)
        if self._inflater.unconsumed_tail:
            raise ProtocolViolation("inflate left input unconsumed")
        return out

    def make_compressor(self):
        """A compressor for our messages, honouring the agreed client window. zlib cannot
        produce an 8-bit window; callers send uncompressed when 8 was agreed."""
        return zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED,
                                -max(9, self.deflate.client_max_window_bits))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def compress_message(compressor, message):
    """One message's compressed payload, the trailing 00 00 ff ff removed (RFC 7692 §7.2.1)."""
    data = compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH)
    if not data.endswith(DEFLATE_TAIL):
        raise AssertionError("sync flush did not end with the empty block")
    return data[:-4]
