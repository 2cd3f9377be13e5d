/**
 * CUDA-vs-CPU comparisons of every engine routine on fresh random inputs (dependency-free ES module:
 * used by test/gpu/check.mjs with dist/engine and by test/gpu/cuda.test.ts with src/engine).
 *
 * Both backends get the same data and the same fixed hyperparameters (`fixed: true`), so every number
 * must agree to rounding: relative error |a − b| / max(|b|, floor) ≤ 1e-8 in float64, where floor
 * guards values that are zero in exact arithmetic (variances at training points: 1e-6 · outputscale;
 * gradient components: 1e-3 · the vector's max-norm). Fitting and maximisation involve optimisers
 * whose paths amplify rounding, so those compare objectives (≤ 1e-6 relative) rather than iterates.
 */

/** Deterministic uniform numbers in [0, 1) from a 32-bit seed. */
export function lcg(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function data(n, d, rnd, cat) {
  const X = [];
  const y = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: d }, () => rnd());
    if (cat !== undefined) x[cat] = Math.floor(x[cat] * 3) / 2; // choices 0, 0.5, 1
    X.push(x);
    y.push(Math.sin(3 * x[0]) + x.reduce((a, v, j) => a + (j % 2 ? v * v : Math.cos(2 * v)), 0) + 0.05 * (rnd() - 0.5));
  }
  return { X, y };
}

function points(m, d, rnd, cat) {
  return data(m, d, rnd, cat).X;
}

/** Max relative error of a against b with the given absolute floor. */
export function relErr(a, b, floor = 0) {
  if (typeof a === 'number') return Math.abs(a - b) / Math.max(Math.abs(b), floor, 1e-300);
  if (a.length !== b.length) return Infinity;
  let e = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor, 1e-300);
    if (!(v <= e)) e = Number.isNaN(v) ? Infinity : v;
  }
  return e;
}

function maxAbs(a) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * An engine whose `cuda` is the CPU backend, to exercise the comparison harness without a GPU (the
 * device-memory cap check then fails by design: it is reported as such).
 */
export function cpuAsCuda(engine) {
  return {
    ...engine,
    fitGP: (o) => {
      if (o.backend !== 'cuda') return engine.fitGP(o);
      const { deviceMemoryLimit, ...rest } = o;
      if (deviceMemoryLimit !== undefined) return Promise.reject(new Error('self-test: no device-memory cap on the CPU'));
      return engine.fitGP({ ...rest, backend: 'cpu' });
    },
  };
}

/** An engine whose CUDA models get fitGP's `debug` option (a variant of the backend, e.g. another solve block). */
export function withDebug(engine, debug) {
  return { ...engine, fitGP: (o) => engine.fitGP(o.backend === 'cuda' ? { ...o, debug: { ...o.debug, ...debug } } : o) };
}

/** Test cases: shapes that reach the tiled kernels' edges (n not a multiple of 32, d > 32). */
export const CASES = [
  { name: 'matern52 n=50 d=3', n: 50, d: 3, kernel: 'matern52' },
  { name: 'rbf n=333 d=5', n: 333, d: 5, kernel: 'rbf' },
  { name: 'matern52 n=1500 d=10 categorical', n: 1500, d: 10, kernel: 'matern52', cat: 4 },
  { name: 'matern52 n=257 d=40', n: 257, d: 40, kernel: 'matern52' },
];

/**
 * Runs every comparison; `report(name, ok, detail)` is called per check. Returns { passed, failed }.
 * engine: the `engine` object of src/engine or dist/engine; errors: { NativeError, BackendUnavailableError }.
 */
export async function runComparisons(engine, errors, report, opts = {}) {
  const seed = opts.seed ?? (Date.now() >>> 0);
  const tol = 1e-8;
  let passed = 0;
  let failed = 0;
  const check = (name, err, limit, extra = '') => {
    const ok = err <= limit;
    ok ? passed++ : failed++;
    report(name, ok, `rel err ${err.toExponential(2)} (limit ${limit})${extra ? '; ' + extra : ''}`);
  };
  const flag = (name, ok, detail) => {
    ok ? passed++ : failed++;
    report(name, ok, detail);
  };
  report('seed', true, String(seed));
  const rnd = lcg(seed);

  for (const c of opts.cases ?? CASES) {
    const { X, y } = data(c.n, c.d, rnd, c.cat);
    const h = {
      lengthscales: Array.from({ length: c.d }, () => 0.2 + 0.8 * rnd()),
      outputscale: 0.5 + rnd(),
      noise: 1e-3 * (1 + rnd()),
      mean: 0.5 * (rnd() - 0.5),
    };
    const common = { X, y, kernel: c.kernel, warmStart: h, fixed: true, ...(c.cat !== undefined ? { categorical: [c.cat] } : {}) };
    const cpu = await engine.fitGP({ ...common, backend: 'cpu' });
    const gpu = await engine.fitGP({ ...common, backend: 'cuda' });
    const tag = (s) => `${c.name}: ${s}`;
    check(tag('lml at fixed θ'), relErr(gpu.logMarginalLikelihood, cpu.logMarginalLikelihood), tol);

    // Likelihood and gradient at random θ (plain and with the prior).
    for (let k = 0; k < 3; k++) {
      const hk = {
        lengthscales: Array.from({ length: c.d }, () => 0.1 + rnd()),
        outputscale: 0.3 + 2 * rnd(),
        noise: 1e-4 + 0.05 * rnd(),
        mean: rnd() - 0.5,
      };
      for (const prior of [false, true]) {
        const a = await gpu.logMarginalLikelihoodAt(hk, { prior });
        const b = await cpu.logMarginalLikelihoodAt(hk, { prior });
        check(tag(`likelihood #${k} prior=${prior}: value`), relErr(a.value, b.value), tol);
        check(tag(`likelihood #${k} prior=${prior}: gradient`), relErr(a.gradient, b.gradient, 1e-3 * maxAbs(b.gradient)), tol);
      }
    }

    // Many settings at once (the batched likelihood of a fit: potrfBatched for n ≤ 256, else a potrf
    // per setting, both with one wait per batch), against the CPU's.
    if (gpu.logMarginalLikelihoodsAt) {
      const hs = Array.from({ length: 6 }, () => ({
        lengthscales: Array.from({ length: c.d }, () => 0.1 + rnd()),
        outputscale: 0.3 + 2 * rnd(),
        noise: 1e-4 + 0.05 * rnd(),
        mean: rnd() - 0.5,
      }));
      const a = await gpu.logMarginalLikelihoodsAt(hs, { prior: true });
      const b = await cpu.logMarginalLikelihoodsAt(hs, { prior: true });
      check(tag('6 settings at once: values'), relErr(a.map((r) => r.value), b.map((r) => r.value)), tol);
      const ga = a.flatMap((r) => [...r.gradient]);
      const gb = b.flatMap((r) => [...r.gradient]);
      check(tag('6 settings at once: gradients'), relErr(ga, gb, 1e-3 * maxAbs(gb)), tol);
    }

    // Posterior mean, variance, covariance and their gradients at fresh points plus training points.
    const Xc = [...points(150, c.d, rnd, c.cat), ...X.slice(0, 10)];
    const pa = await gpu.predict(Xc, { gradient: true, covariance: true });
    const pb = await cpu.predict(Xc, { gradient: true, covariance: true });
    const sf = h.outputscale;
    check(tag('posterior mean'), relErr(pa.mean, pb.mean, 1e-6 * Math.sqrt(sf)), tol);
    check(tag('posterior variance'), relErr(pa.variance, pb.variance, 1e-6 * sf), tol);
    check(tag('posterior covariance'), relErr(pa.covariance, pb.covariance, 1e-6 * sf), tol);
    check(tag('∂mean/∂x'), relErr(pa.meanGradient, pb.meanGradient, 1e-3 * maxAbs(pb.meanGradient)), tol);
    check(tag('∂variance/∂x'), relErr(pa.varianceGradient, pb.varianceGradient, 1e-3 * maxAbs(pb.varianceGradient)), tol);

    // Acquisition values and gradients, every acquisition, without and with pending points (fantasies).
    const pending = points(3, c.d, rnd, c.cat);
    for (const acquisition of ['logei', 'ei', 'pi', 'ucb']) {
      for (const withPending of [false, true]) {
        const o = { acquisition, gradient: true, ...(withPending ? { pending } : {}) };
        const a = await gpu.acquisition(Xc, o);
        const b = await cpu.acquisition(Xc, o);
        const scale = acquisition === 'logei' ? 1 : maxAbs(b.value);
        const label = `${acquisition}${withPending ? ' + 3 pending' : ''}`;
        check(tag(`${label}: values`), relErr(a.value, b.value, 1e-6 * scale), tol);
        check(tag(`${label}: gradients`), relErr(a.gradient, b.gradient, 1e-3 * maxAbs(b.gradient)), tol);
      }
    }

    // Maximisation: same seed and settings → same objective value (iterates may differ by rounding).
    const mo = { rawSamples: 2048, restarts: 8, seed: 3 };
    const ma = await gpu.maximizeAcquisition(mo);
    const mb = await cpu.maximizeAcquisition(mo);
    check(tag('maximize (2048 raw, 8 starts): best value'), relErr(ma.value, mb.value, 1e-3), 1e-6,
      `x distance ${Math.sqrt(ma.x.reduce((s, v, j) => s + (v - mb.x[j]) ** 2, 0)).toExponential(2)}`);

    // float32 screening (documented accuracy: |Δmean| ≲ 1e-5 √outputscale, |Δvar| ≲ 1e-5 outputscale).
    const fa = await gpu.predict(Xc, { float32: true });
    let dm = 0;
    let dv = 0;
    for (let i = 0; i < Xc.length; i++) {
      dm = Math.max(dm, Math.abs(fa.mean[i] - pb.mean[i]) / Math.sqrt(sf));
      dv = Math.max(dv, Math.abs(fa.variance[i] - pb.variance[i]) / sf);
    }
    flag(tag('float32 posterior vs float64'), dm <= 1e-4 && dv <= 1e-4, `max |Δmean|/√sf ${dm.toExponential(1)}, max |Δvar|/sf ${dv.toExponential(1)} (limit 1e-4)`);
    const mf = await gpu.maximizeAcquisition({ ...mo, float32: true });
    check(tag('maximize with float32 raw scoring: best value vs float64'), relErr(mf.value, mb.value, 1e-3), 1e-6);

    // O(n²) observation updates.
    for (let k = 0; k < 4; k++) {
      const x = points(1, c.d, rnd, c.cat)[0];
      const yv = rnd();
      await gpu.addObservation(x, yv);
      await cpu.addObservation(x, yv);
    }
    check(tag('addObservation ×4: lml'), relErr(gpu.logMarginalLikelihood, cpu.logMarginalLikelihood), tol);
    const qa = await gpu.predict(Xc, { gradient: true });
    const qb = await cpu.predict(Xc, { gradient: true });
    check(tag('addObservation ×4: posterior mean'), relErr(qa.mean, qb.mean, 1e-6 * Math.sqrt(sf)), tol);
    check(tag('addObservation ×4: posterior variance'), relErr(qa.variance, qb.variance, 1e-6 * sf), tol);
    check(tag('addObservation ×4: ∂variance/∂x'), relErr(qa.varianceGradient, qb.varianceGradient, 1e-3 * maxAbs(qb.varianceGradient)), tol);
    cpu.dispose();
    gpu.dispose();

    // Fitting (batched likelihood calls, subsets, polish): MAP objectives agree.
    if (c.n <= 1500) {
      const fc = await engine.fitGP({ X, y, kernel: c.kernel, backend: 'cpu', restarts: 4, seed: 1, ...(c.cat !== undefined ? { categorical: [c.cat] } : {}) });
      const fg = await engine.fitGP({ X, y, kernel: c.kernel, backend: 'cuda', restarts: 4, seed: 1, ...(c.cat !== undefined ? { categorical: [c.cat] } : {}) });
      check(tag('fit (5 starts): MAP objective'), relErr(fg.logPosterior, fc.logPosterior, 1), 1e-6,
        `cpu ${fc.fitInfo.milliseconds.toFixed(0)} ms, cuda ${fg.fitInfo.milliseconds.toFixed(0)} ms`);
      fc.dispose();
      fg.dispose();
    }
  }

  // GPU defaults: 131072 raw samples and 64 starts; at least as good as the CPU default.
  {
    const { X, y } = data(1000, 6, rnd);
    const h = { lengthscales: Array(6).fill(0.4), outputscale: 1, noise: 1e-3, mean: 0 };
    const g = await engine.fitGP({ X, y, warmStart: h, fixed: true, backend: 'cuda' });
    const c = await engine.fitGP({ X, y, warmStart: h, fixed: true, backend: 'cpu' });
    const t0 = performance.now();
    const a = await g.maximizeAcquisition({ seed: 1 });
    const ms = performance.now() - t0;
    const b = await c.maximizeAcquisition({ seed: 1 });
    flag('maximize with the GPU defaults (n=1000, d=6)', Number.isFinite(a.value) && a.value >= b.value - 1e-6 * Math.abs(b.value),
      `cuda ${a.value.toFixed(6)} in ${ms.toFixed(0)} ms (131072 raw, 64 starts) vs cpu default ${b.value.toFixed(6)}`);
    g.dispose();
    c.dispose();
  }

  // Typed errors: the device-memory cap, and a call after dispose().
  {
    const { X, y } = data(400, 3, rnd);
    const e = await engine.fitGP({ X, y, backend: 'cuda', deviceMemoryLimit: 100_000 }).catch((err) => err);
    flag('deviceMemoryLimit too small → OutOfMemoryError (device, bytes)', e instanceof errors.OutOfMemoryError && e.code === 'ERR_OUT_OF_MEMORY' && e.bytes > 0, String(e?.message ?? e).slice(0, 160));
    // backend 'auto' leaves such a GP to the CPU, with a warning (src/engine/index.ts).
    const a = await engine.fitGP({ X, y, backend: 'auto', deviceMemoryLimit: 100_000 }).catch((err) => err);
    const w = a?.warnings?.[0] ?? String(a?.message ?? a);
    flag("deviceMemoryLimit too small, backend 'auto' → fitted on the CPU with a warning", a?.backend === 'cpu' && /had no room for this GP/.test(w), w.slice(0, 160));
    a?.dispose?.();
  }
  // Thompson sampling: same candidates and normals → the same joint samples up to the Cholesky's
  // rounding (the candidates' covariance is ill-conditioned, hence 1e-6), so the same proposals.
  {
    const { X, y } = data(800, 5, rnd);
    const h = { lengthscales: Array(5).fill(0.5), outputscale: 1, noise: 1e-3, mean: 0 };
    const g = await engine.fitGP({ X, y, warmStart: h, fixed: true, backend: 'cuda' });
    const c = await engine.fitGP({ X, y, warmStart: h, fixed: true, backend: 'cpu' });
    for (const pending of [undefined, points(2, 5, rnd)]) {
      const o = { q: 8, candidates: 1024, seed: 9, ...(pending ? { pending } : {}) };
      const a = await g.thompsonProposals(o);
      const b = await c.thompsonProposals(o);
      let same = 0;
      for (let k = 0; k < 8; k++) if (a.x.slice(k * 5, k * 5 + 5).every((v, j) => v === b.x[k * 5 + j])) same++;
      check(`thompson q=8 over 1024 candidates${pending ? ' + 2 pending' : ''}: sample maxima`, relErr(a.values, b.values, 1e-3), 1e-6,
        `${same}/8 identical proposals; jitter cuda ${a.jitter.toExponential(1)} cpu ${b.jitter.toExponential(1)}`);
    }
    const t0 = performance.now();
    const big = await g.thompsonProposals({ q: 64, seed: 1 });
    flag('thompson q=64 over the CUDA default (8192 candidates)', big.x.length === 64 * 5 && big.values.every(Number.isFinite),
      `${(performance.now() - t0).toFixed(0)} ms`);
    g.dispose();
    c.dispose();
  }
  return { passed, failed };
}
