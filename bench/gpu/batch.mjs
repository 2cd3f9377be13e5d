#!/usr/bin/env node
/**
 * Multi-start fitting at small n, where the device waits on the host: fitGP with 5 starts (d = 6) at
 * n ∈ {50, 100, 300, 1000}, best of 3, with the value and gradient of every L-BFGS-B step evaluated for all
 * starts at once. Run it three times, side by side, to compare how the starts' likelihoods are computed:
 *   node bench/gpu/batch.mjs                                        one batch per call, potrfBatched for n ≤ 256
 *   node bench/gpu/batch.mjs --debug '{"potrfBatchedMaxN":0}'       one batch per call, one potrf per start
 *   node bench/gpu/batch.mjs --debug '{"batchMaxN":0}'              each start in turn (the earlier path)
 *   BENCH_SELF_TEST=1 node bench/gpu/batch.mjs                  on the CPU, small (checks the script)
 * Prints one table row per n; the fits' MAP objectives are printed too, so the modes can be seen to agree.
 */
import { engine } from '../../dist/engine/index.js';
import { bestOf, debugOption, lcg, matrix } from './timing.mjs';

const st = engine.cudaStatus({ probeLibraries: true });
const selfTest = process.env.BENCH_SELF_TEST === '1';
if (!st.available && !selfTest) {
  console.log(`batch bench: CUDA unavailable: ${st.reason}`);
  process.exit(2);
}
const backend = st.available ? 'cuda' : 'cpu';
const debug = debugOption();
const mode = !st.available
  ? 'cpu backend (self-test)'
  : debug.batchMaxN === 0
    ? 'starts in turn'
    : debug.potrfBatchedMaxN === 0
      ? 'batched, potrf per start'
      : 'batched, potrfBatched (n ≤ 256)';
const d = 6;
const sizes = selfTest ? [50] : [50, 100, 300, 1000];
console.log(`\n| likelihood of 5 starts | n | fit ms (5 starts, best of 3) | MAP objective |\n| --- | --- | --- | --- |`);
for (const n of sizes) {
  const rnd = lcg(1000 + n);
  const X = matrix(n, d, rnd);
  const y = Array.from({ length: n }, (_, i) => Math.sin(5 * X[i * d]) + X[i * d + 1] ** 2 + 0.05 * rnd());
  let objective = NaN;
  const fit = async () => {
    const gp = await engine.fitGP({ X, d, y, backend, restarts: 4, seed: 0, debug });
    objective = gp.logPosterior;
    gp.dispose();
  };
  await fit(); // warm-up
  const t = await bestOf(fit, 3);
  console.log(`| ${mode} | ${n} | ${t.toFixed(1)} | ${objective.toFixed(6)} |`);
}
