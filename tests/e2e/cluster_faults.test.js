// Faults of the Redis engine, against real private redis-server processes killed, restarted
// and frozen while nodes run. What each fault does is documented in docs/cluster.md; these
// tests assert it: the node keeps serving HTTP and its client connections, the server API
// answers 503 (never a 2xx for something not published) while Redis is away, and afterwards
// live publications flow again and a client either recovers what it missed or is told
// `not_recovered`.
'use strict';

const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, eventually, delay } = require('./support');
const { RedisServer } = require('./redis_support');

afterEach(() => Client.closeAll());

function nodeArgs(redis, id, extra = []) {
  return ['--redis-url', redis.url, '--node-id', id, '--public-channels', 'room:*',
    '--history-size', '50', '--registry-ttl', '3s', '--redis-command-timeout', '500ms', ...extra];
}

async function ready(node, expected) {
  await eventually(async () => assert.equal((await node.get('/ready')).status, expected),
    { what: `/ready ${expected} on ${node.port}`, timeoutMs: 15000 });
}

async function ping(client) {
  client.send({ type: 'ping' });
  await client.next('pong');
}

test('Redis down at start: the node serves HTTP, /ready is 503 naming Redis, and it connects by itself once Redis is up', async (t) => {
  const redis = await RedisServer.start();
  await redis.kill();
  const node = await Server.start({ args: nodeArgs(redis, 'start-down') });
  t.after(async () => { await node.stop(); await redis.stop(); });
  const notReady = await node.get('/ready');
  assert.equal(notReady.status, 503);
  assert.equal(notReady.json.status, 'unavailable');
  assert.equal(notReady.json.dependencies[0].name, `redis 127.0.0.1:${redis.port}`);
  assert.equal(notReady.json.dependencies[0].status, 'down');
  assert.ok(notReady.json.dependencies[0].error, 'says why');
  const health = await node.health();
  assert.equal(health.status, 'degraded');
  const refused = await node.api('POST', '/api/publish', { channel: 'room:a', type: 'msg', payload: {} });
  assert.equal(refused.status, 503, refused.text);
  // A client still connects and authenticates (JWT needs no Redis); a subscribe is refused
  // visibly, not left waiting.
  const early = await Client.authed(node, 'early');
  early.send({ type: 'subscribe', payload: { channel: 'room:a' } });
  const err = await early.next((m) => m.type === 'error' && m.payload.code === 'unavailable' &&
    JSON.stringify(m.payload).includes('room:a'));
  assert.ok(err);
  const dropped = await early.next((m) => m.type === 'unsubscribed' && m.payload.channel === 'room:a');
  assert.equal(dropped.payload.reason, 'unavailable');
  await redis.restart();
  await ready(node, 200);
  const ok = await node.api('POST', '/api/publish', { channel: 'room:a', type: 'msg', payload: {} });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.offset, 1);
  // The broadcast channel, which the node could not subscribe to at start, was asked for again.
  const everyone = await Client.authed(node, 'anyone');
  await eventually(async () => {
    const res = await node.api('POST', '/api/broadcast', { type: 'notice', payload: { n: 1 } });
    assert.equal(res.status, 202, res.text);
    await everyone.next('notice', 300);
  }, { what: 'a broadcast reaching the client', timeoutMs: 10000 });
});

test('Redis restarted while nodes run: 503 meanwhile, connections stay open, live events flow again, and the lost history is reported as not_recovered', async (t) => {
  const redis = await RedisServer.start();
  const [a, b] = await Promise.all([
    Server.start({ args: nodeArgs(redis, 'restart-a') }),
    Server.start({ args: nodeArgs(redis, 'restart-b') })]);
  t.after(async () => { await Promise.all([a.stop(), b.stop()]); await redis.stop(); });
  await Promise.all([ready(a, 200), ready(b, 200)]);
  const channel = 'room:restart';
  const watcher = await Client.authed(a, 'watcher');
  await watcher.subscribe([channel]);
  const before = await b.api('POST', '/api/publish', { channel, type: 'msg', payload: { n: 1 } });
  assert.equal(before.status, 200, before.text);
  assert.equal((await watcher.next('msg')).offset, before.json.offset);

  await redis.kill();
  await ready(b, 503);
  const during = await b.api('POST', '/api/publish', { channel, type: 'msg', payload: { n: 2 } });
  assert.equal(during.status, 503, `never a 2xx for something not published: ${during.text}`);
  const broadcast = await b.api('POST', '/api/broadcast', { type: 'notice', payload: {} });
  assert.equal(broadcast.status, 503, broadcast.text);
  const send = await b.api('POST', '/api/send', { user_id: 'watcher', type: 'dm', payload: {} });
  assert.equal(send.status, 503, send.text);
  await ping(watcher);  // the client connection stays open and served

  await redis.restart();
  await Promise.all([ready(a, 200), ready(b, 200)]);
  // The node resubscribed and recovered for its subscriber: the history died with Redis.
  const told = await watcher.next((m) => m.type === 'not_recovered' && m.payload.channel === channel, 15000);
  assert.notEqual(told.payload.position.epoch, before.json.epoch, 'a new epoch');
  const after = await eventually(async () => {
    const res = await b.api('POST', '/api/publish', { channel, type: 'msg', payload: { n: 3 } });
    assert.equal(res.status, 200, res.text);
    return res.json;
  }, { what: 'publish after the restart' });
  const live = await watcher.next((m) => m.type === 'msg' && m.payload.n === 3);
  assert.equal(live.epoch, after.epoch);
  // A client that names its old position is told too.
  const back = await Client.authed(b, 'returning');
  back.send({ type: 'subscribe', payload: { channel, offset: before.json.offset, epoch: before.json.epoch } });
  const position = await back.next(['recovered', 'not_recovered']);
  assert.equal(position.type, 'not_recovered');
});

test('a node killed with SIGKILL: its clients reconnect to another node and recover every event published meanwhile; its users leave the registry', async (t) => {
  const redis = await RedisServer.start();
  const [survivor, victim] = await Promise.all([
    Server.start({ args: nodeArgs(redis, 'survivor') }),
    Server.start({ args: nodeArgs(redis, 'victim') })]);
  t.after(async () => { await survivor.stop(); await victim.stop(); await redis.stop(); });
  await Promise.all([ready(survivor, 200), ready(victim, 200)]);
  const channel = 'room:failover';
  const c = await Client.authed(victim, 'mover');
  await c.subscribe([channel]);
  const e1 = await survivor.api('POST', '/api/publish', { channel, type: 'msg', payload: { n: 1 } });
  assert.equal((await c.next('msg')).offset, e1.json.offset);
  assert.equal((await survivor.api('GET', '/api/users/mover')).json.online, true);

  victim.child.kill('SIGKILL');
  await c.waitClose();
  const published = [];
  for (let n = 2; n <= 4; n++) {
    const res = await survivor.api('POST', '/api/publish', { channel, type: 'msg', payload: { n } });
    assert.equal(res.status, 200, 'the other node never stops serving');
    published.push(res.json.offset);
  }
  const again = await Client.authed(survivor, 'mover');
  again.send({ type: 'subscribe', payload: { channel, offset: e1.json.offset, epoch: e1.json.epoch } });
  assert.equal((await again.next(['recovered', 'not_recovered'])).type, 'recovered');
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await again.next('msg')).offset);
  assert.deepEqual(got, published);
  await again.close();
  // The dead node's registry entry expires within registry_ttl (3 s).
  await eventually(async () => {
    assert.equal((await survivor.api('GET', '/api/users/mover')).json.online, false);
  }, { what: 'mover offline after the dead node\'s entry expired', timeoutMs: 10000 });
});

test('Redis frozen: calls time out within the command timeout and are counted, the worker loops keep serving, and all is well once it thaws', async (t) => {
  const redis = await RedisServer.start();
  const node = await Server.start({ args: nodeArgs(redis, 'frozen') });
  t.after(async () => { redis.resume(); await node.stop(); await redis.stop(); });
  await ready(node, 200);
  const client = await Client.authed(node, 'patient');
  redis.pause();
  const started = Date.now();
  const res = await node.api('POST', '/api/publish', { channel: 'room:slow', type: 'msg', payload: {} });
  assert.equal(res.status, 503, res.text);
  // 500 ms command timeout; the bound leaves room for a loaded machine.
  assert.ok(Date.now() - started < 4000, `answered after ${Date.now() - started} ms`);
  await ping(client);  // pings are the worker's, not Redis's
  const metrics = (await node.get('/metrics')).text;
  assert.match(metrics, /^switchboard_gateway_engine_errors_total\{op="publish"\} [1-9]/m);
  redis.resume();
  await ready(node, 200);
  await eventually(async () => {
    const ok = await node.api('POST', '/api/publish', { channel: 'room:slow', type: 'msg', payload: {} });
    assert.equal(ok.status, 200, ok.text);
  }, { what: 'publish after the thaw', timeoutMs: 10000 });
});

test('the promise: through a Redis crash, every publication answered 2xx reaches the subscriber once and in order, or the subscriber is told not_recovered', async (t) => {
  const redis = await RedisServer.start();
  const [sub, pub] = await Promise.all([
    Server.start({ args: nodeArgs(redis, 'promise-sub') }),
    Server.start({ args: nodeArgs(redis, 'promise-pub') })]);
  t.after(async () => { await Promise.all([sub.stop(), pub.stop()]); await redis.stop(); });
  await Promise.all([ready(sub, 200), ready(pub, 200)]);
  const channel = 'room:promise';
  const client = await Client.authed(sub, 'promised');
  await client.subscribe([channel]);

  const accepted = [];  // {n, offset, epoch} of every 2xx
  let refused = 0;
  const publishOne = async (n) => {
    const res = await pub.api('POST', '/api/publish', { channel, type: 'msg', payload: { n } });
    if (res.status === 200) {
      accepted.push({ n, offset: res.json.offset, epoch: res.json.epoch });
    } else {
      assert.equal(res.status, 503, res.text);
      refused++;
    }
  };
  const N = 240;
  let restartedAt = 0;
  for (let n = 1; n <= N; n++) {
    if (n === 80) await redis.kill();
    if (n === 120) { await redis.restart(); restartedAt = Date.now(); }
    await publishOne(n);
  }
  // The node reconnects with its backoff, which on a loaded machine can outlast the loop's
  // last requests (each refused at once): go on, numbered on, until one is accepted again.
  for (let n = N + 1; !accepted.some((a) => a.n > 120) && Date.now() - restartedAt < 15000; n++) {
    await publishOne(n);
    if (!accepted.some((a) => a.n === n)) await delay(50);
  }
  assert.ok(refused > 0, 'the crash was felt');
  assert.ok(accepted.some((a) => a.n > 120), 'publications were accepted again after the restart');
  // A marker after everything: once it arrived, everything before it that will arrive has.
  await eventually(async () => {
    const res = await pub.api('POST', '/api/publish', { channel, type: 'msg', payload: { n: 'end' } });
    assert.equal(res.status, 200, res.text);
  }, { what: 'the marker published' });
  await client.next((m) => m.type === 'msg' && m.payload.n === 'end', 15000);

  const got = client.messages.filter((m) => m.type === 'msg' && m.channel === channel &&
    m.payload.n !== 'end');
  const ns = got.map((m) => m.payload.n);
  assert.equal(new Set(ns).size, ns.length, `no publication twice: ${ns}`);
  for (let i = 1; i < got.length; i++) {
    const [a, b] = [got[i - 1], got[i]];
    assert.ok(a.epoch !== b.epoch || b.offset === a.offset + 1, `in order, no gap without notice: ${a.offset}@${a.epoch} then ${b.offset}@${b.epoch}`);
  }
  const told = client.messages.filter((m) => m.type === 'not_recovered' && m.payload.channel === channel);
  const received = new Set(ns);
  const missing = accepted.filter((a) => !received.has(a.n));
  // Each one lost was told: a not_recovered whose position is past it — in a later epoch (its
  // stream died with Redis), or in its own epoch at or after it (the node's subscription came
  // back so late that the history, 50 events, no longer held it: the replay brings the latest
  // 50 and the client knows that what came before is gone).
  const toldPast = (m) => told.some((x) => x.payload.position.epoch !== m.epoch ||
    x.payload.position.offset >= m.offset);
  if (missing.length > 0) {
    assert.ok(told.length > 0, `lost ${missing.map((m) => m.n)} without being told`);
    for (const m of missing) {
      assert.ok(toldPast(m),
        `publication ${m.n} (${m.offset}@${m.epoch}) lost without a not_recovered past it`);
    }
  }
  // Every event of the current epoch past the last position told arrived (live or replayed).
  const lastEpoch = accepted[accepted.length - 1].epoch;
  const toldOffsets = told.filter((x) => x.payload.position.epoch === lastEpoch)
    .map((x) => x.payload.position.offset);
  const toldUpTo = toldOffsets.length > 0 ? Math.max(...toldOffsets) : 0;
  for (const a of accepted.filter((x) => x.epoch === lastEpoch && x.offset > toldUpTo)) {
    assert.ok(received.has(a.n), `publication ${a.n} of the current epoch missing`);
  }
});

// One sample of a switchboard_redis_* family from /metrics (labels in the order written).
async function redisMetric(node, name, labels) {
  const text = (await node.get('/metrics')).text;
  const escaped = labels.replace(/[{}]/g, '\\$&');
  const m = text.match(new RegExp(`^${name}\\{${escaped}\\} (\\d+)$`, 'm'));
  assert.ok(m, `${name}{${labels}} missing from /metrics`);
  return Number(m[1]);
}

test('the Redis client\'s counters are on /metrics: commands rise with publishing, timeouts with a frozen Redis', async (t) => {
  const redis = await RedisServer.start();
  const node = await Server.start({ args: nodeArgs(redis, 'counted') });
  t.after(async () => { redis.resume(); await node.stop(); await redis.stop(); });
  await ready(node, 200);
  const command = `shard="127.0.0.1:${redis.port}",connection="command"`;
  const shard = `shard="127.0.0.1:${redis.port}"`;
  assert.equal(await redisMetric(node, 'switchboard_redis_ready', shard), 1);
  assert.ok(await redisMetric(node, 'switchboard_redis_connects_total', command) >= 1);

  const before = await redisMetric(node, 'switchboard_redis_commands_total', command);
  for (let n = 0; n < 10; n++) {
    const res = await node.api('POST', '/api/publish', { channel: 'room:counted', type: 'msg', payload: { n } });
    assert.equal(res.status, 200, res.text);
  }
  const after = await redisMetric(node, 'switchboard_redis_commands_total', command);
  assert.ok(after - before >= 10, `one command per publish at least: ${before} -> ${after}`);
  assert.ok(await redisMetric(node, 'switchboard_redis_writes_total', command) >= 1);

  // Frozen longer than the 500 ms command timeout, with a command pending: the connection
  // resets and counts a timeout.
  const timeouts = await redisMetric(node, 'switchboard_redis_timeouts_total', command);
  const connects = await redisMetric(node, 'switchboard_redis_connects_total', command);
  redis.pause();
  const refused = await node.api('POST', '/api/publish', { channel: 'room:counted', type: 'msg', payload: {} });
  assert.equal(refused.status, 503, refused.text);
  assert.ok(await redisMetric(node, 'switchboard_redis_timeouts_total', command) > timeouts);
  assert.ok(await redisMetric(node, 'switchboard_redis_failed_pending_total', command) >= 1);
  redis.resume();
  await ready(node, 200);
  await eventually(async () => {
    assert.ok(await redisMetric(node, 'switchboard_redis_connects_total', command) > connects);
    assert.equal(await redisMetric(node, 'switchboard_redis_in_flight', shard), 0);
  }, { what: 'reconnected, nothing in flight', timeoutMs: 10000 });
  // The other families are there too (their values depend on what ran before).
  const text = (await node.get('/metrics')).text;
  for (const family of ['switchboard_redis_pubsub_messages_total', 'switchboard_redis_dropped_total',
    'switchboard_redis_ratelimit_syncs_total', 'switchboard_redis_rejected_total',
    'switchboard_redis_subscriptions_restored_total']) {
    assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'));
  }
});
