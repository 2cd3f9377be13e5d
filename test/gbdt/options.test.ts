/** fitGBDT's and the model's argument checks: typed errors naming the option and the value, before the addon is called. */
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError, UnknownOptionError } from '../../src/errors.js';
import { fitGBDT, GBDT_DEFAULTS, GBDTModel } from '../../src/gbdt/index.js';
import { resolveFitGBDT } from '../../src/gbdt/options.js';
import { addonAvailable } from '../../src/native/binding.js';

const X = [[0, 1], [1, 0], [2, 1], [3, 0]];
const y = [0, 1, 0, 1];
const base = { X, y, task: 'binary' as const };

describe('fitGBDT options', () => {
  it.each([
    [{ ...base, learningRate: 0 }, 'Expected a positive finite number for `learningRate` but received 0'],
    [{ ...base, learningRate: NaN }, 'Expected a positive finite number for `learningRate` but received NaN'],
    [{ ...base, maxIter: 0 }, 'Expected an integer in [1, 1073741824] for `maxIter` but received 0'],
    [{ ...base, maxIter: 2.5 }, 'Expected an integer for `maxIter` but received 2.5'],
    [{ ...base, maxLeafNodes: 1 }, 'Expected an integer in [2, 1073741824] for `maxLeafNodes` but received 1'],
    [{ ...base, maxDepth: 0 }, 'Expected an integer >= 1 for `maxDepth` but received 0'],
    [{ ...base, minSamplesLeaf: 0 }, 'Expected an integer in [1, 1073741824] for `minSamplesLeaf` but received 0'],
    [{ ...base, l2Regularization: -1 }, 'Expected a non-negative finite number for `l2Regularization` but received -1'],
    [{ ...base, maxBins: 256 }, 'Expected an integer in [2, 255] for `maxBins` but received 256'],
    [{ ...base, earlyStopping: 'yes' }, 'Expected a boolean for `earlyStopping` but received "yes"'],
    [{ ...base, validationFraction: 1 }, 'Expected a number in (0, 1) for `validationFraction` but received 1'],
    [{ ...base, nIterNoChange: 0 }, 'Expected an integer in [1, 1073741824] for `nIterNoChange` but received 0'],
    [{ ...base, seed: -1 }, 'Expected an integer in [0, 9007199254740991] for `seed` but received -1'],
    [{ ...base, threads: 0 }, 'Expected an integer in [1, 1024] for `threads` but received 0'],
    [{ ...base, task: 'ranking' }, 'Expected one of "regression", "binary", "multiclass" for `task` but received "ranking"'],
    [{ ...base, y: [0, 1, 2, 1] }, 'Expected a class label 0 or 1 (task "binary") for `y[2]` but received 2'],
    [{ ...base, y: [0, 1, 0.5, 1] }, 'Expected an integer for `y[2]` but received 0.5'],
    [{ ...base, y: [0, 1] }, 'Expected an array of length 4 (the rows of X) for `y` but received an array of length 2'],
    [{ ...base, task: 'multiclass', y: [0, 0, 0, 0] }, 'Expected at least 2 classes for task "multiclass" but `y` holds only class 0'],
    [{ ...base, task: 'multiclass', nClasses: 3, y: [0, 1, 3, 1] }, 'Expected a class label in [0, 2] (nClasses = 3) for `y[2]` but received 3'],
    [{ ...base, task: 'regression', nClasses: 2 }, '`nClasses` applies to classification only (task is "regression")'],
    [{ ...base, task: 'regression', y: [0, 1, Infinity, 1] }, 'Expected a finite number for `y[2]` but received Infinity'],
    [{ ...base, X: [[0, 1], [1, Infinity], [2, 1], [3, 0]] }, 'Expected a finite number or NaN (missing) for `X[1][1]` but received Infinity'],
    [{ ...base, X: [[0, 1], [1, null], [2, 1], [3, 0]] }, 'Expected a number (NaN for a missing value) for `X[1][1]` but received null'],
    [{ ...base, X: [[0, 1], [1], [2, 1], [3, 0]] }, 'Expected an array of 2 numbers for `X[1]` but received an array of length 1'],
    [{ ...base, X: { data: new Float64Array(7), n: 4, d: 2 } }, 'Expected a Float64Array of n × d = 8 entries for `X.data` but received a Float64Array of length 7'],
    [{ ...base, sampleWeight: [1, 1, -1, 1] }, 'Expected a non-negative finite number for `sampleWeight[2]` but received -1'],
    [{ ...base, sampleWeight: [0, 0, 0, 0] }, 'Expected `sampleWeight` to have a positive sum but every weight is 0'],
    [{ ...base, categorical: [2] }, 'Expected an integer in [0, 1] for `categorical[0]` but received 2'],
    [{ ...base, categorical: [1, 1] }, 'Column 1 appears twice in `categorical`'],
    [{ ...base, X: [[0.5, 1], [1, 0], [2, 1], [3, 0]], categorical: [0] }, 'Expected a category code (an integer >= 0, or NaN) in categorical column 0 for `X[0][0]` but received 0.5'],
    [{ ...base, earlyStopping: true, validationFraction: 0.9 }, 'Early stopping needs a training and a validation sample: n = 4 with `validationFraction` = 0.9 leaves none for one of them'],
  ])('%#: refuses %o', (opts, message) => {
    const run = () => resolveFitGBDT(opts);
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(message);
  });

  it('names a misspelled option and the closest one', () => {
    expect(() => resolveFitGBDT({ ...base, learningrate: 0.1 })).toThrow(UnknownOptionError);
    expect(() => resolveFitGBDT({ ...base, learningrate: 0.1 })).toThrow(/^Unknown option `learningrate` in `fitGBDT` \(did you mean `learningRate`\?\)/);
  });

  it("resolves the defaults of scikit-learn's HistGradientBoosting once, into a frozen object", () => {
    const r = resolveFitGBDT(base);
    expect(Object.isFrozen(r.native)).toBe(true);
    expect(r.native).toMatchObject({
      learningRate: 0.1, maxIter: 100, maxLeafNodes: 31, maxDepth: 0, minSamplesLeaf: 20, l2Regularization: 0, maxBins: 255,
      earlyStopping: false, validationFraction: 0.1, nIterNoChange: 10, tol: 1e-7, seed: 0, nClasses: 2, n: 4, d: 2,
    });
    expect(GBDT_DEFAULTS.earlyStopping).toBe('auto');
    const big = { data: new Float64Array(10001), n: 10001, d: 1 };
    expect(resolveFitGBDT({ X: big, y: new Float64Array(10001), task: 'regression' }).native.earlyStopping).toBe(true);
    expect(resolveFitGBDT({ ...base, task: 'multiclass', y: [0, 2, 1, 1] }).native.nClasses).toBe(3);
  });

  it.skipIf(!addonAvailable())('checks X at prediction: its width and its values', async () => {
    const m = await fitGBDT({ ...base, minSamplesLeaf: 1, maxIter: 2 });
    await expect(m.predict([[1, 2, 3]])).rejects.toThrow("Expected rows of 2 features (the model's) for `X` but received rows of 3");
    await expect(m.predict([[1, -Infinity]])).rejects.toThrow('Expected a finite number or NaN (missing) for `X[0][1]` but received -Infinity');
    await expect(m.predict([[1, 2]], { threads: 0 })).rejects.toThrow('Expected an integer in [1, 1024] for `threads` but received 0');
    await expect(m.predictClass([[1, 2]])).resolves.toHaveLength(1);
  });

  it.skipIf(!addonAvailable())('the addon refuses an options object with a missing field or a wrong type, naming it', async () => {
    const { loadAddon, callNative } = await import('../../src/native/binding.js');
    const addon = loadAddon();
    const r = resolveFitGBDT(base);
    const { tol: _, ...noTol } = r.native;
    const call = (o: unknown) => callNative(() => addon.gbdtFit(r.X, r.y, r.sampleWeight, o as typeof r.native));
    await expect(call(noTol)).rejects.toThrow(InvalidArgumentError);
    await expect(call(noTol)).rejects.toThrow('native: missing field `tol`');
    await expect(call({ ...r.native, task: 'ranking' })).rejects.toThrow("native: unknown value 'ranking' for `task` (expected one of 'regression', 'binary', 'multiclass')");
    await expect(call({ ...r.native, earlyStopping: 1 })).rejects.toThrow('native: expected a boolean for `earlyStopping` but received a number');
    const m = await fitGBDT({ ...base, minSamplesLeaf: 1, maxIter: 1 });
    const { value: __, ...noValue } = (m as unknown as { state: Record<string, unknown> }).state;
    await expect(callNative(() => addon.gbdtPredict(noValue as never, new Float64Array(2), 1))).rejects.toThrow('native: missing field `value`');
  });

  it.skipIf(!addonAvailable())('fromJSON refuses a model whose trees are malformed, naming the entry', async () => {
    const m = await fitGBDT({ ...base, minSamplesLeaf: 1, maxIter: 2 });
    const j = m.toJSON();
    expect(j.feature[0]).toBeGreaterThanOrEqual(0);
    expect(() => GBDTModel.fromJSON({ ...j, format: 'x' })).toThrow('Expected "tunable.gbdt" for `json.format` but received "x"');
    expect(() => GBDTModel.fromJSON({ ...j, left: [0, ...j.left.slice(1)] })).toThrow(`Expected an integer in [1, ${j.treeOffsets[1]! - 1}] for \`json.left[0]\` but received 0`);
    expect(() => GBDTModel.fromJSON({ ...j, feature: [7, ...j.feature.slice(1)] })).toThrow('Expected an integer in [-1, 1] for `json.feature[0]` but received 7');
    expect(() => GBDTModel.fromJSON({ ...j, value: j.value.slice(1) })).toThrow(`Expected an array of ${j.value.length} numbers for \`json.value\``);
    expect(() => GBDTModel.fromJSON({ ...j, extra: 1 })).toThrow(UnknownOptionError);
  });
});
