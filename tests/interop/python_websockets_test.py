#!/usr/bin/python3
"""Interoperability: Python `websockets` (Debian's python3-websockets, asyncio client) against
the real switchboard binary in --echo mode, with and without permessage-deflate on either side,
and over TLS (wss://).

Run: SWITCHBOARD_BIN=build/x/app/switchboard /usr/bin/python3 python_websockets_test.py -v
"""

import asyncio
import ctypes
import logging
import os
import random
import signal
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request

import websockets
from websockets.exceptions import ConnectionClosed

# IsolatedAsyncioTestCase runs its loop in debug mode, which logs every slow step.
logging.getLogger("asyncio").setLevel(logging.ERROR)

MAX_MESSAGE = 65536  # servers run with --max-message-size 64KiB
STEP_TIMEOUT = 10.0

_servers = {}
_certificate_dir = None


def _client_tls():
    """Accepts the test's self-signed certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _die_with_parent():
    """Runs in the child before exec: the server gets SIGKILL if the test process dies first
    (e.g. killed by a ctest timeout), so no server outlives its test."""
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_status(port, tls=False):
    try:
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/health"
        with urllib.request.urlopen(url, timeout=0.5, context=_client_tls() if tls else None) as r:
            return r.status
    except Exception:  # not up yet: refused, reset, timeout, HTTP error
        return 0


class Server:
    """The server as a child process: free port, wait for /health, stop by its own pid."""

    def __init__(self, args, tls=False):
        binary = os.environ.get("SWITCHBOARD_BIN")
        if not binary:
            raise RuntimeError("SWITCHBOARD_BIN must name the server binary")
        for _ in range(3):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind-address", "127.0.0.1",
                 "--log-level", "warn", "--drain-period", "0", *args],
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent)
            deadline = time.monotonic() + 10
            while self.proc.poll() is None and time.monotonic() < deadline:
                if health_status(self.port, tls) == 200:
                    return
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.stop()
                raise RuntimeError("server did not become healthy")
            # Exited early: most likely lost the race for the port; try another.
        raise RuntimeError("server kept exiting at start")

    def stop(self):
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def setUpModule():
    global _certificate_dir
    common = ["--echo", "--workers", "2", "--max-message-size", "64KiB"]
    _servers["plain"] = Server(common)
    _servers["deflate"] = Server(common + ["--deflate"])
    _certificate_dir = tempfile.mkdtemp(prefix="switchboard-wss-")
    cert, key = os.path.join(_certificate_dir, "cert.pem"), os.path.join(_certificate_dir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    _servers["tls"] = Server(common + ["--deflate", "--tls-cert-file", cert, "--tls-key-file", key],
                             tls=True)


def tearDownModule():
    for server in _servers.values():
        server.stop()
    if _certificate_dir:
        shutil.rmtree(_certificate_dir, ignore_errors=True)


def compressible_text(size):
    out, i = [], 0
    while sum(map(len, out)) < size:
        out.append(f"line {i} of the echo\n")
        i += 1
    return "".join(out)[:size]


def random_bytes(size, seed):
    return random.Random(seed).randbytes(size)


class EchoModes:
    """Mixin: the test cases; subclasses choose the server and client deflate settings."""

    server_deflate = False
    client_deflate = False
    tls = False  # the TLS server also negotiates deflate

    async def asyncSetUp(self):
        server = "tls" if self.tls else "deflate" if self.server_deflate else "plain"
        port = _servers[server].port
        self.ws = await asyncio.wait_for(
            websockets.connect(f"{'wss' if self.tls else 'ws'}://127.0.0.1:{port}/echo",
                               compression="deflate" if self.client_deflate else None,
                               ssl=_client_tls() if self.tls else None,
                               close_timeout=10),
            STEP_TIMEOUT)

    async def asyncTearDown(self):
        self.ws.transport.abort()

    async def recv(self):
        return await asyncio.wait_for(self.ws.recv(), STEP_TIMEOUT)

    async def expect_echo(self, payload):
        await self.ws.send(payload)
        echoed = await self.recv()
        self.assertIs(type(echoed), type(payload))  # str is text, bytes is binary
        self.assertTrue(echoed == payload, "echoed payload differs")

    async def expect_server_close(self, code):
        with self.assertRaises(ConnectionClosed):
            await self.recv()
        self.assertEqual(self.ws.close_code, code)

    async def test_negotiates_deflate_only_when_both_sides_want_it(self):
        header = self.ws.response_headers.get("Sec-WebSocket-Extensions", "")
        names = [ext.name for ext in self.ws.extensions]
        if self.server_deflate and self.client_deflate:
            self.assertIn("permessage-deflate", header)
            self.assertIn("server_no_context_takeover", header)
            self.assertEqual(names, ["permessage-deflate"])
        else:
            self.assertNotIn("permessage-deflate", header)
            self.assertEqual(names, [])

    async def test_echoes_text_and_binary(self):
        await self.expect_echo("hello, switchboard \u2713")
        await self.expect_echo(compressible_text(20000))
        await self.expect_echo(random_bytes(4096, 1))
        await self.expect_echo(bytes(range(256)))
        await self.expect_echo("")

    async def test_reassembles_a_fragmented_message(self):
        parts = [compressible_text(100), "middle \u00e9", compressible_text(3000)]
        await self.ws.send(iter(parts))  # an iterable is sent as one fragmented message
        self.assertEqual(await self.recv(), "".join(parts))

    async def test_echoes_a_message_of_exactly_the_maximum_size(self):
        await self.expect_echo(random_bytes(MAX_MESSAGE, 2))
        await self.expect_echo(compressible_text(MAX_MESSAGE))

    async def test_closes_1009_when_a_message_exceeds_the_maximum(self):
        # Compressible: under deflate the limit must apply to the inflated size.
        await self.ws.send("a" * (MAX_MESSAGE + 1))
        await self.expect_server_close(1009)

    async def test_closes_1009_when_fragments_together_exceed_the_maximum(self):
        half = random_bytes(MAX_MESSAGE // 2, 3)
        await self.ws.send(iter([half, half, b"x"]))
        await self.expect_server_close(1009)

    async def test_echoes_many_messages_in_order(self):
        def payload(i):
            text = f"message {i}" + "." * (i % 200)
            return text.encode() if i % 3 == 0 else text

        for i in range(1000):
            await self.ws.send(payload(i))
        for i in range(1000):
            self.assertEqual(await self.recv(), payload(i), f"at message {i}")

    async def test_answers_ping_with_pong(self):
        pong = await self.ws.ping(b"are you there")
        await asyncio.wait_for(pong, STEP_TIMEOUT)  # resolved only by a matching pong payload

    async def test_close_handshake_echoes_1000_and_server_closes_tcp(self):
        await self.expect_echo("before close")
        started = time.monotonic()
        # The client waits for the server's close frame and then for the server to close TCP;
        # it only closes TCP itself after close_timeout (10 s), so a prompt return means the
        # server did.
        await asyncio.wait_for(self.ws.close(code=1000, reason="bye"), STEP_TIMEOUT + 5)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(self.ws.close_code, 1000)
        self.assertTrue(self.ws.transport.is_closing())


def _mode_case(name, server_deflate, client_deflate, tls=False):
    return type(name, (EchoModes, unittest.IsolatedAsyncioTestCase),
                {"server_deflate": server_deflate, "client_deflate": client_deflate, "tls": tls})


ServerPlainClientPlain = _mode_case("ServerPlainClientPlain", False, False)
ServerPlainClientOffers = _mode_case("ServerPlainClientOffers", False, True)
ServerDeflateClientPlain = _mode_case("ServerDeflateClientPlain", True, False)
ServerDeflateClientOffers = _mode_case("ServerDeflateClientOffers", True, True)
TlsClientPlain = _mode_case("TlsClientPlain", True, False, tls=True)
TlsClientOffers = _mode_case("TlsClientOffers", True, True, tls=True)

if __name__ == "__main__":
    unittest.main()
