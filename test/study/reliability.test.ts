/**
 * Regression tests for defects found by driving the API as an adversarial user would: each test failed
 * before its fix. Numbers refer to the defects of the reliability work listed in docs/reliability.md.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createStudy,
  GPSampler,
  GridSampler,
  RegularizedEvolutionSampler,
  TPESampler,
  type Sampler,
  InvalidArgumentError,
  MemoryStorage,
  RandomSampler,
  SqliteStorage,
  StorageError,
  TrialState,
  TunableError,
  UnknownOptionError,
  type Storage,
  type Study,
} from '../../src/index.js';
import { MAX_CONCURRENCY } from '../../src/study/optimize.js';
import { CmaEsSampler } from '../../src/samplers/cmaes/index.js';
import { QMCSampler } from '../../src/samplers/qmc.js';
import { storageUrls, tempDir } from '../helpers.js';

const storages: [string, () => string | Storage][] = storageUrls().map(([name, url]) => [
  name,
  name === 'memory' ? () => new MemoryStorage() : url,
]);

/** The error `f` throws (sync or async), or a failure when it throws none. */
async function caught(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

async function expectCode(f: () => unknown, code: string, message?: RegExp): Promise<void> {
  const e = await caught(f);
  expect(e).toBeInstanceOf(TunableError);
  expect(e).toMatchObject({ code });
  if (message) expect((e as Error).message).toMatch(message);
}

describe.each(storages)('reliability on %s storage', (_name, makeStorage) => {
  const study = (extra = {}): Promise<Study> => createStudy({ storage: makeStorage(), sampler: new RandomSampler({ seed: 0 }), ...extra });

  it('2: concurrency is bounded and never exceeds the trials to run', async () => {
    const s = await study();
    await expectCode(() => s.optimize(() => 1, { nTrials: 2, concurrency: 1e6 }), 'ERR_INVALID_ARGUMENT', /\[1, 4096\] for `concurrency` but received 1000000/);
    await expectCode(() => s.optimize(() => 1, { nTrials: 2, concurrency: 5e9 }), 'ERR_INVALID_ARGUMENT', /concurrency/);
    let running = 0;
    let peak = 0;
    await s.optimize(async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return 1;
    }, { nTrials: 3, concurrency: MAX_CONCURRENCY });
    expect(peak).toBe(3);
    expect(s.trials.map((t) => t.state)).toEqual(['COMPLETE', 'COMPLETE', 'COMPLETE']);
  });

  it('3: a timeout ends optimize() even when the objective never settles; its trial is failed with a reason', async () => {
    const s = await study();
    let late: Promise<unknown> | null = null;
    await s.optimize((t) => {
      t.suggestFloat('x', 0, 1);
      late = new Promise(() => undefined);
      return late as Promise<number>;
    }, { timeout: 0.05, gracePeriod: 0.05 });
    expect(s.trials).toHaveLength(1);
    expect(s.trials[0]!.state).toBe(TrialState.FAIL);
    expect(s.trials[0]!.systemAttrs['failReason']).toMatch(/timed out.*gracePeriod/);
    expect(await s.getTrials({ states: [TrialState.RUNNING] })).toEqual([]);
  });

  it('3: an objective that finishes within the grace period is recorded; one that rejects after being abandoned is harmless', async () => {
    const s = await study();
    await s.optimize(async () => {
      await new Promise((r) => setTimeout(r, 80));
      return 4;
    }, { timeout: 0.01, gracePeriod: 5 });
    expect(s.trials.map((t) => t.values)).toEqual([[4]]);
    await s.optimize(async (t) => {
      await new Promise((r) => setTimeout(r, 60));
      t.report(1, 0);  // the trial was failed meanwhile: this throws into the abandoned promise
      return 1;
    }, { timeout: 0.01, gracePeriod: 0.01 });
    await new Promise((r) => setTimeout(r, 100));  // an unhandled rejection would fail the test run
    expect(s.trials[1]!.state).toBe(TrialState.FAIL);
  });

  it('4: non-JSON user attributes are refused at setUserAttr, and the trial can still be told', async () => {
    const s = await study();
    const t = await s.ask();
    for (const bad of [NaN, Infinity, -Infinity, { a: NaN }, [1, NaN], new Map([['a', 1]]), new Set([1]), new Date(0), 10n, () => 1, undefined, [1, , 3], { a: undefined }]) {
      await expectCode(() => t.setUserAttr('acc', bad), 'ERR_INVALID_ARGUMENT', /user attribute "acc"/);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await expectCode(() => t.setUserAttr('c', cyclic), 'ERR_INVALID_ARGUMENT', /cycles/);
    t.setUserAttr('ok', { a: [1, 'x', null, true, { b: -0.5 }] });
    const told = await s.tell(t, 1);
    expect(told.state).toBe(TrialState.COMPLETE);
    expect(told.userAttrs).toEqual({ ok: { a: [1, 'x', null, true, { b: -0.5 }] } });
    const u = await s.ask();
    await expectCode(() => s.setUserAttr('x', NaN), 'ERR_INVALID_ARGUMENT');
    expect((await s.tell(u, 'FAIL')).state).toBe(TrialState.FAIL);
  });

  it('6: a trial told to a study it does not belong to is refused and nothing is written', async () => {
    const storage = makeStorage();
    const a = await createStudy({ storage, studyName: 'a', sampler: new RandomSampler() });
    const b = await createStudy({ storage: typeof storage === 'string' ? storage : storage, studyName: 'b', sampler: new RandomSampler() });
    const tb = await b.ask();
    await expectCode(() => a.tell(tb, 7), 'ERR_INVALID_ARGUMENT', /belongs to study "b", not to study "a"/);
    expect((await b.getTrials())[0]!.state).toBe(TrialState.RUNNING);
    expect(await a.getTrials()).toEqual([]);
    expect((await b.tell(tb, 3)).values).toEqual([3]);
  });

  it('10: ask() that fails after creating its trial leaves no RUNNING orphan', async () => {
    const sampler = new RandomSampler({ seed: 0 });
    const s = await createStudy({ storage: makeStorage(), sampler });
    await s.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 1 });
    sampler.inferRelativeSearchSpace = async () => ({ x: (await s.getTrials())[0]!.distributions['x']! });
    sampler.sampleRelative = () => Promise.reject(new InvalidArgumentError('the search space is too large for this sampler'));
    await expectCode(() => s.ask(), 'ERR_INVALID_ARGUMENT', /too large/);
    // an enqueued value outside the define-and-run space
    const fresh = await createStudy({ storage: makeStorage(), sampler: new RandomSampler() });
    await fresh.enqueueTrial({ y: 5 });
    await expectCode(() => fresh.ask({ y: { type: 'float', low: 0, high: 1 } }), 'ERR_INVALID_ARGUMENT', /enqueued parameter "y"/);
    for (const st of [s, fresh]) {
      expect(await st.getTrials({ states: [TrialState.RUNNING] })).toEqual([]);
      const failed = await st.getTrials({ states: [TrialState.FAIL] });
      expect(failed).toHaveLength(1);
      expect(failed[0]!.systemAttrs['failReason']).toMatch(/^ask\(\) failed before the trial was handed out/);
    }
  });

  it('8: names that exist on Object.prototype are ordinary names', async () => {
    const s = await study();
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
    const t = await s.ask();
    const values = names.map((n, i) => t.suggestFloat(n, i, i + 1));
    for (const n of names) t.setUserAttr(n, n.length);
    expect(Object.getPrototypeOf(t.userAttrs)).toBe(null);
    expect(Object.keys(t.params)).toEqual(names);
    const told = await s.tell(t, 1);
    expect(names.map((n) => told.params[n])).toEqual(values);
    expect(names.map((n) => told.userAttrs[n])).toEqual(names.map((n) => n.length));
    // enqueued with such names, and read back through a fresh study object
    await s.enqueueTrial(JSON.parse('{"__proto__": 0.5, "constructor": 1.5}') as Record<string, number>);
    const e = await s.ask();
    expect(e.suggestFloat('__proto__', 0, 1)).toBe(0.5);
    expect(e.suggestFloat('constructor', 1, 2)).toBe(1.5);
    expect(e.suggestFloat('toString', 2, 3)).not.toBeNaN();
    await s.tell(e, 2);
  });

  it('12: lone surrogates in names are refused (they have no UTF-8 form); paired ones round-trip', async () => {
    const s = await study();
    const t = await s.ask();
    await expectCode(() => t.suggestFloat('x\uD800', 0, 1), 'ERR_INVALID_ARGUMENT', /lone surrogate \(U\+D800\) at index 1/);
    await expectCode(() => t.setUserAttr('\uDC00', 1), 'ERR_INVALID_ARGUMENT', /lone surrogate/);
    await expectCode(() => createStudy({ storage: makeStorage(), studyName: 'bad\uD83D' }), 'ERR_INVALID_ARGUMENT', /studyName/);
    t.suggestFloat('emoji 😀', 0, 1);
    t.setUserAttr('note', 'half \uD800 in a value is escaped in JSON and kept');
    const told = await s.tell(t, 1);
    expect(Object.keys(told.params)).toEqual(['emoji 😀']);
    expect(told.userAttrs['note']).toBe('half \uD800 in a value is escaped in JSON and kept');
  });
});

describe('found by the property-based harness (test/fuzz)', () => {
  it('ask() adds its trial to study.trials', async () => {
    const s = await createStudy({ sampler: new RandomSampler() });
    const t = await s.ask();
    expect(s.trials.map((x) => [x.number, x.state])).toEqual([[t.number, TrialState.RUNNING]]);
    await s.ask({ x: { type: 'float', low: 0, high: 1 } });
    expect(Object.keys(s.trials[1]!.params)).toEqual(['x']);
  });

  it('stepped floats whose low is not a 15-digit number stay inside the range', async () => {
    const s = await createStudy({ sampler: new RandomSampler({ seed: 3 }) });
    await s.optimize((t) => t.suggestFloat('x', 0.1 + 0.2, 1.3, { step: 0.5 }) + t.suggestFloat('y', 4.2036808286310603e-193, 0.1, { step: 0.1 }), { nTrials: 40 });
    expect(s.trials.every((t) => t.state === TrialState.COMPLETE)).toBe(true);
    expect(new Set(s.trials.map((t) => t.params['x'])).size).toBe(3);
  });

  it('report() refuses a step beyond 2^53 at once, so the trial can still complete', async () => {
    const s = await createStudy({ sampler: new RandomSampler() });
    const t = await s.ask();
    await expectCode(() => t.report(0, 2 ** 53), 'ERR_INVALID_ARGUMENT', /`step`/);
    expect((await s.tell(t, 1)).state).toBe(TrialState.COMPLETE);
  });

  it('two handles on one SQLite study may tell each other\'s trials; a private :memory: one may not', async () => {
    const url = `sqlite:${join(tempDir(), 'two.db')}`;
    const a = await createStudy({ storage: url, studyName: 's', sampler: new RandomSampler() });
    const b = await createStudy({ storage: url, studyName: 's', loadIfExists: true, sampler: new RandomSampler() });
    expect((await a.tell(await b.ask(), 2)).values).toEqual([2]);
    const m1 = await createStudy({ storage: 'sqlite::memory:', studyName: 's' });
    const m2 = await createStudy({ storage: 'sqlite::memory:', studyName: 's' });
    await expectCode(async () => m1.tell(await m2.ask(), 0), 'ERR_INVALID_ARGUMENT', /in another storage/);
  });

  it('ask(space) with a bad parameter name creates no trial', async () => {
    const s = await createStudy({ sampler: new RandomSampler() });
    await expectCode(() => s.ask({ '': { type: 'int', low: 0, high: 0 } }), 'ERR_INVALID_ARGUMENT', /`distributions key`/);
    await expectCode(() => s.ask({ '\uD800': { type: 'int', low: 0, high: 0 } }), 'ERR_INVALID_ARGUMENT', /lone surrogate/);
    expect(await s.getTrials()).toEqual([]);
  });
});

describe('8: every sampler takes names that exist on Object.prototype', () => {
  const names = ['constructor', '__proto__', 'toString'];
  const samplers: [string, () => Sampler][] = [
    ['random', () => new RandomSampler({ seed: 0 })],
    ['qmc', () => new QMCSampler({ seed: 0 })],
    ['tpe', () => new TPESampler({ seed: 0, nStartupTrials: 3 })],
    ['tpe multivariate', () => new TPESampler({ seed: 0, nStartupTrials: 3, multivariate: true })],
    ['cma-es', () => new CmaEsSampler({ seed: 0 })],
    ['evolution', () => new RegularizedEvolutionSampler({ seed: 0 })],
    // JSON.parse: in an object literal `__proto__: ...` would set the prototype, not a key.
    ['grid', () => new GridSampler(JSON.parse('{"constructor": [0.1, 0.2], "__proto__": [1, 2, 3], "toString": ["a", "b"]}') as never)],
    ['gp', () => new GPSampler({ seed: 0, nStartupTrials: 3 })],
  ];
  it.each(samplers)('%s', async (_name, make) => {
    const s = await createStudy({ sampler: make() });
    await s.optimize((t) => {
      const x = t.suggestFloat('constructor', 0.1, 0.2);
      const n = t.suggestInt('__proto__', 1, 3);
      const c = t.suggestCategorical('toString', ['a', 'b']);
      return x + n + (c === 'a' ? 0 : 1);
    }, { nTrials: 6 });
    expect(s.trials.map((t) => t.state)).toEqual(Array(6).fill(TrialState.COMPLETE));
    for (const t of s.trials) expect(Object.keys(t.params).sort()).toEqual([...names].sort());
  });
});

describe('distributions as objects (7, 9, 12)', () => {
  it('7: misspelled keys in ask(space) and suggestDistribution are caught', async () => {
    const s = await createStudy({ sampler: new RandomSampler() });
    await expectCode(() => s.ask({ x: { type: 'float', low: 1, high: 10, lg: true } as never }), 'ERR_UNKNOWN_OPTION', /`lg` in `distributions.x` \(did you mean `log`\?\)/);
    await expectCode(() => s.ask({ n: { type: 'int', low: 1, high: 10, setp: 2 } as never }), 'ERR_UNKNOWN_OPTION', /did you mean `step`/);
    expect(await s.getTrials()).toEqual([]);  // validated before a trial exists
    const t = await s.ask();
    await expectCode(() => t.suggestDistribution('c', { type: 'categorical', choices: [1, 2], chioces: [3] } as never), 'ERR_UNKNOWN_OPTION');
    await expectCode(() => t.suggestDistribution('x', null as never), 'ERR_INVALID_ARGUMENT', /distribution object/);
    await expectCode(() => t.suggestDistribution('x', { type: 'flaot', low: 0, high: 1 } as never), 'ERR_INVALID_ARGUMENT', /`distribution.type`/);
    expect(t.suggestDistribution('x', { type: 'float', low: 0, high: 1, log: false, step: null })).toBeGreaterThanOrEqual(0);
  });

  it('9: a float range whose width overflows is refused; the widest finite one gives finite values everywhere', async () => {
    const s = await createStudy({ sampler: new RandomSampler() });
    const t = await s.ask();
    await expectCode(() => t.suggestFloat('x', -1e308, 1e308), 'ERR_INVALID_ARGUMENT', /high - low.*finite/);
    await expectCode(() => t.suggestInt('n', 0, 2 ** 60), 'ERR_INVALID_ARGUMENT', /safe integer/);
    for (const sampler of [new RandomSampler({ seed: 1 }), new QMCSampler({ seed: 1 }), new CmaEsSampler({ seed: 1 })]) {
      const w = await createStudy({ sampler });
      const seen: number[] = [];
      await w.optimize((tr) => {
        const x = tr.suggestFloat('x', -8e307, 8e307);
        const y = tr.suggestFloat('y', -1, 1);
        seen.push(x);
        return Math.abs(x / 1e307) + y;
      }, { nTrials: 12 });
      expect(seen.every((x) => Number.isFinite(x) && x >= -8e307 && x <= 8e307)).toBe(true);
      expect(new Set(seen).size).toBeGreaterThan(6);  // not pinned to one bound
    }
  });

  it('12: a sampler or pruner that is not one is a typed error naming the option', async () => {
    await expectCode(() => createStudy({ sampler: {} as never }), 'ERR_INVALID_ARGUMENT', /missing `inferRelativeSearchSpace`.*for `sampler`/);
    await expectCode(() => createStudy({ pruner: 'median' as never }), 'ERR_INVALID_ARGUMENT', /`pruner`.*received "median"/);
    await expectCode(() => createStudy({ sampler: null as never }), 'ERR_INVALID_ARGUMENT', /`sampler`/);
  });

  it('UnknownOptionError stays an InvalidArgumentError', () => {
    expect(new UnknownOptionError('x')).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('5: a tell that failed on a full disk can be retried', () => {
  it('SQLITE_FULL on a queued write, then space returns: the same tell succeeds and nothing is lost', async () => {
    const path = join(tempDir(), 'full.db');
    const storage = new SqliteStorage(path);
    const s = await createStudy({ storage, sampler: new RandomSampler() });
    const t = await s.ask();
    const x = t.suggestFloat('x', 0, 1);
    // A real SQLITE_FULL from SQLite itself: cap this connection's file at its current size.
    const db = (storage as unknown as { db: { pragma(q: string, o?: { simple: boolean }): unknown } }).db;
    const pages = db.pragma('page_count', { simple: true }) as number;
    await s.tell(await s.ask(), 0);  // settles the WAL so the cap below binds the next write
    db.pragma(`max_page_count = ${pages + 2}`);
    t.setUserAttr('blob', 'x'.repeat(200_000));
    const e = await caught(() => s.tell(t, 1));
    expect(e).toBeInstanceOf(StorageError);
    expect(String((e as Error).message) + String((e as { cause?: Error }).cause?.message)).toMatch(/full/i);
    expect((await storage.getTrial(t.trialId)).state).toBe(TrialState.RUNNING);
    expect(t.isFinished).toBe(false);
    db.pragma('max_page_count = 1073741823');
    const told = await s.tell(t, 1);
    expect(told.state).toBe(TrialState.COMPLETE);
    expect(told.params['x']).toBe(x);
    expect((told.userAttrs['blob'] as string).length).toBe(200_000);
    await storage.close();
  });

  it('a trial whose writes keep failing can still be failed; the reason says what was dropped', async () => {
    const storage = new MemoryStorage();
    const s = await createStudy({ storage, sampler: new RandomSampler() });
    const t = await s.ask();
    const original = storage.setTrialUserAttr.bind(storage);
    storage.setTrialUserAttr = () => Promise.reject(new StorageError('disk I/O error'));
    t.setUserAttr('a', 1);
    await expectCode(() => s.tell(t, 1), 'ERR_STORAGE', /disk I\/O/);
    const failed = await s.tell(t, 'FAIL');
    expect(failed.state).toBe(TrialState.FAIL);
    expect(failed.systemAttrs['failReason']).toMatch(/1 unstored write\(s\) dropped: disk I\/O error/);
    storage.setTrialUserAttr = original;
  });
});
