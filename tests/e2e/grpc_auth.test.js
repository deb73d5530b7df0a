// The auth call-out over gRPC (seed 002's auth service): a real gRPC server (@grpc/grpc-js,
// proto/switchboard/auth/v1/auth.proto) whose answer depends on the token it receives, and the
// gateway pointed at it with auth_service_url = grpc://… or grpcs://…. Covered: the identity
// and what the service is told, refusals, a service that hangs, fails, answers nonsense, is
// down, is killed and restarted while clients log in, calls beyond the in-flight bound, TLS.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { execFileSync } = require('node:child_process');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { io } = require('socket.io-client');
const { Server, Client, freePort, eventually, metric } = require('./support');

const PROTO = path.join(__dirname, '..', '..', 'proto', 'switchboard', 'auth', 'v1', 'auth.proto');
const AuthService = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, {
  keepCase: true, longs: Number, defaults: true,
})).switchboard.auth.v1.AuthService;

let counter = 0;
const unique = (p) => `${p}-${process.pid}-${++counter}`;

// The auth service: `user:<id>` is that user (channels team:*), `expiring:<id>` expires in 2 s,
// `deny:` UNAUTHENTICATED, `forbid:` PERMISSION_DENIED, `broken:` INTERNAL, `nouser:` no
// user_id, `badinfo:` info_json that is no object, `hang:` never answered (until released).
class AuthServer {
  static async start({ port, tls } = {}) {
    const s = new AuthServer();
    await s.listen(port || 0, tls);
    return s;
  }

  constructor() {
    this.requests = [];
    this.hanging = [];
  }

  listen(port, tls) {
    this.server = new grpc.Server();
    this.server.addService(AuthService.service, {
      Authenticate: (call, callback) => this.answer(call.request, callback),
    });
    const credentials = tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }])
      : grpc.ServerCredentials.createInsecure();
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`127.0.0.1:${port}`, credentials, (err, bound) => {
        if (err) return reject(err);
        this.port = bound;
        return resolve();
      });
    });
  }

  answer(request, callback) {
    this.requests.push(request);
    const [kind, arg] = String(request.token).split(':');
    const now = Math.floor(Date.now() / 1000);
    if (kind === 'user') callback(null, { user_id: arg, channels: ['team:*'], info_json: '{"plan":"pro"}' });
    else if (kind === 'expiring') callback(null, { user_id: arg, expires_at: now + 2 });
    else if (kind === 'deny') callback({ code: grpc.status.UNAUTHENTICATED, details: 'token revoked' });
    else if (kind === 'forbid') callback({ code: grpc.status.PERMISSION_DENIED, details: '' });
    else if (kind === 'broken') callback({ code: grpc.status.INTERNAL, details: 'database down' });
    else if (kind === 'nouser') callback(null, { channels: ['x'] });
    else if (kind === 'badinfo') callback(null, { user_id: 'u', info_json: '[1]' });
    else if (kind === 'hang') this.hanging.push(callback);
    else callback({ code: grpc.status.INVALID_ARGUMENT, details: 'unknown token kind' });
  }

  release() {
    for (const callback of this.hanging.splice(0)) {
      try { callback(null, { user_id: 'late' }); } catch { /* the call was cancelled */ }
    }
  }

  // Killed: every connection dropped at once, nothing answered.
  kill() { this.release(); this.server.forceShutdown(); }
}

// A gateway of its own for one test, with `args`, stopped afterwards.
async function withGateway(args, fn, opts = {}) {
  const server = await Server.start(Object.assign({ jwtSecret: null, args }, opts));
  try {
    return await fn(server);
  } finally {
    await Client.closeAll();
    await server.stop();
  }
}

async function authWith(server, token) {
  const c = await Client.connect(server);
  c.send({ type: 'auth', id: 'a1', payload: { token } });
  return { c, reply: await c.next(['auth.success', 'auth.error']) };
}

describe('auth over gRPC', () => {
  let service;
  let server;

  before(async () => {
    service = await AuthServer.start();
    server = await Server.start({
      jwtSecret: null,
      // 2 s: a first call under ASan (new channel, cold code) is never cut; the hanging call
      // waits for it.
      args: ['--auth-service-url', `grpc://127.0.0.1:${service.port}`, '--auth-service-timeout', '2s',
        '--auth-service-headers', 'User-Agent,X-Device', '--socketio'],
    });
  });
  after(async () => {
    await Client.closeAll();
    await server.stop();
    service.kill();
  });
  afterEach(() => Client.closeAll());

  test('the service is told the token, address, transport and listed headers; its identity is used', async () => {
    const u = unique('grpc');
    const c = await Client.connect(server, { token: `user:${u}`, headers: { 'X-Device': 'tablet', 'X-Other': 'no' } });
    const reply = await c.next(['auth.success', 'auth.error']);
    assert.equal(reply.type, 'auth.success', JSON.stringify(reply));
    assert.equal(reply.payload.user_id, u);
    const seen = service.requests.find((r) => r.token === `user:${u}`);
    assert.ok(seen, 'the service saw the token');
    assert.equal(seen.remote_address, '127.0.0.1');
    assert.equal(seen.transport, 'websocket');
    assert.deepEqual(seen.headers, { 'x-device': 'tablet' }, 'only the listed headers, lower-case');
    // The service's channels grant team:*, nothing else.
    await c.subscribe(['team:a']);
    c.send({ type: 'subscribe', payload: { channels: ['other:a'] } });
    assert.equal((await c.next('error')).payload.code, 'forbidden');
  });

  test('a Socket.IO client is authenticated through the same service (transport socketio)', async () => {
    const u = unique('grpc-sio');
    const socket = io(server.url('/'), { auth: { token: `user:${u}` }, transports: ['websocket'], reconnection: false });
    try {
      await new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const seen = service.requests.find((r) => r.token === `user:${u}`);
      assert.equal(seen.transport, 'socketio');
    } finally {
      socket.close();
    }
  });

  test('UNAUTHENTICATED and PERMISSION_DENIED → service_rejected with the service\'s words, close 4001', async () => {
    const denied = await authWith(server, 'deny:');
    assert.equal(denied.reply.payload.code, 'service_rejected');
    assert.equal(denied.reply.payload.message, 'token revoked');
    assert.equal((await denied.c.waitClose()).code, 4001);
    const forbidden = await authWith(server, 'forbid:');
    assert.equal(forbidden.reply.payload.code, 'service_rejected');
    assert.match(forbidden.reply.payload.message, /PERMISSION_DENIED/);
    assert.equal((await forbidden.c.waitClose()).code, 4001);
  });

  test('another status, no user_id or a bad info_json → service_unavailable; the detail stays in the log', async () => {
    for (const token of ['broken:', 'nouser:', 'badinfo:', 'what:']) {
      const { c, reply } = await authWith(server, token);
      assert.equal(reply.type, 'auth.error', token);
      assert.equal(reply.payload.code, 'service_unavailable', `${token} ${JSON.stringify(reply)}`);
      assert.doesNotMatch(reply.payload.message, /database down|127\.0\.0\.1/, 'clients never see the detail');
      assert.equal((await c.waitClose()).code, 4001);
    }
    await eventually(() => assert.match(server.output(), /auth service grpc 127\.0\.0\.1:\d+: .*database down/));
  });

  test('a service that hangs → service_unavailable at the deadline; others are served meanwhile', async () => {
    const slow = await Client.connect(server);
    slow.send({ type: 'auth', id: 'a1', payload: { token: 'hang:' } });
    await eventually(() => assert.equal(service.hanging.length, 1), { what: 'the call reached the service' });
    const u = unique('grpc-while');
    const { reply: other } = await authWith(server, `user:${u}`);
    assert.equal(other.type, 'auth.success', 'the worker is not stalled by the hanging call');
    const reply = await slow.next(['auth.success', 'auth.error'], 5000);
    assert.equal(reply.payload.code, 'service_unavailable');
    assert.match(reply.payload.message, /in time/);
    service.release();
  });

  test('expires_at from the service ends the session unless refreshed: token_expired, close 4002', async () => {
    const { c, reply } = await authWith(server, `expiring:${unique('grpc-exp')}`);
    assert.equal(reply.type, 'auth.success');
    assert.equal((await c.next('error', 6000)).payload.code, 'token_expired');
    assert.equal((await c.waitClose()).code, 4002);
  });

  // Last in this group: it kills the service.
  test('killed while clients log in: service_unavailable, then served again once it is back', async () => {
    const port = service.port;
    service.kill();
    const { reply } = await authWith(server, `user:${unique('grpc-down')}`);
    assert.equal(reply.payload.code, 'service_unavailable', JSON.stringify(reply));
    service = await AuthServer.start({ port });
    // gRPC reconnects the channel by itself (with its backoff): logins succeed again.
    await eventually(async () => {
      const { reply: again } = await authWith(server, `user:${unique('grpc-back')}`);
      assert.equal(again.type, 'auth.success', JSON.stringify(again));
    }, { timeoutMs: 20000, intervalMs: 250, what: 'a login after the service came back' });
  });
});

describe('auth over gRPC: a service that is down, bounded calls in flight', () => {
  test('nothing listens at the address: service_unavailable at once, not at the deadline', async () => withGateway(
    ['--auth-service-url', `grpc://127.0.0.1:${await freePort()}`, '--auth-service-timeout', '20s'], async (server) => {
      const started = Date.now();
      const { reply } = await authWith(server, 'user:x');
      assert.equal(reply.payload.code, 'service_unavailable', JSON.stringify(reply));
      assert.ok(Date.now() - started < 15000, 'a refused connection fails the call before its deadline');
    }));

  test('over auth_service_max_in_flight unanswered calls, one more fails at once and is counted', async () => {
    const service = await AuthServer.start();
    const args = ['--auth-service-url', `grpc://127.0.0.1:${service.port}`, '--auth-service-timeout', '20s',
      '--auth-service-max-in-flight', '2'];
    await withGateway(args, async (server) => {
      const waiting = [];
      for (let i = 0; i < 2; i++) {
        const c = await Client.connect(server);
        c.send({ type: 'auth', id: 'a1', payload: { token: 'hang:' } });
        waiting.push(c);
      }
      await eventually(() => assert.equal(service.hanging.length, 2));
      const { reply } = await authWith(server, 'user:third');
      assert.equal(reply.payload.code, 'service_unavailable');
      assert.match(reply.payload.message, /too many/);
      assert.equal(await metric(server, 'switchboard_gateway_callout_rejected_total', { callout: 'auth_service' }), 1);
      service.release();
      for (const c of waiting) assert.equal((await c.next(['auth.success', 'auth.error'])).type, 'auth.success');
      // The bound is free again.
      assert.equal((await authWith(server, 'user:fourth')).reply.type, 'auth.success');
    }, { workers: 1 }).finally(() => service.kill());
  });
});

describe('auth over gRPC with TLS (grpcs://)', () => {
  let dir;
  let tls;
  let service;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-grpc-tls-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
      '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    tls = { key: fs.readFileSync(key), cert: fs.readFileSync(cert), certFile: cert };
    service = await AuthServer.start({ tls });
  });
  after(() => {
    service.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const grpcs = () => ['--auth-service-url', `grpcs://127.0.0.1:${service.port}`, '--auth-service-timeout', '5s'];

  test('with the service\'s CA the call goes over TLS', () => withGateway(
    [...grpcs(), '--auth-service-ca-file', tls.certFile], async (server) => {
      const u = unique('grpcs');
      const { reply } = await authWith(server, `user:${u}`);
      assert.equal(reply.type, 'auth.success', `${JSON.stringify(reply)}\n${server.output()}`);
      assert.equal(reply.payload.user_id, u);
    }));

  // The system's roots do not know the test's self-signed certificate.
  test('a certificate that does not chain to the configured roots → service_unavailable', () => withGateway(
    grpcs(), async (server) => {
      const before = service.requests.length;
      const { reply } = await authWith(server, 'user:untrusted');
      assert.equal(reply.payload.code, 'service_unavailable', JSON.stringify(reply));
      assert.equal(service.requests.length, before, 'the service was never reached');
    }));

  test('plain grpc:// to a TLS service fails the same way', () => withGateway(
    ['--auth-service-url', `grpc://127.0.0.1:${service.port}`, '--auth-service-timeout', '5s'], async (server) => {
      const { reply } = await authWith(server, 'user:plain');
      assert.equal(reply.payload.code, 'service_unavailable', JSON.stringify(reply));
    }));
});
