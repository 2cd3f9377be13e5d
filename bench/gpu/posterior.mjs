#!/usr/bin/env node
/**
 * Where the time of a large CUDA posterior goes (d = 10): `gp.predict` of m points end to end, and the
 * JS argument check alone (`matrix()`). Run twice, the default blocked-dgemm solve against the
 * `debug.solve: 'cublas'` variant (cuBLAS dtrsm), to compare the two solves side by side. One row per (n, m).
 *   node bench/gpu/posterior.mjs
 *   node bench/gpu/posterior.mjs --debug '{"solve":"cublas"}'
 *   POSTERIOR_N=1000,5000 node bench/gpu/posterior.mjs --debug '{"solveBlock":256}'   another block size
 *   node bench/gpu/posterior.mjs --debug '{"profile":true}'   each call's host and device split (stderr)
 *   POSTERIOR_LABEL=baseline TUNABLE_NATIVE_ADDON=… node bench/gpu/posterior.mjs   another build, labelled
 *   BENCH_SELF_TEST=1 node bench/gpu/posterior.mjs   on the CPU, small (checks the script)
 */
import { engine } from '../../dist/engine/index.js';
import { matrix as checkMatrix } from '../../dist/engine/checks.js';
import { loadedAddonPath } from '../../dist/native/binding.js';
import path from 'node:path';
import { bestOf, debugOption, lcg, matrix } from './timing.mjs';

// A TUNABLE_NATIVE_ADDON that does not load would silently time the default build instead.
engine.backends();
if (process.env.TUNABLE_NATIVE_ADDON && loadedAddonPath() !== path.resolve(process.env.TUNABLE_NATIVE_ADDON)) {
  console.log(`posterior bench: TUNABLE_NATIVE_ADDON=${process.env.TUNABLE_NATIVE_ADDON} did not load (${loadedAddonPath()} instead)`);
  process.exit(3);
}
const st = engine.cudaStatus({ probeLibraries: true });
if (!st.available && process.env.BENCH_SELF_TEST !== '1') {
  console.log(`posterior bench: CUDA unavailable: ${st.reason}`);
  process.exit(2);
}
const backend = st.available ? 'cuda' : 'cpu';
const debug = debugOption();
const solve =
  (debug.solve === 'cublas' ? 'cuBLAS dtrsm' : `blocked dgemm, ${debug.solveBlock ?? 128}-row blocks`) +
  (process.env.POSTERIOR_LABEL ? ` (${process.env.POSTERIOR_LABEL})` : '');
const d = 10;
const rnd = lcg(12345);
const fill = (k) => matrix(k, 1, rnd);
const all = [[1000, 1_000_000], [5000, 100_000], [20000, 100_000]];
// POSTERIOR_N=1000,5000 keeps those rows only.
const only = process.env.POSTERIOR_N?.split(',').map(Number);
const sizes = process.env.BENCH_SELF_TEST === '1' ? [[200, 20_000]] : all.filter(([n]) => !only || only.includes(n));
console.log(`\n| solve | n | m | predict ms | JS check ms | GFLOP/s of the solve (n²m) |\n| --- | --- | --- | --- | --- | --- |`);
for (const [n, m] of sizes) {
  const X = fill(n * d);
  const y = Array.from({ length: n }, (_, i) => Math.sin(6 * X[i * d]) + 0.05 * rnd());
  const gp = await engine.fitGP({ X, d, y, backend, warmStart: { lengthscales: Array(d).fill(0.5), outputscale: 1, noise: 1e-3, mean: 0 }, fixed: true, debug });
  const P = fill(m * d);
  await gp.predict(P.subarray(0, 1000 * d)); // warm-up (inverted blocks, workspaces)
  const t = await bestOf(() => gp.predict(P), 3);
  const tc = await bestOf(() => checkMatrix('Xc', P, d, { unitCube: false, allowEmpty: true, copy: false }), 3);
  console.log(`| ${solve} | ${n} | ${m} | ${t.toFixed(1)} | ${tc.toFixed(1)} | ${((n * n * m) / (t * 1e6)).toFixed(0)} (whole call) |`);
  gp.dispose();
}
