// Enrichment from PostgreSQL (docs/ingress.md, "Enrichment from PostgreSQL"): seed 003 from
// examples/seeds/003-enrich.toml — its posts service queues a post id on RabbitMQ, and every
// client at ws://host/ receives the complete post read with the posts ⋈ users join, each 5 s
// batch enriched by one query (counted by pg_stat_statements). A post that is missing is
// skipped; PostgreSQL down keeps the messages unacknowledged until it is back; a query past the
// statement timeout, max_attempts times, dead-letters the message. A private RabbitMQ node and
// PostgreSQL server for the file.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Server, Client, eventually, metric } = require('./support');
const { RabbitMqServer } = require('./rabbitmq_support');
const { PostgresServer } = require('./postgres_support');
const { rawClient } = require('./ingress_support');

const SEEDS = path.join(__dirname, '..', '..', 'examples', 'seeds');

// Seed 003's tables, as its query reads them, and two posts.
const POSTS_SCHEMA = `
CREATE EXTENSION pg_stat_statements;
CREATE TABLE users (id bigint PRIMARY KEY, username text NOT NULL);
CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users,
  description text, created_at timestamptz NOT NULL);
CREATE TABLE post_images (post_id bigint NOT NULL, position int NOT NULL, url text NOT NULL);
CREATE TABLE post_likes (post_id bigint NOT NULL, user_id bigint NOT NULL);
INSERT INTO users VALUES (456, 'username'), (457, 'émile');
INSERT INTO posts VALUES (123, 456, 'Post content', '2024-01-01T00:00:00Z'),
  (124, 457, 'caf\u00e9 "quoted"', '2024-02-03T04:05:06+02:00'),
  (125, 456, NULL, '2024-03-01T00:00:00Z');
INSERT INTO post_images VALUES (123, 2, 'url2'), (123, 1, 'url1'), (124, 1, 'a.png');
INSERT INTO post_likes VALUES (124, 456), (124, 457);
`;

const EXPECTED = {
  123: '{"action":"created","payload":{"id":123,"description":"Post content","created_at":"2024-01-01T00:00:00Z","user":{"id":456,"username":"username"},"is_liked":false,"image_urls":["url1","url2"],"likes_count":0}}',
  124: '{"action":"created","payload":{"id":124,"description":"caf\u00e9 \\"quoted\\"","created_at":"2024-02-03T02:05:06Z","user":{"id":457,"username":"\u00e9mile"},"is_liked":false,"image_urls":["a.png"],"likes_count":2}}',
  125: '{"action":"created","payload":{"id":125,"description":null,"created_at":"2024-03-01T00:00:00Z","user":{"id":456,"username":"username"},"is_liked":false,"image_urls":[],"likes_count":0}}',
};

let rabbit;
let pg;
before(async () => {
  [rabbit, pg] = await Promise.all([RabbitMqServer.start(),
    PostgresServer.start({ settings: { shared_preload_libraries: 'pg_stat_statements' } })]);
  await pg.createDatabase('posts');
  await pg.sql(POSTS_SCHEMA, { db: 'posts' });
});
after(async () => {
  await Client.closeAll();
  if (rabbit) await rabbit.stop();
  if (pg) await pg.stop();
});
afterEach(() => Client.closeAll());

const publishAll = (queue, bodies) => rabbit.sendAll(queue, bodies);
const queueCounts = (queue) => rabbit.queueCounts(queue);
const texts = (c) => c.frames.map((f) => f.text);

async function upInHealth(server, prefix) {
  await eventually(async () => {
    const deps = (await server.get('/health')).json.dependencies || [];
    const mine = deps.filter((d) => String(d.name).startsWith(prefix));
    assert.ok(mine.length > 0 && mine.every((d) => d.status === 'up'), JSON.stringify(deps));
  }, { what: `${prefix} up`, timeoutMs: 20000 });
}

const created = (id) => JSON.stringify({ action: 'created', payload: { id } });

describe('seed 003: a queued post id becomes the complete post at every client', () => {
  let server;
  before(async () => {
    server = await Server.start({
      args: ['--config', path.join(SEEDS, '003-enrich.toml')],
      env: { AMQP_URL: rabbit.url, QUEUE_NAME: 'posts', DATABASE_URL: pg.url('posts') },
      jwtSecret: null,
    });
    await upInHealth(server, 'ingress rabbitmq');
    await upInHealth(server, 'enrich postgres');
  });
  after(() => server.stop());

  test('three ids in one 5 s batch: one query, the payload the seed shows, byte for byte', async () => {
    const a = await rawClient(server);
    const b = await rawClient(server);
    await pg.sql('SELECT pg_stat_statements_reset()', { db: 'posts' });
    await publishAll('posts', [created(123), created(124), created(125)]);
    for (const c of [a, b]) {
      await eventually(() => assert.equal(c.frames.length, 3), { what: 'three posts', timeoutMs: 15000 });
      assert.deepEqual(texts(c), [EXPECTED[123], EXPECTED[124], EXPECTED[125]]);
    }
    const calls = await pg.sql(`SELECT sum(calls) FROM pg_stat_statements
      WHERE query LIKE '%FROM posts p JOIN users u%'`, { db: 'posts' });
    assert.deepEqual(calls, [['1']], 'one query for the batch');
    assert.equal(await metric(server, 'switchboard_ingress_enrich_queries_total', { rule: 'posts', result: 'ok' }), 1);
    assert.equal(await metric(server, 'switchboard_ingress_enrich_rows_total', { rule: 'posts', result: 'found' }), 3);
    await eventually(async () => assert.deepEqual(await queueCounts('posts'), { ready: 0, unacked: 0 }),
      { what: 'all acknowledged', timeoutMs: 15000 });
  });

  test('a post that is not in the table is skipped: acknowledged, counted, nothing sent', async () => {
    const c = await rawClient(server);
    const missing = await metric(server, 'switchboard_ingress_enrich_rows_total', { rule: 'posts', result: 'missing' });
    await publishAll('posts', [created(999), created(123)]);
    await eventually(() => assert.equal(c.frames.length, 1), { what: 'the one found', timeoutMs: 15000 });
    assert.deepEqual(texts(c), [EXPECTED[123]]);
    assert.equal(await metric(server, 'switchboard_ingress_enrich_rows_total', { rule: 'posts', result: 'missing' }), missing + 1);
    await eventually(async () => assert.deepEqual(await queueCounts('posts'), { ready: 0, unacked: 0 }),
      { what: 'both acknowledged', timeoutMs: 15000 });
  });

  test('a message without the key field is rejected (missing_field), the others flow', async () => {
    const c = await rawClient(server);
    await publishAll('posts', ['{"action":"created","payload":{}}', created(125)]);
    await eventually(() => assert.equal(c.frames.length, 1), { what: 'the good one', timeoutMs: 15000 });
    assert.deepEqual(texts(c), [EXPECTED[125]]);
    assert.equal(await metric(server, 'switchboard_ingress_rejected_total', { rule: 'posts', reason: 'missing_field' }), 1);
  });

  test('PostgreSQL down: the message stays unacknowledged and arrives once it is back', async () => {
    const c = await rawClient(server);
    const failed = await metric(server, 'switchboard_ingress_enrich_queries_total', { rule: 'posts', result: 'failed' });
    await pg.shutdown();
    try {
      await eventually(async () => {
        const dep = (await server.get('/health')).json.dependencies.find((d) => d.name.startsWith('enrich postgres'));
        assert.equal(dep.status, 'down');
      }, { what: 'the enrich sessions down', timeoutMs: 10000 });
      assert.equal((await server.get('/ready')).status, 200);
      await publishAll('posts', [created(124)]);
      await eventually(async () => assert.ok(
        await metric(server, 'switchboard_ingress_enrich_queries_total', { rule: 'posts', result: 'failed' }) > failed),
      { what: 'a failed query', timeoutMs: 15000 });
      assert.equal((await queueCounts('posts')).unacked, 1, 'held unacknowledged');
      assert.equal(c.frames.length, 0);
    } finally {
      await pg.restart();
    }
    await eventually(() => assert.equal(c.frames.length, 1), { what: 'the post after the restart', timeoutMs: 20000 });
    assert.deepEqual(texts(c), [EXPECTED[124]]);
    assert.ok(await metric(server, 'switchboard_ingress_retries_total', { rule: 'posts' }) >= 1);
    await eventually(async () => assert.deepEqual(await queueCounts('posts'), { ready: 0, unacked: 0 }),
      { what: 'acknowledged', timeoutMs: 15000 });
  });
});

describe('a query past the statement timeout', () => {
  let server;
  before(async () => {
    const setup = await rabbit.connect();
    const ch = await setup.createChannel();
    await ch.assertExchange('slow-dlx', 'fanout', { durable: true });
    await ch.assertQueue('slow-dead', { durable: true });
    await ch.bindQueue('slow-dead', 'slow-dlx', '');
    await setup.close();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-enrich-'));
    const config = path.join(dir, 'slow.toml');
    fs.writeFileSync(config, [
      'allow_anonymous = true', 'send_connected = false', 'ws_path = "/"',
      'postgres_statement_timeout = "300ms"',
      '[[ingress]]', 'name = "slow"', 'source = "rabbitmq"', 'queue = "slow"', 'declare = "create"',
      'dead_letter_exchange = "slow-dlx"', 'target = "all"', 'format = "raw"',
      'enrich = { key = "id", max_attempts = 2, query = "SELECT k, \'{}\' FROM unnest($1::text[]) k, pg_sleep(2)" }',
      ''].join('\n'));
    server = await Server.start({
      args: ['--config', config, '--amqp-url', rabbit.url, '--postgres-url', pg.url('posts')],
      jwtSecret: null,
    });
    await upInHealth(server, 'ingress rabbitmq');
    await upInHealth(server, 'enrich postgres');
  });
  after(() => server.stop());

  test('is cancelled by the server, tried again, and after max_attempts dead-lettered, counted', async () => {
    const c = await rawClient(server);
    await publishAll('slow', ['{"id":1}']);
    const conn = await rabbit.connect();
    try {
      const ch = await conn.createChannel();
      const dead = await eventually(async () => {
        const m = await ch.get('slow-dead', { noAck: true });
        assert.ok(m, 'no dead letter yet');
        return m.content.toString();
      }, { what: 'the dead letter', timeoutMs: 20000 });
      assert.equal(dead, '{"id":1}');
    } finally {
      await conn.close();
    }
    assert.equal(await metric(server, 'switchboard_ingress_enrich_queries_total', { rule: 'slow', result: 'failed' }), 2);
    assert.equal(await metric(server, 'switchboard_ingress_rejected_total', { rule: 'slow', reason: 'enrich_failed' }), 1);
    assert.equal(c.frames.length, 0);
    // The sessions stay up: a statement timeout is the query's failure, not the server's.
    await upInHealth(server, 'enrich postgres');
  });
});
