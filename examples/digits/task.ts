/**
 * The digits task, shared by the tuning example and bench/tfjs: the data (examples/data/digits.csv:
 * 1797 8×8 images, grey levels 0–16, classes 0–9) as tensors — a seeded stratified
 * train/validation/test split (60/20/20), pixels scaled to [0, 1] — and the MLP search space.
 */
import { join } from 'node:path';
import { loadCsv } from '../../src/cli/demo.js';
import { disposeSplit, stratifiedSplit, toSplit, type MlpSpace, type Split } from '../../src/tfjs/index.js';
import { packageRoot } from '../../src/util/paths.js';

/** The search space; every range is inclusive. Units stay ≤ 128: wider layers add cost, not accuracy, here. */
export const SPACE: MlpSpace = {
  layers: [1, 3],
  units: [16, 128],
  learningRate: [1e-4, 1e-1],
  dropout: [0, 0.5],
  batchSize: [16, 32, 64, 128],
  activation: ['relu', 'elu', 'tanh'],
};

/** Epochs of a trial that is never pruned: Hyperband's maximum resource (27 = 3³ for η = 3). */
export const EPOCHS = 27;

export interface Digits {
  readonly train: Split;
  readonly valid: Split;
  readonly test: Split;
  readonly inputDim: number;
  readonly nClasses: number;
  readonly sizes: { readonly train: number; readonly valid: number; readonly test: number };
  dispose(): void;
}

export function loadDigits(seed = 0, fractions = { valid: 0.2, test: 0.2 }): Digits {
  const { X, y } = loadCsv(join(packageRoot(), 'examples', 'data', 'digits.csv'));
  const rows = stratifiedSplit(y, fractions, seed);
  const split = (r: number[]) => toSplit(X, y, 10, { rows: r, scale: 1 / 16 });
  const train = split(rows.train);
  const valid = split(rows.valid);
  const test = split(rows.test);
  return {
    train,
    valid,
    test,
    inputDim: X[0]!.length,
    nClasses: 10,
    sizes: { train: rows.train.length, valid: rows.valid.length, test: rows.test.length },
    dispose() {
      for (const s of [train, valid, test]) disposeSplit(s);
    },
  };
}
