/**
 * TPE's default split and weighting rules (Optuna 3.1's) and the checks on user-supplied ones.
 *
 * gamma(n)   how many of the n finished trials form the "good" group l(x): min(ceil(0.1 n), 25);
 * weights(n) the mixture weight of each of n observations, oldest first: 1 each up to 25 observations,
 *            beyond that the oldest n − 25 ramp up linearly from 1/n to 1 and the newest 25 weigh 1,
 *            so the density follows the recent history.
 */
import { InvalidArgumentError } from '../../errors.js';
import { describe } from '../../validate.js';

export type GammaFunction = (nTrials: number) => number;
export type WeightsFunction = (nObservations: number) => ArrayLike<number>;

export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

export function defaultWeights(n: number): Float64Array {
  const w = new Float64Array(n).fill(1);
  const m = n - 25;
  if (m <= 0) return w;
  // linspace(1/n, 1, m): m points, both ends included (a single point is the start).
  for (let i = 0; i < m; i++) w[i] = m === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (m - 1);
  return w;
}

/** gamma(n) checked and clamped to n (the good group cannot outnumber the trials). */
export function callGamma(gamma: GammaFunction, n: number): number {
  const g: unknown = gamma(n);
  if (typeof g !== 'number' || !Number.isInteger(g) || g < 0) {
    throw new InvalidArgumentError(`Expected \`gamma(${n})\` to return an integer >= 0 but received ${describe(g)}`);
  }
  return Math.min(g, n);
}

/**
 * The first n values of weights(n), checked: finite, >= 0, not all 0. Copied into `out` (length >= n)
 * so the estimator owns its buffer.
 */
export function callWeights(weights: WeightsFunction, n: number, out: Float64Array): void {
  if (n === 0) return;
  const w: unknown = weights(n);
  const ok = (Array.isArray(w) || ArrayBuffer.isView(w)) && (w as ArrayLike<number>).length >= n;
  if (!ok) {
    throw new InvalidArgumentError(`Expected \`weights(${n})\` to return an array of at least ${n} numbers but received ${describe(w)}`);
  }
  const a = w as ArrayLike<number>;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InvalidArgumentError(`Expected \`weights(${n})\` to return finite numbers >= 0 but element ${i} is ${describe(v)}`);
    }
    out[i] = v;
    sum += v;
  }
  if (sum <= 0) throw new InvalidArgumentError(`Expected \`weights(${n})\` to return weights that are not all 0`);
}
