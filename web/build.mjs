// Builds the gateway's built-in pages into one directory the server serves with --demo:
//   demo/       the chat (index.html, demo.css, demo.js: the page's code with the SDK bundled)
//   dashboard/  the operators' view (dashboard.js with uPlot bundled, uPlot's stylesheet)
//   sdk/        the SDK's browser bundle (global `Switchboard`) and its ES module, for any page
//   node web/build.mjs OUTDIR        (CMake's web_pages target runs it into build/<flavour>/web)
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] || path.join(here, '..', 'build', 'web'));
const common = { bundle: true, format: 'iife', platform: 'browser', target: 'es2020', minify: true,
  sourcemap: 'linked', external: ['ws'], logLevel: 'warning' };

fs.rmSync(outdir, { recursive: true, force: true });
for (const page of ['demo', 'dashboard']) {
  fs.mkdirSync(path.join(outdir, page), { recursive: true });
  for (const file of fs.readdirSync(path.join(here, page))) {
    if (!file.endsWith('.js')) fs.copyFileSync(path.join(here, page, file), path.join(outdir, page, file));
  }
  await build({ ...common, entryPoints: [path.join(here, page, `${page}.js`)], outfile: path.join(outdir, page, `${page}.js`) });
}
const uplotCss = path.join(here, '..', 'node_modules', 'uplot', 'dist', 'uPlot.min.css');
fs.copyFileSync(uplotCss, path.join(outdir, 'dashboard', 'uPlot.min.css'));
// The SDK's own build, so the bundle served is the one its size is measured on.
execFileSync(process.execPath, [path.join(here, '..', 'clients', 'js', 'build.mjs'), '--outdir', path.join(outdir, 'sdk')],
  { stdio: ['ignore', 'ignore', 'inherit'] });
