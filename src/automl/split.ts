/**
 * Seeded row splits. The test rows are set aside first (stratified for classification) and never
 * seen by model selection; the remaining "development" rows are cut into k folds (small data, where a
 * single holdout is too noisy to rank configurations) or one holdout (large data, where k fits cost
 * too much). Every index array holds table row positions (0..n-1), sorted ascending.
 */
import { InvalidArgumentError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { integer, invalid, options } from '../validate.js';
import type { Task } from './types.js';

export interface Fold {
  readonly train: Int32Array;
  readonly valid: Int32Array;
}

export interface SplitPlan {
  readonly kind: 'kfold' | 'holdout';
  /** Rows held out for the final, unbiased score. */
  readonly test: Int32Array;
  /** Every row not in `test`: the union of each fold's train and valid. */
  readonly dev: Int32Array;
  readonly folds: readonly Fold[];
}

export interface SplitOptions {
  /** Default 0. */
  seed?: number;
  /** Share of rows held out as the test set, in [0, 0.5]. Default 0.2 (0: no test set). */
  testFraction?: number;
  /** Folds used when the development rows are fewer than `kfoldBelow`. Default 5. */
  folds?: number;
  /** Below this many development rows, k-fold; at or above, one holdout. Default 5000. */
  kfoldBelow?: number;
  /** Share of development rows in the validation holdout. Default 0.2. */
  holdoutFraction?: number;
}

const DEFAULTS = { seed: 0, testFraction: 0.2, folds: 5, kfoldBelow: 5000, holdoutFraction: 0.2 } as const;

/**
 * The split of `y` (n) for `task`: test rows first, then folds or a holdout on the rest, stratified by
 * class for classification. The same (y, task, options) always give the same plan.
 */
export function planSplits(y: Float64Array, task: Task, opts?: SplitOptions): SplitPlan {
  const o = { ...DEFAULTS, ...options<SplitOptions>('split options', opts, Object.keys(DEFAULTS)) };
  const seed = integer('seed', o.seed, 0);
  if (!(o.testFraction >= 0 && o.testFraction <= 0.5)) throw invalid('testFraction', 'a number in [0, 0.5]', o.testFraction);
  if (!(o.holdoutFraction > 0 && o.holdoutFraction < 1)) throw invalid('holdoutFraction', 'a number in (0, 1)', o.holdoutFraction);
  const k = integer('folds', o.folds, 2);
  integer('kfoldBelow', o.kfoldBelow, 0);
  const strata = task === 'regression' ? null : y;
  const all = Int32Array.from({ length: y.length }, (_, i) => i);
  const { a: dev, b: test } = o.testFraction === 0 ? { a: all, b: new Int32Array(0) } : holdout(all, strata, o.testFraction, seed);
  if (dev.length < 2) throw new InvalidArgumentError(`Too few rows to split: ${y.length} row(s), ${dev.length} left after the test set`);
  if (dev.length < o.kfoldBelow) {
    if (dev.length < k) throw new InvalidArgumentError(`Cannot make ${k} folds from ${dev.length} development rows`);
    return { kind: 'kfold', test, dev, folds: kFold(dev, strata, k, seed + 1) };
  }
  const { a: train, b: valid } = holdout(dev, strata, o.holdoutFraction, seed + 1);
  return { kind: 'holdout', test, dev, folds: [{ train, valid }] };
}

/**
 * Splits `rows` into (a, b) with b ≈ fraction of them. With `strata` (class per table row), each class
 * gives its own share (at least one row to each side when it has two or more), so rare classes are in both.
 */
export function holdout(rows: Int32Array, strata: Float64Array | null, fraction: number, seed: number): { a: Int32Array; b: Int32Array } {
  const rng = new Rng(seed);
  const a: number[] = [];
  const b: number[] = [];
  for (const group of groups(rows, strata)) {
    rng.shuffle(group);
    let nb = Math.round(group.length * fraction);
    if (group.length >= 2) nb = Math.min(Math.max(nb, 1), group.length - 1);
    b.push(...group.slice(0, nb));
    a.push(...group.slice(nb));
  }
  return { a: sorted(a), b: sorted(b) };
}

/**
 * k folds of `rows`; with `strata`, each class is dealt round-robin across folds after a shuffle, the
 * deal continuing where the previous class stopped so fold sizes differ by at most one.
 */
export function kFold(rows: Int32Array, strata: Float64Array | null, k: number, seed: number): Fold[] {
  const rng = new Rng(seed);
  const fold = new Int32Array(rows.length);
  const position = new Map<number, number>(Array.from(rows, (r, i) => [r, i]));
  let next = 0;
  for (const group of groups(rows, strata)) {
    rng.shuffle(group);
    for (const r of group) fold[position.get(r)!] = next++ % k;
  }
  return Array.from({ length: k }, (_, f) => ({
    train: rows.filter((_, i) => fold[i] !== f),
    valid: rows.filter((_, i) => fold[i] === f),
  }));
}

/** Rows grouped by class (in class order), or one group of all rows. */
function groups(rows: Int32Array, strata: Float64Array | null): number[][] {
  if (strata === null) return [Array.from(rows)];
  const byClass = new Map<number, number[]>();
  for (const r of rows) {
    const c = strata[r]!;
    let g = byClass.get(c);
    if (g === undefined) byClass.set(c, (g = []));
    g.push(r);
  }
  return [...byClass.keys()].sort((x, y) => x - y).map((c) => byClass.get(c)!);
}

function sorted(a: number[]): Int32Array {
  return Int32Array.from(a).sort();
}
