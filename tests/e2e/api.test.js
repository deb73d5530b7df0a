// The server API end to end: the API key on every call, bad bodies, and each call's effect as
// seen by real WebSocket clients.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, eventually } = require('./support');

let seq = 0;
function unique(prefix) { return `${prefix}-${process.pid}-${++seq}`; }

// One valid request per API call, with the status it answers.
const CALLS = [
  { method: 'POST', path: '/api/publish', body: { channel: 'room:keycheck', payload: { a: 1 } }, ok: 200 },
  { method: 'POST', path: '/api/broadcast', body: { type: 'keycheck', payload: { a: 1 } }, ok: 202 },
  { method: 'POST', path: '/api/send', body: { user_id: 'keycheck', payload: { a: 1 } }, ok: 200 },
  { method: 'GET', path: '/api/presence?channel=room:keycheck', ok: 200 },
  { method: 'GET', path: '/api/channels', ok: 200 },
  { method: 'GET', path: '/api/users/keycheck', ok: 200 },
  { method: 'POST', path: '/api/disconnect', body: { user_id: 'keycheck' }, ok: 202 },
  { method: 'POST', path: '/api/snapshot', body: { channel: 'room:keycheck', payload: { s: 1 } }, ok: 200 },
];

function assertJsonError(res, status, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  assert.ok(res.json && typeof res.json === 'object', `${what}: body is not JSON: ${res.text}`);
  assert.match(res.headers.get('content-type') || '', /application\/json/, what);
  const err = res.json.error;
  assert.ok(err && typeof err.code === 'string' && typeof err.message === 'string',
    `${what}: no {error:{code,message}} in ${res.text}`);
  return err;
}

describe('server API: the API key', () => {
  let server;
  let keyless;
  before(async () => {
    [server, keyless] = await Promise.all([
      Server.start({ apiKey: 'e2e-api-key' }),
      Server.start({ apiKey: null }),
    ]);
  });
  after(async () => { await server.stop(); await keyless.stop(); });

  for (const call of CALLS) {
    test(`${call.method} ${call.path}: 401 without or with a wrong key, ${call.ok} with it`, async () => {
      assertJsonError(await server.api(call.method, call.path, call.body, { key: null }), 401, 'no key');
      assertJsonError(await server.api(call.method, call.path, call.body, { key: 'wrong' }), 401, 'wrong key');
      assertJsonError(await server.api(call.method, call.path, call.body, { key: 'e2e-api-key-and-more' }), 401, 'key with a suffix');
      assertJsonError(await server.api(call.method, call.path, call.body, {
        key: null, headers: { Authorization: 'Bearer e2e-api-key' },
      }), 401, 'wrong scheme');
      const res = await server.api(call.method, call.path, call.body);
      assert.equal(res.status, call.ok, res.text);
      assert.ok(res.json && typeof res.json === 'object', `body is JSON: ${res.text}`);
    });

    test(`${call.method} ${call.path}: 403 when the server has no api_key`, async () => {
      assertJsonError(await keyless.api(call.method, call.path, call.body, { key: 'anything' }), 403, 'keyless server');
      assertJsonError(await keyless.api(call.method, call.path, call.body, { key: null }), 403, 'keyless server, no key');
    });
  }
});

describe('server API: bad bodies → 400 with a JSON error', () => {
  let server;
  before(async () => { server = await Server.start(); });
  after(async () => { await server.stop(); });

  const cases = [
    ['/api/publish', '{"channel": "room:a", ', 'not JSON'],
    ['/api/publish', '[1,2]', 'an array'],
    ['/api/publish', '', 'empty'],
    ['/api/publish', { payload: {} }, 'missing channel'],
    ['/api/publish', { channel: 5, payload: {} }, 'channel a number'],
    ['/api/publish', { channel: '', payload: {} }, 'channel empty'],
    ['/api/publish', { channel: '$sys', payload: {} }, 'channel invalid'],
    ['/api/publish', { channel: 'room:a' }, 'payload missing'],
    ['/api/publish', { channel: 'room:a', type: 5, payload: {} }, 'type a number'],
    ['/api/publish', { channel: 'room:a', type: '', payload: {} }, 'type empty'],
    ['/api/publish', { channel: 'room:a', id: 7, payload: {} }, 'id a number'],
    ['/api/publish', { channel: 'room:a', requires_ack: 'yes', payload: {} }, 'requires_ack a string'],
    ['/api/broadcast', 'nope', 'not JSON'],
    ['/api/broadcast', { type: 'x' }, 'payload missing'],
    ['/api/broadcast', { type: ['x'], payload: 1 }, 'type an array'],
    ['/api/send', { payload: {} }, 'user_id missing'],
    ['/api/send', { user_id: 12, payload: {} }, 'user_id a number'],
    ['/api/send', { user_id: '', payload: {} }, 'user_id empty'],
    ['/api/send', { user_id: 'u' }, 'payload missing'],
    ['/api/send', '{]', 'not JSON'],
    ['/api/disconnect', {}, 'user_id missing'],
    ['/api/disconnect', { user_id: 'u', code: 1000 }, 'code below 4000'],
    ['/api/disconnect', { user_id: 'u', code: 5000 }, 'code above 4999'],
    ['/api/disconnect', { user_id: 'u', code: '4001' }, 'code a string'],
    ['/api/disconnect', { user_id: 'u', code: -4001 }, 'code negative'],
    ['/api/disconnect', { user_id: 'u', code: 4001.5 }, 'code fractional'],
    ['/api/disconnect', { user_id: 'u', reason: 5 }, 'reason a number'],
    ['/api/snapshot', { payload: {} }, 'channel missing'],
    ['/api/snapshot', { channel: 'room:s' }, 'payload missing'],
    ['/api/snapshot', 'x', 'not JSON'],
  ];
  for (const [p, body, what] of cases) {
    test(`POST ${p}: ${what}`, async () => {
      const err = assertJsonError(await server.api('POST', p, body), 400, what);
      assert.equal(err.code, 'bad_request');
    });
  }

  test('GET /api/presence without or with an invalid channel', async () => {
    assertJsonError(await server.api('GET', '/api/presence'), 400, 'no channel');
    assertJsonError(await server.api('GET', '/api/presence?channel='), 400, 'empty channel');
  });
});

describe('server API: effects', () => {
  let server;
  before(async () => {
    server = await Server.start({ args: ['--public-channels', 'room:*'] });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });
  afterEach(() => Client.closeAll());

  test('publish returns channel, increasing offsets, one epoch, and the id', async () => {
    const room = unique('room:offsets');
    const results = [];
    for (let i = 0; i < 4; i++) {
      const res = await server.api('POST', '/api/publish', { channel: room, payload: { i }, id: `m${i}` });
      assert.equal(res.status, 200, res.text);
      results.push(res.json);
    }
    for (let i = 0; i < results.length; i++) {
      assert.equal(results[i].channel, room);
      assert.equal(results[i].id, `m${i}`);
      assert.equal(typeof results[i].offset, 'number');
      assert.equal(typeof results[i].epoch, 'string');
      assert.ok(results[i].epoch.length > 0);
      if (i > 0) {
        // docs/protocol.md: the offset increases by one per event in the channel's stream.
        assert.equal(results[i].offset, results[i - 1].offset + 1, `offset ${results[i].offset} after ${results[i - 1].offset}`);
        assert.equal(results[i].epoch, results[0].epoch);
      }
    }
    // Another channel has its own stream.
    const other = await server.api('POST', '/api/publish', { channel: unique('room:offsets'), payload: 1 });
    assert.ok(other.json.offset <= results[0].offset, 'offsets are per channel');
  });

  test('publish delivers type, channel, offset, epoch, id and the payload verbatim', async () => {
    const room = unique('room:deliver');
    const c = await Client.authed(server, unique('sub'));
    await c.subscribe([room]);
    const payload = { text: 'h\u00e9llo \u2603', nested: { list: [1, 2.5, null, true] }, big: 12345678901234 };
    const res = await server.api('POST', '/api/publish', { channel: room, type: 'chat.message', payload, id: 'pub-1' });
    const m = await c.next('chat.message');
    assert.equal(m.channel, room);
    assert.equal(m.offset, res.json.offset);
    assert.equal(m.epoch, res.json.epoch);
    assert.equal(m.id, 'pub-1');
    assert.deepEqual(m.payload, payload);
  });

  test('publish without a type delivers message.new', async () => {
    const room = unique('room:default');
    const c = await Client.authed(server, unique('sub'));
    await c.subscribe([room]);
    await server.api('POST', '/api/publish', { channel: room, payload: 'plain' });
    assert.equal((await c.next('message.new')).payload, 'plain');
  });

  test('broadcast → 202, delivered to every connection', async () => {
    const a = await Client.authed(server, unique('ba'));
    const b = await Client.authed(server, unique('bb'));
    const res = await server.api('POST', '/api/broadcast', { type: 'maintenance', payload: { in: 5 } });
    assert.equal(res.status, 202, res.text);
    for (const c of [a, b]) assert.deepEqual((await c.next('maintenance')).payload, { in: 5 });
  });

  test('send → 200 {status: sent}, delivered to the user only', async () => {
    const u = unique('target');
    const a = await Client.authed(server, u);
    const other = await Client.authed(server, unique('bystander'));
    const res = await server.api('POST', '/api/send', { user_id: u, type: 'dm', payload: { hi: 1 }, id: 'dm-1' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'sent');
    const m = await a.next('dm');
    assert.deepEqual(m.payload, { hi: 1 });
    assert.equal(m.id, 'dm-1');
    await other.expectNone('dm', 200);
  });

  test('presence lists the members of a channel with their sessions', async () => {
    const room = unique('room:members');
    const aId = unique('ma');
    const bId = unique('mb');
    const a = await Client.authed(server, aId);
    const b = await Client.authed(server, bId);
    await a.subscribe([room]);
    await b.subscribe([room]);
    const res = await server.api('GET', `/api/presence?channel=${encodeURIComponent(room)}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.channel, room);
    const members = res.json.members.map((m) => `${m.user_id}/${m.session_id}`).sort();
    assert.deepEqual(members, [`${aId}/${a.sessionId}`, `${bId}/${b.sessionId}`].sort());
    for (const m of res.json.members) assert.equal(typeof m.node, 'string');
    await b.unsubscribe([room]);
    const after1 = await server.api('GET', `/api/presence?channel=${encodeURIComponent(room)}`);
    assert.deepEqual(after1.json.members.map((m) => m.user_id), [aId]);
    const empty = await server.api('GET', `/api/presence?channel=${encodeURIComponent(unique('room:nobody'))}`);
    assert.deepEqual(empty.json.members, []);
  });

  test('channels lists the channels with subscribers', async () => {
    const room = unique('room:active');
    const c = await Client.authed(server, unique('ch'));
    await c.subscribe([room]);
    const res = await server.api('GET', '/api/channels');
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.channels.includes(room), `${room} not in ${JSON.stringify(res.json.channels)}`);
    await c.unsubscribe([room]);
    await eventually(async () => {
      const again = await server.api('GET', '/api/channels');
      assert.ok(!again.json.channels.includes(room), `${room} still listed`);
    }, { what: 'channel no longer active' });
  });

  test('users/{id}: online and the connection count', async () => {
    const u = unique('online');
    const none = await server.api('GET', `/api/users/${u}`);
    assert.equal(none.status, 200, none.text);
    assert.deepEqual(none.json, { user_id: u, online: false, connections: 0 });
    const a = await Client.authed(server, u);
    await Client.authed(server, u);
    const two = await server.api('GET', `/api/users/${u}`);
    assert.equal(two.json.user_id, u);
    assert.equal(two.json.online, true);
    assert.equal(two.json.connections, 2);
    await a.close();
    await eventually(async () => {
      assert.equal((await server.api('GET', `/api/users/${u}`)).json.connections, 1);
    }, { what: 'connections back to 1' });
  });

  test('users/{id} with characters that need URL-encoding in the path', async () => {
    const u = `${unique('mail')}@example.com`;
    await Client.authed(server, u);
    const res = await server.api('GET', `/api/users/${encodeURIComponent(u)}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { user_id: u, online: true, connections: 1 });
  });

  test('/health counts connections and distinct users', async () => {
    const base = await server.health();
    assert.equal(typeof base.users, 'number');
    const u = unique('hu');
    await Client.authed(server, u);
    await Client.authed(server, u);
    await Client.authed(server, unique('hv'));
    await eventually(async () => {
      const h = await server.health();
      assert.equal(h.connections, base.connections + 3);
      assert.equal(h.users, base.users + 2);
    }, { what: 'health counts' });
  });

  test('disconnect closes every connection of the user with the given code and reason', async () => {
    const u = unique('kick');
    const a = await Client.authed(server, u);
    const b = await Client.authed(server, u);
    const bystander = await Client.authed(server, unique('stay'));
    const res = await server.api('POST', '/api/disconnect', { user_id: u, code: 4321, reason: 'banned' });
    assert.equal(res.status, 202, res.text);
    for (const c of [a, b]) {
      const info = await c.waitClose();
      assert.equal(info.code, 4321);
      assert.equal(info.reason, 'banned');
    }
    bystander.send({ type: 'ping' });
    await bystander.next('pong');
    assert.equal(bystander.isClosed, false);
  });

  test('disconnect without a code uses 4010', async () => {
    const u = unique('kick-default');
    const a = await Client.authed(server, u);
    assert.equal((await server.api('POST', '/api/disconnect', { user_id: u })).status, 202);
    assert.equal((await a.waitClose()).code, 4010);
  });

  test('snapshot: a new subscriber gets it first, before other events', async () => {
    const room = unique('room:snap');
    await server.api('POST', '/api/publish', { channel: room, payload: { before: 1 } });
    const res = await server.api('POST', '/api/snapshot', { channel: room, payload: { board: [1, 2, 3] } });
    assert.equal(res.status, 200, res.text);
    const c = await Client.authed(server, unique('snapper'));
    c.send({ type: 'subscribe', payload: { channels: [room], replay: true } });
    await c.next('subscribed');
    await server.api('POST', '/api/publish', { channel: room, payload: { after: 1 } });
    const first = await c.nextAny();
    assert.equal(first.type, 'snapshot', `first after subscribed: ${JSON.stringify(first)}`);
    assert.equal(first.channel, room);
    assert.deepEqual(first.payload, { board: [1, 2, 3] });
    const live = await c.next((m) => m.type === 'message.new' && m.payload.after === 1);
    assert.ok(c.messages.indexOf(first) < c.messages.indexOf(live));
  });

  test('snapshot: replaced by a newer one; plain subscribe also gets it', async () => {
    const room = unique('room:snap2');
    await server.api('POST', '/api/snapshot', { channel: room, payload: { v: 1 } });
    await server.api('POST', '/api/snapshot', { channel: room, payload: { v: 2 } });
    const c = await Client.authed(server, unique('snapper'));
    await c.subscribe([room]);
    const snap = await c.nextAny();
    assert.equal(snap.type, 'snapshot');
    assert.deepEqual(snap.payload, { v: 2 });
  });
});

describe('api: snapshots expire (snapshot_ttl)', () => {
  let server;
  before(async () => {
    server = await Server.start({ args: ['--public-channels', 'room:*', '--snapshot-ttl', '1s'] });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });

  async function snapshotBytes() {
    const res = await server.get('/metrics');
    const line = res.text.split('\n').find((l) => l.startsWith('switchboard_gateway_snapshot_bytes '));
    assert.ok(line, 'switchboard_gateway_snapshot_bytes missing');
    return Number(line.split(' ')[1]);
  }

  test('a snapshot nobody sets again expires after snapshot_ttl and no late joiner gets it', async () => {
    const setAt = Date.now();
    const res = await server.api('POST', '/api/snapshot', { channel: 'room:stale', payload: { board: [1] } });
    assert.equal(res.status, 200, res.text);
    assert.equal(await snapshotBytes(), 0, 'answered once the store has it: the node holds nothing');
    const early = await Client.authed(server, 'snap-early');
    await early.subscribe(['room:stale']);
    await early.next('snapshot');
    assert.ok(Date.now() - setAt < 1000, 'the early joiner came after the TTL: inconclusive');
    // The store forgets it 1 s after it was set; the bound leaves a loaded machine room.
    let joiners = 0;
    await eventually(async () => {
      const late = await Client.authed(server, `snap-late-${++joiners}`);
      await late.subscribe(['room:stale']);
      await late.expectNone('snapshot', 300);
    }, { timeoutMs: 8000, what: 'a late joiner without the expired snapshot' });
    assert.ok(Date.now() - setAt >= 1000, 'forgotten before its TTL');
  });
});

