// Upstream to a broker (docs/ingress.md, "Upstream to a broker"): client events the gateway
// has no handler for go, batched, to Redis (PUBLISH or a capped stream) or NATS — one message
// per event on a subject filled from the event, or the batch's JSON array as one — with the
// webhook's rules: in order, retried while the broker is down, nothing accepted lost.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, eventually, metric } = require('./support');
const { RedisServer } = require('./redis_support');
const { NatsServer } = require('./nats_support');

// The entries of a Redis stream, as the upstream wrote them: each "event" field parsed.
async function streamEvents(redis, key) {
  const out = await redis.cli('--no-raw', 'XRANGE', key, '-', '+');
  const events = [];
  for (const line of out.split('\n')) {
    const m = line.match(/^\s*\d+\) "(\{.*\})"$/);
    if (m) events.push(JSON.parse(JSON.parse(`"${m[1]}"`)));
  }
  return events;
}


describe('Redis stream: one entry per event, kept through a Redis restart', () => {
  let redis;
  let server;
  before(async () => {
    redis = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    server = await Server.start({
      args: ['--upstream-sink', 'redis', '--upstream-redis-url', redis.url,
        '--upstream-redis-mode', 'stream', '--upstream-topic', 'up:{type}',
        '--upstream-flush-interval', '20ms', '--upstream-retry-initial', '50ms',
        '--upstream-max-attempts', '100'],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); await redis.stop(); });
  afterEach(() => Client.closeAll());

  test('events land in the stream of their type, in order, with their metadata', async () => {
    const c = await Client.authed(server, 'up-r1');
    for (let i = 0; i < 5; i++) c.send({ type: 'cursor.move', payload: { channel: 'board:1', x: i } });
    c.send({ type: 'chat.typed', payload: { n: 1 } });
    await eventually(async () => assert.equal((await streamEvents(redis, 'up:cursor.move')).length, 5),
      { what: '5 entries in up:cursor.move' });
    const moves = await streamEvents(redis, 'up:cursor.move');
    assert.deepEqual(moves.map((e) => e.payload.x), [0, 1, 2, 3, 4]);
    assert.equal(moves[0].user_id, 'up-r1');
    assert.equal(moves[0].channel, 'board:1');
    assert.equal(typeof moves[0].session_id, 'string');
    const typed = await streamEvents(redis, 'up:chat.typed');
    assert.equal(typed.length, 1);
    assert.deepEqual(typed[0].payload, { n: 1 });
  });

  test('Redis down: attempts fail and are retried; back up, every event arrives', async () => {
    const c = await Client.authed(server, 'up-r2');
    await redis.kill();
    for (let i = 0; i < 20; i++) c.send({ type: 'while.down', payload: { i } });
    await eventually(async () => assert.ok(await metric(server, 'switchboard_gateway_upstream_retries_total') > 0),
      { what: 'a retried attempt' });
    await redis.restart();
    await eventually(async () => {
      const got = await streamEvents(redis, 'up:while.down');
      // At least once: a batch whose answer was lost may be written twice; none is missing.
      assert.deepEqual([...new Set(got.map((e) => e.payload.i))].sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i));
    }, { what: 'all 20 events in the stream', timeoutMs: 15000 });
    assert.equal(await metric(server, 'switchboard_gateway_upstream_failed_total'), 0);
  });
});

describe('NATS: one message per event on a subject of its type; or the batch as one', () => {
  let nats;
  before(async () => { nats = await NatsServer.start(); });
  after(async () => { await Client.closeAll(); await nats.stop(); });

  async function collect(subject, count) {
    const nc = await nats.connect();
    const sub = nc.subscribe(subject);
    await nc.flush();
    const got = [];
    const done = (async () => {
      for await (const m of sub) {
        got.push({ subject: m.subject, data: JSON.parse(new TextDecoder().decode(m.data)) });
        if (got.length >= count) break;
      }
    })();
    return { got, done, close: () => nc.close() };
  }

  test('per event', async () => {
    const server = await Server.start({
      args: ['--upstream-sink', 'nats', '--nats-url', nats.url, '--upstream-topic', 'events.{type}',
        '--upstream-flush-interval', '20ms'],
    });
    try {
      const sub = await collect('events.>', 3);
      const c = await Client.authed(server, 'up-n1');
      for (let i = 0; i < 3; i++) c.send({ type: 'game.move', payload: { i } });
      await eventually(async () => { await sub.done; }, { what: '3 NATS messages' });
      assert.deepEqual(sub.got.map((m) => m.subject), ['events.game.move', 'events.game.move', 'events.game.move']);
      assert.deepEqual(sub.got.map((m) => m.data.payload.i), [0, 1, 2]);
      assert.equal(sub.got[0].data.user_id, 'up-n1');
      await sub.close();
    } finally {
      await Client.closeAll();
      await server.stop();
    }
  });

  test('per batch: the JSON array the webhook would get', async () => {
    const server = await Server.start({
      args: ['--upstream-sink', 'nats', '--nats-url', nats.url, '--upstream-topic', 'batches.{node}',
        '--upstream-message', 'batch', '--upstream-batch-size', '4', '--upstream-flush-interval', '60s',
        '--node-id', 'nb'],
    });
    try {
      const sub = await collect('batches.nb', 1);
      const c = await Client.authed(server, 'up-n2');
      for (let i = 0; i < 4; i++) c.send({ type: 'game.move', payload: { i } });
      await eventually(async () => { await sub.done; }, { what: 'one NATS batch' });
      assert.ok(Array.isArray(sub.got[0].data));
      assert.deepEqual(sub.got[0].data.map((e) => e.payload.i), [0, 1, 2, 3]);
      await eventually(async () => assert.equal(await metric(server, 'switchboard_gateway_upstream_flushed_total'), 4));
      await sub.close();
    } finally {
      await Client.closeAll();
      await server.stop();
    }
  });
});

describe('refused configurations', () => {
  for (const [args, message] of [
    [['--upstream-sink', 'nats'], /upstream_sink = nats needs nats_url/],
    [['--upstream-sink', 'redis'], /upstream_sink = redis needs a Redis address/],
    [['--upstream-sink', 'webhook'], /upstream_sink = webhook needs upstream_webhook_url/],
    [['--upstream-sink', 'nats', '--nats-url', 'nats://127.0.0.1:1', '--upstream-message', 'batch'],
      /names a field of one event/],
    [['--upstream-sink', 'nats', '--nats-url', 'nats://127.0.0.1:1', '--upstream-webhook-url', 'http://127.0.0.1:1/x'],
      /batches go to one sink/],
  ]) {
    test(args.join(' '), async () => {
      await assert.rejects(Server.start({ args }), (e) => {
        assert.match(e.message, message);
        return true;
      });
    });
  }
});
