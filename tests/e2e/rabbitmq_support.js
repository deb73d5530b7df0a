// A private RabbitMQ node for end-to-end tests, as tests/support/rabbitmq_server_process.hpp
// runs it (read that header for the why): loopback only, free ports, its own temporary
// directory (HOME with the Erlang cookie, database, logs, an empty plugin list, no config),
// its own name (sbtest-<pid>-<n>@localhost) and its own epmd (ERL_EPMD_PORT: never the shared
// 4369), the VM itself as our child (RABBITMQ_ALLOW_INPUT makes the script exec it), SIGKILLed
// with the test process — never a system service. A node takes ~5 s to start: one per test
// file (before/after), and a restart keeps its name, ports and database.
//
//   const { RabbitMqServer } = require('./rabbitmq_support');
//   RabbitMqServer.start({ readyMs = 60000 }) -> Promise<RabbitMqServer>
//     waits until the AMQP port answers the protocol header with connection.start
//   rabbit.port, rabbit.url ('amqp://guest:guest@127.0.0.1:<port>/'), rabbit.nodeName, rabbit.pid
//   rabbit.connect() -> Promise<amqplib connection>   (close it yourself)
//   rabbit.publish(routingKey, body, { exchange = '', ...publishOptions }) -> Promise
//     one message (string or Buffer) on a confirm channel of its own: resolved once the broker
//     confirmed it (it is queued, or dropped as unroutable)
//   rabbit.sendAll(queue, bodies, options = {}) -> Promise   bodies (strings or Buffers) to
//     `queue` on the default exchange, persistent, on one confirm channel: resolved once every
//     one is confirmed
//   rabbit.queueCounts(queue) -> Promise<{ ready, unacked } | undefined>   (rabbitmqctl)
//   rabbit.queueDepth(queue) -> Promise<number | undefined>   ready + unacknowledged
//   rabbit.ctl(...args) -> Promise<string>   rabbitmqctl -n <node> ... against it (~1.5 s each)
//   rabbit.kill()   SIGKILL the VM (a crash)      rabbit.pause() -> Promise / rabbit.resume()
//   rabbit.shutdown() -> Promise   SIGTERM (an orderly shutdown: listeners closed, queues,
//     message stores and the database flushed), 30 s bound, then SIGKILL; epmd and the
//     directory stay, for restart()
//   rabbit.restart() -> Promise   same name, ports and database (after kill or shutdown; a
//     running node is SIGKILLed first)
//   rabbit.stop() -> Promise   shutdown(), then stops its epmd and removes the directory
//
// What a crash keeps (RabbitMQ 3.10 on Mnesia, as seen here): a durable queue declared less
// than ~2 s before a SIGKILL may be gone after the restart. Its declaration is one Mnesia
// transaction over a RAM and a disc table, whose "committed" decision Mnesia logs after the
// declare-ok, through mnesia_recover, into the log's write cache (flushed every 2 s); without
// it the restarted node presumes the transaction aborted. An orderly shutdown writes it, so a
// queue that lived through shutdown() + restart() survives later crashes, and so do the
// persistent messages confirmed into it. Acknowledgements are not synced: an acked message
// may come back after a SIGKILL.
//
// The binaries: SB_RABBITMQ_SERVER, SB_RABBITMQCTL, SB_EPMD (tests/e2e/CMakeLists.txt sets
// them), else Debian's paths.
'use strict';

const { execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const amqplib = require('amqplib');
const { freePort } = require('./support');
const { LocalServer, tcpAccepts, tcpGreeting } = require('./local_server');

const SERVER_BIN = process.env.SB_RABBITMQ_SERVER || '/usr/lib/rabbitmq/bin/rabbitmq-server';
const CTL_BIN = process.env.SB_RABBITMQCTL || '/usr/lib/rabbitmq/bin/rabbitmqctl';
const EPMD_BIN = process.env.SB_EPMD || 'epmd';

// "AMQP" 0 0 9 1 asks for AMQP 0-9-1; the answer is a method frame: type 1, channel 0, payload
// size (4 bytes), class 10, method 10 (connection.start).
const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
// Whether each port can be listened on again (loopback), waiting up to timeoutMs.
async function portsBindable(ports, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const bindable = (port) => new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
  for (const port of ports) {
    while (!(await bindable(port)) && Date.now() < deadline) {
      await new Promise((resolve) => { setTimeout(resolve, 50); });
    }
  }
}

async function amqpGreets(port, timeoutMs = 500) {
  const got = await tcpGreeting(port, PROTOCOL_HEADER, (b) => b.length >= 11, timeoutMs);
  return got !== null && got[0] === 1 && got.readUInt16BE(1) === 0 &&
    got.readUInt16BE(7) === 10 && got.readUInt16BE(9) === 10;
}

async function distinctFreePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

let nodes = 0;

class RabbitMqServer {
  static async start({ readyMs = 60000 } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-rabbitmq-'));
    fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');  // none, whatever /etc says
    const server = new RabbitMqServer(dir, `sbtest-${process.pid}-${nodes++}@localhost`, readyMs);
    for (let attempt = 0; attempt < 3; attempt++) {
      [server.port, server.distPort, server.epmdPort] = await distinctFreePorts(3);
      server.url = `amqp://guest:guest@127.0.0.1:${server.port}/`;
      server.epmd = server.makeEpmd();
      server.node = server.makeNode();
      if (await server.epmd.launch() && await server.node.launch()) return server;
      await server.node.stop();
      await server.epmd.stop();
    }
    await server.stop();
    throw new Error('rabbitmq-server kept failing to start');
  }

  constructor(dir, nodeName, readyMs) {
    Object.assign(this, { dir, nodeName, readyMs });
  }

  // The port mapper the node and the CLI register with and ask (loopback, foreground).
  makeEpmd() {
    return new LocalServer({
      name: 'epmd',
      bin: EPMD_BIN,
      argv: ['-port', String(this.epmdPort), '-address', '127.0.0.1'],
      ready: () => tcpAccepts(this.epmdPort),
    });
  }

  makeNode() {
    return new LocalServer({
      name: `rabbitmq-server ${this.nodeName}`,
      bin: SERVER_BIN,
      argv: [],
      env: this.environment(),
      ready: () => amqpGreets(this.port),
      readyMs: this.readyMs,
    });
  }

  environment() {
    const d = this.dir;
    return {
      HOME: d,  // the Erlang cookie, shared with ctl()
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      ERL_EPMD_PORT: String(this.epmdPort),
      RABBITMQ_MNESIA_BASE: path.join(d, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(d, 'log'),
      RABBITMQ_PID_FILE: path.join(d, 'rabbitmq.pid'),
      // Files that do not exist: none of the machine's /etc/rabbitmq applies.
      RABBITMQ_CONFIG_FILE: path.join(d, 'rabbitmq'),
      RABBITMQ_ADVANCED_CONFIG_FILE: path.join(d, 'advanced.config'),
      RABBITMQ_CONF_ENV_FILE: path.join(d, 'rabbitmq-env.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(d, 'enabled_plugins'),
      RABBITMQ_ALLOW_INPUT: '1',  // exec the VM: our child's pid is the server's
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-noinput -kernel inet_dist_use_interface {127,0,0,1}',
    };
  }

  get pid() { return this.node.pid; }

  connect() { return amqplib.connect(this.url); }

  async publish(routingKey, body, { exchange = '', ...options } = {}) {
    const connection = await this.connect();
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish(exchange, routingKey, Buffer.isBuffer(body) ? body : Buffer.from(body), options);
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
  }

  async sendAll(queue, bodies, options = {}) {
    const connection = await this.connect();
    try {
      const channel = await connection.createConfirmChannel();
      for (const body of bodies) {
        channel.sendToQueue(queue, Buffer.isBuffer(body) ? body : Buffer.from(body), { persistent: true, ...options });
      }
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
  }

  async queueCounts(queue) {
    const out = await this.ctl('list_queues', 'name', 'messages_ready', 'messages_unacknowledged');
    const line = out.split('\n').find((l) => l.split(/\s+/)[0] === queue);
    if (line === undefined) return undefined;
    const [, ready, unacked] = line.split(/\s+/);
    return { ready: Number(ready), unacked: Number(unacked) };
  }

  async queueDepth(queue) {
    const counts = await this.queueCounts(queue);
    return counts === undefined ? undefined : counts.ready + counts.unacked;
  }

  ctl(...args) {
    return new Promise((resolve, reject) => {
      execFile(CTL_BIN, ['-n', this.nodeName, ...args],
        { timeout: 60000, env: { ...process.env, ...this.environment() } },
        (err, stdout, stderr) => (err ? reject(new Error(`rabbitmqctl ${args[0]}: ${err.message}\n${stdout}${stderr}`))
          : resolve(stdout.trim())));
    });
  }

  running() { return this.node.running(); }
  kill() { return this.node.kill(); }
  pause() { return this.node.pause(); }
  resume() { this.node.resume(); }
  // The node handles SIGTERM as `rabbitmqctl shutdown` does, in ~1 s where the CLI, booting a
  // VM of its own, takes 1.5-3.5 s.
  shutdown() { return this.node.stop({ graceMs: 30000 }); }

  async restart() {
    await this.node.kill();
    if (!this.epmd.running() && !(await this.epmd.launch())) throw new Error('epmd did not restart');
    // Right after a crash epmd may still hold the old VM's name for a moment: the new node
    // exits at once, and the next attempt gets the name. The old VM's listening sockets may
    // also outlive it briefly (its helper processes exit after it): a node that boots then
    // fails with eaddrinuse. Each attempt waits until the ports can be bound again.
    for (let attempt = 0; attempt < 3; attempt++) {
      await portsBindable([this.port, this.distPort], 5000);
      if (await this.node.launch()) return;
    }
    throw new Error(`${this.nodeName} did not restart:\n${this.node.output()}`);
  }

  async stop() {
    if (this.node) await this.shutdown();
    if (this.epmd) await this.epmd.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { RabbitMqServer, amqpGreets };
