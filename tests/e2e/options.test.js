// Options exercised on a running server, each against what docs/config.md and
// docs/protocol.md say it does: send_connected, ws_path, allowed_origins, subprotocols,
// ack_expiry, offline_ttl, presence_ttl, snapshot_interval, upstream_webhook_timeout and
// memory_trim_after.
// (user_rate/user_burst and max_pending_acks are in error_codes.test.js, with the errors they
// cause.) Timing-based options use small configured values, waits with deadlines, and
// assertions from below where a timer is involved; each bound says why it is what it is.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const WebSocket = require('ws');
const { Server, Client, delay, eventually, withTimeout } = require('./support');
const { rawRequest, upgradeRequest, metricSum } = require('./raw_http');

let seq = 0;
function unique(prefix) { return `${prefix}-${process.pid}-${++seq}`; }

const servers = [];
async function start(args, opts = {}) {
  const server = await Server.start(Object.assign({ args }, opts));
  servers.push(server);
  return server;
}

afterEach(() => Client.closeAll());
after(async () => {
  await Client.closeAll();
  await Promise.all(servers.map((s) => s.stop()));
});

async function send(server, body) {
  const res = await server.api('POST', '/api/send', body);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

describe('send_connected', () => {
  test('--send-connected=false: no connected event, the connection works as usual', async () => {
    const server = await start(['--send-connected=false']);
    const quiet = await Client.connect(server, { waitConnected: false });
    quiet.send({ type: 'ping', id: 'first' });
    const pong = await quiet.next('pong');
    assert.equal(pong.id, 'first');
    assert.deepEqual(quiet.messages.map((m) => m.type), ['pong'], 'the pong is the first message');
    // With a token at the upgrade, auth.success is the first message.
    const authed = await Client.connect(server, { token: server.token(unique('u')), waitConnected: false });
    const first = await authed.nextAny();
    assert.equal(first.type, 'auth.success', JSON.stringify(first));
  });

  test('by default (true) connected is the first message, with session_id and node', async () => {
    const server = await start([]);
    const c = await Client.connect(server, { waitConnected: false });
    const first = await c.nextAny();
    assert.equal(first.type, 'connected');
    assert.equal(typeof first.payload.session_id, 'string');
    assert.equal(typeof first.payload.node, 'string');
  });
});

describe('ws_path', () => {
  test('--ws-path /realtime: the gateway is there, not at /ws', async () => {
    const server = await start(['--ws-path', '/realtime']);
    const c = await Client.connect(server, { path: '/realtime', token: server.token(unique('u')) });
    assert.equal((await c.next(['auth.success', 'auth.error'])).type, 'auth.success');
    await assert.rejects(Client.connect(server, { path: '/ws' }), (err) => err.statusCode === 404);
    // The HTTP routes do not move.
    assert.equal((await server.get('/health')).status, 200);
  });
});

describe('allowed_origins', () => {
  let server;
  before(async () => {
    server = await start(['--allowed-origins', 'https://app.example, https://admin.example']);
  });

  test('an Origin in the list is upgraded; no Origin at all is too', async () => {
    for (const origin of ['https://app.example', 'https://admin.example']) {
      const c = await Client.connect(server, { headers: { Origin: origin } });
      assert.equal(c.isClosed, false, origin);
    }
    await Client.connect(server);
  });

  test('any other Origin, including near misses, is refused with 403 (exact match)', async () => {
    for (const origin of ['https://evil.example', 'http://app.example', 'https://app.example:8443',
      'https://app.example.evil', 'https://APP.example.com']) {
      await assert.rejects(Client.connect(server, { headers: { Origin: origin } }),
        (err) => err.statusCode === 403, origin);
    }
  });

  test('without --allowed-origins any Origin is upgraded', async () => {
    const open = await start([]);
    await Client.connect(open, { headers: { Origin: 'https://evil.example' } });
  });
});

describe('subprotocols', () => {
  let server;
  before(async () => { server = await start(['--subprotocols', 'chat.v2,chat.v1']); });

  // The Sec-WebSocket-Protocol of the 101 for an offer (raw: ws refuses a 101 without one
  // when it offered some, which is exactly what RFC 6455 §4.2.2 allows the server to send).
  async function selected(target, offer) {
    const headers = offer === undefined ? {} : { 'Sec-WebSocket-Protocol': offer };
    const res = await rawRequest(target.port, upgradeRequest({ headers }));
    assert.equal(res.status, 101, `offer ${offer}`);
    return res.headers['sec-websocket-protocol'];
  }

  test("the server's first preference among those offered is selected", async () => {
    assert.equal(await selected(server, 'chat.v1, chat.v2'), 'chat.v2');
    assert.equal(await selected(server, 'chat.v1'), 'chat.v1');
    assert.equal(await selected(server, 'other, chat.v1'), 'chat.v1');
    // A real client sees it too.
    const ws = new WebSocket(server.wsUrl(), ['chat.v1', 'chat.v2']);
    await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }),
      5000, 'ws open');
    assert.equal(ws.protocol, 'chat.v2');
    ws.close();
  });

  test('only unknown ones, or none offered: 101 without Sec-WebSocket-Protocol', async () => {
    assert.equal(await selected(server, 'other'), undefined);
    assert.equal(await selected(server, undefined), undefined);
  });

  test('without --subprotocols nothing is selected', async () => {
    const plain = await start([]);
    assert.equal(await selected(plain, 'chat.v1'), undefined);
  });
});

describe('ack_expiry', () => {
  test('an unacknowledged message expires after --ack-expiry, long before its attempts run out', async () => {
    // Retries at 100, 300, 700 and 1500 ms after the first delivery (doubling); the expiry at
    // 2 s stops the next one (due at 3.1 s). 100 attempts would take far longer than this test.
    const server = await start(['--ack-retry-initial', '100ms', '--ack-max-attempts', '100',
      '--ack-expiry', '2s']);
    const user = unique('expiry');
    const c = await Client.authed(server, user);
    const expiredBefore = await metricSum(server, 'switchboard_gateway_ack_expired_total');
    assert.notEqual(expiredBefore, undefined);
    await send(server, { user_id: user, type: 'notify', id: 'e1', payload: {}, requires_ack: true });
    await c.next('notify');
    // The default ack_expiry is a minute: only the configured 2 s can expire it within this
    // deadline (10 s: generous for a loaded machine, far below a minute).
    await eventually(async () => {
      assert.equal(await metricSum(server, 'switchboard_gateway_ack_expired_total'), expiredBefore + 1);
    }, { timeoutMs: 10000, intervalMs: 100, what: 'the message expired' });
    const deliveries = () => c.messages.filter((m) => m.type === 'notify').length;
    const seen = deliveries();
    // Timers fire late, never early: at most the deliveries at 0, 100, 300, 700 and 1500 ms fit
    // before the expiry. At least one retry ran unless the machine stalled for 2 s.
    assert.ok(seen >= 2 && seen <= 5, `${seen} deliveries before the expiry`);
    // Nothing after it (the next retry would have been due 1.6 s after the last one).
    for (let i = 1; i < seen; i++) await c.next('notify');
    await c.expectNone('notify', 2000);
    assert.equal(deliveries(), seen);
  });
});

describe('offline_ttl', () => {
  test('a message kept for an offline user is gone after --offline-ttl; a fresh one is delivered', async () => {
    const TTL_MS = 2000;
    const server = await start(['--offline-ttl', `${TTL_MS}ms`]);
    const user = unique('away');
    assert.deepEqual(await send(server, { user_id: user, type: 'notify', id: 'old', payload: {}, requires_ack: true }),
      { status: 'stored_offline' });
    // Past the TTL (the store's clock is the wall clock): a second beyond it is margin enough,
    // a sleep only ever lasts longer than asked.
    await delay(TTL_MS + 1000);
    assert.deepEqual(await send(server, { user_id: user, type: 'notify', id: 'new', payload: {}, requires_ack: true }),
      { status: 'stored_offline' });
    // Connecting takes milliseconds, well within the 2 s the fresh message is kept for.
    const c = await Client.authed(server, user);
    // Kept messages are handed over at authentication, before anything sent afterwards.
    await send(server, { user_id: user, type: 'sentinel', payload: {} });
    await c.next('sentinel');
    const kept = c.messages.filter((m) => m.type === 'notify').map((m) => m.id);
    assert.deepEqual(kept, ['new'], 'only the message within its TTL is delivered');
  });
});

describe('presence_ttl', () => {
  // What one node can show: entries of a live connection are refreshed, so they outlive the
  // TTL. Their expiry itself needs a connection that stops refreshing without leaving (a
  // crashed node sharing the engine); on one node a closed connection removes its entries at
  // once, so expiry is left to the engine contract suite (injected clock).
  test("a live connection's presence entries outlive --presence-ttl: they are refreshed", async () => {
    // Entries expire 2 s after their last refresh; the connection refreshes them every third
    // of that, at the server's sweeps (every 500 ms with these settings), so about once a
    // second: a second of margin for a worker delayed by a loaded machine. Observed through
    // presence entries (GET /api/presence and the presence message).
    const TTL_MS = 2000;
    const server = await start(['--presence-ttl', `${TTL_MS}ms`, '--public-channels', 'room:*']);
    const room = unique('room:ttl');
    const user = unique('present');
    const c = await Client.authed(server, user);
    await c.subscribe([room]);
    const members = async () => {
      const res = await server.api('GET', `/api/presence?channel=${encodeURIComponent(room)}`);
      assert.equal(res.status, 200, res.text);
      return res.json.members.map((m) => m.user_id);
    };
    assert.deepEqual(await members(), [user]);
    // Two and a half TTLs, looked at every 100 ms: an entry not refreshed in time would be
    // missing from some answer.
    const until = Date.now() + 2.5 * TTL_MS;
    while (Date.now() < until) {
      assert.deepEqual(await members(), [user], 'the entry expired while the connection was live');
      await delay(100);
    }
    c.send({ type: 'presence', id: 'q', payload: { channel: room } });
    const state = await c.next('presence.state');
    assert.deepEqual(state.payload.users, [user]);
    // Leaving removes it at once (not after the TTL).
    await c.unsubscribe([room]);
    assert.deepEqual(await members(), []);
  });
});

describe('snapshot_interval', () => {
  test('a channel\'s state is compressed and written at most once per --snapshot-interval; joiners get the newest state', async () => {
    const INTERVAL_MS = 4000;
    const server = await start(['--snapshot-types', 'Board', '--snapshot-interval', `${INTERVAL_MS}ms`,
      '--public-channels', 'board:*']);
    const channel = unique('board:s');
    const publish = async (payload) => {
      const res = await server.api('POST', '/api/publish', { channel, type: 'Board', payload });
      assert.equal(res.status, 200, res.text);
    };
    const writes = () => metricSum(server, 'switchboard_gateway_snapshot_writes_total');
    const held = () => metricSum(server, 'switchboard_gateway_snapshot_bytes');
    const joinerSnapshot = async () => {
      const c = await Client.authed(server, unique('joiner'));
      await c.subscribe([channel]);
      return (await c.next('snapshot')).payload;
    };

    const firstAt = Date.now();
    await publish({ v: 1 });
    assert.equal(await writes(), 1, 'the first state is compressed and written at once');
    assert.equal(await held(), 0, 'the store has it: the node holds nothing more');
    // A large state within the interval: joiners get it at once, but it is neither compressed
    // nor written yet. These steps take milliseconds; the 4 s interval leaves a wide margin
    // for a loaded machine.
    const pad = crypto.randomBytes(1500).toString('hex');
    await publish({ v: 2, pad });
    assert.deepEqual(await joinerSnapshot(), { v: 2, pad }, 'a joiner gets the newest state');
    assert.equal(await writes(), 1, 'not written again within the interval');
    assert.ok((await held()) > pad.length, 'the newest state waits on the node');
    assert.ok(Date.now() - firstAt < INTERVAL_MS, 'the steps above outlasted the interval: inconclusive');

    // Once the interval has passed, the node's once-a-second tick writes the waiting state.
    await eventually(async () => assert.equal(await writes(), 2),
      { timeoutMs: INTERVAL_MS + 10000, intervalMs: 250, what: 'the waiting state written' });
    assert.ok(Date.now() - firstAt >= INTERVAL_MS, 'written before the interval was over');
    assert.equal(await held(), 0);
    assert.deepEqual(await joinerSnapshot(), { v: 2, pad });
  });
});

describe('upstream_webhook_timeout', () => {
  test('a webhook that never answers fails at --upstream-webhook-timeout, not before', async () => {
    // The webhook holds every request open. Two servers send it a batch at the same time: one
    // gives up after 200 ms, the other has the maximum, 10 minutes. That the first counts its
    // events as failed while the second still waits shows the option decides (ordering, no
    // wall-clock window).
    const held = [];
    const hook = http.createServer((req, res) => { req.resume(); held.push(res); });
    await new Promise((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${hook.address().port}/events`;
    try {
      // One attempt per batch: retries (tested in upstream.test.js) would send more requests.
      const common = ['--upstream-webhook-url', url, '--upstream-batch-size', '1',
        '--upstream-max-attempts', '1'];
      const quick = await start([...common, '--upstream-webhook-timeout', '200ms']);
      const patient = await start([...common, '--upstream-webhook-timeout', '10m']);
      const failed = (s) => metricSum(s, 'switchboard_gateway_upstream_failed_total');
      for (const s of [quick, patient]) {
        const c = await Client.authed(s, unique('up'));
        c.send({ type: 'click', payload: { n: 1 } });
      }
      await eventually(() => assert.equal(held.length, 2), { what: 'both batches reached the webhook' });
      await eventually(async () => assert.equal(await failed(quick), 1),
        { timeoutMs: 10000, what: 'the 200 ms server counted its event as failed' });
      assert.equal(await failed(patient), 0, 'the 10 min server gave up too');
      assert.equal(held.filter((res) => !res.writableEnded).length, 2, 'the webhook answered nobody');
    } finally {
      hook.closeAllConnections();
      await new Promise((resolve) => hook.close(resolve));
    }
  });
});

describe('memory_trim_after', () => {
  // The heap a burst of connections freed goes back to the system once the burst is over
  // (memory_trimmer.hpp; when exactly, and that fewer connections are no burst, is unit-tested
  // with an injected clock): counted in /metrics. Not a memory measurement: that is the
  // benchmark's.
  test('a burst of connections is followed by a trim, counted in /metrics', async () => {
    const server = await start(['--memory-trim-after', '40']);
    const trims = () => metricSum(server, 'switchboard_gateway_memory_trims_total');
    assert.equal(await trims(), 0);
    const clients = await Promise.all(Array.from({ length: 40 }, () => Client.connect(server)));
    await eventually(async () => (await trims()) >= 1, { what: 'the trim after 40 connections' });
    assert.notEqual(await metricSum(server, 'switchboard_gateway_memory_trimmed_bytes_total'),
      undefined);
    for (const c of clients) c.close();
  });
});
