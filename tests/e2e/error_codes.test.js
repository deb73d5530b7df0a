// The documented refusals no other file makes the server send: every handshake status of
// docs/protocol.md (with its JSON body and its handshakes_total label), 503 + Retry-After and
// close 1012 while draining after SIGTERM, and the errors ack_overflow, auth_in_progress and
// the per-user rate_limited bucket. tests/suite/protocol_codes.test.js checks that every code
// of docs/protocol.md is asserted somewhere.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, eventually, withTimeout, jsonService } = require('./support');
const { rawRequest, upgradeRequest, metricSum } = require('./raw_http');

let seq = 0;
function unique(prefix) { return `${prefix}-${process.pid}-${++seq}`; }

const HANDSHAKES = 'switchboard_handshakes_total';

describe('handshake refusals: status, JSON body, closed connection, counted', () => {
  let server;
  before(async () => {
    server = await Server.start({ args: ['--allowed-origins', 'https://app.example'] });
  });
  after(() => server.stop());

  // Each refusal: its request, the status, the handshakes_total{result} label it counts under.
  const cases = [
    { what: 'Sec-WebSocket-Key not 16 bytes of base64', status: 400, result: 'bad_request',
      request: upgradeRequest({ key: 'c2hvcnQ=' }) },
    { what: 'no Sec-WebSocket-Key', status: 400, result: 'bad_request', request: upgradeRequest({ key: null }) },
    { what: 'Connection without upgrade', status: 400, result: 'bad_request',
      request: upgradeRequest({ headers: { Connection: 'keep-alive' } }) },
    { what: 'HTTP/1.0', status: 400, result: 'bad_request', request: upgradeRequest({ httpVersion: '1.0' }) },
    { what: 'Origin not allowed', status: 403, result: 'forbidden',
      request: upgradeRequest({ headers: { Origin: 'https://evil.example' } }) },
    { what: 'no endpoint at the path', status: 404, result: 'not_found', request: upgradeRequest({ path: '/nowhere' }) },
    { what: 'method other than GET', status: 405, result: 'method_not_allowed',
      request: upgradeRequest({ method: 'POST' }) },
    { what: 'Sec-WebSocket-Version 8', status: 426, result: 'upgrade_required', request: upgradeRequest({ version: '8' }) },
    // Over max_request_size (8 KiB by default).
    { what: 'headers over max_request_size', status: 431, result: 'too_large',
      request: upgradeRequest({ headers: { 'X-Pad': 'p'.repeat(9000) } }) },
  ];

  for (const { what, request, status, result } of cases) {
    test(`${what} → ${status}`, async () => {
      const before = (await metricSum(server, HANDSHAKES, { result })) || 0;
      const res = await rawRequest(server.port, request);
      assert.equal(res.status, status, `${what}: ${res.status} ${res.body}`);
      assert.equal(res.closed, true, 'a refusal closes the connection');
      const body = JSON.parse(res.body);
      assert.ok(body.error !== undefined, `a JSON body {"error":...}: ${res.body}`);
      if (status === 426) assert.equal(res.headers['sec-websocket-version'], '13');
      assert.equal(await metricSum(server, HANDSHAKES, { result }), before + 1,
        `${HANDSHAKES}{result="${result}"}`);
    });
  }

  test('an allowed Origin, and no Origin at all, are upgraded (101)', async () => {
    for (const headers of [{ Origin: 'https://app.example' }, {}]) {
      const res = await rawRequest(server.port, upgradeRequest({ headers }));
      assert.equal(res.status, 101, JSON.stringify(headers));
    }
  });
});

describe('drain on SIGTERM: 503 + Retry-After, /ready 503, close 1012, exit 0', () => {
  test('while draining, upgrades get 503 with Retry-After and open connections 1012', async () => {
    // The listener stays open for the drain period (then the process ends). Everything below
    // happens within a few milliseconds of the signal; 4 s is the margin for a loaded machine.
    const server = await Server.start({ args: ['--drain-period', '4s'] });
    try {
      const open = await Client.authed(server, unique('drain'));
      assert.equal((await server.get('/ready')).status, 200);
      const exited = new Promise((resolve) => server.child.once('exit', (code, signal) => resolve({ code, signal })));
      server.child.kill('SIGTERM');

      const ready = await eventually(async () => {
        const res = await server.get('/ready');
        assert.equal(res.status, 503);
        return res;
      }, { what: 'GET /ready answering 503 after SIGTERM' });
      assert.deepEqual(ready.json, { status: 'draining' });

      const before = (await metricSum(server, HANDSHAKES, { result: 'unavailable' })) || 0;
      const res = await rawRequest(server.port, upgradeRequest());
      assert.equal(res.status, 503, res.body);
      assert.ok(Number(res.headers['retry-after']) > 0, `Retry-After: ${res.headers['retry-after']}`);
      assert.ok(JSON.parse(res.body).error !== undefined, res.body);
      assert.equal(res.closed, true);
      assert.equal(await metricSum(server, HANDSHAKES, { result: 'unavailable' }), before + 1);
      await assert.rejects(Client.connect(server), (err) => err.statusCode === 503);

      assert.equal((await open.waitClose(10000)).code, 1012, 'server restarting');
      // Drain period plus a generous margin for a loaded machine.
      assert.deepEqual(await withTimeout(exited, 15000, 'exit after the drain'), { code: 0, signal: null });
    } finally {
      await server.stop();
    }
  });
});

describe('ack_overflow: past max_pending_acks the oldest stops being retried', () => {
  let server;
  before(async () => {
    // Retries a second apart: all three messages are delivered well before any retry is due.
    server = await Server.start({
      args: ['--max-pending-acks', '2', '--ack-retry-initial', '1s', '--ack-max-attempts', '5'],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });

  test('the third unacknowledged message evicts the first: error ack_overflow with its id', async () => {
    const user = unique('overflow');
    const evictedBefore = await metricSum(server, 'switchboard_gateway_ack_evicted_total');
    assert.notEqual(evictedBefore, undefined, 'switchboard_gateway_ack_evicted_total missing from /metrics');
    const c = await Client.authed(server, user);
    for (const id of ['m1', 'm2', 'm3']) {
      const res = await server.api('POST', '/api/send',
        { user_id: user, type: 'notify', id, payload: { id }, requires_ack: true });
      assert.equal(res.status, 200, res.text);
      assert.equal((await c.next('notify')).id, id);
    }
    const err = await c.next('error');
    assert.equal(err.payload.code, 'ack_overflow');
    assert.equal(err.payload.ref, 'm1', 'the oldest pending message is the one given up');
    assert.equal(await metricSum(server, 'switchboard_gateway_ack_evicted_total'), evictedBefore + 1);

    // m2 and m3 are still retried. m1's retry would have been due before theirs (it was sent
    // first, on the same schedule, and due retries go out oldest first), so once both have
    // come, a retry of m1 would be here already.
    const retried = new Set();
    while (retried.size < 2) {
      const m = await c.next('notify', 5000);
      assert.notEqual(m.id, 'm1', 'm1 was retried after its ack_overflow');
      retried.add(m.id);
    }
    assert.deepEqual([...retried].sort(), ['m2', 'm3']);
    assert.equal(c.messages.filter((m) => m.type === 'notify' && m.id === 'm1').length, 1);
    assert.equal(c.isClosed, false, 'ack_overflow does not end the connection');
  });
});

describe('auth_in_progress: a second auth before the auth service answered the first', () => {
  let server;
  let service;
  const held = [];  // answers of the service, released by the test

  before(async () => {
    service = await jsonService(({ token }, answer) => held.push(() => answer(200, { user_id: token })));
    server = await Server.start({
      jwtSecret: null,
      // Long enough that the service's answer, not the timeout, ends the first attempt.
      args: ['--auth-service-url', service.url('/check'),
        '--auth-service-timeout', '30s'],
    });
  });
  after(async () => {
    await Client.closeAll();
    await server.stop();
    for (const release of held.splice(0)) release();
    await service.close();
  });
  afterEach(() => Client.closeAll());

  test('the second auth gets error auth_in_progress; the first then succeeds', async () => {
    const user = unique('slow');
    const c = await Client.connect(server);
    c.send({ type: 'auth', id: 'first', payload: { token: user } });
    await eventually(() => assert.equal(held.length, 1), { what: 'the auth service got the first token' });
    c.send({ type: 'auth', id: 'second', payload: { token: unique('other') } });
    const err = await c.next(['error', 'auth.success', 'auth.error']);
    assert.equal(err.type, 'error', JSON.stringify(err));
    assert.equal(err.payload.code, 'auth_in_progress');
    assert.equal(err.payload.ref, 'second');
    assert.equal(held.length, 1, 'the second token was not sent to the service');

    held.shift()();
    const ok = await c.next(['auth.success', 'auth.error']);
    assert.equal(ok.type, 'auth.success', JSON.stringify(ok));
    assert.equal(ok.payload.user_id, user);
    assert.equal(c.isClosed, false);
  });
});

describe('per-user rate limit: user_rate/user_burst shared by every connection of a user', () => {
  let server;
  before(async () => {
    // Per connection 50/s with bursts of 100 (the defaults): far from what each sends here.
    // Per user 1/s with a burst of 3: the fourth message within a second is refused. The four
    // go out back to back, so the one token a second refills cannot blur the count.
    server = await Server.start({
      args: ['--public-channels', 'room:*', '--user-rate', '1', '--user-burst', '3'],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });

  test("two connections of one user share the bucket; another user's is separate", async () => {
    const user = unique('ratelimited');
    const room = unique('room:rl');
    const phone = await Client.authed(server, user);
    const laptop = await Client.authed(server, user);
    const limitedBefore = await metricSum(server, 'switchboard_gateway_rate_limited_total');
    const reply = (c, id) => c.next((m) => m.id === id || (m.type === 'error' && m.payload.ref === id));
    const ask = (c, id) => c.send({ type: 'presence', id, payload: { channel: room } });
    ask(phone, 'p1');
    ask(laptop, 'l1');
    ask(phone, 'p2');
    ask(laptop, 'l2');
    const answers = await Promise.all([reply(phone, 'p1'), reply(laptop, 'l1'), reply(phone, 'p2'),
      reply(laptop, 'l2')]);
    const refused = answers.filter((m) => m.type === 'error');
    assert.equal(refused.length, 1, `one of four refused: ${JSON.stringify(answers.map((m) => m.type))}`);
    assert.equal(answers.filter((m) => m.type === 'presence.state').length, 3);
    assert.equal(refused[0].payload.code, 'rate_limited');
    const wait = refused[0].payload.retry_after_ms;
    assert.ok(typeof wait === 'number' && wait > 0 && wait <= 1000, `retry_after_ms ${wait} at 1/s`);
    assert.equal(await metricSum(server, 'switchboard_gateway_rate_limited_total'), limitedBefore + 1);

    // Another user has a bucket of their own.
    const other = await Client.authed(server, unique('other'));
    ask(other, 'o1');
    assert.equal((await reply(other, 'o1')).type, 'presence.state');
  });
});
