// Interoperability: the Node `ws` client against the real switchboard binary in --echo mode,
// with and without permessage-deflate on either side, and over TLS (wss://).
// Run: SWITCHBOARD_BIN=build/x/app/switchboard NODE_PATH=node_modules node --test <this file>
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const WebSocket = require('ws');

const MAX_MESSAGE = 65536; // servers run with --max-message-size 64KiB
const STEP_TIMEOUT_MS = 10000;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function getStatus(port, target, tls = false) {
  return new Promise((resolve) => {
    const get = tls ? https.get : http.get;
    const options = { host: '127.0.0.1', port, path: target, timeout: 500, rejectUnauthorized: false };
    const req = get(options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

// The server as a child process: free port, wait for /health, stop by its own pid.
class Server {
  static async start(args, { tls = false } = {}) {
    const binary = process.env.SWITCHBOARD_BIN;
    assert.ok(binary, 'SWITCHBOARD_BIN must name the server binary');
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      // setpriv --pdeathsig: the server gets SIGKILL if this process dies first (e.g. killed by a
      // ctest timeout), so no server outlives its test.
      const child = spawn(
        '/usr/bin/setpriv',
        ['--pdeathsig', 'KILL', '--', binary, '--port', String(port),
          '--bind-address', '127.0.0.1', '--log-level', 'warn', '--drain-period', '0', ...args],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
      let exited = false;
      child.on('exit', () => { exited = true; });
      const deadline = Date.now() + 10000;
      while (!exited && Date.now() < deadline) {
        if ((await getStatus(port, '/health', tls)) === 200) return new Server(child, port);
        await new Promise((r) => setTimeout(r, 20));
      }
      if (!exited) {
        child.kill('SIGKILL');
        throw new Error('server did not become healthy');
      }
      // Exited early: most likely lost the race for the port; try another.
    }
    throw new Error('server kept exiting at start');
  }

  constructor(child, port) {
    this.child = child;
    this.port = port;
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    try {
      await withTimeout(exited, 5000, 'server exit after SIGTERM');
    } catch {
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}

// A ws client on /echo whose received messages and close are awaitable in order.
class EchoClient {
  static async open(port, offerDeflate, tls = false) {
    const ws = new WebSocket(`${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/echo`,
      { perMessageDeflate: offerDeflate, rejectUnauthorized: false });
    const client = new EchoClient(ws);
    await withTimeout(new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    }), STEP_TIMEOUT_MS, 'open');
    return client;
  }

  constructor(ws) {
    this.ws = ws;
    this.inbox = [];
    this.waiters = [];
    this.extensionsHeader = undefined;
    ws.on('upgrade', (res) => { this.extensionsHeader = res.headers['sec-websocket-extensions']; });
    ws.on('message', (data, isBinary) => {
      const msg = { data, isBinary };
      const waiter = this.waiters.shift();
      if (waiter) waiter(msg); else this.inbox.push(msg);
    });
    ws.on('error', () => {}); // surfaced through 'close' and the timeouts
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  next() {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift());
    return withTimeout(new Promise((r) => this.waiters.push(r)), STEP_TIMEOUT_MS, 'message');
  }

  async expectEcho(payload, binary) {
    this.ws.send(payload, { binary });
    const msg = await this.next();
    assert.equal(msg.isBinary, binary);
    assert.ok(Buffer.from(payload).equals(msg.data), 'echoed payload differs');
  }

  async expectClose(code) {
    const closed = await withTimeout(this.closed, STEP_TIMEOUT_MS, `close ${code}`);
    assert.equal(closed.code, code);
  }
}

function compressibleText(size) {
  let out = '';
  for (let i = 0; out.length < size; i++) out += `line ${i} of the echo\n`;
  return out.slice(0, size);
}

const MODES = [
  { serverDeflate: false, clientDeflate: false },
  { serverDeflate: false, clientDeflate: true },
  { serverDeflate: true, clientDeflate: false },
  { serverDeflate: true, clientDeflate: true },
];

describe('ws client against switchboard --echo', () => {
  const servers = {};
  before(async () => {
    const common = ['--echo', '--workers', '2', '--max-message-size', '64KiB'];
    servers.plain = await Server.start(common);
    servers.deflate = await Server.start([...common, '--deflate']);
  });
  after(async () => {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  });

  for (const mode of MODES) {
    const name = `${mode.serverDeflate ? 'server deflate' : 'server plain'}, ` +
      `${mode.clientDeflate ? 'client offers deflate' : 'client plain'}`;
    describe(name, () => {
      let client;
      const port = () => (mode.serverDeflate ? servers.deflate : servers.plain).port;
      const connect = async () => {
        client = await EchoClient.open(port(), mode.clientDeflate);
        return client;
      };
      after(() => { if (client) client.ws.terminate(); });

      test('negotiates permessage-deflate only when both sides want it', async () => {
        const c = await connect();
        const header = c.extensionsHeader || '';
        if (mode.serverDeflate && mode.clientDeflate) {
          assert.match(header, /permessage-deflate/);
          assert.match(header, /server_no_context_takeover/);
          assert.equal(c.ws.extensions, 'permessage-deflate');
        } else {
          assert.doesNotMatch(header, /permessage-deflate/);
          assert.equal(c.ws.extensions, '');
        }
        c.ws.terminate();
      });

      test('echoes text, large compressible text and binary', async () => {
        const c = await connect();
        await c.expectEcho('hello, switchboard \u2713', false);
        await c.expectEcho(compressibleText(20000), false);
        await c.expectEcho(crypto.randomBytes(4096), true);
        await c.expectEcho(Buffer.alloc(0), true);
        c.ws.terminate();
      });

      test('reassembles a fragmented message', async () => {
        const c = await connect();
        const parts = [compressibleText(100), 'middle \u00e9', compressibleText(3000)];
        c.ws.send(parts[0], { fin: false, binary: false });
        c.ws.send(parts[1], { fin: false, binary: false });
        c.ws.send(parts[2], { fin: true, binary: false });
        const msg = await c.next();
        assert.equal(msg.isBinary, false);
        assert.equal(msg.data.toString('utf8'), parts.join(''));
        c.ws.terminate();
      });

      test('echoes a message of exactly the maximum size', async () => {
        const c = await connect();
        await c.expectEcho(crypto.randomBytes(MAX_MESSAGE), true);
        await c.expectEcho(compressibleText(MAX_MESSAGE), false);
        c.ws.terminate();
      });

      test('closes with 1009 when a message exceeds the maximum', async () => {
        const c = await connect();
        // Compressible: under deflate the limit must apply to the inflated size.
        c.ws.send('a'.repeat(MAX_MESSAGE + 1));
        await c.expectClose(1009);
      });

      test('closes with 1009 when fragments together exceed the maximum', async () => {
        const c = await connect();
        const half = crypto.randomBytes(MAX_MESSAGE / 2);
        c.ws.send(half, { fin: false, binary: true });
        c.ws.send(half, { fin: false, binary: true });
        c.ws.send(Buffer.from('x'), { fin: true, binary: true });
        await c.expectClose(1009);
      });

      test('echoes many messages in order', async () => {
        const c = await connect();
        const count = 1000;
        const payload = (i) => `message ${i}` + '.'.repeat(i % 200);
        for (let i = 0; i < count; i++) c.ws.send(payload(i), { binary: i % 3 === 0 });
        for (let i = 0; i < count; i++) {
          const msg = await c.next();
          assert.equal(msg.data.toString('utf8'), payload(i), `at message ${i}`);
          assert.equal(msg.isBinary, i % 3 === 0, `type of message ${i}`);
        }
        c.ws.terminate();
      });

      test('answers a ping with a pong carrying its payload', async () => {
        const c = await connect();
        const pong = new Promise((r) => c.ws.once('pong', (data) => r(data.toString())));
        c.ws.ping('are you there');
        assert.equal(await withTimeout(pong, STEP_TIMEOUT_MS, 'pong'), 'are you there');
        c.ws.terminate();
      });

      test('close handshake: 1000 echoed and the server closes TCP', async () => {
        const c = await connect();
        await c.expectEcho('before close', false);
        const started = Date.now();
        c.ws.close(1000, 'bye');
        // ws emits 'close' once the TCP socket is closed; it only forces that itself after 30 s,
        // so a prompt 'close' means the server closed its side after answering.
        await c.expectClose(1000);
        assert.ok(Date.now() - started < 5000, 'server did not close TCP promptly');
        assert.equal(c.ws.readyState, WebSocket.CLOSED);
      });
    });
  }
});

// A self-signed certificate for 127.0.0.1, made with the openssl command for this run.
function makeCertificate() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-wss-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', path.join(dir, 'key.pem'),
    '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { dir, cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
}

describe('ws client against switchboard --echo over TLS (wss://)', () => {
  let certificate;
  let server;
  before(async () => {
    certificate = makeCertificate();
    server = await Server.start(['--echo', '--workers', '2', '--max-message-size', '64KiB',
      '--deflate', '--tls-cert-file', certificate.cert, '--tls-key-file', certificate.key],
    { tls: true });
  });
  after(async () => {
    await server.stop();
    fs.rmSync(certificate.dir, { recursive: true, force: true });
  });

  for (const offerDeflate of [false, true]) {
    test(`echoes in order and closes cleanly (${offerDeflate ? 'deflate' : 'no deflate'})`, async () => {
      const c = await EchoClient.open(server.port, offerDeflate, true);
      assert.equal(c.ws.extensions, offerDeflate ? 'permessage-deflate' : '');
      await c.expectEcho(compressibleText(60000), false);  // several TLS records
      await c.expectEcho(crypto.randomBytes(40000), true);
      const count = 500;
      const payload = (i) => `message ${i}` + '.'.repeat(i % 300);
      for (let i = 0; i < count; i++) c.ws.send(payload(i));
      for (let i = 0; i < count; i++) {
        assert.equal((await c.next()).data.toString('utf8'), payload(i), `at message ${i}`);
      }
      c.ws.close(1000, 'bye');
      await c.expectClose(1000);
    });
  }

  test('a plain ws:// client gets no WebSocket from a TLS port', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/echo`);
    const outcome = await withTimeout(new Promise((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('error', () => resolve('error'));
    }), STEP_TIMEOUT_MS, 'plain client refused');
    assert.equal(outcome, 'error');
  });
});
