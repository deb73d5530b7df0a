// What the broker ingress tests read from a running node: a source coming up and a source down
// as /health, /ready and /metrics report it (support.js's metric() reads one sample).
//
//   sourceUp(server, source)       waits until switchboard_ingress_source_up{source} is 1
//   sourceDown(server, source)     waits until /health is degraded with `source` down and not
//                                  required, and checks /ready still answers 200
//   startSeedOnRedis(seed, prefix) -> Promise<{ redis, server }>   a private Redis and a node
//                                  on examples/seeds/<seed>.toml using it (its redis_url
//                                  overridden, keys under `prefix`)
//   rawClient(server) -> Promise<Client>   an anonymous client at `/` (no `connected` frame
//                                  awaited) recording each text frame in client.frames as
//                                  { text, at } (its arrival time, Date.now())
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { Server, Client, eventually, metric } = require('./support');
const { RedisServer } = require('./redis_support');

const SEEDS = path.join(__dirname, '..', '..', 'examples', 'seeds');

async function sourceUp(server, source) {
  await eventually(async () => assert.equal(
    await metric(server, 'switchboard_ingress_source_up', { source }), 1),
  { what: `${source} up`, timeoutMs: 15000 });
}

async function sourceDown(server, source) {
  await eventually(async () => {
    const health = (await server.get('/health')).json;
    assert.equal(health.status, 'degraded');
    const dep = health.dependencies.find((d) => d.name === source);
    assert.equal(dep.status, 'down');
    assert.equal(dep.required, false);
  }, { what: `/health degraded with ${source} down`, timeoutMs: 10000 });
  // The node still serves its clients: the load balancer keeps it.
  assert.equal((await server.get('/ready')).status, 200);
  assert.equal(await metric(server, 'switchboard_ingress_source_up', { source }), 0);
}

async function startSeedOnRedis(seed, prefix) {
  const redis = await RedisServer.start();
  const server = await Server.start({
    args: ['--config', path.join(SEEDS, `${seed}.toml`), '--redis-url', redis.url, '--redis-prefix', prefix],
  });
  return { redis, server };
}

async function rawClient(server) {
  const c = await Client.connect(server, { path: '/', waitConnected: false });
  c.frames = [];
  c.ws.on('message', (data) => c.frames.push({ text: data.toString(), at: Date.now() }));
  return c;
}

module.exports = { sourceUp, sourceDown, startSeedOnRedis, rawClient };
