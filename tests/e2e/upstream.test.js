// The upstream event buffer (seed 000): custom client events go to an HTTP webhook in batches
// (a JSON array of {type, payload, user_id, session_id, channel, timestamp, node}), flushed at
// the batch size or at the flush interval; a full buffer answers the sender with an error. One
// POST at a time, in order; a failed batch is retried with backoff, then dropped and counted;
// stopping gives what is left one last attempt.
'use strict';

const { test, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Server, Client, withTimeout, eventually } = require('./support');

// A webhook on a free loopback port that records every POSTed batch. The n-th request is
// answered statuses[n] (the last one once they run out; `status` alone is every answer). While
// `hook.answer` is false it answers nothing: the request stays open until the server's own
// timeout closes it, and is recorded with `answered` false.
async function startWebhook({ answer = true, status = 200, statuses = [status] } = {}) {
  const batches = [];
  const waiters = [];
  let open = 0;
  const srv = http.createServer((req, res) => {
    open++;
    hook.maxOpen = Math.max(hook.maxOpen, open);
    res.on('close', () => { open--; });
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const batch = { at: Date.now(), method: req.method, url: req.url, headers: req.headers, body };
      try { batch.events = JSON.parse(body); } catch { batch.events = undefined; }
      batch.answered = hook.answer;
      batch.status = statuses[Math.min(batches.length, statuses.length - 1)];
      batches.push(batch);
      for (const w of waiters.splice(0)) w();
      if (batch.answered) {
        res.writeHead(batch.status, { 'Content-Type': 'application/json' });
        res.end('{"ok":true}');
      }
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  // Events of the batches answered with a 2xx: what the webhook accepted.
  const delivered = () => batches
    .filter((b) => b.answered && b.status >= 200 && b.status < 300)
    .flatMap((b) => b.events);
  const waitFor = async (what, done, timeoutMs) => {
    await withTimeout((async () => {
      while (!done()) await new Promise((r) => waiters.push(r));
    })(), timeoutMs, what());
  };
  const hook = {
    batches,
    answer,
    maxOpen: 0,  // the most requests open at once
    url: `http://127.0.0.1:${srv.address().port}/events`,
    // Resolves once `count` batches arrived (bounded).
    async waitBatches(count, timeoutMs = 3000) {
      await waitFor(() => `${count} webhook batch(es); got ${batches.length}`,
        () => batches.length >= count, timeoutMs);
      return batches.slice(0, count);
    },
    // Resolves with every event received once at least `count` arrived (bounded).
    async waitEvents(count, timeoutMs = 3000) {
      const total = () => batches.reduce((n, b) => n + (b.events ? b.events.length : 0), 0);
      await waitFor(() => `${count} webhook event(s); got ${total()}`, () => total() >= count,
        timeoutMs);
      return batches.flatMap((b) => b.events);
    },
    // Resolves with the accepted events once at least `count` were accepted (bounded).
    async waitDelivered(count, timeoutMs = 3000) {
      await waitFor(() => `${count} accepted event(s); got ${delivered().length}`,
        () => delivered().length >= count, timeoutMs);
      return delivered();
    },
    delivered,
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

// Polls /metrics until `name` is `want` (bounded): counters settle just after the webhook's answer.
async function metricReaches(srv, name, want) {
  await eventually(async () => assert.equal(await metric(srv, name), want), { what: `${name} = ${want}` });
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
    '--upstream-flush-interval', '60s', '--upstream-buffer-limit', '3',
    '--upstream-webhook-timeout', '500ms']);  // bounds the last attempt at stop: it hangs too
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

// Retries fast (20 ms, then doubling) so that the tests below take no time; the flush interval
// is a minute, so only full batches go.
const fastRetries = (attempts) => ['--upstream-retry-initial', '20ms', '--upstream-max-attempts',
  String(attempts), '--upstream-flush-interval', '60s'];

test('a hanging webhook: at most upstream_buffer_limit events are held, and all arrive exactly once when it recovers', async () => {
  const hook = await startWebhook({ answer: false });
  const srv = await startServer(['--upstream-webhook-url', hook.url, '--upstream-batch-size', '5',
    '--upstream-buffer-limit', '10', '--upstream-webhook-timeout', '300ms', ...fastRetries(100)]);
  const client = await Client.authed(srv, 'up-hang');
  for (let i = 1; i <= 13; i++) client.send({ type: 'click', id: `e${i}`, payload: { i } });
  // The first batch (e1–e5) hangs; e6–e10 wait behind it; the rest are refused.
  for (const ref of ['e11', 'e12', 'e13']) {
    const err = await client.next('error');
    assert.equal(err.payload.code, 'buffer_full');
    assert.equal(err.payload.ref, ref);
  }
  await hook.waitBatches(1);
  await client.expectNone('error', 300);
  assert.equal(hook.maxOpen, 1, 'one POST at a time');
  assert.deepEqual(hook.delivered(), []);

  hook.answer = true;
  const events = await hook.waitDelivered(10, 5000);
  assert.deepEqual(events.map((e) => e.payload.i), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    'every accepted event once, in order: the retried batch was not overtaken');
  assert.ok(hook.batches.length >= 3, 'the first batch was retried');
  await metricReaches(srv, 'switchboard_gateway_upstream_flushed_total', 10);
  assert.equal(await metric(srv, 'switchboard_gateway_upstream_failed_total'), 0);
  // Nothing is left over to be sent again.
  await client.expectNone('error', 200);
  assert.equal(hook.delivered().length, 10);
  // The buffer is free again.
  client.send({ type: 'click', id: 'e14', payload: { i: 14 } });
  await client.expectNone('error', 200);
});

// A webhook answering `statuses` in turn, a server retrying fast up to `attempts` POSTs, and one
// batch of two events ({i: 1}, {i: 2}) sent; resolves once the webhook got `posts` POSTs.
async function retryScenario({ statuses, attempts, posts, user }) {
  const hook = await startWebhook({ statuses });
  const srv = await startServer(['--upstream-webhook-url', hook.url, '--upstream-batch-size', '2',
    ...fastRetries(attempts)]);
  for (const name of ['failed', 'retries', 'flushed']) {
    const full = `switchboard_gateway_upstream_${name}_total`;
    assert.equal(await metric(srv, full), 0, `${full} missing from /metrics or not 0`);
  }
  const client = await Client.authed(srv, user);
  client.send({ type: 'click', payload: { i: 1 } });
  client.send({ type: 'click', payload: { i: 2 } });
  const batches = await hook.waitBatches(posts);
  assert.ok(batches.every((b) => b.body === batches[0].body), 'a retry sends the same batch');
  assert.deepEqual(batches[0].events.map((e) => e.payload.i), [1, 2]);
  return { hook, srv };
}

test('a webhook that fails twice and then accepts gets the same batch a third time; nothing is dropped', async () => {
  const { hook, srv } = await retryScenario({ statuses: [500, 503, 200], attempts: 5, posts: 3, user: 'up-flaky' });
  assert.deepEqual(hook.batches.map((b) => b.status), [500, 503, 200]);
  assert.deepEqual(hook.delivered().map((e) => e.payload.i), [1, 2]);
  await metricReaches(srv, 'switchboard_gateway_upstream_flushed_total', 2);
  assert.equal(await metric(srv, 'switchboard_gateway_upstream_retries_total'), 2);
  assert.equal(await metric(srv, 'switchboard_gateway_upstream_failed_total'), 0);
  assert.equal(hook.batches.length, 3);
});

test('a webhook that always fails: the batch is dropped after upstream_max_attempts POSTs, and counted', async () => {
  const { hook, srv } = await retryScenario({ statuses: [500], attempts: 3, posts: 3, user: 'up-erin' });
  await metricReaches(srv, 'switchboard_gateway_upstream_failed_total', 2);
  assert.equal(await metric(srv, 'switchboard_gateway_upstream_retries_total'), 2);
  assert.equal(await metric(srv, 'switchboard_gateway_upstream_flushed_total'), 0);
  assert.equal(hook.batches.length, 3, 'no fourth attempt');
  assert.match(srv.output(), /2 events dropped after 3 attempt\(s\): HTTP 500/);
});

test('stop: the batch waiting for its retry goes at once, then the rest of the buffer, in order', async () => {
  const hook = await startWebhook({ statuses: [500, 200] });
  // A retry a minute away: only stopping can send it now.
  const srv = await startServer(['--upstream-webhook-url', hook.url, '--upstream-batch-size', '2',
    '--upstream-retry-initial', '60s', '--upstream-flush-interval', '60s']);
  const client = await Client.authed(srv, 'up-stop');
  client.send({ type: 'click', payload: { i: 1 } });
  client.send({ type: 'click', payload: { i: 2 } });
  await hook.waitBatches(1);
  client.send({ type: 'click', payload: { i: 3 } });
  client.send({ type: 'click', payload: { i: 4 } });
  client.send({ type: 'click', payload: { i: 5 } });
  await client.request({ type: 'ping' }, 'pong');  // the events above are in the buffer now
  assert.equal(hook.batches.length, 1, 'the next batch waits behind the one being retried');
  const stoppedAt = Date.now();
  await srv.stop();
  assert.ok(Date.now() - stoppedAt < 4000, `stopped in ${Date.now() - stoppedAt} ms`);
  assert.deepEqual(hook.batches.map((b) => b.events.map((e) => e.payload.i)), [[1, 2], [1, 2], [3, 4], [5]]);
  assert.deepEqual(hook.delivered().map((e) => e.payload.i), [1, 2, 3, 4, 5]);
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
