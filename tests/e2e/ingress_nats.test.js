// Broker ingress from NATS (docs/ingress.md): subjects with '*' and '>' captured into channel
// and user names, a queue group giving each message to one node of a Redis-engine cluster
// (delivered once to each client), and the NATS server down at start, killed and restarted
// while the node keeps serving.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Server, Client, eventually, metric } = require('./support');
const { NatsServer } = require('./nats_support');
const { RedisServer } = require('./redis_support');
const { sourceUp, sourceDown } = require('./ingress_support');

const RULES = `
[[ingress]]
name = "orders"
source = "nats"
subjects = ["orders.*.created"]
target = "channel"
channel = "orders:{1}"
event = "order.created"

[[ingress]]
name = "inbox"
source = "nats"
subjects = ["inbox.>"]
target = "user"
user = "{1}"
`;

function configFile(text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ingress-nats-'));
  const file = path.join(dir, 'switchboard.toml');
  fs.writeFileSync(file, text);
  return file;
}



describe('one node on the memory engine', () => {
  let nats;
  let server;
  let source;
  before(async () => {
    nats = await NatsServer.start();
    server = await Server.start({
      args: ['--config', configFile(RULES), '--nats-url', nats.url, '--public-channels', 'orders:*'],
    });
    source = `ingress nats 127.0.0.1:${nats.port}`;
    await sourceUp(server, source);
  });
  after(async () => { await Client.closeAll(); await server.stop(); await nats.stop(); });
  afterEach(() => Client.closeAll());

  test("a subject's '*' names the channel, '>' the user", async () => {
    const c = await Client.authed(server, 'u.n1');
    await c.subscribe(['orders:eu']);
    const other = await Client.authed(server, 'u2');
    await nats.publish('orders.eu.created', '{"id":7}');
    const m = await c.next('order.created');
    assert.equal(m.channel, 'orders:eu');
    assert.deepEqual(m.payload, { id: 7 });
    // '>' takes the rest of the subject, dots included: user "u.n1".
    await nats.publish('inbox.u.n1', '{"type":"mail","payload":{"from":"x"}}');
    const mail = await c.next('mail');
    assert.equal(mail.channel, 'user:u.n1');
    assert.deepEqual(mail.payload, { from: 'x' });
    await other.expectNone('mail');
    // Not matching the rule's whole subject: nothing (NATS does not deliver it).
    await nats.publish('orders.eu.deleted', '{}');
    await c.expectNone('order.created');
  });

  test('killed: /health degraded, /ready 200; restarted: subscribed again and delivering', async () => {
    const c = await Client.authed(server, 'u3');
    await c.subscribe(['orders:us']);
    await nats.kill();
    await sourceDown(server, source);
    const connects = await metric(server, 'switchboard_ingress_connects_total', { source });
    await nats.restart();
    await sourceUp(server, source);
    assert.equal(await metric(server, 'switchboard_ingress_connects_total', { source }), connects + 1);
    // The library resubscribes after its reconnect; a message right after may race it.
    await eventually(async () => {
      await nats.publish('orders.us.created', '{"n":1}');
      await c.next('order.created', 500);
    }, { what: 'delivery after the restart', timeoutMs: 10000 });
  });
});

describe('down at start', () => {
  test('the node starts and serves; the source comes up with the server', async () => {
    const nats = await NatsServer.start();
    await nats.kill();
    const server = await Server.start({ args: ['--config', configFile(RULES), '--nats-url', nats.url] });
    try {
      const source = `ingress nats 127.0.0.1:${nats.port}`;
      assert.equal((await server.get('/ready')).status, 200);
      assert.equal(await metric(server, 'switchboard_ingress_source_up', { source }), 0);
      await nats.restart();
      await sourceUp(server, source);
      const c = await Client.authed(server, 'late');
      await eventually(async () => {
        await nats.publish('inbox.late', '{"type":"hello","payload":{}}');
        await c.next('hello', 500);
      }, { what: 'delivery once up', timeoutMs: 10000 });
    } finally {
      await Client.closeAll();
      await server.stop();
      await nats.stop();
    }
  });
});

describe('two nodes on the Redis engine: a queue group, one delivery', () => {
  let nats;
  let redis;
  let nodes;
  before(async () => {
    nats = await NatsServer.start();
    redis = await RedisServer.start();
    const file = configFile(RULES);
    nodes = await Promise.all([0, 1].map((i) => Server.start({
      args: ['--config', file, '--nats-url', nats.url, '--redis-url', redis.url,
        '--redis-prefix', 'e2e-ingress-nats:', '--node-id', `n${i}`, '--public-channels', 'orders:*'],
    })));
    for (const n of nodes) await sourceUp(n, `ingress nats 127.0.0.1:${nats.port}`);
  });
  after(async () => {
    await Client.closeAll();
    await Promise.all(nodes.map((n) => n.stop()));
    await nats.stop();
    await redis.stop();
  });

  test('each message reaches each subscriber once, consumed by one node', async () => {
    const clients = await Promise.all(nodes.map((n, i) => Client.authed(n, `sub${i}`)));
    for (const c of clients) await c.subscribe(['orders:asia']);
    const count = 40;
    const nc = await nats.connect();
    for (let i = 0; i < count; i++) nc.publish('orders.asia.created', new TextEncoder().encode(`{"n":${i}}`));
    await nc.flush();
    await nc.close();
    for (const c of clients) {
      const got = [];
      for (let i = 0; i < count; i++) got.push((await c.next('order.created')).payload.n);
      assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
      await c.expectNone('order.created');
    }
    // NATS gave each to one member of the group: the nodes' deliveries add up to the count.
    let delivered = 0;
    for (const n of nodes) delivered += await metric(n, 'switchboard_ingress_delivered_total', { rule: 'orders' });
    assert.equal(delivered, count);
  });
});
