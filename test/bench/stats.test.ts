import { describe, expect, it } from 'vitest';
import { parseReferenceTable } from '../../bench/regret/reference.js';
import { g3, quartiles } from '../../bench/regret/stats.js';

describe('bench/regret statistics and the reference table', () => {
  it("format like Python's .3g, so cells compare as printed", () => {
    // Left: Python's f'{x:.3g}' of the right-hand value.
    const cases: [string, number][] = [['1.12e+03', 1120.4], ['717', 717], ['0.0682', 0.06815], ['54', 54], ['0.052', 0.052],
      ['1.23e-05', 1.234e-5], ['1e+03', 999.6], ['0.000123', 0.0001234], ['17.1', 17.11], ['1e+06', 1e6], ['-3.3', -3.3], ['0.5', 0.5]];
    for (const [py, x] of cases) expect(g3(x)).toBe(py);
  });

  it('take quartiles as numpy.percentile does', () => {
    expect(quartiles([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])).toEqual({ q1: 2.25, median: 3.5, q3: 5 });
  });

  it('read the README table by column header and problem, with budgets', () => {
    const md = 'text\n\n| problem (budget) | random | cma-es |\n|---|---|---|\n| branin (60) | 0.884 [0.483, 1.54] | 0.496 [0.0905, 1.33] |\n' +
      '| rosenbrock4 (100) | 1.12e+03 [717, 1.63e+03] | 38 [22.3, 68.5] |\n\nafter\n';
    const t = parseReferenceTable(md);
    expect(t.cells.get('rosenbrock4')?.get('random')).toEqual({ median: 1120, q1: 717, q3: 1630 });
    expect(t.cells.get('branin')?.get('cma-es')).toEqual({ median: 0.496, q1: 0.0905, q3: 1.33 });
    expect([...t.budgets]).toEqual([['branin', 60], ['rosenbrock4', 100]]);
    expect(() => parseReferenceTable(md.replace('38 [22.3, 68.5]', '38'))).toThrow('unreadable reference cell "38" (rosenbrock4, cma-es)');
  });
});
