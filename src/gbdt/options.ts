/**
 * fitGBDT's options: every default lives in GBDT_DEFAULTS (scikit-learn's HistGradientBoosting*
 * defaults), and each call is checked and resolved once into the frozen object the addon receives
 * whole (native/README.md, "Native surface": the native FitParams has no defaults).
 */
import { availableParallelism } from 'node:os';

import { InvalidArgumentError } from '../errors.js';
import type { NativeGBDTOptions } from '../native/binding.js';
import { boolean, describe, finiteNumber, integer, invalid, nonNegativeNumber, oneOf, options, positiveNumber, rowMajor } from '../validate.js';
import type { FitGBDTOptions, GBDTTask, MatrixInput } from './types.js';

/** Every default of fitGBDT and of a model's predictions. */
export const GBDT_DEFAULTS = Object.freeze({
  learningRate: 0.1,
  maxIter: 100,
  maxLeafNodes: 31,
  maxDepth: null as number | null,
  minSamplesLeaf: 20,
  l2Regularization: 0,
  maxBins: 255,
  earlyStopping: 'auto' as 'auto' | boolean,
  /** With earlyStopping 'auto', early stopping is on above this many samples (scikit-learn's rule). */
  autoEarlyStoppingAbove: 10000,
  validationFraction: 0.1,
  nIterNoChange: 10,
  /** An iteration improves when its validation loss is below the reference by more than this. */
  tol: 1e-7,
  seed: 0,
  /** null: every core of the machine (os.availableParallelism()), as scikit-learn's OpenMP default. */
  threads: null as number | null,
});

export const FIT_GBDT_KEYS = [
  'X', 'y', 'task', 'nClasses', 'learningRate', 'maxIter', 'maxLeafNodes', 'maxDepth', 'minSamplesLeaf',
  'l2Regularization', 'maxBins', 'earlyStopping', 'validationFraction', 'nIterNoChange', 'tol', 'categorical',
  'sampleWeight', 'seed', 'threads',
] as const;

export function defaultThreads(): number {
  return GBDT_DEFAULTS.threads ?? availableParallelism();
}

export function threadsOption(name: string, v: unknown): number {
  return v === undefined ? defaultThreads() : integer(name, v, 1, 1024);
}

/**
 * A design matrix (a Matrix, or rows of numbers) as a Float64Array (n, d) row-major; NaN is a missing
 * value, ±Infinity and non-numbers are refused. A Matrix's data is used as it is (the addon copies it).
 */
export function designMatrix(name: string, X: unknown, d?: number): { data: Float64Array; n: number; d: number } {
  let data: Float64Array;
  let n: number;
  let cols: number;
  if (Array.isArray(X)) {
    n = X.length;
    if (n === 0) throw invalid(name, 'a non-empty array of rows', X);
    const first: unknown = X[0];
    if (!Array.isArray(first) && !(first instanceof Float64Array)) throw invalid(`${name}[0]`, 'an array of numbers', first);
    cols = (first as ArrayLike<number>).length;
    if (cols < 1) throw invalid(`${name}[0]`, 'a non-empty array of numbers', first);
    data = rowMajor(name, X, cols, 'a number (NaN for a missing value)');
  } else if (X !== null && typeof X === 'object' && (X as { data?: unknown }).data instanceof Float64Array) {
    const m = X as { data: Float64Array; n: unknown; d: unknown };
    n = integer(`${name}.n`, m.n, 1);
    cols = integer(`${name}.d`, m.d, 1);
    if (m.data.length !== n * cols) throw invalid(`${name}.data`, `a Float64Array of n × d = ${n * cols} entries`, m.data);
    data = m.data;
  } else {
    throw invalid(name, 'a Matrix { data: Float64Array, n, d } or an array of rows', X);
  }
  if (d !== undefined && cols !== d) {
    throw new InvalidArgumentError(`Expected rows of ${d} features (the model's) for \`${name}\` but received rows of ${cols}`);
  }
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (v === Infinity || v === -Infinity) throw invalid(`${name}[${Math.floor(k / cols)}][${k % cols}]`, 'a finite number or NaN (missing)', v);
  }
  return { data, n, d: cols };
}

/** fitGBDT's options, resolved: the inputs as the addon takes them and the options it receives. */
export interface ResolvedFitGBDT {
  readonly X: Float64Array; // (n, d) row-major
  readonly y: Float64Array; // (n)
  readonly sampleWeight: Float64Array; // (n), or empty: none
  readonly categorical: readonly number[];
  readonly native: Readonly<NativeGBDTOptions>;
}

function targets(y: unknown, n: number, task: GBDTTask): Float64Array {
  if (!Array.isArray(y) && !(y instanceof Float64Array)) throw invalid('y', 'an array of numbers', y);
  if (y.length !== n) throw invalid('y', `an array of length ${n} (the rows of X)`, y);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v: unknown = y[i];
    if (task === 'regression') out[i] = finiteNumber(`y[${i}]`, v);
    else out[i] = integer(`y[${i}]`, v, 0);
  }
  return out;
}

function classes(task: GBDTTask, given: unknown, y: Float64Array): number {
  let max = 0;
  for (const v of y) max = Math.max(max, v);
  if (task === 'regression') {
    if (given !== undefined) throw new InvalidArgumentError('`nClasses` applies to classification only (task is "regression")');
    return 1;
  }
  if (task === 'binary') {
    if (given !== undefined) integer('nClasses', given, 2, 2);
    if (max > 1) throw invalid(`y[${y.indexOf(max)}]`, 'a class label 0 or 1 (task "binary")', max);
    return 2;
  }
  const k = given === undefined ? max + 1 : integer('nClasses', given, 2);
  if (k < 2) throw new InvalidArgumentError('Expected at least 2 classes for task "multiclass" but `y` holds only class 0');
  if (max >= k) throw invalid(`y[${y.indexOf(max)}]`, `a class label in [0, ${k - 1}] (nClasses = ${k})`, max);
  return k;
}

function weights(v: unknown, n: number): Float64Array {
  if (v === undefined) return new Float64Array(0);
  if (!Array.isArray(v) && !(v instanceof Float64Array)) throw invalid('sampleWeight', 'an array of numbers', v);
  if (v.length !== n) throw invalid('sampleWeight', `an array of length ${n} (the rows of X)`, v);
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += out[i] = nonNegativeNumber(`sampleWeight[${i}]`, v[i]);
  if (!(sum > 0)) throw new InvalidArgumentError('Expected `sampleWeight` to have a positive sum but every weight is 0');
  return out;
}

/** Columns treated as categorical: distinct indices whose values are codes 0, 1, 2, … (or NaN). */
function categoricalColumns(v: unknown, X: Float64Array, n: number, d: number): number[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid('categorical', 'an array of column indices', v);
  const seen = new Set<number>();
  return v.map((c: unknown, i) => {
    const j = integer(`categorical[${i}]`, c, 0, d - 1);
    if (seen.has(j)) throw new InvalidArgumentError(`Column ${j} appears twice in \`categorical\``);
    seen.add(j);
    for (let r = 0; r < n; r++) {
      const x = X[r * d + j]!;
      if (!Number.isNaN(x) && !(Number.isInteger(x) && x >= 0)) {
        throw invalid(`X[${r}][${j}]`, `a category code (an integer >= 0, or NaN) in categorical column ${j}`, x);
      }
    }
    return j;
  });
}

export function resolveFitGBDT(opts: unknown): ResolvedFitGBDT {
  if (opts === undefined) throw invalid('fitGBDT', 'an options object with X, y and task', opts);
  const o = options<FitGBDTOptions>('fitGBDT', opts, FIT_GBDT_KEYS);
  const D = GBDT_DEFAULTS;
  const task = oneOf('task', o.task, ['regression', 'binary', 'multiclass'] as const);
  const X = designMatrix('X', o.X);
  const y = targets(o.y, X.n, task);
  const nClasses = classes(task, o.nClasses, y);
  const sampleWeight = weights(o.sampleWeight, X.n);
  const categorical = categoricalColumns(o.categorical, X.data, X.n, X.d);
  const es = o.earlyStopping === undefined ? D.earlyStopping : o.earlyStopping === 'auto' ? 'auto' : boolean('earlyStopping', o.earlyStopping);
  const validationFraction = o.validationFraction === undefined ? D.validationFraction : positiveNumber('validationFraction', o.validationFraction);
  if (validationFraction >= 1) throw invalid('validationFraction', 'a number in (0, 1)', validationFraction);
  const maxDepth = o.maxDepth === undefined ? D.maxDepth : o.maxDepth === null ? null : integer('maxDepth', o.maxDepth, 1);
  const native: NativeGBDTOptions = {
    n: X.n,
    d: X.d,
    task,
    nClasses,
    learningRate: o.learningRate === undefined ? D.learningRate : positiveNumber('learningRate', o.learningRate),
    maxIter: o.maxIter === undefined ? D.maxIter : integer('maxIter', o.maxIter, 1, 1 << 30),
    maxLeafNodes: o.maxLeafNodes === undefined ? D.maxLeafNodes : integer('maxLeafNodes', o.maxLeafNodes, 2, 1 << 30),
    maxDepth: maxDepth ?? 0,
    minSamplesLeaf: o.minSamplesLeaf === undefined ? D.minSamplesLeaf : integer('minSamplesLeaf', o.minSamplesLeaf, 1, 1 << 30),
    l2Regularization: o.l2Regularization === undefined ? D.l2Regularization : nonNegativeNumber('l2Regularization', o.l2Regularization),
    maxBins: o.maxBins === undefined ? D.maxBins : integer('maxBins', o.maxBins, 2, 255),
    earlyStopping: es === 'auto' ? X.n > D.autoEarlyStoppingAbove : es,
    validationFraction,
    nIterNoChange: o.nIterNoChange === undefined ? D.nIterNoChange : integer('nIterNoChange', o.nIterNoChange, 1, 1 << 30),
    tol: o.tol === undefined ? D.tol : nonNegativeNumber('tol', o.tol),
    seed: o.seed === undefined ? D.seed : integer('seed', o.seed, 0, Number.MAX_SAFE_INTEGER),
    threads: threadsOption('threads', o.threads),
  };
  if (native.earlyStopping) {
    const nv = Math.ceil(validationFraction * X.n);
    if (nv < 1 || X.n - nv < 1) {
      throw new InvalidArgumentError(
        `Early stopping needs a training and a validation sample: n = ${X.n} with \`validationFraction\` = ${describe(validationFraction)} leaves none for one of them`,
      );
    }
  }
  return Object.freeze({ X: X.data, y, sampleWeight, categorical: Object.freeze(categorical), native: Object.freeze(native) });
}
