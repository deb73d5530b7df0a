// The gateway's web pages (docs/web.md): static_dir over real HTTP (types, validators,
// directories, traversal refused), --demo's built-in pages and POST /demo/token (a token that
// logs in and chats in a demo room), and the dashboard's metrics stream behind the API key.
'use strict';

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Server, Client, eventually } = require('./support');
const { rawRequest } = require('./raw_http');

const BIN = process.env.SWITCHBOARD_BIN;

function get(port, target, headers = {}) {
  const lines = [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return rawRequest(port, `${lines.join('\r\n')}\r\n\r\n`);
}

// A site with a page, a script, a sub-directory, a file beside the root and a symlink to it.
function makeSite() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-web-'));
  const root = path.join(base, 'site');
  fs.mkdirSync(path.join(root, 'app'), { recursive: true });
  fs.writeFileSync(path.join(root, 'app', 'index.html'), '<h1>app</h1>');
  fs.writeFileSync(path.join(root, 'app', 'main.js'), 'export const x = 1;\n');
  fs.writeFileSync(path.join(root, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  fs.writeFileSync(path.join(base, 'secret.txt'), 'top secret');
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'leak.txt'));
  return { base, root };
}

describe('static_dir', () => {
  let server;
  let site;
  before(async () => {
    site = makeSite();
    server = await Server.start({ args: ['--static-dir', site.root, '--static-max-age', '120s'] });
  });
  after(async () => {
    await server.stop();
    fs.rmSync(site.base, { recursive: true, force: true });
  });

  test('files come with their type, caching headers and a validator that answers 304', async () => {
    const js = await get(server.port, '/app/main.js');
    assert.equal(js.status, 200);
    assert.equal(js.body, 'export const x = 1;\n');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=120');
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    assert.ok(js.headers.etag);
    const again = await get(server.port, '/app/main.js', { 'If-None-Match': js.headers.etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    const svg = await get(server.port, '/logo.svg');
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    const html = await get(server.port, '/app/');
    assert.equal(html.body, '<h1>app</h1>');
    assert.equal(html.headers['cache-control'], 'no-cache');
  });

  test('a directory without its slash is redirected; HEAD has the length and no body', async () => {
    const moved = await get(server.port, '/app');
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, '/app/');
    const head = await rawRequest(server.port, 'HEAD /app/main.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String('export const x = 1;\n'.length));
    assert.equal(head.body, '');
  });

  test('no path leads outside the root', async () => {
    for (const target of ['/../secret.txt', '/app/../../secret.txt', '/%2e%2e/secret.txt',
      '/app/%2E%2E/%2E%2E/secret.txt', '/app/..%2f..%2fsecret.txt', '/app%5c..%5c..%5csecret.txt',
      '/app/main.js%00.html']) {
      const res = await get(server.port, target);
      assert.equal(res.status, 400, target);
      assert.equal(JSON.parse(res.body).error.code, 'bad_path', target);
      assert.ok(!res.body.includes('top secret'), target);
    }
    const leak = await get(server.port, '/leak.txt');
    assert.equal(leak.status, 404);
    assert.ok(!leak.body.includes('top secret'));
    assert.equal((await get(server.port, '/missing.html')).status, 404);
  });

  test("the gateway's own routes and endpoint win over files", async () => {
    assert.equal((await server.get('/health')).json.status, 'ok');
    assert.match((await server.get('/metrics')).text, /switchboard_connections/);
    assert.equal((await server.get('/')).json.service, 'switchboard');
    const c = await Client.authed(server, 'u1');
    assert.equal(c.userId, 'u1');
    await c.close();
  });

  test('a static_dir that is not a directory stops the start, naming it', () => {
    const run = spawnSync(BIN, ['--port', '1', '--bind-address', '127.0.0.1', '--static-dir', path.join(site.root, 'logo.svg')],
      { encoding: 'utf8', timeout: 10000 });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr + run.stdout, /logo\.svg is not a directory/);
  });
});

describe('--demo', () => {
  let server;
  before(async () => { server = await Server.start({ args: ['--demo'] }); });
  after(async () => { await server.stop(); });

  test('serves the demo, the dashboard and the SDK bundle from the built-in pages', async () => {
    for (const [target, type] of [['/demo/', 'text/html'], ['/demo/demo.js', 'text/javascript'],
      ['/dashboard/', 'text/html'], ['/dashboard/dashboard.js', 'text/javascript'],
      ['/dashboard/uPlot.min.css', 'text/css'], ['/sdk/switchboard.min.js', 'text/javascript']]) {
      const res = await get(server.port, target);
      assert.equal(res.status, 200, target);
      assert.ok(res.headers['content-type'].startsWith(type), `${target}: ${res.headers['content-type']}`);
    }
    assert.match((await get(server.port, '/demo/')).body, /<script src="demo\.js">/);
  });

  test('POST /demo/token signs a token that logs in; demo rooms are public and take publishes', async () => {
    const res = await server.api('POST', '/demo/token', { user: 'alice' }, { key: null });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user_id, 'alice');
    assert.equal(res.json.ws_path, '/ws');
    assert.equal(res.json.expires_in, 3600);
    const alice = await Client.connect(server, { token: res.json.token });
    const bob = await Client.connect(server, {
      token: (await server.api('POST', '/demo/token', { user: 'bob' }, { key: null })).json.token,
    });
    await alice.subscribe(['demo:general']);
    await bob.subscribe(['demo:general']);
    const ack = await alice.request({ type: 'publish', id: 'p1', payload: { channel: 'demo:general', data: { text: 'hi' } } }, 'ack');
    assert.equal(ack.id, 'p1');
    const got = await bob.next('message.new');
    assert.deepEqual(got.payload, { text: 'hi' });
    assert.equal(got.publisher, 'alice');
    await alice.close();
    await bob.close();
  });

  test('a bad user name is 400; the endpoint is there only with --demo', async () => {
    for (const body of [{ user: 'a b' }, { user: '' }, { user: 'x'.repeat(33) }, { name: 'alice' }, 'not json']) {
      const res = await server.api('POST', '/demo/token', body, { key: null });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.error.code, 'bad_request');
    }
    const plain = await Server.start();
    try {
      assert.equal((await plain.api('POST', '/demo/token', { user: 'alice' }, { key: null })).status, 404);
      assert.equal((await get(plain.port, '/demo/')).status, 404);
    } finally {
      await plain.stop();
    }
  });

  test('demo with an auth service is refused at start', () => {
    const run = spawnSync(BIN, ['--port', '1', '--bind-address', '127.0.0.1', '--demo', '--auth-service-url', 'http://127.0.0.1:9/auth'],
      { encoding: 'utf8', timeout: 10000 });
    assert.equal(run.status, 2);
    assert.match(run.stderr + run.stdout, /demo signs its users' tokens itself/);
  });
});

describe('the metrics stream', () => {
  let server;
  before(async () => { server = await Server.start({ args: ['--auth-timeout', '1s'] }); });
  after(async () => { await server.stop(); });

  const stream = (s = server) => Client.connect(s, { path: '/api/metrics/stream', waitConnected: false });

  test('after the API key: the /metrics numbers as JSON at once, then every second', async () => {
    const viewer = await stream();
    const user = await Client.authed(server, 'u-metrics');
    viewer.send({ api_key: server.apiKey });
    const first = await viewer.next('metrics');
    assert.ok(first.time > Date.now() - 60000);
    const connections = first.metrics.switchboard_connections;
    assert.ok(Array.isArray(connections));
    assert.ok(connections[0].value >= 2, JSON.stringify(connections));  // the viewer and the user
    assert.equal(first.metrics.switchboard_worker_connections.length, 2);
    assert.ok(first.metrics.switchboard_worker_connections.every((s) => s.labels.worker !== undefined));
    const second = await viewer.next('metrics', 3000);
    assert.ok(second.time >= first.time + 500, `${second.time - first.time} ms apart`);
    await user.close();
    await eventually(async () => {
      const frame = await viewer.next('metrics', 3000);
      assert.equal(frame.metrics.switchboard_connections[0].value, 1);
    }, { what: 'the closed connection seen', timeoutMs: 8000 });
    await viewer.close();
  });

  test('a wrong key, or none in time, closes with 4001', async () => {
    const wrong = await stream();
    wrong.send({ api_key: 'nope' });
    assert.equal((await wrong.waitClose()).code, 4001);
    const silent = await stream();
    const closed = await silent.waitClose(5000);
    assert.equal(closed.code, 4001);
    assert.equal(silent.messages.length, 0);
  });

  test('without api_key the stream is refused at the upgrade (403)', async () => {
    const keyless = await Server.start({ apiKey: null });
    try {
      await assert.rejects(stream(keyless), (err) => err.statusCode === 403);
    } finally {
      await keyless.stop();
    }
  });
});
