// Three nodes on one private redis-server behave as one gateway, whichever broker carries
// publications between them (cluster.test.js: Redis Pub/Sub; cluster_rabbitmq.test.js,
// cluster_nats.test.js: the relay brokers, docs/engine.md "Relay brokers"): a client may
// connect to any node and sees what it would see on a single node — channel fan-out, send-to-user
// to devices on two nodes (and nothing reaching the third), history, late-joiner replay and
// recovery on another node, room snapshots set through one node (server API or a snapshot-type
// publication) that a joiner on another node gets before the replayed events, presence, typing,
// online status, acknowledged messages kept offline and delivered on another node,
// /api/disconnect across nodes, presence.join and presence.leave once per user however many
// nodes hold their connections, and the per-user connection limit counted on every node (a
// pair of nodes of their own).
//
//   const { clusterSuite } = require('./cluster_suite');
//   clusterSuite({ brokerArgs = async () => [], stopBroker = async () => {} })
//     brokerArgs() runs in before() and gives the flags every node gets on top of Redis's
//     (e.g. --broker rabbitmq --amqp-url …); stopBroker() runs in after().
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, eventually } = require('./support');
const { RedisServer } = require('./redis_support');

function clusterSuite({ brokerArgs = async () => [], stopBroker = async () => {} } = {}) {
  let redis;
  let nodes = [];
  let broker = [];

  const PREFIX = 'e2e-cluster:';

  function nodeArgs(i, extra = []) {
    return ['--redis-url', redis.url, '--redis-prefix', PREFIX, '--node-id', `node-${i}`,
      '--public-channels', 'room:*', '--history-size', '50', '--presence-leave-delay', '0',
      '--snapshot-types', 'BoardUpdate', ...broker, ...extra];
  }

  before(async () => {
    redis = await RedisServer.start();
    broker = await brokerArgs();
    nodes = await Promise.all([0, 1, 2].map((i) => Server.start({ args: nodeArgs(i) })));
    for (const n of nodes) {
      await eventually(async () => assert.equal((await n.get('/ready')).status, 200),
        { what: `node on ${n.port} ready`, timeoutMs: 10000 });
    }
  });

  afterEach(() => Client.closeAll());

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (redis) await redis.stop();
    await stopBroker();
  });

  async function publish(node, channel, payload, type = 'msg') {
    const res = await node.api('POST', '/api/publish', { channel, type, payload });
    assert.equal(res.status, 200, res.text);
    return res.json;
  }

  // Publications this node received from the broker, by kind (channel | node), from /metrics.
  async function brokerReceived(node) {
    const text = (await node.get('/metrics')).text;
    const out = { channel: 0, node: 0 };
    for (const kind of Object.keys(out)) {
      const m = text.match(new RegExp(`^switchboard_gateway_broker_received_total\\{kind="${kind}"\\} (\\d+)$`, 'm'));
      assert.ok(m, `switchboard_gateway_broker_received_total{kind="${kind}"} missing from /metrics`);
      out[kind] = Number(m[1]);
    }
    return out;
  }

  test('a publication through one node reaches the subscribers on every node, once each, with one offset', async () => {
    const channel = 'room:fanout';
    const clients = await Promise.all(nodes.map((n, i) => Client.authed(n, `fan-${i}`)));
    await Promise.all(clients.map((c) => c.subscribe([channel])));
    const first = await publish(nodes[0], channel, { n: 1 });
    const second = await publish(nodes[2], channel, { n: 2 });
    assert.equal(second.offset, first.offset + 1, 'one stream, whichever node publishes');
    assert.equal(second.epoch, first.epoch);
    for (const c of clients) {
      const a = await c.next((m) => m.type === 'msg' && m.channel === channel);
      const b = await c.next((m) => m.type === 'msg' && m.channel === channel);
      assert.deepEqual([a.payload, b.payload], [{ n: 1 }, { n: 2 }]);
      assert.deepEqual([a.offset, b.offset], [first.offset, second.offset]);
      await c.expectNone((m) => m.type === 'msg' && m.channel === channel);
    }
  });

  test('send-to-user reaches the devices on two nodes, and nothing reaches the third node', async () => {
    const phone = await Client.authed(nodes[0], 'dana');
    const laptop = await Client.authed(nodes[1], 'dana');
    const before = await Promise.all(nodes.map(brokerReceived));
    const res = await nodes[2].api('POST', '/api/send', { user_id: 'dana', type: 'dm', payload: { hi: 1 } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'sent');
    assert.deepEqual((await phone.next('dm')).payload, { hi: 1 });
    assert.deepEqual((await laptop.next('dm')).payload, { hi: 1 });
    const afterCounts = await Promise.all(nodes.map(brokerReceived));
    assert.equal(afterCounts[0].channel - before[0].channel, 1, 'node 0 holds a device');
    assert.equal(afterCounts[1].channel - before[1].channel, 1, 'node 1 holds a device');
    assert.equal(afterCounts[2].channel - before[2].channel, 0, 'no all-nodes broadcast');
    assert.equal(afterCounts[2].node - before[2].node, 0);
  });

  test('history: a late joiner on another node gets the last events, and a client reconnecting elsewhere recovers', async () => {
    const channel = 'room:history';
    const early = await Client.authed(nodes[0], 'early');
    await early.subscribe([channel]);
    const e1 = await publish(nodes[0], channel, { n: 1 });
    const got = await early.next((m) => m.type === 'msg' && m.channel === channel);
    assert.equal(got.offset, e1.offset);
    await early.close();
    await publish(nodes[1], channel, { n: 2 });
    await publish(nodes[2], channel, { n: 3 });

    const back = await Client.authed(nodes[2], 'early');
    back.send({ type: 'subscribe', payload: { channel, offset: e1.offset, epoch: e1.epoch } });
    const position = await back.next(['recovered', 'not_recovered']);
    assert.equal(position.type, 'recovered', JSON.stringify(position));
    const missed = [await back.next((m) => m.type === 'msg'), await back.next((m) => m.type === 'msg')];
    assert.deepEqual(missed.map((m) => m.payload), [{ n: 2 }, { n: 3 }]);

    const late = await Client.authed(nodes[1], 'late');
    late.send({ type: 'subscribe', payload: { channel, replay: true } });
    await late.next('subscribed');
    await late.next(['recovered', 'not_recovered']);
    const replayed = [];
    for (let i = 0; i < 3; i++) replayed.push((await late.next((m) => m.type === 'msg')).payload);
    assert.deepEqual(replayed, [{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  // What a joiner got on `channel` from index `from` on (subscribed, snapshot, position, events).
  function typesSince(client, from, channel) {
    return client.messages.slice(from)
      .filter((m) => m.type === 'subscribed' || m.channel === channel ||
        (m.payload && m.payload.channel === channel))
      .map((m) => m.type);
  }

  // A joiner on `node` subscribing with replay: everything up to the `count`th replayed event.
  async function join(node, user, channel, count) {
    const joiner = await Client.authed(node, user);
    const from = joiner.messages.length;
    joiner.send({ type: 'subscribe', payload: { channels: [channel], replay: true } });
    await joiner.next('subscribed');
    for (let i = 0; i < count; i++) await joiner.next((m) => m.channel === channel && m.offset !== undefined);
    return { joiner, types: typesSince(joiner, from, channel), snapshot: joiner.messages.slice(from).find((m) => m.type === 'snapshot') };
  }

  test('a snapshot set through one node\'s API reaches a joiner on another node before the replayed events', async () => {
    const channel = 'room:snapshot-api';
    await publish(nodes[0], channel, { n: 1 });
    const res = await nodes[0].api('POST', '/api/snapshot', { channel, payload: { cells: [1, 0, 1] } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'stored');
    await publish(nodes[1], channel, { n: 2 });
    const { types, snapshot } = await join(nodes[2], 'snap-api', channel, 2);
    assert.deepEqual(types, ['subscribed', 'snapshot', 'recovered', 'msg', 'msg'], 'order seen by the joiner');
    assert.equal(snapshot.channel, channel);
    assert.deepEqual(snapshot.payload, { cells: [1, 0, 1] });
  });

  test('the payload of a snapshot-type publication through one node is the snapshot a joiner on another node gets', async () => {
    const channel = 'room:snapshot-typed';
    await publish(nodes[1], channel, { cells: ['x'] }, 'BoardUpdate');
    const first = await join(nodes[2], 'snap-typed', channel, 1);
    assert.deepEqual(first.types, ['subscribed', 'snapshot', 'recovered', 'BoardUpdate']);
    assert.deepEqual(first.snapshot.payload, { cells: ['x'] });
    // A second state within snapshot_interval (1 s) waits on node 1, which writes it once the
    // interval has passed (its once-a-second tick): within ~2 s; the bound is for a loaded machine.
    await publish(nodes[1], channel, { cells: ['x', 'o'] }, 'BoardUpdate');
    let n = 0;
    await eventually(async () => {
      const later = await join(nodes[0], `snap-typed-${++n}`, channel, 2);
      assert.deepEqual(later.types, ['subscribed', 'snapshot', 'recovered', 'BoardUpdate', 'BoardUpdate']);
      assert.deepEqual(later.snapshot.payload, { cells: ['x', 'o'] });
    }, { timeoutMs: 10000, intervalMs: 250, what: 'the newest state reaching a joiner on node 0' });
  });

  test('presence, typing and online status span the nodes', async () => {
    const channel = 'room:presence';
    const ann = await Client.authed(nodes[0], 'ann');
    const ben = await Client.authed(nodes[1], 'ben');
    await ann.subscribe([channel]);
    await ben.subscribe([channel]);
    await eventually(async () => {
      const res = await nodes[2].api('GET', `/api/presence?channel=${encodeURIComponent(channel)}`);
      assert.equal(res.status, 200, res.text);
      const users = res.json.members.map((m) => m.user_id).sort();
      assert.deepEqual(users, ['ann', 'ben']);
      assert.deepEqual(res.json.members.map((m) => m.node).sort(), ['node-0', 'node-1']);
    }, { what: 'presence of ann and ben seen from node 2' });
    ann.send({ type: 'typing', payload: { channel } });
    const typing = await ben.next('typing.start');
    assert.equal(typing.payload.user_id, 'ann');
    const online = await nodes[2].api('GET', '/api/users/ben');
    assert.equal(online.status, 200, online.text);
    assert.equal(online.json.online, true, 'ben is connected to node 1');
  });

  test('an acknowledged message for a user connected nowhere is kept and delivered when they connect to another node', async () => {
    const res = await nodes[0].api('POST', '/api/send',
      { user_id: 'olga', type: 'notify', payload: { n: 1 }, requires_ack: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'stored_offline');
    const olga = await Client.authed(nodes[2], 'olga');
    const m = await olga.next('notify');
    assert.deepEqual(m.payload, { n: 1 });
    assert.equal(m.requires_ack, true);
    olga.send({ type: 'ack', payload: { id: m.id } });
  });

  test('/api/disconnect through one node closes the user\'s connections on every node', async () => {
    const a = await Client.authed(nodes[0], 'kick');
    const b = await Client.authed(nodes[1], 'kick');
    const res = await nodes[2].api('POST', '/api/disconnect', { user_id: 'kick' });
    assert.equal(res.status, 202, res.text);
    const [ca, cb] = await Promise.all([a.waitClose(), b.waitClose()]);
    assert.equal(ca.code, cb.code);
    assert.equal(ca.code, 4010, 'disconnected by the server');
  });

  // The presence entries of `user` in `channel`, as `node` lists them.
  async function entriesOf(node, channel, user) {
    const res = await node.api('GET', `/api/presence?channel=${encodeURIComponent(channel)}`);
    assert.equal(res.status, 200, res.text);
    return res.json.members.filter((m) => m.user_id === user).length;
  }

  test('a user connected to two nodes joins once, and leaves once their last connection anywhere closed', async () => {
    const channel = 'room:twice';
    const isJoin = (m) => m.type === 'presence.join' && m.payload.user_id === 'pia';
    const isLeave = (m) => m.type === 'presence.leave' && m.payload.user_id === 'pia';
    const watcher = await Client.authed(nodes[2], 'watcher');
    await watcher.subscribe([channel]);
    const first = await Client.authed(nodes[0], 'pia');
    await first.subscribe([channel]);
    await watcher.next(isJoin);
    const second = await Client.authed(nodes[1], 'pia');
    await second.subscribe([channel]);
    await eventually(async () => assert.equal(await entriesOf(nodes[2], channel, 'pia'), 2),
      { what: 'both of pia\'s entries in the store' });
    await watcher.expectNone(isJoin);

    await first.close();  // she is still connected to node 1
    await eventually(async () => assert.equal(await entriesOf(nodes[2], channel, 'pia'), 1),
      { what: 'node 0\'s entry removed' });
    await watcher.expectNone(isLeave);

    await second.close();  // her last connection (--presence-leave-delay 0)
    await watcher.next(isLeave);
    await watcher.expectNone(isLeave);
    await watcher.expectNone(isJoin);
  });

  test('the per-user connection limit counts the user\'s connections on every node', async () => {
    // Two nodes of their own (another prefix: another cluster on the same Redis), so that the
    // limit of 2 does not touch the other tests' users.
    const pair = await Promise.all([0, 1].map((i) => Server.start({
      args: ['--redis-url', redis.url, '--redis-prefix', 'e2e-cluster-limit:', '--node-id',
        `limit-${i}`, '--max-connections-per-user', '2', ...broker, '--broker-prefix', 'e2e-limit'],
    })));
    try {
      for (const n of pair) {
        await eventually(async () => assert.equal((await n.get('/ready')).status, 200),
          { what: `node on ${n.port} ready`, timeoutMs: 10000 });
      }
      const connectionsOf = async (node) => {
        const res = await node.api('GET', '/api/users/lim');
        assert.equal(res.status, 200, res.text);
        return res.json.connections;
      };
      const refused = async (node) => {
        const c = await Client.connect(node, { token: node.token('lim') });
        const reply = await c.next(['auth.success', 'auth.error']);
        assert.equal(reply.type, 'auth.error', JSON.stringify(reply));
        assert.equal(reply.payload.code, 'too_many_connections');
        assert.equal((await c.waitClose()).code, 4003);
      };
      const onFirst = await Client.authed(pair[0], 'lim');
      await Client.authed(pair[1], 'lim');  // at the limit: one connection on each node
      await refused(pair[0]);
      await refused(pair[1]);
      assert.equal(await connectionsOf(pair[0]), 2, 'every node reports the cluster\'s count');
      assert.equal(await connectionsOf(pair[1]), 2, 'a refused connection holds nothing');

      await onFirst.close();
      await eventually(async () => assert.equal(await connectionsOf(pair[1]), 1),
        { what: 'the closed connection\'s lease removed' });
      await Client.authed(pair[1], 'lim');  // room again
      await refused(pair[0]);
    } finally {
      await Client.closeAll();
      await Promise.all(pair.map((n) => n.stop()));
    }
  });
}

module.exports = { clusterSuite };
