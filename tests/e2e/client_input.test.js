// What clients send that the server must refuse, or forward untouched: reserved event types
// (no forged server events), malformed recovery positions, one JSON depth limit, and numbers
// no parser can represent (forwarded byte for byte).
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client } = require('./support');

let server;

before(async () => {
  server = await Server.start({
    args: ['--client-publish', '--public-channels', 'room:*', '--reserved-type-prefixes', 'sys.',
      '--max-violations', '100'],
  });
});

afterEach(() => Client.closeAll());

after(() => server && server.stop());

async function pair(channel) {
  const sender = await Client.authed(server, 'in-sender');
  const receiver = await Client.authed(server, 'in-receiver');
  await sender.subscribe([channel]);
  await receiver.subscribe([channel]);
  return { sender, receiver };
}

function nested(levels) {
  let v = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

// --- Reserved types --------------------------------------------------------------------

test('clients cannot publish the event types the server sends', async () => {
  const { sender, receiver } = await pair('room:forge');
  const reserved = ['presence.leave', 'presence.join', 'typing.start', 'typing.stop', 'snapshot',
    'error', 'auth.error', 'auth.success', 'connected', 'subscribed', 'unsubscribed',
    'recovered', 'not_recovered', 'presence.state', 'history', 'pong', 'ack'];
  for (const type of reserved) {
    const reply = await sender.request({ type: 'publish', id: type,
      payload: { channel: 'room:forge', type, data: { user_id: 'someone-else' } } }, 'ack');
    assert.equal(reply.type, 'error', `${type} was accepted`);
    assert.equal(reply.payload.code, 'forbidden');
    assert.equal(reply.payload.ref, type);
  }
  await receiver.expectNone((m) => m.channel === 'room:forge', 300);
});

test('reserved_type_prefixes reserves more types; others pass and name their publisher', async () => {
  const { sender, receiver } = await pair('room:prefix');
  const refused = await sender.request({ type: 'publish', id: 'p1',
    payload: { channel: 'room:prefix', type: 'sys.restart', data: {} } }, 'ack');
  assert.equal(refused.payload.code, 'forbidden');
  const accepted = await sender.request({ type: 'publish', id: 'p2',
    payload: { channel: 'room:prefix', type: 'chat.message', data: { text: 'hi' } } }, 'ack');
  assert.equal(accepted.type, 'ack');
  const got = await receiver.next('chat.message');
  assert.equal(got.publisher, 'in-sender', 'receivers know which user published');
  assert.deepEqual(got.payload, { text: 'hi' });
});

test('server API publications carry no publisher', async () => {
  const c = await Client.authed(server, 'in-api');
  await c.subscribe(['room:api']);
  const res = await server.api('POST', '/api/publish', { channel: 'room:api', type: 'news', payload: {} });
  assert.equal(res.status, 200, res.text);
  const got = await c.next('news');
  assert.equal('publisher' in got, false);
});

// --- Recovery positions ----------------------------------------------------------------

test('malformed recovery positions on subscribe are bad_request, not a plain subscribe', async () => {
  const c = await Client.authed(server, 'in-pos');
  const cases = [
    { channel: 'room:pos', offset: -1, epoch: 'e' },
    { channel: 'room:pos', offset: '7', epoch: 'e' },
    { channel: 'room:pos', offset: 7.5, epoch: 'e' },
    { channel: 'room:pos', offset: 7, epoch: 12345 },
    { channel: 'room:pos', offset: 7 },
    { channel: 'room:pos', epoch: 'e' },
    { channels: ['room:pos'], replay: 'yes' },
    { channels: ['room:pos'], recover: 'room:pos' },
    { channels: ['room:pos'], recover: { 'room:pos': { offset: -3, epoch: 'e' } } },
    { channels: ['room:pos'], recover: { 'room:pos': [7, 'e'] } },
  ];
  for (const [i, payload] of cases.entries()) {
    const reply = await c.request({ type: 'subscribe', id: `s${i}`, payload }, 'subscribed');
    assert.equal(reply.type, 'error', `${JSON.stringify(payload)} was accepted`);
    assert.equal(reply.payload.code, 'bad_request', JSON.stringify(payload));
    assert.equal(reply.payload.ref, `s${i}`);
  }
  await c.expectNone(['subscribed', 'recovered', 'not_recovered'], 200);
});

test('history: a malformed since or limit is bad_request; recovered only when every event is there', async () => {
  const channel = 'room:hist';
  for (let n = 1; n <= 9; n++) {
    const res = await server.api('POST', '/api/publish', { channel, payload: { n } });
    assert.equal(res.status, 200, res.text);
  }
  const c = await Client.authed(server, 'in-hist');
  for (const [i, extra] of [{ since: { offset: '3', epoch: 'e' } }, { since: 5 },
    { since: { offset: 3 } }, { limit: 0 }, { limit: 'all' }, { limit: 2.5 }].entries()) {
    const reply = await c.request({ type: 'history', id: `h${i}`, payload: { channel, ...extra } }, 'history');
    assert.equal(reply.type, 'error', JSON.stringify(extra));
    assert.equal(reply.payload.code, 'bad_request', JSON.stringify(extra));
  }
  // The last 5 of 9: not all of the stream.
  const partial = await c.request({ type: 'history', id: 'p', payload: { channel, limit: 5 } }, 'history');
  assert.equal(partial.payload.publications.length, 5);
  assert.equal(partial.payload.position.recovered, false);
  const whole = await c.request({ type: 'history', id: 'w', payload: { channel } }, 'history');
  assert.equal(whole.payload.publications.length, 9);
  assert.equal(whole.payload.position.recovered, true);
  // From a valid position: what followed it, recovered.
  const { epoch } = whole.payload.position;
  const since = await c.request({ type: 'history', id: 's',
    payload: { channel, since: { offset: 6, epoch } } }, 'history');
  assert.deepEqual(since.payload.publications.map((p) => p.payload.n), [7, 8, 9]);
  assert.equal(since.payload.position.recovered, true);
});

// --- One depth limit, one error --------------------------------------------------------

test('payloads nest up to the documented 64 levels; deeper is bad_request saying so', async () => {
  const { sender, receiver } = await pair('room:deep');
  // The envelope and the publish payload are two levels; data may nest 62 more.
  const ok = await sender.request({ type: 'publish', id: 'ok',
    payload: { channel: 'room:deep', data: nested(61) } }, 'ack');
  assert.equal(ok.type, 'ack', JSON.stringify(ok.payload));
  assert.deepEqual((await receiver.next('message.new')).payload, nested(61));
  const deep = await sender.request({ type: 'publish', id: 'deep',
    payload: { channel: 'room:deep', data: nested(64) } }, 'ack');
  assert.equal(deep.type, 'error');
  assert.equal(deep.payload.code, 'bad_request');
  assert.match(deep.payload.message, /nested deeper than 64 levels/);
});

test('the server API has the same depth limit and says so', async () => {
  const ok = await server.api('POST', '/api/publish', { channel: 'room:apideep', payload: nested(62) });
  assert.equal(ok.status, 200, ok.text);
  const deep = await server.api('POST', '/api/publish', { channel: 'room:apideep', payload: nested(64) });
  assert.equal(deep.status, 400);
  assert.match(deep.json.error.message, /nested deeper than 64 levels/);
});

// --- Numbers, byte for byte ------------------------------------------------------------

test('client-published data arrives byte for byte, whatever its numbers', async () => {
  const { sender, receiver } = await pair('room:num');
  const data = '{"one":1.0,"neg":-0,"big":18446744073709551616,"huge":1e400,"exp":2E+5}';
  sender.sendRaw(`{"type":"publish","id":"n","payload":{"channel":"room:num","data":${data}}}`);
  assert.equal((await sender.next(['ack', 'error'])).type, 'ack');
  const got = await receiver.next('message.new');
  assert.ok(got._raw.includes(`"payload":${data}`), got._raw);
});

test('the server API forwards numbers it cannot represent', async () => {
  const c = await Client.authed(server, 'in-bignum');
  await c.subscribe(['room:bignum']);
  const payload = '{"id":123456789012345678901234567890,"x":1e400}';
  const res = await server.api('POST', '/api/publish',
    `{"channel":"room:bignum","type":"big","payload":${payload}}`);
  assert.equal(res.status, 200, res.text);
  const got = await c.next('big');
  assert.ok(got._raw.includes(`"payload":${payload}`), got._raw);
});
