/** Ill-conditioned data never throws; invalid input is rejected in TypeScript with typed errors. */
import { describe, expect, it } from 'vitest';

import { BackendUnavailableError, InvalidArgumentError, InvalidStateError, UnknownOptionError } from '../../src/errors.js';
import { engine } from '../../src/engine/index.js';
import { backendRows, randomData } from './helpers.js';

describe.each(backendRows())('ill-conditioned data (%s)', (backend) => {
  const skip = backend === 'none';
  const be = backend as 'cpu';

  async function finiteFit(X: number[][], y: number[], extra = {}) {
    const gp = await engine.fitGP({ X, y, backend: be, ...extra });
    const p = await gp.predict([[0.5, 0.5], X[0]!]);
    for (const v of [...p.mean, ...p.variance]) expect(Number.isFinite(v)).toBe(true);
    expect(Number.isFinite(gp.logMarginalLikelihood)).toBe(true);
    const m = await gp.maximizeAcquisition({ rawSamples: 64, restarts: 3 });
    expect(m.x.length).toBe(2);
    return gp;
  }

  it.skipIf(skip)('one observation', async () => {
    (await finiteFit([[0.3, 0.4]], [2.5])).dispose();
  });
  it.skipIf(skip)('constant outputs', async () => {
    const { X } = randomData(12, 2, 1);
    (await finiteFit(X, X.map(() => 3))).dispose();
  });
  it.skipIf(skip)('exact duplicate points with different y', async () => {
    const X = [[0.2, 0.2], [0.2, 0.2], [0.2, 0.2], [0.7, 0.1], [0.7, 0.1]];
    (await finiteFit(X, [1, 2, 1.5, 0, 0.1])).dispose();
  });
  it.skipIf(skip)('duplicates at fixed tiny noise: jitter or fallback, reported as a warning', async () => {
    const X = [[0.2, 0.2], [0.2, 0.2], [0.5, 0.5], [0.5, 0.5 + 1e-12]];
    const gp = await finiteFit(X, [1, 1, 2, 2], {
      warmStart: { lengthscales: [5, 5], outputscale: 1e3, noise: 1e-14, mean: 0 }, fixed: true,
    });
    expect(gp.warnings.length).toBeGreaterThan(0);
    expect(gp.warnings.join(' ')).toMatch(/jitter|fell back/);
    gp.dispose();
  });
  it.skipIf(skip)('huge and tiny output scales', async () => {
    const { X, y } = randomData(20, 2, 5);
    (await finiteFit(X, y.map((v) => v * 1e8))).dispose();
    (await finiteFit(X, y.map((v) => v * 1e-8 + 5))).dispose();
  });
  it.skipIf(skip)('addObservation: O(n²) update equals a refit at the same hyperparameters', async () => {
    const { X, y } = randomData(40, 3, 4);
    const gp = await engine.fitGP({ X: X.slice(0, 39), y: y.slice(0, 39), backend: be });
    await gp.addObservation(X[39]!, y[39]!);
    expect(gp.n).toBe(40);
    const ref = await engine.fitGP({ X, y, backend: be, warmStart: gp.hyperparameters, fixed: true });
    expect(gp.logMarginalLikelihood).toBeCloseTo(ref.logMarginalLikelihood, 8);
    const pts = randomData(10, 3, 99).X;
    const a = await gp.predict(pts);
    const b = await ref.predict(pts);
    for (let i = 0; i < 10; i++) {
      expect(a.mean[i]).toBeCloseTo(b.mean[i]!, 9);
      expect(a.variance[i]).toBeCloseTo(b.variance[i]!, 9);
    }
    // A duplicate of an observed point still works (falls back to a refactorisation if needed).
    await gp.addObservation(X[0]!, y[0]!);
    expect(Number.isFinite(gp.logMarginalLikelihood)).toBe(true);
    gp.dispose();
    ref.dispose();
  });
  it.skipIf(skip)('addObservation of a duplicate at tiny noise refactorises on the new data', async () => {
    const { X, y } = randomData(30, 2, 6);
    const h = { lengthscales: [0.3, 0.4], outputscale: 1, noise: 1e-13, mean: 0 };
    const gp = await engine.fitGP({ X, y, backend: be, warmStart: h, fixed: true });
    await gp.logMarginalLikelihoodAt(h); // leaves a factor of the old data in the backend's scratch
    await gp.addObservation(X[3]!, y[3]!);
    expect(gp.warnings.join(' ')).toMatch(/refactorised/);
    const ref = await engine.fitGP({ X: [...X, X[3]!], y: [...y, y[3]!], backend: be, warmStart: h, fixed: true });
    expect(gp.logMarginalLikelihood).toBeCloseTo(ref.logMarginalLikelihood, 6);
    gp.dispose();
    ref.dispose();
  });
});

describe('invalid input is rejected before the addon', () => {
  const X = [[0.1, 0.2], [0.3, 0.4]];
  const y = [1, 2];
  const cases: Array<[string, () => Promise<unknown>, new (...a: never[]) => Error, RegExp]> = [
    ['NaN in y', () => engine.fitGP({ X, y: [1, NaN] }), InvalidArgumentError, /finite number for `y\[1\]` but received NaN/],
    ['X outside the unit cube', () => engine.fitGP({ X: [[0.1, 1.5], [0.3, 0.4]], y }), InvalidArgumentError, /\[0, 1\]/],
    ['ragged X', () => engine.fitGP({ X: [[0.1, 0.2], [0.3]], y }), InvalidArgumentError, /X\[1\]/],
    ['y of the wrong length', () => engine.fitGP({ X, y: [1] }), InvalidArgumentError, /length 2/],
    ['empty X', () => engine.fitGP({ X: [], y: [] }), InvalidArgumentError, /non-empty/],
    ['flat X without d', () => engine.fitGP({ X: new Float64Array(4), y }), InvalidArgumentError, /`d`/],
    ['misspelled option', () => engine.fitGP({ X, y, restart: 3 } as never), UnknownOptionError, /did you mean `restarts`/],
    ['unknown kernel', () => engine.fitGP({ X, y, kernel: 'matern32' as never }), InvalidArgumentError, /kernel/],
    ['negative restarts', () => engine.fitGP({ X, y, restarts: -1 }), InvalidArgumentError, /restarts/],
    ['bad warm start', () => engine.fitGP({ X, y, warmStart: { lengthscales: [1], outputscale: 1, noise: 1, mean: 0 } }), InvalidArgumentError, /lengthscales/],
    ['fixed without warm start', () => engine.fitGP({ X, y, fixed: true }), InvalidArgumentError, /warmStart/],
    ['categorical value off the grid', () => engine.fitGP({ X, y, categorical: [{ dim: 0, choices: 3 }] }), InvalidArgumentError, /categorical/],
  ];
  it.each(cases)('%s', async (_name, fn, type, msg) => {
    const err = await fn().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(msg);
  });

  it('the cuda backend is unavailable here', async () => {
    if (engine.backends().includes('cuda')) return;
    await expect(engine.fitGP({ X, y, backend: 'cuda' })).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it.skipIf(engine.backends().length === 0)('model calls validate too, and a disposed model refuses', async () => {
    const gp = await engine.fitGP({ X, y });
    await expect(gp.predict([[0.1, 0.2, 0.3]])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(gp.maximizeAcquisition({ acquisition: 'qei' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(gp.maximizeAcquisition({ rawsamples: 3 } as never)).rejects.toBeInstanceOf(UnknownOptionError);
    await expect(gp.maximizeAcquisition({ integer: [{ dim: 5, levels: 3 }] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(gp.addObservation([0.1, 2], 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(gp.addObservation([0.1, 0.2], Infinity)).rejects.toBeInstanceOf(InvalidArgumentError);
    gp.dispose();
    await expect(gp.predict([[0.1, 0.2]])).rejects.toBeInstanceOf(InvalidStateError);
  });
});

// Large arguments take other paths: the addon's parallel scan (≥ 2^16 entries) behind the same
// errors, no copy of a Float64Array in TypeScript, and input copies recycled across calls in the addon.
describe.skipIf(engine.backends().length === 0)('large point sets (native scan, recycled input buffers)', () => {
  const d = 4;
  const m = 300_000; // 1.2M entries: above the scan's and the recycling pool's thresholds
  const rows = (k: number, seed: number): Float64Array => {
    const a = new Float64Array(k * d);
    let s = seed;
    for (let i = 0; i < a.length; i++) a[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
    return a;
  };

  it('a bad entry anywhere is named by row and column, in every slice of the scan', async () => {
    const { X, y } = randomData(20, d, 3);
    const gp = await engine.fitGP({ X, y });
    const P = rows(m, 1);
    for (const [k, v, msg] of [
      [0, NaN, /`Xc\[0\]\[0\]` but received NaN/],
      [m * d - 1, Infinity, /`Xc\[299999\]\[3\]` but received Infinity/],
      [777_777, -Infinity, /`Xc\[194444\]\[1\]` but received -Infinity/],
    ] as Array<[number, number, RegExp]>) {
      const old = P[k]!;
      P[k] = v;
      const err = await gp.predict(P).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(msg);
      P[k] = old;
    }
    // The first bad entry is the one named when there are several.
    P[400_001] = NaN;
    P[900_000] = NaN;
    await expect(gp.predict(P)).rejects.toThrow(/`Xc\[100000\]\[1\]`/);
    // Acquisition points go through the same check; the unit cube is not required of them.
    P[400_001] = 0.5;
    P[900_000] = 7;
    await expect(gp.acquisition(P)).resolves.toBeDefined();
    gp.dispose();
  });

  it('fitGP checks a large X against the unit cube with the native scan', async () => {
    const X = rows(70_000, 2); // 280k entries
    X[123_456] = 1.25;
    const y = new Float64Array(70_000);
    await expect(engine.fitGP({ X, d, y: Array.from(y) })).rejects.toThrow(/`X\[30864\]\[0\]` but received 1.25/);
  });

  it('recycled input buffers never leak one call\'s points into another (sequential and concurrent)', async () => {
    const { X, y } = randomData(30, d, 5);
    const gp = await engine.fitGP({ X, y });
    const A = rows(m, 11);
    const B = rows(m, 12);
    const C = rows(m / 2, 13); // a smaller request may reuse a larger buffer
    const ref = async (P: Float64Array) => {
      // The same points in small calls (plain allocations, not pooled), as the reference.
      const mean = new Float64Array(P.length / d);
      for (let i = 0; i < mean.length; i += 10_000) {
        const part = await gp.predict(P.subarray(i * d, Math.min(mean.length, i + 10_000) * d));
        mean.set(part.mean, i);
      }
      return mean;
    };
    const [ra, rb, rc] = [await ref(A), await ref(B), await ref(C)];
    for (let round = 0; round < 2; round++) {
      expect((await gp.predict(A)).mean).toEqual(ra);
      expect((await gp.predict(B)).mean).toEqual(rb);
      expect((await gp.predict(C)).mean).toEqual(rc);
    }
    const [pa, pb, pc] = await Promise.all([gp.predict(A), gp.predict(B), gp.predict(C)]);
    expect(pa.mean).toEqual(ra);
    expect(pb.mean).toEqual(rb);
    expect(pc.mean).toEqual(rc);
    // The points are copied when the call is made: changing them before it resolves changes nothing.
    const D = A.slice();
    const pending = gp.predict(D);
    D.fill(0.5);
    expect((await pending).mean).toEqual(ra);
    gp.dispose();
  });
});
