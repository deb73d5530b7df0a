// Seed 004 from examples/seeds/004.toml: two pods on one Redis (registry, presence, offline
// store, history) with RabbitMQ between them (broker = "rabbitmq"). SendToUser through pod A
// reaches the user's connection on pod B as the seed's envelope — channel user:<id>, its id,
// requires_ack — over pod B's own queue, bound by the key of the user's channel; unacked it is
// sent again, acked it stops. A client from an origin the file does not list is refused.
// RabbitMQ restarted under the pods: a send meanwhile fails with 503 (the caller knows), the
// pods bind their queues again, and the user gets what is sent afterwards.
// One private RabbitMQ node and one Redis for the file.
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Server, Client, eventually, metric } = require('./support');
const { RabbitMqServer } = require('./rabbitmq_support');
const { RedisServer } = require('./redis_support');

const SEEDS = path.join(__dirname, '..', '..', 'examples', 'seeds');
const ORIGIN = 'http://localhost:3000';

let rabbit;
let redis;
let pods = [];

before(async () => {
  [rabbit, redis] = await Promise.all([RabbitMqServer.start(), RedisServer.start()]);
  // REDIS_URL and AMQP_URL as the seed's environment names them; a short first retry so that
  // the test sees one.
  pods = await Promise.all(['pod-a', 'pod-b'].map((id) => Server.start({
    args: ['--config', path.join(SEEDS, '004.toml'), '--node-id', id, '--ack-retry-initial', '300ms'],
    env: { REDIS_URL: redis.url, AMQP_URL: rabbit.url },
  })));
  for (const pod of pods) {
    await eventually(async () => assert.equal((await pod.get('/ready')).status, 200),
      { what: `pod on ${pod.port} ready`, timeoutMs: 15000 });
  }
});

afterEach(() => Client.closeAll());

after(async () => {
  await Promise.all(pods.map((p) => p.stop()));
  if (redis) await redis.stop();
  if (rabbit) await rabbit.stop();
});

async function connectUser(pod, user) {
  const c = await Client.connect(pod, { token: pod.token(user), headers: { Origin: ORIGIN } });
  await eventually(async () => {
    const res = await pods[0].api('GET', `/api/users/${user}`);
    assert.equal(res.json.online, true);
  }, { what: `${user} online in the registry` });
  return c;
}

function sendToUser(pod, user, id, text) {
  return pod.api('POST', '/api/send',
    { user_id: user, type: 'notification', id, requires_ack: true, payload: { text } });
}

test('SendToUser on pod A reaches the user on pod B over RabbitMQ, again until acked', async () => {
  const [a, b] = pods;
  const device = await connectUser(b, 'user-123');
  const receivedBefore = await metric(b, 'switchboard_gateway_broker_received_total', { kind: 'channel' });

  const res = await sendToUser(a, 'user-123', 'msg-123', 'You have a new alert!');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.status, 'sent');
  const first = await device.next('notification');
  assert.equal(first.channel, 'user:user-123');
  assert.equal(first.id, 'msg-123');
  assert.equal(first.requires_ack, true);
  assert.equal(typeof first.offset, 'number');
  assert.deepEqual(first.payload, { text: 'You have a new alert!' });
  assert.equal(await metric(b, 'switchboard_gateway_broker_received_total', { kind: 'channel' }),
    receivedBefore + 1, 'it came to pod B through the broker');

  const again = await device.next('notification', 5000);  // not acked: resent (300 ms, doubling)
  assert.equal(again.id, 'msg-123');
  device.send({ type: 'ack', payload: { id: 'msg-123' } });
  await device.expectNone('notification', 1500);  // past the next two retries

  // RabbitMQ carried it: pod B's queue is bound with the user's channel.
  const bindings = await rabbit.ctl('list_bindings', 'source_name', 'destination_name', 'routing_key');
  assert.match(bindings, /^switchboard\tswitchboard\.node\.pod-b\tc\.user:user-123$/m);
});

test('a client from an origin the file does not list is refused', async () => {
  await assert.rejects(
    Client.connect(pods[0], { token: pods[0].token('user-9'), headers: { Origin: 'http://evil.example' } }),
    /403/);
});

test('RabbitMQ restarted under the pods: a send meanwhile fails with 503, and after it the user gets what is sent', async () => {
  const [a, b] = pods;
  const device = await connectUser(b, 'user-456');
  // Pod B's binding for the user's channel is in place (a send gets through) before the kill:
  // a subscribe still pending when RabbitMQ dies fails, and the client is told (unsubscribed).
  await eventually(async () => {
    const res = await sendToUser(a, 'user-456', `before-${Date.now()}`, 'before');
    assert.equal(res.status, 200, res.text);
    const m = await device.next((x) => x.type === 'notification' && x.payload.text === 'before', 1000);
    device.send({ type: 'ack', payload: { id: m.id } });
  }, { what: 'a send reaching pod B before the kill', timeoutMs: 15000, intervalMs: 200 });
  await rabbit.kill();
  await eventually(async () => {
    const res = await sendToUser(a, 'user-456', `down-${Date.now()}`, 'while down');
    assert.equal(res.status, 503, res.text);
  }, { what: 'pod A failing sends while RabbitMQ is down', timeoutMs: 20000 });
  await rabbit.restart();
  // Pod A's connection and pod B's bindings come back (reconnect backoff up to 5 s).
  await eventually(async () => {
    const res = await sendToUser(a, 'user-456', `back-${Date.now()}`, 'after');
    assert.equal(res.status, 200, res.text);
    const m = await device.next((x) => x.type === 'notification' && x.payload.text === 'after', 1000);
    device.send({ type: 'ack', payload: { id: m.id } });
  }, { what: 'a send through pod A reaching pod B again', timeoutMs: 30000, intervalMs: 200 });
});
