// Late joiners and recovery (seed 000): the joiner gets `subscribed`, the room's snapshot, then
// the last events in order while the others get presence.join; a reconnecting client that
// names its last offset and epoch gets exactly the missed events, or an explicit not_recovered.
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, delay } = require('./support');

const HISTORY_SIZE = 3;
// Long enough that a loaded CI machine still authenticates and subscribes within it.
const HISTORY_TTL_MS = 1500;

let server;     // replay on subscribe, snapshots, history of 3
let ttlServer;  // the same with a short history TTL

const common = ['--replay-on-subscribe', '--snapshot-types', 'BoardUpdate',
  '--public-channels', 'board:*,room:*', '--history-size', String(HISTORY_SIZE)];

before(async () => {
  [server, ttlServer] = await Promise.all([
    Server.start({ args: common }),
    Server.start({ args: [...common, '--history-ttl', `${HISTORY_TTL_MS}ms`] }),
  ]);
});

afterEach(() => Client.closeAll());

after(() => Promise.all([server && server.stop(), ttlServer && ttlServer.stop()]));

async function publish(srv, channel, payload, type = 'move') {
  const res = await srv.api('POST', '/api/publish', { channel, type, payload });
  assert.equal(res.status, 200, res.text);
  return res.json;  // {channel, offset, epoch}
}

async function publishN(srv, channel, from, to) {
  let last;
  for (let n = from; n <= to; n++) last = await publish(srv, channel, { n });
  return last;
}

// The channel messages (those with an offset) a client got on `channel`, in arrival order.
function offsetsOn(client, channel) {
  return client.messages.filter((m) => m.channel === channel && m.offset !== undefined)
    .map((m) => m.offset);
}

// The message types a client got from index `from` on, for one channel or without channel.
function typesSince(client, from, channel) {
  return client.messages.slice(from)
    .filter((m) => m.channel === channel || (m.payload && m.payload.channel === channel) ||
      m.type === 'subscribed')
    .map((m) => m.type);
}

test('late joiner: subscribed, snapshot, then the last events in order; others get presence.join', async () => {
  const channel = 'board:join';
  const alice = await Client.authed(server, 'alice');
  await alice.subscribe([channel]);
  const snap = await server.api('POST', '/api/snapshot', { channel, payload: { cells: [1, 0, 1] } });
  assert.equal(snap.status, 200, snap.text);
  const e1 = await publish(server, channel, { n: 1 });
  const e2 = await publish(server, channel, { n: 2 });
  assert.equal(e2.offset, e1.offset + 1);
  assert.equal(e2.epoch, e1.epoch);

  const bob = await Client.authed(server, 'bob');
  const start = bob.messages.length;
  await bob.subscribe([channel]);
  const snapshot = await bob.next('snapshot');
  assert.equal(snapshot.channel, channel);
  assert.deepEqual(snapshot.payload, { cells: [1, 0, 1] });
  const position = await bob.next(['recovered', 'not_recovered']);
  assert.equal(position.payload.channel, channel);
  assert.equal(position.payload.position.offset, e2.offset);
  assert.equal(position.payload.position.epoch, e2.epoch);
  const m1 = await bob.next((m) => m.type === 'move' && m.channel === channel);
  const m2 = await bob.next((m) => m.type === 'move' && m.channel === channel);
  assert.deepEqual([m1.payload, m2.payload], [{ n: 1 }, { n: 2 }]);
  assert.deepEqual([m1.offset, m2.offset], [e1.offset, e2.offset]);
  assert.deepEqual(typesSince(bob, start, channel),
    ['subscribed', 'snapshot', position.type, 'move', 'move'], 'order seen by the joiner');

  const join = await alice.next('presence.join');
  assert.deepEqual(join.payload, { channel, user_id: 'bob' });
  await bob.expectNone((m) => m.type === 'presence.join' && m.payload.user_id === 'bob', 0);

  // A live event after the join reaches both, once.
  const e3 = await publish(server, channel, { n: 3 });
  const live = await bob.next((m) => m.type === 'move' && m.offset === e3.offset);
  assert.deepEqual(live.payload, { n: 3 });
  await bob.expectNone('move', 200);
  assert.deepEqual(offsetsOn(bob, channel), [e1.offset, e2.offset, e3.offset]);
});

test('a BoardUpdate publication becomes the snapshot a joiner gets', async () => {
  const channel = 'board:update';
  await publish(server, channel, { cells: ['x'] }, 'BoardUpdate');
  await publish(server, channel, { cells: ['x', 'o'] }, 'BoardUpdate');
  const carol = await Client.authed(server, 'carol');
  await carol.subscribe([channel]);
  const snapshot = await carol.next('snapshot');
  assert.deepEqual(snapshot.payload, { cells: ['x', 'o'] }, 'the newest state');
  await carol.next(['recovered', 'not_recovered']);
  const u1 = await carol.next('BoardUpdate');
  const u2 = await carol.next('BoardUpdate');
  assert.deepEqual([u1.payload, u2.payload], [{ cells: ['x'] }, { cells: ['x', 'o'] }]);
});

test('recovery after a reconnect: exactly the missed events in order, then live ones', async () => {
  const channel = 'room:recover';
  const first = await Client.authed(server, 'dora');
  await first.subscribe([channel]);
  await first.next(['recovered', 'not_recovered']);
  const p3 = await publishN(server, channel, 1, 3);
  for (let n = 1; n <= 3; n++) {
    const m = await first.next((x) => x.channel === channel && x.offset === n);
    assert.deepEqual(m.payload, { n });
    assert.equal(m.epoch, p3.epoch);
  }
  await first.close();

  const p6 = await publishN(server, channel, 4, 6);  // as many as the history keeps
  assert.equal(p6.offset, 6);
  const second = await Client.authed(server, 'dora');
  await second.subscribe({ channels: [channel], recover: { [channel]: { offset: 3, epoch: p3.epoch } } });
  const recovered = await second.next(['recovered', 'not_recovered']);
  assert.equal(recovered.type, 'recovered', JSON.stringify(recovered));
  assert.deepEqual(recovered.payload, { channel, position: { offset: 6, epoch: p3.epoch, recovered: true } });
  for (const n of [4, 5, 6]) await second.next((x) => x.channel === channel && x.offset === n);
  assert.equal((await publish(server, channel, { n: 7 })).offset, 7);
  await second.next((x) => x.channel === channel && x.offset === 7);
  await second.expectNone((x) => x.channel === channel && x.offset !== undefined, 200);
  assert.deepEqual(offsetsOn(second, channel), [4, 5, 6, 7], 'missed events once, in order, then live');
  const payloads = second.messages.filter((m) => m.channel === channel && m.offset).map((m) => m.payload.n);
  assert.deepEqual(payloads, [4, 5, 6, 7]);
  // `recovered` comes before the first recovered event.
  const at = (pred) => second.messages.findIndex(pred);
  assert.ok(at((m) => m.type === 'recovered') < at((m) => m.offset === 4));
  await second.close();

  // Publications racing the recovery (8 missed, 9 and 10 sent while the subscribe is in
  // flight: each is either in the history read or delivered live) still come exactly once.
  await publish(server, channel, { n: 8 });
  const third = await Client.authed(server, 'dora');
  third.send({ type: 'subscribe', payload: { channels: [channel], recover: { [channel]: { offset: 7, epoch: p3.epoch } } } });
  const racing = Promise.all([publish(server, channel, { n: 9 }), publish(server, channel, { n: 10 })]);
  assert.equal((await third.next(['subscribed', 'error'])).type, 'subscribed');
  assert.equal((await third.next(['recovered', 'not_recovered'])).type, 'recovered');
  await racing;
  for (const n of [8, 9, 10]) await third.next((x) => x.channel === channel && x.offset === n);
  await third.expectNone((x) => x.channel === channel && x.offset !== undefined, 200);
  assert.deepEqual(offsetsOn(third, channel), [8, 9, 10]);
});

test('recovery with the single-channel form {channel, offset, epoch}', async () => {
  const channel = 'room:single';
  const p2 = await publishN(server, channel, 1, 2);
  const c = await Client.authed(server, 'eve');
  const reply = await c.subscribe({ channel, offset: 1, epoch: p2.epoch });
  assert.equal(reply.payload.channel, channel);
  const recovered = await c.next(['recovered', 'not_recovered']);
  assert.equal(recovered.type, 'recovered');
  const m = await c.next((x) => x.channel === channel && x.offset !== undefined);
  assert.equal(m.offset, 2);
  await c.expectNone((x) => x.channel === channel && x.offset !== undefined, 200);
});

test('wrong epoch: not_recovered with the current position', async () => {
  const channel = 'room:epoch';
  const p2 = await publishN(server, channel, 1, 2);
  const c = await Client.authed(server, 'fred');
  await c.subscribe({ channels: [channel], recover: { [channel]: { offset: 1, epoch: `${p2.epoch}-stale` } } });
  const reply = await c.next(['recovered', 'not_recovered']);
  assert.equal(reply.type, 'not_recovered');
  assert.deepEqual(reply.payload.position, { offset: 2, epoch: p2.epoch, recovered: false });
});

test('offset out of the history window: not_recovered, then the retained events', async () => {
  const channel = 'room:window';
  const c1 = await Client.authed(server, 'gina');
  await c1.subscribe([channel]);
  const p3 = await publishN(server, channel, 1, 3);
  await c1.next((x) => x.channel === channel && x.offset === 3);
  await c1.close();

  const p13 = await publishN(server, channel, 4, 13);  // 10 while away, history keeps 3
  const c2 = await Client.authed(server, 'gina');
  await c2.subscribe({ channels: [channel], recover: { [channel]: { offset: 3, epoch: p3.epoch } } });
  const reply = await c2.next(['recovered', 'not_recovered']);
  assert.equal(reply.type, 'not_recovered');
  assert.deepEqual(reply.payload.position, { offset: 13, epoch: p13.epoch, recovered: false });
  for (const n of [11, 12, 13]) await c2.next((x) => x.channel === channel && x.offset === n);
  await c2.expectNone((x) => x.channel === channel && x.offset !== undefined, 200);
  assert.deepEqual(offsetsOn(c2, channel), [11, 12, 13]);
});

test('history request returns the publications and the position', async () => {
  const channel = 'room:history';
  const p4 = await publishN(server, channel, 1, 4);
  const c = await Client.authed(server, 'hal');
  const all = await c.request({ type: 'history', id: 'h1', payload: { channel } }, 'history');
  assert.equal(all.type, 'history', JSON.stringify(all));
  assert.equal(all.id, 'h1');
  assert.equal(all.payload.channel, channel);
  assert.equal(all.payload.position.offset, 4);
  assert.equal(all.payload.position.epoch, p4.epoch);
  assert.deepEqual(all.payload.publications.map((p) => p.offset), [2, 3, 4], 'the last history_size');
  const pub = all.payload.publications[2];
  assert.equal(pub.type, 'move');
  assert.equal(pub.channel, channel);
  assert.equal(pub.epoch, p4.epoch);
  assert.deepEqual(pub.payload, { n: 4 });

  const limited = await c.request({ type: 'history', id: 'h2', payload: { channel, limit: 2 } }, 'history');
  assert.deepEqual(limited.payload.publications.map((p) => p.payload.n), [3, 4]);

  const since = await c.request({ type: 'history', id: 'h3', payload: { channel, since: { offset: 3, epoch: p4.epoch } } }, 'history');
  assert.deepEqual(since.payload.publications.map((p) => p.offset), [4]);
  assert.equal(since.payload.position.recovered, true);

  const forbidden = await c.request({ type: 'history', id: 'h4', payload: { channel: 'secret:x' } }, 'history');
  assert.equal(forbidden.type, 'error');
  assert.equal(forbidden.payload.code, 'forbidden');
  assert.equal(forbidden.payload.ref, 'h4');
});

test('history TTL: after it the epoch changes and recovery says not_recovered', async () => {
  const channel = 'room:ttl';
  const p2 = await publishN(ttlServer, channel, 1, 2);
  // Within the TTL the position is recoverable...
  const c1 = await Client.authed(ttlServer, 'ian');
  await c1.subscribe({ channels: [channel], recover: { [channel]: { offset: 1, epoch: p2.epoch } } });
  assert.equal((await c1.next(['recovered', 'not_recovered'])).type, 'recovered');
  await c1.close();

  // ...and once the channel has been quiet for longer than the TTL, it is gone.
  await delay(HISTORY_TTL_MS + 500);
  const c2 = await Client.authed(ttlServer, 'ian');
  await c2.subscribe({ channels: [channel], recover: { [channel]: { offset: 2, epoch: p2.epoch } } });
  const reply = await c2.next(['recovered', 'not_recovered']);
  assert.equal(reply.type, 'not_recovered');
  assert.notEqual(reply.payload.position.epoch, p2.epoch, 'a new epoch');
  assert.equal(reply.payload.position.offset, 0);
  await c2.expectNone((x) => x.channel === channel && x.offset !== undefined, 100);
  const next = await publish(ttlServer, channel, { n: 'after' });
  assert.equal(next.offset, 1, 'offsets restart in the new epoch');
  assert.equal(next.epoch, reply.payload.position.epoch);
});
