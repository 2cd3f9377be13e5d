/**
 * fitGBDT on small synthetic problems whose answer is known: the fit quality of each task, missing values
 * learned to the right side, determinism (a seed, any thread count), early stopping, the JSON round trip
 * and feature importances.
 */
import { describe, expect, it } from 'vitest';

import { fitGBDT, GBDTModel } from '../../src/gbdt/index.js';
import { addonAvailable } from '../../src/native/binding.js';
import type { Matrix } from '../../src/automl/types.js';
import { accuracy, rng, rows, uniform } from './helpers.js';

/** X with column j rounded down to a grid of 100 values. */
function grid(X: Matrix, j: number): Matrix {
  for (let i = 0; i < X.n; i++) X.data[i * X.d + j] = Math.floor(X.data[i * X.d + j]! * 100) / 100;
  return X;
}

const skip = !addonAvailable();

describe.skipIf(skip)('fitGBDT', () => {
  it('recovers a step function exactly (regression)', async () => {
    // x0 on a grid of 100 values (fewer than maxBins: one bin each), so the steps fall between bins.
    const X = grid(uniform(400, 2, 1), 0);
    const step = (x: number) => (x < 0.3 ? -2 : x < 0.7 ? 1 : 5);
    const y = Float64Array.from({ length: X.n }, (_, i) => step(X.data[i * 2]!));
    const m = await fitGBDT({ X, y, task: 'regression', maxIter: 3, learningRate: 1, minSamplesLeaf: 5 });
    const Xt = uniform(200, 2, 2);
    const p = await m.predict(Xt);
    for (let i = 0; i < Xt.n; i++) {
      const x = Xt.data[i * 2]!;
      if (Math.abs(x - 0.3) > 0.01 && Math.abs(x - 0.7) > 0.01) expect(p[i]).toBeCloseTo(step(x), 9);
    }
    // Only feature 0 matters.
    const imp = m.featureImportances();
    expect(imp[0]).toBeGreaterThan(0.999);
    expect(imp[0]! + imp[1]!).toBeCloseTo(1, 12);
  });

  it('learns XOR (binary) and ranks the two relevant features above the noise', async () => {
    const X = uniform(2000, 4, 3);
    const lab = (d: Float64Array, i: number) => ((d[i * 4]! > 0.5) !== (d[i * 4 + 1]! > 0.5) ? 1 : 0);
    const y = Float64Array.from({ length: X.n }, (_, i) => lab(X.data, i));
    const m = await fitGBDT({ X, y, task: 'binary' });
    const Xt = uniform(1000, 4, 4);
    const yt = Float64Array.from({ length: Xt.n }, (_, i) => lab(Xt.data, i));
    expect(accuracy(await m.predictClass(Xt), yt)).toBeGreaterThan(0.97);
    const p = await m.predict(Xt);
    for (const q of p) expect(q >= 0 && q <= 1).toBe(true);
    const imp = m.featureImportances();
    expect(Math.min(imp[0]!, imp[1]!)).toBeGreaterThan(4 * Math.max(imp[2]!, imp[3]!));
  });

  it('separates three classes (multiclass) with probabilities that sum to 1', async () => {
    const X = uniform(1500, 3, 5);
    const lab = (d: Float64Array, i: number) => (d[i * 3 + 2]! < 1 / 3 ? 0 : d[i * 3 + 2]! < 2 / 3 ? 1 : 2);
    const y = Float64Array.from({ length: X.n }, (_, i) => lab(X.data, i));
    const m = await fitGBDT({ X, y, task: 'multiclass' });
    expect(m.nClasses).toBe(3);
    expect(m.nTrees).toBe(3 * m.nIter);
    const Xt = uniform(600, 3, 6);
    const yt = Float64Array.from({ length: Xt.n }, (_, i) => lab(Xt.data, i));
    expect(accuracy(await m.predictClass(Xt), yt)).toBeGreaterThan(0.98);
    const p = await m.predict(Xt);
    expect(p.length).toBe(600 * 3);
    for (let i = 0; i < Xt.n; i++) expect(p[3 * i]! + p[3 * i + 1]! + p[3 * i + 2]!).toBeCloseTo(1, 12);
    expect(m.featureImportances()[2]).toBeGreaterThan(0.95);
  });

  it('learns which side missing values go to', async () => {
    // y = 10 where x0 is missing, 0 where x0 < 0.5, 1 above: the missing values must go with neither
    // half by accident; prediction at NaN gives 10. Then missing values that behave like the low half.
    const r = rng(7);
    const n = 1200;
    const data = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const u = Math.floor(r() * 50) / 50 + 0.01;
      data[i] = i % 4 === 0 ? NaN : u;
      y[i] = i % 4 === 0 ? 10 : u < 0.5 ? 0 : 1;
    }
    const m = await fitGBDT({ X: { data, n, d: 1 }, y, task: 'regression', learningRate: 1, maxIter: 20 });
    const p = await m.predict([[NaN], [0.2], [0.8]]);
    expect(p[0]).toBeCloseTo(10, 6);
    expect(p[1]).toBeCloseTo(0, 6);
    expect(p[2]).toBeCloseTo(1, 6);

    const yl = Float64Array.from(y, (v, i) => (i % 4 === 0 ? 0 : v));
    const ml = await fitGBDT({ X: { data, n, d: 1 }, y: yl, task: 'regression', learningRate: 1, maxIter: 1, maxLeafNodes: 2 });
    const pl = await ml.predict([[NaN], [0.2], [0.8]]);
    expect(pl[0]).toBeCloseTo(pl[1]!, 12); // the one split sends NaN left, with the low half
    expect(pl[2]).toBeCloseTo(1, 6);
    expect(ml.toJSON().missingLeft[0]).toBe(1);
  });

  it('is deterministic for a seed and gives the same model on 1, 2 and 4 threads', async () => {
    const X = uniform(12000, 6, 8); // above 10000: early stopping on ('auto'), so the seed picks the validation split
    const y = Float64Array.from({ length: X.n }, (_, i) => Math.sin(6 * X.data[i * 6]!) + X.data[i * 6 + 1]! * X.data[i * 6 + 2]!);
    const fits = await Promise.all([1, 2, 4, 2].map((threads) => fitGBDT({ X, y, task: 'regression', threads, seed: 3, maxIter: 30 })));
    const json = fits.map((m) => JSON.stringify(m.toJSON()));
    expect(fits[0]!.validationLoss.length).toBe(fits[0]!.nIter + 1);
    for (const j of json) expect(j).toBe(json[0]);
    const other = await fitGBDT({ X, y, task: 'regression', threads: 2, seed: 4, maxIter: 30 });
    expect(JSON.stringify(other.toJSON())).not.toBe(json[0]);
    const p1 = await fits[0]!.predict(X, { threads: 1 });
    const p2 = await fits[0]!.predict(X, { threads: 2 });
    expect(p2).toEqual(p1);
  });

  it('stops early when the validation loss stops improving', async () => {
    // Pure noise: nothing to learn, so the validation loss rises after a few iterations.
    const X = uniform(3000, 5, 9);
    const r = rng(10);
    const y = Float64Array.from({ length: X.n }, () => (r() < 0.5 ? 0 : 1));
    const m = await fitGBDT({ X, y, task: 'binary', earlyStopping: true, nIterNoChange: 5, maxIter: 500 });
    expect(m.nIter).toBeLessThan(60);
    expect(m.validationLoss.length).toBe(m.nIter + 1);
    // The rule: none of the last 5 losses beats the one before them by tol.
    const v = m.validationLoss;
    const ref = v[v.length - 6]!;
    for (const l of v.slice(-5)) expect(l).toBeGreaterThanOrEqual(ref - 1e-7);
    // 'auto' at n <= 10000: off.
    const full = await fitGBDT({ X, y, task: 'binary', maxIter: 40 });
    expect(full.nIter).toBe(40);
    expect(full.validationLoss).toEqual([]);
    expect(full.trainLoss[40]).toBeLessThan(full.trainLoss[0]!);
  });

  it('round-trips through JSON with identical predictions', async () => {
    const X = uniform(800, 5, 11);
    const y = Float64Array.from({ length: X.n }, (_, i) => Math.floor(3 * X.data[i * 5 + 1]!) % 3);
    for (let i = 0; i < X.data.length; i += 7) X.data[i] = NaN;
    const m = await fitGBDT({ X, y, task: 'multiclass', maxIter: 20 });
    const back = GBDTModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(back.nIter).toBe(m.nIter);
    expect(back.task).toBe('multiclass');
    const Xt = uniform(300, 5, 12);
    Xt.data[3] = NaN;
    expect(await back.predict(Xt)).toEqual(await m.predict(Xt));
    expect(back.featureImportances()).toEqual(m.featureImportances());
    expect(JSON.stringify(back.toJSON())).toBe(JSON.stringify(m.toJSON()));
  });

  it('weights samples: a weight of 0 removes a sample, integer weights repeat it', async () => {
    const X = grid(grid(uniform(300, 2, 13), 0), 1); // one bin per value, duplicated or not
    const y = Float64Array.from({ length: X.n }, (_, i) => X.data[i * 2]! + (i < 100 ? 5 : 0));
    const w = Float64Array.from({ length: X.n }, (_, i) => (i < 100 ? 0 : 2));
    const idx = Array.from({ length: 200 }, (_, i) => i + 100);
    const dup = [...idx, ...idx].sort((a, b) => a - b);
    const opts = { task: 'regression' as const, maxIter: 10, minSamplesLeaf: 1 };
    const a = await fitGBDT({ ...opts, X, y, sampleWeight: w });
    const b = await fitGBDT({ ...opts, X: rows(X, dup), y: Float64Array.from(dup, (i) => y[i]!) });
    // At the kept rows (between values, the zero-weight rows' own values may move a threshold).
    const Xt = rows(X, idx);
    const pa = await a.predict(Xt);
    const pb = await b.predict(Xt);
    for (let i = 0; i < Xt.n; i++) expect(pa[i]).toBeCloseTo(pb[i]!, 9);
  });

  it('takes rows of numbers as well as a Matrix, and treats categorical columns as codes', async () => {
    const X = [[0, 1], [1, 0], [2, 1], [0, 0], [1, 1], [2, 0]];
    const y = [1, 2, 3, 1, 2, 3];
    const m = await fitGBDT({ X, y, task: 'regression', categorical: [0], minSamplesLeaf: 1, learningRate: 1, maxIter: 5 });
    expect(Array.from(await m.predict([[0, 0], [1, 0], [2, 0]]), (v) => +v.toFixed(9))).toEqual([1, 2, 3]);
    expect(m.toJSON().categorical).toEqual([0]);
  });
});
