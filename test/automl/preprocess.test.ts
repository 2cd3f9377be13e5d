import { describe, expect, it } from 'vitest';
import { tableFromCsv, tableFromRows } from '../../src/automl/data.js';
import { fitPreprocessor, loadPreprocessor, MISSING_LEVEL, OTHER_LEVEL } from '../../src/automl/preprocess.js';

const table = tableFromCsv('age,color,size\n20,red,1\n30,blue,2\nNA,red,3\n40,,4\n', 't.csv');

describe('fitPreprocessor', () => {
  it('imputes, one-hot encodes and scales from the fitted rows', () => {
    const p = fitPreprocessor(table, ['age', 'color'], { numericImpute: 'mean' });
    expect(p.outputNames).toEqual(['age', 'color=red', 'color=blue', `color=${MISSING_LEVEL}`]);
    const X = p.transform(table);
    expect([X.n, X.d]).toEqual([4, 4]);
    // age: [20, 30, mean 30, 40] → standardised with mean 30, sd sqrt(50).
    const sd = Math.sqrt(50);
    expect(Array.from({ length: 4 }, (_, i) => X.data[i * 4]!)).toEqual([-10 / sd, 0, 0, 10 / sd].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(X.data.subarray(12, 16)).slice(1)).toEqual([0, 0, 1]); // the blank color has its own level
  });

  it('median imputation and most-frequent categories; unseen labels go nowhere without pooling', () => {
    const p = fitPreprocessor(table, ['age', 'color'], { numericImpute: 'median', categoricalImpute: 'most_frequent', scaling: 'none' });
    expect(p.outputNames).toEqual(['age', 'color=red', 'color=blue']);
    const X = p.transform([{ age: null, color: null }, { age: 5, color: 'green' }]);
    expect(Array.from(X.data)).toEqual([30, 1, 0, 5, 0, 0]);
  });

  it('pools levels past maxLevels as "other", which also takes unseen labels', () => {
    const t = tableFromRows(['a', 'a', 'a', 'b', 'b', 'c', 'd'].map((c) => ({ c })));
    const p = fitPreprocessor(t, ['c'], { maxLevels: 2, scaling: 'none', categoricalImpute: 'most_frequent' });
    expect(p.outputNames).toEqual(['c=a', 'c=b', `c=${OTHER_LEVEL}`]);
    expect(Array.from(p.transform([{ c: 'd' }, { c: 'zzz' }, { c: 'b' }]).data)).toEqual([0, 0, 1, 0, 0, 1, 0, 1, 0]);
  });

  it('ordinal codes in frequency order; unseen labels are -1 before scaling', () => {
    const p = fitPreprocessor(table, ['color'], { encoding: 'ordinal', scaling: 'none', categoricalImpute: 'most_frequent' });
    expect(Array.from(p.transform([{ color: 'red' }, { color: 'blue' }, { color: 'teal' }]).data)).toEqual([0, 1, -1]);
  });

  it('fits statistics on the given rows only', () => {
    const p = fitPreprocessor(table, ['size'], {}, { rows: Int32Array.of(0, 1) });
    // sizes 1, 2 → mean 1.5, sd 0.5: row 3 (size 4) maps to 5 even though it was not fitted on.
    expect(p.transform(table).data[3]).toBeCloseTo(5, 12);
  });

  it('selects features by variance or by univariate score', () => {
    const t = tableFromRows(Array.from({ length: 40 }, (_, i) => ({ signal: i % 2, noise: (i * 7919) % 13, flat: 1 })));
    const y = Float64Array.from({ length: 40 }, (_, i) => i % 2);
    const v = fitPreprocessor(t, ['signal', 'noise', 'flat'], { scaling: 'none', selection: { kind: 'variance', threshold: 0 } });
    expect(v.outputNames).toEqual(['signal', 'noise']);
    const k = fitPreprocessor(t, ['noise', 'signal', 'flat'], { selection: { kind: 'topk', k: 1 } }, { y, task: 'binary' });
    expect(k.outputNames).toEqual(['signal']);
    expect(k.transform(t).d).toBe(1);
    expect(() => fitPreprocessor(t, ['signal'], { selection: { kind: 'topk', k: 1 } })).toThrow("Feature selection 'topk' needs the targets: pass `y` and `task` to fitPreprocessor");
  });

  it('round-trips through JSON with identical output', () => {
    const p = fitPreprocessor(table, ['age', 'color', 'size'], { maxLevels: 1 });
    const q = loadPreprocessor(JSON.parse(JSON.stringify(p.toJSON())));
    expect(q.outputNames).toEqual(p.outputNames);
    expect(q.transform(table)).toEqual(p.transform(table));
  });

  it('names a column the model needs and the table lacks', () => {
    const p = fitPreprocessor(table, ['age', 'color']);
    expect(() => p.transform([{ age: 3 }])).toThrow('The feature column "color" is not in the table; its columns are "age"');
  });

  it('parses numbers given as text and refuses labels in a numeric column', () => {
    const p = fitPreprocessor(table, ['age'], { scaling: 'none' });
    expect(Array.from(p.transform([{ age: '25' }]).data)).toEqual([25]);
    expect(() => p.transform([{ age: 'old' }])).toThrow('Column "age" was numeric when the model was fitted but row 0 holds "old"');
  });

  it('checks its configuration', () => {
    expect(() => fitPreprocessor(table, ['age'], { scaling: 'minmax' } as never)).toThrow('Expected one of "standard", "none" for `scaling` but received "minmax"');
    expect(() => fitPreprocessor(table, ['age'], { scale: 'none' } as never)).toThrow(/Unknown option `scale` in `preprocess config`/);
    expect(() => fitPreprocessor(table, [])).toThrow('Expected at least one feature column for `features` but received none');
    expect(() => loadPreprocessor({})).toThrow('Expected a saved preprocessor (format "tunable.preprocessor") for `json` but received an object (Object)');
  });
});
