// A private redis-server for end-to-end tests: loopback only, a free port, no persistence, its
// own temporary directory, in the foreground as our child (SIGKILLed with the test process) —
// never a system service. Fault tests kill it, freeze it and start it again on the same port.
//
//   const { RedisServer } = require('./redis_support');
//   RedisServer.start({ args = [] }) -> Promise<RedisServer>   (10 s bound; waits for PING)
//   redis.port, redis.url ('redis://127.0.0.1:<port>')
//   redis.cli(...args) -> Promise<string>   redis-cli against it (trimmed output)
//   redis.kill()      SIGKILL (a crash) and wait for the exit
//   redis.pause() / redis.resume()   SIGSTOP / SIGCONT (frozen: connections stay open)
//   redis.restart() -> Promise   same port, directory and arguments (after kill or stop)
//   redis.stop() -> Promise   SIGTERM, 5 s bound, then SIGKILL; removes the directory
//
// The binaries: SB_REDIS_SERVER and SB_REDIS_CLI (tests/e2e/CMakeLists.txt sets them), else
// redis-server / redis-cli on PATH.
'use strict';

const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, delay, withTimeout } = require('./support');

const SERVER_BIN = process.env.SB_REDIS_SERVER || 'redis-server';
const CLI_BIN = process.env.SB_REDIS_CLI || 'redis-cli';

const live = new Set();
process.on('exit', () => {
  for (const r of live) {
    try { r.child.kill('SIGKILL'); } catch { /* gone */ }
  }
});

class RedisServer {
  static async start({ args = [] } = {}) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-redis-'));
      const server = new RedisServer(port, dir, args);
      if (await server.launch()) return server;
      await server.stop();
    }
    throw new Error('redis-server kept failing to start');
  }

  constructor(port, dir, args) {
    this.port = port;
    this.dir = dir;
    this.args = args;
    this.url = `redis://127.0.0.1:${port}`;
    this.child = null;
    this.out_ = '';
  }

  // Spawns and waits for PING; false if the child exited first (the port was taken).
  async launch() {
    const argv = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly',
      'no', '--dir', this.dir, '--daemonize', 'no', '--enable-debug-command', 'yes', ...this.args];
    this.child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', SERVER_BIN, ...argv],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    let exited = false;
    this.child.on('exit', () => { exited = true; live.delete(this); });
    const collect = (c) => { this.out_ = (this.out_ + c.toString()).slice(-16384); };
    this.child.stdout.on('data', collect);
    this.child.stderr.on('data', collect);
    const deadline = Date.now() + 10000;
    while (!exited && Date.now() < deadline) {
      try {
        if ((await this.cli('PING')) === 'PONG') return true;
      } catch { /* not yet */ }
      await delay(20);
    }
    if (!exited) throw new Error(`redis-server did not answer PING:\n${this.out_}`);
    return false;
  }

  cli(...args) {
    return new Promise((resolve, reject) => {
      execFile(CLI_BIN, ['-h', '127.0.0.1', '-p', String(this.port), ...args],
        { timeout: 5000 }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
    });
  }

  running() { return this.child && this.child.exitCode === null && this.child.signalCode === null; }

  async kill() {
    if (!this.running()) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await withTimeout(exited, 5000, 'redis-server exit after SIGKILL');
  }

  pause() { this.child.kill('SIGSTOP'); }
  resume() { this.child.kill('SIGCONT'); }

  async restart() {
    if (this.running()) await this.kill();
    if (!(await this.launch())) throw new Error(`redis-server did not restart:\n${this.out_}`);
  }

  async stop() {
    if (this.running()) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGCONT');
      this.child.kill('SIGTERM');
      try {
        await withTimeout(exited, 5000, 'redis-server exit after SIGTERM');
      } catch {
        this.child.kill('SIGKILL');
        await withTimeout(exited, 5000, 'redis-server exit after SIGKILL');
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { RedisServer };
