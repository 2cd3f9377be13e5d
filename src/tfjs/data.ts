/**
 * Small-table helpers for classification: a seeded stratified split and the tensors a model trains on.
 * Stratified, so that a small validation set holds every class in proportion and validation accuracy
 * is not shifted by the draw.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { integer, invalid } from '../validate.js';
import { tfFor } from './instance.js';

/** Features and one-hot labels of one split. */
export interface Split {
  readonly x: tfTypes.Tensor2D;
  readonly y: tfTypes.Tensor2D;
}

export interface SplitIndices {
  readonly train: number[];
  readonly valid: number[];
  readonly test: number[];
}

/**
 * Row indices of a seeded stratified split: in each class, `valid` and `test` take their fractions
 * (rounded) and `train` the rest. The same (labels, fractions, seed) always give the same split.
 */
export function stratifiedSplit(labels: readonly number[], fractions: { valid: number; test?: number }, seed = 0): SplitIndices {
  const fv = fractions.valid;
  const ft = fractions.test ?? 0;
  if (!(fv >= 0 && ft >= 0 && fv + ft < 1)) {
    throw new InvalidArgumentError(`Expected fractions valid >= 0, test >= 0 and valid + test < 1 but received valid=${fv}, test=${ft}`);
  }
  const byClass = new Map<number, number[]>();
  labels.forEach((c, i) => {
    const list = byClass.get(c) ?? [];
    list.push(i);
    byClass.set(c, list);
  });
  const rng = new Rng(seed);
  const out: SplitIndices = { train: [], valid: [], test: [] };
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = rng.shuffle(byClass.get(c)!);
    const nt = Math.round(idx.length * ft);
    const nv = Math.round(idx.length * fv);
    out.test.push(...idx.slice(0, nt));
    out.valid.push(...idx.slice(nt, nt + nv));
    out.train.push(...idx.slice(nt + nv));
  }
  // Classes were appended in blocks; shuffle so that batches taken in order mix them.
  for (const part of [out.train, out.valid, out.test]) rng.shuffle(part);
  return out;
}

/**
 * The tensors of the rows `rows` (all rows when omitted): features scaled by `scale` (e.g. 1/16 for
 * 0–16 grey levels), labels one-hot over `nClasses`. The caller owns (and disposes) the tensors, which
 * belong to the instance of useTf()/loadTf() (else the project's @tensorflow/tfjs).
 */
export function toSplit(X: readonly (readonly number[])[], y: readonly number[], nClasses: number, opts: { rows?: readonly number[]; scale?: number } = {}): Split {
  integer('nClasses', nClasses, 2);
  if (X.length !== y.length) throw new InvalidArgumentError(`X has ${X.length} rows but y has ${y.length} labels`);
  const rows = opts.rows ?? X.map((_, i) => i);
  const scale = opts.scale ?? 1;
  if (rows.length === 0) throw invalid('rows', 'at least one row', rows);
  const d = X[rows[0]!]!.length;
  const flat = new Float32Array(rows.length * d);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, k) => {
    const row = X[r];
    if (row === undefined || row.length !== d) throw new InvalidArgumentError(`Row ${r} is missing or does not have ${d} features`);
    for (let j = 0; j < d; j++) flat[k * d + j] = row[j]! * scale;
    const label = y[r]!;
    if (!Number.isInteger(label) || label < 0 || label >= nClasses) throw invalid(`y[${r}]`, `a class index in [0, ${nClasses})`, label);
    labels[k] = label;
  });
  const tf = tfFor('toSplit');
  const x = tf.tensor2d(flat, [rows.length, d]);
  const y1 = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), nClasses).toFloat() as tfTypes.Tensor2D);
  return { x, y: y1 };
}

export function disposeSplit(split: Split | undefined): void {
  if (split === undefined) return;
  split.x.dispose();
  split.y.dispose();
}
