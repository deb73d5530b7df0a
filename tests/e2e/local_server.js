// One server process a test runs on loopback (redis-server, nats-server, epmd, a RabbitMQ
// node): spawned in the foreground as our child, SIGKILLed if the test process dies (setpriv
// --pdeathsig) or exits, ready when its probe says so, crashed, frozen and started again on
// the same port by fault tests. redis_support.js, nats_support.js and rabbitmq_support.js
// build on it.
//
//   const { LocalServer, tcpGreeting } = require('./local_server');
//   new LocalServer({ name, bin, argv, ready, env = {}, readyMs = 10000, dir })
//     name: for messages; bin: the binary; argv: its arguments; ready(): Promise<bool>, polled
//     every 20 ms after the spawn; env: added to the test's environment; dir: a directory the
//     server owns, removed by stop().
//   LocalServer.onFreePort(prefix, make) -> Promise<server>   make(port, dir) builds a server
//     for a free port and a new temporary directory <tmp>/<prefix>XXXXXX; it is launched, on
//     other ports if it exits at once (the port taken), up to 3 times
//   server.launch() -> Promise<bool>   spawn and wait for ready(); false if the child exited
//     first (most likely its port was taken); throws if it lives but is not ready in readyMs
//   server.running(), server.output() (its stdout/stderr so far, last 16 KiB), server.pid
//   server.kill()      SIGKILL (a crash) and wait for the exit
//   server.pause() -> Promise / server.resume()   SIGSTOP (resolved once stopped) / SIGCONT
//   server.restart()   kill if running, then launch again (same arguments); throws if it fails
//   server.stop({ graceMs = 5000 })   SIGTERM, then SIGKILL after graceMs; removes dir
//   tcpGreeting(port, request, enough, timeoutMs = 500) -> Promise<Buffer|null>
//     connects to 127.0.0.1:port, writes request (may be empty), resolves with what was read
//     once enough(buffer) is true; null on refusal, close or timeout
//   tcpAccepts(port, timeoutMs = 500) -> Promise<bool>   whether 127.0.0.1:port takes a connection
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { delay, eventually, freePort, withTimeout } = require('./support');

const live = new Set();
process.on('exit', () => {
  for (const s of live) {
    try { s.child.kill('SIGKILL'); } catch { /* gone */ }
  }
});

class LocalServer {
  static async onFreePort(prefix, make) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = make(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
      if (await server.launch()) return server;
      await server.stop();
    }
    throw new Error(`${prefix}: the server kept failing to start`);
  }

  constructor({ name, bin, argv, ready, env = {}, readyMs = 10000, dir }) {
    Object.assign(this, { name, bin, argv, ready, env, readyMs, dir });
    this.child = null;
    this.out_ = '';
  }

  get pid() { return this.child ? this.child.pid : undefined; }

  output() { return this.out_; }

  async launch() {
    this.child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', this.bin, ...this.argv],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    const child = this.child;
    live.add(this);
    let exited = false;
    child.on('exit', () => { exited = true; live.delete(this); });
    const collect = (c) => { this.out_ = (this.out_ + c.toString()).slice(-16384); };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const deadline = Date.now() + this.readyMs;
    while (!exited && Date.now() < deadline) {
      if (await this.ready()) return true;
      await delay(20);  // readiness has no event to wait on
    }
    if (!exited) throw new Error(`${this.name} not ready within ${this.readyMs} ms:\n${this.output()}`);
    return false;
  }

  running() { return this.child && this.child.exitCode === null && this.child.signalCode === null; }

  async kill() {
    if (!this.running()) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await withTimeout(exited, 5000, `${this.name} exit after SIGKILL`);
  }

  // Resolves once the process is stopped: the signal is asynchronous, and a multi-threaded
  // server may still answer a request sent right after it.
  async pause() {
    this.child.kill('SIGSTOP');
    const stopped = async () => {
      // /proc/<pid>/stat: "pid (comm) state ...", state T when stopped.
      const stat = fs.readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'T') throw new Error('not stopped yet');
    };
    await eventually(stopped, { timeoutMs: 5000, intervalMs: 5, what: `${this.name} stopped` });
  }

  resume() { this.child.kill('SIGCONT'); }

  async restart() {
    await this.kill();
    if (!(await this.launch())) throw new Error(`${this.name} did not restart:\n${this.output()}`);
  }

  async stop({ graceMs = 5000 } = {}) {
    if (this.running()) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGCONT');
      this.child.kill('SIGTERM');
      try {
        await withTimeout(exited, graceMs, `${this.name} exit after SIGTERM`);
      } catch {
        this.child.kill('SIGKILL');
        await withTimeout(exited, 5000, `${this.name} exit after SIGKILL`);
      }
    }
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function tcpGreeting(port, request, enough, timeoutMs = 500) {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const socket = net.connect(port, '127.0.0.1');
    const done = (value) => { clearTimeout(timer); socket.destroy(); resolve(value); };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('connect', () => { if (request.length) socket.write(request); });
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (enough(got)) done(got);
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
  });
}

function tcpAccepts(port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (value) => { clearTimeout(timer); socket.destroy(); resolve(value); };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

module.exports = { LocalServer, tcpAccepts, tcpGreeting };
