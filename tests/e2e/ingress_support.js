// What the broker ingress tests read from a running node: a metric's value, a source coming up
// and a source down as /health and /ready report it.
//
//   metric(server, name, labels) -> Promise<number>   one sample of /metrics (asserts it exists)
//   sourceUp(server, source)       waits until switchboard_ingress_source_up{source} is 1
//   sourceDown(server, source)     waits until /health is degraded with `source` down and not
//                                  required, and checks /ready still answers 200
'use strict';

const assert = require('node:assert/strict');
const { eventually } = require('./support');

async function metric(server, name, labels) {
  const text = (await server.get('/metrics')).text;
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${want}}`));
  assert.ok(line, `${name}{${want}} missing from /metrics`);
  return Number(line.split(' ').pop());
}

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

module.exports = { metric, sourceUp, sourceDown };
