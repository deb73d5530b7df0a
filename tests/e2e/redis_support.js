// A private redis-server for end-to-end tests: loopback only, a free port, no persistence, its
// own temporary directory, in the foreground as our child (SIGKILLed with the test process) —
// never a system service. Fault tests kill it, freeze it and start it again on the same port
// (local_server.js).
//
//   const { RedisServer } = require('./redis_support');
//   RedisServer.start({ args = [] }) -> Promise<RedisServer>   (10 s bound; waits for PING)
//   redis.port, redis.url ('redis://127.0.0.1:<port>')
//   redis.cli(...args) -> Promise<string>   redis-cli against it (trimmed output)
//   redis.publish(channel, message) -> Promise<number>   PUBLISH as a backend does, over its
//                     own connection (any size); resolves with the receivers Redis reports
//   redis.publishReceived(channel, message, receivers = 1) -> Promise   PUBLISH once that many
//                     subscribers are on the channel (10 s bound), and check one received it
//   redis.kill()      SIGKILL (a crash) and wait for the exit
//   redis.pause() -> Promise / redis.resume()   SIGSTOP (resolved once stopped) / SIGCONT
//   redis.restart() -> Promise   same port, directory and arguments (after kill or stop)
//   redis.stop() -> Promise   SIGTERM, 5 s bound, then SIGKILL; removes the directory
//
// The binaries: SB_REDIS_SERVER and SB_REDIS_CLI (tests/e2e/CMakeLists.txt sets them), else
// redis-server / redis-cli on PATH.
'use strict';

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const net = require('node:net');
const { LocalServer } = require('./local_server');
const { eventually } = require('./support');

const SERVER_BIN = process.env.SB_REDIS_SERVER || 'redis-server';
const CLI_BIN = process.env.SB_REDIS_CLI || 'redis-cli';

class RedisServer extends LocalServer {
  static start({ args = [] } = {}) {
    return LocalServer.onFreePort('sb-redis-', (port, dir) => new RedisServer(port, dir, args));
  }

  constructor(port, dir, args) {
    super({
      name: 'redis-server',
      bin: SERVER_BIN,
      argv: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--dir', dir, '--daemonize', 'no', '--enable-debug-command', 'yes', ...args],
      ready: async () => {
        try { return (await this.cli('PING')) === 'PONG'; } catch { return false; }
      },
      dir,
    });
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
  }

  cli(...args) {
    return new Promise((resolve, reject) => {
      execFile(CLI_BIN, ['-h', '127.0.0.1', '-p', String(this.port), ...args],
        { timeout: 5000 }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
    });
  }

  // A RESP command of our own rather than redis-cli, which cannot take a 300 KB argument.
  publish(channel, message) {
    return new Promise((resolve, reject) => {
      const parts = ['PUBLISH', channel, message].map((s) => Buffer.from(s));
      const head = Buffer.from(`*${parts.length}\r\n`);
      const body = parts.flatMap((b) => [Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]);
      const socket = net.connect(this.port, '127.0.0.1', () => socket.end(Buffer.concat([head, ...body])));
      let reply = '';
      socket.on('data', (d) => { reply += d.toString(); });
      socket.on('error', reject);
      socket.on('close', () => {
        const m = reply.match(/^:(\d+)\r\n/);
        if (m) resolve(Number(m[1])); else reject(new Error(`PUBLISH answered ${JSON.stringify(reply)}`));
      });
    });
  }

  // A node's ingress subscribes asynchronously after start and Redis keeps nothing for later
  // subscribers: wait for the subscription first.
  async publishReceived(channel, message, receivers = 1) {
    await eventually(async () => {
      const n = Number(await this.cli('PUBSUB', 'NUMPAT')) + Number(
        (await this.cli('PUBSUB', 'NUMSUB', channel)).split('\n')[1] || 0);
      assert.ok(n >= receivers, `${n} subscriber(s) on ${channel}`);
    }, { what: `ingress subscribed to ${channel}`, timeoutMs: 10000 });
    const got = await this.publish(channel, message);
    assert.ok(got >= 1, `PUBLISH ${channel} reached ${got} subscriber(s)`);
  }
}

module.exports = { RedisServer };
