/** Import is all or nothing; Python's JSON as Optuna writes and reads it. */
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { checkStudy } from '../../src/interop/optuna/record.js';
import { storeStudies } from '../../src/interop/optuna/store.js';
import { fromOptunaDistribution, toOptunaDistribution } from '../../src/interop/optuna/distributions.js';
import { formatDatetime, parseDatetime } from '../../src/interop/optuna/format.js';
import { PyFloat, pyDumps, pyParse } from '../../src/interop/optuna/pyjson.js';
import type { TrialTemplate } from '../../src/storage/base.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';

/** A storage whose n-th createTrial fails, as a server gone mid-import would. */
class FailingStorage extends MemoryStorage {
  calls = 0;
  constructor(readonly failAt: number) {
    super();
  }
  override async createTrial(studyId: number, template?: TrialTemplate): Promise<FrozenTrial> {
    if (++this.calls === this.failAt) throw new StorageError('connection lost');
    return super.createTrial(studyId, template);
  }
}

const study = (name: string, n: number) =>
  checkStudy({
    name,
    directions: ['minimize'],
    userAttrs: { a: 1 },
    systemAttrs: {},
    trials: Array.from({ length: n }, (_, i) => ({
      number: i,
      state: TrialState.COMPLETE,
      values: [i],
      params: {},
      userAttrs: {},
      systemAttrs: {},
      intermediate: [],
      start: null,
      complete: null,
    })),
  });

describe('storeStudies', () => {
  it('deletes every study it created when a write fails part way', async () => {
    const s = new FailingStorage(5);
    await expect(storeStudies(s, [study('a', 3), study('b', 3)])).rejects.toThrow('connection lost');
    expect(await s.getAllStudies()).toEqual([]);
  });

  it('writes them all otherwise', async () => {
    const s = new FailingStorage(0);
    expect(await storeStudies(s, [study('a', 3), study('b', 2)])).toEqual([
      { studyName: 'a', studyId: 1, nTrials: 3 },
      { studyName: 'b', studyId: 2, nTrials: 2 },
    ]);
  });
});

describe('Python JSON', () => {
  it('reads NaN and ±Infinity, refuses integers that would lose digits', () => {
    expect(pyParse('[NaN, Infinity, -Infinity, 1.5e-7, -0.0, {"__proto__": 1}]')).toEqual([NaN, Infinity, -Infinity, 1.5e-7, -0, JSON.parse('{"__proto__": 1}')]);
    expect(() => pyParse('9007199254740993')).toThrow(/beyond 2\^53/);
    expect(pyParse('9007199254740993.0')).toBe(9007199254740992);
    expect(() => pyParse('{"a": 1')).toThrow(/unexpected end/);
    expect(() => pyParse('[1] x')).toThrow(/end of the value/);
  });

  it('writes floats as Python floats and integers as integers', () => {
    expect(pyDumps({ f: new PyFloat(2), g: new PyFloat(-0), h: new PyFloat(1e21), i: 2, s: 'é"', n: null })).toBe(
      '{"f": 2.0, "g": -0.0, "h": 1e+21, "i": 2, "s": "é\\"", "n": null}',
    );
  });

  it('maps distributions both ways, deprecated classes included', () => {
    const f = fromOptunaDistribution('{"name": "FloatDistribution", "attributes": {"step": 0.25, "low": 0.0, "high": 2.0, "log": false}}');
    expect(f).toEqual({ type: 'float', low: 0, high: 2, log: false, step: 0.25 });
    expect(toOptunaDistribution(f)).toBe('{"name": "FloatDistribution", "attributes": {"step": 0.25, "low": 0.0, "high": 2.0, "log": false}}');
    expect(fromOptunaDistribution({ name: 'LogUniformDistribution', attributes: { low: 1e-3, high: 1 } })).toMatchObject({ type: 'float', log: true });
    expect(fromOptunaDistribution({ name: 'DiscreteUniformDistribution', attributes: { low: 0, high: 1, q: 0.5 } })).toMatchObject({ step: 0.5 });
    expect(fromOptunaDistribution({ name: 'IntLogUniformDistribution', attributes: { low: 1, high: 8, step: 1 } })).toMatchObject({ type: 'int', log: true });
    expect(() => fromOptunaDistribution({ name: 'CategoricalDistribution', attributes: { choices: [1, NaN] } })).toThrow(/choices\[1\]/);
  });

  it('writes datetimes as naive local ISO with microseconds and reads them back', () => {
    const d = new Date(2024, 0, 2, 3, 4, 5, 67);
    expect(formatDatetime(d)).toBe('2024-01-02T03:04:05.067000');
    expect(parseDatetime('2024-01-02T03:04:05.067999')).toEqual(d);
    expect(parseDatetime('2024-01-02 03:04:05.067')).toEqual(d);
    expect(parseDatetime('2024-01-02T03:04:05+01:00')).toEqual(new Date(Date.UTC(2024, 0, 2, 2, 4, 5)));
    expect(parseDatetime('yesterday')).toBeNull();
  });
});
