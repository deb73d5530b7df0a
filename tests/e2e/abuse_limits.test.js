// What one client can make the server do: every message but an ack takes from the rate limits
// (pings and auth included), a user over max_connections_per_user is refused with auth.error
// before being told it succeeded, and /api/users says offline once the last connection closed.
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, eventually, delay } = require('./support');

let server;

before(async () => {
  // A small burst and a slow refill (1 per second) so that no token comes back mid-test.
  server = await Server.start({
    args: ['--client-rate', '1', '--client-burst', '5', '--max-violations', '3',
      '--max-connections-per-user', '2', '--presence-ttl', '60s'],
  });
});

afterEach(() => Client.closeAll());

after(() => server && server.stop());

test('pings have a budget of their own: past it they are refused, then the connection is closed 4029', async () => {
  const c = await Client.authed(server, 'abuse-ping');
  for (let i = 0; i < 12; i++) c.send({ type: 'ping', id: `p${i}` });
  assert.equal((await c.waitClose()).code, 4029);
  // 5 at once (one more if a second passed meanwhile), then refused until --max-violations 3.
  const pongs = c.messages.filter((m) => m.type === 'pong').length;
  const limited = c.messages.filter((m) => m.type === 'error' && m.payload.code === 'rate_limited');
  assert.ok(pongs >= 5 && pongs <= 6, `pongs within the ping budget: ${pongs}`);
  assert.equal(limited.length, 3);
  assert.equal(typeof limited[0].payload.retry_after_ms, 'number');
});

test('pings do not take from the message budget: a client over its message rate keeps its heartbeat', async () => {
  const c = await Client.authed(server, 'abuse-beat', { claims: { channels: ['room:*'] } });
  for (let i = 0; i < 6; i++) c.send({ type: 'presence', id: `q${i}`, payload: { channel: 'room:beat' } });
  await c.next((m) => m.type === 'error' && m.payload.code === 'rate_limited');
  assert.equal((await c.request({ type: 'ping', id: 'beat' }, 'pong')).type, 'pong');
});

test('auth messages take from the rate limit too', async () => {
  const c = await Client.authed(server, 'abuse-auth');
  const token = server.token('abuse-auth');
  for (let i = 0; i < 10; i++) c.send({ type: 'auth', id: `a${i}`, payload: { token } });
  const limited = await c.next((m) => m.type === 'error' && m.payload.code === 'rate_limited');
  assert.match(limited.payload.ref, /^a\d$/);
});

test('acks are never refused by the rate limit', async () => {
  const c = await Client.authed(server, 'abuse-ack');
  // Far past the burst of 5: none answered with an error, the connection stays open.
  for (let i = 0; i < 20; i++) c.send({ type: 'ack', id: `nothing-pending-${i}` });
  await c.expectNone('error', 300);
  assert.equal(c.isClosed, false);
});

test('a connection over max_connections_per_user gets auth.error too_many_connections, never auth.success', async () => {
  await Client.authed(server, 'abuse-many');
  await Client.authed(server, 'abuse-many');
  const third = await Client.connect(server);
  third.send({ type: 'auth', id: 'third', payload: { token: server.token('abuse-many') } });
  const reply = await third.next(['auth.success', 'auth.error']);
  assert.equal(reply.type, 'auth.error');
  assert.equal(reply.payload.code, 'too_many_connections');
  assert.equal(reply.payload.ref, 'third');
  assert.equal((await third.waitClose()).code, 4003);

  // The same at the upgrade (token in the Authorization header).
  const fourth = await Client.connect(server, { token: server.token('abuse-many') });
  const refused = await fourth.next(['auth.success', 'auth.error']);
  assert.equal(refused.type, 'auth.error');
  assert.equal(refused.payload.code, 'too_many_connections');
  assert.equal((await fourth.waitClose()).code, 4003);
});

test('/api/users says offline once the last connection closed, though presence entries live on', async () => {
  const c = await Client.authed(server, 'abuse-gone', { claims: { channels: ['room:*'] } });
  await c.subscribe(['room:1']);
  let res = await server.api('GET', '/api/users/abuse-gone');
  assert.deepEqual(res.json, { user_id: 'abuse-gone', online: true, connections: 1 });
  // Live connections refresh their presence at each sweep (at most a second apart): stay
  // past one, so that the user's presence entry outlives the connection by presence_ttl.
  await delay(1500);
  await c.close();
  await eventually(async () => {
    res = await server.api('GET', '/api/users/abuse-gone');
    assert.deepEqual(res.json, { user_id: 'abuse-gone', online: false, connections: 0 });
  }, { what: 'the user to be reported offline' });
});
