// Upstream to RabbitMQ (docs/ingress.md, "Upstream to a broker") and seed 000 from
// examples/seeds/000.toml. Client events the gateway has no handler for are batched and
// published to a topic exchange, one persistent JSON message per event with routing key
// events.<type>, each batch done once RabbitMQ confirmed every message; amqplib (an AMQP
// client independent of ours) consumes them. RabbitMQ shut down while events are sent:
// attempts fail and are retried, and after the restart every event arrives (at least once).
// Seed 000: a backend's message on exchange tutora.ws, routing key room.<id> / user.<id>,
// reaches room:<id>'s subscribers / the user; a client event reaches the backend's consumer.
// One private RabbitMQ node for the file (~5 s to start).
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Server, Client, eventually, metric } = require('./support');
const { RabbitMqServer } = require('./rabbitmq_support');
const { RedisServer } = require('./redis_support');
const { sourceUp } = require('./ingress_support');

const SEEDS = path.join(__dirname, '..', '..', 'examples', 'seeds');

let rabbit;
before(async () => { rabbit = await RabbitMqServer.start(); });
after(async () => { await Client.closeAll(); if (rabbit) await rabbit.stop(); });
afterEach(() => Client.closeAll());


// A durable queue bound to `exchange` (a durable topic exchange, as the gateway declares it)
// and a consumer recording each message: routing key, parsed body, properties.
async function eventsConsumer(exchange, queue, binding = 'events.#') {
  const connection = await rabbit.connect();
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, exchange, binding);
  const got = [];
  await channel.consume(queue, (m) => {
    got.push({ key: m.fields.routingKey, event: JSON.parse(m.content.toString()), properties: m.properties });
  }, { noAck: true });
  return { got, close: () => connection.close() };
}

// A gateway publishing its client events to `exchange`, flushing every 20 ms, retrying fast.
function startUpstream(exchange, more = []) {
  return Server.start({
    args: ['--upstream-sink', 'rabbitmq', '--amqp-url', rabbit.url,
      '--upstream-exchange', exchange, '--upstream-flush-interval', '20ms',
      '--upstream-retry-initial', '50ms', '--upstream-max-attempts', '100', ...more],
  });
}

describe('upstream_sink = rabbitmq', () => {
  let server;
  before(async () => {
    server = await startUpstream('sb.events');
  });
  after(() => server.stop());

  test('one persistent message per event, routing key events.<type>, in order, with the metadata', async () => {
    const consumer = await eventsConsumer('sb.events', 'per-event');
    try {
      const c = await Client.authed(server, 'up-q1');
      for (let i = 0; i < 5; i++) c.send({ type: 'cursor.move', payload: { channel: 'board:1', x: i } });
      c.send({ type: 'chat.typed', payload: { n: 1 } });
      await eventually(() => assert.equal(consumer.got.length, 6), { what: '6 messages', timeoutMs: 15000 });
      const { got } = consumer;
      assert.deepEqual(got.map((m) => m.key), [...Array(5).fill('events.cursor.move'), 'events.chat.typed']);
      assert.deepEqual(got.slice(0, 5).map((m) => m.event.payload.x), [0, 1, 2, 3, 4]);
      assert.deepEqual(got[5].event.payload, { n: 1 });
      const e = got[0].event;
      assert.equal(e.type, 'cursor.move');
      assert.equal(e.user_id, 'up-q1');
      assert.equal(e.channel, 'board:1');
      assert.equal(typeof e.session_id, 'string');
      assert.equal(typeof e.timestamp, 'number');
      assert.equal(typeof e.node, 'string');
      assert.equal(got[0].properties.deliveryMode, 2);
      assert.equal(got[0].properties.contentType, 'application/json');
      await eventually(async () => assert.equal(await metric(server, 'switchboard_gateway_upstream_flushed_total'), 6));
    } finally {
      await consumer.close();
    }
  });

  test('RabbitMQ down: attempts fail and are retried; restarted, every event arrives', async () => {
    // Declared, bound and then kept across a clean shutdown (durable queue, persistent messages).
    const setup = await eventsConsumer('sb.events', 'while-down', 'events.while.down');
    await setup.close();
    const c = await Client.authed(server, 'up-q2');
    const retriedBefore = await metric(server, 'switchboard_gateway_upstream_retries_total');
    await rabbit.shutdown();
    for (let i = 0; i < 20; i++) c.send({ type: 'while.down', payload: { i } });
    await eventually(async () => assert.ok(await metric(server, 'switchboard_gateway_upstream_retries_total') > retriedBefore),
      { what: 'a retried attempt', timeoutMs: 15000 });
    assert.equal(await metric(server, 'switchboard_gateway_upstream_flushed_total'), 6, 'nothing counted as sent while down');
    await rabbit.restart();
    const consumer = await eventsConsumer('sb.events', 'while-down', 'events.while.down');
    try {
      // The buffer's backoff (50 ms doubling, so ~6 s by now) and our reconnect (≤ 5 s): 40 s
      // only ends a hang on a loaded machine.
      await eventually(() => {
        // At least once: a batch whose confirms were lost may arrive twice; none is missing.
        assert.deepEqual([...new Set(consumer.got.map((m) => m.event.payload.i))].sort((a, b) => a - b),
          Array.from({ length: 20 }, (_, i) => i));
      }, { what: 'all 20 events', timeoutMs: 40000 });
      assert.ok(consumer.got.every((m) => m.key === 'events.while.down'));
      assert.equal(await metric(server, 'switchboard_gateway_upstream_failed_total'), 0);
    } finally {
      await consumer.close();
    }
  });
});

describe('mandatory: an event no queue is bound for', () => {
  // Its own exchange, with nothing bound at first. Batches of up to 5, a buffer of 10: the
  // returned messages fail every attempt, so nothing leaves the buffer until a queue is bound.
  let server;
  before(async () => {
    server = await startUpstream('sb.unbound', ['--upstream-batch-size', '5', '--upstream-buffer-limit', '10']);
  });
  after(() => server.stop());

  test('is returned and retried: the buffer fills, senders get buffer_full; bound, every accepted event arrives in order', async () => {
    const c = await Client.authed(server, 'up-unbound');
    for (let i = 1; i <= 13; i++) c.send({ type: 'nowhere', id: `e${i}`, payload: { i } });
    // e1–e10 are held (the batch in flight included), the rest refused.
    for (const ref of ['e11', 'e12', 'e13']) {
      const err = await c.next('error', 15000);
      assert.equal(err.payload.code, 'buffer_full');
      assert.equal(err.payload.ref, ref);
    }
    await eventually(async () => assert.ok(await metric(server, 'switchboard_gateway_upstream_unroutable_total') > 0),
      { what: 'a returned attempt counted', timeoutMs: 15000 });
    assert.equal(await metric(server, 'switchboard_gateway_upstream_flushed_total'), 0,
      'RabbitMQ confirms a returned message too: not counted as sent');
    assert.match(server.output(), /no queue bound on exchange 'sb\.unbound' \(returned by RabbitMQ: 312 NO_ROUTE \(routing key 'events\.nowhere'\)\)/);
    const consumer = await eventsConsumer('sb.unbound', 'bound-late');
    try {
      // The next retry (backoff from 50 ms, doubling) finds the queue: 20 s only ends a hang.
      await eventually(() => assert.equal(consumer.got.length, 10), { what: '10 events', timeoutMs: 20000 });
      assert.deepEqual(consumer.got.map((m) => m.event.payload.i), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.equal(await metric(server, 'switchboard_gateway_upstream_failed_total'), 0);
      await eventually(async () => assert.equal(await metric(server, 'switchboard_gateway_upstream_flushed_total'), 10));
    } finally {
      await consumer.close();
    }
  });
});

describe('a retry resends only the events RabbitMQ did not confirm', () => {
  // One batch of three (batch size 3, a long interval: only full batches go) with routing keys
  // events.a, events.b, events.a, while only events.a has a queue: RabbitMQ keeps 1 and 3 and
  // returns 2, so the retries send event 2 alone until events.b has a queue too. A buffer of 3.
  let server;
  before(async () => {
    server = await startUpstream('sb.partial', ['--upstream-batch-size', '3',
      '--upstream-flush-interval', '60s', '--upstream-buffer-limit', '3']);
  });
  after(() => server.stop());

  test('the events of a batch that reached their queue are not sent again, and free their space', async () => {
    const a = await eventsConsumer('sb.partial', 'partial-a', 'events.a');
    let b;
    try {
      const c = await Client.authed(server, 'up-partial');
      const send = (type, i) => c.send({ type, id: `e${i}`, payload: { i } });
      send('a', 1);
      send('b', 2);
      send('a', 3);
      await eventually(async () => assert.ok(await metric(server, 'switchboard_gateway_upstream_retries_total') >= 3),
        { what: 'three failed attempts', timeoutMs: 15000 });
      assert.equal(await metric(server, 'switchboard_gateway_upstream_flushed_total'), 2,
        'events 1 and 3 count as sent at the first attempt');
      // Event 2 alone is held: room for two more, the third is refused.
      send('a', 4);
      send('a', 5);
      send('a', 6);
      const err = await c.next('error');
      assert.equal(err.payload.code, 'buffer_full');
      assert.equal(err.payload.ref, 'e6');
      b = await eventsConsumer('sb.partial', 'partial-b', 'events.b');
      // The next retry (backoff from 50 ms, doubling) finds the queue: 20 s only ends a hang.
      await eventually(() => assert.equal(b.got.length, 1), { what: 'event 2', timeoutMs: 20000 });
      send('a', 7);  // a full batch again (4, 5, 7): sent at once
      await eventually(() => assert.equal(a.got.length, 5), { what: 'events 4, 5 and 7' });
      // Each once: without leaving them out every retry would have sent 1 and 3 again.
      assert.deepEqual(a.got.map((m) => m.event.payload.i), [1, 3, 4, 5, 7]);
      assert.deepEqual(b.got.map((m) => m.event.payload.i), [2]);
      await eventually(async () => assert.equal(await metric(server, 'switchboard_gateway_upstream_flushed_total'), 6));
      await c.expectNone('error', 0);
    } finally {
      await a.close();
      if (b) await b.close();
    }
  });
});

describe('seed 000 from examples/seeds/000.toml', () => {
  let redis;
  let server;
  before(async () => {
    redis = await RedisServer.start();
    // REDIS_URL and AMQP_URL as the seed's environment names them.
    server = await Server.start({
      args: ['--config', path.join(SEEDS, '000.toml')],
      env: { REDIS_URL: redis.url, AMQP_URL: rabbit.url },
    });
    // One RabbitMQ server: one ingress source for both rules.
    await sourceUp(server, `ingress rabbitmq 127.0.0.1:${rabbit.port}/`);
  });
  after(async () => { await server.stop(); await redis.stop(); });

  test('room.<id> on tutora.ws reaches room:<id>, user.<id> reaches the user', async () => {
    const member = await Client.authed(server, 'u-room');
    await member.subscribe(['room:r1']);
    const other = await Client.authed(server, 'u-other');
    await other.subscribe(['room:r2']);
    await rabbit.publish('room.r1', '{"type":"BoardUpdate","payload":{"cells":[1]}}', { exchange: 'tutora.ws' });
    const update = await member.next('BoardUpdate', 10000);
    assert.equal(update.channel, 'room:r1');
    assert.deepEqual(update.payload, { cells: [1] });
    assert.equal(typeof update.offset, 'number');
    await rabbit.publish('user.u-other', '{"type":"notice","payload":{"n":7}}', { exchange: 'tutora.ws' });
    const notice = await other.next('notice', 10000);
    assert.deepEqual(notice.payload, { n: 7 });
    await other.expectNone('BoardUpdate');
    await member.expectNone('notice');
  });

  test('a client event reaches a consumer of tutora.ws.events', async () => {
    const consumer = await eventsConsumer('tutora.ws.events', 'backend-events');
    try {
      const c = await Client.authed(server, 'u-events');
      c.send({ type: 'board.draw', payload: { channel: 'room:r1', stroke: [1, 2] } });
      // upstream_flush_interval = 1s in the file.
      await eventually(() => assert.equal(consumer.got.length, 1), { what: 'the event', timeoutMs: 10000 });
      const [m] = consumer.got;
      assert.equal(m.key, 'events.board.draw');
      assert.equal(m.event.user_id, 'u-events');
      assert.equal(m.event.channel, 'room:r1');
      assert.deepEqual(m.event.payload, { channel: 'room:r1', stroke: [1, 2] });
    } finally {
      await consumer.close();
    }
  });
});

describe('refused configurations', () => {
  for (const [args, message] of [
    [['--upstream-sink', 'rabbitmq'], /upstream_sink = rabbitmq needs amqp_url \(AMQP_URL\)/],
    [['--upstream-sink', 'rabbitmq', '--amqp-url', 'amqps://127.0.0.1/'], /TLS \(amqps:\/\/\) is not supported yet/],
    [['--upstream-sink', 'rabbitmq', '--amqp-url', 'amqp://127.0.0.1/', '--upstream-message', 'batch'],
      /names a field of one event/],
  ]) {
    test(args.join(' '), async () => {
      await assert.rejects(Server.start({ args }), (e) => {
        assert.match(e.message, message);
        return true;
      });
    });
  }
});
