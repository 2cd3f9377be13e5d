/**
 * The pending points' fantasy values (`fantasy`, native/README.md "Pending points"): 'mean' (kriging
 * believer), 'min' and 'max' (constant liar at the smallest / largest observed y).
 * - The posterior variance after a fantasy does not depend on its value, so UCB differences between
 *   fantasies are differences of the posterior mean: the liar moves the mean in a neighbourhood of the
 *   pending point, the believer leaves it where it was.
 * - Under 'min' LogEI drops around a pending point by more than under the believer, and a greedy batch
 *   spreads further.
 * - With no pending points the option changes nothing, bit for bit.
 * - A bad value is refused in TypeScript and, raw, at the seam, naming the option.
 */
import { describe, expect, it } from 'vitest';

import { engine, ENGINE_DEFAULTS, type FantasyName, type GP } from '../../src/engine/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { loadAddon, type NativeAcqOptions } from '../../src/native/binding.js';
import { backendRows, randomData } from './helpers.js';

const FANTASIES: FantasyName[] = ['mean', 'min', 'max'];

/** Points on a circle of radius r around p (2-D), clipped to the unit square. */
function ring(p: ArrayLike<number>, r: number, k = 12): number[][] {
  return Array.from({ length: k }, (_, i) => {
    const a = (2 * Math.PI * i) / k;
    return [Math.min(1, Math.max(0, p[0]! + r * Math.cos(a))), Math.min(1, Math.max(0, p[1]! + r * Math.sin(a)))];
  });
}

const spread = (P: readonly number[][]): number => {
  const d: number[] = [];
  for (let i = 0; i < P.length; i++) for (let j = 0; j < i; j++) d.push(Math.hypot(P[i]![0]! - P[j]![0]!, P[i]![1]! - P[j]![1]!));
  d.sort((a, b) => a - b);
  return (d[(d.length - 1) >> 1]! + d[d.length >> 1]!) / 2;
};

/** q proposals, each maximised with the earlier ones pending (what q workers asking in turn get). */
async function greedyBatch(gp: GP, fantasy: FantasyName, q: number): Promise<number[][]> {
  const P: number[][] = [];
  for (let i = 0; i < q; i++) {
    const r = await gp.maximizeAcquisition({ seed: 3, rawSamples: 256, restarts: 4, fantasy, ...(P.length > 0 ? { pending: P } : {}) });
    P.push(Array.from(r.x));
  }
  return P;
}

/** A smooth bump with an interior maximum near (0.6, 0.35), and a ripple: fits with lengthscales ≈ 0.4. */
const bump = (x: number[]): number => Math.exp(-((x[0]! - 0.6) ** 2 + (x[1]! - 0.35) ** 2) / 0.08) + 0.3 * Math.sin(5 * x[0]! + 2 * x[1]!);

describe.each(backendRows())('pending fantasies (%s)', (backend) => {
  const skip = backend === 'none';
  /** A GP on 20 points of the bump, and its LogEI maximiser p (a pending point: what the next worker sees). */
  const setup = async (seed = 8) => {
    const { X, y } = randomData(20, 2, seed, bump);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu', restarts: 1 });
    const p = Array.from((await gp.maximizeAcquisition({ seed: 1 })).x);
    return { gp, y, p, ls: Math.min(...gp.hyperparameters.lengthscales) };
  };

  it.skipIf(skip)("the default is 'mean' (ENGINE_DEFAULTS)", () => {
    expect(ENGINE_DEFAULTS.acquisition.fantasy).toBe('mean');
  });

  it.skipIf(skip)('the believer leaves the posterior mean as it was; a liar shifts it by (lie − μ(p)) times one field', async () => {
    for (const seed of [8, 3]) {
      const { gp, y, p, ls } = await setup(seed);
      const pending = [p];
      const mu = (await gp.predict([p])).mean[0]!;
      const lo = Math.min(...y), hi = Math.max(...y);
      expect(lo).toBeLessThan(mu);
      // UCB = μ + √β σ, and σ after a fantasy does not depend on its value: UCB differences are mean differences.
      const ucb = async (X: number[][], fantasy?: FantasyName) =>
        (await gp.acquisition(X, { acquisition: 'ucb', ...(fantasy ? { pending, fantasy } : {}) })).value;
      for (const r of [0.1 * ls, 0.25 * ls, ls]) {
        const X = ring(p, r);
        const none = await ucb(X);
        const [believer, low, high] = [await ucb(X, 'mean'), await ucb(X, 'min'), await ucb(X, 'max')];
        for (let i = 0; i < X.length; i++) {
          const at = `seed ${seed}, r ${r.toFixed(3)}, point ${i}`;
          // The believer only shrinks σ.
          expect(believer[i]!, at).toBeLessThanOrEqual(none[i]! + 1e-12);
          // Both liars move the mean by the same field c(x) times (lie − μ(p)).
          const shiftLow = low[i]! - believer[i]!, shiftHigh = high[i]! - believer[i]!;
          expect(shiftLow * (hi - mu), at).toBeCloseTo(shiftHigh * (lo - mu), 9);
          // Close to p the field is positive (the posterior covariance with p): the pessimistic liar lowers
          // the mean there. (Further out it can change sign where the data leave a negative covariance.)
          if (r <= 0.1 * ls) expect(shiftLow, at).toBeLessThan(0);
        }
      }
      // The shift fades with distance from p.
      const shift = async (X: number[][]) => {
        const [b, l] = [await ucb(X, 'mean'), await ucb(X, 'min')];
        return Math.max(...Array.from(b, (v, i) => v - l[i]!));
      };
      expect(await shift(ring(p, 2 * ls))).toBeLessThan(0.5 * (await shift(ring(p, 0.1 * ls))));
      gp.dispose();
    }
  });

  it.skipIf(skip)("LogEI: under 'min' a pending point lowers the acquisition in its neighbourhood more than the believer does", async () => {
    for (const seed of [8, 3, 5]) {
      const { gp, p, ls } = await setup(seed);
      const pending = [p];
      // Measured (seeds 8, 3, 5): within 0.1 lengthscale the believer lowers LogEI by 1.6–5 nats, the
      // liar by 230–1500. Further out (≳ 0.25 ℓ) the believer's raised incumbent (μ(p) > max y) weighs more.
      for (const r of [0.02 * ls, 0.05 * ls, 0.1 * ls]) {
        const X = ring(p, r);
        const none = (await gp.acquisition(X)).value;
        const believer = (await gp.acquisition(X, { pending, fantasy: 'mean' })).value;
        const liar = (await gp.acquisition(X, { pending, fantasy: 'min' })).value;
        let dropBeliever = 0, dropLiar = 0;
        for (let i = 0; i < X.length; i++) {
          expect(liar[i]!, `seed ${seed}, r ${r.toFixed(3)}, point ${i}`).toBeLessThan(believer[i]!);
          dropBeliever += none[i]! - believer[i]!;
          dropLiar += none[i]! - liar[i]!;
        }
        expect(dropBeliever).toBeGreaterThan(0);
        expect(dropLiar, `seed ${seed}, r ${r.toFixed(3)}`).toBeGreaterThan(10 * dropBeliever);
      }
      gp.dispose();
    }
  });

  it.skipIf(skip)('with a liar the gradient is the central difference of the value', async () => {
    const { gp, p, ls } = await setup();
    const pending = [p, [0.2, 0.8]];
    const pts = ring(p, 0.3 * ls, 6);
    for (const fantasy of ['min', 'max'] as const) {
      for (const acquisition of ['logei', 'ucb'] as const) {
        const a = await gp.acquisition(pts, { acquisition, gradient: true, pending, fantasy });
        const h = 1e-6;
        for (let i = 0; i < pts.length; i++) {
          for (let j = 0; j < 2; j++) {
            const up = pts[i]!.slice(), dn = pts[i]!.slice();
            up[j]! += h;
            dn[j]! -= h;
            const v = (await gp.acquisition([up, dn], { acquisition, pending, fantasy })).value;
            const fd = (v[0]! - v[1]!) / (2 * h);
            expect(Math.abs(a.gradient![i * 2 + j]! - fd), `${fantasy} ${acquisition} point ${i} dim ${j}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
          }
        }
      }
    }
    gp.dispose();
  });

  it.skipIf(skip)("a greedy batch of 8 spreads further under 'min' than under the believer", async () => {
    const { gp } = await setup();
    const believer = spread(await greedyBatch(gp, 'mean', 8));
    const liar = spread(await greedyBatch(gp, 'min', 8));
    expect(liar).toBeGreaterThan(3 * believer);
    gp.dispose();
  });

  it.skipIf(skip)('without pending points every fantasy gives the same result, bit for bit', async () => {
    const { gp } = await setup(4);
    const X = Array.from({ length: 50 }, (_, i) => [((i * 37) % 50) / 50, ((i * 11) % 50) / 50]);
    const base = await gp.acquisition(X, { gradient: true });
    const baseMax = await gp.maximizeAcquisition({ seed: 2 });
    for (const fantasy of FANTASIES) {
      for (const pending of [undefined, [] as number[][], new Float64Array(0)]) {
        const o = { fantasy, ...(pending !== undefined ? { pending } : {}) };
        const a = await gp.acquisition(X, { ...o, gradient: true });
        expect(a.value, fantasy).toEqual(base.value);
        expect(a.gradient, fantasy).toEqual(base.gradient);
        const m = await gp.maximizeAcquisition({ ...o, seed: 2 });
        expect(Object.is(m.value, baseMax.value), fantasy).toBe(true);
        expect(m.x, fantasy).toEqual(baseMax.x);
      }
    }
    gp.dispose();
  });

  it.skipIf(skip)("'mean' is the kriging believer: the same as the default", async () => {
    const { gp } = await setup();
    const pending = [[0.3, 0.3], [0.6, 0.7]];
    const X = randomData(10, 2, 2).X;
    expect((await gp.acquisition(X, { pending, fantasy: 'mean' })).value).toEqual((await gp.acquisition(X, { pending })).value);
    gp.dispose();
  });

  it.skipIf(skip)('a bad value is refused, naming the option', async () => {
    const { gp } = await setup();
    for (const bad of ['median', 'MIN', '', 1, null, true]) {
      await expect(gp.acquisition([[0.5, 0.5]], { fantasy: bad as FantasyName })).rejects.toThrow(InvalidArgumentError);
      await expect(gp.acquisition([[0.5, 0.5]], { fantasy: bad as FantasyName })).rejects.toThrow(/`fantasy`/);
      await expect(gp.maximizeAcquisition({ fantasy: bad as FantasyName })).rejects.toThrow(/`fantasy`/);
    }
    gp.dispose();
  });
});

describe.skipIf(engine.backends().length === 0)('fantasy at the seam', () => {
  it('crosses as a string enum: a missing field or an unknown string is ERR_INVALID_ARGUMENT naming it', async () => {
    const addon = loadAddon();
    const { X, y } = randomData(12, 2, 3);
    const gp = new addon.GP({
      X: Float64Array.from(X.flat()), y: Float64Array.from(y), n: 12, d: 2, kernel: 'matern52', categorical: [null, null],
      threads: 1, backend: 'cpu', deviceMemoryLimit: 0, debug: { ...ENGINE_DEFAULTS.debug },
    });
    const none = new Float64Array(0);
    try {
      await gp.fit({ restarts: 0, seed: 0, warm: none, fixedMask: none, fixedAll: false, maxIterations: 0, keep: 0, noiseFloor: 1e-6 });
      const o: NativeAcqOptions = {
        acquisition: 'logei', best: NaN, beta: 2, pending: Float64Array.of(0.5, 0.5), fantasy: 'min', rawSamples: 16, restarts: 2, seed: 0,
        integer: [null, null], maxIterations: 20, float32: false,
      };
      await expect(gp.maximize(o)).resolves.toMatchObject({ value: expect.any(Number) });
      // The converter runs before the call is queued: its refusals are thrown, not rejected.
      const failure = async (call: () => Promise<unknown>): Promise<unknown> => {
        try {
          await call();
        } catch (e) {
          return e;
        }
        return null;
      };
      expect(await failure(() => gp.maximize({ ...o, fantasy: 'median' as 'min' }))).toMatchObject({
        code: 'ERR_INVALID_ARGUMENT', message: "native: unknown value 'median' for `fantasy` (expected one of 'mean', 'min', 'max')",
      });
      const { fantasy: _, ...missing } = o;
      expect(await failure(() => gp.acquisition(Float64Array.of(0.5, 0.5), missing as NativeAcqOptions, false))).toMatchObject({
        code: 'ERR_INVALID_ARGUMENT', message: 'native: missing field `fantasy`',
      });
    } finally {
      gp.dispose();
    }
  });
});
