// Per-namespace settings from the TOML file ([namespaces.<name>]): who may join, history size,
// client publish and join/leave events differ by namespace; other channels keep the globals.
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Server, Client } = require('./support');

let server;
let dir;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ns-'));
  const file = path.join(dir, 'switchboard.toml');
  fs.writeFileSync(file, [
    'history_size = 10',
    '[namespaces.room]',
    'public = true',
    'history_size = 2',
    'client_publish = true',
    '[namespaces.quiet]',
    'public = true',
    'join_leave_events = false',
    '',
  ].join('\n'));
  server = await Server.start({ args: ['--config', file, '--public-channels', 'news'] });
});

afterEach(() => Client.closeAll());

after(async () => {
  if (server) await server.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function publish(channel, n) {
  const res = await server.api('POST', '/api/publish', { channel, payload: { n } });
  assert.equal(res.status, 200, res.text);
}

test('a public namespace lets any user join; others stay forbidden', async () => {
  const c = await Client.authed(server, 'alice');
  const ok = await c.request({ type: 'subscribe', payload: { channels: ['room:1'] } }, 'subscribed');
  assert.equal(ok.type, 'subscribed');
  assert.deepEqual(ok.payload.channels, ['room:1']);
  const refused = await c.request({ type: 'subscribe', payload: { channels: ['secret:1'] } },
    'subscribed');
  assert.equal(refused.type, 'error');
  assert.equal(refused.payload.code, 'forbidden');
});

test('history size per namespace: room keeps 2, news keeps the global 10', async () => {
  for (let n = 1; n <= 5; n++) {
    await publish('room:h', n);
    await publish('news', n);
  }
  const c = await Client.authed(server, 'bob');
  const room = await c.request({ type: 'history', payload: { channel: 'room:h' } }, 'history');
  assert.deepEqual(room.payload.publications.map((p) => p.payload.n), [4, 5]);
  const news = await c.request({ type: 'history', payload: { channel: 'news' } }, 'history');
  assert.deepEqual(news.payload.publications.map((p) => p.payload.n), [1, 2, 3, 4, 5]);
});

test('client publish is allowed in room only', async () => {
  const a = await Client.authed(server, 'carol');
  const b = await Client.authed(server, 'dave');
  await a.subscribe(['room:p', 'news']);
  await b.subscribe(['room:p']);
  a.send({ type: 'publish', id: 'p1', payload: { channel: 'room:p', data: { text: 'hi' } } });
  const ack = await a.next((m) => m.type === 'ack' && m.id === 'p1');
  assert.equal(ack.id, 'p1');
  const got = await b.next((m) => m.type === 'message.new' && m.channel === 'room:p');
  assert.deepEqual(got.payload, { text: 'hi' });
  const refused = await a.request({ type: 'publish', id: 'p2',
    payload: { channel: 'news', data: {} } }, 'ack');
  assert.equal(refused.type, 'error');
  assert.equal(refused.payload.code, 'forbidden');
});

test('join/leave events can be switched off per namespace', async () => {
  const a = await Client.authed(server, 'erin');
  await a.subscribe(['quiet:1', 'room:j']);
  const b = await Client.authed(server, 'frank');
  await b.subscribe(['room:j']);
  const joined = await a.next((m) => m.type === 'presence.join');
  assert.equal(joined.channel, 'room:j');
  await b.subscribe(['quiet:1']);
  await a.expectNone((m) => m.type === 'presence.join' && m.channel === 'quiet:1', 400);
});
