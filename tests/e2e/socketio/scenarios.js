// The Socket.IO interop scenarios: what socket.io-client 4.8 (seed 002's client, unchanged) sees
// from a Socket.IO endpoint, run against the reference (a real Socket.IO 4.8 server,
// reference_server.js) and against Switchboard with the same assertions, so that passing on
// both proves compatibility rather than our reading of the spec. EXPECTED holds what the
// reference was seen to do where the mapping leaves a choice (wire errors, close codes,
// headers); both runs assert it.
//
//   const { defineSuite } = require('./scenarios');
//   defineSuite(targets.reference)                 one node:test describe() for the target:
//   defineSuite(targets.switchboard, { skip })     each scenario once per transport set
//                                                  (TRANSPORTS) or once when it speaks raw
//                                                  Engine.IO; switchboardOnly ones (the native
//                                                  protocol, Switchboard's options) are skipped
//                                                  on the reference. ownTarget: the scenario
//                                                  starts a target of its own (restarts, other
//                                                  settings).
//   With SIO_OBSERVATIONS_DIR set, what each run saw (reasons, statuses, headers, wire packets)
//   is written to <dir>/<target>.json, for a side-by-side diff of the two runs.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { isDeepStrictEqual } = require('node:util');
const WebSocket = require('ws');
const { Client, delay, withTimeout, jwt } = require('../support');
const { SioClient } = require('./sio_client');

const ALLOWED_ORIGIN = 'http://allowed.example';
const OTHER_ORIGIN = 'http://elsewhere.example';
const ACK_RETRY_MS = 200;

// The same settings on both targets (targets.js turns them into each one's flags).
const SETTINGS = {
  publicChannels: ['room:*'],
  clientPublish: true,
  allowedOrigins: [ALLOWED_ORIGIN],
  ackRetryMs: ACK_RETRY_MS,
  namespaces: ['/admin'],
};

// socket.io-client `transports` options: seed 002's own, the default (long-polling first, then
// the upgrade to WebSocket), and long-polling only.
const TRANSPORTS = {
  'websocket+polling': ['websocket', 'polling'],
  default: undefined,
  polling: ['polling'],
};

// What the reference does where a choice is visible to clients; Switchboard must do the same.
const EXPECTED = {
  authCodes: { none: 'missing_token', garbage: 'malformed_token', wrongSecret: 'bad_signature', expired: 'expired' },
  unknownSid: { status: 400, body: { code: 1, message: 'Session ID unknown' } },
  unknownTransport: { status: 400, body: { code: 0, message: 'Transport unknown' } },
  unsupportedProtocol: { status: 400, body: { code: 5, message: 'Unsupported protocol version' } },
  errorContentType: 'application/json',
  handshakeContentType: 'text/plain; charset=UTF-8',
  handshakeKeys: ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades'],
  pollingUpgrades: ['websocket'],
  websocketUpgrades: [],
  // cors with an origin list: an origin outside it is still answered, without
  // Access-Control-Allow-Origin (so a browser refuses to read the answer).
  otherOriginStatus: 200,
  preflightStatus: 204,
  kickReason: 'io server disconnect',
  // A killed server: a WebSocket closes, a long-poll fails (both reconnect).
  restartReason: { websocket: 'transport close', polling: 'transport error' },
  // A packet that is not Engine.IO / Socket.IO: the server closes the WebSocket at once, with
  // nothing sent before it. The reference's close frame has no status code (1005 on the
  // client); Switchboard's says 1008 "parse error" (docs/socketio.md). socket.io-client reports
  // "transport close" for both, so the code is the one difference a raw client sees.
  malformedClose: [{ code: 1005, reason: '' }, { code: 1008, reason: 'parse error' }],
  invalidNamespace: 'Invalid namespace',
};

let seq = 0;
function unique(prefix) { return `${prefix}-${process.pid}-${++seq}`; }

// ---------------------------------------------------------------------------------------------
// Helpers over a target

function connectUser(ctx, sub, opts = {}) {
  const { claims, ...rest } = opts;
  return SioClient.connect(ctx.target, { token: ctx.target.token(sub, claims), transports: ctx.transports, ...rest });
}

async function apiOk(target, p, body, status = [200, 202]) {
  const res = await target.api('POST', p, body);
  assert.ok(status.includes(res.status), `${p} ${JSON.stringify(body)}: ${res.status} ${res.text}`);
  return res.json;
}

// A subscribe or unsubscribe reply: an object naming the channel the way the request did
// (`channel`, or `channels` for a list; what else it holds is the server's choice).
function assertNamesChannel(reply, channel) {
  assert.ok(reply && typeof reply === 'object' &&
    (reply.channel === channel || (Array.isArray(reply.channels) && reply.channels.includes(channel))),
    `a reply naming ${channel}: ${JSON.stringify(reply)}`);
}

async function subscribed(client, channel) {
  const reply = await client.request('subscribe', { channel });
  assertNamesChannel(reply, channel);
  return reply;
}

// Two users' sockets subscribed to one new public channel.
async function twoSubscribers(ctx, prefix) {
  const channel = unique(`room:${prefix}`);
  const a = await connectUser(ctx, unique(`${prefix}-a`));
  const b = await connectUser(ctx, unique(`${prefix}-b`));
  await subscribed(a, channel);
  await subscribed(b, channel);
  return { channel, a, b };
}

// The one argument a server event carries (the mapping: `socket.on(T, P)`, nothing more: no
// second argument, no ack asked for).
async function payloadOf(client, event) {
  const record = await client.next(event);
  assert.equal(record.args.length, 1, `${event} carries one argument: ${JSON.stringify(record.args)}`);
  assert.equal(record.ack, null, `${event} asks for no ack`);
  return record.args[0];
}

// Engine.IO v4 separates the packets of a polling payload with 0x1e.
const RECORD_SEPARATOR = '\x1e';

// Headers worth comparing between the two runs (the date never matches).
function headersOf(res) {
  const headers = Object.fromEntries(res.headers);
  delete headers.date;
  return headers;
}

// Resolves once the client's Engine.IO session runs on WebSocket (socket.io-client's default
// transports start on long-polling and upgrade).
async function upgraded(client) {
  const engine = client.socket.io.engine;
  if (engine.transport.name !== 'websocket') {
    await withTimeout(new Promise((resolve) => engine.once('upgrade', resolve)), 3000, 'the upgrade to WebSocket');
  }
  assert.equal(engine.transport.name, 'websocket');
}

function pollingUrl(target, query) {
  return `${target.url}/socket.io/?${query}`;
}

async function httpAnswer(url, init = {}) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

function parseOpenPacket(text) {
  assert.equal(text[0], '0', `an Engine.IO open packet: ${text}`);
  const open = JSON.parse(text.slice(1));
  assert.deepEqual(Object.keys(open).sort(), EXPECTED.handshakeKeys);
  assert.equal(typeof open.sid, 'string');
  for (const k of ['pingInterval', 'pingTimeout', 'maxPayload']) assert.equal(typeof open[k], 'number', k);
  return open;
}

// A raw Engine.IO WebSocket: frames received in order, and its close.
async function rawWebSocket(target) {
  const ws = new WebSocket(`${target.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`,
    { perMessageDeflate: false });
  const frames = [];
  const waiters = [];
  ws.on('message', (data) => {
    frames.push(data.toString());
    for (const w of waiters.splice(0)) w();
  });
  ws.on('error', () => {});
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 3000, 'raw WebSocket open');
  const frame = async (i) => {
    await withTimeout((async () => {
      while (frames.length <= i) await new Promise((r) => waiters.push(r));
    })(), 3000, `raw frame ${i}; got ${JSON.stringify(frames)}`);
    return frames[i];
  };
  return { ws, frames, frame, closed };
}

// ---------------------------------------------------------------------------------------------
// Scenarios. perTransport: run once per TRANSPORTS entry (ctx.transports), else once.

const scenarios = [
  {
    name: 'connect with auth.token: the connected event carries user_id and session_id',
    perTransport: true,
    async run(ctx) {
      const sub = unique('u');
      const c = await connectUser(ctx, sub);
      assert.equal(c.welcome.args.length, 1);
      const welcome = c.welcome.args[0];
      assert.equal(welcome.user_id, sub);
      assert.equal(typeof welcome.session_id, 'string');
      assert.ok(welcome.session_id.length > 0);
      assert.equal(c.socket.connected, true);
    },
  },
  {
    name: 'the token may also come as ?token= or as an Authorization: Bearer header',
    perTransport: true,
    async run(ctx) {
      const viaQuery = await SioClient.connect(ctx.target, { transports: ctx.transports, query: { token: ctx.target.token('q-user') } });
      assert.equal(viaQuery.welcome.args[0].user_id, 'q-user');
      const viaHeader = await SioClient.connect(ctx.target, {
        transports: ctx.transports, extraHeaders: { Authorization: `Bearer ${ctx.target.token('h-user')}` },
      });
      assert.equal(viaHeader.welcome.args[0].user_id, 'h-user');
    },
  },
  {
    name: 'refused tokens: connect_error with the message and data {code}, and no retry',
    perTransport: true,
    async run(ctx) {
      const { target } = ctx;
      const cases = {
        none: undefined,
        garbage: jwt.forge.garbage(),
        wrongSecret: jwt.sign({ sub: 'w', exp: jwt.now() + 3600 }, { key: 'another-secret' }),
        expired: target.token('e', { exp: jwt.now() - 3600 }),
      };
      for (const [label, token] of Object.entries(cases)) {
        // Default reconnection (on): a refusal by the server is final for socket.io-client.
        const { error, client } = await SioClient.refused(target, { token, transports: ctx.transports, reconnection: true });
        assert.equal(typeof error.message, 'string', label);
        assert.ok(error.message.length > 0, `${label}: a human message`);
        assert.deepEqual(error.data, { code: EXPECTED.authCodes[label] }, label);
        assert.equal(client.socket.active, false, `${label}: the client does not retry`);
        ctx.observe(`connect_error.${label}`, { message: error.message, data: error.data });
      }
    },
  },
  {
    name: 'ping: the pong event, or the ack callback, with {timestamp} in ms',
    perTransport: true,
    async run(ctx) {
      const c = await connectUser(ctx, unique('p'));
      const before = Date.now();
      c.socket.emit('ping');
      const pong = await payloadOf(c, 'pong');
      assert.equal(typeof pong.timestamp, 'number');
      assert.ok(Math.abs(pong.timestamp - before) < 10000, `timestamp ${pong.timestamp} is ms since the epoch`);
      const reply = await c.request('ping', undefined);
      assert.equal(typeof reply.timestamp, 'number');
      await c.expectNone('pong', 100);
    },
  },
  {
    name: 'send to a user reaches each of their connections, once, as (type, payload)',
    perTransport: true,
    async run(ctx) {
      const sub = unique('s');
      const a1 = await connectUser(ctx, sub);
      const a2 = await connectUser(ctx, sub);
      const other = await connectUser(ctx, unique('o'));
      const payload = { id: 7, text: 'hello', nested: { list: [1, 'two', null] } };
      await apiOk(ctx.target, '/api/send', { user_id: sub, type: 'notification-received', payload });
      assert.deepEqual(await payloadOf(a1, 'notification-received'), payload);
      assert.deepEqual(await payloadOf(a2, 'notification-received'), payload);
      await other.expectNone('notification-received');
      await a1.expectNone('notification-received', 0);
    },
  },
  {
    name: 'broadcast reaches every connected socket',
    perTransport: true,
    async run(ctx) {
      const a = await connectUser(ctx, unique('b'));
      const b = await connectUser(ctx, unique('b'));
      await apiOk(ctx.target, '/api/broadcast', { type: 'feature-status-changed', payload: { feature_id: 3 } });
      assert.deepEqual(await payloadOf(a, 'feature-status-changed'), { feature_id: 3 });
      assert.deepEqual(await payloadOf(b, 'feature-status-changed'), { feature_id: 3 });
    },
  },
  {
    name: 'subscribe and unsubscribe: the room gets channel publishes only while joined',
    perTransport: true,
    async run(ctx) {
      const channel = unique('room:sub');
      const c = await connectUser(ctx, unique('r'));
      await subscribed(c, channel);
      await apiOk(ctx.target, '/api/publish', { channel, type: 'user-status-changed', payload: { status: 'online' } });
      assert.deepEqual(await payloadOf(c, 'user-status-changed'), { status: 'online' });
      assertNamesChannel(await c.request('unsubscribe', { channel }), channel);
      await apiOk(ctx.target, '/api/publish', { channel, type: 'user-status-changed', payload: { status: 'away' } });
      await c.expectNone('user-status-changed');
    },
  },
  {
    name: 'subscribe and unsubscribe without a callback: the subscribed and unsubscribed events',
    perTransport: true,
    async run(ctx) {
      const channel = unique('room:ev');
      const c = await connectUser(ctx, unique('r'));
      c.socket.emit('subscribe', { channel });
      assertNamesChannel(await payloadOf(c, 'subscribed'), channel);
      c.socket.emit('unsubscribe', { channel });
      assertNamesChannel(await payloadOf(c, 'unsubscribed'), channel);
    },
  },
  {
    name: 'channel permissions: token channels, public channels, the own room; others are forbidden',
    perTransport: true,
    async run(ctx) {
      const sub = unique('perm');
      const c = await connectUser(ctx, sub, { claims: { channels: ['team:*'] } });
      await subscribed(c, 'team:1');
      await subscribed(c, unique('room:public'));
      await subscribed(c, `user:${sub}`);
      for (const channel of ['secret:1', 'user:someone-else']) {
        const reply = await c.request('subscribe', { channel });
        assert.equal(reply.error && reply.error.code, 'forbidden', `${channel}: ${JSON.stringify(reply)}`);
        assert.equal(typeof reply.error.message, 'string');
        ctx.observe(`subscribe.forbidden.${channel}`, reply);
      }
      await apiOk(ctx.target, '/api/publish', { channel: 'secret:1', payload: { leaked: true } });
      await c.expectNone('message.new');
    },
  },
  {
    name: 'client publish reaches every subscriber, the publisher included; unsubscribed is forbidden',
    perTransport: true,
    async run(ctx) {
      const { channel, a, b } = await twoSubscribers(ctx, 'pub');
      const reply = await a.request('publish', { channel, type: 'chat', data: { text: 'hi' } });
      assert.ok(reply && typeof reply === 'object' && !('error' in reply), JSON.stringify(reply));
      assert.deepEqual(await payloadOf(b, 'chat'), { text: 'hi' });
      assert.deepEqual(await payloadOf(a, 'chat'), { text: 'hi' });
      const refused = await a.request('publish', { channel: unique('room:other'), type: 'chat', data: {} });
      assert.equal(refused.error && refused.error.code, 'forbidden', JSON.stringify(refused));
      ctx.observe('publish.forbidden', refused.error.code);
    },
  },
  {
    name: 'requires_ack (send and publish): an unacknowledged event comes again, an acknowledged one does not',
    perTransport: true,
    async run(ctx) {
      const sub = unique('ack');
      const channel = unique('room:ack');
      const c = await connectUser(ctx, sub);
      await subscribed(c, channel);
      const sent = { id: 'n1', title: 'must arrive' };
      const published = { id: 'p1', title: 'must arrive too' };
      await apiOk(ctx.target, '/api/send', { user_id: sub, type: 'notification-received', payload: sent, requires_ack: true });
      await apiOk(ctx.target, '/api/publish', { channel, type: 'board-update', payload: published, requires_ack: true });
      // Both at once, so that one retry interval covers them.
      const [firstSent, firstPublished] = await Promise.all([c.next('notification-received'), c.next('board-update')]);
      for (const [first, payload] of [[firstSent, sent], [firstPublished, published]]) {
        assert.equal(typeof first.ack, 'function', 'the event asks for an ack');
        assert.deepEqual(first.args, [payload]);
      }
      const [againSent, againPublished] = await Promise.all([
        c.next('notification-received', ACK_RETRY_MS * 10), c.next('board-update', ACK_RETRY_MS * 10)]);
      for (const [again, payload] of [[againSent, sent], [againPublished, published]]) {
        assert.deepEqual(again.args, [payload]);
        assert.equal(typeof again.ack, 'function');
        again.ack();
      }
      // The next retry would come ACK_RETRY_MS * 2 after the second delivery.
      await Promise.all([c.expectNone('notification-received', ACK_RETRY_MS * 2 + 50),
        c.expectNone('board-update', ACK_RETRY_MS * 2 + 50)]);
    },
  },
  {
    // The scenario most likely to need work on Switchboard: a binary attachment in the
    // client's event (Socket.IO BINARY_EVENT) relayed to the channel's subscribers.
    name: 'binary: a Buffer in a published payload arrives as a Buffer',
    perTransport: true,
    async run(ctx) {
      const { channel, a, b } = await twoSubscribers(ctx, 'bin');
      const bytes = Buffer.from([0, 1, 2, 127, 128, 255]);
      const reply = await a.request('publish', { channel, type: 'file', data: { name: 'x', data: bytes } });
      assert.ok(reply && !('error' in reply), JSON.stringify(reply));
      const got = await payloadOf(b, 'file');
      assert.equal(got.name, 'x');
      assert.ok(Buffer.isBuffer(got.data), `data is a Buffer: ${typeof got.data} ${got.data && got.data.constructor.name}`);
      assert.deepEqual([...got.data], [...bytes]);
    },
  },
  {
    name: 'POST /api/disconnect: disconnect reason io server disconnect, and no reconnect',
    perTransport: true,
    async run(ctx) {
      const sub = unique('kick');
      const c = await connectUser(ctx, sub, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 });
      const bystander = await connectUser(ctx, unique('stay'));
      const reason = c.waitDisconnect();
      await apiOk(ctx.target, '/api/disconnect', { user_id: sub });
      assert.equal(await reason, EXPECTED.kickReason);
      ctx.observe('kick.reason', EXPECTED.kickReason);
      await delay(400); // proving an absence: well past the reconnection delay
      assert.equal(c.socket.connected, false);
      assert.equal(c.socket.active, false);
      assert.equal(c.events.filter((r) => r.event === 'connected').length, 1, 'only the first connected');
      assert.equal(bystander.socket.connected, true);
    },
  },
  {
    name: 'server restart: the client reconnects by itself, gets connected again, and later events',
    perTransport: true,
    ownTarget: {},
    async run(ctx) {
      const sub = unique('restart');
      const c = await connectUser(ctx, sub, { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 300 });
      const firstSession = c.welcome.args[0].session_id;
      // The default starts on long-polling: restart once it is on WebSocket, so that the
      // reason is one transport's.
      if (!ctx.transports) await upgraded(c);
      const transport = c.socket.io.engine.transport.name;
      const reason = c.waitDisconnect(5000);
      const reconnected = c.waitConnect(8000);
      await ctx.target.restart();
      const why = await reason;
      ctx.observe('restart.reason', why);
      assert.equal(why, EXPECTED.restartReason[transport], `disconnect reason on ${transport}`);
      await reconnected;
      const again = await payloadOf(c, 'connected');
      assert.equal(again.user_id, sub);
      assert.notEqual(again.session_id, firstSession);
      await apiOk(ctx.target, '/api/send', { user_id: sub, type: 'after-restart', payload: { n: 1 } });
      assert.deepEqual(await payloadOf(c, 'after-restart'), { n: 1 });
    },
  },
  {
    name: 'namespaces: a configured one connects; an unknown one is refused with Invalid namespace',
    perTransport: true,
    async run(ctx) {
      const admin = await connectUser(ctx, unique('ns'), { namespace: '/admin' });
      assert.equal(typeof admin.welcome.args[0].session_id, 'string');
      const { error } = await SioClient.refused(ctx.target, {
        token: ctx.target.token(unique('ns')), transports: ctx.transports, namespace: '/nope',
      });
      assert.equal(error.message, EXPECTED.invalidNamespace);
      ctx.observe('namespace.unknown', { message: error.message, data: error.data });
    },
  },
  {
    name: 'default transports: long-polling first, then the upgrade to WebSocket',
    async run(ctx) {
      const c = await SioClient.connect(ctx.target, { token: ctx.target.token(unique('up')) });
      await upgraded(c);
      c.socket.emit('ping');
      assert.equal(typeof (await payloadOf(c, 'pong')).timestamp, 'number');
    },
  },
  {
    name: 'polling handshake: the open packet, and CORS for an allowed and another origin',
    async run(ctx) {
      const url = pollingUrl(ctx.target, 'EIO=4&transport=polling');
      const allowed = await httpAnswer(url, { headers: { Origin: ALLOWED_ORIGIN } });
      assert.equal(allowed.status, 200, allowed.text);
      assert.equal(allowed.headers.get('content-type'), EXPECTED.handshakeContentType);
      assert.deepEqual(parseOpenPacket(allowed.text).upgrades, EXPECTED.pollingUpgrades);
      assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
      assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
      const other = await httpAnswer(url, { headers: { Origin: OTHER_ORIGIN } });
      assert.equal(other.status, EXPECTED.otherOriginStatus, other.text);
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      const preflight = await httpAnswer(url, {
        method: 'OPTIONS', headers: { Origin: ALLOWED_ORIGIN, 'Access-Control-Request-Method': 'POST' },
      });
      assert.equal(preflight.status, EXPECTED.preflightStatus);
      assert.equal(preflight.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
      assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
      assert.ok((preflight.headers.get('access-control-allow-methods') || '').split(',').includes('POST'));
      ctx.observe('polling.handshake', { status: allowed.status, headers: headersOf(allowed), body: allowed.text.replace(/"sid":"[^"]*"/, '"sid":"…"') });
      ctx.observe('polling.otherOrigin', { status: other.status, headers: headersOf(other) });
      ctx.observe('polling.preflight', { status: preflight.status, headers: headersOf(preflight) });
    },
  },
  {
    name: 'polling refusals: unknown sid, unknown transport, unsupported protocol version',
    async run(ctx) {
      const cases = {
        unknownSid: 'EIO=4&transport=polling&sid=no-such-session',
        unknownTransport: 'EIO=4&transport=carrier-pigeon',
        unsupportedProtocol: 'EIO=3&transport=polling',
      };
      for (const [label, query] of Object.entries(cases)) {
        const res = await httpAnswer(pollingUrl(ctx.target, query));
        assert.equal(res.status, EXPECTED[label].status, `${label}: ${res.text}`);
        assert.deepEqual(res.json, EXPECTED[label].body, label);
        assert.equal(res.headers.get('content-type'), EXPECTED.errorContentType, label);
        ctx.observe(`polling.${label}`, { status: res.status, body: res.text });
      }
    },
  },
  {
    name: 'polling: a sid names its own session only: one character changed, or a closed session, is unknown',
    async run(ctx) {
      const open = async () => {
        const handshake = await httpAnswer(pollingUrl(ctx.target, 'EIO=4&transport=polling'));
        assert.equal(handshake.status, 200, handshake.text);
        return parseOpenPacket(handshake.text).sid;
      };
      const session = (sid) => pollingUrl(ctx.target, `EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`);
      const post = (sid, body) => httpAnswer(session(sid), { method: 'POST', body, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
      const assertUnknown = (res, label) => {
        assert.equal(res.status, EXPECTED.unknownSid.status, `${label}: ${res.text}`);
        assert.deepEqual(res.json, EXPECTED.unknownSid.body, label);
      };
      const first = await open();
      // Switchboard's sid names the session's slot and worker near its end: every character counts.
      for (const at of [0, first.length - 8, first.length - 3, first.length - 1]) {
        const other = first.slice(0, at) + (first[at] === 'a' ? 'b' : 'a') + first.slice(at + 1);
        assertUnknown(await post(other, '6'), `changed at ${at}`);
      }
      assert.equal((await post(first, '6')).status, 200);
      // Closed by the client (its close packet collected): a new session may take its place,
      // and the old sid is not the new session's.
      assert.equal((await post(first, '1')).status, 200);
      await httpAnswer(session(first));
      const second = await open();
      assert.notEqual(second, first);
      assertUnknown(await post(first, '6'), 'the closed session');
      const alive = await post(second, '6');
      assert.equal(alive.status, 200, alive.text);
      ctx.observe('polling.closedSid', { status: alive.status });
    },
  },
  {
    name: 'polling: a malformed packet in a POST ends that session only',
    async run(ctx) {
      const bystander = await SioClient.connect(ctx.target, { token: ctx.target.token(unique('ok')), transports: ['polling'] });
      for (const packet of ['garbage', '42[bad']) {
        const handshake = await httpAnswer(pollingUrl(ctx.target, 'EIO=4&transport=polling'));
        const session = pollingUrl(ctx.target, `EIO=4&transport=polling&sid=${encodeURIComponent(parseOpenPacket(handshake.text).sid)}`);
        const post = await httpAnswer(session, { method: 'POST', body: packet, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
        assert.equal(post.status, 200, `${packet}: ${post.text}`);
        const poll = await httpAnswer(session);
        // Ended: the session is gone, or its last poll carries the CLOSE packet ('1').
        const ended = (poll.status === 400 && isDeepStrictEqual(poll.json, EXPECTED.unknownSid.body)) ||
          (poll.status === 200 && poll.text.split(RECORD_SEPARATOR).pop() === '1');
        assert.ok(ended, `${packet}: the next poll: ${poll.status} ${JSON.stringify(poll.text)}`);
        ctx.observe(`polling.malformed.${packet}`, { post: [post.status, post.text], nextPoll: [poll.status, poll.text] });
      }
      assert.equal(typeof (await bystander.request('ping', undefined)).timestamp, 'number');
    },
  },
  {
    name: 'raw WebSocket: CONNECT without a token is CONNECT_ERROR and the connection stays; with one, CONNECT and connected',
    async run(ctx) {
      const raw = await rawWebSocket(ctx.target);
      assert.deepEqual(parseOpenPacket(await raw.frame(0)).upgrades, EXPECTED.websocketUpgrades);
      raw.ws.send('40');
      const refused = await raw.frame(1);
      assert.equal(refused.slice(0, 2), '44', refused);
      const body = JSON.parse(refused.slice(2));
      assert.equal(typeof body.message, 'string');
      assert.deepEqual(body.data, { code: 'missing_token' });
      ctx.observe('raw.connectError', refused);
      raw.ws.send(`40${JSON.stringify({ token: ctx.target.token('raw-user') })}`);
      const accepted = await raw.frame(2);
      assert.equal(accepted.slice(0, 2), '40', accepted);
      assert.equal(typeof JSON.parse(accepted.slice(2)).sid, 'string');
      const [event, welcome] = JSON.parse((await raw.frame(3)).replace(/^42/, ''));
      assert.equal(event, 'connected');
      assert.equal(welcome.user_id, 'raw-user');
      raw.ws.close();
    },
  },
  {
    name: 'raw WebSocket: a malformed packet closes that connection only',
    async run(ctx) {
      const bystander = await SioClient.connect(ctx.target, { token: ctx.target.token(unique('ok')), transports: ['websocket'] });
      for (const packet of ['4garbage', '42[bad', 'x']) {
        const raw = await rawWebSocket(ctx.target);
        await raw.frame(0);
        raw.ws.send(packet);
        const closed = await withTimeout(raw.closed, 3000, `close after ${packet}`);
        assert.ok(EXPECTED.malformedClose.some((c) => c.code === closed.code && c.reason === closed.reason),
          `${packet}: ${JSON.stringify(closed)}`);
        assert.equal(raw.frames.length, 1, `${packet}: nothing but the open packet: ${JSON.stringify(raw.frames)}`);
        ctx.observe(`raw.malformed.${packet}`, { close: closed, frames: raw.frames.length });
      }
      assert.equal(typeof (await bystander.request('ping', undefined)).timestamp, 'number');
    },
  },
  {
    name: 'the server API refuses a missing or wrong key with 401',
    async run(ctx) {
      for (const key of [null, 'wrong']) {
        const res = await ctx.target.api('POST', '/api/broadcast', { payload: {} }, { key });
        assert.equal(res.status, 401, `key ${key}: ${res.text}`);
      }
    },
  },
  {
    name: 'native and Socket.IO clients side by side share channels both ways',
    perTransport: true,
    switchboardOnly: 'the reference has no native protocol',
    async run(ctx) {
      const channel = unique('room:mix');
      const native = await Client.authed(ctx.target.server, unique('native'));
      await native.subscribe([channel]);
      const sio = await connectUser(ctx, unique('sio'));
      await subscribed(sio, channel);
      await apiOk(ctx.target, '/api/publish', { channel, type: 'news', payload: { n: 1 } });
      assert.deepEqual((await native.next('news')).payload, { n: 1 });
      assert.deepEqual(await payloadOf(sio, 'news'), { n: 1 });
      await sio.request('publish', { channel, type: 'from-sio', data: { n: 2 } });
      const got = await native.next('from-sio');
      assert.equal(got.channel, channel);
      assert.deepEqual(got.payload, { n: 2 });
      native.send({ type: 'publish', id: 'p1', payload: { channel, type: 'from-native', data: { n: 3 } } });
      assert.deepEqual(await payloadOf(sio, 'from-native'), { n: 3 });
      await native.close();
    },
  },
  {
    name: 'SWITCHBOARD_SOCKETIO=true serves the endpoint as --socketio does',
    switchboardOnly: 'a Switchboard option',
    ownTarget: { socketio: 'env' },
    async run(ctx) {
      const c = await connectUser(ctx, unique('env'));
      assert.equal(typeof c.welcome.args[0].session_id, 'string');
    },
  },
  {
    name: 'without --socketio there is no /socket.io/ endpoint (404)',
    switchboardOnly: 'a Switchboard option',
    ownTarget: { socketio: 'off' },
    async run(ctx) {
      const res = await httpAnswer(pollingUrl(ctx.target, 'EIO=4&transport=polling'));
      assert.equal(res.status, 404, res.text);
    },
  },
];

// ---------------------------------------------------------------------------------------------

function writeObservations(name, observations) {
  const dir = process.env.SIO_OBSERVATIONS_DIR;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  const sorted = Object.fromEntries(Object.entries(observations).sort(([a], [b]) => a.localeCompare(b)));
  fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(sorted, null, 2)}\n`);
}

function defineSuite(kind, { skip = false } = {}) {
  describe(`socket.io interop against ${kind.name}`, { skip }, () => {
    let shared;
    const observations = {};
    before(async () => { shared = await kind.start(SETTINGS); });
    after(async () => {
      await SioClient.closeAll();
      await Client.closeAll();
      if (shared) await shared.stop();
      writeObservations(kind.name, observations);
    });
    afterEach(async () => { await SioClient.closeAll(); await Client.closeAll(); });

    for (const scenario of scenarios) {
      const sets = scenario.perTransport ? Object.entries(TRANSPORTS) : [[null, undefined]];
      for (const [label, transports] of sets) {
        const name = label ? `${scenario.name} [${label}]` : scenario.name;
        const skipIt = scenario.switchboardOnly && kind.name !== 'switchboard' ? scenario.switchboardOnly : false;
        test(name, { skip: skipIt, timeout: 20000 }, async (t) => {
          let target = shared;
          if (scenario.ownTarget) {
            target = await kind.start({ ...SETTINGS, ...scenario.ownTarget });
            t.after(async () => { await SioClient.closeAll(); await target.stop(); });
          }
          const observe = (key, value) => { observations[label ? `${key} [${label}]` : key] = value; };
          try {
            await scenario.run({ target, transports, observe });
          } catch (err) {
            err.message += `\n--- ${kind.name} output ---\n${target.output()}`;
            throw err;
          }
        });
      }
    }
  });
}

module.exports = { defineSuite, scenarios, EXPECTED, SETTINGS, TRANSPORTS };
