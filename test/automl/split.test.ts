import { describe, expect, it } from 'vitest';
import { holdout, kFold, planSplits } from '../../src/automl/split.js';

/** 3 classes of 50, 30 and 20 rows, interleaved. */
const y = Float64Array.from({ length: 100 }, (_, i) => (i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2));
const count = (rows: Int32Array, c: number) => Array.from(rows).filter((r) => y[r] === c).length;

describe('planSplits', () => {
  it('sets the test rows aside first, stratified, and never in a fold', () => {
    const plan = planSplits(y, 'multiclass', { seed: 3 });
    expect(plan.kind).toBe('kfold');
    expect(plan.test.length).toBe(20);
    expect([count(plan.test, 0), count(plan.test, 1), count(plan.test, 2)]).toEqual([10, 6, 4]);
    const test = new Set(plan.test);
    expect(plan.dev.length + plan.test.length).toBe(100);
    for (const f of plan.folds) {
      for (const r of [...f.train, ...f.valid]) expect(test.has(r)).toBe(false);
      expect(f.train.length + f.valid.length).toBe(80);
      expect(new Set([...f.train, ...f.valid]).size).toBe(80);
    }
    // Every development row is validated exactly once over the folds.
    expect(plan.folds.flatMap((f) => Array.from(f.valid)).sort((a, b) => a - b)).toEqual(Array.from(plan.dev));
  });

  it('stratifies the folds: each holds every class in proportion', () => {
    const plan = planSplits(y, 'multiclass', { seed: 1, testFraction: 0 });
    for (const f of plan.folds) {
      expect(f.valid.length).toBe(20);
      expect([count(f.valid, 0), count(f.valid, 1), count(f.valid, 2)]).toEqual([10, 6, 4]);
    }
  });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(planSplits(y, 'binary', { seed: 7 })).toEqual(planSplits(y, 'binary', { seed: 7 }));
    expect(planSplits(y, 'binary', { seed: 7 }).test).not.toEqual(planSplits(y, 'binary', { seed: 8 }).test);
  });

  it('uses one holdout at or above kfoldBelow rows', () => {
    const plan = planSplits(y, 'regression', { seed: 0, kfoldBelow: 50, holdoutFraction: 0.25 });
    expect(plan.kind).toBe('holdout');
    expect(plan.folds).toHaveLength(1);
    expect(plan.folds[0]!.valid.length).toBe(20);
    expect(plan.folds[0]!.train.length).toBe(60);
  });

  it('checks its options', () => {
    expect(() => planSplits(y, 'binary', { testFraction: 0.7 })).toThrow('Expected a number in [0, 0.5] for `testFraction` but received 0.7');
    expect(() => planSplits(y, 'binary', { folds: 1 })).toThrow('Expected an integer >= 2 for `folds` but received 1');
    expect(() => planSplits(y, 'binary', { fold: 3 } as never)).toThrow(/Unknown option `fold` in `split options` \(did you mean `folds`\?\)/);
    expect(() => planSplits(Float64Array.of(0, 1), 'binary')).toThrow('Cannot make 5 folds from 2 development rows');
  });
});

describe('holdout and kFold', () => {
  it('keeps a rare class on both sides of a holdout', () => {
    const rare = Float64Array.from({ length: 50 }, (_, i) => (i < 2 ? 1 : 0));
    const { a, b } = holdout(Int32Array.from({ length: 50 }, (_, i) => i), rare, 0.1, 0);
    expect(Array.from(a).filter((r) => rare[r] === 1)).toHaveLength(1);
    expect(Array.from(b).filter((r) => rare[r] === 1)).toHaveLength(1);
  });

  it('makes folds of sizes differing by at most one without strata', () => {
    const folds = kFold(Int32Array.from({ length: 23 }, (_, i) => i), null, 5, 0);
    expect(folds.map((f) => f.valid.length).sort()).toEqual([4, 4, 5, 5, 5]);
  });
});
