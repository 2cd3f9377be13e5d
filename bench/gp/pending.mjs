#!/usr/bin/env node
/**
 * Pending points (kriging-believer fantasies) at n = 1000, d = 6: `maximizeAcquisition` (1024 raw samples,
 * 10 starts) and `acquisition` of 64 points with q ∈ {0, 8, 64} pending points; best of 3 each.
 *   node bench/gp/pending.mjs [root]          root: a checkout with dist/ and the addon (default: this one)
 *   BACKEND=cuda node bench/gp/pending.mjs    on the CUDA backend (default cpu)
 * Two builds side by side: `for i in 1 2; do node bench/gp/pending.mjs old; node bench/gp/pending.mjs; done`.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bestOf, lcg, matrix } from '../gpu/timing.mjs';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..'));
const { engine } = await import(pathToFileURL(path.join(root, 'dist', 'engine', 'index.js')).href);
const backend = process.env.BACKEND ?? 'cpu';
const d = 6;
const n = 1000;
const rnd = lcg(3);
const X = matrix(n, d, rnd);
const y = Array.from({ length: n }, (_, i) => Math.sin(5 * X[i * d]) + X[i * d + 1] ** 2);
const gp = await engine.fitGP({
  X, d, y, backend, fixed: true,
  warmStart: { lengthscales: Array(d).fill(0.5), outputscale: 1, noise: 1e-3, mean: 0 },
});
const points = matrix(64, d, lcg(5));
const cells = [];
for (const q of [0, 8, 64]) {
  const pending = q > 0 ? matrix(q, d, rnd) : undefined;
  const opt = pending ? { pending } : {};
  const tm = await bestOf(() => gp.maximizeAcquisition({ rawSamples: 1024, restarts: 10, seed: 1, ...opt }), 3);
  const ta = await bestOf(() => gp.acquisition(points, opt), 3);
  cells.push(`q=${q}: maximize ${tm.toFixed(1)} ms, acquisition of 64 points ${ta.toFixed(1)} ms`);
}
gp.dispose();
console.log(`${root} (${backend}): ${cells.join('; ')}`);
