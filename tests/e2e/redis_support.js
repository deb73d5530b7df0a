// A private redis-server for end-to-end tests: loopback only, a free port, no persistence, its
// own temporary directory, in the foreground as our child (SIGKILLed with the test process) —
// never a system service. Fault tests kill it, freeze it and start it again on the same port
// (local_server.js).
//
//   const { RedisServer } = require('./redis_support');
//   RedisServer.start({ args = [] }) -> Promise<RedisServer>   (10 s bound; waits for PING)
//   redis.port, redis.url ('redis://127.0.0.1:<port>')
//   redis.cli(...args) -> Promise<string>   redis-cli against it (trimmed output)
//   redis.kill()      SIGKILL (a crash) and wait for the exit
//   redis.pause() -> Promise / redis.resume()   SIGSTOP (resolved once stopped) / SIGCONT
//   redis.restart() -> Promise   same port, directory and arguments (after kill or stop)
//   redis.stop() -> Promise   SIGTERM, 5 s bound, then SIGKILL; removes the directory
//
// The binaries: SB_REDIS_SERVER and SB_REDIS_CLI (tests/e2e/CMakeLists.txt sets them), else
// redis-server / redis-cli on PATH.
'use strict';

const { execFile } = require('node:child_process');
const { LocalServer } = require('./local_server');

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
}

module.exports = { RedisServer };
