#!/usr/bin/env node
/**
 * The host's fixed costs around large engine calls, without a GPU: a CPU-backend model at n = 1 (d = 10),
 * so the computation is small and the argument copy, result arrays and hops between threads show.
 * `predict` of 1M points, `predict` with gradients of 200k, `acquisition` of 1M; best of 5–7 calls each.
 *   node bench/gpu/host-overhead.mjs [root]        root: a checkout with dist/ and the addon (default: this one)
 *   node bench/gpu/host-overhead.mjs [root] --profile   also the addon's per-call host split (stderr; `debug.profile`)
 * To compare two builds side by side, alternate: `for i in 1 2 3 4; do node … old; node … new; done`.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bestOf, lcg, matrix } from './timing.mjs';

const args = process.argv.slice(2);
const profile = args.includes('--profile');
const rootArg = args.find((a) => a !== '--profile');
const root = path.resolve(rootArg ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..'));
const { engine } = await import(pathToFileURL(path.join(root, 'dist', 'engine', 'index.js')).href);
const d = 10;
const rnd = lcg(1);
const gp = await engine.fitGP({
  X: matrix(1, d, rnd), d, y: [0.3], backend: 'cpu', fixed: true,
  warmStart: { lengthscales: Array(d).fill(0.5), outputscale: 1, noise: 1e-3, mean: 0 },
  // Only when asked: a root built before the `debug` option would refuse it.
  ...(profile ? { debug: { profile: true } } : {}),
});
const P = matrix(1_000_000, d, rnd);
await gp.predict(P.subarray(0, 1000 * d)); // warm-up
const t = await bestOf(() => gp.predict(P), 7);
const tg = await bestOf(() => gp.predict(P.subarray(0, 200_000 * d), { gradient: true }), 5);
const ta = await bestOf(() => gp.acquisition(P, { best: 0.5 }), 5);
gp.dispose();
console.log(`${root}: predict 1M ${t.toFixed(1)} ms; 200k + gradients ${tg.toFixed(1)} ms; acquisition 1M ${ta.toFixed(1)} ms`);
