// Broker subscriptions that come and go fast on the Redis engine: one node on a private Redis,
// where every subscribe and unsubscribe of a channel is a SUBSCRIBE / UNSUBSCRIBE whose
// confirmation comes later. A device of a user that connects right after the user's previous
// device closed (the node's UNSUBSCRIBE of `user:<id>` maybe still in flight), and a channel
// left and joined again before the broker answered (three requests back to back: this one
// overlaps the calls every round), must each end up delivered: the node's subscription converges
// to what its clients want whatever the order of the answers.
//
// The barrier is an explicit `subscribe` of the user's own room: its `subscribed` reply waits
// for the broker's confirmation of the room (as auth.success does too: docs/protocol.md).
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, eventually, metric } = require('./support');
const { RedisServer } = require('./redis_support');

const ROUNDS = 40;

let redis;
let server;

before(async () => {
  redis = await RedisServer.start();
  server = await Server.start({
    // Rate limits well above the rounds' requests: these clients send in bursts on purpose.
    args: ['--redis-url', redis.url, '--redis-prefix', 'e2e-churn:', '--public-channels', 'room:*',
      '--client-rate', '10000', '--client-burst', '10000', '--user-rate', '10000', '--user-burst', '10000'],
  });
  await eventually(async () => assert.equal((await server.get('/ready')).status, 200),
    { what: 'node ready', timeoutMs: 10000 });
});

afterEach(() => Client.closeAll());

after(async () => {
  if (server) await server.stop();
  if (redis) await redis.stop();
});

async function sendToUser(user, payload) {
  const res = await server.api('POST', '/api/send', { user_id: user, type: 'dm', payload });
  assert.equal(res.status, 200, res.text);
}

async function publish(channel, payload) {
  const res = await server.api('POST', '/api/publish', { channel, type: 'msg', payload });
  assert.equal(res.status, 200, res.text);
}

// Redis's side of the node's subscription: how many subscribers the Pub/Sub channel has.
async function redisSubscribers(channel) {
  const lines = (await redis.cli('PUBSUB', 'NUMSUB', `e2e-churn:c:${channel}`)).split('\n');
  return Number(lines[1] || 0);
}

test('a device connecting right after the previous one closed receives what is sent to its user', async () => {
  const user = 'churn-user';
  let previous = await Client.authed(server, user);
  await previous.subscribe([`user:${user}`]);
  for (let round = 0; round < ROUNDS; round++) {
    // The next device is connected before the previous one closes and authenticates (joins the
    // room) right after the close was sent. On loopback the node's UNSUBSCRIBE is usually
    // answered before the join (an admission through the registry comes first): the overlap
    // itself is deterministic in node_gateway_tests (DeferredEngine); this is the whole path.
    const device = await Client.connect(server);
    const closing = previous.close();
    if (round % 2 === 1) await closing;  // and every other round the close lands first
    await device.auth(server.token(user));
    await device.subscribe([`user:${user}`]);
    await closing;
    await sendToUser(user, { round });
    const got = await device.next('dm', 3000).catch((e) => {
      throw new Error(`round ${round}: ${e.message}`);
    });
    assert.deepEqual(got.payload, { round });
    previous = device;
  }
  assert.equal(await redisSubscribers(`user:${user}`), 1, 'Redis delivers the room to the node');
  await previous.close();
  await eventually(async () => assert.equal(await redisSubscribers(`user:${user}`), 0),
    { what: 'the room unsubscribed on Redis once nobody holds it' });
});

test('devices of one user opening and closing on both workers: the last one still receives', async () => {
  const user = 'churn-many';
  for (let round = 0; round < ROUNDS / 4; round++) {
    const devices = await Promise.all([0, 1, 2, 3].map(() => Client.authed(server, user)));
    // All but the last close at once, racing the last one's own-room confirmation.
    const keep = devices.pop();
    await Promise.all([...devices.map((d) => d.close()), keep.subscribe([`user:${user}`])]);
    await sendToUser(user, { round });
    assert.deepEqual((await keep.next('dm', 3000)).payload, { round }, `round ${round}`);
    await keep.close();
  }
});

test('a channel unsubscribed and subscribed again before the broker answered is delivered', async () => {
  const client = await Client.authed(server, 'churn-channels');
  for (let round = 0; round < ROUNDS; round++) {
    const channel = `room:churn-${round % 3}`;
    // Three requests back to back: the node sees the unsubscribe while the first SUBSCRIBE is
    // unconfirmed, and the resubscribe while the UNSUBSCRIBE is.
    client.send({ type: 'subscribe', payload: { channels: [channel] } });
    client.send({ type: 'unsubscribe', payload: { channels: [channel] } });
    client.send({ type: 'subscribe', payload: { channels: [channel] } });
    const left = await client.next(['unsubscribed', 'error']);
    assert.equal(left.type, 'unsubscribed', `round ${round}: ${JSON.stringify(left)}`);
    // The first `subscribed` may name nothing (the channel left before its answer): the
    // second names the channel, once the broker confirmed it.
    const first = await client.next(['subscribed', 'error']);
    assert.equal(first.type, 'subscribed', `round ${round}: ${JSON.stringify(first)}`);
    const second = await client.next(['subscribed', 'error']);
    assert.deepEqual(second.payload.channels, [channel], `round ${round}: ${JSON.stringify(second)}`);
    await publish(channel, { round });
    const got = await client.next('msg', 3000).catch((e) => {
      throw new Error(`round ${round}: ${e.message}`);
    });
    assert.deepEqual(got.payload, { round });
    await client.unsubscribe([channel]);
  }
  for (const n of [0, 1, 2]) {
    await eventually(async () => assert.equal(await redisSubscribers(`room:churn-${n}`), 0),
      { what: `room:churn-${n} unsubscribed on Redis` });
  }
  assert.equal(await metric(server, 'switchboard_gateway_engine_errors_total', { op: 'subscribe' }), 0);
});
