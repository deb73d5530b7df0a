// Acknowledged messages survive the connection that was sent them (seed 004): what a client
// did not ack before its connection closed goes back to the user's offline store, in order,
// and is delivered again with the same id on the user's next connection. What the store's
// bound drops is counted.
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, eventually } = require('./support');

let server;

before(async () => {
  // Retries far apart: these tests are about the close, not about the retry schedule.
  server = await Server.start({
    args: ['--ack-retry-initial', '30s', '--offline-max-messages', '2'],
  });
});

afterEach(() => Client.closeAll());

after(() => server && server.stop());

async function metric(name) {
  const res = await server.get('/metrics');
  assert.equal(res.status, 200);
  const line = res.text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} missing from /metrics`);
  return Number(line.split(' ')[1]);
}

// Waits until the server has handled `n` more requeued messages than `before` (a terminated
// connection is noticed when the server reads EOF, after the client side has already gone).
async function requeued(before, n) {
  await eventually(async () => {
    assert.equal(await metric('switchboard_gateway_acks_requeued_total'), before + n);
  }, { what: `acks_requeued_total to reach ${before + n}` });
}

async function send(body) {
  const res = await server.api('POST', '/api/send', { requires_ack: true, type: 'notify', ...body });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

test('a live message not acked before a clean close is delivered again on the next connection', async () => {
  const before = await metric('switchboard_gateway_acks_requeued_total');
  const first = await Client.authed(server, 'surv-ann');
  await send({ user_id: 'surv-ann', id: 'order-1', payload: { n: 1 } });
  const delivered = await first.next('notify');
  assert.equal(delivered.id, 'order-1');
  await first.close();
  await requeued(before, 1);

  const second = await Client.authed(server, 'surv-ann');
  const again = await second.next('notify');
  assert.equal(again.id, 'order-1', 'the same id, so the client can de-duplicate');
  assert.deepEqual(again.payload, { n: 1 });
  assert.equal(again.requires_ack, true);
  second.send({ type: 'ack', id: 'order-1' });
  await second.close();

  // Acked: a third connection gets nothing.
  const third = await Client.authed(server, 'surv-ann');
  await third.expectNone('notify', 300);
});

test('a connection that drops (no close frame) gives its unacked messages back, in order', async () => {
  const before = await metric('switchboard_gateway_acks_requeued_total');
  const first = await Client.authed(server, 'surv-bo');
  await send({ user_id: 'surv-bo', id: 'b1', payload: { n: 1 } });
  await send({ user_id: 'surv-bo', id: 'b2', payload: { n: 2 } });
  assert.equal((await first.next('notify')).id, 'b1');
  assert.equal((await first.next('notify')).id, 'b2');
  first.ws.terminate();
  await requeued(before, 2);

  const second = await Client.authed(server, 'surv-bo');
  assert.equal((await second.next('notify')).id, 'b1');
  assert.equal((await second.next('notify')).id, 'b2');
});

test('only unacknowledged messages go back', async () => {
  const before = await metric('switchboard_gateway_acks_requeued_total');
  const first = await Client.authed(server, 'surv-cy');
  await send({ user_id: 'surv-cy', id: 'c1', payload: {} });
  await send({ user_id: 'surv-cy', id: 'c2', payload: {} });
  await first.next('notify');
  await first.next('notify');
  first.send({ type: 'ack', id: 'c1' });
  await eventually(async () => {
    assert.ok(await metric('switchboard_gateway_acks_received_total') > 0);
  });
  // The ack is processed before the close frame that follows it on the same connection.
  await first.close();
  await requeued(before, 1);
  const second = await Client.authed(server, 'surv-cy');
  assert.equal((await second.next('notify')).id, 'c2');
  await second.expectNone('notify', 300);
});

test('a message taken from the offline store and dropped again before its ack is kept again', async () => {
  assert.deepEqual(await send({ user_id: 'surv-di', id: 'd1', payload: {} }), { status: 'stored_offline' });
  const before = await metric('switchboard_gateway_acks_requeued_total');
  const first = await Client.authed(server, 'surv-di');
  assert.equal((await first.next('notify')).id, 'd1');
  first.ws.terminate();
  await requeued(before, 1);
  const second = await Client.authed(server, 'surv-di');
  assert.equal((await second.next('notify')).id, 'd1');
});

test('the offline bound holds for given-back messages, and what it drops is counted', async () => {
  const requeuedBefore = await metric('switchboard_gateway_acks_requeued_total');
  const droppedBefore = await metric('switchboard_gateway_offline_dropped_total');
  const first = await Client.authed(server, 'surv-ed');
  for (const id of ['e1', 'e2', 'e3']) await send({ user_id: 'surv-ed', id, payload: {} });
  for (let i = 0; i < 3; i++) await first.next('notify');
  await first.close();
  await requeued(requeuedBefore, 3);
  // --offline-max-messages 2: the oldest of the three is dropped, and counted.
  assert.equal(await metric('switchboard_gateway_offline_dropped_total'), droppedBefore + 1);
  const second = await Client.authed(server, 'surv-ed');
  assert.equal((await second.next('notify')).id, 'e2');
  assert.equal((await second.next('notify')).id, 'e3');
  await second.expectNone('notify', 300);
});

test('two devices that both drop the same message leave one copy for the next connection', async () => {
  const before = await metric('switchboard_gateway_acks_requeued_total');
  const phone = await Client.authed(server, 'surv-flo');
  const laptop = await Client.authed(server, 'surv-flo');
  await send({ user_id: 'surv-flo', id: 'f1', payload: {} });
  await phone.next('notify');
  await laptop.next('notify');
  await phone.close();
  await laptop.close();
  await requeued(before, 2);
  const next = await Client.authed(server, 'surv-flo');
  assert.equal((await next.next('notify')).id, 'f1');
  await next.expectNone('notify', 300);
});
