// Seed gateways replaced by Switchboard: seed 001's session verbatim (auth message, subscribe by
// conversation_ids, typing, ping, server-side publish, /health, /, its environment variables)
// and seed 002's `connected` event and timestamped pong.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, jwt, eventually } = require('./support');

describe('seed 001: the conversation gateway session', () => {
  let server;
  before(async () => {
    // Conversations are open to every authenticated user here (seed 001 checks membership in
    // its API server; the gateway's own check is the namespace configuration).
    server = await Server.start({ args: ['--public-channels', 'conv:*'] });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });
  afterEach(() => Client.closeAll());

  test('auth message → auth.success {user_id, session_id}', async () => {
    const c = await Client.connect(server);
    c.send({ type: 'auth', payload: { token: server.token('507f1f77bcf86cd799439011') } });
    const ok = await c.next(['auth.success', 'auth.error']);
    assert.equal(ok.type, 'auth.success', JSON.stringify(ok));
    assert.equal(ok.payload.user_id, '507f1f77bcf86cd799439011');
    assert.equal(typeof ok.payload.session_id, 'string');
    assert.ok(ok.payload.session_id.length > 0);
    // Two sessions of the same user have distinct session ids.
    const d = await Client.connect(server);
    const ok2 = await d.auth(server.token('507f1f77bcf86cd799439011'));
    assert.notEqual(ok2.payload.session_id, ok.payload.session_id);
  });

  test('subscribe by conversation_ids → subscribed with the same conversation_ids', async () => {
    const c = await Client.authed(server, 'u-sub', { via: 'message' });
    c.send({ type: 'subscribe', payload: { conversation_ids: ['conv-uuid-1', 'conv-uuid-2'] } });
    const reply = await c.next(['subscribed', 'error']);
    assert.equal(reply.type, 'subscribed', JSON.stringify(reply));
    assert.deepEqual(reply.payload.conversation_ids, ['conv-uuid-1', 'conv-uuid-2']);
  });

  test('typing → the other participant gets typing.start {conversation_id, user_id}, the sender does not', async () => {
    const alice = await Client.authed(server, 'alice', { via: 'message' });
    const bob = await Client.authed(server, 'bob', { via: 'message' });
    await alice.subscribe({ conversation_ids: ['typing-1'] });
    await bob.subscribe({ conversation_ids: ['typing-1'] });
    alice.send({ type: 'typing', payload: { conversation_id: 'typing-1' } });
    const t = await bob.next('typing.start');
    assert.equal(t.payload.conversation_id, 'typing-1');
    assert.equal(t.payload.user_id, 'alice');
    await alice.expectNone('typing.start', 300);
  });

  test('ping → pong', async () => {
    const c = await Client.authed(server, 'u-ping', { via: 'message' });
    c.send({ type: 'ping' });
    const pong = await c.next(['pong', 'error']);
    assert.equal(pong.type, 'pong');
  });

  test('API publish of message.new to conv:X reaches subscribers of X only', async () => {
    const inX = await Client.authed(server, 'reader-x', { via: 'message' });
    const inY = await Client.authed(server, 'reader-y', { via: 'message' });
    await inX.subscribe({ conversation_ids: ['pub-x'] });
    await inY.subscribe({ conversation_ids: ['pub-y'] });
    const payload = {
      conversation_id: 'pub-x',
      message: { id: 'msg-uuid', sender_id: 'user-uuid', content: 'Hello!', created_at: '2025-10-27T12:00:00Z' },
    };
    const res = await server.api('POST', '/api/publish', { channel: 'conv:pub-x', type: 'message.new', payload });
    assert.equal(res.status, 200, res.text);
    const m = await inX.next('message.new');
    assert.deepEqual(m.payload, payload);
    assert.equal(m.channel, 'conv:pub-x');
    assert.equal(typeof m.offset, 'number');
    await inY.expectNone('message.new', 300);
  });

  test('GET /health {status ok, connections N} follows the open connections', async () => {
    const before0 = await server.health();
    assert.equal(before0.status, 'ok');
    assert.equal(typeof before0.connections, 'number');
    const base = before0.connections;
    const a = await Client.authed(server, 'h1', { via: 'message' });
    await Client.authed(server, 'h2', { via: 'message' });
    await eventually(async () => {
      assert.equal((await server.health()).connections, base + 2);
    }, { what: 'health connections +2' });
    await a.close();
    await eventually(async () => {
      assert.equal((await server.health()).connections, base + 1);
    }, { what: 'health connections back to +1' });
  });

  test('GET / → {service, status ok}', async () => {
    const res = await server.get('/');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'ok');
    assert.equal(typeof res.json.service, 'string');
    assert.ok(res.json.service.length > 0);
  });
});

describe('seed 001: WSGATEWAY_PORT and JWT_SECRET from the environment', () => {
  let server;
  before(async () => {
    server = await Server.start({ portVia: 'env', jwtSecret: 'seed-001-env-secret' });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });

  test('the server listens on WSGATEWAY_PORT', async () => {
    // Server.start passed no --port: reaching /health on the chosen port proves the variable.
    assert.equal((await server.health()).status, 'ok');
  });

  test('tokens signed with JWT_SECRET are accepted, others refused', async () => {
    const good = await Client.connect(server);
    const ok = await good.auth(jwt.sign({ sub: 'env-user', exp: jwt.now() + 60 }, { key: 'seed-001-env-secret' }));
    assert.equal(ok.payload.user_id, 'env-user');
    const bad = await Client.connect(server);
    bad.send({ type: 'auth', payload: { token: jwt.sign({ sub: 'env-user', exp: jwt.now() + 60 }, { key: 'secret' }) } });
    const err = await bad.next(['auth.success', 'auth.error']);
    assert.equal(err.type, 'auth.error');
    assert.equal(err.payload.code, 'bad_signature');
    assert.equal((await bad.waitClose()).code, 4001);
  });
});

describe('seed 002: connected event and timestamped pong', () => {
  let server;
  before(async () => { server = await Server.start(); });
  after(async () => { await Client.closeAll(); await server.stop(); });

  test('`connected` arrives first on connect, before any authentication', async () => {
    const c = await Client.connect(server, { waitConnected: false });
    const first = await c.nextAny();
    assert.equal(first.type, 'connected');
    assert.equal(typeof first.payload.session_id, 'string');
    assert.ok(first.payload.session_id.length > 0);
    // The session id announced is the one authentication confirms.
    const ok = await c.auth(server.token('u-002'));
    assert.equal(ok.payload.session_id, first.payload.session_id);
  });

  test('pong carries a numeric millisecond timestamp of now', async () => {
    const c = await Client.authed(server, 'u-002-ping');
    const sent = Date.now();
    c.send({ type: 'ping' });
    const pong = await c.next('pong');
    const received = Date.now();
    assert.equal(typeof pong.payload.timestamp, 'number');
    assert.ok(pong.payload.timestamp >= sent - 1000 && pong.payload.timestamp <= received + 1000,
      `timestamp ${pong.payload.timestamp} not within [${sent}, ${received}]`);
  });
});
