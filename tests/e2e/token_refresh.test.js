// Token refresh and expiry: a refresh replaces the channel grants (subscriptions the new token
// no longer permits end with `unsubscribed` reason permission_revoked), one authentication is
// in flight per session (a second gets auth_in_progress), failed refreshes are violations, and
// the session expires when the verifier would stop accepting its token (exp plus jwt_leeway).
'use strict';

const { test, describe, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, jwt, jsonService } = require('./support');

describe('refresh with JWTs', () => {
  let server;
  before(async () => {
    server = await Server.start({
      args: ['--public-channels', 'lobby', '--max-violations', '3'],
    });
  });
  after(() => server && server.stop());
  afterEach(() => Client.closeAll());

  async function publish(channel, payload) {
    const res = await server.api('POST', '/api/publish', { channel, payload });
    assert.equal(res.status, 200, res.text);
  }

  test('a refresh whose token no longer grants a channel ends that subscription', async () => {
    const c = await Client.authed(server, 'rev-ann', { claims: { channels: ['conv:*', 'team:*'] } });
    await c.subscribe(['conv:1', 'team:a', 'lobby']);
    // The new token keeps team:*; conv:* is gone; lobby is public.
    await c.auth(server.token('rev-ann', { channels: ['team:*'] }));
    const revoked = await c.next('unsubscribed');
    assert.deepEqual(revoked.payload,
      { channel: 'conv:1', conversation_id: '1', reason: 'permission_revoked' });
    await c.expectNone('unsubscribed', 200);

    // No more deliveries from the revoked channel; the others go on.
    await publish('conv:1', { n: 'revoked' });
    await publish('team:a', { n: 'kept' });
    await publish('lobby', { n: 'public' });
    assert.deepEqual((await c.next((m) => m.channel === 'team:a')).payload, { n: 'kept' });
    assert.deepEqual((await c.next((m) => m.channel === 'lobby')).payload, { n: 'public' });
    await c.expectNone((m) => m.channel === 'conv:1', 300);

    // Nor its history or presence, nor a new subscribe.
    const history = await c.request({ type: 'history', id: 'h', payload: { channel: 'conv:1' } }, 'history');
    assert.equal(history.type, 'error');
    assert.equal(history.payload.code, 'forbidden');
    const again = await c.request({ type: 'subscribe', id: 's', payload: { channels: ['conv:1'] } }, 'subscribed');
    assert.equal(again.type, 'error');
    assert.equal(again.payload.code, 'forbidden');
  });

  test('a refresh with an empty grant list ends every granted channel but the user room', async () => {
    const c = await Client.authed(server, 'rev-bo', { claims: { channels: ['conv:*'] } });
    await c.subscribe(['conv:7', 'conv:8']);
    await c.auth(server.token('rev-bo', { channels: [] }));
    const ended = [(await c.next('unsubscribed')).payload.channel, (await c.next('unsubscribed')).payload.channel];
    assert.deepEqual(ended.sort(), ['conv:7', 'conv:8']);
    // The user's own room stays: send-to-user still arrives.
    const res = await server.api('POST', '/api/send', { user_id: 'rev-bo', type: 'note', payload: {} });
    assert.equal(res.status, 200, res.text);
    await c.next('note');
  });

  test('failed refreshes keep the session but count as violations', async () => {
    const c = await Client.authed(server, 'rev-cy');
    for (let i = 0; i < 2; i++) {
      c.send({ type: 'auth', id: `bad${i}`, payload: { token: jwt.forge.garbage() } });
      const reply = await c.next('auth.error');
      assert.equal(reply.payload.ref, `bad${i}`);
    }
    // Still connected on the old token after two (--max-violations 3) ...
    assert.equal((await c.request({ type: 'ping', id: 'p' }, 'pong')).type, 'pong');
    // ... and closed at the third.
    c.send({ type: 'auth', id: 'bad2', payload: { token: jwt.forge.garbage() } });
    await c.next('auth.error');
    assert.equal((await c.waitClose()).code, 1008);
  });
});

describe('expiry with jwt_leeway', () => {
  let server;
  before(async () => {
    server = await Server.start({ args: ['--jwt-leeway', '30s'] });
  });
  after(() => server && server.stop());
  afterEach(() => Client.closeAll());

  test('a token accepted thanks to the leeway is not closed as expired at the next sweep', async () => {
    const c = await Client.connect(server);
    const reply = await c.auth(server.token('leeway-ann', { exp: jwt.now() - 5 }));
    assert.equal(reply.payload.user_id, 'leeway-ann');
    // The sweep runs every second; two sweeps pass without token_expired (old behaviour:
    // closed 4002 at the first).
    await c.expectNone((m) => m.type === 'error' && m.payload.code === 'token_expired', 2500);
    assert.equal(c.isClosed, false);
  });
});

describe('refresh through an auth service', () => {
  let server;
  let service;
  let inFlight = 0;
  let maxInFlight = 0;
  let refreshRequests = 0;
  const held = [];

  before(async () => {
    service = await jsonService(({ token }, answer) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const reply = () => {
        inFlight--;
        answer(200, { user_id: 'svc-ann' });
      };
      if (token === 'held') {
        refreshRequests++;
        held.push(reply);
      } else {
        reply();
      }
    });
    server = await Server.start({
      jwtSecret: null,
      args: ['--auth-service-url', service.url('/check'),
        '--auth-service-timeout', '10s', '--max-violations', '5'],
    });
  });
  after(async () => {
    await Client.closeAll();
    await server.stop();
    for (const release of held.splice(0)) release();
    await service.close();
  });

  test('one refresh in flight per session: the rest get auth_in_progress and then the close', async () => {
    const c = await Client.connect(server);
    await c.auth('quick');
    maxInFlight = 0;
    // A burst of refreshes while the first is unanswered (the DoS of one outbound request per
    // refresh): the service sees one; the others are refused, and past max_violations the
    // connection is closed.
    for (let i = 0; i < 20; i++) c.send({ type: 'auth', id: `r${i}`, payload: { token: 'held' } });
    for (let i = 1; i <= 5; i++) {
      const refused = await c.next('error');
      assert.equal(refused.payload.code, 'auth_in_progress');
      assert.equal(refused.payload.ref, `r${i}`);
    }
    assert.equal((await c.waitClose()).code, 1008);
    assert.equal(refreshRequests, 1, 'the auth service received one refresh');
    assert.equal(maxInFlight, 1);
  });
});
