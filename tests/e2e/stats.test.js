// The JSON statistics (seed 002's /metrics shape) and GET /metrics' content negotiation: the
// counts and the bounded users list against the clients actually connected, the API key in
// front of the JSON (never in front of Prometheus text), each client's Accept header getting
// its format, and stats_path = /metrics making JSON the default.
'use strict';

const { test, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client, eventually } = require('./support');

const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;'
  + 'version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const AXIOS_ACCEPT = 'application/json, text/plain, */*';

const servers = [];
async function start(opts) {
  const server = await Server.start(opts);
  servers.push(server);
  return server;
}
afterEach(() => Client.closeAll());
after(async () => { for (const s of servers) await s.stop(); });

function get(server, path, { accept, key } = {}) {
  const headers = {};
  if (accept) headers.Accept = accept;
  return server.api('GET', path, undefined, { key: key === undefined ? null : key, headers });
}

test('/stats counts this node\'s connections and users and lists them, numbers as numbers', async () => {
  const server = await start({ args: ['--stats-users-limit', '100'] });
  const started = Date.now();
  await Client.authed(server, '10');
  await Client.authed(server, '5');
  await Client.authed(server, '5');  // a second device: one user, two connections
  await Client.authed(server, 'alice');
  await Client.authed(server, '007');  // not a canonical integer: a string, after the numbers
  const res = await get(server, '/stats', { key: 'k' });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const s = res.json;
  assert.deepEqual(Object.keys(s).sort(), ['memory', 'timestamp', 'totalConnections', 'totalUsers',
    'uptime', 'usersList', 'usersListOmitted']);
  assert.equal(s.totalConnections, 5);
  assert.equal(s.totalUsers, 4);
  assert.deepEqual(s.usersList, [5, 10, '007', 'alice']);
  assert.equal(s.usersListOmitted, 0);
  assert.ok(Number.isInteger(s.uptime) && s.uptime >= 0 && s.uptime < 60, `uptime ${s.uptime}`);
  assert.ok(s.memory.rss > 1024 * 1024, `rss ${s.memory.rss}`);
  assert.ok(s.memory.heapUsed > 0 && s.memory.heapTotal >= s.memory.heapUsed, JSON.stringify(s.memory));
  const at = Date.parse(s.timestamp);
  assert.match(s.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(at >= started - 1000 && at <= Date.now() + 1000, s.timestamp);
  // A user who leaves leaves the list (the count follows the node's own bookkeeping).
  await Client.closeAll();
  await eventually(async () => {
    const after = (await get(server, '/stats', { key: 'k' })).json;
    assert.deepEqual([after.totalConnections, after.totalUsers, after.usersList], [0, 0, []]);
  }, { what: 'the statistics empty after every client left' });
});

test('usersList is bounded by stats_users_limit: the first ids in order, the same at every scrape', async () => {
  const server = await start({ args: ['--stats-users-limit', '2'] });
  const users = ['30', 'bob', '4', '100', 'al', '2', '9007199254740993', '11'];
  for (const user of users) await Client.authed(server, user);
  for (let scrape = 0; scrape < 3; scrape++) {
    const s = (await get(server, '/stats', { key: 'k' })).json;
    assert.equal(s.totalUsers, users.length);
    assert.deepEqual(s.usersList, [2, 4]);
    assert.equal(s.usersListOmitted, users.length - 2);
  }
});

test('by default the statistics count users and name none (stats_users_limit = 0)', async () => {
  const server = await start({ apiKey: null });
  await Client.authed(server, '1');
  await Client.authed(server, 'bob');
  const s = (await get(server, '/stats')).json;
  assert.deepEqual([s.totalUsers, s.usersList, s.usersListOmitted], [2, [], 2]);
});

test('behind the API key when one is set: 401 without it, for /stats and /metrics as JSON alike', async () => {
  const server = await start({});
  for (const [path, accept] of [['/stats', undefined], ['/metrics', AXIOS_ACCEPT]]) {
    const none = await get(server, path, { accept });
    assert.equal(none.status, 401, `${path}: ${none.text}`);
    assert.equal(none.json.error.code, 'unauthorized');
    assert.equal((await get(server, path, { accept, key: 'wrong' })).status, 401);
    assert.equal((await get(server, path, { accept, key: 'k' })).status, 200);
  }
  // Prometheus text stays open, as it always was: scrapers carry no key.
  const text = await get(server, '/metrics', { accept: PROMETHEUS_ACCEPT });
  assert.equal(text.status, 200);
  assert.match(text.text, /^# HELP /m);
});

test('without an API key the statistics are open, like /metrics', async () => {
  const server = await start({ apiKey: null, args: ['--stats-users-limit', '10'] });
  await Client.authed(server, '7');
  const s = await get(server, '/stats');
  assert.equal(s.status, 200, s.text);
  assert.deepEqual(s.json.usersList, [7]);
});

test('GET /metrics: each client gets the format its Accept header prefers, and Vary says so', async () => {
  const server = await start({});
  const cases = [
    // fetch() always sends an Accept (*/*): no header at all is the unit tests' case.
    ['*/*', 'text'], [PROMETHEUS_ACCEPT, 'text'], ['text/plain', 'text'],
    [AXIOS_ACCEPT, 'json'], ['application/json', 'json'], ['text/plain;q=0.1, application/json', 'json'],
  ];
  for (const [accept, format] of cases) {
    const res = await get(server, '/metrics', { accept, key: 'k' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('vary'), 'Accept', String(accept));
    if (format === 'json') {
      assert.match(res.headers.get('content-type'), /^application\/json/, String(accept));
      assert.equal(typeof res.json.totalConnections, 'number', String(accept));
    } else {
      assert.match(res.headers.get('content-type'), /^text\/plain/, String(accept));
      assert.match(res.text, /^switchboard_connections /m, String(accept));
    }
  }
});

test('stats_path = /metrics: JSON is /metrics\' default, Prometheus still gets text by asking', async () => {
  const server = await start({ apiKey: null, args: ['--stats-path', '/metrics', '--stats-users-limit', '5'] });
  await Client.authed(server, '42');
  const plain = await get(server, '/metrics');  // fetch()'s */*, as a dashboard reads it
  assert.equal(plain.status, 200);
  assert.deepEqual([plain.json.totalConnections, plain.json.usersList], [1, [42]]);
  assert.equal((await get(server, '/metrics', { accept: '*/*' })).json.totalUsers, 1);
  const scrape = await get(server, '/metrics', { accept: PROMETHEUS_ACCEPT });
  assert.match(scrape.headers.get('content-type'), /^text\/plain/);
  assert.match(scrape.text, /^switchboard_connections 1$/m);
  assert.equal((await get(server, '/stats')).status, 404, 'no second route when the path is /metrics');
});

test('a stats_path that is not a path is refused at start', async () => {
  await assert.rejects(Server.start({ args: ['--stats-path', 'stats'] }), /--stats-path.*starting with '\/'/);
});
