#!/usr/bin/env node
/**
 * Bundles the dashboard's page (src/dashboard/web/) with esbuild into dist/dashboard/web/, one flat
 * folder: index.html, app.js (the entry, an ES module), app.css, the chunks esbuild splits off
 * (`surrogate.js`: the surrogate explorer with gpu.js, imported by the page once it is ready;
 * `chunk-<hash>.js`: code app.js and surrogate.js share, which index.html preloads), their source
 * maps and the third-party licence notices (*.LEGAL.txt). ECharts and gpu.js (its `browser` build) are
 * bundled in: the page loads nothing from another origin. Prints the sizes and writes them to
 * dist/dashboard/web/bundle-size.json: every file, the entry, each chunk, what the page loads before it
 * is interactive (`initial`: the entry, its static imports, the stylesheet) and the total.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'dashboard', 'web');
const out = join(root, 'dist', 'dashboard', 'web');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const started = Date.now();
const result = await build({
  absWorkingDir: root,
  // surrogate.js: the page imports it with import() once ready (study.ts); an entry of its own so its
  // name is stable. What it shares with app.js goes to a chunk both import.
  entryPoints: { app: join(src, 'main.ts'), surrogate: join(src, 'surrogate.ts') },
  outdir: out,
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  platform: 'browser',
  // ES modules with splitting: a dynamic import() becomes its own chunk, loaded when it runs.
  format: 'esm',
  splitting: true,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  metafile: true,
  target: ['chrome100', 'firefox100', 'safari15'],
  tsconfig: join(root, 'tsconfig.web.json'),
  logLevel: 'warning',
});

// The outputs by file name (flat: the assets route serves one folder), and which are loaded how.
const outputs = new Map(Object.entries(result.metafile.outputs).map(([path, o]) => [basename(path), o]));
const entry = 'app.js';
/** The entry's static imports, transitively: fetched before it runs (a shared chunk). */
const staticImports = [];
const seen = new Set([entry]);
for (let queue = [entry]; queue.length > 0;) {
  for (const imp of outputs.get(queue.shift())?.imports ?? []) {
    const f = basename(imp.path);
    if (imp.kind !== 'import-statement' || seen.has(f)) continue;
    seen.add(f);
    staticImports.push(f);
    queue.push(f);
  }
}
// index.html names the entry; the chunks it imports are preloaded alongside it rather than found
// only once the entry is parsed.
const preload = staticImports.map((f) => `<link rel="modulepreload" href="/assets/${f}">`).join('\n');
const html = readFileSync(join(src, 'index.html'), 'utf8');
const tag = '<script type="module" src="/assets/app.js"></script>';
if (!html.includes(tag)) throw new Error(`src/dashboard/web/index.html must load the entry with ${tag}`);
writeFileSync(join(out, 'index.html'), preload === '' ? html : html.replace(tag, `${preload}\n${tag}`));

// Nothing may be fetched from elsewhere: the page and its stylesheet name no remote address.
for (const f of ['index.html', 'app.css']) {
  const text = readFileSync(join(out, f), 'utf8');
  const remote = /(?:src|href)\s*=\s*["']?(?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\//i.exec(text);
  if (remote) throw new Error(`dist/dashboard/web/${f} refers to a remote address: ${remote[0]}`);
}

const sizes = {};
let total = 0;
let totalGzip = 0;
for (const f of readdirSync(out).sort()) {
  if (f === 'bundle-size.json') continue;
  const buf = readFileSync(join(out, f));
  const entry = { bytes: statSync(join(out, f)).size, gzip: gzipSync(buf, { level: 9 }).length };
  sizes[f] = entry;
  // What a browser downloads: not the source maps or the licence notices.
  if (!f.endsWith('.map') && !f.endsWith('.txt')) {
    total += entry.bytes;
    totalGzip += entry.gzip;
  }
}
const sum = (files) => files.reduce((a, f) => ({ bytes: a.bytes + sizes[f].bytes, gzip: a.gzip + sizes[f].gzip }), { bytes: 0, gzip: 0 });
const chunks = Object.fromEntries(
  [...outputs.keys()].filter((f) => f.endsWith('.js') && f !== entry).sort().map((f) => [f, { ...sizes[f], loaded: staticImports.includes(f) ? 'with the entry' : 'on demand (import())' }]),
);
const initialFiles = ['index.html', entry, ...staticImports, ...(sizes['app.css'] ? ['app.css'] : [])];
const record = {
  files: sizes,
  entry: { file: entry, ...sizes[entry] },
  chunks,
  // Before the page is interactive: index.html, the entry, the chunks it imports and the stylesheet.
  initial: { files: initialFiles, ...sum(initialFiles) },
  page: { bytes: total, gzip: totalGzip },
  builtMs: Date.now() - started,
};
writeFileSync(join(out, 'bundle-size.json'), JSON.stringify(record, null, 2) + '\n');
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
for (const [f, s] of Object.entries(sizes)) console.log(`dist/dashboard/web/${f}  ${kib(s.bytes)}  (gzip ${kib(s.gzip)})`);
console.log(`dashboard page: ${kib(total)} (gzip ${kib(totalGzip)}) in all; before interactive ${kib(record.initial.bytes)} (gzip ${kib(record.initial.gzip)}); built in ${record.builtMs} ms`);
