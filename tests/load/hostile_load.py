#!/usr/bin/python3
"""Hostile load: well-behaved broadcast clients keep every message while a storm of malformed
handshakes and frames hits the same server.

The server runs with --broadcast --workers 2 --handshake-timeout 1s --max-message-size 8KiB.
100 clients on /broadcast (plus the publisher, which the server also delivers to) must receive
every numbered message exactly once and in order while 1,000 hostile connections, a few dozen at a
time, each get exactly their documented answer: an HTTP status (400, 426, 431), a close after the
handshake timeout (slowloris), or a close frame with a code (1002, 1007, 1009). Afterwards the
server's RSS must be bounded, /health must answer, and /metrics counters must have moved by at
least the number of hostile connections of each kind.

Usage: hostile_load.py SERVER_BINARY   (or SWITCHBOARD_BIN in the environment). Exit 0 on success.
Only Python's standard library: the client side is a minimal RFC 6455 implementation.
"""

import asyncio
import ctypes
import base64
import hashlib
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request

GOOD_CLIENTS = 100
HOSTILE_CONNECTIONS = 1000
HOSTILE_CONCURRENCY = 40       # connections in flight at once (the "wave")
STORM_SPREAD = 9.0             # seconds over which attacks start, inside the publishing window
PUBLISH_INTERVAL = 0.010       # seconds between numbered messages
PUBLISH_COUNT = 1000           # ~10 s of publishing
MAX_MESSAGE = 8192             # --max-message-size
MAX_REQUEST = 8192             # --max-request-size
HANDSHAKE_TIMEOUT = 1.0        # --handshake-timeout
RSS_GROWTH_LIMIT = 64 * 1024 * 1024
STEP_TIMEOUT = 10.0            # any single wait on the server
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Failure(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Server process and HTTP helpers


def _die_with_parent():
    """Runs in the child before exec: the server gets SIGKILL if the test process dies first
    (e.g. killed by a ctest timeout), so no server outlives its test."""
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, timeout=2.0):
    """(status, body) of one GET, or (0, "") if the server does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""
    except Exception:  # refused, reset, timeout
        return 0, ""


class Server:
    def __init__(self, binary, args):
        for _ in range(3):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind-address", "127.0.0.1",
                 "--log-level", "error", "--drain-period", "0", *args], stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent)
            deadline = time.monotonic() + 10
            while self.proc.poll() is None and time.monotonic() < deadline:
                if http_get(self.port, "/health", 0.5)[0] == 200:
                    return
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.stop()
                raise Failure("server did not become healthy within 10 s")
        raise Failure("server kept exiting at start")

    def rss_bytes(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise Failure("no VmRSS for the server")

    def stop(self):
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """{(name, frozenset(labels.items())): value} from Prometheus text exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if m:
            labels = frozenset(_LABEL.findall(m.group(3) or ""))
            samples[(m.group(1), labels)] = float(m.group(4))
    return samples


def metric(samples, name, **labels):
    """The sample's value; 0 if absent (this server omits zero-valued close codes)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


# ---------------------------------------------------------------------------------------------
# Minimal RFC 6455 client pieces


def mask_frame(opcode, payload, fin=True, rsv=0, masked=True):
    """A client frame; `rsv` is the RSV bits already shifted (0x40, 0x20, 0x10)."""
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    mask_bit = 0x80 if masked else 0
    n = len(payload)
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 65536:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def upgrade_request(path="/broadcast", key=None, version="13", extra=""):
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket",
             "Connection: Upgrade"]
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def new_key():
    return base64.b64encode(os.urandom(16)).decode()


async def read_response_head(reader):
    """(status, {lowercase header: value}) of an HTTP response head."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP_TIMEOUT)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise Failure(f"not an HTTP response: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return int(parts[1]), headers


async def read_frame(reader):
    """(fin, opcode, payload) of one server frame; servers never mask."""
    b0, b1 = await reader.readexactly(2)
    if b1 & 0x80:
        raise Failure("server frame is masked")
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await reader.readexactly(8))[0]
    return bool(b0 & 0x80), b0 & 0x0F, await reader.readexactly(n)


async def open_websocket(port, path="/broadcast"):
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, limit=1 << 20), STEP_TIMEOUT)
    key = new_key()
    writer.write(upgrade_request(path, key))
    status, headers = await read_response_head(reader)
    expected = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
    if status != 101 or headers.get("sec-websocket-accept") != expected:
        writer.close()
        raise Failure(f"upgrade failed: {status} {headers}")
    return reader, writer


def close_code_of(payload):
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005


# ---------------------------------------------------------------------------------------------
# Well-behaved side


class GoodClient:
    """Receives broadcasts; answers pings; records every text message in arrival order."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.received = []
        self.error = None
        self.task = asyncio.create_task(self._run())

    async def _run(self):
        try:
            while True:
                fin, opcode, payload = await read_frame(self.reader)
                if opcode == 0x1 and fin:
                    self.received.append(payload.decode("utf-8"))
                elif opcode == 0x9:
                    self.writer.write(mask_frame(0xA, payload))
                elif opcode == 0x8:
                    self.error = f"closed by server with {close_code_of(payload)}"
                    return
                elif opcode != 0xA:
                    self.error = f"unexpected frame opcode={opcode} fin={fin}"
                    return
        except asyncio.CancelledError:
            raise
        except Exception as e:  # EOF, reset, bad frame: all failures of a good client
            self.error = f"{type(e).__name__}: {e}"

    def send_text(self, text):
        self.writer.write(mask_frame(0x1, text.encode()))

    def stop(self):
        self.task.cancel()
        self.writer.transport.abort()


def message(n):
    return f"broadcast #{n:05d}"


async def publish(publisher):
    start = asyncio.get_running_loop().time()
    for n in range(PUBLISH_COUNT):
        # Paced by the schedule rather than by sleep length, so lag does not accumulate.
        delay = start + n * PUBLISH_INTERVAL - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)
        publisher.send_text(message(n))
        await publisher.writer.drain()


# ---------------------------------------------------------------------------------------------
# Hostile side: each returns None on the documented behaviour, or a description of what happened.


async def expect_status(port, request, status, header_check=None):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        try:
            await writer.drain()
        except ConnectionError:
            pass  # the server may answer and close before reading everything we sent
        got, headers = await read_response_head(reader)
        if got != status:
            return f"status {got}, expected {status}"
        if header_check and not header_check(headers):
            return f"headers {headers}"
        return None
    finally:
        writer.transport.abort()


async def garbage(port):
    junk = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64).replace(b"\n", b"?")
    return await expect_status(port, junk + b"\r\n\r\n", 400)


async def bad_version(port):
    return await expect_status(
        port, upgrade_request(key=new_key(), version="8"), 426,
        lambda h: h.get("sec-websocket-version", "").replace(" ", "") == "13")


async def missing_key(port):
    return await expect_status(port, upgrade_request(key=None), 400)


async def oversized_headers(port):
    pad = "".join(f"X-Pad-{i}: {'p' * 100}\r\n" for i in range(MAX_REQUEST // 100 + 20))
    return await expect_status(port, upgrade_request(key=new_key(), extra=pad), 431)


async def slowloris(port):
    """Sends a header line every 200 ms and never finishes; the server must hang up after the
    handshake timeout (optionally with a 408), neither much earlier nor much later."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    try:
        writer.write(b"GET /broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        read = asyncio.create_task(reader.read())  # everything until EOF
        i = 0
        while not read.done() and time.monotonic() - started < HANDSHAKE_TIMEOUT + STEP_TIMEOUT:
            await asyncio.wait([read], timeout=0.2)
            if not read.done():
                writer.write(f"X-Slow-{i}: x\r\n".encode())
                i += 1
        if not read.done():
            read.cancel()
            return "still open long after the handshake timeout"
        try:
            data = read.result()
        except ConnectionError:
            data = b""  # a reset is also a hang-up
        elapsed = time.monotonic() - started
        if elapsed < HANDSHAKE_TIMEOUT * 0.8:
            return f"closed after {elapsed:.2f} s, before the handshake timeout"
        if elapsed > HANDSHAKE_TIMEOUT + 3:
            return f"closed only after {elapsed:.2f} s"
        if data and not data.startswith(b"HTTP/1.1 408"):
            return f"answered {data[:40]!r} instead of 408 or nothing"
        return None
    finally:
        writer.transport.abort()


async def expect_close(port, frame, code):
    """Upgrades, sends `frame`, then expects a close frame with `code` (broadcast text frames
    that arrive first are skipped), answers it, and expects the server to close TCP."""
    reader, writer = await open_websocket(port)
    try:
        writer.write(frame)
        try:
            await writer.drain()
        except ConnectionError:
            pass
        while True:
            fin, opcode, payload = await asyncio.wait_for(read_frame(reader), STEP_TIMEOUT)
            if opcode == 0x8:
                break
            if opcode not in (0x1, 0x9):
                return f"unexpected frame opcode={opcode} before the close"
        got = close_code_of(payload)
        if got != code:
            return f"close code {got}, expected {code}"
        try:
            writer.write(mask_frame(0x8, struct.pack("!H", got)))
            rest = await asyncio.wait_for(reader.read(), STEP_TIMEOUT)
        except ConnectionError:
            rest = b""
        if rest:
            return f"{len(rest)} bytes after the close frame"
        return None
    finally:
        writer.transport.abort()


async def unmasked(port):
    return await expect_close(port, mask_frame(0x1, b"not masked", masked=False), 1002)


async def reserved_opcode(port):
    return await expect_close(port, mask_frame(random.choice([0x3, 0x7, 0xB, 0xF]), b"x"), 1002)


async def bad_rsv(port):
    # No extension is negotiated (the server runs without --deflate), so every RSV bit is bad.
    return await expect_close(port, mask_frame(0x1, b"x", rsv=random.choice([0x40, 0x20, 0x10])),
                              1002)


async def oversized_message(port):
    return await expect_close(port, mask_frame(0x2, os.urandom(MAX_MESSAGE + 1)), 1009)


async def invalid_utf8(port):
    bad = random.choice([b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"ok \xe2\x82"])
    return await expect_close(port, mask_frame(0x1, bad), 1007)


HOSTILE_KINDS = [garbage, bad_version, missing_key, oversized_headers, slowloris, unmasked,
                 reserved_opcode, bad_rsv, oversized_message, invalid_utf8]

# What each kind must add to /metrics at least, per connection.
EXPECTED_METRICS = {
    garbage: ("switchboard_handshakes_total", {"result": "bad_request"}),
    missing_key: ("switchboard_handshakes_total", {"result": "bad_request"}),
    bad_version: ("switchboard_handshakes_total", {"result": "upgrade_required"}),
    oversized_headers: ("switchboard_handshakes_total", {"result": "too_large"}),
    slowloris: ("switchboard_handshakes_total", {"result": "timeout"}),
    unmasked: ("switchboard_closes_total", {"code": "1002"}),
    reserved_opcode: ("switchboard_closes_total", {"code": "1002"}),
    bad_rsv: ("switchboard_closes_total", {"code": "1002"}),
    oversized_message: ("switchboard_closes_total", {"code": "1009"}),
    invalid_utf8: ("switchboard_closes_total", {"code": "1007"}),
}


async def storm(port, kinds=None, connections=HOSTILE_CONNECTIONS,
                concurrency=HOSTILE_CONCURRENCY, spread=STORM_SPREAD):
    """Runs `connections` attacks of `kinds` (HOSTILE_KINDS), `concurrency` at a time, started
    over `spread` seconds; {kind: [problems]}. hostile_socketio.py storms with its own kinds."""
    kinds = kinds or HOSTILE_KINDS
    gate = asyncio.Semaphore(concurrency)
    problems = {k.__name__: [] for k in kinds}

    async def one(index, kind):
        # Spread over the publishing window so that receivers are under attack throughout.
        await asyncio.sleep(index * spread / connections)
        async with gate:
            try:
                problem = await asyncio.wait_for(kind(port), 2 * STEP_TIMEOUT)
            except Exception as e:
                problem = f"{type(e).__name__}: {e}"
            if problem:
                problems[kind.__name__].append(problem)

    plan = [kinds[i % len(kinds)] for i in range(connections)]
    random.shuffle(plan)  # the waves mix kinds, as a real attack would
    await asyncio.gather(*(one(i, kind) for i, kind in enumerate(plan)))
    return problems


# ---------------------------------------------------------------------------------------------


def check_deliveries(clients, expected=None):
    """What is wrong with the clients' `received` lists against `expected` (every message(n),
    once, in order)."""
    expected = expected or [message(n) for n in range(PUBLISH_COUNT)]
    bad = []
    for i, c in enumerate(clients):
        if c.received != expected:
            missing = len(set(expected) - set(c.received))
            dup = len(c.received) - len(set(c.received))
            bad.append(f"client {i}: got {len(c.received)} messages, {missing} missing, "
                       f"{dup} duplicated, in order: {c.received == sorted(c.received)}, "
                       f"error: {c.error}")
    return bad


async def wait_for_deliveries(clients, deadline):
    while time.monotonic() < deadline:
        if all(len(c.received) >= PUBLISH_COUNT or c.error for c in clients):
            return
        await asyncio.sleep(0.05)


async def run(server):
    failures = []
    loop_clients = []
    try:
        for _ in range(GOOD_CLIENTS + 1):
            loop_clients.append(GoodClient(*await open_websocket(server.port)))
        publisher = loop_clients[-1]  # the server delivers to the sender too
        await asyncio.sleep(0.2)  # let every subscription settle before message #0
        baseline_rss = server.rss_bytes()
        before = parse_prometheus(http_get(server.port, "/metrics")[1])

        started = time.monotonic()
        publishing = asyncio.create_task(publish(publisher))
        problems = await storm(server.port)
        storm_seconds = time.monotonic() - started
        await publishing
        await wait_for_deliveries(loop_clients, time.monotonic() + 15)

        for kind, found in problems.items():
            if found:
                failures.append(f"{kind}: {len(found)} of {HOSTILE_CONNECTIONS // len(HOSTILE_KINDS)}"
                                f" wrong, e.g. {sorted(set(found))[:3]}")
        failures += check_deliveries(loop_clients)[:10]

        rss = server.rss_bytes()
        if rss - baseline_rss > RSS_GROWTH_LIMIT:
            failures.append(f"RSS grew {(rss - baseline_rss) >> 20} MiB (baseline "
                            f"{baseline_rss >> 20} MiB)")
        status, _ = http_get(server.port, "/health")
        if status != 200:
            failures.append(f"/health answered {status} after the storm")
        metrics_status, text = http_get(server.port, "/metrics")
        after = parse_prometheus(text)
        if metrics_status != 200:
            failures.append(f"/metrics answered {metrics_status}")
        failures += check_metrics(before, after)
        print(f"storm: {HOSTILE_CONNECTIONS} hostile connections in {storm_seconds:.1f} s; "
              f"RSS {baseline_rss >> 20} -> {rss >> 20} MiB; "
              f"{len(loop_clients)} receivers x {PUBLISH_COUNT} messages")
    finally:
        for c in loop_clients:
            c.stop()
    return failures


def check_metrics(before, after):
    per_kind = HOSTILE_CONNECTIONS // len(HOSTILE_KINDS)
    needed = {}
    for name, labels in EXPECTED_METRICS.values():
        key = (name, frozenset(labels.items()))
        needed[key] = needed.get(key, 0) + per_kind
    failures = []
    for (name, labels), count in sorted(needed.items(), key=str):
        moved = metric(after, name, **dict(labels)) - metric(before, name, **dict(labels))
        if moved < count:
            failures.append(f"{name}{dict(labels)} moved by {moved:.0f}, expected >= {count}")
    return failures


def run_against_server(name, seed, server_args, run_fn, timeout):
    """The script's exit status: `run_fn(server)` (its failures) against the binary named by
    argv[1] or SWITCHBOARD_BIN started with `server_args`, within `timeout` seconds.
    hostile_socketio.py runs its own storm through it."""
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SWITCHBOARD_BIN", "")
    if not binary or not os.access(binary, os.X_OK):
        print(f"server binary not executable: {binary!r}", file=sys.stderr)
        return 2
    random.seed(seed)
    server = Server(binary, server_args)
    try:
        failures = asyncio.run(asyncio.wait_for(run_fn(server), timeout))
        if server.proc.poll() is not None:
            failures.append(f"server exited with {server.proc.returncode} during the test")
    finally:
        server.stop()
    for f in failures:
        print("FAIL:", f)
    print(f"{name}:", "FAILED" if failures else "passed")
    return 1 if failures else 0


def main():
    return run_against_server("hostile load", 6455, [
        "--broadcast", "--workers", "2", "--handshake-timeout", f"{int(HANDSHAKE_TIMEOUT * 1000)}ms",
        "--max-message-size", str(MAX_MESSAGE), "--max-request-size", str(MAX_REQUEST)], run, 120)


if __name__ == "__main__":
    sys.exit(main())
