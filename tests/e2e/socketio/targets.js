// The servers the Socket.IO interop scenarios run against: the reference (a real Socket.IO 4.8
// server, reference_server.js) and Switchboard (SWITCHBOARD_BIN with --socketio). Both are
// child processes on a loopback port that survives restart(), so that a restart is a real
// one and a reconnecting client finds the server where it left it.
//
//   const { targets } = require('./targets');
//   targets.reference / targets.switchboard   { name, start(opts) }
//   kind.start(opts) -> Promise<Target>
//     opts: { publicChannels = [], clientPublish = false, allowedOrigins = [],
//             ackRetryMs = 300, namespaces = [] }   the same settings on both;
//           Switchboard only: socketio = 'flag' (--socketio) | 'env' (SWITCHBOARD_SOCKETIO=true)
//           | 'off' (neither)
//   target.name                 'reference' | 'switchboard'
//   target.url                  'http://127.0.0.1:<port>' (socket.io-client's argument)
//   target.port
//   target.server               support.js's Server view (wsUrl(), api(), token()) of the
//                               running process, for native clients
//   target.api(method, path, body?, opts?) -> Promise<{status, json, text, headers}>
//     the server API, `Authorization: apikey <key>` (support.js Server.api)
//   target.token(sub, claims = {}) -> HS256 JWT signed with the target's secret
//   target.output()             the process's stdout/stderr so far
//   target.restart() -> Promise  SIGKILL, then the same process again on the same port
//   target.stop() -> Promise
'use strict';

const path = require('node:path');
const { Server, freePort } = require('../support');
const { LocalServer } = require('../local_server');

const API_KEY = 'k';
const JWT_SECRET = 'secret';
const REFERENCE_SCRIPT = path.join(__dirname, 'reference_server.js');

async function healthy(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

// The settings both targets take, as the flags each understands. The reference takes
// Switchboard's flag names, but its durations as plain milliseconds.
function settingFlags(opts, durationMs) {
  const {
    publicChannels = [], clientPublish = false, allowedOrigins = [], ackRetryMs = 300, namespaces = [],
  } = opts;
  const flags = ['--api-key', API_KEY, '--ack-retry-initial', durationMs(ackRetryMs)];
  if (publicChannels.length) flags.push('--public-channels', publicChannels.join(','));
  if (clientPublish) flags.push('--client-publish');
  if (allowedOrigins.length) flags.push('--allowed-origins', allowedOrigins.join(','));
  if (namespaces.length) flags.push('--socketio-namespaces', namespaces.join(','));
  return flags;
}

class Target {
  constructor(name, local) {
    this.name = name;
    this.local_ = local;
    this.port = local.port;
    this.url = `http://127.0.0.1:${local.port}`;
    this.server = null;
    this.view_();
  }

  // support.js's Server over the current child: its api(), token() and wsUrl() serve both
  // targets (it is never asked to stop: the LocalServer owns the process).
  view_() {
    this.server = new Server(this.local_.child, this.port, API_KEY, JWT_SECRET);
  }

  api(method, p, body, opts) { return this.server.api(method, p, body, opts); }

  token(sub, claims = {}) { return this.server.token(sub, claims); }

  output() { return this.local_.output(); }

  async restart() {
    await this.local_.restart();
    this.view_();
  }

  stop() { return this.local_.stop(); }
}

// Launches make(port) on a free port; on another one when it exits at once because the port
// was taken meanwhile. Any other early exit (a refused flag) fails with the process's output.
async function launch(make) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const local = make(port);
    local.port = port;
    if (await local.launch()) return local;
    if (!/address already in use|EADDRINUSE/i.test(local.output())) {
      throw new Error(`${local.name} exited at start (${local.argv.join(' ')}):\n${local.output()}`);
    }
  }
  throw new Error('the server kept losing its port at start');
}

// What the test's environment would set in the server's own (support.js's Server.start drops
// the same): SWITCHBOARD_BIN among them.
function withoutServerSettings(extra) {
  const dropped = Object.keys(process.env)
    .filter((k) => /^(SWITCHBOARD_|LOGGER_)/.test(k) || k === 'JWT_SECRET' || k === 'WSGATEWAY_PORT')
    .map((k) => [k, undefined]);
  return Object.assign(Object.fromEntries(dropped), extra);
}

const targets = {
  reference: {
    name: 'reference',
    async start(opts = {}) {
      const local = await launch((port) => new LocalServer({
        name: 'socket.io reference',
        bin: process.execPath,
        argv: [REFERENCE_SCRIPT, '--port', String(port), '--jwt-secret', JWT_SECRET,
          ...settingFlags(opts, (ms) => String(ms))],
        ready: () => healthy(port),
      }));
      return new Target('reference', local);
    },
  },

  switchboard: {
    name: 'switchboard',
    async start(opts = {}) {
      const bin = process.env.SWITCHBOARD_BIN;
      if (!bin) throw new Error('SWITCHBOARD_BIN must name the server binary');
      const { socketio = 'flag' } = opts;
      const local = await launch((port) => new LocalServer({
        name: 'switchboard',
        bin,
        // As support.js's Server.start, plus the Socket.IO endpoint.
        argv: ['--bind-address', '127.0.0.1', '--port', String(port), '--log-level', 'warn',
          '--drain-period', '0', '--workers', '2', ...(socketio === 'flag' ? ['--socketio'] : []),
          ...settingFlags(opts, (ms) => `${ms}ms`)],
        env: withoutServerSettings(socketio === 'env' ? { JWT_SECRET, SWITCHBOARD_SOCKETIO: 'true' } : { JWT_SECRET }),
        ready: () => healthy(port),
      }));
      return new Target('switchboard', local);
    },
  },
};

module.exports = { targets };
