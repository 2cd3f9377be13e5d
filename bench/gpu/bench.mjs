#!/usr/bin/env node
/**
 * CUDA vs CPU timings of the engine (no npm dependency: imports dist/engine; `npm run build:ts` first).
 * d = 10, n ∈ {1k, 5k, 20k}: fit (5 starts), one likelihood + gradient, posterior of many points,
 * acquisition maximisation with 131072 raw samples and 64 starts. The CPU runs with every core and
 * only where it finishes in reasonable time (n ≤ 5000; 1M-point posteriors extrapolated from 100k).
 * Stops starting new rows after BENCH_BUDGET_S seconds (default 150). Prints a markdown table.
 *   node bench/gpu/bench.mjs
 *   BENCH_SELF_TEST=1 node bench/gpu/bench.mjs   the CPU in the cuda column, small n (checks the script)
 */
import { availableParallelism } from 'node:os';

import { engine } from '../../dist/engine/index.js';
import { bestOf, lcg, matrix } from './timing.mjs';

const budget = Number(process.env.BENCH_BUDGET_S ?? 150) * 1000;
const start = performance.now();
const left = () => budget - (performance.now() - start);
const cores = availableParallelism();
const st = engine.cudaStatus({ probeLibraries: true });
console.log(`CUDA: ${st.available ? st.device : 'unavailable: ' + st.reason}; CPU threads: ${cores}`);
const selfTest = process.env.BENCH_SELF_TEST === '1';
if (!st.available && !selfTest) process.exit(2);
const GPU = selfTest ? 'cpu' : 'cuda';
const SIZES = selfTest ? [200, 400] : [1000, 5000, 20000];

const d = 10;
const rows = [];
function row(task, n, cuda, cpu, goal, note = '') {
  const f = (v) => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(0));
  const speed = cuda !== undefined && cpu !== undefined ? `${(cpu / cuda).toFixed(1)}×` : '—';
  const g = goal === undefined || cuda === undefined ? '' : cuda <= goal ? `≤ ${goal} ms ✓` : `≤ ${goal} ms ✗`;
  rows.push(`| ${task} | ${n} | ${f(cuda)} | ${f(cpu)} | ${speed} | ${g} | ${note} |`);
  console.log(rows[rows.length - 1]);
}

// Warm-up: CUDA context, cuBLAS/cuSOLVER handles and module loading are not part of the timings.
{
  const rnd = lcg(1);
  const gp = await engine.fitGP({ X: matrix(64, 3, rnd), d: 3, y: Array.from({ length: 64 }, rnd), backend: GPU, restarts: 1 });
  await gp.predict(matrix(100, 3, rnd), { gradient: true });
  gp.dispose();
}

console.log('\n| task | n | cuda ms | cpu ms | speedup | goal | note |\n| --- | --- | --- | --- | --- | --- | --- |');
for (const n of SIZES) {
  if (left() < 0) break;
  const rnd = lcg(n);
  const X = matrix(n, d, rnd);
  const y = Array.from({ length: n }, (_, i) => Math.sin(6 * X[i * d]) + X[i * d + 1] ** 2 + 0.05 * rnd());
  const h = { lengthscales: Array(d).fill(0.5), outputscale: 1, noise: 1e-3, mean: 0 };
  const cpuOk = n <= 5000;
  // Fit with 5 starts (warm start + 4 random).
  let tc, tg;
  tg = await bestOf(async () => (await engine.fitGP({ X, d, y, backend: GPU, restarts: 4 })).dispose());
  if (cpuOk && left() > 0) tc = await bestOf(async () => (await engine.fitGP({ X, d, y, backend: 'cpu', restarts: 4, threads: cores })).dispose());
  row('fit, 5 starts', n, tg, tc, n === 5000 ? 1000 : undefined);

  const gpu = await engine.fitGP({ X, d, y, backend: GPU, warmStart: h, fixed: true });
  const cpu = cpuOk ? await engine.fitGP({ X, d, y, backend: 'cpu', warmStart: h, fixed: true, threads: cores }) : null;
  tg = await bestOf(() => gpu.logMarginalLikelihoodAt(h), 3);
  tc = cpu && left() > 0 ? await bestOf(() => cpu.logMarginalLikelihoodAt(h)) : undefined;
  row('likelihood + gradient', n, tg, tc, undefined);

  const m = selfTest ? 20_000 : n === 1000 ? 1_000_000 : 100_000;
  const P = matrix(m, d, rnd);
  tg = await bestOf(() => gpu.predict(P), 2);
  let note = '';
  tc = undefined;
  if (cpu && left() > 0) {
    const mc = Math.min(m, 100_000);
    tc = (await bestOf(() => cpu.predict(P.subarray(0, mc * d)))) * (m / mc);
    if (m !== mc) note = 'cpu extrapolated from 100k points';
  }
  row(`posterior of ${m / 1000}k points`, n, tg, tc, n === 1000 ? 100 : undefined, note);

  if (n <= 5000 && left() > 0) {
    const mo = selfTest ? { rawSamples: 4096, restarts: 8, seed: 1 } : { rawSamples: 131072, restarts: 64, seed: 1 };
    tg = await bestOf(() => gpu.maximizeAcquisition(mo), 2);
    tc = cpu && (n === 1000 || selfTest) && left() > 0 ? await bestOf(() => cpu.maximizeAcquisition(mo)) : undefined;
    row('maximize LogEI, 131072 raw, 64 starts', n, tg, tc, n === 1000 ? 200 : undefined);
  }
  gpu.dispose();
  cpu?.dispose();
}
console.log(`\nbench: ${((performance.now() - start) / 1000).toFixed(1)} s`);
