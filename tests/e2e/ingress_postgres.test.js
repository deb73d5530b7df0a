// The PostgreSQL outbox (docs/ingress.md, "PostgreSQL outbox"): seed 001's flow without its
// projection worker, from examples/seeds/001-outbox.toml — rows its API server inserts in its
// own transactions reach the conversation's subscribers (or the user's connections) once, in
// order, with two nodes claiming from one table; a rolled-back insert never. Rows no rule can
// deliver are moved aside and do not block the rows behind them. Faults: a node SIGKILLed while
// it holds a claim, PostgreSQL restarted and frozen while rows arrive, a claim running past
// the statement timeout. One private PostgreSQL for the file, a database per describe.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Server, Client, eventually, metric, delay } = require('./support');
const { RedisServer } = require('./redis_support');
const { PostgresServer, OUTBOX_SCHEMA } = require('./postgres_support');

const SEEDS = path.join(__dirname, '..', '..', 'examples', 'seeds');

let pg;
before(async () => { pg = await PostgresServer.start(); });
after(async () => { await Client.closeAll(); if (pg) await pg.stop(); });
afterEach(() => Client.closeAll());

let databases = 0;
async function freshDatabase(extraSql = '') {
  const db = `outbox_${databases++}`;
  await pg.createDatabase(db);
  await pg.sql(OUTBOX_SCHEMA + extraSql, { db });
  return db;
}

function sourceName(db, table = 'switchboard_outbox') {
  return `ingress postgres 127.0.0.1:${pg.port}/${db} ${table}`;
}

async function outboxUp(server, db, table) {
  await eventually(async () => assert.equal(
    await metric(server, 'switchboard_ingress_source_up', { source: sourceName(db, table) }), 1),
  { what: 'the outbox source up', timeoutMs: 15000 });
}

// INSERTs of (topic, payload) pairs in one transaction.
function insertSql(rows, table = 'switchboard_outbox') {
  const literal = (s) => (s === null ? 'NULL' : `'${String(s).replace(/'/g, "''")}'`);
  return `INSERT INTO ${table} (topic, payload) VALUES ${rows.map(([t, p]) => `(${literal(t)}, ${literal(p)})`).join(', ')};`;
}

function writeConfig(text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-outbox-'));
  const file = path.join(dir, 'outbox.toml');
  fs.writeFileSync(file, text);
  return file;
}

// One node on the memory engine reading `db`'s outbox: ws:conv:<id> → conv:<id>, with the
// options `settings` (TOML lines).
async function startConvNode(db, settings = []) {
  const config = writeConfig(['public_channels = ["conv:*"]', ...settings, '[[ingress]]', 'name = "conv"',
    'source = "postgres"', 'topics = ["ws:conv:*"]', 'target = "channel"', 'channel = "conv:{1}"', ''].join('\n'));
  const server = await Server.start({ args: ['--config', config], env: { POSTGRES_DSN: pg.url(db) } });
  await outboxUp(server, db);
  return server;
}

async function subscribed(server, user, channels) {
  const c = await Client.authed(server, user);
  await c.subscribe(channels);
  return c;
}

// The `seq` payload field of every message.new on `channel` the client got so far.
function seqs(client, channel) {
  return client.messages.filter((m) => m.type === 'message.new' && m.channel === channel).map((m) => m.payload.seq);
}

describe('seed 001: its outbox read by two nodes, no projection worker', () => {
  let redis;
  let db;
  let nodes;
  before(async () => {
    redis = await RedisServer.start();
    db = await freshDatabase();
    const start = () => Server.start({
      args: ['--config', path.join(SEEDS, '001-outbox.toml'), '--redis-prefix', `e2e-outbox-${db}:`],
      env: { POSTGRES_DSN: `${pg.url(db)}?sslmode=disable`, REDIS_HOST: `127.0.0.1:${redis.port}` },
    });
    nodes = [await start(), await start()];
    for (const n of nodes) await outboxUp(n, db);
  });
  after(async () => {
    await Client.closeAll();
    for (const n of nodes || []) await n.stop();
    await redis.stop();
  });

  test('a committed insert reaches the conversation once; a rolled-back one never', async () => {
    const a = await subscribed(nodes[0], 'u1', ['conv:c1']);
    const b = await subscribed(nodes[1], 'u2', ['conv:c1']);
    await pg.sql(`BEGIN; ${insertSql([['ws:conv:c1', '{"type":"message.new","payload":{"seq":-1}}']])} ROLLBACK;`, { db });
    await pg.sql(`BEGIN; ${insertSql([['ws:conv:c1', '{"type":"message.new","payload":{"seq":0,"text":"hi"}}']])} COMMIT;`, { db });
    for (const c of [a, b]) {
      const m = await c.next('message.new');
      assert.equal(m.channel, 'conv:c1');
      assert.deepEqual(m.payload, { seq: 0, text: 'hi' });
      await c.expectNone('message.new');
    }
    // Deleted once published: nothing waits, nothing was moved aside.
    assert.deepEqual(await pg.sql('SELECT count(*) FROM switchboard_outbox', { db }), [['0']]);
  });

  test('a user topic reaches every connection of that user and nobody else', async () => {
    const a = await Client.authed(nodes[0], 'u-two');
    const b = await Client.authed(nodes[1], 'u-two');
    const other = await Client.authed(nodes[0], 'u-three');
    await pg.sql(insertSql([['ws:user:u-two', '{"type":"conversation.created","payload":{"id":"c7"}}']]), { db });
    for (const c of [a, b]) {
      const m = await c.next('conversation.created');
      assert.equal(m.channel, 'user:u-two');
      assert.deepEqual(m.payload, { id: 'c7' });
    }
    await other.expectNone('conversation.created');
  });

  test('1,200 rows in 40 transactions over three conversations: each once, in order, claimed by both nodes', async () => {
    const channels = ['conv:k1', 'conv:k2', 'conv:k3'];
    const a = await subscribed(nodes[0], 'u1', channels);
    const b = await subscribed(nodes[1], 'u2', channels);
    const claimsBefore = await Promise.all(nodes.map((n) => metric(n, 'switchboard_ingress_outbox_claims_total',
      { source: sourceName(db), result: 'rows' })));
    const expected = { 'conv:k1': [], 'conv:k2': [], 'conv:k3': [] };
    let seq = 0;
    for (let t = 0; t < 40; t++) {
      const rows = [];
      for (let i = 0; i < 30; i++) {
        const ch = channels[(t + i) % 3];
        expected[ch].push(seq);
        rows.push([`ws:${ch}`, JSON.stringify({ type: 'message.new', payload: { seq: seq++ } })]);
      }
      await pg.sql(insertSql(rows), { db });
    }
    for (const c of [a, b]) {
      for (const ch of channels) {
        await eventually(() => assert.equal(seqs(c, ch).length, expected[ch].length),
          { what: `every row of ${ch}`, timeoutMs: 20000 });
      }
    }
    await delay(300);  // a repeat would come right behind
    for (const c of [a, b]) {
      for (const ch of channels) assert.deepEqual(seqs(c, ch), expected[ch], `${ch}: each once, in order`);
    }
    assert.deepEqual(await pg.sql('SELECT count(*) FROM switchboard_outbox', { db }), [['0']]);
    // Both nodes claimed (the trigger wakes both; one holds the table's claim at a time).
    const claims = await Promise.all(nodes.map((n) => metric(n, 'switchboard_ingress_outbox_claims_total',
      { source: sourceName(db), result: 'rows' })));
    assert.ok(claims.every((n, i) => n > claimsBefore[i]), `claims per node: ${claimsBefore} → ${claims}`);
  });
});

describe('rows that cannot be delivered are moved aside', () => {
  let db;
  let server;
  before(async () => {
    db = await freshDatabase(`
      CREATE TABLE raw_outbox (event_id bigserial PRIMARY KEY, topic text, kind text, body text,
        failed_at timestamptz, error text);`);
    const config = writeConfig(`
public_channels = ["news:*"]
[[ingress]]
name = "news"
source = "postgres"
topics = ["news.*"]
target = "channel"
channel = "news:{1}"

[[ingress]]
name = "alerts"
source = "postgres"
topics = ["alert.*"]
target = "user"
user_field = "user_id"

[[ingress]]
name = "raw"
source = "postgres"
table = "raw_outbox"
columns = { id = "event_id", event = "kind", payload = "body" }
topics = ["*"]
target = "channel"
channel = "news:{1}"
`);
    server = await Server.start({ args: ['--config', config], env: { DATABASE_URL: pg.url(db) } });
    await outboxUp(server, db);
    await outboxUp(server, db, 'raw_outbox');
  });
  after(() => server.stop());

  test('no rule, a NULL payload, a missing field: moved aside with the reason, counted, and the rows behind flow', async () => {
    const c = await subscribed(server, 'u1', ['news:sport']);
    await pg.sql(insertSql([
      ['news.sport', '{"seq":1}'],
      ['weather.today', '{"seq":2}'],  // no rule's topics
      ['news.sport', null],           // NULL payload
      ['alert.fire', '{"seq":3}'],     // user_field missing
      [null, '{"seq":4}'],             // NULL topic
      ['news.sport', '{"seq":5}'],
    ]), { db });
    const first = await c.next('message.new');
    assert.deepEqual(first.payload, { seq: 1 });  // not an envelope: the whole payload
    assert.equal((await c.next('message.new')).payload.seq, 5);
    const aside = await eventually(async () => {
      const rows = await pg.sql('SELECT topic, error FROM switchboard_outbox WHERE failed_at IS NOT NULL ORDER BY id', { db });
      assert.equal(rows.length, 4);
      return rows;
    }, { what: 'four rows moved aside' });
    assert.deepEqual(aside, [
      ['weather.today', "no ingress rule takes topic 'weather.today'"],
      ['news.sport', 'the payload is NULL'],
      ['alert.fire', 'refused by its ingress rule: missing_field'],
      ['', 'the topic is NULL'],
    ]);
    assert.deepEqual(await pg.sql('SELECT count(*) FROM switchboard_outbox WHERE failed_at IS NULL', { db }), [['0']]);
    assert.equal(await metric(server, 'switchboard_ingress_outbox_rows_total', { source: sourceName(db), outcome: 'moved_aside' }), 4);
    assert.equal(await metric(server, 'switchboard_ingress_rejected_total', { rule: 'alerts', reason: 'missing_field' }), 1);
    // A row moved aside stays aside: a later claim does not take it again.
    await pg.sql(insertSql([['news.sport', '{"seq":6}']]), { db });
    assert.equal((await c.next('message.new')).payload.seq, 6);
    assert.equal(await metric(server, 'switchboard_ingress_outbox_rows_total', { source: sourceName(db), outcome: 'moved_aside' }), 4);
  });

  test('configured columns: the event column names the event; a payload that is not JSON is moved aside', async () => {
    const c = await subscribed(server, 'u1', ['news:sport']);
    await pg.sql(`INSERT INTO raw_outbox (topic, kind, body) VALUES
      ('sport', 'score.changed', '{"home":1}'),
      ('sport', NULL, '{not json'),
      ('sport', NULL, '{"type":"goal","payload":{"minute":9}}');`, { db });
    const first = await c.next(['score.changed', 'goal']);
    assert.equal(first.type, 'score.changed');
    assert.deepEqual(first.payload, { home: 1 });
    const second = await c.next(['score.changed', 'goal']);
    assert.equal(second.type, 'goal');  // the event column NULL: the envelope's own
    assert.deepEqual(second.payload, { minute: 9 });
    const aside = await eventually(async () => {
      const rows = await pg.sql('SELECT body, error FROM raw_outbox WHERE failed_at IS NOT NULL', { db });
      assert.equal(rows.length, 1);
      return rows;
    }, { what: 'the bad row moved aside' });
    assert.deepEqual(aside, [['{not json', 'refused by its ingress rule: not_json']]);
  });
});

describe('faults', () => {
  test('a node SIGKILLed while it holds a claim: the other node delivers its rows', async () => {
    const redis = await RedisServer.start();
    const db = await freshDatabase();
    try {
      const start = (name) => Server.start({
        args: ['--config', path.join(SEEDS, '001-outbox.toml'), '--redis-prefix', `e2e-outbox-${db}:`,
          '--postgres-outbox-batch', '20'],
        env: { POSTGRES_DSN: `${pg.url(db)}?application_name=${name}`, REDIS_HOST: `127.0.0.1:${redis.port}` },
      });
      const victim = await start('victim');
      const survivor = await start('survivor');
      for (const n of [victim, survivor]) await outboxUp(n, db);
      const c = await subscribed(survivor, 'u1', ['conv:f1']);
      // Rows keep coming until the victim is caught, stopped, holding the table's claim.
      let seq = 0;
      let caught = false;
      for (let attempt = 0; attempt < 50 && !caught; attempt++) {
        const rows = [];
        for (let i = 0; i < 100; i++) rows.push(['ws:conv:f1', JSON.stringify({ type: 'message.new', payload: { seq: seq++ } })]);
        await pg.sql(insertSql(rows), { db });
        victim.child.kill('SIGSTOP');
        const held = await pg.sql(`SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
          WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'victim'`, { db });
        caught = held[0][0] === '1';
        if (!caught) victim.child.kill('SIGCONT');
      }
      assert.ok(caught, 'the victim never held a claim');
      const locked = await pg.sql(`SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND a.application_name = 'victim'`, { db });
      assert.equal(locked[0][0], '1');
      victim.child.kill('SIGKILL');
      // Its session closes, PostgreSQL rolls its claim back, and the survivor takes the rows.
      await eventually(() => assert.equal(new Set(seqs(c, 'conv:f1')).size, seq),
        { what: `all ${seq} rows at the survivor's client`, timeoutMs: 20000 });
      const got = seqs(c, 'conv:f1');
      // At least once; in order of first arrival.
      const firsts = got.filter((s, i) => got.indexOf(s) === i);
      assert.deepEqual(firsts, [...Array(seq).keys()]);
      assert.deepEqual(await pg.sql('SELECT count(*) FROM switchboard_outbox', { db }), [['0']]);
      await survivor.stop();
    } finally {
      await redis.stop();
    }
  });

  test('PostgreSQL restarted while rows arrive: /health shows the source down, then every row arrives', async () => {
    const db = await freshDatabase();
    const server = await startConvNode(db, ['postgres_poll_interval = "200ms"']);
    try {
      const source = sourceName(db);
      const c = await subscribed(server, 'u1', ['conv:r1']);
      const connects = await metric(server, 'switchboard_ingress_connects_total', { source });
      let seq = 0;
      const batch = () => {
        const rows = [];
        for (let i = 0; i < 50; i++) rows.push(['ws:conv:r1', JSON.stringify({ type: 'message.new', payload: { seq: seq++ } })]);
        return pg.sql(insertSql(rows), { db });
      };
      await batch();
      await pg.restart();
      await eventually(async () => {
        const dep = (await server.get('/health')).json.dependencies.find((d) => d.name === source);
        // Down, or already back: a reconnect counted either way.
        assert.ok(dep.status === 'down' || await metric(server, 'switchboard_ingress_connects_total', { source }) > connects);
      }, { what: 'the outbox source seen down' });
      assert.equal((await server.get('/ready')).status, 200);  // the node still serves
      await batch();
      await batch();
      await outboxUp(server, db);
      assert.ok(await metric(server, 'switchboard_ingress_connects_total', { source }) > connects);
      await eventually(() => assert.equal(new Set(seqs(c, 'conv:r1')).size, seq),
        { what: `all ${seq} rows`, timeoutMs: 15000 });
      const got = seqs(c, 'conv:r1');
      assert.deepEqual(got.filter((s, i) => got.indexOf(s) === i), [...Array(seq).keys()]);
    } finally {
      await server.stop();
    }
  });

  test('PostgreSQL frozen: the source goes down within the statement timeout and grace, and recovers', async () => {
    const db = await freshDatabase();
    const server = await startConvNode(db, ['postgres_poll_interval = "200ms"', 'postgres_statement_timeout = "500ms"']);
    try {
      const source = sourceName(db);
      const c = await subscribed(server, 'u1', ['conv:z1']);
      await pg.pause();
      try {
        await eventually(async () => {
          const health = (await server.get('/health')).json;
          const dep = health.dependencies.find((d) => d.name === source);
          assert.equal(dep.status, 'down');
          assert.match(dep.error, /no answer from PostgreSQL|no connection within/);
        }, { what: 'the frozen server noticed', timeoutMs: 10000 });
        assert.equal((await server.get('/ready')).status, 200);
      } finally {
        pg.resume();
      }
      await outboxUp(server, db);
      await pg.sql(insertSql([['ws:conv:z1', '{"type":"message.new","payload":{"seq":0}}']]), { db });
      assert.equal((await c.next('message.new', 10000)).payload.seq, 0);
    } finally {
      await server.stop();
    }
  });

  test('a claim past the statement timeout is rolled back and counted; the rows flow once it clears', async () => {
    const db = await freshDatabase();
    const server = await startConvNode(db, ['postgres_poll_interval = "100ms"', 'postgres_statement_timeout = "300ms"']);
    try {
      const source = sourceName(db);
      const c = await subscribed(server, 'u1', ['conv:t1']);
      const failed = await metric(server, 'switchboard_ingress_outbox_claims_total', { source, result: 'failed' });
      // Another session holds the table: the claim's SELECT … FOR UPDATE waits, past 300 ms.
      const holder = pg.sql('BEGIN; LOCK TABLE switchboard_outbox IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;', { db });
      await eventually(async () => {
        assert.ok(await metric(server, 'switchboard_ingress_outbox_claims_total', { source, result: 'failed' }) > failed);
        const dep = (await server.get('/health')).json.dependencies.find((d) => d.name === source);
        assert.equal(dep.status, 'down');
        assert.match(dep.error, /statement timeout/);
      }, { what: 'a claim timed out', timeoutMs: 5000 });
      await holder;
      await pg.sql(insertSql([['ws:conv:t1', '{"type":"message.new","payload":{"seq":0}}']]), { db });
      assert.equal((await c.next('message.new', 10000)).payload.seq, 0);
      await outboxUp(server, db);
    } finally {
      await server.stop();
    }
  });
});

describe('configuration', () => {
  test('a table that does not exist: the source is down naming it, the node serves', async () => {
    const db = await freshDatabase();
    const config = writeConfig(['public_channels = ["conv:*"]', '[[ingress]]', 'source = "postgres"',
      'table = "app.nope"', 'target = "all"', ''].join('\n'));
    const server = await Server.start({ args: ['--config', config], env: { POSTGRES_DSN: pg.url(db) } });
    try {
      await eventually(async () => {
        const health = (await server.get('/health')).json;
        assert.equal(health.status, 'degraded');
        const dep = health.dependencies.find((d) => d.name === sourceName(db, 'app.nope'));
        assert.equal(dep.status, 'down');
        assert.equal(dep.required, false);
        assert.match(dep.error, /relation "app\.nope" does not exist/);
      }, { what: 'the missing table in /health' });
      assert.equal((await server.get('/ready')).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('a DSN libpq cannot parse stops the server with exit 2, whichever name it came by', async () => {
    for (const env of [{ DATABASE_URL: 'postgres://host/db?nosuchoption=1' }, { POSTGRES_DSN: 'mysql://x' }]) {
      await assert.rejects(Server.start({ env }), (err) => {
        assert.match(err.message, /postgres_url \(DATABASE_URL, POSTGRES_DSN\)/);
        return true;
      });
    }
  });
});
