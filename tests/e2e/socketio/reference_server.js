// The reference for Switchboard's Socket.IO endpoint: a real Socket.IO 4.8 server (npm socket.io)
// that implements the same mapping with socket.io's own server API, so that the interop
// scenarios (scenarios.js) assert what a real Socket.IO server makes socket.io-client see, not
// our reading of the spec. It also serves Switchboard's server API routes and /health, so the
// scenarios drive both targets the same way.
//
//   node tests/e2e/socketio/reference_server.js --port N [--api-key k] [--jwt-secret s]
//        [--allowed-origins a,b] [--public-channels 'room:*,news'] [--client-publish]
//        [--ack-retry-initial 300] [--ack-max-attempts 5] [--socketio-namespaces /admin,/chat]
//   (JWT_SECRET in the environment stands for --jwt-secret.) Prints `listening <port>` once up.
//
//   const { startReference } = require('./reference_server');
//   startReference(options) -> Promise<{ port, close() }>   the same options, camelCase
//
// The mapping (docs/protocol.md's rules, on Socket.IO):
//   auth        CONNECT auth.token, else ?token=, else `Authorization: Bearer`; an HS256 JWT
//               whose `sub` is the user. Refusal: CONNECT_ERROR {message, data: {code}} with
//               Switchboard's auth.error codes.
//   connected   event `connected` {user_id, session_id} once the socket is in room user:<sub>
//   ping        `ping` → event `pong` {timestamp}, or the ack callback with it
//   subscribe   {channel} or {channels} → {channels}; a channel the token does not permit →
//               {error: {code: 'forbidden'}}; an invalid name → bad_channel. Reply through the
//               callback, else as event `subscribed` / `unsubscribed` / `error`.
//   publish     {channel, type?, data} from a subscribed client (with --client-publish) to
//               every socket in the channel's room, the publisher included
//   server API  publish → room C, send → room user:U, broadcast → every socket,
//               disconnect → the user's sockets disconnected (reason `io server disconnect`);
//               requires_ack → emitted with an ack callback and emitted again after
//               ack_retry_initial, then doubling, until acked or ack_max_attempts deliveries.
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');
const { Server: SocketIoServer } = require('socket.io');

const JWT_LEEWAY_S = 30;
// The types the server sends, which clients may not publish (docs/protocol.md, `publish`).
const RESERVED_TYPES = new Set(['connected', 'auth.success', 'auth.error', 'error', 'pong', 'subscribed',
  'unsubscribed', 'snapshot', 'recovered', 'not_recovered', 'presence.join', 'presence.leave',
  'presence.state', 'typing.start', 'typing.stop', 'history', 'ack']);

// ---------------------------------------------------------------------------------------------
// Tokens: what Switchboard's JWT verifier refuses, with its codes (docs/protocol.md,
// "Connecting and authenticating").

function authError(code, message) {
  const err = new Error(message);
  err.data = { code };
  return err;
}

function parseJsonPart(part) {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString());
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

// Returns {userId, channels} or throws an Error carrying .data.code.
function verifyToken(token, secret) {
  if (typeof token !== 'string' || token === '') throw authError('missing_token', 'no token');
  const parts = token.split('.');
  if (parts.length !== 3) throw authError('malformed_token', 'token is not three dot-separated parts');
  const header = parseJsonPart(parts[0]);
  if (!header) throw authError('malformed_token', 'header is not a base64url JSON object');
  if (header.alg !== 'HS256') throw authError('unsupported_algorithm', `alg ${header.alg} is not accepted`);
  const claims = parseJsonPart(parts[1]);
  if (!claims) throw authError('malformed_token', 'payload is not a base64url JSON object');
  const want = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const got = Buffer.from(parts[2], 'base64url');
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) {
    throw authError('bad_signature', 'signature does not verify');
  }
  const now = Date.now() / 1000;
  if (typeof claims.exp === 'number' && now > claims.exp + JWT_LEEWAY_S) throw authError('expired', 'token expired');
  if (typeof claims.nbf === 'number' && now < claims.nbf - JWT_LEEWAY_S) throw authError('not_yet_valid', 'token not yet valid');
  if (typeof claims.sub !== 'string' && typeof claims.sub !== 'number') throw authError('missing_subject', 'no sub');
  const channels = claims.channels === undefined ? [] : claims.channels;
  if (!Array.isArray(channels) || channels.some((c) => typeof c !== 'string')) {
    throw authError('malformed_token', 'channels must be an array of strings');
  }
  return { userId: String(claims.sub), channels };
}

function handshakeToken(handshake) {
  if (handshake.auth && typeof handshake.auth.token === 'string') return handshake.auth.token;
  if (typeof handshake.query.token === 'string') return handshake.query.token;
  const bearer = /^Bearer\s+(.+)$/i.exec(handshake.headers.authorization || '');
  return bearer ? bearer[1] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Channels: Switchboard's permission rule (docs/protocol.md, "Permissions").

function globMatch(pattern, name) {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return re.test(name);
}

function validChannel(name) {
  return typeof name === 'string' && name !== '' && name.length <= 255 && name[0] !== '$' && !/[\x00-\x1f\x7f]/.test(name);
}

function channelError(channel, user, publicChannels) {
  if (!validChannel(channel)) return { code: 'bad_channel', message: `invalid channel name: ${channel}` };
  if (channel === `user:${user.userId}`) return null;
  const permitted = !channel.startsWith('user:') &&
    [...user.channels, ...publicChannels].some((p) => globMatch(p, channel));
  return permitted ? null : { code: 'forbidden', message: `not permitted to subscribe to ${channel}` };
}

// Replies name the channels the way the request did ({channel} or {channels}), as Switchboard's
// native replies do.
function echoShape(payload, channels) {
  return Array.isArray(payload.channels) ? { channels } : { channel: channels[0] };
}

function requestedChannels(payload) {
  if (payload && Array.isArray(payload.channels)) return payload.channels;
  if (payload && typeof payload.channel === 'string') return [payload.channel];
  return null;
}

// ---------------------------------------------------------------------------------------------
// The Socket.IO side

// An ack callback is always the last argument of a client event.
function splitAck(args) {
  const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
  return { payload: args[0], ack };
}

function answer(socket, ack, eventName, reply) {
  if (ack) ack(reply);
  else socket.emit(reply.error ? 'error' : eventName, reply.error || reply);
}

// Emits (type, payload) with an ack callback; emits it again after retryMs, doubling, until the
// client acks or maxAttempts deliveries went out. The socket's disconnect ends the retries.
function emitWithRetries(socket, type, payload, { retryMs, maxAttempts }) {
  let acked = false;
  let timer = null;
  const deliver = (attempt, waitMs) => {
    if (acked || !socket.connected) return;
    socket.emit(type, payload, () => {
      acked = true;
      clearTimeout(timer);
    });
    if (attempt < maxAttempts) timer = setTimeout(() => deliver(attempt + 1, waitMs * 2), waitMs);
  };
  socket.once('disconnect', () => clearTimeout(timer));
  deliver(1, retryMs);
}

function attachClientHandlers(socket, options, io) {
  const { user } = socket.data;
  socket.join(`user:${user.userId}`);

  socket.on('ping', (...args) => {
    const { ack } = splitAck(args);
    answer(socket, ack, 'pong', { timestamp: Date.now() });
  });

  socket.on('subscribe', (...args) => {
    const { payload, ack } = splitAck(args);
    const channels = requestedChannels(payload);
    if (!channels) return answer(socket, ack, 'subscribed', { error: { code: 'bad_request', message: 'subscribe needs channel or channels' } });
    for (const c of channels) {
      const error = channelError(c, user, options.publicChannels);
      if (error) return answer(socket, ack, 'subscribed', { error });
    }
    for (const c of channels) socket.join(c);
    return answer(socket, ack, 'subscribed', echoShape(payload, channels));
  });

  socket.on('unsubscribe', (...args) => {
    const { payload, ack } = splitAck(args);
    const channels = requestedChannels(payload);
    if (!channels) return answer(socket, ack, 'unsubscribed', { error: { code: 'bad_request', message: 'unsubscribe needs channel or channels' } });
    for (const c of channels) socket.leave(c);
    return answer(socket, ack, 'unsubscribed', echoShape(payload, channels));
  });

  socket.on('publish', (...args) => {
    const { payload, ack } = splitAck(args);
    const channel = payload && payload.channel;
    if (typeof channel !== 'string' || channel === '') {
      return answer(socket, ack, 'published', { error: { code: 'bad_request', message: 'publish needs channel' } });
    }
    if (!options.clientPublish || !socket.rooms.has(channel)) {
      return answer(socket, ack, 'published', { error: { code: 'forbidden', message: `not permitted to publish to ${channel}` } });
    }
    const type = typeof payload.type === 'string' && payload.type !== '' ? payload.type : 'message.new';
    if (RESERVED_TYPES.has(type)) {
      return answer(socket, ack, 'published', { error: { code: 'forbidden', message: `event type ${type} is reserved for the server` } });
    }
    io.to(channel).emit(type, payload.data);
    return ack ? ack({ channel }) : undefined;
  });

  socket.emit('connected', { user_id: user.userId, session_id: socket.id });
}

function authMiddleware(secret) {
  return (socket, next) => {
    try {
      socket.data.user = verifyToken(handshakeToken(socket.handshake), secret);
      next();
    } catch (err) {
      next(err);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Server API (docs/protocol.md, "Server API")

function readJson(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        resolve(body !== null && typeof body === 'object' && !Array.isArray(body) ? body : null);
      } catch {
        resolve(null);
      }
    });
  });
}

function sendJson(res, status, obj) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(obj === undefined ? '' : JSON.stringify(obj));
}

function badRequest(res, message) {
  sendJson(res, 400, { error: { code: 'bad_request', message } });
}

function makeApi(io, options) {
  const offsets = new Map();
  const deliver = (room, body) => {
    const type = typeof body.type === 'string' && body.type !== '' ? body.type : 'message.new';
    const target = room === null ? io.of('/') : io.to(room);
    if (!body.requires_ack) return target.emit(type, body.payload);
    const sockets = room === null ? io.of('/').sockets.values() : [...io.of('/').sockets.values()].filter((s) => s.rooms.has(room));
    for (const s of sockets) emitWithRetries(s, type, body.payload, options.ack);
    return undefined;
  };
  const routes = {
    '/api/publish': (body, res) => {
      if (!validChannel(body.channel)) return badRequest(res, 'channel must be a valid channel name');
      deliver(body.channel, body);
      const offset = (offsets.get(body.channel) || 0) + 1;
      offsets.set(body.channel, offset);
      return sendJson(res, 200, { channel: body.channel, offset, epoch: 'reference' });
    },
    '/api/send': (body, res) => {
      if (typeof body.user_id !== 'string' || body.user_id === '') return badRequest(res, 'user_id must be a string');
      deliver(`user:${body.user_id}`, body);
      return sendJson(res, 200, { status: 'sent' });
    },
    '/api/broadcast': (body, res) => {
      deliver(null, body);
      return sendJson(res, 202, { status: 'accepted' });
    },
    '/api/disconnect': (body, res) => {
      if (typeof body.user_id !== 'string' || body.user_id === '') return badRequest(res, 'user_id must be a string');
      io.in(`user:${body.user_id}`).disconnectSockets(true);
      return sendJson(res, 202, { status: 'accepted' });
    },
  };
  return async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health') {
      return sendJson(res, 200, { status: 'ok', connections: io.of('/').sockets.size });
    }
    const route = routes[url.pathname];
    if (!route) return sendJson(res, 404, { error: { code: 'not_found', message: 'no such route' } });
    if (!options.apiKey) return sendJson(res, 403, { error: { code: 'forbidden', message: 'the API is disabled' } });
    if (req.headers.authorization !== `apikey ${options.apiKey}`) {
      return sendJson(res, 401, { error: { code: 'unauthorized', message: 'bad API key' } });
    }
    if (req.method !== 'POST') return sendJson(res, 405, { error: { code: 'method_not_allowed', message: 'POST only' } });
    const body = await readJson(req);
    if (!body) return badRequest(res, 'the body must be a JSON object');
    return route(body, res);
  };
}

// ---------------------------------------------------------------------------------------------

function normalize(options) {
  return {
    port: options.port || 0,
    apiKey: options.apiKey === undefined ? 'k' : options.apiKey,
    jwtSecret: options.jwtSecret || process.env.JWT_SECRET || 'secret',
    allowedOrigins: options.allowedOrigins || [],
    publicChannels: options.publicChannels || [],
    clientPublish: Boolean(options.clientPublish),
    namespaces: options.namespaces || [],
    ack: { retryMs: options.ackRetryInitialMs || 2000, maxAttempts: options.ackMaxAttempts || 5 },
  };
}

async function startReference(given = {}) {
  const options = normalize(given);
  // The API listener is registered before socket.io attaches: socket.io then answers
  // /socket.io/ itself and hands every other request to it (a listener added later would see
  // socket.io's requests too).
  let api = null;
  const httpServer = http.createServer((req, res) => api(req, res));
  const io = new SocketIoServer(httpServer, {
    // Switchboard: allowed_origins empty allows any origin.
    cors: options.allowedOrigins.length ? { origin: options.allowedOrigins, credentials: true } : undefined,
  });
  for (const name of ['/', ...options.namespaces]) {
    const nsp = io.of(name);
    nsp.use(authMiddleware(options.jwtSecret));
    nsp.on('connection', (socket) => attachClientHandlers(socket, options, io));
  }
  api = makeApi(io, options);
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, '127.0.0.1', resolve);
  });
  return {
    port: httpServer.address().port,
    close: () => new Promise((resolve) => {
      io.close(() => resolve());
      httpServer.closeAllConnections();
    }),
  };
}

function parseArgs(argv) {
  const list = (v) => v.split(',').map((s) => s.trim()).filter(Boolean);
  const flags = {
    '--port': ['port', Number], '--api-key': ['apiKey', String], '--jwt-secret': ['jwtSecret', String],
    '--allowed-origins': ['allowedOrigins', list], '--public-channels': ['publicChannels', list],
    '--ack-retry-initial': ['ackRetryInitialMs', Number], '--ack-max-attempts': ['ackMaxAttempts', Number],
    '--socketio-namespaces': ['namespaces', list],
  };
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--client-publish') {
      options.clientPublish = true;
    } else if (flags[argv[i]] && i + 1 < argv.length) {
      const [key, parse] = flags[argv[i]];
      options[key] = parse(argv[++i]);
    } else {
      throw new Error(`reference_server: unknown or incomplete argument ${argv[i]}`);
    }
  }
  return options;
}

if (require.main === module) {
  startReference(parseArgs(process.argv.slice(2))).then(
    ({ port, close }) => {
      process.stdout.write(`listening ${port}\n`);
      process.once('SIGTERM', () => close().then(() => process.exit(0)));
    },
    (err) => {
      process.stderr.write(`${err.stack}\n`);
      process.exit(2);
    });
}

module.exports = { startReference, verifyToken, parseArgs };
