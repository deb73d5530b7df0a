// The native protocol message by message: errors that keep the connection, subscriptions and
// their limits, user rooms, broadcast, presence and typing with short TTLs, client publish,
// violations and rate limits.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client } = require('./support');

const LEAVE_DELAY_MS = 200;
const TYPING_TTL_MS = 500;

let seq = 0;
function unique(prefix) { return `${prefix}-${process.pid}-${++seq}`; }

// The connection is still usable: a ping is answered.
async function assertAlive(c) {
  c.send({ type: 'ping', id: 'alive' });
  const pong = await c.next('pong');
  assert.equal(pong.payload && typeof pong.payload.timestamp, 'number');
  assert.equal(c.isClosed, false);
}

// A typist `a` and a watcher `b` in a fresh room; `a` has started typing and `b` saw it.
async function startTyping(server, prefix) {
  const room = unique(`room:${prefix}`);
  const aId = unique('ta');
  const a = await Client.authed(server, aId);
  const b = await Client.authed(server, unique('tb'));
  await a.subscribe([room]);
  await b.subscribe([room]);
  a.send({ type: 'typing', payload: { channel: room } });
  const start = await b.next('typing.start');
  return { room, aId, a, b, start };
}

async function publish(server, channel, payload, type) {
  const body = { channel, payload };
  if (type) body.type = type;
  const res = await server.api('POST', '/api/publish', body);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

describe('protocol: envelope errors, subscriptions, rooms, presence, typing, publish', () => {
  let server;
  before(async () => {
    server = await Server.start({
      args: ['--public-channels', 'room:*', '--client-publish',
        '--presence-leave-delay', `${LEAVE_DELAY_MS}ms`, '--typing-ttl', `${TYPING_TTL_MS}ms`],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });
  afterEach(() => Client.closeAll());

  test('bad JSON → error bad_json, the connection stays', async () => {
    const c = await Client.authed(server, unique('u'));
    c.sendRaw('{"type": "subscribe", ');
    const err = await c.next('error');
    assert.equal(err.payload.code, 'bad_json');
    assert.equal(typeof err.payload.message, 'string');
    await assertAlive(c);
  });

  test('missing or non-string type → error bad_request, the connection stays', async () => {
    const c = await Client.authed(server, unique('u'));
    c.send({ payload: { channels: ['room:a'] } });
    assert.equal((await c.next('error')).payload.code, 'bad_request');
    c.send({ type: 42 });
    assert.equal((await c.next('error')).payload.code, 'bad_request');
    // Valid JSON that is not an object: bad_request (docs/protocol.md), not bad_json.
    for (const notObject of ['[1,2,3]', '"subscribe"', '42', 'null', 'true']) {
      c.sendRaw(notObject);
      assert.equal((await c.next('error')).payload.code, 'bad_request', notObject);
    }
    await assertAlive(c);
  });

  test('unknown type → error unknown_type with ref = id (or the type)', async () => {
    const c = await Client.authed(server, unique('u'));
    c.send({ type: 'frobnicate', payload: {} });
    const e1 = await c.next('error');
    assert.equal(e1.payload.code, 'unknown_type');
    assert.equal(e1.payload.ref, 'frobnicate');
    c.send({ type: 'frobnicate', id: 'req-7' });
    const e2 = await c.next('error');
    assert.equal(e2.payload.code, 'unknown_type');
    assert.equal(e2.payload.ref, 'req-7');
    await assertAlive(c);
  });

  test('requests before auth → error not_authenticated; auth afterwards works', async () => {
    const c = await Client.connect(server);
    c.send({ type: 'subscribe', payload: { channels: ['room:x'] } });
    const err = await c.next('error');
    assert.equal(err.payload.code, 'not_authenticated');
    await c.expectNone('subscribed', 100);
    const ok = await c.auth(server.token('late-auth'));
    assert.equal(ok.payload.user_id, 'late-auth');
    await c.subscribe(['room:x']);
  });

  test('subscribe with a forbidden channel: forbidden for it, the others subscribed', async () => {
    const c = await Client.authed(server, unique('u'));
    const ok = unique('room:ok');
    c.send({ type: 'subscribe', id: 's1', payload: { channels: [ok, 'secret:x'] } });
    const err = await c.next('error');
    assert.equal(err.payload.code, 'forbidden');
    assert.equal(err.payload.ref, 's1');
    const sub = await c.next('subscribed');
    assert.deepEqual(sub.payload.channels, [ok]);
    await publish(server, 'secret:x', { n: 0 });
    await publish(server, ok, { n: 1 });
    const m = await c.next('message.new');
    assert.equal(m.channel, ok);
    assert.deepEqual(m.payload, { n: 1 });
    await c.expectNone((msg) => msg.channel === 'secret:x', 100);
  });

  test('invalid channel names → error bad_channel', async () => {
    const c = await Client.authed(server, unique('u'));
    // Names are at most 255 bytes, without control characters, not starting with '$'.
    for (const name of ['', '$internal', 'room:\u0001ctl', 'room:\u007fdel', `room:${'x'.repeat(251)}`]) {
      c.send({ type: 'subscribe', payload: { channels: [name] } });
      const err = await c.next('error');
      assert.equal(err.payload.code, 'bad_channel', `channel ${JSON.stringify(name.slice(0, 20))}`);
      const sub = await c.next('subscribed');
      assert.deepEqual(sub.payload.channels, []);
    }
    const longest = `room:${'x'.repeat(250)}`; // 255 bytes: still valid
    assert.deepEqual((await c.subscribe([longest])).payload.channels, [longest]);
    await assertAlive(c);
  });

  test('subscribe payload of the wrong shape → error bad_request', async () => {
    const c = await Client.authed(server, unique('u'));
    for (const payload of [undefined, 'room:a', { channels: 'room:a' }, { channels: [1] }, {}]) {
      c.send({ type: 'subscribe', payload });
      assert.equal((await c.next('error')).payload.code, 'bad_request', JSON.stringify(payload));
    }
    await c.expectNone('subscribed', 50);
  });

  test("another user's user: channel is forbidden, one's own is joined already", async () => {
    const me = unique('me');
    const c = await Client.authed(server, me);
    c.send({ type: 'subscribe', payload: { channels: ['user:somebody-else'] } });
    assert.equal((await c.next('error')).payload.code, 'forbidden');
    const res = await server.api('POST', '/api/send', { user_id: 'somebody-else', payload: { secret: 1 } });
    assert.equal(res.status, 200, res.text);
    await server.api('POST', '/api/send', { user_id: me, payload: { mine: 1 } });
    const m = await c.next('message.new');
    assert.deepEqual(m.payload, { mine: 1 }, 'the first delivery is to my own room, not the other user\'s');
  });

  test("/api/send reaches every connection of the user and nobody else", async () => {
    const u = unique('multi');
    const phone = await Client.authed(server, u);
    const laptop = await Client.authed(server, u);
    const other = await Client.authed(server, unique('other'));
    const res = await server.api('POST', '/api/send', { user_id: u, type: 'notify', payload: { k: 'v' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'sent');
    for (const c of [phone, laptop]) {
      const m = await c.next('notify');
      assert.deepEqual(m.payload, { k: 'v' });
      assert.equal(m.channel, `user:${u}`);
    }
    await other.expectNone('notify', 200);
  });

  test('/api/broadcast reaches every authenticated connection, not unauthenticated ones', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => Client.authed(server, unique('b'))));
    const pending = await Client.connect(server); // no auth yet
    const res = await server.api('POST', '/api/broadcast', { type: 'announce', payload: { v: 3 } });
    assert.equal(res.status, 202, res.text);
    for (const c of clients) {
      const m = await c.next('announce');
      assert.deepEqual(m.payload, { v: 3 });
      assert.equal(m.channel, undefined);
    }
    await pending.expectNone('announce', 200);
  });

  test('subscribing twice to a channel delivers each message once', async () => {
    const room = unique('room:twice');
    const c = await Client.authed(server, unique('tw'));
    await c.subscribe([room]);
    await c.subscribe([room]);
    await publish(server, room, { n: 1 });
    await publish(server, room, { n: 2 });
    assert.deepEqual((await c.next('message.new')).payload, { n: 1 });
    assert.deepEqual((await c.next('message.new')).payload, { n: 2 });
    await c.expectNone('message.new', 150);
  });

  test('unsubscribe → unsubscribed, and deliveries stop', async () => {
    const c = await Client.authed(server, unique('u'));
    const gone = unique('room:gone');
    const kept = unique('room:kept');
    await c.subscribe([gone, kept]);
    await publish(server, gone, { n: 1 });
    assert.deepEqual((await c.next((m) => m.channel === gone)).payload, { n: 1 });
    const unsub = await c.unsubscribe([gone]);
    assert.deepEqual(unsub.payload.channels, [gone]);
    await publish(server, gone, { n: 2 });
    await publish(server, kept, { sentinel: true });
    // Published after, delivered in order on one node: once the sentinel is here, a delivery
    // on the unsubscribed channel would be too.
    await c.next((m) => m.channel === kept);
    await c.expectNone((m) => m.channel === gone, 100);
  });

  test('unsubscribe with conversation_ids echoes them', async () => {
    const c = await Client.authed(server, unique('u'), { claims: { channels: ['conv:*'] } });
    await c.subscribe({ conversation_ids: ['c1', 'c2'] });
    const unsub = await c.unsubscribe({ conversation_ids: ['c1'] });
    assert.deepEqual(unsub.payload.conversation_ids, ['c1']);
  });

  test('presence.join to the others on subscribe, not to the joiner', async () => {
    const room = unique('room:p');
    const a = await Client.authed(server, unique('pa'));
    const bId = unique('pb');
    const b = await Client.authed(server, bId);
    await a.subscribe([room]);
    await b.subscribe([room]);
    const join = await a.next('presence.join');
    assert.equal(join.payload.channel, room);
    assert.equal(join.payload.user_id, bId);
    await b.expectNone((m) => m.type === 'presence.join' && m.payload.user_id === bId, 100);
    // The same user's second device joins silently (presence is per user).
    const b2 = await Client.authed(server, bId);
    await b2.subscribe([room]);
    await a.expectNone('presence.join', 200);
  });

  test('presence.leave after the debounce delay', async () => {
    const room = unique('room:leave');
    const a = await Client.authed(server, unique('la'));
    const bId = unique('lb');
    const b = await Client.authed(server, bId);
    await a.subscribe([room]);
    await b.subscribe([room]);
    await a.next('presence.join');
    const started = Date.now();
    await b.close();
    const leave = await a.next('presence.leave', 5000);
    const elapsed = Date.now() - started;
    assert.equal(leave.payload.channel, room);
    assert.equal(leave.payload.user_id, bId);
    assert.ok(elapsed >= LEAVE_DELAY_MS - 10, `presence.leave after ${elapsed} ms, debounce is ${LEAVE_DELAY_MS} ms`);
  });

  test('no presence.leave (nor join) when the user rejoins within the delay', async () => {
    const room = unique('room:rejoin');
    const a = await Client.authed(server, unique('ra'));
    const bId = unique('rb');
    const b1 = await Client.authed(server, bId);
    const b2 = await Client.authed(server, bId); // the "reloaded page", ready to rejoin
    await a.subscribe([room]);
    await b1.subscribe([room]);
    await a.next('presence.join');
    await b1.unsubscribe([room]);
    await b2.subscribe([room]);
    await a.expectNone(['presence.leave', 'presence.join'], LEAVE_DELAY_MS * 3);
    // The debounce was cancelled, not lost: a real leave is still announced.
    await b2.unsubscribe([room]);
    const leave = await a.next('presence.leave', 5000);
    assert.equal(leave.payload.user_id, bId);
  });

  test('presence request → presence.state listing the users once each', async () => {
    const room = unique('room:state');
    const aId = unique('sa');
    const bId = unique('sb');
    const a = await Client.authed(server, aId);
    const b1 = await Client.authed(server, bId);
    const b2 = await Client.authed(server, bId);
    for (const c of [a, b1, b2]) await c.subscribe([room]);
    a.send({ type: 'presence', id: 'pq', payload: { channel: room } });
    const state = await a.next('presence.state');
    assert.equal(state.payload.channel, room);
    assert.deepEqual([...state.payload.users].sort(), [aId, bId].sort());
    assert.equal(state.payload.connections, 3);
  });

  test('typing: renewal not resent, typing.stop after the TTL, sender excluded', async () => {
    const { room, aId, a, b, start } = await startTyping(server, 'typing');
    assert.equal(start.payload.channel, room);
    assert.equal(start.payload.user_id, aId);
    const lastTyping = Date.now();
    a.send({ type: 'typing', payload: { channel: room } }); // renewal
    const stop = await b.next(['typing.stop', 'typing.start'], 5000);
    assert.equal(stop.type, 'typing.stop', 'a renewal must not send typing.start again');
    assert.equal(stop.payload.user_id, aId);
    const elapsed = Date.now() - lastTyping;
    assert.ok(elapsed >= TYPING_TTL_MS - 10, `typing.stop after ${elapsed} ms, TTL is ${TYPING_TTL_MS} ms`);
    await a.expectNone(['typing.start', 'typing.stop'], 50);
  });

  test('typing on a channel not subscribed → error', async () => {
    const a = await Client.authed(server, unique('ta'));
    a.send({ type: 'typing', payload: { channel: unique('room:nosub') } });
    assert.equal((await a.next('error')).payload.code, 'not_subscribed');
    a.send({ type: 'typing', payload: {} });
    assert.equal((await a.next('error')).payload.code, 'bad_request');
  });

  test('client publish with id → ack to the sender, message to the others', async () => {
    const room = unique('room:cpub');
    const aId = unique('pa');
    const a = await Client.authed(server, aId);
    const b = await Client.authed(server, unique('pb'));
    await a.subscribe([room]);
    await b.subscribe([room]);
    a.send({ type: 'publish', id: 'p-1', payload: { channel: room, type: 'chat', data: { text: 'hi' } } });
    const ack = await a.next((m) => m.type === 'ack' || m.type === 'error');
    assert.equal(ack.type, 'ack', JSON.stringify(ack));
    assert.equal(ack.id, 'p-1');
    const m = await b.next('chat');
    assert.equal(m.channel, room);
    assert.deepEqual(m.payload, { text: 'hi' });
    assert.equal(typeof m.offset, 'number');
  });

  test('client publish to a channel not subscribed → forbidden', async () => {
    const a = await Client.authed(server, unique('pa'));
    a.send({ type: 'publish', id: 'p-2', payload: { channel: unique('room:notmine'), data: 1 } });
    const err = await a.next(['error', 'ack']);
    assert.equal(err.type, 'error');
    assert.equal(err.payload.code, 'forbidden');
    assert.equal(err.payload.ref, 'p-2');
  });

  test('binary frame → error unsupported, the connection stays', async () => {
    const c = await Client.authed(server, unique('u'));
    c.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await c.next('error')).payload.code, 'unsupported');
    await assertAlive(c);
  });

  test('ping with an id → pong echoing it, even before auth', async () => {
    const c = await Client.connect(server);
    c.send({ type: 'ping', id: 'hb-1' });
    const pong = await c.next('pong');
    assert.equal(pong.id, 'hb-1');
  });
});

describe('protocol: typing stop without waiting for the TTL', () => {
  // A TTL far beyond next()'s 5 s wait: a typing.stop that arrives at all was sent for the
  // explicit stop, never by the TTL (no wall-clock window to flake on a loaded machine).
  const LONG_TYPING_TTL = '10m';
  let server;
  before(async () => {
    server = await Server.start({ args: ['--public-channels', 'room:*', '--typing-ttl', LONG_TYPING_TTL] });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });

  test('typing with stop:true sends typing.stop at once', async () => {
    const { room, aId, a, b } = await startTyping(server, 'typstop');
    a.send({ type: 'typing', payload: { channel: room, stop: true } });
    const stop = await b.next('typing.stop');
    assert.equal(stop.payload.user_id, aId);
    // Stopping twice says nothing more.
    a.send({ type: 'typing', payload: { channel: room, stop: true } });
    await b.expectNone('typing.stop', 200);
  });
});

describe('protocol: subscription limit and violations', () => {
  let server;
  before(async () => {
    server = await Server.start({
      args: ['--public-channels', 'room:*', '--max-subscriptions', '3', '--max-violations', '3'],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });
  afterEach(() => Client.closeAll());

  test('too_many_subscriptions past --max-subscriptions; a freed slot can be reused', async () => {
    const c = await Client.authed(server, unique('lim'));
    const rooms = [1, 2, 3, 4, 5].map(() => unique('room:lim'));
    c.send({ type: 'subscribe', payload: { channels: rooms } });
    const sub = await c.next('subscribed');
    const accepted = sub.payload.channels;
    // Exactly the limit: the user's own room, joined automatically, does not count.
    assert.deepEqual(accepted, rooms.slice(0, 3), `accepted ${accepted.length} of 5 with a limit of 3`);
    const refused = rooms.slice(3);
    for (const name of refused) {
      const e = await c.next('error');
      assert.equal(e.payload.code, 'too_many_subscriptions');
      assert.match(e.payload.message, new RegExp(name));
    }
    await c.expectNone('error', 50);
    // Refused channels deliver nothing; accepted ones do.
    await publish(server, refused[0], { refused: true });
    await publish(server, accepted[0], { accepted: true });
    assert.deepEqual((await c.next('message.new')).payload, { accepted: true });
    // Unsubscribing frees a slot.
    await c.unsubscribe([accepted[0]]);
    const again = await c.subscribe([refused[0]]);
    assert.deepEqual(again.payload.channels, [refused[0]]);
  });

  test('repeated violations → close 1008', async () => {
    const c = await Client.authed(server, unique('viol'));
    c.sendRaw('nope');
    c.sendRaw('nope');
    await c.next('error');
    await c.next('error');
    assert.equal(c.isClosed, false, 'two violations are below the limit of 3');
    c.sendRaw('nope');
    const info = await c.waitClose();
    assert.equal(info.code, 1008);
  });

  test('unknown types and forbidden channels count as violations too', async () => {
    const c = await Client.authed(server, unique('viol2'));
    c.send({ type: 'nope' });
    c.send({ type: 'subscribe', payload: { channels: ['secret:1'] } });
    c.send({ type: 'subscribe', payload: { channels: ['user:other'] } });
    assert.equal((await c.waitClose()).code, 1008);
  });

  test('client publish is refused when --client-publish is off', async () => {
    const room = unique('room:nopub');
    const c = await Client.authed(server, unique('np'));
    await c.subscribe([room]);
    c.send({ type: 'publish', id: 'x', payload: { channel: room, data: 1 } });
    const err = await c.next(['error', 'ack']);
    assert.equal(err.type, 'error');
    assert.equal(err.payload.code, 'forbidden');
  });
});

describe('protocol: rate limits', () => {
  let server;
  before(async () => {
    server = await Server.start({
      args: ['--public-channels', 'room:*', '--client-rate', '1', '--client-burst', '3', '--max-violations', '4'],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });
  afterEach(() => Client.closeAll());

  test('over the burst → rate_limited with retry_after_ms, then close 4029', async () => {
    const room = unique('room:rl');
    const c = await Client.authed(server, unique('rl'));
    for (let i = 0; i < 3; i++) c.send({ type: 'presence', id: `q${i}`, payload: { channel: room } });
    for (let i = 0; i < 3; i++) assert.equal((await c.next(['presence.state', 'error'])).type, 'presence.state');
    c.send({ type: 'presence', id: 'q3', payload: { channel: room } });
    const err = await c.next('error');
    assert.equal(err.payload.code, 'rate_limited');
    assert.equal(err.payload.ref, 'q3');
    assert.equal(typeof err.payload.retry_after_ms, 'number');
    assert.ok(err.payload.retry_after_ms > 0 && err.payload.retry_after_ms <= 1000,
      `retry_after_ms ${err.payload.retry_after_ms} at 1 msg/s`);
    // Pings stay answered while limited (heartbeats must not kill the connection).
    await assertAlive(c);
    for (let i = 4; i < 10 && !c.isClosed; i++) c.send({ type: 'presence', id: `q${i}`, payload: { channel: room } });
    const info = await c.waitClose();
    assert.equal(info.code, 4029);
    const limited = c.messages.filter((m) => m.type === 'error' && m.payload.code === 'rate_limited');
    assert.equal(limited.length, 4, 'closed at the 4th rate-limit violation');
  });

  test('the bucket refills: after retry_after_ms the next message passes', async () => {
    const room = unique('room:refill');
    const c = await Client.authed(server, unique('rf'));
    for (let i = 0; i < 4; i++) c.send({ type: 'presence', payload: { channel: room } });
    const err = await c.next('error');
    assert.equal(err.payload.code, 'rate_limited');
    // Wait for the server-announced refill (the only wait here is the one the server asked for).
    await new Promise((r) => setTimeout(r, err.payload.retry_after_ms + 50));
    c.send({ type: 'presence', id: 'after', payload: { channel: room } });
    const ok = await c.next((m) => m.id === 'after' || (m.type === 'error' && m.payload.ref === 'after'));
    assert.equal(ok.type, 'presence.state', JSON.stringify(ok));
  });
});
