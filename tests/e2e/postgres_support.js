// A private PostgreSQL server for end-to-end tests: `initdb` into a temporary directory
// (trust authentication, user postgres), `postgres` in the foreground as our child on a free
// loopback port with its socket in that directory — never a system service. PostgreSQL refuses
// to run as root: when the tests run as root, the directory is given to the `postgres` user
// (Debian's package creates it) and the server runs as that user (setpriv, which execs: the
// child's pid is the postmaster's). One server per test file (initdb takes ~1.5 s); a
// restart keeps its port and data.
//
//   const { PostgresServer } = require('./postgres_support');
//   PostgresServer.start({ settings = {} }) -> Promise<PostgresServer>
//     settings: extra `-c name=value` server settings
//   pg.port, pg.pid, pg.url(db = 'postgres') -> 'postgres://postgres@127.0.0.1:<port>/<db>'
//   pg.sql(sql, { db = 'postgres' }) -> Promise<string[][]>   one psql run (-At, ON_ERROR_STOP):
//     the rows of the last statement, each an array of text fields; rejects with psql's error
//   pg.createDatabase(name) -> Promise
//   pg.pause() -> Promise / pg.resume()   SIGSTOP / SIGCONT the postmaster and every backend:
//     the server is frozen (connections stay open, nothing answers)
//   pg.restart() -> Promise   a fast shutdown (SIGINT: sessions are terminated, open
//     transactions rolled back), then the server again on the same port and data
//   pg.kill() -> Promise      SIGKILL the postmaster and its backends (a crash); restart()
//     afterwards recovers from the WAL
//   pg.stop() -> Promise      fast shutdown, then removes the directory
//
// The binaries: SB_POSTGRES_BINDIR (tests/e2e/CMakeLists.txt sets it), else the newest
// /usr/lib/postgresql/<n>/bin.
'use strict';

const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, withTimeout, eventually } = require('./support');
const { LocalServer } = require('./local_server');

function binDir() {
  if (process.env.SB_POSTGRES_BINDIR) return process.env.SB_POSTGRES_BINDIR;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL under /usr/lib/postgresql (scripts/install-deps.sh installs it)');
  versions.sort((a, b) => Number(b) - Number(a));
  return path.join(root, versions[0], 'bin');
}

const asRoot = process.getuid && process.getuid() === 0;
// Runs `bin args` as the server's owner: postgres when we are root, else ourselves.
function owned(bin, args) {
  return asRoot ? ['/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', bin, ...args]]
    : [bin, args];
}

function run(bin, args, { timeoutMs = 60000, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`${path.basename(bin)}: ${err.message}\n${stderr}`)) : resolve(stdout)));
    if (input !== undefined) child.stdin.end(input);
  });
}

// The pids of `pid`'s children, grandchildren, … (the postmaster's backends).
function descendants(pid) {
  const out = [];
  const walk = (p) => {
    let children = '';
    try {
      for (const task of fs.readdirSync(`/proc/${p}/task`)) {
        children += ` ${fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8')}`;
      }
    } catch { return; }
    for (const c of children.split(/\s+/).filter(Boolean).map(Number)) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function signal(pid, sig) {
  try { process.kill(pid, sig); } catch { /* gone */ }
}

class PostgresServer {
  static async start({ settings = {} } = {}) {
    const bin = binDir();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-postgres-'));
    if (asRoot) {
      const { uid, gid } = await run('/usr/bin/id', ['-u', 'postgres']).then(async (u) => ({
        uid: Number(u), gid: Number(await run('/usr/bin/id', ['-g', 'postgres'])) }));
      fs.chownSync(dir, uid, gid);
    }
    const data = path.join(dir, 'data');
    const [initBin, initArgs] = owned(path.join(bin, 'initdb'),
      ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
    await run(initBin, initArgs);
    const server = new PostgresServer(bin, dir, data, settings);
    for (let attempt = 0; attempt < 3; attempt++) {
      server.port = await freePort();
      server.node = server.makeNode();
      if (await server.node.launch()) return server;
    }
    await server.stop();
    throw new Error(`postgres kept failing to start:\n${server.node.output()}`);
  }

  constructor(bin, dir, data, settings) {
    Object.assign(this, { bin, dir, data, settings });
  }

  makeNode() {
    const options = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: this.dir,
      fsync: 'off',  // a test server: a crash of the process keeps the OS's buffers anyway
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '100',
      ...this.settings,
    };
    const args = ['-D', this.data, '-p', String(this.port)];
    for (const [k, v] of Object.entries(options)) args.push('-c', `${k}=${v}`);
    const [bin, argv] = owned(path.join(this.bin, 'postgres'), args);
    return new LocalServer({
      name: `postgres :${this.port}`,
      bin,
      argv,
      ready: () => this.ready(),
      readyMs: 30000,
    });
  }

  async ready() {
    try {
      await run(path.join(this.bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(this.port)], { timeoutMs: 2000 });
      return true;
    } catch { return false; }
  }

  get pid() { return this.node.pid; }

  url(db = 'postgres') { return `postgres://postgres@127.0.0.1:${this.port}/${db}`; }

  async sql(sql, { db = 'postgres' } = {}) {
    const out = await run(path.join(this.bin, 'psql'),
      ['-X', '-q', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(this.port),
        '-U', 'postgres', '-d', db, '-f', '-'], { input: sql });
    return out.split('\n').filter((line) => line.length > 0).map((line) => line.split('\t'));
  }

  createDatabase(name) { return this.sql(`CREATE DATABASE "${name}"`); }

  async pause() {
    for (const pid of [this.pid, ...descendants(this.pid)]) signal(pid, 'SIGSTOP');
    await this.node.pause();  // resolved once the postmaster shows as stopped
  }

  resume() {
    for (const pid of [this.pid, ...descendants(this.pid)]) signal(pid, 'SIGCONT');
  }

  async shutdown() {
    if (!this.node.running()) return;
    const backends = descendants(this.pid);
    const exited = new Promise((r) => this.node.child.once('exit', r));
    for (const pid of [this.pid, ...backends]) signal(pid, 'SIGCONT');
    signal(this.pid, 'SIGINT');  // fast shutdown: terminates the sessions, rolls back
    await withTimeout(exited, 30000, 'postgres exit after SIGINT');
    await this.gone(backends);
  }

  // Waits until the processes are gone: a new postmaster refuses a data directory whose
  // shared memory an old backend still holds.
  async gone(pids) {
    await eventually(() => {
      for (const pid of pids) {
        if (fs.existsSync(`/proc/${pid}`)) {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
          if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') throw new Error(`backend ${pid} still runs`);
        }
      }
    }, { timeoutMs: 10000, intervalMs: 20, what: 'the backends exit' });
  }

  async kill() {
    if (!this.node.running()) return;
    const backends = descendants(this.pid);
    for (const pid of backends) signal(pid, 'SIGKILL');
    await this.node.kill();
    await this.gone(backends);
  }

  async restart() {
    await this.shutdown();
    if (!(await this.node.launch())) throw new Error(`postgres did not restart:\n${this.node.output()}`);
  }

  async stop() {
    if (this.node) {
      try { await this.shutdown(); } catch { await this.kill(); }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// The default outbox (docs/ingress.md, "PostgreSQL outbox"), its trigger included.
const OUTBOX_SCHEMA = `
CREATE TABLE switchboard_outbox (
  id         bigserial PRIMARY KEY,
  topic      text,
  event      text,
  payload    jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  failed_at  timestamptz,
  error      text
);
CREATE INDEX switchboard_outbox_pending ON switchboard_outbox (id) WHERE failed_at IS NULL;
CREATE FUNCTION switchboard_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_TABLE_NAME, '');
  RETURN NULL;
END $$;
CREATE TRIGGER switchboard_outbox_notify AFTER INSERT ON switchboard_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION switchboard_outbox_notify();
`;

module.exports = { PostgresServer, OUTBOX_SCHEMA };
