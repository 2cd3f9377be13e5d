/** Data for the GBDT tests: seeded synthetic problems. */
import type { Matrix } from '../../src/automl/types.js';
import { Rng } from '../../src/util/rng.js';

/** Seeded uniform numbers in [0, 1) (the project's generator). */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.random();
}

/** X (n, d) uniform in [0, 1). */
export function uniform(n: number, d: number, seed: number): Matrix {
  const r = rng(seed);
  return { data: Float64Array.from({ length: n * d }, r), n, d };
}

/** Rows `idx` of X. */
export function rows(X: Matrix, idx: readonly number[]): Matrix {
  const data = new Float64Array(idx.length * X.d);
  idx.forEach((r, i) => data.set(X.data.subarray(r * X.d, (r + 1) * X.d), i * X.d));
  return { data, n: idx.length, d: X.d };
}

export function accuracy(labels: ArrayLike<number>, y: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < y.length; i++) if (labels[i] === y[i]) k++;
  return k / y.length;
}
