/**
 * The data the GBDT benchmark and its sklearn test share: a CSV of ../shared/data (target last), a seeded
 * train/test split, and the float64 files bench/gbdt/sklearn_hgb.py reads.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { Matrix } from '../../src/automl/types.js';

export const PYTHON = '/usr/bin/python3';
export const REFERENCE_SCRIPT = join(import.meta.dirname, 'sklearn_hgb.py');
export const SHARED_DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');

export type Task = 'regression' | 'binary' | 'multiclass';

export interface Split {
  name: string;
  task: Task;
  train: { X: Matrix; y: Float64Array };
  test: { X: Matrix; y: Float64Array };
}

/** A CSV with a header row and numbers only; the target is the last column. */
export function readCsv(file: string): { X: Matrix; y: Float64Array } {
  const rows = readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  const d = rows[0]!.length - 1;
  const data = new Float64Array(rows.length * d);
  rows.forEach((r, i) => data.set(r.slice(0, d), i * d));
  return { X: { data, n: rows.length, d }, y: Float64Array.from(rows, (r) => r[d]!) };
}

/** A seeded shuffle split: the last `testFraction` of a permutation is the test set. */
export function split(name: string, task: Task, X: Matrix, y: Float64Array, testFraction: number, seed: number): Split {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const idx = Array.from({ length: X.n }, (_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const nTest = Math.round(testFraction * X.n);
  const take = (part: number[]) => {
    const data = new Float64Array(part.length * X.d);
    part.forEach((r, i) => data.set(X.data.subarray(r * X.d, (r + 1) * X.d), i * X.d));
    return { X: { data, n: part.length, d: X.d }, y: Float64Array.from(part, (r) => y[r]!) };
  };
  return { name, task, train: take(idx.slice(0, X.n - nTest)), test: take(idx.slice(X.n - nTest)) };
}

export interface ReferenceParams {
  max_iter: number;
  learning_rate: number;
  max_leaf_nodes: number;
  min_samples_leaf: number;
  max_bins: number;
}

export interface ReferenceResult {
  name: string;
  fit_seconds: number[];
  n_iter: number;
  accuracy?: number;
  rmse?: number;
}

/** Writes the splits into `dir` and runs sklearn_hgb.py on them with `threads` OpenMP threads. */
export async function runReference(dir: string, splits: Split[], params: ReferenceParams, repeats: number, threads: number): Promise<ReferenceResult[]> {
  const le = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength); // x86/arm: little-endian
  for (const s of splits) {
    writeFileSync(join(dir, `${s.name}.Xtrain`), le(s.train.X.data));
    writeFileSync(join(dir, `${s.name}.ytrain`), le(s.train.y));
    writeFileSync(join(dir, `${s.name}.Xtest`), le(s.test.X.data));
    writeFileSync(join(dir, `${s.name}.ytest`), le(s.test.y));
  }
  const spec = {
    dir,
    repeats,
    params,
    datasets: splits.map((s) => ({ name: s.name, task: s.task, d: s.train.X.d, ntrain: s.train.X.n, ntest: s.test.X.n })),
  };
  const specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  const { stdout } = await promisify(execFile)(PYTHON, [REFERENCE_SCRIPT, specFile], {
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    maxBuffer: 1 << 24,
  });
  return JSON.parse(stdout) as ReferenceResult[];
}

export function accuracy(labels: ArrayLike<number>, y: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < y.length; i++) if (labels[i] === y[i]) k++;
  return k / y.length;
}

export function rmse(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i]! - y[i]!) ** 2;
  return Math.sqrt(s / y.length);
}
