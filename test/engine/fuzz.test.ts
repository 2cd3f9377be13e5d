/**
 * Property-based harness of the engine's public calls (fast-check, fixed seed). Random shapes (n 1..300,
 * d 1..8), degenerate data (duplicates, clusters 1e-9 wide, constant y, y from 1e-300 to 1e300 in scale),
 * extreme warm starts and fixed hyperparameters, and defects mixed in (NaN, ±Infinity, null, undefined,
 * strings, booleans, points outside the unit cube) go through fitGP, predict (also far outside the cube),
 * acquisition, maximizeAcquisition, thompsonProposals, addObservation and logMarginalLikelihoodsAt, on one
 * thread and on two (the OpenMP regions).
 *
 * The property: every call either throws a TunableError with a `code`, or returns finite numbers — never
 * a crash, never NaN. Input with no defect must fit (unless its hyperparameters are fixed: extreme fixed
 * ones may be refused, or end in a NumericalError).
 *
 * Runs: TUNABLE_FUZZ_RUNS (default 1000, a few seconds on 2 cores; `npm run fuzz` sets more), seed
 * TUNABLE_FUZZ_SEED (an integer, or `random`; the seed in use is in the test's name), as in test/fuzz;
 * TUNABLE_FUZZ_VERBOSE=1 prints how many cases fitted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { TunableError } from '../../src/errors.js';
import { engine, type GP, type Hyperparameters } from '../../src/engine/index.js';
import { lcg } from './helpers.js';
import { fuzzSettings } from '../helpers.js';

const { runs: RUNS, seed: SEED } = fuzzSettings(1000, 20251207);
const hasCpu = engine.backends().includes('cpu');

/** Entries that are not a finite number in [0, 1] (X) or not a finite number (y). */
const DEFECTS: unknown[] = [NaN, Infinity, -Infinity, null, undefined, '0.7', '', true, false, {}, [0.5], -0.1, 1.5, 1e300, -1e-300];
const EXTREMES = [1e-300, 1e-12, 1e-6, 1, 1e6, 1e12, 1e300];

interface Case {
  n: number;
  d: number;
  seed: number;
  layout: 'uniform' | 'duplicates' | 'cluster' | 'corners';
  yKind: 'smooth' | 'constant' | 'noise' | 'steps';
  yScale: number;
  yShift: number;
  defectsX: Array<[number, number, number]>; // (row, column, index into DEFECTS)
  defectsY: Array<[number, number]>; // (row, index into DEFECTS)
  kernel: 'matern52' | 'rbf';
  warm: { ls: number; outputscale: number; noise: number; mean: number } | null;
  fixed: boolean;
  restarts: number;
  threads: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  n: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 30 }) }, { weight: 2, arbitrary: fc.integer({ min: 31, max: 120 }) }, { weight: 1, arbitrary: fc.integer({ min: 121, max: 300 }) }),
  d: fc.integer({ min: 1, max: 8 }),
  seed: fc.nat(),
  layout: fc.constantFrom('uniform', 'duplicates', 'cluster', 'corners'),
  yKind: fc.constantFrom('smooth', 'constant', 'noise', 'steps'),
  yScale: fc.constantFrom(1, 1e-300, 1e-150, 1e-8, 1e8, 1e150, 1e300),
  yShift: fc.constantFrom(0, 1, -1e6, 1e100),
  defectsX: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat({ max: DEFECTS.length - 1 })), { minLength: 1, maxLength: 3 }) }),
  defectsY: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 9 })), { minLength: 1, maxLength: 2 }) }),
  kernel: fc.constantFrom('matern52', 'rbf'),
  warm: fc.option(
    fc.record({ ls: fc.constantFrom(...EXTREMES), outputscale: fc.constantFrom(...EXTREMES), noise: fc.constantFrom(...EXTREMES), mean: fc.constantFrom(0, -1e300, 1e300, 3) }),
    { freq: 2 },
  ),
  fixed: fc.boolean(),
  restarts: fc.integer({ min: 0, max: 3 }),
  threads: fc.constantFrom(1, 2),
});

/** The data of a case: X (n, d) as rows with the defects written in, y (n). `clean`: no defect at all. */
function data(c: Case): { X: unknown[][]; y: unknown[]; clean: boolean } {
  const r = lcg(c.seed + 1);
  const base = Array.from({ length: c.d }, () => r());
  const X: unknown[][] = [];
  for (let i = 0; i < c.n; i++) {
    let row: number[];
    if (c.layout === 'uniform') row = Array.from({ length: c.d }, () => r());
    else if (c.layout === 'duplicates') row = i % 3 === 0 || i === 0 ? Array.from({ length: c.d }, () => r()) : [...(X[i - 1] as number[])];
    else if (c.layout === 'cluster') row = base.map((b) => Math.min(1, b + 1e-9 * r()));
    else row = Array.from({ length: c.d }, () => (r() < 0.5 ? 0 : 1));
    X.push(row);
  }
  const f = (x: number[], i: number): number => {
    if (c.yKind === 'constant') return 1;
    if (c.yKind === 'noise') return r() - 0.5;
    if (c.yKind === 'steps') return i % 2;
    return Math.sin(5 * x[0]!) + (x[1] ?? 0) ** 2;
  };
  const y: unknown[] = X.map((x, i) => c.yShift + c.yScale * f(x as number[], i));
  let clean = y.every((v) => Math.abs(v as number) <= 1e150);
  for (const [i, j, k] of c.defectsX) {
    X[i % c.n]![j % c.d] = DEFECTS[k];
    clean = false;
  }
  for (const [i, k] of c.defectsY) {
    y[i % c.n] = DEFECTS[k];
    clean = false;
  }
  return { X, y, clean };
}

function warmStart(c: Case): Hyperparameters | undefined {
  if (!c.warm) return undefined;
  return { lengthscales: Array.from({ length: c.d }, (_, j) => (j % 2 ? 1 / c.warm!.ls : c.warm!.ls)), outputscale: c.warm.outputscale, noise: c.warm.noise, mean: c.warm.mean };
}

/** Every number finite (arrays included). */
function allFinite(...vs: Array<number | ArrayLike<number> | undefined>): boolean {
  for (const v of vs) {
    if (v === undefined) continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
    } else {
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return false;
    }
  }
  return true;
}

/**
 * Runs one call: a TunableError with a code is an accepted outcome (returns undefined); anything else
 * thrown fails the property, with the call named.
 */
async function call<T>(what: string, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof TunableError && /^ERR_[A-Z_]+$/.test(e.code)) return undefined;
    throw new Error(`${what} threw something that is not a TunableError with a code: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

function expectFinite(what: string, ok: boolean, shown?: unknown): void {
  if (!ok) {
    const detail = shown === undefined ? '' : `: ${JSON.stringify(shown, (_k, v: unknown) => (v instanceof Float64Array ? Array.from(v, String) : typeof v === 'number' ? String(v) : v))}`;
    throw new Error(`${what} returned a non-finite number${detail}`);
  }
}

async function exercise(gp: GP, c: Case): Promise<void> {
  const r = lcg(c.seed + 2);
  const d = c.d;
  const inside = Array.from({ length: 5 }, () => Array.from({ length: d }, () => r()));
  const far = [Array.from({ length: d }, (_, j) => (j % 2 ? -1e300 : 1e300)), Array.from({ length: d }, () => 1e150), Array.from({ length: d }, () => -3)];
  const points = [...inside, ...far];

  const p = await call('predict', () => gp.predict(points, { gradient: true }));
  if (p) {
    expectFinite('predict', allFinite(p.mean, p.variance, p.meanGradient, p.varianceGradient), { points, p });
    expect(Math.min(...p.variance)).toBeGreaterThanOrEqual(0);
  }
  const cov = await call('predict (covariance)', () => gp.predict(inside, { covariance: true }));
  if (cov) expectFinite('predict (covariance)', allFinite(cov.mean, cov.variance, cov.covariance));

  for (const acquisition of ['logei', 'ei', 'pi', 'ucb'] as const) {
    const a = await call(`acquisition ${acquisition}`, () => gp.acquisition(points, { acquisition, gradient: true, pending: [inside[0]!] }));
    if (a) expectFinite(`acquisition ${acquisition}`, allFinite(a.value, a.gradient), { points, a });
  }
  const m = await call('maximizeAcquisition', () => gp.maximizeAcquisition({ rawSamples: 64, restarts: 2, maxIterations: 20, seed: c.seed, pending: inside.slice(0, 2) }));
  if (m) {
    expectFinite('maximizeAcquisition', allFinite(m.x, m.value), m);
    for (const v of m.x) expect(v >= 0 && v <= 1).toBe(true);
  }

  const t = await call('thompsonProposals', () => gp.thompsonProposals({ q: 2, candidates: 64, seed: c.seed, pending: [inside[0]!] }));
  if (t) expectFinite('thompsonProposals', allFinite(t.x, t.values, t.jitter), t);

  // addObservation: a good point, a duplicate of the data, and a defective one.
  const obs: Array<[unknown, unknown]> = [
    [inside[1], 0.5],
    [points[0], c.yScale],
    [inside[2]!.map((v, j) => (j === 0 ? DEFECTS[c.seed % DEFECTS.length] : v)), 1],
    [inside[3], DEFECTS[(c.seed >> 3) % DEFECTS.length]],
  ];
  for (const [x, y] of obs) {
    const added = await call('addObservation', () => gp.addObservation(x as number[], y as number).then(() => true));
    if (added) expectFinite('addObservation (log marginal likelihood)', allFinite(gp.logMarginalLikelihood));
  }
  const after = await call('predict after addObservation', () => gp.predict(inside));
  if (after) expectFinite('predict after addObservation', allFinite(after.mean, after.variance));

  if (gp.n <= 150) {
    const h = gp.hyperparameters;
    const settings: Hyperparameters[] = [h, { ...h, lengthscales: h.lengthscales.map(() => 1e-3) }, { ...h, outputscale: h.outputscale * 1e6, noise: h.noise * 1e-6 }];
    const l = await call('logMarginalLikelihoodsAt', () => gp.logMarginalLikelihoodsAt(settings, { prior: true }));
    if (l) for (const v of l) expectFinite('logMarginalLikelihoodsAt', allFinite(v.value, v.gradient));
  }
}

describe.skipIf(!hasCpu)('engine fuzz: a typed error or a finite answer', () => {
  it(`${RUNS} random cases (seed ${SEED})`, async () => {
    const seen = { cases: 0, fitted: 0, n: 0 };
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const { X, y, clean } = data(c);
        const warm = warmStart(c);
        const opts = {
          X: X as number[][], y: y as number[], kernel: c.kernel, backend: 'cpu' as const, threads: c.threads, seed: c.seed, restarts: c.restarts,
          ...(warm ? { warmStart: warm, fixed: c.fixed } : {}),
        };
        seen.cases++;
        const gp = await call('fitGP', () => engine.fitGP(opts));
        if (clean && !(warm && c.fixed) && !gp) throw new Error('fitGP refused input with no defect');
        if (!gp) return;
        seen.fitted++;
        seen.n = Math.max(seen.n, gp.n);
        try {
          expectFinite('fitGP', allFinite(gp.logMarginalLikelihood, gp.logPosterior, gp.hyperparameters.lengthscales, gp.hyperparameters.outputscale, gp.hyperparameters.noise, gp.hyperparameters.mean));
          await exercise(gp, c);
        } finally {
          gp.dispose();
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The harness reached the model calls in most cases, and larger n too.
    if (process.env['TUNABLE_FUZZ_VERBOSE']) console.log(seen);
    expect(seen.fitted).toBeGreaterThanOrEqual(seen.cases / 3);
  }, 600_000);

  it('the defects named in the harness are refused with the position and the value', async () => {
    const X = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]];
    for (const [v, shown] of [[null, 'null'], [true, 'true'], ['0.7', '"0.7"'], [undefined, 'undefined']] as const) {
      const bad = X.map((r) => [...r]) as unknown[][];
      bad[3]![1] = v;
      await expect(engine.fitGP({ X: bad as number[][], y: [1, 2, 3, 4] })).rejects.toThrow(`Expected a finite number for \`X[3][1]\` but received ${shown}`);
      await expect(engine.fitGP({ X, y: [1, 2, 3, v as number] })).rejects.toThrow(`Expected a finite number for \`y[3]\` but received ${shown}`);
    }
  });

  it('predict far outside the unit cube gives the prior (finite), not NaN', async () => {
    const X = [[0.1], [0.4], [0.9]];
    for (const kernel of ['matern52', 'rbf'] as const) {
      const gp = await engine.fitGP({ X, y: [1, 2, 0], kernel, backend: 'cpu' });
      const p = await gp.predict([[1e300], [-1e300]], { gradient: true });
      expect(Array.from(p.mean)).toEqual([gp.hyperparameters.mean, gp.hyperparameters.mean]);
      expect(Array.from(p.variance)).toEqual([gp.hyperparameters.outputscale, gp.hyperparameters.outputscale]);
      expect(Array.from(p.meanGradient!)).toEqual([0, 0]);
      gp.dispose();
    }
  });
});
