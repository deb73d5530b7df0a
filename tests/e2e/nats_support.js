// A private nats-server for end-to-end tests: loopback only, a free port, its own temporary
// directory (its log only: core NATS keeps nothing on disk), in the foreground as our child
// (SIGKILLed with the test process) — never a system service. It starts in well under a
// second: one per test file, or per test. Fault tests kill it, freeze it and start it again
// on the same port (local_server.js).
//
//   const { NatsServer } = require('./nats_support');
//   NatsServer.start({ args = [] }) -> Promise<NatsServer>   (10 s bound; waits for INFO)
//   nats.port, nats.url ('nats://127.0.0.1:<port>')
//   nats.connect(options = {}) -> Promise<NatsConnection>   npm `nats` to it (close it yourself)
//   nats.publish(subject, data) -> Promise   one message (string or bytes) through a connection
//     of its own, flushed: the server has it when this resolves
//   nats.kill() / nats.pause() / nats.resume() / nats.restart() / nats.stop()   as RedisServer's
//
// The binary: SB_NATS_SERVER (tests/e2e/CMakeLists.txt sets it), else nats-server on PATH.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const nats = require('nats');
const { LocalServer, tcpGreeting } = require('./local_server');

const SERVER_BIN = process.env.SB_NATS_SERVER || 'nats-server';

// The server speaks first: `INFO {json}\r\n` as soon as a client connects.
async function natsGreets(port, timeoutMs = 500) {
  const got = await tcpGreeting(port, '', (b) => b.includes('\r\n'), timeoutMs);
  return got !== null && got.toString().startsWith('INFO {');
}

class NatsServer extends LocalServer {
  static start({ args = [] } = {}) {
    return LocalServer.onFreePort('sb-nats-', (port, dir) => new NatsServer(port, dir, args));
  }

  constructor(port, dir, args) {
    super({
      name: 'nats-server',
      bin: SERVER_BIN,
      argv: ['-a', '127.0.0.1', '-p', String(port), '-l', path.join(dir, 'nats.log'), ...args],
      ready: () => natsGreets(port),
      dir,
    });
    this.port = port;
    this.url = `nats://127.0.0.1:${port}`;
  }

  connect(options = {}) {
    return nats.connect({ servers: this.url, ...options });
  }

  async publish(subject, data) {
    const nc = await this.connect();
    try {
      nc.publish(subject, typeof data === 'string' ? new TextEncoder().encode(data) : data);
      await nc.flush();
    } finally {
      await nc.close();
    }
  }

  output() { return super.output() + readTail(path.join(this.dir, 'nats.log')); }
}

function readTail(file) {
  try { return fs.readFileSync(file, 'utf8').slice(-4096); } catch { return ''; }
}

module.exports = { NatsServer, natsGreets };
