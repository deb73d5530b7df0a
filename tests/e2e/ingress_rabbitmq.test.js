// Broker ingress from RabbitMQ (docs/ingress.md): seed 003 from examples/seeds/003.toml, its
// posts service unchanged — amqplib (an AMQP client independent of ours) puts messages on
// QUEUE_NAME and anonymous clients at ws://host/ receive the bytes as they are, each 5 s
// batch together; hostile messages rejected, counted and dead-lettered; and at least once:
// the node SIGKILLed mid-way through 1,000 confirmed messages and restarted, every message
// reached some client. One private RabbitMQ node for the file (~5 s to start).
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Server, Client, eventually, metric } = require('./support');
const { RabbitMqServer } = require('./rabbitmq_support');
const { rawClient } = require('./ingress_support');

const SEEDS = path.join(__dirname, '..', '..', 'examples', 'seeds');

let rabbit;
before(async () => { rabbit = await RabbitMqServer.start(); });
after(async () => { await Client.closeAll(); if (rabbit) await rabbit.stop(); });
afterEach(() => Client.closeAll());

// Once the node's consumers are set up (every ingress source up in /health): a message sent
// to the default exchange before its queue exists would be dropped by RabbitMQ.
async function ingressUp(server) {
  await eventually(async () => {
    const health = (await server.get('/health')).json;
    const sources = (health.dependencies || []).filter((d) => String(d.name).startsWith('ingress rabbitmq'));
    assert.ok(sources.length > 0 && sources.every((d) => d.status === 'up'), JSON.stringify(health));
  }, { what: 'the RabbitMQ ingress source up', timeoutMs: 20000 });
}

const publishAll = (queue, bodies, options) => rabbit.sendAll(queue, bodies, options);
const queueCounts = (queue) => rabbit.queueCounts(queue);
const queueDepth = (queue) => rabbit.queueDepth(queue);

function writeConfig(name, text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ingress-rabbit-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

// A node of anonymous clients at `/` (no `connected` frame) with the rules `rules` (TOML
// lines), its RabbitMQ consumers set up.
async function startWithRules(name, rules, args = []) {
  const config = writeConfig(name, ['allow_anonymous = true', 'send_connected = false', 'ws_path = "/"',
    ...rules, ''].join('\n'));
  const server = await Server.start({ args: ['--config', config, '--amqp-url', rabbit.url, ...args], jwtSecret: null });
  await ingressUp(server);
  return server;
}

describe('seed 003: posts queued on QUEUE_NAME reach every client at / as they are', () => {
  let server;
  before(async () => {
    // AMQP_URL and QUEUE_NAME as the seed's environment names them; the file's own port
    // (8080) is replaced by a free one.
    server = await Server.start({
      args: ['--config', path.join(SEEDS, '003.toml')],
      env: { AMQP_URL: rabbit.url, QUEUE_NAME: 'posts' },
      jwtSecret: null,
    });
    await ingressUp(server);
  });
  after(() => server.stop());

  test('byte for byte, in order, one batch per interval, nothing else sent', async () => {
    const a = await rawClient(server);
    const b = await rawClient(server);
    const posts = [
      '{"action":"created","payload":{"id":123,"description":"Post content","created_at":"2024-01-01T00:00:00Z","user":{"id":456,"username":"username"},"is_liked":false,"image_urls":["url1","url2"],"likes_count":0}}',
      '{"action":"created","payload":{"id":124,"description":"caf\u00e9 \\u00e9 \\"quoted\\"  spaced"}}',
      '{ "action" : "created" , "payload" : { "id" : 125 } }',
    ];
    const batchesBefore = await metric(server, 'switchboard_ingress_batches_total', { rule: 'posts' });
    const sentAt = Date.now();
    await publishAll('posts', posts);
    for (const c of [a, b]) {
      await eventually(() => assert.equal(c.frames.length, 3), { what: 'three frames', timeoutMs: 15000 });
      assert.deepEqual(c.frames.map((f) => f.text), posts);
      // Held for the interval (5 s), then handed over together: within 5 s + 1 s of scheduling
      // slack, and the three within one flush (100 ms is generous for one loop turn).
      const first = c.frames[0].at;
      assert.ok(first - sentAt >= 4000, `arrived ${first - sentAt} ms after the publish: not held`);
      assert.ok(first - sentAt <= 6500, `arrived ${first - sentAt} ms after the publish`);
      assert.ok(c.frames[2].at - first <= 100, 'the batch arrived together');
    }
    assert.equal(await metric(server, 'switchboard_ingress_batches_total', { rule: 'posts' }), batchesBefore + 1);
    assert.equal(await metric(server, 'switchboard_ingress_delivered_total', { rule: 'posts' }), 3);
    // No `connected` event, no envelope: the three frames are all each client got.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.frames.length, 3);
    // Acknowledged once delivered: nothing left in the queue.
    await eventually(async () => assert.equal(await queueDepth('posts'), 0), { what: 'posts acked', timeoutMs: 15000 });
  });

  test('with ws_path "/", the HTTP endpoints still answer', async () => {
    assert.equal((await server.get('/health')).status, 200);
    assert.equal((await server.get('/metrics')).status, 200);
    assert.equal((await server.get('/')).status, 200);
  });
});

describe('hostile messages', () => {
  let server;
  before(async () => {
    const setup = await rabbit.connect();
    const ch = await setup.createChannel();
    await ch.assertExchange('e2e-dlx', 'fanout', { durable: true });
    await ch.assertQueue('e2e-dead', { durable: true });
    await ch.bindQueue('e2e-dead', 'e2e-dlx', '');
    await setup.close();
    server = await startWithRules('hostile.toml', [
      '[[ingress]]', 'name = "raw"', 'source = "rabbitmq"', 'queue = "e2e-raw"',
      'declare = "create"', 'dead_letter_exchange = "e2e-dlx"', 'target = "all"', 'format = "raw"',
      '[[ingress]]', 'name = "env"', 'source = "rabbitmq"', 'queue = "e2e-env"',
      'declare = "create"', 'dead_letter_exchange = "e2e-dlx"', 'target = "all"',
      'event = "post.created"',
    ]);
  });
  after(() => server.stop());

  test('not UTF-8 for raw, not JSON for an envelope: rejected, counted, dead-lettered; good ones flow', async () => {
    const c = await rawClient(server);
    await publishAll('e2e-raw', [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), Buffer.from('ok-raw')]);
    await publishAll('e2e-env', ['not json', '{"id":1}']);
    await eventually(() => assert.equal(c.frames.length, 2), { what: 'the two good ones', timeoutMs: 10000 });
    const texts = c.frames.map((f) => f.text).sort();
    assert.deepEqual(texts, ['ok-raw', '{"type":"post.created","payload":{"id":1}}'].sort());
    assert.equal(await metric(server, 'switchboard_ingress_rejected_total', { rule: 'raw', reason: 'not_utf8' }), 1);
    assert.equal(await metric(server, 'switchboard_ingress_rejected_total', { rule: 'env', reason: 'not_json' }), 1);
    // basic.reject without requeue: both in the dead-letter queue, bytes unchanged.
    const conn = await rabbit.connect();
    try {
      const ch = await conn.createChannel();
      const dead = [];
      await eventually(async () => {
        const m = await ch.get('e2e-dead', { noAck: true });
        if (m) dead.push(m.content);
        assert.equal(dead.length, 2);
      }, { what: 'two dead letters', timeoutMs: 10000 });
      assert.deepEqual(dead.map((b) => b.toString('hex')).sort(),
        [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('hex'), Buffer.from('not json').toString('hex')].sort());
    } finally {
      await conn.close();
    }
    assert.equal(await queueDepth('e2e-raw'), 0);
    assert.equal(await queueDepth('e2e-env'), 0);
  });
});

describe('dedupe_window: a message_id is one message', () => {
  let server;
  before(async () => {
    server = await startWithRules('dedupe.toml', [
      '[[ingress]]', 'name = "orders"', 'source = "rabbitmq"', 'queue = "e2e-dedupe"',
      'declare = "create"', 'target = "all"', 'format = "raw"', 'dedupe_window = "1m"',
    ]);
  });
  after(() => server.stop());

  test('republished with the same message_id within the window: once; without an id: each', async () => {
    const c = await rawClient(server);
    // m1 twice (its second copy with other bytes, as a publisher retrying may send), m2 once,
    // and two equal bodies without an id: distinct messages of the queue.
    for (const [body, options] of [['first', { messageId: 'm1' }], ['retried', { messageId: 'm1' }],
      ['other', { messageId: 'm2' }], ['plain', {}], ['plain', {}]]) {
      await publishAll('e2e-dedupe', [body], options);
    }
    await eventually(async () => assert.equal(
      await metric(server, 'switchboard_ingress_deduplicated_total', { rule: 'orders' }), 1),
    { what: 'the second m1 deduplicated', timeoutMs: 10000 });
    await eventually(() => assert.equal(c.frames.length, 4), { what: 'four messages', timeoutMs: 10000 });
    assert.deepEqual(c.frames.map((f) => f.text).sort(), ['first', 'other', 'plain', 'plain']);
    await eventually(async () => assert.equal(await queueDepth('e2e-dedupe'), 0), { what: 'every one acked' });
  });
});

describe('consumers = "every": a queue of each node\'s own, bound to the exchange', () => {
  // Two nodes on the memory engine (they share nothing): each must get the message itself.
  const rule = ['[[ingress]]', 'name = "news"', 'source = "rabbitmq"', 'queue = "e2e-news"',
    'exchange = "e2e-news"', 'bindings = ["news.#"]', 'consumers = "every"', 'target = "all"', 'format = "raw"'];
  const servers = [];
  before(async () => {
    for (const id of ['every-a', 'every-b']) {
      servers.push(await startWithRules(`every-${id}.toml`, rule, ['--engine', 'memory', '--node-id', id]));
    }
  });
  after(async () => { for (const s of servers) await s.stop(); });

  test('a message on the exchange reaches the clients of both nodes; their queues go with them', async () => {
    const clients = [await rawClient(servers[0]), await rawClient(servers[1])];
    await rabbit.publish('news.sport', 'goal', { exchange: 'e2e-news' });
    await rabbit.publish('weather', 'unbound key', { exchange: 'e2e-news' });
    await rabbit.publish('news.local', 'fair', { exchange: 'e2e-news' });
    for (const c of clients) {
      await eventually(() => assert.deepEqual(c.frames.map((f) => f.text), ['goal', 'fair']),
        { what: 'both messages at each node', timeoutMs: 10000 });
    }
    assert.equal(await queueDepth('e2e-news.every-a'), 0);
    assert.equal(await queueDepth('e2e-news.every-b'), 0);
    assert.equal(await queueDepth('e2e-news'), undefined, 'no shared queue');
    // Exclusive and auto-delete: a node that stops takes its queue along.
    await servers[1].stop();
    servers.pop();
    await eventually(async () => assert.equal(await queueDepth('e2e-news.every-b'), undefined),
      { what: 'the stopped node\'s queue deleted' });
  });
});

describe('at least once', () => {
  test('1,000 confirmed messages, the node SIGKILLed mid-way and restarted: every one reached a client', async () => {
    // Batches of up to 500 held 5 s: the first batch of each run waits long enough for the
    // run's client to connect (a broadcast reaches only the clients connected at that moment,
    // so what matters is that nothing is acknowledged before it reached the node's clients),
    // and the kill falls between the two batches. (2 s was too short on a loaded machine: the
    // restarted node's first batch went out before its client had connected.)
    const config = writeConfig('alo.toml', [
      'allow_anonymous = true', 'send_connected = false', 'ws_path = "/"',
      '[[ingress]]', 'name = "alo"', 'source = "rabbitmq"', 'queue = "e2e-alo"',
      'target = "all"', 'format = "raw"', 'batch_interval = "5s"', 'prefetch = 500', '',
    ].join('\n'));
    const ids = Array.from({ length: 1000 }, (_, i) => `m-${i}`);
    const setup = await rabbit.connect();
    await (await setup.createChannel()).assertQueue('e2e-alo', { durable: true });
    await setup.close();
    await publishAll('e2e-alo', ids);

    const first = await Server.start({ args: ['--config', config, '--amqp-url', rabbit.url], jwtSecret: null });
    const a = await rawClient(first);
    await eventually(() => assert.ok(a.frames.length >= 1), { what: 'the first batch', timeoutMs: 15000 });
    // The kill must fall between the batches, not while the first is still being written to
    // the client: what a node acknowledged and had not written yet dies with it (docs/ingress.md;
    // 21 of a 32-message first batch once, under ASan).
    await eventually(async () => {
      const delivered = await metric(first, 'switchboard_ingress_delivered_total', { rule: 'alo' });
      assert.ok(delivered > 0 && a.frames.length === delivered, `${a.frames.length} of ${delivered} at the client`);
    }, { what: 'the first batch written to the client', timeoutMs: 15000 });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('close', resolve));
    // What the killed node wrote may still be in the client's socket: every frame before the
    // close is read by the time the close is seen. (Counting at the process's exit lost 61 ids
    // once under ASan: written by the first node, not yet read, then never sent again.)
    await a.waitClose(15000);
    const got = new Set(a.frames.map((f) => f.text));
    assert.ok(got.size < 1000, 'the kill came before the second batch');

    // The restarted node's client must be connected before that node's first batch goes out.
    // Rather than trust the 5 s to cover a start under a sanitizer, the test holds what the
    // killed node left unacknowledged (a consumer of its own that acknowledges nothing) until
    // that client is there, then gives it back to the queue (closing its connection requeues).
    const holder = await rabbit.connect();
    let held = 0;
    try {
      const holding = await holder.createChannel();
      await holding.prefetch(1000);
      await holding.consume('e2e-alo', () => { held++; }, { noAck: false });
      await eventually(async () => {
        const counts = await queueCounts('e2e-alo');
        assert.ok(held > 0, 'the test holds the rest');
        assert.deepEqual(counts, { ready: 0, unacked: held });
      }, { what: 'every message left held by the test', timeoutMs: 15000 });
    } catch (err) {
      await holder.close();
      throw err;
    }
    const second = await Server.start({ args: ['--config', config, '--amqp-url', rabbit.url], jwtSecret: null });
    try {
      const b = await rawClient(second);
      await holder.close();
      await eventually(async () => assert.equal(await queueDepth('e2e-alo'), 0), { what: 'e2e-alo drained', timeoutMs: 30000 });
      try {
        await eventually(() => {
          const all = new Set([...got, ...b.frames.map((f) => f.text)]);
          assert.deepEqual(ids.filter((id) => !all.has(id)), []);
        }, { what: 'every id at some client', timeoutMs: 10000 });
      } catch (err) {
        // What the restarted node says it did with them (it failed once under ASan in CI with
        // the queue drained and nothing at the client).
        const counters = {};
        for (const name of ['received', 'delivered', 'rejected', 'dropped', 'retries', 'batches']) {
          counters[name] = (await second.get('/metrics')).text.split('\n')
            .filter((l) => l.startsWith(`switchboard_ingress_${name}_total`)).join('; ');
        }
        const missing = ids.filter((id) => !got.has(id) && !b.frames.some((f) => f.text === id));
        err.message += `\nmissing ${missing.length} (${missing[0]} … ${missing[missing.length - 1]}); ` +
          `first node's client ${got.size}, second's ${b.frames.length} frames, closed ${JSON.stringify(b.closeInfo)}\n` +
          `${JSON.stringify(counters)}\nsecond node's output:\n${second.output()}`;
        throw err;
      }
    } finally {
      await second.stop();
    }
  });
});
