// End-to-end test support: the real switchboard binary as a child process, a promise-based
// WebSocket client (Node `ws`), the server API over fetch, and a JWT signer (node:crypto).
// Run a test file: SWITCHBOARD_BIN=build/x/app/switchboard NODE_PATH=node_modules \
//                  node --test tests/e2e/<file>.test.js
//
// API (kept stable: other test files depend on it)
//
//   const { Server, Client, jwt, withTimeout, freePort, delay, eventually } = require('./support');
//
//   Server.start({ args = [], env = {}, apiKey = 'k', jwtSecret = 'secret', portVia = 'flag',
//                  workers = 2, port }) -> Promise<Server>
//     Starts SWITCHBOARD_BIN on a free loopback port with `--bind-address 127.0.0.1
//     --log-level warn --drain-period 0 --workers <workers>` plus `args`, and waits for
//     GET /health = 200 (10 s bound). apiKey (null: none) goes in as --api-key, jwtSecret
//     (null: none) as env JWT_SECRET. portVia 'env' passes the port as WSGATEWAY_PORT instead
//     of --port; `port` (a restart on the same port) instead of a free one. `env` is added to the child's environment (SWITCHBOARD_*, JWT_SECRET,
//     WSGATEWAY_PORT, LOGGER_* inherited from the test's environment are removed first).
//     The server is SIGKILLed if the test process dies (setpriv --pdeathsig) or exits.
//   server.port, server.apiKey, server.jwtSecret
//   server.url(path = '/')            -> 'http://127.0.0.1:<port><path>'
//   server.wsUrl(query = {}, path = '/ws') -> 'ws://127.0.0.1:<port>/ws?...'
//   server.output()                   -> the server's stderr/stdout so far (last 64 KiB)
//   server.api(method, path, body?, { key, headers, raw }) -> Promise<{status, json, text, headers}>
//     key defaults to server.apiKey (null: no Authorization header); body objects are sent as
//     JSON, strings verbatim (raw bodies); json is the parsed body or undefined.
//   server.get(path) -> same shape, plain GET without a key (/health, /, /metrics).
//   server.health()  -> Promise<object> (GET /health, asserts 200)
//   server.token(sub, claims = {}, opts = {}) -> HS256 token signed with server.jwtSecret
//     (exp = now + 1 h unless claims.exp given; opts as for jwt.sign).
//   server.stop() -> Promise (SIGTERM, 5 s bound, then SIGKILL); safe to call twice. Rejects
//     when the server exits with another status than 0 after SIGTERM (a crash on the way
//     out), with its output.
//
//   Client.connect(server | url, { token, headers, query, cookie, path = '/ws',
//                                  waitConnected = true, timeoutMs }) -> Promise<Client>
//     token: sent as `Authorization: Bearer` (use query: {token} or cookie: 'token=..' for the
//     other forms). waitConnected: resolve only once the `connected` event arrived (it is
//     kept in client.messages but marked consumed). A refused upgrade rejects with an Error
//     carrying .statusCode.
//   Client.authed(server, userId, { claims, via = 'header' | 'message', ...connectOpts })
//     -> Promise<Client> connected and authenticated (auth.success consumed; client.userId,
//        client.sessionId set). via 'message' sends {"type":"auth"} after connecting.
//   client.messages          every parsed message received, in order ({type, ..., _raw});
//                            a binary or non-JSON frame appears as {type: '<binary>'|'<text>'}
//   client.send(obj) / client.sendRaw(stringOrBuffer, { binary })
//   client.next(match, timeoutMs = 5000) -> Promise<message>
//     The first not-yet-consumed message matching `match` (type string, array of types, or
//     predicate msg => bool), waiting if needed; marks it consumed. Messages are matched in
//     arrival order, so next() calls for different types do not disturb each other.
//   client.nextAny(timeoutMs)  the first not-yet-consumed message of any type.
//   client.expectNone(match, ms = 300) -> Promise  rejects if an unconsumed matching message
//     is present or arrives within ms (the only deliberate wait: proving an absence).
//   client.request(obj, replyType, timeoutMs) send obj, then next(replyType | 'error')
//   client.auth(token) -> auth.success message (throws with the payload on auth.error)
//   client.subscribe(channelsOrPayload) -> `subscribed` message; an array means {channels}
//   client.unsubscribe(channelsOrPayload) -> `unsubscribed` message
//   client.waitClose(timeoutMs = 5000) -> Promise<{code, reason}>
//   client.isClosed, client.closeInfo
//   client.close(code?, reason?) -> Promise<{code, reason}> (bounded; terminates on timeout)
//   Client.closeAll() closes every client still open (call in afterEach/after).
//
//   metric(server, name, labels = {}) -> Promise<number>  one /metrics sample, labels in order
//
//   jwt.sign(claims, { alg = 'HS256', key, header = {}, kid }) -> token string
//     HS*: key is the secret (string/Buffer); RS*/ES*: key is a KeyObject or PEM private key.
//   jwt.rsaKeys() / jwt.ecKeys(curve = 'P-256') -> { privateKey, publicKey, publicPem, privatePem }
//   jwt.writePem(pem) -> path of a temp file holding pem (removed at process exit)
//   jwt.forge.none(claims)                   alg "none", empty signature
//   jwt.forge.badSignature(token)            last signature byte flipped
//   jwt.forge.hsWithKey(claims, pemText)     HS256 signed with the PEM text as HMAC secret
//   jwt.forge.garbage()                      not a JWT at all
//   jwt.now() -> seconds since the epoch
//
//   jsonService(onRequest) -> Promise<{ url(path), port, http, close() }>
//     A loopback HTTP service for call-out tests (auth service, webhook): onRequest(body, answer,
//     req) gets each request's parsed JSON body and answer(status, obj) sends a JSON answer
//     (hold `answer` to answer later). close() ends its connections and stops it.
//   withTimeout(promise, ms, what), freePort(), delay(ms)
//   eventually(asyncFn, { timeoutMs = 5000, intervalMs = 25, what }) -> its result
//     Calls asyncFn until it resolves without throwing (polling state such as /health that has
//     no event to wait for); rethrows the last error after timeoutMs.
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');

const DEFAULT_WAIT_MS = 5000;
const OUTPUT_LIMIT = 64 * 1024;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function eventually(fn, { timeoutMs = DEFAULT_WAIT_MS, intervalMs = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) {
        err.message = `${what} not met within ${timeoutMs} ms: ${err.message}`;
        throw err;
      }
    }
    await delay(intervalMs);
  }
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

// ---------------------------------------------------------------------------------------------
// Server

const liveServers = new Set();
process.on('exit', () => {
  for (const s of liveServers) {
    try { s.child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(SWITCHBOARD_|LOGGER_)/.test(k) || k === 'JWT_SECRET' || k === 'WSGATEWAY_PORT') continue;
    env[k] = v;
  }
  return Object.assign(env, extra);
}

async function httpGetStatus(port, p) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(500) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

class Server {
  static async start(opts = {}) {
    const {
      args = [], env = {}, apiKey = 'k', jwtSecret = 'secret', portVia = 'flag', workers = 2,
      port: fixedPort,
    } = opts;
    const binary = process.env.SWITCHBOARD_BIN;
    assert.ok(binary, 'SWITCHBOARD_BIN must name the server binary');
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = fixedPort || await freePort();
      const childEnv = cleanEnv(env);
      if (jwtSecret !== null && jwtSecret !== undefined) childEnv.JWT_SECRET = jwtSecret;
      const argv = ['--bind-address', '127.0.0.1', '--log-level', 'warn', '--drain-period', '0',
        '--workers', String(workers)];
      if (portVia === 'env') childEnv.WSGATEWAY_PORT = String(port);
      else argv.push('--port', String(port));
      if (apiKey !== null && apiKey !== undefined) argv.push('--api-key', apiKey);
      argv.push(...args);
      // setpriv --pdeathsig: the server gets SIGKILL if this process dies first (e.g. killed by
      // a ctest timeout), so no server outlives its test.
      const child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', binary, ...argv],
        { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
      const server = new Server(child, port, apiKey, jwtSecret);
      liveServers.add(server);
      let exited = false;
      // 'close' rather than 'exit': stderr is fully read by then, so a start-up error is in
      // the output reported below.
      child.on('close', () => { exited = true; liveServers.delete(server); });
      const deadline = Date.now() + 10000;
      while (!exited && Date.now() < deadline) {
        if ((await httpGetStatus(port, '/health')) === 200) return server;
        await delay(20);
      }
      if (!exited) {
        await server.stop();
        throw new Error(`server did not become healthy:\n${server.output()}`);
      }
      // Exited early: a bad flag (reported on stderr) or a lost race for the port.
      if (!/address already in use|bind/i.test(server.output())) {
        throw new Error(`server exited at start (args ${argv.join(' ')}):\n${server.output()}`);
      }
    }
    throw new Error('server kept exiting at start');
  }

  constructor(child, port, apiKey, jwtSecret) {
    this.child = child;
    this.port = port;
    this.apiKey = apiKey;
    this.jwtSecret = jwtSecret;
    this.out_ = '';
    const collect = (chunk) => {
      this.out_ += chunk.toString();
      if (this.out_.length > OUTPUT_LIMIT) this.out_ = this.out_.slice(-OUTPUT_LIMIT);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
  }

  output() { return this.out_; }

  url(p = '/') { return `http://127.0.0.1:${this.port}${p}`; }

  wsUrl(query = {}, p = '/ws') {
    const qs = new URLSearchParams(query).toString();
    return `ws://127.0.0.1:${this.port}${p}${qs ? `?${qs}` : ''}`;
  }

  async api(method, p, body, opts = {}) {
    const key = 'key' in opts ? opts.key : this.apiKey;
    const headers = Object.assign({}, opts.headers);
    if (key !== null && key !== undefined) headers.Authorization = `apikey ${key}`;
    let payload;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
      }
    }
    const res = await fetch(this.url(p), {
      method, headers, body: payload, signal: AbortSignal.timeout(DEFAULT_WAIT_MS),
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, json, text, headers: res.headers };
  }

  get(p) { return this.api('GET', p, undefined, { key: null }); }

  async health() {
    const res = await this.get('/health');
    assert.equal(res.status, 200, `GET /health: ${res.text}`);
    return res.json;
  }

  token(sub, claims = {}, opts = {}) {
    assert.ok(this.jwtSecret, 'server started without a JWT secret');
    const full = Object.assign({ exp: jwt.now() + 3600, iat: jwt.now() }, claims);
    if (sub !== undefined && sub !== null) full.sub = sub;
    return jwt.sign(full, Object.assign({ alg: 'HS256', key: this.jwtSecret }, opts));
  }

  async stop() {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    try {
      await withTimeout(exited, 5000, 'server exit after SIGTERM');
    } catch {
      child.kill('SIGKILL');
      await withTimeout(exited, 5000, 'server exit after SIGKILL');
      liveServers.delete(this);
      return;
    }
    liveServers.delete(this);
    // A clean stop exits 0: anything else (a crash on the way out, a sanitizer's report) fails
    // the test that stopped it.
    if (child.exitCode !== 0) {
      throw new Error(`server exited with ${child.exitCode ?? child.signalCode} after SIGTERM:\n${this.output()}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Client

const openClients = new Set();

function matcher(match) {
  if (typeof match === 'function') return match;
  if (Array.isArray(match)) return (m) => match.includes(m.type);
  if (match === undefined || match === null) return () => true;
  return (m) => m.type === match;
}

function describeMatch(match) {
  if (typeof match === 'function') return 'predicate';
  return JSON.stringify(match);
}

class Client {
  static async connect(target, opts = {}) {
    const {
      token, headers = {}, query = {}, cookie, path: p = '/ws', waitConnected = true,
      timeoutMs = DEFAULT_WAIT_MS,
    } = opts;
    const url = typeof target === 'string' ? target : target.wsUrl(query, p);
    const h = Object.assign({}, headers);
    if (token) h.Authorization = `Bearer ${token}`;
    if (cookie) h.Cookie = cookie;
    const ws = new WebSocket(url, { headers: h, perMessageDeflate: false });
    const client = new Client(ws);
    await withTimeout(new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_req, res) => {
        const err = new Error(`upgrade refused with HTTP ${res.statusCode}`);
        err.statusCode = res.statusCode;
        res.resume();
        ws.terminate();
        reject(err);
      });
      ws.once('error', reject);
    }), timeoutMs, `connect ${url}`);
    if (waitConnected) await client.next('connected', timeoutMs);
    return client;
  }

  static async authed(server, userId, opts = {}) {
    const { claims = {}, via = 'header', ...connectOpts } = opts;
    const token = server.token(userId, claims);
    if (via === 'message') {
      const c = await Client.connect(server, connectOpts);
      await c.auth(token);
      return c;
    }
    const c = await Client.connect(server, Object.assign({ token }, connectOpts));
    // Token at upgrade: the server still announces auth.success.
    const ok = await c.next(['auth.success', 'auth.error'], connectOpts.timeoutMs || DEFAULT_WAIT_MS);
    if (ok.type !== 'auth.success') throw new Error(`auth failed: ${JSON.stringify(ok)}`);
    c.userId = ok.payload.user_id;
    c.sessionId = ok.payload.session_id;
    return c;
  }

  static async closeAll() {
    await Promise.all([...openClients].map((c) => c.close().catch(() => {})));
  }

  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.consumed_ = new Set();
    this.waiters_ = [];
    this.closeInfo = null;
    this.userId = undefined;
    this.sessionId = undefined;
    openClients.add(this);
    ws.on('message', (data, isBinary) => this.onMessage_(data, isBinary));
    ws.on('error', () => {}); // surfaced through 'close' and the timeouts
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        openClients.delete(this);
        resolve(this.closeInfo);
        for (const w of this.waiters_.splice(0)) w.onClose(this.closeInfo);
      });
    });
  }

  get isClosed() { return this.closeInfo !== null; }

  onMessage_(data, isBinary) {
    let msg;
    if (isBinary) {
      msg = { type: '<binary>', _raw: data };
    } else {
      const text = data.toString();
      try {
        msg = JSON.parse(text);
        if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) msg = { type: '<text>', value: msg };
      } catch {
        msg = { type: '<text>' };
      }
      Object.defineProperty(msg, '_raw', { value: text, enumerable: false });
    }
    const index = this.messages.length;
    this.messages.push(msg);
    for (let i = 0; i < this.waiters_.length; i++) {
      const w = this.waiters_[i];
      if (w.match(msg)) {
        this.waiters_.splice(i, 1);
        this.consumed_.add(index);
        w.resolve(msg);
        return;
      }
    }
  }

  findUnconsumed_(match) {
    for (let i = 0; i < this.messages.length; i++) {
      if (!this.consumed_.has(i) && match(this.messages[i])) return i;
    }
    return -1;
  }

  send(obj) { this.ws.send(JSON.stringify(obj)); }

  sendRaw(data, { binary = false } = {}) { this.ws.send(data, { binary }); }

  next(match, timeoutMs = DEFAULT_WAIT_MS) {
    const m = matcher(match);
    const i = this.findUnconsumed_(m);
    if (i >= 0) {
      this.consumed_.add(i);
      return Promise.resolve(this.messages[i]);
    }
    if (this.isClosed) {
      return Promise.reject(new Error(`connection closed (${JSON.stringify(this.closeInfo)}) while waiting for ${describeMatch(match)}; got ${this.summary()}`));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        match: m,
        resolve: (msg) => { clearTimeout(timer); resolve(msg); },
        onClose: (info) => {
          clearTimeout(timer);
          reject(new Error(`connection closed (${JSON.stringify(info)}) while waiting for ${describeMatch(match)}; got ${this.summary()}`));
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiters_.indexOf(waiter);
        if (at >= 0) this.waiters_.splice(at, 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${describeMatch(match)}; got ${this.summary()}`));
      }, timeoutMs);
      this.waiters_.push(waiter);
    });
  }

  nextAny(timeoutMs = DEFAULT_WAIT_MS) { return this.next(null, timeoutMs); }

  async expectNone(match, ms = 300) {
    const m = matcher(match);
    const check = () => {
      const i = this.findUnconsumed_(m);
      if (i >= 0) {
        throw new Error(`expected no ${describeMatch(match)} but got ${JSON.stringify(this.messages[i])}`);
      }
    };
    check();
    await delay(ms);
    check();
  }

  summary() {
    const types = this.messages.map((msg, i) => (this.consumed_.has(i) ? `(${msg.type})` : msg.type));
    return `[${types.join(', ')}]`;
  }

  async request(obj, replyType, timeoutMs = DEFAULT_WAIT_MS) {
    this.send(obj);
    const types = Array.isArray(replyType) ? [...replyType, 'error'] : [replyType, 'error'];
    return this.next(types, timeoutMs);
  }

  async auth(token, timeoutMs = DEFAULT_WAIT_MS) {
    this.send({ type: 'auth', payload: { token } });
    const reply = await this.next(['auth.success', 'auth.error'], timeoutMs);
    if (reply.type !== 'auth.success') {
      const err = new Error(`auth failed: ${JSON.stringify(reply)}`);
      err.reply = reply;
      throw err;
    }
    this.userId = reply.payload.user_id;
    this.sessionId = reply.payload.session_id;
    return reply;
  }

  async subscribe(what, timeoutMs = DEFAULT_WAIT_MS) {
    const payload = Array.isArray(what) ? { channels: what } : what;
    const reply = await this.request({ type: 'subscribe', payload }, 'subscribed', timeoutMs);
    if (reply.type !== 'subscribed') throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  async unsubscribe(what, timeoutMs = DEFAULT_WAIT_MS) {
    const payload = Array.isArray(what) ? { channels: what } : what;
    const reply = await this.request({ type: 'unsubscribe', payload }, 'unsubscribed', timeoutMs);
    if (reply.type !== 'unsubscribed') throw new Error(`unsubscribe failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  waitClose(timeoutMs = DEFAULT_WAIT_MS) {
    return withTimeout(this.closed, timeoutMs, `close; got ${this.summary()}`);
  }

  async close(code, reason) {
    if (this.isClosed) return this.closeInfo;
    try {
      if (code !== undefined) this.ws.close(code, reason); else this.ws.close();
      return await withTimeout(this.closed, 2000, 'client close');
    } catch {
      this.ws.terminate();
      return this.closed;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JWT

const tempFiles = [];
process.on('exit', () => {
  for (const f of tempFiles) {
    try { fs.unlinkSync(f); } catch { /* gone */ }
  }
});

function b64url(data) {
  return Buffer.from(data).toString('base64url');
}

const HASHES = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

function signingInput(claims, header) {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
}

function signBytes(alg, key, input) {
  const family = alg.slice(0, 2);
  const hash = HASHES[alg.slice(2)];
  if (family === 'HS') return crypto.createHmac(hash, key).update(input).digest();
  if (family === 'RS') return crypto.sign(hash, Buffer.from(input), key);
  if (family === 'ES') return crypto.sign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  throw new Error(`unsupported alg ${alg}`);
}

const jwt = {
  now() { return Math.floor(Date.now() / 1000); },

  sign(claims, { alg = 'HS256', key, header = {}, kid } = {}) {
    const h = Object.assign({ alg, typ: 'JWT' }, header);
    if (kid) h.kid = kid;
    const input = signingInput(claims, h);
    return `${input}.${b64url(signBytes(alg, key, input))}`;
  },

  rsaKeys() {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKey, publicKey,
      publicPem: publicKey.export({ type: 'spki', format: 'pem' }),
      privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    };
  },

  ecKeys(curve = 'P-256') {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: curve });
    return {
      privateKey, publicKey,
      publicPem: publicKey.export({ type: 'spki', format: 'pem' }),
      privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    };
  },

  writePem(pem) {
    const file = path.join(os.tmpdir(), `sb-e2e-${process.pid}-${crypto.randomUUID()}.pem`);
    fs.writeFileSync(file, pem);
    tempFiles.push(file);
    return file;
  },

  forge: {
    none(claims) {
      return `${signingInput(claims, { alg: 'none', typ: 'JWT' })}.`;
    },
    badSignature(token) {
      const [h, p, s] = token.split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[sig.length - 1] ^= 0x01;
      return `${h}.${p}.${b64url(sig)}`;
    },
    hsWithKey(claims, pemText) {
      return jwt.sign(claims, { alg: 'HS256', key: pemText });
    },
    garbage() {
      return 'not-a-jwt';
    },
  },
};

async function jsonService(onRequest) {
  const http = require('node:http');
  const service = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const answer = (status, obj) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      onRequest(JSON.parse(Buffer.concat(chunks).toString()), answer, req);
    });
  });
  await new Promise((resolve) => service.listen(0, '127.0.0.1', resolve));
  const port = service.address().port;
  return {
    http: service,
    port,
    url: (path = '/') => `http://127.0.0.1:${port}${path}`,
    close: () => {
      service.closeAllConnections();
      return new Promise((resolve) => service.close(resolve));
    },
  };
}

// The value of one sample of /metrics: `name{labels}` with the labels in the order given
// (the order the server writes them), or the unlabelled `name` when `labels` is empty; fails
// when the sample is missing. Asks for text as Prometheus does (stats_path = /metrics makes
// JSON the default, docs/protocol.md "Operations").
async function metric(server, name, labels = {}) {
  const text = (await server.api('GET', '/metrics', undefined, { key: null, headers: { Accept: 'text/plain' } })).text;
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  const sample = want ? `${name}{${want}}` : name;
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  assert.ok(line, `${sample} missing from /metrics`);
  return Number(line.split(' ').pop());
}

module.exports = {
  Server, Client, jwt, withTimeout, freePort, delay, eventually, jsonService, metric, cleanEnv,
};
