// The library inside a host application's own HTTP server (examples/beast_host, seed 004's
// RegisterConn): the host's Beast server authenticates with its own JWT middleware and hands
// authenticated upgrades on /ws to the gateway (Gateway::adopt), which has no port and no
// authenticator of its own. The binary comes from EXAMPLE_BEAST_HOST_BIN.
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { Client, jwt, freePort, delay, withTimeout, cleanEnv } = require('./support');
const { rawRequest, upgradeRequest } = require('./raw_http');

const HOST_SECRET = 'the-host-application-key';

// The host process, shaped like support.js's Server where Client needs it (wsUrl).
class Host {
  static async start() {
    const binary = process.env.EXAMPLE_BEAST_HOST_BIN;
    assert.ok(binary, 'EXAMPLE_BEAST_HOST_BIN must name the example_beast_host binary');
    const port = await freePort();
    // No JWT_SECRET and no auth service: the gateway cannot authenticate anyone by itself.
    const env = cleanEnv({ HOST_JWT_SECRET: HOST_SECRET });
    const child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', binary,
      '--bind-address', '127.0.0.1', '--port', String(port), '--workers', '2',
      '--drain-period', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const host = new Host(child, port);
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && child.exitCode === null) {
      const res = await fetch(host.url('/health')).catch(() => null);
      if (res && res.status === 200) return host;
      await delay(20);
    }
    child.kill('SIGKILL');
    throw new Error(`host did not start:\n${host.out}`);
  }

  constructor(child, port) {
    this.child = child;
    this.port = port;
    this.out = '';
    child.stdout.on('data', (d) => { this.out += d; });
    child.stderr.on('data', (d) => { this.out += d; });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  url(p) { return `http://127.0.0.1:${this.port}${p}`; }

  wsUrl(query = {}, p = '/ws') {
    const qs = new URLSearchParams(query).toString();
    return `ws://127.0.0.1:${this.port}${p}${qs ? `?${qs}` : ''}`;
  }

  token(sub, claims = {}) {
    return jwt.sign(Object.assign({ sub, exp: jwt.now() + 3600 }, claims), { alg: 'HS256', key: HOST_SECRET });
  }

  async post(p, body, token) {
    const res = await fetch(this.url(p), {
      method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    });
    return { status: res.status, json: await res.json().catch(() => undefined) };
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    return withTimeout(this.exited, 10000, 'host exit after SIGTERM');
  }
}

// A client of the host: the token goes with the upgrade, as the host's middleware wants it.
async function connect(host, userId, claims = {}, opts = {}) {
  const c = await Client.connect(host, Object.assign({ token: host.token(userId, claims) }, opts));
  const ok = await c.next(['auth.success', 'auth.error']);
  assert.equal(ok.type, 'auth.success', JSON.stringify(ok));
  return Object.assign(c, { userId: ok.payload.user_id });
}

let host;

before(async () => { host = await Host.start(); });
afterEach(() => Client.closeAll());
after(async () => {
  const { code } = await host.stop();
  assert.equal(code, 0, `the host exits cleanly:\n${host.out}`);
});

test("the host's identity opens the session: no second authentication, its grants apply", async () => {
  const alice = await connect(host, 'alice', { channels: ['team:1'] });
  assert.equal(alice.userId, 'alice');
  // The grants the host's middleware found are the session's: team:1 yes, team:2 no.
  await alice.subscribe(['team:1']);
  alice.send({ type: 'subscribe', payload: { channels: ['team:2'] } });
  assert.equal((await alice.next('error')).payload.code, 'forbidden');
  // The gateway itself has no authenticator: the same token in an auth message is refused,
  // so the session above was the host's doing.
  alice.send({ type: 'auth', payload: { token: host.token('alice') } });
  const refused = await alice.next('auth.error');
  assert.equal(refused.payload.code, 'unsupported_algorithm', JSON.stringify(refused));
  // The token in the query works too (browsers cannot set headers on a WebSocket).
  const viaQuery = await Client.connect(host, { query: { token: host.token('carol') } });
  assert.equal((await viaQuery.next('auth.success')).payload.user_id, 'carol');
  // The host's own routes answer beside the gateway on the same port.
  const me = await fetch(host.url('/api/me'), { headers: { Authorization: `Bearer ${host.token('alice')}` } });
  assert.deepEqual(await me.json(), { user_id: 'alice' });
  const meViaQuery = await fetch(host.url(`/api/me?token=${encodeURIComponent(host.token('bob'))}`));
  assert.deepEqual(await meViaQuery.json(), { user_id: 'bob' });
});

test("the host's middleware refuses an upgrade without a valid token: the gateway never sees it", async () => {
  for (const headers of [{}, { Authorization: `Bearer ${jwt.sign({ sub: 'x', exp: jwt.now() + 60 }, { alg: 'HS256', key: 'another-key' })}` },
    { Authorization: `Bearer ${host.token('late', { exp: jwt.now() - 3600 })}` }]) {
    const answer = await rawRequest(host.port, upgradeRequest({ headers }));
    assert.equal(answer.status, 401, JSON.stringify(answer));
    assert.deepEqual(JSON.parse(answer.body), { error: 'unauthorized' });
  }
});

test('a bad upgrade the host hands over gets the gateway\'s own refusal', async () => {
  const Authorization = `Bearer ${host.token('alice')}`;
  const noKey = await rawRequest(host.port, upgradeRequest({ key: null, headers: { Authorization } }));
  assert.equal(noKey.status, 400, JSON.stringify(noKey));
  const badVersion = await rawRequest(host.port, upgradeRequest({ version: '8', headers: { Authorization } }));
  assert.equal(badVersion.status, 426, JSON.stringify(badVersion));
  assert.equal(badVersion.headers['sec-websocket-version'], '13');
  // Not an upgrade at all: the host's own answer (the gateway never sees it).
  const plain = await fetch(host.url('/ws'), { headers: { Authorization } });
  assert.equal(plain.status, 426);
  assert.deepEqual(await plain.json(), { error: 'websocket_only' });
  // The gateway is still serving.
  await connect(host, 'alice');
});

test('frames sent right behind the upgrade request reach the session (what the host read past it)', async () => {
  const key = crypto.randomBytes(16).toString('base64');
  const request = upgradeRequest({ key, headers: { Authorization: `Bearer ${host.token('dave')}` } });
  const text = Buffer.from(JSON.stringify({ type: 'ping', id: 'p1' }));
  const mask = crypto.randomBytes(4);
  const frame = Buffer.concat([Buffer.from([0x81, 0x80 | text.length]), mask,
    Buffer.from(text.map((b, i) => b ^ mask[i % 4]))]);
  const socket = net.connect(host.port, '127.0.0.1');
  const types = [];
  const seen = new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    let head = false;
    let pong = null;
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (!head) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        assert.match(data.subarray(0, end).toString(), /^HTTP\/1\.1 101 /);
        head = true;
        data = data.subarray(end + 4);
      }
      // Unmasked server text frames, short or 16-bit lengths.
      while (data.length >= 2) {
        let len = data[1] & 0x7f;
        let at = 2;
        if (len === 126) { if (data.length < 4) return; len = data.readUInt16BE(2); at = 4; }
        if (data.length < at + len) return;
        const message = JSON.parse(data.subarray(at, at + len).toString());
        types.push(message.type);
        data = data.subarray(at + len);
        // The pong may come before auth.success: pings are answered at once, even while the
        // session is still being admitted (docs/protocol.md).
        if (message.type === 'pong') pong = message;
        if (pong && types.includes('auth.success')) resolve(pong);
      }
    });
    socket.on('error', reject);
  });
  // Upgrade and first frame in one write: the host's parser reads both, the frame is leftover.
  socket.write(Buffer.concat([Buffer.from(request), frame]));
  try {
    const pong = await withTimeout(seen, 5000, `pong and auth.success; got ${types}`);
    assert.equal(typeof pong.payload.timestamp, 'number', JSON.stringify(pong));
  } finally {
    socket.destroy();
  }
});

test("the host's backend reaches adopted connections: send to a user, broadcast", async () => {
  const alice = await connect(host, 'alice');
  const aliceTablet = await connect(host, 'alice');
  const bob = await connect(host, 'bob');
  const token = host.token('backend');
  assert.equal((await host.post('/api/users/alice/notify', { text: 'for alice' }, token)).status, 202);
  for (const c of [alice, aliceTablet]) {
    assert.deepEqual((await c.next('notification')).payload, { text: 'for alice' });
  }
  await bob.expectNone('notification', 200);
  assert.equal((await host.post('/api/broadcast', { text: 'everyone' }, token)).status, 202);
  for (const c of [alice, aliceTablet, bob]) {
    assert.deepEqual((await c.next('announcement')).payload, { text: 'everyone' });
  }
  assert.equal((await host.post('/api/broadcast', 'not json', token)).status, 400);
});

test('the server binary refuses listen = false: only a host application hands connections over', () => {
  const bin = process.env.SWITCHBOARD_BIN;
  assert.ok(bin, 'SWITCHBOARD_BIN must name the server binary');
  const run = require('node:child_process').spawnSync(bin, ['--listen=false', '--port', '1'],
    { encoding: 'utf8', timeout: 10000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /listen = false is for the library/);
});

// Last: it stops the host.
test('on SIGTERM the adopted connections are drained with 1012 and the host exits 0', async () => {
  const clients = await Promise.all(['u1', 'u2', 'u3'].map((u) => connect(host, u)));
  const exited = host.stop();
  for (const c of clients) {
    const { code } = await c.waitClose();
    assert.equal(code, 1012);
  }
  const { code } = await exited;
  assert.equal(code, 0, host.out);
});
