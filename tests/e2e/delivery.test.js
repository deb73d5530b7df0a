// Acknowledged delivery (seed 004): requires_ack messages carry an id and are resent with a
// doubling backoff until acked or out of attempts; offline users get acknowledged messages on
// their next connection (bounded per user); /metrics counts retries and expiries.
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, withTimeout, delay } = require('./support');

const RETRY_INITIAL_MS = 400;
// How long absence checks wait past a due retry: the server's sweep granularity (a quarter of
// the shortest timeout) plus scheduling on a loaded machine. An absence check that waits too
// little can only pass wrongly, never fail wrongly.
const SLACK_MS = 250;
// A retry is never sent early (the server's timers only fire late), but this process may stamp
// a message late when its event loop or the machine is busy, which makes the gap after it
// look shorter by that much. Retry gaps are therefore asserted from below only, with this
// allowance; how late a retry may be is bounded by RETRY_WAIT_MS alone, generously, because
// lateness is what a loaded 2-core machine (or ASan) produces.
const EARLY_SLACK_MS = 150;
const RETRY_WAIT_MS = 5000;

let server;

before(async () => {
  server = await Server.start({
    args: ['--ack-retry-initial', `${RETRY_INITIAL_MS}ms`, '--ack-max-attempts', '3',
      '--offline-max-messages', '2'],
  });
});

afterEach(() => Client.closeAll());

after(() => server && server.stop());

// The sum of every sample of a metric family (labels ignored); undefined when absent.
async function metric(name) {
  const res = await server.get('/metrics');
  assert.equal(res.status, 200);
  let total;
  for (const line of res.text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+)$/);
    if (m && m[1] === name) total = (total || 0) + Number(m[3]);
  }
  return total;
}

// Polls a metric until it reaches `want` (bounded), returning its last value.
async function metricReaches(name, want, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  let value = await metric(name);
  while ((value === undefined || value < want) && Date.now() < deadline) {
    await delay(50);
    value = await metric(name);
  }
  return value;
}

async function send(body) {
  const res = await server.api('POST', '/api/send', body);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

// Arrival times of every message a client receives (support.js records the messages, not when
// they came: a message may already be waiting when next() is called).
const arrivals = new WeakMap();
function stampArrivals(client) {
  client.ws.on('message', () => arrivals.set(client.messages[client.messages.length - 1], Date.now()));
  return client;
}

// Receives a message matching `match`, with the time it arrived.
async function timed(client, match, timeoutMs) {
  const msg = await client.next(match, timeoutMs);
  return { msg, at: arrivals.get(msg) };
}

test('requires_ack: id on the message, resent with doubling backoff, then expired', async () => {
  const retriesBefore = await metric('switchboard_gateway_ack_retries_total');
  const expiredBefore = await metric('switchboard_gateway_ack_expired_total');
  assert.notEqual(retriesBefore, undefined, 'switchboard_gateway_ack_retries_total missing from /metrics');
  assert.notEqual(expiredBefore, undefined, 'switchboard_gateway_ack_expired_total missing from /metrics');

  const alice = stampArrivals(await Client.authed(server, 'ack-alice'));
  const reply = await send({ user_id: 'ack-alice', type: 'notify', payload: { n: 1 }, requires_ack: true });
  assert.deepEqual(reply, { status: 'sent' });

  const first = await timed(alice, 'notify');
  assert.equal(typeof first.msg.id, 'string');
  assert.ok(first.msg.id.length > 0);
  assert.equal(first.msg.requires_ack, true);
  assert.deepEqual(first.msg.payload, { n: 1 });

  const second = await timed(alice, 'notify', RETRY_WAIT_MS);
  const third = await timed(alice, 'notify', RETRY_WAIT_MS);
  assert.equal(second.msg.id, first.msg.id, 'a retry carries the same id');
  assert.equal(third.msg.id, first.msg.id);
  assert.equal(second.msg._raw, first.msg._raw, 'a retry resends the same message');

  // The backoff, from below: the first gap is at least the initial delay, the second at least
  // twice it (without doubling it would be ~RETRY_INITIAL_MS, well under that bound).
  const gap1 = second.at - first.at;
  const gap2 = third.at - second.at;
  assert.ok(gap1 >= RETRY_INITIAL_MS - EARLY_SLACK_MS,
    `first retry after ${gap1} ms, expected at least ${RETRY_INITIAL_MS} ms (--ack-retry-initial)`);
  assert.ok(gap2 >= 2 * RETRY_INITIAL_MS - EARLY_SLACK_MS,
    `second retry after ${gap2} ms, expected at least ${2 * RETRY_INITIAL_MS} ms (doubling)`);

  // Three deliveries in all (--ack-max-attempts 3): the next due time (4× initial) passes
  // without a resend, and the message is counted as expired.
  await alice.expectNone('notify', 4 * RETRY_INITIAL_MS + SLACK_MS + 200);
  assert.equal(await metricReaches('switchboard_gateway_ack_expired_total', expiredBefore + 1),
    expiredBefore + 1);
  assert.equal(await metric('switchboard_gateway_ack_retries_total'), retriesBefore + 2);
  assert.equal(alice.isClosed, false);
});

test('acking stops the retries of that message only', async () => {
  const acksBefore = await metric('switchboard_gateway_acks_received_total');
  const bob = await Client.authed(server, 'ack-bob');
  await send({ user_id: 'ack-bob', type: 'a', payload: { which: 'acked' }, requires_ack: true });
  const acked = await bob.next('a');
  bob.send({ type: 'ack', id: acked.id });
  await send({ user_id: 'ack-bob', type: 'b', payload: { which: 'unacked' }, requires_ack: true });
  const unacked = await bob.next('b');
  assert.notEqual(unacked.id, acked.id, 'each message gets its own id');

  // The unacked one is retried twice (proving retries run) while the acked one never is.
  const retry1 = await bob.next('b', RETRY_WAIT_MS);
  const retry2 = await bob.next('b', RETRY_WAIT_MS);
  assert.equal(retry1.id, unacked.id);
  assert.equal(retry2.id, unacked.id);
  await bob.expectNone('a', 0);
  assert.equal(await metricReaches('switchboard_gateway_acks_received_total', acksBefore + 1),
    acksBefore + 1);

  // Acking the other one (id in the payload form too) stops it before its last attempt.
  bob.send({ type: 'ack', payload: { id: unacked.id } });
  await bob.expectNone(['a', 'b'], 4 * RETRY_INITIAL_MS + SLACK_MS);
});

test('send with the id given by the caller keeps it', async () => {
  const carol = await Client.authed(server, 'ack-carol');
  await send({ user_id: 'ack-carol', type: 'notify', id: 'order-42', payload: {}, requires_ack: true });
  const msg = await carol.next('notify');
  assert.equal(msg.id, 'order-42');
  assert.equal(msg.requires_ack, true);
  carol.send({ type: 'ack', id: 'order-42' });
  await carol.expectNone('notify', RETRY_INITIAL_MS + SLACK_MS + 100);
});

test('every device of the user gets the message and acks independently', async () => {
  const phone = await Client.authed(server, 'ack-dave');
  const laptop = await Client.authed(server, 'ack-dave');
  await send({ user_id: 'ack-dave', type: 'notify', payload: { x: 1 }, requires_ack: true });
  const onPhone = await phone.next('notify');
  const onLaptop = await laptop.next('notify');
  assert.equal(onPhone.id, onLaptop.id);
  phone.send({ type: 'ack', id: onPhone.id });
  const retried = await laptop.next('notify', RETRY_WAIT_MS);
  assert.equal(retried.id, onLaptop.id);
  await phone.expectNone('notify', 0);
});

test('offline user: requires_ack is stored, delivered on the next connection, and acked', async () => {
  const reply = await send({ user_id: 'off-erin', type: 'notify', payload: { hello: 'later' }, requires_ack: true });
  assert.deepEqual(reply, { status: 'stored_offline' });

  const erin = await Client.authed(server, 'off-erin');
  const msg = await erin.next('notify');
  assert.deepEqual(msg.payload, { hello: 'later' });
  assert.equal(msg.requires_ack, true);
  assert.equal(typeof msg.id, 'string');
  erin.send({ type: 'ack', id: msg.id });
  await erin.expectNone('notify', RETRY_INITIAL_MS + SLACK_MS + 100);
  await erin.close();

  // Delivered once: a later connection does not get it again.
  const again = await Client.authed(server, 'off-erin');
  await again.expectNone('notify', 300);
});

test('offline user: unacked stored message is retried after delivery', async () => {
  await send({ user_id: 'off-gus', type: 'notify', payload: { k: 1 }, requires_ack: true });
  const gus = await Client.authed(server, 'off-gus');
  const msg = await gus.next('notify');
  const retry = await gus.next('notify', RETRY_WAIT_MS);
  assert.equal(retry.id, msg.id);
});

test('offline store is bounded: the third message pushes out the oldest', async () => {
  for (const n of [1, 2, 3]) {
    const reply = await send({ user_id: 'off-frank', type: 'notify', id: `m${n}`, payload: { n }, requires_ack: true });
    assert.deepEqual(reply, { status: 'stored_offline' });
  }
  const frank = await Client.authed(server, 'off-frank');
  const a = await frank.next('notify');
  const b = await frank.next('notify');
  assert.deepEqual([a.id, b.id], ['m2', 'm3'], 'the two newest, oldest first');
  frank.send({ type: 'ack', id: 'm2' });
  frank.send({ type: 'ack', id: 'm3' });
  await frank.expectNone('notify', RETRY_INITIAL_MS + SLACK_MS + 100);
});

test('send without requires_ack to an offline user is not kept', async () => {
  const res = await server.api('POST', '/api/send', { user_id: 'off-hank', type: 'notify', payload: { lost: true } });
  assert.equal(res.status, 200, res.text);
  assert.notEqual(res.json.status, 'stored_offline');
  const hank = await Client.authed(server, 'off-hank');
  await hank.expectNone('notify', 400);
});

test('broadcast with requires_ack: every connection gets the same id and retries until it acks', async () => {
  const one = await Client.authed(server, 'bc-one');
  const two = await Client.authed(server, 'bc-two');
  const res = await server.api('POST', '/api/broadcast', { type: 'announce', payload: { v: 1 }, requires_ack: true });
  assert.equal(res.status, 202, res.text);
  const m1 = await one.next('announce');
  const m2 = await two.next('announce');
  assert.equal(m1.requires_ack, true);
  assert.equal(typeof m1.id, 'string');
  assert.ok(m1.id.length > 0);
  assert.equal(m2.id, m1.id);
  one.send({ type: 'ack', id: m1.id });
  const retried = await two.next('announce', RETRY_WAIT_MS);
  assert.equal(retried.id, m1.id);
  two.send({ type: 'ack', id: m1.id });
  await withTimeout(Promise.all([
    one.expectNone('announce', 2 * RETRY_INITIAL_MS + SLACK_MS),
    two.expectNone('announce', 2 * RETRY_INITIAL_MS + SLACK_MS),
  ]), 5000, 'no more announce');
});
