// Switchboard's drain (SIGTERM) as socket.io-client sees it — no reference to compare with:
// socket.io's Node server has no drain. A WebSocket session's connection closes with 1012 (the
// worker's drain), a long-polling session gets the Engine.IO close packet on its held GET
// (it has no connection of its own to close); both clients report `transport close`, which
// socket.io-client reconnects after. A new polling handshake is refused with 503 and
// Retry-After, as a WebSocket upgrade is. The process still exits 0.
//   SWITCHBOARD_BIN=build/release/app/switchboard NODE_PATH=node_modules \
//     node --test tests/e2e/socketio/drain.test.js
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { io } = require('socket.io-client');
const { Server, eventually, withTimeout } = require('../support');

function connected(server, transports) {
  const socket = io(`http://127.0.0.1:${server.port}`, {
    auth: { token: server.token(`drain-${transports[0]}`) }, transports, reconnection: false,
    forceNew: true,
  });
  const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
  return withTimeout(new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, disconnected }));
    socket.once('connect_error', reject);
  }), 5000, `${transports[0]} client connected`);
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

test('drain: polling sessions get the close packet, WebSocket ones 1012; new handshakes 503', async () => {
  // The listener stays open for the drain period; 4 s is the margin for a loaded machine.
  const server = await Server.start({ args: ['--socketio', '--drain-period', '4s'] });
  try {
    const polling = await connected(server, ['polling']);
    const websocket = await connected(server, ['websocket']);
    assert.equal(polling.socket.io.engine.transport.name, 'polling');
    const exited = new Promise((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');

    assert.equal(await withTimeout(polling.disconnected, 5000, 'polling client told'), 'transport close');
    assert.equal(await withTimeout(websocket.disconnected, 5000, 'websocket client told'), 'transport close');

    const refused = await eventually(async () => {
      const res = await get(server.port, '/socket.io/?EIO=4&transport=polling');
      assert.equal(res.status, 503, res.body);
      return res;
    }, { what: 'a polling handshake refused while draining' });
    assert.ok(Number(refused.headers['retry-after']) > 0, `Retry-After: ${refused.headers['retry-after']}`);
    assert.ok(JSON.parse(refused.body).error !== undefined, refused.body);

    assert.equal(await withTimeout(exited, 10000, 'exit after the drain'), 0);
  } finally {
    await server.stop();
  }
});
