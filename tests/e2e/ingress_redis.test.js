// Broker ingress from Redis Pub/Sub (docs/ingress.md): backends PUBLISH to their own Redis
// channels exactly as they do today and real clients receive the events. Seeds 001 and 002
// from their example configurations (examples/seeds/), hostile messages refused and counted
// by reason while good ones still flow, the ingress server killed and restarted while the
// node keeps serving (/health degraded, /ready 200, subscriptions restored), and two nodes of
// one Redis engine that both receive every message but deliver it once (idempotency keys),
// raw frames included.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Server, Client, eventually, metric } = require('./support');
const { RedisServer } = require('./redis_support');
const { sourceUp, sourceDown, startSeedOnRedis } = require('./ingress_support');

const SEEDS = path.join(__dirname, '..', '..', 'examples', 'seeds');

describe('seed 001: ws:conv:<id> and ws:user:<id> by the built-in rules', () => {
  let redis;
  let server;
  before(async () => {
    redis = await RedisServer.start();
    server = await Server.start({
      args: ['--config', path.join(SEEDS, '001.toml'), '--redis-host', `127.0.0.1:${redis.port}`,
        '--redis-prefix', 'e2e-ingress-001:'],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); await redis.stop(); });
  afterEach(() => Client.closeAll());

  test('a conversation event reaches the clients subscribed by conversation_ids', async () => {
    const c = await Client.authed(server, 'u-001');
    c.send({ type: 'subscribe', payload: { conversation_ids: ['conv-uuid-1'] } });
    await c.next('subscribed');
    const other = await Client.authed(server, 'u-other');
    const event = '{"type":"message.new","payload":{"conversation_id":"conv-uuid-1","message":{"id":"msg-uuid"}}}';
    await redis.publishReceived('ws:conv:conv-uuid-1', event);
    const m = await c.next('message.new');
    assert.equal(m.channel, 'conv:conv-uuid-1');
    assert.deepEqual(m.payload, { conversation_id: 'conv-uuid-1', message: { id: 'msg-uuid' } });
    assert.equal(m.offset, 1);
    assert.equal(typeof m.epoch, 'string');
    await other.expectNone('message.new');
  });

  test('a user event reaches every connection of that user and nobody else', async () => {
    const a = await Client.authed(server, 'u-two');
    const b = await Client.authed(server, 'u-two');
    const other = await Client.authed(server, 'u-three');
    await redis.publishReceived('ws:user:u-two', '{"type":"conversation.created","payload":{"id":"c7"}}');
    for (const c of [a, b]) {
      const m = await c.next('conversation.created');
      assert.equal(m.channel, 'user:u-two');
      assert.deepEqual(m.payload, { id: 'c7' });
    }
    await other.expectNone('conversation.created');
    assert.equal(await metric(server, 'switchboard_ingress_delivered_total', { rule: 'default-users' }), 1);
  });
});

describe('seed 002: notifications, user-status, feature-status from its config', () => {
  let redis;
  let server;
  before(async () => { ({ redis, server } = await startSeedOnRedis('002', 'e2e-ingress-002:')); });
  after(async () => { await Client.closeAll(); await server.stop(); await redis.stop(); });
  afterEach(() => Client.closeAll());

  test('a notification with a numeric user_id reaches that user, the message as payload', async () => {
    const user = await Client.authed(server, '42');
    const other = await Client.authed(server, '43');
    const body = '{"created_at":"2024-01-15T10:30:00Z","data":null,"id":9,"message":"Hi","title":"T","type":"system","user_id":42}';
    await redis.publishReceived('notifications', body);
    const m = await user.next('notification-received');
    assert.equal(m.channel, 'user:42');
    assert.deepEqual(m.payload, JSON.parse(body));
    await other.expectNone('notification-received');
  });

  test('user-status and feature-status reach every client as their events', async () => {
    const a = await Client.authed(server, '1');
    const b = await Client.authed(server, '2');
    const status = '{"last_seen":"2024-01-15T10:30:00Z","status":"online","user_id":42}';
    const feature = '{"feature_id":5,"new_owner_id":2,"old_owner_id":1}';
    await redis.publishReceived('user-status', status);
    await redis.publishReceived('feature-status', feature);
    for (const c of [a, b]) {
      const s = await c.next('user-status-changed');
      assert.deepEqual(s, { type: 'user-status-changed', payload: JSON.parse(status) });
      const f = await c.next('feature-status-changed');
      assert.deepEqual(f.payload, JSON.parse(feature));
    }
  });

  test('hostile messages are refused and counted by reason; the good ones all arrive', async () => {
    const user = await Client.authed(server, '77');
    const received = [];
    const bad = [
      ['not json', 'not_json'],
      [`{"user_id":77,"pad":"${'x'.repeat(300 * 1024)}"}`, 'too_large'],
      ['{"id":1}', 'missing_field'],
      ['{"user_id":4.5}', 'bad_field'],
      ['{"user_id":"a\\u0001"}', 'bad_target'],
    ];
    const before_ = {};
    for (const [, reason] of bad) {
      before_[reason] = await metric(server, 'switchboard_ingress_rejected_total', { rule: 'notifications', reason });
    }
    await redis.publishReceived('notifications', '{"user_id":77,"n":-1}');
    received.push((await user.next('notification-received')).payload.n);
    const rounds = 20;
    for (let i = 0; i < rounds; i++) {
      for (const [body] of bad) await redis.publish('notifications', body);
      await redis.publish('notifications', `{"user_id":77,"n":${i}}`);
    }
    for (let i = 0; i < rounds; i++) received.push((await user.next('notification-received')).payload.n);
    assert.deepEqual(received, [-1, ...Array.from({ length: rounds }, (_, i) => i)]);
    for (const [, reason] of bad) {
      await eventually(async () => assert.equal(
        await metric(server, 'switchboard_ingress_rejected_total', { rule: 'notifications', reason }),
        before_[reason] + rounds, reason));
    }
    // The node still serves: a client connects and the API answers.
    assert.equal((await server.get('/ready')).status, 200);
  });
});

describe('an ingress Redis of its own, killed and restarted (memory engine)', () => {
  let redis;
  let server;
  before(async () => {
    redis = await RedisServer.start();
    server = await Server.start({
      args: ['--ingress-redis-url', redis.url, '--public-channels', 'conv:*'],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); await redis.stop(); });
  afterEach(() => Client.closeAll());

  test('down: /health degraded, /ready 200; up again: resubscribed and delivering', async () => {
    const c = await Client.authed(server, 'u-r');
    c.send({ type: 'subscribe', payload: { conversation_ids: ['r1'] } });
    await c.next('subscribed');
    await redis.publishReceived('ws:conv:r1', '{"type":"message.new","payload":{"n":1}}');
    assert.deepEqual((await c.next('message.new')).payload, { n: 1 });
    const source = `ingress redis 127.0.0.1:${redis.port}`;
    assert.equal(await metric(server, 'switchboard_ingress_connects_total', { source }), 1);

    await redis.kill();
    await sourceDown(server, source);
    // The node serves its clients meanwhile: the server API still publishes.
    const res = await server.api('POST', '/api/publish', { channel: 'conv:r1', type: 'message.new', payload: { n: 2 } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((await c.next('message.new')).payload, { n: 2 });

    await redis.restart();
    await eventually(async () => assert.equal((await server.get('/health')).json.status, 'ok'),
      { what: '/health ok again', timeoutMs: 15000 });
    assert.equal(await metric(server, 'switchboard_ingress_connects_total', { source }), 2);
    await redis.publishReceived('ws:conv:r1', '{"type":"message.new","payload":{"n":3}}');
    assert.deepEqual((await c.next('message.new')).payload, { n: 3 });
  });
});

describe('two nodes on one Redis engine: every node receives, each client gets it once', () => {
  let redis;
  let nodes;
  const RULES = `
[[ingress]]
name = "conversations"
source = "redis"
patterns = ["ws:conv:*"]
target = "channel"
channel = "conv:{1}"

[[ingress]]
name = "posts"
source = "redis"
channels = ["posts"]
target = "all"
format = "raw"
`;
  before(async () => {
    redis = await RedisServer.start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ingress-redis-'));
    const file = path.join(dir, 'rules.toml');
    fs.writeFileSync(file, RULES);
    nodes = await Promise.all([0, 1].map((i) => Server.start({
      args: ['--config', file, '--redis-url', redis.url, '--redis-prefix', 'e2e-ingress-two:',
        '--node-id', `two-${i}`, '--public-channels', 'conv:*'],
    })));
    // Up: every channel and pattern confirmed by Redis on both nodes' ingress connections.
    for (const n of nodes) await sourceUp(n, `ingress redis 127.0.0.1:${redis.port}`);
  });
  after(async () => {
    await Client.closeAll();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
  });
  afterEach(() => Client.closeAll());

  async function sum(name, rule) {
    let total = 0;
    for (const n of nodes) total += await metric(n, name, { rule });
    return total;
  }

  test('a conversation event is stored once and reaches each subscriber once, in order', async () => {
    const clients = await Promise.all(nodes.map((n, i) => Client.authed(n, `two-${i}`)));
    for (const c of clients) {
      c.send({ type: 'subscribe', payload: { conversation_ids: ['dup'] } });
      await c.next('subscribed');
    }
    const count = 30;
    for (let i = 0; i <= count; i++) {
      assert.equal(await redis.publish('ws:conv:dup', `{"type":"message.new","payload":{"n":${i}}}`), 2);
    }
    for (const c of clients) {
      const got = [];
      for (let i = 0; i <= count; i++) got.push(await c.next('message.new'));
      assert.deepEqual(got.map((m) => m.payload.n), Array.from({ length: count + 1 }, (_, i) => i));
      // One offset per message: the history has each once.
      assert.deepEqual(got.map((m) => m.offset), Array.from({ length: count + 1 }, (_, i) => i + 1));
      await c.expectNone('message.new');
    }
    await eventually(async () => {
      assert.equal(await sum('switchboard_ingress_delivered_total', 'conversations'), count + 1);
      assert.equal(await sum('switchboard_ingress_deduplicated_total', 'conversations'), count + 1);
    }, { what: 'one delivery and one duplicate per message' });
  });

  test('a raw broadcast reaches every client once, byte for byte', async () => {
    const clients = await Promise.all(nodes.map((n, i) => Client.authed(n, `raw-${i}`)));
    const body = '{"action":"created","payload":{"id":5,"description":"hello"}}';
    assert.equal(await redis.publish('posts', body), 2);
    const isPost = (m) => m.action === 'created';
    for (const c of clients) {
      const m = await c.next(isPost);
      assert.equal(m._raw, body);
      await c.expectNone(isPost);
    }
  });
});
