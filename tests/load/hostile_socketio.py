#!/usr/bin/python3
"""Hostile load, Socket.IO: well-behaved Socket.IO clients keep every message while malformed
Engine.IO and Socket.IO input hits the same server.

The server runs with --socketio --workers 2 and a JWT secret. 50 clients speak raw Engine.IO 4 /
Socket.IO 5 over WebSocket (the open packet, CONNECT `40{"token"}`, `subscribe` to a public
channel, `2` answered with `3`) and must receive every numbered message, published through
POST /api/publish, exactly once and in order, while 400 hostile connections, a few dozen at a
time, each get their documented answer (docs/socketio.md, "Bad input"): a close with 1008
`parse error` (garbage packets, a BINARY_EVENT whose attachments never come, an attachment
nobody announced), 1009 for an oversized WebSocket message, HTTP 400 with the Engine.IO error
JSON (an unknown sid, an overlapping poll), `200 ok` then the close packet (then 400) for a
malformed POST, 413 then the close packet for an oversized POST, and CONNECT_ERROR
`Invalid namespace`. Afterwards the
server's RSS must be bounded and /health must answer.

Usage: hostile_socketio.py SERVER_BINARY   (or SWITCHBOARD_BIN in the environment). Exit 0 on
success. Only Python's standard library; the WebSocket side is hostile_load.py's.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_load as ws  # noqa: E402  (its minimal RFC 6455 client and server process)

GOOD_CLIENTS = 50
HOSTILE_CONNECTIONS = 400
HOSTILE_CONCURRENCY = 30
STORM_SPREAD = 8.0             # seconds over which attacks start, inside the publishing window
PUBLISH_INTERVAL = 0.020       # seconds between numbered messages
PUBLISH_COUNT = 500            # ~10 s of publishing
MAX_MESSAGE = 8192             # --max-message-size: a WebSocket packet's bound
MAX_PAYLOAD = 16384            # --socketio-max-payload: a polling POST's bound
RSS_GROWTH_LIMIT = 64 * 1024 * 1024
STEP_TIMEOUT = ws.STEP_TIMEOUT
API_KEY = "hostile-key"
JWT_SECRET = "hostile-secret"
CHANNEL = "news"
ENGINE = "/socket.io/?EIO=4"
SESSION_UNKNOWN = {"code": 1, "message": "Session ID unknown"}
BAD_REQUEST = {"code": 3, "message": "Bad request"}
RECORD_SEPARATOR = "\x1e"

Failure = ws.Failure


def token(sub):
    """An HS256 JWT for `sub`, valid for an hour."""
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": sub, "exp": int(time.time()) + 3600}).encode())
    mac = hmac.new(JWT_SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


# ---------------------------------------------------------------------------------------------
# Engine.IO over HTTP (long-polling) and over WebSocket


async def http(port, method, path, body=b""):
    """(status, body text) of one request on its own connection."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), STEP_TIMEOUT)
    try:
        writer.write((f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                      f"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {len(body)}\r\n\r\n")
                     .encode() + body)
        status, headers = await ws.read_response_head(reader)
        length = int(headers.get("content-length", "0"))
        text = await asyncio.wait_for(reader.readexactly(length), STEP_TIMEOUT) if length else b""
        return status, text.decode("utf-8", "replace")
    finally:
        writer.transport.abort()


async def polling_session(port):
    """The sid of a new long-polling session (its open packet read)."""
    status, body = await http(port, "GET", f"{ENGINE}&transport=polling")
    if status != 200 or not body.startswith("0{"):
        raise Failure(f"polling handshake answered {status} {body[:80]!r}")
    return json.loads(body[1:])["sid"]


def expect_json(status, body, want_status, want):
    if status != want_status:
        return f"HTTP {status} {body[:80]!r}, expected {want_status}"
    if want is not None and json.loads(body or "null") != want:
        return f"body {body[:80]!r}, expected {json.dumps(want)}"
    return None


def send_text(writer, text):
    writer.write(ws.mask_frame(0x1, text.encode()))


async def read_packet(reader, writer):
    """The next Engine.IO text packet; answers pings on the way. ('close', code, reason) for a
    close frame."""
    while True:
        fin, opcode, payload = await asyncio.wait_for(ws.read_frame(reader), STEP_TIMEOUT)
        if opcode == 0x8:
            return ("close", ws.close_code_of(payload), payload[2:].decode("utf-8", "replace"))
        if opcode == 0x1:
            text = payload.decode("utf-8")
            if text == "2":
                send_text(writer, "3")
                continue
            return ("text", text)


async def engine_socket(port):
    """A WebSocket Engine.IO connection past its open packet."""
    reader, writer = await ws.open_websocket(port, f"{ENGINE}&transport=websocket")
    kind, *packet = await read_packet(reader, writer)
    if kind != "text" or not packet[0].startswith("0{"):
        raise Failure(f"no open packet: {kind} {packet}")
    return reader, writer


async def connected_socket(port, sub):
    """An Engine.IO connection with namespace / connected as `sub` (its `connected` event read)."""
    reader, writer = await engine_socket(port)
    send_text(writer, "40" + json.dumps({"token": token(sub)}))
    for want in ("40{", '42["connected"'):
        kind, *packet = await read_packet(reader, writer)
        if kind != "text" or not packet[0].startswith(want):
            raise Failure(f"expected {want!r}, got {kind} {packet}")
    return reader, writer


# ---------------------------------------------------------------------------------------------
# Well-behaved side


class GoodClient(ws.GoodClient):
    """A Socket.IO client subscribed to CHANNEL; records the `n` of each event in order (the
    WebSocket side, its task and stop(), are hostile_load.py's receiver's)."""

    @staticmethod
    async def connect(port, index):
        reader, writer = await connected_socket(port, f"good-{index}")
        send_text(writer, "420" + json.dumps(["subscribe", {"channel": CHANNEL}]))
        kind, *packet = await read_packet(reader, writer)
        if kind != "text" or not packet[0].startswith("430"):
            raise Failure(f"subscribe answered {kind} {packet}")
        return GoodClient(reader, writer)

    async def _run(self):
        try:
            while True:
                fin, opcode, payload = await ws.read_frame(self.reader)
                text = payload.decode("utf-8") if opcode == 0x1 else ""
                if text == "2":
                    send_text(self.writer, "3")
                elif text.startswith('42["msg",'):
                    self.received.append(json.loads(text[2:])[1]["n"])
                elif text.startswith("42["):
                    pass  # the channel's other events (presence.join of the other receivers)
                elif opcode == 0x8:
                    self.error = f"closed by server with {ws.close_code_of(payload)}"
                    return
                else:
                    self.error = f"unexpected frame opcode={opcode} {payload[:60]!r}"
                    return
        except asyncio.CancelledError:
            raise
        except Exception as e:  # EOF, reset, bad frame: all failures of a good client
            self.error = f"{type(e).__name__}: {e}"


def api_publish(port, n):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/publish", method="POST",
        data=json.dumps({"channel": CHANNEL, "type": "msg", "payload": {"n": n}}).encode(),
        headers={"Authorization": f"apikey {API_KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=STEP_TIMEOUT) as r:
        if r.status != 200:
            raise Failure(f"publish #{n} answered {r.status}")


async def publish(port):
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n in range(PUBLISH_COUNT):
        await loop.run_in_executor(None, api_publish, port, n)
        await asyncio.sleep(max(0.0, start + (n + 1) * PUBLISH_INTERVAL - loop.time()))


# ---------------------------------------------------------------------------------------------
# Hostile side: each returns None when the server answered as documented, else the problem


async def expect_ws_close(port, frames, code, reason=None, connect=True):
    """Sends `frames` on a connection (namespace / connected first unless `connect` is False)
    and expects a close frame with `code` (and `reason`)."""
    reader, writer = await (connected_socket(port, "hostile") if connect else engine_socket(port))
    try:
        for frame in frames:
            writer.write(frame)
        while True:
            kind, *packet = await read_packet(reader, writer)
            if kind == "close":
                break
        got_code, got_reason = packet
        # The server says what was wrong after the documented reason: "parse error: …".
        if got_code != code or (reason is not None and not got_reason.startswith(reason)):
            return f"closed {got_code} {got_reason!r}, expected {code} {reason!r}"
        return None
    finally:
        writer.transport.abort()


def text_frame(text):
    return ws.mask_frame(0x1, text.encode())


async def garbage_engine_packet(port):
    return await expect_ws_close(port, [text_frame("x")], 1008, "parse error", connect=False)


async def garbage_message_packet(port):
    return await expect_ws_close(port, [text_frame("4garbage")], 1008, "parse error")


async def truncated_event(port):
    return await expect_ws_close(port, [text_frame('42["bad')], 1008, "parse error")


async def attachments_never_sent(port):
    header = '451-["upload",{"_placeholder":true,"num":0}]'
    return await expect_ws_close(port, [text_frame(header), text_frame('42["ping"]')], 1008, "parse error")


async def attachment_without_header(port):
    return await expect_ws_close(port, [ws.mask_frame(0x2, b"\x01\x02\x03")], 1008, "parse error")


async def oversized_packet(port):
    big = "42" + json.dumps(["ping", "x" * MAX_MESSAGE])
    return await expect_ws_close(port, [text_frame(big)], 1009)


async def unknown_namespace(port):
    reader, writer = await engine_socket(port)
    try:
        send_text(writer, "40/nowhere,")
        kind, *packet = await read_packet(reader, writer)
        want = '44/nowhere,{"message":"Invalid namespace"}'
        return None if packet == [want] else f"got {kind} {packet}, expected {want}"
    finally:
        writer.transport.abort()


async def unknown_sid_get(port):
    return expect_json(*await http(port, "GET", f"{ENGINE}&transport=polling&sid=no-such-sid"),
                       400, SESSION_UNKNOWN)


async def unknown_sid_post(port):
    return expect_json(*await http(port, "POST", f"{ENGINE}&transport=polling&sid=no-such-sid",
                                   b"40"), 400, SESSION_UNKNOWN)


async def malformed_post(port):
    sid = await polling_session(port)
    path = f"{ENGINE}&transport=polling&sid={sid}"
    status, body = await http(port, "POST", path, f"40{RECORD_SEPARATOR}x".encode())
    if (status, body) != (200, "ok"):
        return f"malformed POST answered {status} {body[:80]!r}, expected 200 ok"
    status, body = await http(port, "GET", path)
    if status != 200 or "1" not in body.split(RECORD_SEPARATOR):
        return f"the GET after it answered {status} {body[:80]!r}, expected the close packet"
    return expect_json(*await http(port, "GET", path), 400, SESSION_UNKNOWN)


async def oversized_post(port):
    sid = await polling_session(port)
    path = f"{ENGINE}&transport=polling&sid={sid}"
    status, body = await http(port, "POST", path, b"4" + b"x" * MAX_PAYLOAD)
    if status != 413:
        return f"oversized POST answered {status} {body[:80]!r}, expected 413"
    status, body = await http(port, "GET", path)  # the session ended: its close packet
    if status != 200 or "1" not in body.split(RECORD_SEPARATOR):
        return f"the GET after it answered {status} {body[:80]!r}, expected the close packet"
    return None


async def overlapping_gets(port):
    sid = await polling_session(port)
    path = f"{ENGINE}&transport=polling&sid={sid}"
    held = asyncio.create_task(http(port, "GET", path))
    try:
        await asyncio.sleep(0.05)  # the first GET is held (nothing to send yet)
        return expect_json(*await http(port, "GET", path), 400, BAD_REQUEST)
    finally:
        held.cancel()
        await asyncio.gather(held, return_exceptions=True)


HOSTILE_KINDS = [
    garbage_engine_packet, garbage_message_packet, truncated_event, attachments_never_sent,
    attachment_without_header, oversized_packet, unknown_namespace, unknown_sid_get,
    unknown_sid_post, malformed_post, oversized_post, overlapping_gets,
]


# ---------------------------------------------------------------------------------------------


async def run(server):
    failures = []
    clients = []
    try:
        clients = [await GoodClient.connect(server.port, i) for i in range(GOOD_CLIENTS)]
        baseline_rss = server.rss_bytes()
        started = time.monotonic()
        publishing = asyncio.create_task(publish(server.port))
        problems = await ws.storm(server.port, HOSTILE_KINDS, HOSTILE_CONNECTIONS,
                                  HOSTILE_CONCURRENCY, STORM_SPREAD)
        storm_seconds = time.monotonic() - started
        await publishing
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(
                len(c.received) >= PUBLISH_COUNT or c.error for c in clients):
            await asyncio.sleep(0.05)

        for kind, found in problems.items():
            if found:
                failures.append(f"{kind}: {len(found)} wrong, e.g. {sorted(set(found))[:3]}")
        failures += ws.check_deliveries(clients, list(range(PUBLISH_COUNT)))[:10]
        rss = server.rss_bytes()
        if rss - baseline_rss > RSS_GROWTH_LIMIT:
            failures.append(f"RSS grew {(rss - baseline_rss) >> 20} MiB (baseline "
                            f"{baseline_rss >> 20} MiB)")
        status, _ = ws.http_get(server.port, "/health")
        if status != 200:
            failures.append(f"/health answered {status} after the storm")
        print(f"storm: {HOSTILE_CONNECTIONS} hostile Socket.IO connections in {storm_seconds:.1f} s; "
              f"RSS {baseline_rss >> 20} -> {rss >> 20} MiB; "
              f"{len(clients)} Socket.IO receivers x {PUBLISH_COUNT} messages")
    finally:
        for c in clients:
            c.stop()
    return failures


def main():
    return ws.run_against_server("hostile Socket.IO load", 4, [
        "--socketio", "--workers", "2", "--jwt-secret", JWT_SECRET, "--api-key", API_KEY,
        "--public-channels", CHANNEL, "--max-message-size", str(MAX_MESSAGE),
        "--socketio-max-payload", str(MAX_PAYLOAD)], run, 90)


if __name__ == "__main__":
    sys.exit(main())
