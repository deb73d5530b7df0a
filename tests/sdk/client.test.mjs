// The JavaScript SDK (clients/js, docs/client-js.md) against the real server binary, in Node
// with the `ws` package: login and the dispatcher, every call (subscribe, publish, presence,
// history, typing, send), acknowledgements after the handler, recovery across a server restart
// on the Redis engine (each event once, in order), token refresh on the open connection, no
// reconnect after a kick, reconnect delays with an injected clock and random, the bounded queue.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import {
  SwitchboardClient, Backoff, ServerError, QueueFullError, ClosedError, TimeoutError,
} from '../../clients/js/src/index.js';

const require = createRequire(import.meta.url);
const { Server, Client, jwt, eventually, metric } = require('../e2e/support.js');
const { RedisServer } = require('../e2e/redis_support.js');

const clients = [];
function client(server, options = {}) {
  const c = new SwitchboardClient(server.wsUrl(), {
    WebSocket, token: server.token(options.user || 'u1'), backoff: { initialMs: 50, maxMs: 200 }, ...options,
  });
  clients.push(c);
  return c;
}
after(() => { for (const c of clients) c.close(); return Client.closeAll(); });

function publish(server, channel, payload, extra = {}) {
  return server.api('POST', '/api/publish', { channel, payload, ...extra });
}

// Resolves with the next `type` event on `emitter` (a client or a subscription).
function next(emitter, type, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(type, (payload, message) => { clearTimeout(timer); resolve({ payload, message }); });
  });
}

describe('on one node', () => {
  let server;
  before(async () => {
    server = await Server.start({ args: ['--public-channels', 'room:*', '--client-publish', '--typing-ttl', '1s'] });
  });
  after(() => server.stop());

  test('connect: auth.success, the user and session; state events in order', async () => {
    const c = client(server, { user: 'alice' });
    const states = [];
    c.on('state', (s) => states.push(s));
    const connected = next(c, 'connected');
    await c.connect();
    assert.equal(c.state, 'connected');
    assert.equal(c.userId, 'alice');
    assert.equal(typeof c.sessionId, 'string');
    assert.deepEqual((await connected).payload, { userId: 'alice', sessionId: c.sessionId, node: c.node });
    assert.equal(typeof c.node, 'string');
    assert.deepEqual(states, ['connecting', 'connected']);
  });

  test('subscribe, then events by type on the subscription and the client; off and once', async () => {
    const c = client(server);
    await c.connect();
    const room = c.subscribe('room:a');
    assert.equal(c.subscribe('room:a'), room, 'one subscription per channel');
    await room.ready;
    assert.equal(room.state, 'subscribed');
    const onRoom = [];
    const onClient = [];
    const onAny = [];
    const h = (p) => onClient.push(p.n);
    room.on('message.new', (p) => onRoom.push(p.n));
    c.on('message.new', h);
    c.once('*', (type, p) => onAny.push([type, p.n]));
    for (let n = 1; n <= 3; n++) await publish(server, 'room:a', { n });
    await eventually(() => assert.deepEqual(onRoom, [1, 2, 3]));
    assert.deepEqual(onClient, [1, 2, 3]);
    assert.deepEqual(onAny, [['message.new', 1]]);
    c.off('message.new', h);
    await publish(server, 'room:a', { n: 4 });
    await eventually(() => assert.deepEqual(onRoom, [1, 2, 3, 4]));
    assert.deepEqual(onClient, [1, 2, 3]);
    assert.deepEqual(room.position.offset, 4);
  });

  test('publish resolves on the ack; presence, history, typing, a custom event; errors are ServerErrors', async () => {
    const a = client(server, { user: 'a1' });
    const b = client(server, { user: 'b1' });
    await Promise.all([a.connect(), b.connect()]);
    await Promise.all([a.subscribe('room:b').ready, b.subscribe('room:b').ready]);
    const got = next(b.subscriptions.get('room:b'), 'chat');
    const ack = await a.publish('room:b', { text: 'hi' }, { type: 'chat' });
    assert.equal(ack.type, 'ack');
    const { payload, message } = await got;
    assert.deepEqual(payload, { text: 'hi' });
    assert.equal(message.publisher, 'a1');
    const presence = await a.presence('room:b');
    assert.deepEqual([...presence.users].sort(), ['a1', 'b1']);
    const history = await a.history('room:b', { limit: 10 });
    assert.equal(history.publications.length, 1);
    const typing = next(b, 'typing.start');
    assert.equal(a.typing('room:b'), true);
    assert.equal(a.typing('room:b'), false, 'throttled');
    assert.equal((await typing).payload.user_id, 'a1');
    const refused = a.publish('room:nope', { x: 1 });
    await assert.rejects(refused, (err) => { assert.ok(err instanceof ServerError); assert.equal(err.code, 'forbidden', err.message); return true; });
    await assert.rejects(a.request('frobnicate', {}), (err) => { assert.equal(err.code, 'unknown_type', err.message); return true; });
  });

  test('requires_ack: acked once the async handler resolved, and not redelivered', async () => {
    const c = client(server, { user: 'acker' });
    await c.connect();
    let resolveHandler;
    const handled = [];
    c.on('order.created', (p) => new Promise((r) => { resolveHandler = () => { handled.push(p.id); r(); }; }));
    const before = await metric(server, 'switchboard_gateway_acks_received_total');
    await server.api('POST', '/api/send', { user_id: 'acker', type: 'order.created', payload: { id: 7 }, id: 'o7', requires_ack: true });
    await eventually(() => assert.ok(resolveHandler));
    resolveHandler();
    await eventually(async () => assert.ok(await metric(server, 'switchboard_gateway_acks_received_total') > before));
    assert.deepEqual(handled, [7]);
  });

  test('a request without an answer times out; the queue is bounded while disconnected', async () => {
    const c = client(server, { queueLimit: 2, requestTimeoutMs: 100 });
    c.send('ping');
    c.send('ping');
    assert.throws(() => c.send('ping'), QueueFullError);
    await assert.rejects(c.request('ping'), QueueFullError);
    await c.connect();  // the two queued pings go out
    const t = new SwitchboardClient('ws://127.0.0.1:1/ws', { WebSocket, requestTimeoutMs: 50, reconnect: false });
    clients.push(t);
    await assert.rejects(t.request('ping'), TimeoutError);
  });

  test('a kick (4010) ends the client: no reconnect, pending calls fail', async () => {
    const c = client(server, { user: 'kicked' });
    await c.connect();
    const disconnected = next(c, 'disconnected');
    await server.api('POST', '/api/disconnect', { user_id: 'kicked' });
    const { payload } = await disconnected;
    assert.equal(payload.code, 4010);
    assert.equal(payload.willReconnect, false);
    assert.equal(c.state, 'closed');
    assert.throws(() => c.send('ping'), ClosedError);
  });

  test('the token is refreshed on the open connection before it expires', async () => {
    let calls = 0;
    const c = client(server, {
      user: 'fresh',
      token: undefined,
      refreshBeforeMs: 1500,
      getToken: () => { calls++; return server.token('fresh', { exp: jwt.now() + 3 }); },
    });
    await c.connect();
    const session = c.sessionId;
    await next(c, 'token_refreshed', 5000);
    assert.ok(calls >= 2);
    assert.equal(c.state, 'connected');
    assert.equal(c.sessionId, session, 'the same connection');
  });
});

describe('reconnects', () => {
  test('delays: exponential with full jitter from an injected random; 1012 reconnects within a second', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [99, 199, 399, 799, 999, 999]);
    b.reset();
    assert.equal(b.next(), 99);
    assert.equal(new Backoff({ random: () => 0 }).next(), 0);
  });

  test('across a server restart on the Redis engine: every event once, in order, recovered', async () => {
    const redis = await RedisServer.start();
    const args = ['--redis-url', `redis://127.0.0.1:${redis.port}`, '--redis-prefix', `sdk-${process.pid}:`,
      '--public-channels', 'room:*'];
    let server = await Server.start({ args });
    const port = server.port;
    try {
      const c = client(server, { random: () => 0.5, backoff: { initialMs: 100, maxMs: 1000 } });
      const scheduled = [];
      c.on('reconnect_scheduled', (r) => scheduled.push(r));
      await c.connect();
      const room = c.subscribe('room:r');
      await room.ready;
      const seen = [];
      room.on('message.new', (p) => seen.push(p.n));
      let recovered = 0;
      room.on('recovered', () => { recovered++; });
      for (let n = 0; n < 5; n++) await publish(server, 'room:r', { n });
      await eventually(() => assert.equal(seen.length, 5));
      await server.stop();
      await eventually(() => assert.equal(c.state, 'disconnected'));
      // Published while the client is away (another node of the same engine would take them).
      const other = await Server.start({ args });
      for (let n = 5; n < 10; n++) await publish(other, 'room:r', { n });
      await other.stop();
      // A few refused attempts first: their delays follow the backoff.
      await eventually(() => assert.ok(scheduled.length >= 4, JSON.stringify(scheduled)), { timeoutMs: 10000 });
      server = await Server.start({ args, port });
      await eventually(() => assert.equal(c.state, 'connected'), { timeoutMs: 15000 });
      await room.ready;
      for (let n = 10; n < 12; n++) await publish(server, 'room:r', { n });
      await eventually(() => assert.equal(seen.length, 12), { timeoutMs: 10000 });
      assert.deepEqual(seen, [...Array(12).keys()], 'each once, in order');
      assert.equal(recovered, 1);
      // 1012 (the drain's close): random · 1 s; each refused attempt after it: random · 100 ms ·
      // 2^k, at most 1 s (random is 0.5 here).
      assert.ok(scheduled.length >= 2, JSON.stringify(scheduled));
      const [first, ...rest] = scheduled;
      assert.deepEqual(first, { delayMs: first.code === 1012 ? 500 : 50, code: first.code });
      const expected = [50, 100, 200, 400, 500, 500, 500, 500, 500, 500].slice(first.code === 1012 ? 0 : 1);
      assert.deepEqual(rest.map((r) => r.delayMs), expected.slice(0, rest.length));
    } finally {
      await server.stop();
      await redis.stop();
    }
  });
});
