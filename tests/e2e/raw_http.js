// HTTP requests written byte for byte over a plain TCP socket, for what a WebSocket library
// hides or refuses to send: malformed upgrades, refused upgrades' heads and bodies, a 101 whose
// Sec-WebSocket-Protocol a client library would reject.
//
//   const { rawRequest, upgradeRequest, metricSum } = require('./raw_http');
//
//   upgradeRequest({ path = '/ws', method = 'GET', version = '13', key = <valid>,
//                    httpVersion = '1.1', headers = {} }) -> request text
//     A WebSocket upgrade request; `key: null` or `version: null` leaves that header out, and
//     `headers` adds (or, with the same name, replaces) header lines.
//   rawRequest(port, text, { timeoutMs = 5000 }) -> Promise<{ status, headers, body, closed }>
//     Sends `text` to 127.0.0.1:port. A 101 resolves as soon as its head is read (the socket is
//     then destroyed; `closed` false); any other answer resolves once the server has closed the
//     connection (`closed` true): every refusal closes it (docs/protocol.md). `headers` has
//     lower-case names; `body` is the text after the head.
//   metricSum(server, name, labels = {}) -> Promise<number | undefined>
//     The sum of /metrics samples of `name` whose labels include `labels`.
'use strict';

const crypto = require('node:crypto');
const net = require('node:net');
const { withTimeout } = require('./support');

function upgradeRequest({
  path = '/ws', method = 'GET', version = '13', key = crypto.randomBytes(16).toString('base64'),
  httpVersion = '1.1', headers = {},
} = {}) {
  const lines = new Map([
    ['Host', '127.0.0.1'], ['Upgrade', 'websocket'], ['Connection', 'Upgrade'],
  ]);
  if (key !== null) lines.set('Sec-WebSocket-Key', key);
  if (version !== null) lines.set('Sec-WebSocket-Version', version);
  for (const [name, value] of Object.entries(headers)) lines.set(name, value);
  const head = [...lines].map(([name, value]) => `${name}: ${value}`).join('\r\n');
  return `${method} ${path} HTTP/${httpVersion}\r\n${head}\r\n\r\n`;
}

function parseHead(head) {
  const [statusLine, ...lines] = head.split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers };
}

function rawRequest(port, text, { timeoutMs = 5000 } = {}) {
  const socket = net.connect(port, '127.0.0.1');
  const answer = new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let parsed = null;
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (parsed === null && end >= 0) {
        parsed = Object.assign(parseHead(received.subarray(0, end).toString('latin1')),
          { bodyAt: end + 4 });
        if (parsed.status === 101) {
          socket.destroy();
          resolve({ status: 101, headers: parsed.headers, body: '', closed: false });
        }
      }
    });
    socket.on('close', () => {
      if (parsed === null) return reject(new Error(`closed without an answer; got ${JSON.stringify(received.toString())}`));
      if (parsed.status === 101) return undefined;
      return resolve({
        status: parsed.status, headers: parsed.headers,
        body: received.subarray(parsed.bodyAt).toString(), closed: true,
      });
    });
    socket.on('error', reject);
  });
  socket.write(text);
  return withTimeout(answer, timeoutMs, `answer to ${JSON.stringify(text.split('\r\n')[0])}`)
    .finally(() => socket.destroy());
}

async function metricSum(server, name, labels = {}) {
  const res = await server.get('/metrics');
  let total;
  for (const line of res.text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ([0-9.eE+-]+)$/);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] || '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total || 0) + Number(m[4]);
  }
  return total;
}

module.exports = { rawRequest, upgradeRequest, metricSum };
