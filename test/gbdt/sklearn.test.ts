/**
 * Accuracy against scikit-learn's HistGradientBoostingClassifier at equal settings on breast cancer and
 * digits (examples/data, copies of ../shared/data): the same seeded split, both fitted and scored in this test (sklearn by
 * bench/gbdt/sklearn_hgb.py with Debian's /usr/bin/python3, one OpenMP thread: only accuracy is compared
 * here; the fit times are bench/gbdt's).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { accuracy, readCsv, runReference, split, type Split } from '../../bench/gbdt/data.js';
import { fitGBDT } from '../../src/gbdt/index.js';
import { addonAvailable } from '../../src/native/binding.js';

const sets = [['breast_cancer', 'binary'], ['digits', 'multiclass']] as const;
const DATA = join(import.meta.dirname, '..', '..', 'examples', 'data');
const params = { max_iter: 100, learning_rate: 0.1, max_leaf_nodes: 31, min_samples_leaf: 20, max_bins: 255 };

describe.skipIf(!addonAvailable())('fitGBDT against scikit-learn', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunable-gbdt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is as accurate as HistGradientBoostingClassifier on breast cancer and digits (within 2 points)', async () => {
    const splits: Split[] = sets.map(([name, task]) => {
      const { X, y } = readCsv(join(DATA, `${name}.csv`));
      return split(name, task, X, y, 0.25, 0);
    });
    const reference = runReference(dir, splits, params, 1, 1);
    for (const [i, s] of splits.entries()) {
      const m = await fitGBDT({
        X: s.train.X, y: s.train.y, task: s.task, earlyStopping: false, maxIter: params.max_iter, learningRate: params.learning_rate,
        maxLeafNodes: params.max_leaf_nodes, minSamplesLeaf: params.min_samples_leaf, maxBins: params.max_bins,
      });
      const ours = accuracy(await m.predictClass(s.test.X), s.test.y);
      const theirs = (await reference)[i]!;
      expect(theirs.name).toBe(s.name);
      expect(ours, `${s.name}: ours ${ours}, sklearn ${theirs.accuracy}`).toBeGreaterThanOrEqual(theirs.accuracy! - 0.02);
      expect(ours).toBeGreaterThan(s.name === 'digits' ? 0.93 : 0.92);
    }
  }, 300_000);
});
