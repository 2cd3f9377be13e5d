/**
 * CMA-ES with margin (Hamano, Saito, Nomura, Shirakawa, GECCO 2022, arXiv:2205.13482), internal.
 *
 * Why: CMA-ES on a rounded (integer or stepped) coordinate can shrink σ until every sample rounds to
 * the same value; the search is then stuck on that plateau forever. The margin keeps, for each
 * discrete coordinate, the probability of sampling a value *other* than the one the mean rounds to
 * at least α (α/2 on each side of an interior cell) by moving the mean towards the cell boundary and
 * by widening a per-coordinate scaling A of the encoding, leaving σ and C (the continuous model) alone.
 *
 * Coordinates live in the unit cube of the search space (see distributions `toUnit`): a discrete
 * value v owns the cell [toUnit(v - step/2), toUnit(v + step/2)], and a point is encoded by
 * `fromUnit(m + A·(x - m))`. Only the cell around the mean matters, so no table of values is built
 * (an int in [0, 10⁶] costs the same as a boolean).
 */
import { fromUnit, toUnit, type FloatDistribution, type IntDistribution } from '../../distributions/index.js';
import { normCdf, normQuantile } from './normal.js';
import type { CmaRun } from './solver.js';

/** A discrete coordinate of the CMA vector: its index and distribution (int, or float with step). */
export interface DiscreteDim {
  readonly index: number;
  readonly dist: IntDistribution | FloatDistribution;
}

/** Lower and upper boundary of the cell of `u` in the unit interval (null at the ends of the range). */
export function cellAround(dist: IntDistribution | FloatDistribution, u: number): { lo: number | null; up: number | null } {
  const v = fromUnit(dist, u);
  const step = dist.step ?? 0;
  return {
    lo: v > dist.low ? toUnit(dist, v - step / 2) : null,
    up: v < dist.high ? toUnit(dist, v + step / 2) : null,
  };
}

/** The unit-cube value a raw CMA coordinate is evaluated at: the cell of m + A(x - m). */
export function encodeCoord(run: CmaRun, i: number, x: number): number {
  return run.mean[i]! + run.A[i]! * (x - run.mean[i]!);
}

/** The default margin α = 1/(n·λ) of the paper. */
export function defaultMargin(n: number, popsize: number): number {
  return 1 / (n * popsize);
}

/**
 * The margin correction, applied after each CMA-ES update: returns `run` with the mean and A of the
 * discrete coordinates corrected so that every neighbouring cell keeps probability >= α/2 (>= α for
 * the single neighbour of an end cell).
 */
export function applyMargin(run: CmaRun, dims: readonly DiscreteDim[], alpha: number): CmaRun {
  if (dims.length === 0) return run;
  const n = run.n;
  const mean = [...run.mean];
  const A = [...run.A];
  const zAlpha = normQuantile(1 - alpha);
  for (const { index: i, dist } of dims) {
    let cii = 0;
    for (let k = 0; k < n; k++) cii += run.B[i * n + k]! ** 2 * run.D[k]! ** 2;
    const sd = run.sigma * Math.sqrt(cii);
    const scale = sd * A[i]!;
    const m = mean[i]!;
    const { lo, up } = cellAround(dist, m);
    if (lo === null || up === null) {
      // An end cell has one neighbour across boundary t: keep P(cross t) >= α by moving m to the
      // distance z(1-α)·scale from t on its own side.
      const t = (lo ?? up)!;
      const side = lo === null ? -1 : 1;
      const pCross = side < 0 ? 1 - normCdf((t - m) / scale) : normCdf((t - m) / scale);
      if (pCross < alpha) mean[i] = t + side * zAlpha * scale;
      continue;
    }
    const pLow = normCdf((lo - m) / scale);
    const pUp = 1 - normCdf((up - m) / scale);
    if (Math.min(pLow, pUp) >= alpha / 2) continue;
    // Raise the small side(s) to α/2 and take the excess from all three cells in proportion to what
    // they hold above α/2, so that the three probabilities still sum to 1.
    const half = alpha / 2;
    const p = [Math.max(pLow, half), Math.max(1 - pLow - pUp, half), Math.max(pUp, half)];
    const excess = p[0]! + p[1]! + p[2]! - 1;
    const room = p[0]! + p[1]! + p[2]! - 3 * half;
    const q = p.map((pk) => pk - (excess * (pk - half)) / room);
    const qLow = Math.min(Math.max(q[0]!, 1e-10), 0.5 - 1e-10);
    const qUp = Math.min(Math.max(q[2]!, 1e-10), 0.5 - 1e-10);
    // Solve for the normal N(m', s'²) with P(X <= lo) = qLow and P(X > up) = qUp, then express s' as A'·sd.
    const a = normQuantile(1 - qLow);
    const b = normQuantile(1 - qUp);
    const s2 = (up - lo) / (a + b);
    mean[i] = lo + a * s2;
    A[i] = s2 / sd;
  }
  return { ...run, mean, A };
}
