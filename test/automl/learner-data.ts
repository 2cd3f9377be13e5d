/** The data sets shipped in examples/data for the learner tests, split and scaled the way the search does it. */
import { fileURLToPath } from 'node:url';
import { readTable } from '../../src/automl/data.js';
import { fitPreprocessor } from '../../src/automl/preprocess.js';
import { planSplits } from '../../src/automl/split.js';
import { prepareTarget, type Target } from '../../src/automl/target.js';
import type { Matrix } from '../../src/automl/types.js';

export const DATA_DIR = fileURLToPath(new URL('../../examples/data/', import.meta.url));

export interface Prepared {
  readonly target: Target;
  readonly k: number;
  readonly train: { X: Matrix; y: Float64Array };
  readonly test: { X: Matrix; y: Float64Array };
}

/** Rows of X (n, d) in `rows` order. */
export function takeRows(X: Matrix, rows: ArrayLike<number>): Matrix {
  const data = new Float64Array(rows.length * X.d);
  for (let i = 0; i < rows.length; i++) data.set(X.data.subarray(rows[i]! * X.d, (rows[i]! + 1) * X.d), i * X.d);
  return { data, n: rows.length, d: X.d };
}

/** The data set split 80/20 (stratified, seed 0), standardised on the training rows only. */
export async function prepare(file: 'digits.csv' | 'breast_cancer.csv'): Promise<Prepared> {
  const table = await readTable(DATA_DIR + file);
  const targetName = table.columns[table.columns.length - 1]!.name;
  const target = prepareTarget(table, targetName);
  const features = table.columns.map((c) => c.name).filter((n) => n !== targetName);
  const plan = planSplits(target.y, target.task, { seed: 0 });
  const tableRows = (idx: Int32Array) => Int32Array.from(idx, (i) => target.rows[i]!);
  const pre = fitPreprocessor(table, features, { scaling: 'standard' }, { rows: tableRows(plan.dev) });
  const all = pre.transform(table);
  const pick = (idx: Int32Array) => ({ X: takeRows(all, tableRows(idx)), y: Float64Array.from(idx, (i) => target.y[i]!) });
  return { target, k: target.classes.length, train: pick(plan.dev), test: pick(plan.test) };
}
