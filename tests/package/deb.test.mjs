// The server's Debian package as an operator gets it: `cpack -G DEB` from this build, its
// control data (dependencies from dpkg-shlibdeps, the configuration a conffile, maintainer
// scripts that reload systemd and restart or stop the service), the systemd
// unit, and the package unpacked into a scratch root (`dpkg -x`) with the server started from
// there on its packaged configuration: healthy, serving its built-in pages from the unpacked
// share/, taking a client, draining on SIGTERM. SB_BUILD_DIR names the build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { run, scratch } from './package_support.mjs';

const require = createRequire(import.meta.url);
const { Server, Client } = require('../e2e/support.js');

const build = process.env.SB_BUILD_DIR;
let work;
let deb;
let unpacked;

before(() => {
  assert.ok(build, 'SB_BUILD_DIR must name the build directory');
  work = scratch('sb-deb-');
  run('cpack', ['--config', path.join(build, 'CPackConfig.cmake'), '-B', work]);
  const debs = fs.readdirSync(work).filter((f) => f.endsWith('.deb'));
  assert.equal(debs.length, 1, `one package: ${debs.join(', ')}`);
  deb = path.join(work, debs[0]);
  unpacked = path.join(work, 'root');
  run('dpkg', ['-x', deb, unpacked]);
});

after(() => work && fs.rmSync(work, { recursive: true, force: true }));

test('control: named switchboard, its libraries as dependencies, the configuration a conffile', () => {
  assert.match(path.basename(deb), /^switchboard_\d+\.\d+\.\d+_[a-z0-9]+\.deb$/);
  assert.equal(run('dpkg-deb', ['-f', deb, 'Package']).trim(), 'switchboard');
  const depends = run('dpkg-deb', ['-f', deb, 'Depends']);
  for (const lib of ['libssl3', 'libhiredis', 'librabbitmq', 'libnats', 'libpq5', 'libzstd1']) {
    assert.ok(depends.includes(lib), `Depends names ${lib}: ${depends}`);
  }
  const control = path.join(work, 'control');
  run('dpkg-deb', ['-e', deb, control]);
  assert.deepEqual(fs.readFileSync(path.join(control, 'conffiles'), 'utf8').trim().split('\n'),
                   ['/etc/switchboard/switchboard.toml']);
  // The maintainer scripts: executable, valid sh, and each one's systemd step.
  const steps = { postinst: /systemctl try-restart switchboard\.service/, prerm: /systemctl stop switchboard\.service/,
                  postrm: /systemctl daemon-reload/ };
  for (const [script, step] of Object.entries(steps)) {
    const file = path.join(control, script);
    assert.ok(fs.statSync(file).mode & 0o111, `${script} is executable`);
    run('sh', ['-n', file]);
    assert.match(fs.readFileSync(file, 'utf8'), step, script);
  }
});

test('contents: binary (stripped), pages, docs, the default configuration and the systemd unit', () => {
  for (const file of ['usr/bin/switchboard', 'usr/share/switchboard/web/demo/index.html',
                      'usr/share/switchboard/web/dashboard/index.html', 'usr/share/doc/switchboard/config.md',
                      'etc/switchboard/switchboard.toml', 'lib/systemd/system/switchboard.service']) {
    assert.ok(fs.existsSync(path.join(unpacked, file)), `${file} is in the package`);
  }
  assert.ok(!fs.existsSync(path.join(unpacked, 'usr/include')), 'the server package carries no headers');
  assert.doesNotMatch(run('file', [path.join(unpacked, 'usr/bin/switchboard')]), /with debug_info/);
  const unit = fs.readFileSync(path.join(unpacked, 'lib/systemd/system/switchboard.service'), 'utf8');
  const settings = new Map(unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(settings.get('ExecStart'), '/usr/bin/switchboard --config /etc/switchboard/switchboard.toml');
  assert.equal(settings.get('KillSignal'), 'SIGTERM');
  assert.ok(Number(settings.get('LimitNOFILE')) >= 65536, unit);
  // systemd stops with SIGKILL after TimeoutStopSec: it must leave the drain its time.
  assert.ok(parseInt(settings.get('TimeoutStopSec'), 10) > 5, 'TimeoutStopSec above drain_period (5 s)');
  // systemd's own check, on a copy whose ExecStart names the unpacked binary (it must exist):
  // an unknown key or a bad value is only a warning to it, so any output fails the test.
  const copy = path.join(work, 'verify', 'switchboard.service');
  fs.mkdirSync(path.dirname(copy));
  fs.writeFileSync(copy, unit.replace('ExecStart=/usr/bin/switchboard',
                                      `ExecStart=${path.join(unpacked, 'usr/bin/switchboard')}`));
  const verify = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(`${verify.stdout}${verify.stderr}`.trim(), '', 'systemd-analyze verify has nothing to say');
});

test('the unpacked server starts on its packaged configuration, serves its pages and drains', async () => {
  const saved = process.env.SWITCHBOARD_BIN;
  process.env.SWITCHBOARD_BIN = path.join(unpacked, 'usr/bin/switchboard');
  let server;
  try {
    server = await Server.start({
      args: ['--config', path.join(unpacked, 'etc/switchboard/switchboard.toml'), '--demo'],
    });
  } finally {
    if (saved === undefined) delete process.env.SWITCHBOARD_BIN; else process.env.SWITCHBOARD_BIN = saved;
  }
  try {
    const page = await server.get('/demo/');
    assert.equal(page.status, 200);
    assert.equal(page.text, fs.readFileSync(path.join(unpacked, 'usr/share/switchboard/web/demo/index.html'), 'utf8'),
                 'the demo comes from the unpacked share/switchboard/web');
    const client = await Client.authed(server, 'operator');
    await client.subscribe(['demo:lobby']);
    const ended = client.waitClose(10000);
    await server.stop();  // rejects unless SIGTERM ended it with status 0
    assert.equal((await ended).code, 1012, 'the drain tells the client to reconnect elsewhere');
  } finally {
    await Client.closeAll();
    await server.stop();
  }
});
