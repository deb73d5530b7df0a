// Builds the SDK's bundles with esbuild (npm, the repository's node_modules):
//   dist/switchboard.esm.js  one ES module (for bundlers and <script type="module">)
//   dist/switchboard.min.js  minified, a global `Switchboard` (for a plain <script>), the one the
//                            gateway's demo pages load
// and prints their sizes, raw and gzipped (the browser bundle's aim: under 15 KB gzipped).
//   node clients/js/build.mjs [--outdir DIR] [--json]
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf('--outdir');
const outdir = at >= 0 ? path.resolve(args[at + 1]) : path.join(here, 'dist');
const entry = path.join(here, 'src', 'index.js');
// `ws` is imported only when no WebSocket exists (Node before 22): never bundled.
const common = { entryPoints: [entry], bundle: true, external: ['ws'], target: 'es2020', logLevel: 'warning' };

await build({ ...common, format: 'esm', platform: 'neutral', outfile: path.join(outdir, 'switchboard.esm.js') });
await build({ ...common, format: 'iife', globalName: 'Switchboard', platform: 'browser', minify: true,
  outfile: path.join(outdir, 'switchboard.min.js') });

const sizes = {};
for (const name of ['switchboard.esm.js', 'switchboard.min.js']) {
  const bytes = fs.readFileSync(path.join(outdir, name));
  sizes[name] = { bytes: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
}
if (args.includes('--json')) console.log(JSON.stringify({ outdir, sizes }));
else for (const [name, s] of Object.entries(sizes)) console.log(`${name}: ${s.bytes} bytes, ${s.gzip} gzipped`);
