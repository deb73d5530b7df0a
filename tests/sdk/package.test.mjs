// The SDK as its users get it: the esbuild bundles (the browser one under 15 KB gzipped, a
// global `Switchboard`; the ES module one talking to the real server) and the npm package
// (`npm pack`, installed into a scratch project, imported by name).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);
const { Server } = require('../e2e/support.js');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sdk = path.join(root, 'clients', 'js');

function scratch(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

test('the bundles: sizes reported, the browser one under 15 KB gzipped with a global Switchboard', () => {
  const outdir = scratch('sb-sdk-dist-');
  const report = JSON.parse(execFileSync(process.execPath, [path.join(sdk, 'build.mjs'), '--outdir', outdir, '--json'],
    { encoding: 'utf8' }));
  const browser = report.sizes['switchboard.min.js'];
  console.log(`bundle sizes: ${JSON.stringify(report.sizes)}`);
  assert.ok(browser.gzip < 15 * 1024, `${browser.gzip} bytes gzipped`);
  // As a plain <script> runs it: a global, nothing else needed (no require, no import).
  const context = { WebSocket: class {}, setTimeout, clearTimeout, atob };
  context.globalThis = context;
  vm.runInNewContext(fs.readFileSync(path.join(outdir, 'switchboard.min.js'), 'utf8'), context);
  assert.equal(typeof context.Switchboard.SwitchboardClient, 'function');
  assert.equal(context.Switchboard.ErrorCodes.forbidden, 'forbidden');
  fs.rmSync(outdir, { recursive: true, force: true });
});

test('the ES module bundle logs in, subscribes and receives from the real server', async () => {
  const outdir = scratch('sb-sdk-esm-');
  execFileSync(process.execPath, [path.join(sdk, 'build.mjs'), '--outdir', outdir]);
  const { SwitchboardClient } = await import(pathToFileURL(path.join(outdir, 'switchboard.esm.js')).href);
  const server = await Server.start({ args: ['--public-channels', 'room:*'] });
  const client = new SwitchboardClient(server.wsUrl(), { WebSocket, token: server.token('bundled') });
  try {
    await client.connect();
    const room = client.subscribe('room:x');
    await room.ready;
    const got = new Promise((resolve) => room.once('message.new', resolve));
    await server.api('POST', '/api/publish', { channel: 'room:x', payload: { hi: 1 } });
    assert.deepEqual(await got, { hi: 1 });
  } finally {
    client.close();
    await server.stop();
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

test('npm pack: a Node project installs the tarball and imports @switchboard/client by name', () => {
  const dir = scratch('sb-sdk-pack-');
  const tarball = execFileSync('npm', ['pack', sdk, '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim();
  const project = path.join(dir, 'app');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(dir, tarball)],
    { cwd: project });
  const out = execFileSync(process.execPath, ['--input-type=module', '-e',
    "import { SwitchboardClient, ErrorCodes } from '@switchboard/client'; console.log(typeof SwitchboardClient, ErrorCodes.rate_limited);"],
  { cwd: project, encoding: 'utf8' });
  assert.equal(out.trim(), 'function rate_limited');
  const files = execFileSync('tar', ['-tzf', path.join(dir, tarball)], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  assert.ok(files.includes('package/src/index.d.ts'), files.join(' '));
  fs.rmSync(dir, { recursive: true, force: true });
});
