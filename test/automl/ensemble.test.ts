import { describe, expect, it } from 'vitest';
import { blend, selectEnsemble } from '../../src/automl/ensemble.js';

describe('selectEnsemble (Caruana greedy selection with replacement)', () => {
  // Regression on 4 rows: a and b err in opposite directions, so their average is exact; c is worse than either.
  const y = Float64Array.from([1, 2, 3, 4]);
  const a = Float64Array.from([1.5, 2.5, 3.5, 4.5]);
  const b = Float64Array.from([0.5, 1.5, 2.5, 3.5]);
  const c = Float64Array.from([3, 4, 5, 6]);

  it('averages models whose errors cancel and leaves out the one that does not help', () => {
    const s = selectEnsemble([c, a, b], y, 'regression', 'rmse', 1);
    expect(s.score).toBeCloseTo(0, 12);
    expect(s.members).toEqual([{ index: 1, weight: 0.5 }, { index: 2, weight: 0.5 }]);
  });

  it('keeps the single best model when no mixture beats it', () => {
    const s = selectEnsemble([c, y, a], y, 'regression', 'rmse', 1);
    expect(s.members).toEqual([{ index: 1, weight: 1 }]);
    expect(s.score).toBe(0);
  });

  it('weights a model picked twice twice (selection with replacement)', () => {
    // The target sits at 2/3 a + 1/3 b: (a, a, b) reaches it, no 50/50 mix does.
    const y2 = Float64Array.from([1 + 1 / 6, 2 + 1 / 6, 3 + 1 / 6, 4 + 1 / 6]);
    const s = selectEnsemble([a, b], y2, 'regression', 'rmse', 1, 3);
    expect(s.members.map((m) => [m.index, Number(m.weight.toFixed(4))])).toEqual([[0, 0.6667], [1, 0.3333]]);
  });

  it('maximises a metric that is better when higher (accuracy on binary probabilities)', () => {
    const yb = Float64Array.from([0, 1, 1, 0]);
    const good = Float64Array.from([0.2, 0.9, 0.6, 0.3]);
    const bad = Float64Array.from([0.9, 0.1, 0.2, 0.8]);
    const s = selectEnsemble([bad, good], yb, 'binary', 'accuracy', 2);
    expect(s.members).toEqual([{ index: 1, weight: 1 }]);
    expect(s.score).toBe(1);
  });

  it('refuses candidates of different lengths, naming the index', () => {
    expect(() => selectEnsemble([a, Float64Array.from([1])], y, 'regression', 'rmse', 1)).toThrow('Expected 4 predictions for `candidates[1]` but received 1');
    expect(() => selectEnsemble([], y, 'regression', 'rmse', 1)).toThrow('Expected at least one candidate for `candidates` but received none');
  });

  it('blend is the weighted average, row by row', () => {
    expect(Array.from(blend([a, b], [0.25, 0.75]))).toEqual([0.75, 1.75, 2.75, 3.75]);
  });
});
