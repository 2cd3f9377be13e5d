/** The numerical core of the CMA-ES sampler: eigen-solver, normal CDF/quantile, the update, the margin. */
import { describe, expect, it } from 'vitest';
import { intDistribution } from '../../src/distributions/index.js';
import { fromEigen, symmetricEigen } from '../../src/samplers/cmaes/linalg.js';
import { applyMargin, cellAround, defaultMargin, encodeCoord } from '../../src/samplers/cmaes/margin.js';
import { normCdf, normQuantile } from '../../src/samplers/cmaes/normal.js';
import { defaultPopsize, newRun, sampleFromRun, stopReason, strategy, tell, type CmaRun } from '../../src/samplers/cmaes/solver.js';
import { Rng } from '../../src/util/rng.js';

/** A random symmetric matrix Q·diag(λ)·Qᵀ with the given eigenvalues. */
function randomSymmetric(rng: Rng, eig: number[]): number[] {
  const n = eig.length;
  // Orthonormal Q by Gram–Schmidt on random columns.
  const q: number[][] = [];
  for (let k = 0; k < n; k++) {
    let v = Array.from({ length: n }, () => rng.normal());
    for (const u of q) {
      const d = u.reduce((s, ui, i) => s + ui * v[i]!, 0);
      v = v.map((vi, i) => vi - d * u[i]!);
    }
    const nv = Math.hypot(...v);
    q.push(v.map((vi) => vi / nv));
  }
  const b = new Array<number>(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) b[i * n + k] = q[k]![i]!;
  return fromEigen(b, eig, n);
}

describe('symmetricEigen (Jacobi)', () => {
  it('reconstructs the matrix with orthonormal eigenvectors, also when ill-conditioned', () => {
    const rng = new Rng(1);
    for (const eig of [[3], [1, 2], [5, 1, 0.5, 2], [1e-8, 1, 1e4, 3, 7, 1e-2], Array.from({ length: 12 }, (_, i) => 10 ** (i - 6))]) {
      const n = eig.length;
      const a = randomSymmetric(rng, eig);
      const { values, vectors } = symmetricEigen(a, n);
      const back = fromEigen(vectors, values, n);
      const scale = Math.max(...eig);
      for (let i = 0; i < n * n; i++) expect(Math.abs(back[i]! - a[i]!)).toBeLessThan(1e-12 * scale);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < n; k++) dot += vectors[k * n + i]! * vectors[k * n + j]!;
          expect(dot).toBeCloseTo(i === j ? 1 : 0, 12);
        }
      }
      const sorted = [...values].sort((x, y) => x - y);
      const want = [...eig].sort((x, y) => x - y);
      sorted.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-9 * scale + 1e-12 * want[i]!));
    }
  });

  it('handles a diagonal matrix and a zero matrix', () => {
    expect(symmetricEigen([2, 0, 0, 5], 2)).toEqual({ values: [2, 5], vectors: [1, 0, 0, 1] });
    expect(symmetricEigen([0, 0, 0, 0], 2).values).toEqual([0, 0]);
  });
});

describe('normal CDF and quantile', () => {
  it('match reference values', () => {
    expect(normCdf(0)).toBeCloseTo(0.5, 7);
    expect(normCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normCdf(-3)).toBeCloseTo(0.0013498980316301, 8);
    expect(normCdf(-8) / 6.22096057427178e-16).toBeCloseTo(1, 5);
    expect(normQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normQuantile(0.5)).toBe(0);
    expect(normQuantile(1e-6)).toBeCloseTo(-4.753424308822899, 7);
    expect(normQuantile(1 - 1e-3)).toBeCloseTo(3.090232306167813, 7);
    expect(normQuantile(0)).toBe(-Infinity);
    expect(normQuantile(1)).toBe(Infinity);
    for (const p of [1e-9, 0.01, 0.2, 0.7, 0.99]) expect(normCdf(normQuantile(p)) / p).toBeCloseTo(1, 5);
  });
});

describe('CMA-ES update', () => {
  it('has the textbook strategy parameters', () => {
    expect(defaultPopsize(4)).toBe(8);
    expect(defaultPopsize(1)).toBe(4);
    const s = strategy(4, 8);
    expect(s.mu).toBe(4);
    expect(s.weights.slice(0, 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(s.weights.slice(4).every((w) => w < 0)).toBe(true);
    expect(s.muEff).toBeCloseTo(2.6001, 3);
    expect(s.c1 + s.cMu).toBeLessThan(1);
  });

  /** Plain ask/tell loop on an unbounded function. */
  function minimise(f: (x: number[]) => number, run: CmaRun, gens: number, seed: number): CmaRun {
    const rng = new Rng(seed);
    for (let g = 0; g < gens; g++) {
      const sols = Array.from({ length: run.popsize }, () => {
        const x = sampleFromRun(run, Array.from({ length: run.n }, () => rng.normal()));
        return { x, f: f(x) };
      });
      run = tell(run, sols);
    }
    return run;
  }

  it('converges linearly on a sphere and learns an ill-conditioned ellipsoid', () => {
    const sphere = (x: number[]): number => x.reduce((s, v) => s + (v - 1) ** 2, 0);
    const a = minimise(sphere, newRun([5, -3, 2, 0], 2, 8), 250, 1);
    expect(sphere([...a.mean])).toBeLessThan(1e-16);
    const ellipsoid = (x: number[]): number => x.reduce((s, v, i) => s + 10 ** (6 * i / 4) * v * v, 0);
    const b = minimise(ellipsoid, newRun([1, 1, 1, 1, 1], 1, 8), 500, 2);
    expect(ellipsoid([...b.mean])).toBeLessThan(1e-10);
    // C has adapted to the 1e6 conditioning (D ratio ~ 1e3).
    expect(Math.max(...b.D) / Math.min(...b.D)).toBeGreaterThan(100);
  });

  it('works in one dimension', () => {
    const r = minimise((x) => (x[0]! - 3) ** 2, newRun([0], 1, 4), 150, 3);
    expect(r.mean[0]).toBeCloseTo(3, 6);
  });

  it('stops on flat fitness, on a collapsed σ and on exploding conditioning', () => {
    const run = newRun([0.5, 0.5], 0.1, 6);
    expect(stopReason(run)).toBeNull();
    const flat = minimise(() => 1, run, strategy(2, 6).funHistLength + 1, 4);
    expect(stopReason(flat)).toBe('tolFun');
    expect(stopReason({ ...run, sigma: 1e-16 })).toBe('tolX');
    expect(stopReason({ ...run, D: [1e-8, 1] })).toBe('conditionCov');
    expect(stopReason({ ...run, sigma: 1e5 })).toBe('tolXUp');
  });
});

describe('CMA-ES with margin', () => {
  const bin = intDistribution(0, 1);
  const five = intDistribution(1, 5);

  it('finds the cell around a unit-cube value', () => {
    expect(cellAround(bin, 0.2)).toEqual({ lo: null, up: 0.5 });
    expect(cellAround(bin, -3)).toEqual({ lo: null, up: 0.5 });
    expect(cellAround(five, 0.5)).toEqual({ lo: 0.4, up: 0.6 });
    expect(cellAround(five, 0.95)).toEqual({ lo: 0.8, up: null });
  });

  /** P(encoded value != value of the mean's cell), on the low and high side. */
  function sideProbabilities(run: CmaRun, i: number, dist: typeof five): { low: number; high: number } {
    const { lo, up } = cellAround(dist, run.mean[i]!);
    let cii = 0;
    for (let k = 0; k < run.n; k++) cii += run.B[i * run.n + k]! ** 2 * run.D[k]! ** 2;
    const s = run.sigma * run.A[i]! * Math.sqrt(cii);
    return {
      low: lo === null ? 0 : normCdf((lo - run.mean[i]!) / s),
      high: up === null ? 0 : 1 - normCdf((up - run.mean[i]!) / s),
    };
  }

  it('keeps at least α/2 on each side of an interior cell and α across an end cell', () => {
    const alpha = defaultMargin(3, 6);
    // σ so small that, without margin, every sample would round to the mean's value.
    const base = newRun([0.5, 0.1, 0.3], 1e-4, 6);
    const run = applyMargin(base, [{ index: 0, dist: five }, { index: 1, dist: bin }], alpha);
    const p0 = sideProbabilities(run, 0, five);
    expect(p0.low).toBeGreaterThanOrEqual((alpha / 2) * (1 - 1e-6));
    expect(p0.high).toBeGreaterThanOrEqual((alpha / 2) * (1 - 1e-6));
    expect(run.A[0]).toBeGreaterThan(100);
    const p1 = sideProbabilities(run, 1, bin);
    expect(p1.high).toBeCloseTo(alpha, 6);
    expect(run.A[1]).toBe(1);
    expect(run.mean[1]).toBeLessThan(0.5);
    // Continuous coordinate 2 untouched; σ and C untouched.
    expect(run.mean[2]).toBe(0.3);
    expect(run.sigma).toBe(base.sigma);
    expect(run.D).toEqual(base.D);
    // A wide distribution needs no correction.
    const wide = newRun([0.5, 0.2, 0.3], 0.3, 6);
    expect(applyMargin(wide, [{ index: 0, dist: five }, { index: 1, dist: bin }], alpha)).toEqual(wide);
  });

  it('encodes through m + A(x - m)', () => {
    const run = { ...newRun([0.5, 0.5], 0.1, 6), A: [3, 1] };
    expect(encodeCoord(run, 0, 0.6)).toBeCloseTo(0.8, 12);
    expect(encodeCoord(run, 1, 0.6)).toBeCloseTo(0.6, 12);
  });
});
