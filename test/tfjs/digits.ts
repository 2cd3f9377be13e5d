/**
 * The first 400 rows of the digits data as train/valid/test tensors (stratified, seed 7, pixels scaled
 * to [0, 1]), for the suites that train real models; `dispose` frees the tensors.
 */
import { join } from 'node:path';
import { loadCsv } from '../../src/cli/demo.js';
import { disposeSplit, stratifiedSplit, toSplit, type TrainData } from '../../src/tfjs/index.js';
import { packageRoot } from '../../src/util/paths.js';

export function digitsSplits(): { data: TrainData; dispose: () => void } {
  const { X, y } = loadCsv(join(packageRoot(), 'examples', 'data', 'digits.csv'));
  const rows = stratifiedSplit(y.slice(0, 400), { valid: 0.25, test: 0.25 }, 7);
  const split = (r: number[]) => toSplit(X, y, 10, { rows: r, scale: 1 / 16 });
  const data = { train: split(rows.train), valid: split(rows.valid), test: split(rows.test) };
  return {
    data,
    dispose: () => {
      disposeSplit(data.train);
      disposeSplit(data.valid);
      disposeSplit(data.test);
    },
  };
}
