import { describe, expect, it } from 'vitest';
import { ackley, branin, hartmann6, PROBLEMS, rosenbrock } from '../../bench/regret/functions.js';

describe('bench/regret test functions', () => {
  it('reach the known minima at the known minimisers', () => {
    for (const x of [[-Math.PI, 12.275], [Math.PI, 2.275], [9.42478, 2.475]]) expect(branin(x)).toBeCloseTo(0.397887, 6);
    expect(hartmann6([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573])).toBeCloseTo(-3.32237, 5);
    expect(ackley([0, 0, 0, 0, 0])).toBeCloseTo(0, 12);
    expect(rosenbrock([1, 1, 1, 1])).toBe(0);
  });

  // Values printed by bench/reference/functions.py at arbitrary points: the formulas, not only the minima, agree.
  it('match the reference functions away from the minima', () => {
    expect(branin([1, 2])).toBeCloseTo(21.62763539206238, 10);
    expect(hartmann6([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])).toBeCloseTo(-1.4069105761385297, 10);
    expect(ackley([1.5, -2, 0.3, 10, -31])).toBeCloseTo(20.239464229622495, 10);
    expect(rosenbrock([0.5, -1, 2, 3])).toBeCloseTo(361.5, 10);
  });

  it('carry the domains, minima and budgets of functions.py', () => {
    expect(PROBLEMS.map((p) => [p.name, p.bounds.length, p.fmin, p.budget])).toEqual([
      ['branin', 2, 0.397887, 60],
      ['hartmann6', 6, -3.32237, 100],
      ['ackley5', 5, 0, 100],
      ['rosenbrock4', 4, 0, 100],
    ]);
  });
});
