// A long-polling Socket.IO client is a slow consumer by the WebSocket's rules (issue 15): what
// waits for its next GET may exceed outbound_queue_limit for outbound_queue_grace before the
// session is cut — a client that keeps polling gets a burst larger than the limit, and a
// single packet larger than it — while one that stopped polling is cut after the grace, its
// next GET getting the Engine.IO close packet, and the cut counted in
// switchboard_slow_consumer_closes_total.
//   SWITCHBOARD_BIN=build/release/app/switchboard NODE_PATH=node_modules \
//     node --test tests/e2e/socketio/slow_poller.test.js
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { io } = require('socket.io-client');
const { Server, eventually, metric, withTimeout } = require('../support');

function request(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path,
      headers: body === undefined ? {} : { 'Content-Type': 'text/plain;charset=UTF-8' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// A client speaking Engine.IO long-polling by hand, so that the test decides when it polls.
async function rawPoller(server, user) {
  const open = await request(server.port, 'GET', '/socket.io/?EIO=4&transport=polling');
  assert.equal(open.status, 200, open.text);
  const sid = JSON.parse(open.text.slice(1)).sid;
  const path = `/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
  const connect = await request(server.port, 'POST', path, `40${JSON.stringify({ token: server.token(user) })}`);
  assert.equal(connect.status, 200, connect.text);
  // The namespace's CONNECT answer (and the `connected` event) come with the next GET.
  const first = await request(server.port, 'GET', path);
  assert.match(first.text, /^40/, first.text);
  return { poll: () => request(server.port, 'GET', path) };
}

function broadcast(server, type, size) {
  return server.api('POST', '/api/broadcast', { type, payload: { pad: 'x'.repeat(size) } });
}

test('a polling client that keeps up gets a burst over the limit; one that stopped is cut after the grace', async () => {
  const server = await Server.start({
    // (ingress_max_message_size, 256 KiB by default, must stay 1 KiB below the limit.)
    args: ['--socketio', '--outbound-queue-limit', '4KiB', '--outbound-queue-grace', '1s',
      '--ingress-max-message-size', '2KiB'],
  });
  let fast;
  try {
    fast = io(`http://127.0.0.1:${server.port}`, {
      auth: { token: server.token('fast') }, transports: ['polling'], reconnection: false, forceNew: true,
    });
    const received = [];
    fast.onAny((event, payload) => { if (event.startsWith('burst')) received.push([event, payload.pad.length]); });
    let disconnected = null;
    fast.on('disconnect', (reason) => { disconnected = reason; });
    await withTimeout(new Promise((resolve, reject) => {
      fast.once('connect', resolve);
      fast.once('connect_error', reject);
    }), 5000, 'the polling client connected');
    const stopped = await rawPoller(server, 'stopped');
    assert.equal(await metric(server, 'switchboard_slow_consumer_closes_total'), 0);

    // Three 3 KiB messages at once (9 KiB against a 4 KiB soft limit), then one of 6 KiB alone.
    for (let i = 0; i < 3; i++) assert.equal((await broadcast(server, `burst${i}`, 3072)).status, 202);
    await eventually(() => assert.equal(received.length, 3), { what: 'the burst at the polling client' });
    assert.equal((await broadcast(server, 'burst-large', 6144)).status, 202);
    await eventually(() => assert.equal(received.length, 4), { what: 'the large message at the polling client' });
    assert.deepEqual(received, [['burst0', 3072], ['burst1', 3072], ['burst2', 3072], ['burst-large', 6144]]);

    // The client that stopped polling holds all of it, over the soft limit: cut after the grace.
    await eventually(async () => assert.equal(await metric(server, 'switchboard_slow_consumer_closes_total'), 1),
      { what: 'the stopped poller cut', timeoutMs: 10000 });
    const last = await stopped.poll();
    assert.equal(last.status, 200);
    assert.equal(last.text, '1', 'its next GET gets the close packet, and nothing it had not collected');

    assert.equal(disconnected, null, 'the polling client that kept up is still connected');
    assert.equal(await metric(server, 'switchboard_slow_consumer_closes_total'), 1);
  } finally {
    if (fast) fast.close();
    await server.stop();
  }
});
