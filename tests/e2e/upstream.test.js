// The upstream event buffer (seed 000): custom client events go to an HTTP webhook in batches
// (a JSON array of {type, payload, user_id, session_id, channel, timestamp, node}), flushed at
// the batch size or at the flush interval; a full buffer answers the sender with an error.
'use strict';

const { test, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Server, Client, withTimeout } = require('./support');

// A webhook on a free loopback port that records every POSTed batch, answering `status`. With
// `answer` false it never answers (the server's request stays open until its own timeout).
async function startWebhook({ answer = true, status = 200 } = {}) {
  const batches = [];
  const waiters = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const batch = { at: Date.now(), method: req.method, url: req.url, headers: req.headers, body };
      try { batch.events = JSON.parse(body); } catch { batch.events = undefined; }
      batches.push(batch);
      for (const w of waiters.splice(0)) w();
      if (answer) {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end('{"ok":true}');
      }
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const hook = {
    batches,
    url: `http://127.0.0.1:${srv.address().port}/events`,
    // Resolves once `count` batches arrived (bounded).
    async waitBatches(count, timeoutMs = 3000) {
      await withTimeout((async () => {
        while (batches.length < count) await new Promise((r) => waiters.push(r));
      })(), timeoutMs, `${count} webhook batch(es); got ${batches.length}`);
      return batches.slice(0, count);
    },
    // Resolves with every event received once at least `count` arrived (bounded).
    async waitEvents(count, timeoutMs = 3000) {
      const total = () => batches.reduce((n, b) => n + (b.events ? b.events.length : 0), 0);
      await withTimeout((async () => {
        while (total() < count) await new Promise((r) => waiters.push(r));
      })(), timeoutMs, `${count} webhook event(s); got ${total()}`);
      return batches.flatMap((b) => b.events);
    },
    close() {
      srv.closeAllConnections();
      return new Promise((r) => srv.close(r));
    },
  };
  hooks.push(hook);
  return hook;
}

const servers = [];
const hooks = [];

async function startServer(args) {
  const s = await Server.start({ args });
  servers.push(s);
  return s;
}

afterEach(() => Client.closeAll());

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(hooks.map((h) => h.close()));
});

async function metric(srv, name) {
  const res = await srv.get('/metrics');
  let total;
  for (const line of res.text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+)$/);
    if (m && m[1] === name) total = (total || 0) + Number(m[3]);
  }
  return total;
}

test('batch size: 5 events arrive as one JSON array with their metadata', async () => {
  const hook = await startWebhook();
  const srv = await startServer(['--upstream-webhook-url', hook.url, '--upstream-batch-size', '5',
    '--upstream-flush-interval', '60s']);
  const client = await Client.authed(srv, 'up-alice');
  const sentAt = Date.now();
  for (let i = 0; i < 5; i++) client.send({ type: 'cursor.move', payload: { channel: 'board:7', x: i } });
  const [batch] = await hook.waitBatches(1);
  assert.equal(batch.method, 'POST');
  assert.equal(batch.url, '/events');
  assert.match(batch.headers['content-type'] || '', /application\/json/);
  assert.ok(Array.isArray(batch.events), `a JSON array: ${batch.body}`);
  assert.equal(batch.events.length, 5);
  assert.deepEqual(batch.events.map((e) => e.payload.x), [0, 1, 2, 3, 4], 'in sending order');
  const nodes = new Set();
  for (const e of batch.events) {
    assert.equal(e.type, 'cursor.move');
    assert.equal(e.user_id, 'up-alice');
    assert.equal(e.session_id, client.sessionId);
    assert.equal(e.channel, 'board:7');
    assert.equal(typeof e.timestamp, 'number');
    assert.ok(e.timestamp >= sentAt - 1000 && e.timestamp <= Date.now() + 1000, `timestamp ${e.timestamp}`);
    assert.equal(typeof e.node, 'string');
    assert.ok(e.node.length > 0);
    nodes.add(e.node);
  }
  assert.equal(nodes.size, 1);
  await client.expectNone('error', 0);

  // Fewer than a batch wait for the interval (a minute here): nothing more arrives now.
  for (let i = 5; i < 8; i++) client.send({ type: 'cursor.move', payload: { x: i } });
  client.send({ type: 'ping' });
  await client.next('pong');
  await client.expectNone('error', 400);
  assert.equal(hook.batches.length, 1);
});

test('flush interval: a smaller batch is sent after the interval', async () => {
  const FLUSH_INTERVAL_MS = 1000;
  // A flush is never early (a timer), but the webhook may stamp one batch later than the next
  // when this machine is busy, which shortens the gap seen between them by that much.
  const EARLY_SLACK_MS = 200;
  const hook = await startWebhook();
  const srv = await startServer(['--upstream-webhook-url', hook.url, '--upstream-batch-size', '100',
    '--upstream-flush-interval', `${FLUSH_INTERVAL_MS}ms`]);
  const client = await Client.authed(srv, 'up-bob');
  client.send({ type: 'note', payload: { conversation_id: 'c1', text: 'a' } });
  client.send({ type: 'note', payload: { conversation_id: 'c1', text: 'b' } });
  client.send({ type: 'bare' });
  // Fewer than a batch: only the interval can flush them. Waits are generous (lateness is what
  // a loaded machine produces); the interval itself is asserted from below, between flushes.
  // The three usually share one batch; a flush may fall between two sends.
  const all = await hook.waitEvents(3, 5 * FLUSH_INTERVAL_MS);
  const flushesSoFar = hook.batches.length;
  client.send({ type: 'note', payload: { text: 'later' } });
  const batches = await hook.waitBatches(flushesSoFar + 1, 5 * FLUSH_INTERVAL_MS);
  const gap = batches[flushesSoFar].at - batches[flushesSoFar - 1].at;
  assert.ok(gap >= FLUSH_INTERVAL_MS - EARLY_SLACK_MS,
    `consecutive flushes ${gap} ms apart, interval ${FLUSH_INTERVAL_MS} ms`);
  assert.deepEqual(all.map((e) => (e.payload ? e.payload.text : undefined)), ['a', 'b', undefined]);
  assert.equal(all[0].channel, 'conv:c1', 'seed 001 conversation ids name their channel');
  assert.equal(all[2].type, 'bare');
  assert.equal(all[2].payload, null, 'an event without payload is forwarded with null');
  assert.equal(all[2].channel, '');
  await client.expectNone('error', 0);
});

test('bounded buffer: the event past the limit gets buffer_full, nothing silently dropped', async () => {
  const hook = await startWebhook({ answer: false });
  const srv = await startServer(['--upstream-webhook-url', hook.url, '--upstream-batch-size', '1000',
    '--upstream-flush-interval', '60s', '--upstream-buffer-limit', '3']);
  const before = await metric(srv, 'switchboard_gateway_upstream_rejected_total');
  const client = await Client.authed(srv, 'up-carol');
  for (let i = 1; i <= 4; i++) client.send({ type: 'click', id: `e${i}`, payload: { i } });
  const err = await client.next('error');
  assert.equal(err.payload.code, 'buffer_full');
  assert.equal(err.payload.ref, 'e4');
  await client.expectNone('error', 200);
  assert.equal(client.isClosed, false);
  // Every further event is refused too, while the buffer stays full.
  client.send({ type: 'click', id: 'e5', payload: {} });
  const err5 = await client.next('error');
  assert.equal(err5.payload.ref, 'e5');
  assert.notEqual(before, undefined, 'switchboard_gateway_upstream_rejected_total missing from /metrics');
  assert.equal(await metric(srv, 'switchboard_gateway_upstream_rejected_total'), before + 2);
});

test('a failing webhook: the undelivered events are counted, not silently lost', async () => {
  const hook = await startWebhook({ status: 500 });
  const srv = await startServer(['--upstream-webhook-url', hook.url, '--upstream-batch-size', '2',
    '--upstream-flush-interval', '60s']);
  const failedBefore = await metric(srv, 'switchboard_gateway_upstream_failed_total');
  assert.notEqual(failedBefore, undefined, 'switchboard_gateway_upstream_failed_total missing from /metrics');
  const client = await Client.authed(srv, 'up-erin');
  client.send({ type: 'click', payload: { i: 1 } });
  client.send({ type: 'click', payload: { i: 2 } });
  const [batch] = await hook.waitBatches(1);
  assert.equal(batch.events.length, 2);
  const deadline = Date.now() + 3000;
  let failed = await metric(srv, 'switchboard_gateway_upstream_failed_total');
  while (failed < failedBefore + 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    failed = await metric(srv, 'switchboard_gateway_upstream_failed_total');
  }
  assert.equal(failed, failedBefore + 2);
  assert.equal(await metric(srv, 'switchboard_gateway_upstream_flushed_total'), 0);
});

test('without an upstream: unknown event types get unknown_type and the connection stays', async () => {
  const srv = await startServer([]);
  const client = await Client.authed(srv, 'up-dave');
  const err = await client.request({ type: 'cursor.move', id: 'u1', payload: { x: 1 } }, 'never');
  assert.equal(err.type, 'error');
  assert.equal(err.payload.code, 'unknown_type');
  assert.equal(err.payload.ref, 'u1');
  const err2 = await client.request({ type: 'other.thing' }, 'never');
  assert.equal(err2.payload.code, 'unknown_type');
  assert.equal(err2.payload.ref, 'other.thing', 'without an id the ref is the type');
  const pong = await client.request({ type: 'ping' }, 'pong');
  assert.equal(pong.type, 'pong');
});
