import { describe, expect, it } from 'vitest';
import { tableFromCsv, tableFromRows } from '../../src/automl/data.js';
import { inferTask, prepareTarget } from '../../src/automl/target.js';

const col = (values: unknown[]) => tableFromRows(values.map((v) => ({ y: v }))).columns[0]!;

describe('inferTask', () => {
  it('labels are classes: two levels binary, more multiclass', () => {
    expect(inferTask(col(['a', 'b', 'a']))).toBe('binary');
    expect(inferTask(col(['a', 'b', 'c']))).toBe('multiclass');
  });

  it('few distinct integers with >= 10 rows each are classes', () => {
    expect(inferTask(col(Array.from({ length: 20 }, (_, i) => i % 2)))).toBe('binary');
    expect(inferTask(col(Array.from({ length: 30 }, (_, i) => i % 3)))).toBe('multiclass');
  });

  it('integers with too few rows per value, many values, or fractions are regression', () => {
    expect(inferTask(col(Array.from({ length: 29 }, (_, i) => i % 3)))).toBe('regression'); // 29 < 10·3
    expect(inferTask(col(Array.from({ length: 1000 }, (_, i) => i % 21)))).toBe('regression'); // 21 > 20 values
    expect(inferTask(col(Array.from({ length: 40 }, (_, i) => (i % 2) + 0.5)))).toBe('regression');
  });
});

describe('prepareTarget', () => {
  it('codes classes in sorted order and drops rows with a missing target, counting them', () => {
    const t = tableFromCsv('x,y\n1,dog\n2,cat\n3,\n4,dog\n5,NA\n', 'p.csv');
    const target = prepareTarget(t, 'y');
    expect(target.task).toBe('binary');
    expect(target.classes).toEqual(['cat', 'dog']);
    expect(Array.from(target.y)).toEqual([1, 0, 1]);
    expect(Array.from(target.rows)).toEqual([0, 1, 3]);
    expect(target.dropped).toBe(2);
  });

  it('honours a task override and checks it against the column', () => {
    const t = tableFromRows([0, 1, 2, 1, 0].map((y) => ({ y })));
    expect(prepareTarget(t, 'y').task).toBe('regression'); // 5 rows: too few for 3 classes
    const m = prepareTarget(t, 'y', 'multiclass');
    expect(m.task).toBe('multiclass');
    expect(m.classes).toEqual([0, 1, 2]);
    expect(() => prepareTarget(t, 'y', 'binary')).toThrow('Task "binary" needs exactly 2 classes but the target column "y" has 3');
    const labels = tableFromRows(['a', 'b'].map((y) => ({ y })));
    expect(() => prepareTarget(labels, 'y', 'regression')).toThrow('The target column "y" holds labels (e.g. "a"); task "regression" needs numbers');
    expect(() => prepareTarget(labels, 'y', 'multiclass')).toThrow('Task "multiclass" needs at least 3 classes but the target column "y" has 2; use "binary"');
    expect(() => prepareTarget(t, 'y', 'clustering' as never)).toThrow('Expected one of "binary", "multiclass", "regression" for `task` but received "clustering"');
  });

  it('refuses a missing column, a constant target and a single class', () => {
    const t = tableFromCsv('a,b\n1,x\n2,x\n', 'c.csv');
    expect(() => prepareTarget(t, 'label')).toThrow('The target column "label" is not in the table; its columns are "a", "b"');
    expect(() => prepareTarget(t, 'b')).toThrow('The target column "b" is constant (every present value is "x"): there is nothing to learn');
    const n = tableFromCsv('a\n3\n3\nNA\n', 'c.csv');
    expect(() => prepareTarget(n, 'a')).toThrow('The target column "a" is constant (every present value is 3): there is nothing to learn');
    const empty = tableFromCsv('a,b\nNA,1\n?,2\n', 'c.csv');
    expect(() => prepareTarget(empty, 'a')).toThrow('The target column "a" has no values: every row is missing');
  });
});
