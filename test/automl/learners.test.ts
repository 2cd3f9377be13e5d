/**
 * Each learner on the shipped data sets (80/20 stratified split, standardised on the training rows),
 * against the accuracy scikit-learn's counterparts reach on such a split, and through a JSON round trip.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { score } from '../../src/automl/metrics.js';
import { forestLearner, knnLearner, learner, learnersFor, LEARNERS, linearLearner, mlpLearner } from '../../src/automl/learners/index.js';
import type { FittedModel, Learner, LearnerConfig, Matrix } from '../../src/automl/types.js';
import { prepare, type Prepared } from './learner-data.js';

let bc: Prepared;
let digits: Prepared;
beforeAll(async () => {
  [bc, digits] = await Promise.all([prepare('breast_cancer.csv'), prepare('digits.csv')]);
});

async function accuracy(l: Learner, data: Prepared, config: LearnerConfig, budget = 1): Promise<{ acc: number; model: FittedModel; pred: Float64Array }> {
  const model = await l.fit(data.train.X, data.train.y, data.target.task, config, { seed: 0, budget, nClasses: data.k });
  const pred = await model.predict(data.test.X);
  return { acc: score('accuracy', data.target.task, data.test.y, pred, data.k), model, pred };
}

/** Saved, stringified, parsed and loaded: the loaded model predicts the very same numbers. */
async function roundTrip(l: Learner, model: FittedModel, X: Matrix, pred: Float64Array): Promise<void> {
  const loaded = await l.load(JSON.parse(JSON.stringify(model.toJSON())));
  expect(await loaded.predict(X)).toEqual(pred);
}

describe('linear', () => {
  it('logistic regression: ≥ 0.95 on breast cancer, ≥ 0.95 on digits; probabilities sum to 1', async () => {
    const b = await accuracy(linearLearner, bc, { C: 1 });
    expect(b.acc).toBeGreaterThanOrEqual(0.95);
    await roundTrip(linearLearner, b.model, bc.test.X, b.pred);
    const d = await accuracy(linearLearner, digits, { C: 1 });
    expect(d.acc).toBeGreaterThanOrEqual(0.95);
    for (let i = 0; i < digits.test.X.n; i++) expect(d.pred.subarray(i * 10, i * 10 + 10).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    await roundTrip(linearLearner, d.model, digits.test.X, d.pred);
  });

  it('a smaller budget runs fewer iterations and fits no better', async () => {
    const full = await accuracy(linearLearner, digits, { C: 100 });
    const short = await accuracy(linearLearner, digits, { C: 100 }, 0.01);
    expect(short.acc).toBeLessThanOrEqual(full.acc);
    expect(short.pred).not.toEqual(full.pred);
  });

  it('ridge regression matches the closed form on exact linear data and shrinks with 1/C', async () => {
    const n = 50;
    const X = { data: Float64Array.from({ length: n * 2 }, (_, t) => Math.sin(t * 1.3) * 3), n, d: 2 };
    const y = Float64Array.from({ length: n }, (_, i) => 2 * X.data[i * 2]! - 0.5 * X.data[i * 2 + 1]! + 4);
    const exact = await linearLearner.fit(X, y, 'regression', { C: 1e12 }, { seed: 0 });
    const p = await exact.predict(X);
    for (let i = 0; i < n; i++) expect(p[i]).toBeCloseTo(y[i]!, 6);
    const json = exact.toJSON() as { W: string };
    expect(typeof json.W).toBe('string');
    const shrunk = (await linearLearner.fit(X, y, 'regression', { C: 1e-4 }, { seed: 0 })) as unknown as { W: Float64Array };
    expect(Math.abs(shrunk.W[0]!)).toBeLessThan(0.1);
  });

  it('checks its input', async () => {
    const X = { data: Float64Array.of(1, NaN), n: 2, d: 1 };
    await expect(linearLearner.fit(X, Float64Array.of(0, 1), 'binary', {}, { seed: 0 })).rejects.toThrow(
      'Expected finite values in `X` but row 1, column 0 holds NaN; impute missing values first',
    );
    const ok = { data: Float64Array.of(1, 2), n: 2, d: 1 };
    await expect(linearLearner.fit(ok, Float64Array.of(0, 1), 'binary', { c: 1 }, { seed: 0 })).rejects.toThrow('Unknown linear hyperparameter `c`; known ones are `C`, `maxIter`');
    await expect(linearLearner.fit(ok, Float64Array.of(0, 1), 'binary', {}, { seed: 0, budget: 0 })).rejects.toThrow('Expected a number in (0, 1] for `budget` but received 0');
    await expect(linearLearner.fit(ok, Float64Array.of(0, 0.5), 'binary', {}, { seed: 0 })).rejects.toThrow('Expected a class index (an integer >= 0) for `y[1]` but received 0.5');
  });
});

describe('knn', () => {
  it('≥ 0.97 on digits (k = 5) and ≥ 0.94 on breast cancer, for both weightings and both p', async () => {
    const d = await accuracy(knnLearner, digits, { k: 5, weights: 'uniform', p: 2 });
    expect(d.acc).toBeGreaterThanOrEqual(0.97);
    await roundTrip(knnLearner, d.model, digits.test.X, d.pred);
    for (const weights of ['uniform', 'distance']) {
      for (const p of [1, 2]) expect((await accuracy(knnLearner, bc, { k: 7, weights, p })).acc).toBeGreaterThanOrEqual(0.94);
    }
  });

  it('k = 1 reproduces the training labels; distance weights let exact matches decide', async () => {
    const X = { data: Float64Array.of(0, 1, 2, 10), n: 4, d: 1 };
    const y = Float64Array.of(0, 0, 1, 1);
    const one = await knnLearner.fit(X, y, 'binary', { k: 1 }, { seed: 0 });
    expect(Array.from(await one.predict(X))).toEqual([0, 0, 1, 1]);
    const dist = await knnLearner.fit(X, y, 'binary', { k: 3, weights: 'distance' }, { seed: 0 });
    expect((await dist.predict({ data: Float64Array.of(2), n: 1, d: 1 }))[0]).toBe(1);
    // Query 1.5: neighbours 1 (d 0.5, class 0), 2 (d 0.5, class 1), 0 (d 1.5, class 0) → P(1) = 2 / (2 + 2 + 2/3).
    expect((await dist.predict({ data: Float64Array.of(1.5), n: 1, d: 1 }))[0]).toBeCloseTo(2 / (4 + 2 / 3), 12);
    const reg = await knnLearner.fit(X, Float64Array.of(1, 2, 3, 4), 'regression', { k: 2 }, { seed: 0 });
    expect(Array.from(await reg.predict({ data: Float64Array.of(0.4), n: 1, d: 1 }))).toEqual([1.5]);
  });

  it('a budget keeps a seeded share of the training rows', async () => {
    const m = (await knnLearner.fit(digits.train.X, digits.train.y, 'multiclass', { k: 3 }, { seed: 1, budget: 0.25 })) as unknown as { X: Matrix };
    expect(m.X.n).toBe(Math.round(0.25 * digits.train.X.n));
  });
});

describe('forest', () => {
  it('random forest and extra trees: ≥ 0.95 on digits and breast cancer (40 trees); round-trips', { timeout: 60_000 }, async () => {
    for (const splitter of ['best', 'random']) {
      const d = await accuracy(forestLearner, digits, { nTrees: 40, splitter });
      expect(d.acc, splitter).toBeGreaterThanOrEqual(0.95);
      expect((await accuracy(forestLearner, bc, { nTrees: 40, splitter })).acc, splitter).toBeGreaterThanOrEqual(0.94);
      if (splitter === 'best') await roundTrip(forestLearner, d.model, digits.test.X, d.pred);
    }
  });

  it('a budget grows a share of the trees; the same seed grows the same forest', async () => {
    const small = (await forestLearner.fit(bc.train.X, bc.train.y, 'binary', { nTrees: 40 }, { seed: 3, budget: 0.25 })) as unknown as { trees: unknown[] };
    expect(small.trees).toHaveLength(10);
    const again = await forestLearner.fit(bc.train.X, bc.train.y, 'binary', { nTrees: 40 }, { seed: 3, budget: 0.25 });
    expect(await again.predict(bc.test.X)).toEqual(await (small as unknown as FittedModel).predict(bc.test.X));
  });

  it('regression: averages leaf means; a single deep tree without bootstrap fits the training rows', async () => {
    const n = 64;
    const X = { data: Float64Array.from({ length: n }, (_, i) => i), n, d: 1 };
    const y = X.data.map((x) => Math.sin(x / 5));
    const tree = await forestLearner.fit(X, y, 'regression', { nTrees: 1, splitter: 'random', maxFeatures: 'all' }, { seed: 0 });
    expect(Array.from(await tree.predict(X)).map((v, i) => v - y[i]!).every((e) => Math.abs(e) < 1e-12)).toBe(true);
    const leaf4 = await forestLearner.fit(X, y, 'regression', { nTrees: 20, minSamplesLeaf: 4 }, { seed: 0 });
    expect(score('r2', 'regression', y, await leaf4.predict(X))).toBeGreaterThan(0.9);
  });
});

describe('mlp', () => {
  it('learns breast cancer and digits in a few epochs, reproducibly, and round-trips', { timeout: 60_000 }, async () => {
    const config = { layers: 1, units: 32, dropout: 0.1, learningRate: 0.01, batchSize: 64, activation: 'relu', epochs: 10 };
    const b = await accuracy(mlpLearner, bc, config);
    expect(b.acc).toBeGreaterThanOrEqual(0.93);
    await roundTrip(mlpLearner, b.model, bc.test.X, b.pred);
    const again = await accuracy(mlpLearner, bc, config);
    expect(again.pred).toEqual(b.pred); // same seed, same backend: the same weights
    const d = await accuracy(mlpLearner, digits, config);
    expect(d.acc).toBeGreaterThanOrEqual(0.93);
  });

  it('a budget trains a share of the epochs', { timeout: 60_000 }, async () => {
    const config = { layers: 1, units: 16, dropout: 0, learningRate: 0.01, batchSize: 64, epochs: 10 };
    const one = await accuracy(mlpLearner, bc, { ...config, epochs: 1 });
    const tenth = await accuracy(mlpLearner, bc, config, 0.1);
    expect(tenth.pred).toEqual(one.pred); // round(0.1 · 10) = 1 epoch, same seed
  });

  it('fits a regression target on its own scale', { timeout: 60_000 }, async () => {
    const n = 200;
    const X = { data: Float64Array.from({ length: n }, (_, i) => i / n), n, d: 1 };
    const y = X.data.map((x) => 1000 + 500 * x);
    const m = await mlpLearner.fit(X, y, 'regression', { layers: 1, units: 16, dropout: 0, learningRate: 0.05, batchSize: 32, epochs: 40 }, { seed: 0 });
    expect(score('r2', 'regression', y, await m.predict(X))).toBeGreaterThan(0.95);
  });
});

describe('registry', () => {
  it('looks learners up by name and by task', () => {
    expect(learner('knn')).toBe(knnLearner);
    expect(() => learner('svm')).toThrow('Unknown learner "svm"; known learners are "linear", "knn", "forest", "mlp"');
    expect(learnersFor('regression').map((l) => l.name)).toEqual(LEARNERS.map((l) => l.name));
  });
});
