import { describe, expect, it } from 'vitest';
import {
  createStudy,
  deleteStudy,
  getAllStudySummaries,
  InvalidArgumentError,
  InvalidStateError,
  loadStudy,
  MemoryStorage,
  ParameterConflictError,
  RandomSampler,
  TrialPruned,
  TrialState,
  UnknownOptionError,
  type Storage,
} from '../../src/index.js';
import { storageUrls } from '../helpers.js';

/** A storage factory per implementation; memory gives an instance so that loadStudy can see it. */
const storages: [string, () => string | Storage][] = storageUrls().map(([name, url]) => [
  name,
  name === 'memory' ? () => new MemoryStorage() : url,
]);

describe.each(storages)('study on %s storage', (_name, makeStorage) => {
  it('optimizes a quadratic and reports the best trial', async () => {
    const study = await createStudy({ storage: makeStorage(), sampler: new RandomSampler({ seed: 1 }) });
    await study.optimize((t) => (t.suggestFloat('x', -10, 10) - 2) ** 2, { nTrials: 40 });
    expect(study.trials).toHaveLength(40);
    expect(study.trials.map((t) => t.number)).toEqual([...Array(40).keys()]);
    const values = study.trials.map((t) => t.values![0]!);
    expect(study.bestValue).toBe(Math.min(...values));
    expect(study.bestTrial.params['x']).toBeCloseTo(2 + Math.sign(study.bestParams['x'] as number - 2) * Math.sqrt(study.bestValue), 9);
  });

  it('maximizes when asked', async () => {
    const study = await createStudy({ storage: makeStorage(), direction: 'maximize', sampler: new RandomSampler({ seed: 2 }) });
    await study.optimize((t) => t.suggestInt('n', 0, 100), { nTrials: 30 });
    expect(study.bestValue).toBe(Math.max(...study.trials.map((t) => t.values![0]!)));
  });

  it('returns the same value for the same name and rejects a conflicting redefinition', async () => {
    const study = await createStudy({ storage: makeStorage() });
    const trial = await study.ask();
    const a = trial.suggestFloat('lr', 1e-5, 1, { log: true });
    expect(trial.suggestFloat('lr', 1e-5, 1, { log: true })).toBe(a);
    expect(() => trial.suggestFloat('lr', 1e-5, 1)).toThrow(ParameterConflictError);
    expect(() => trial.suggestInt('lr', 1, 5)).toThrow(/already suggested in trial 0/);
    const done = await study.tell(trial, 1.5);
    expect(done.params).toEqual({ lr: a });
    expect(done.distributions['lr']).toMatchObject({ type: 'float', log: true });
  });

  it('supports conditional (define-by-run) spaces', async () => {
    const study = await createStudy({ storage: makeStorage(), sampler: new RandomSampler({ seed: 3 }) });
    await study.optimize(
      (t) => {
        const kind = t.suggestCategorical('kind', ['linear', 'tree']);
        if (kind === 'linear') return t.suggestFloat('alpha', 1e-3, 1, { log: true });
        return t.suggestInt('depth', 1, 8) / 8;
      },
      { nTrials: 30 },
    );
    for (const t of study.trials) {
      const keys = Object.keys(t.params).sort();
      expect(keys).toEqual(t.params['kind'] === 'linear' ? ['alpha', 'kind'] : ['depth', 'kind']);
    }
    expect(new Set(study.trials.map((t) => t.params['kind']))).toEqual(new Set(['linear', 'tree']));
  });

  it('respects step, log and int grids', async () => {
    const study = await createStudy({ storage: makeStorage(), sampler: new RandomSampler({ seed: 4 }) });
    await study.optimize(
      (t) => {
        const s = t.suggestFloat('s', 0, 1, { step: 0.1 });
        const i = t.suggestInt('i', 2, 20, { step: 3 });
        const l = t.suggestInt('l', 1, 1024, { log: true });
        expect(Math.abs(s * 10 - Math.round(s * 10))).toBeLessThan(1e-9);
        expect((i - 2) % 3).toBe(0);
        expect(Number.isInteger(l) && l >= 1 && l <= 1024).toBe(true);
        return s + i + l;
      },
      { nTrials: 50 },
    );
  });

  it('fails a trial with a NaN or infinite value, records why, and goes on', async () => {
    const study = await createStudy({ storage: makeStorage() });
    const values = [1, NaN, Infinity, 2];
    let i = 0;
    await study.optimize(() => values[i++]!, { nTrials: 4 });
    expect(study.trials.map((t) => t.state)).toEqual(['COMPLETE', 'FAIL', 'FAIL', 'COMPLETE']);
    expect(study.trials[1]!.systemAttrs['failReason']).toMatch(/NaN, which is not a finite number/);
    expect(study.trials[2]!.systemAttrs['failReason']).toMatch(/Infinity/);
    expect(study.bestValue).toBe(1);
  });

  it('fails a trial whose objective returns a non-number', async () => {
    const study = await createStudy({ storage: makeStorage() });
    await study.optimize(() => 'oops' as unknown as number, { nTrials: 1 });
    expect(study.trials[0]!.state).toBe(TrialState.FAIL);
    expect(study.trials[0]!.systemAttrs['failReason']).toMatch(/returned "oops", not a number/);
  });

  it('records an exception, re-throws it, and keeps what was stored', async () => {
    const study = await createStudy({ storage: makeStorage() });
    await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 3 });
    class Boom extends Error {}
    await expect(
      study.optimize(
        (t) => {
          t.suggestFloat('x', 0, 1);
          throw new Boom('bad batch');
        },
        { nTrials: 5 },
      ),
    ).rejects.toThrow('bad batch');
    expect(study.trials).toHaveLength(4);
    expect(study.trials.slice(0, 3).every((t) => t.state === 'COMPLETE')).toBe(true);
    const failed = study.trials[3]!;
    expect(failed.state).toBe('FAIL');
    expect(failed.systemAttrs['failReason']).toMatch(/bad batch/);
    expect(Object.keys(failed.params)).toEqual(['x']);
  });

  it('goes on after an exception that `catch` matches', async () => {
    const study = await createStudy({ storage: makeStorage() });
    class Flaky extends Error {}
    let i = 0;
    await study.optimize(
      () => {
        if (i++ % 2 === 0) throw new Flaky('flaky');
        return i;
      },
      { nTrials: 6, catch: [Flaky] },
    );
    expect(study.trials.map((t) => t.state)).toEqual(['FAIL', 'COMPLETE', 'FAIL', 'COMPLETE', 'FAIL', 'COMPLETE']);
  });

  it('records TrialPruned as PRUNED with the last reported value', async () => {
    const study = await createStudy({ storage: makeStorage() });
    await study.optimize(
      (t) => {
        t.report(0.9, 0);
        t.report(0.5, 1);
        throw new TrialPruned();
      },
      { nTrials: 1 },
    );
    const t = study.trials[0]!;
    expect(t.state).toBe('PRUNED');
    expect(t.values).toEqual([0.5]);
    expect([...t.intermediateValues]).toEqual([
      [0, 0.9],
      [1, 0.5],
    ]);
    expect(() => study.bestTrial).toThrow(InvalidStateError);
  });

  it('rejects a second report at one step and a non-finite intermediate value', async () => {
    const study = await createStudy({ storage: makeStorage() });
    const trial = await study.ask();
    trial.report(1, 0);
    expect(() => trial.report(2, 0)).toThrow('Trial 0 already reported a value at step 0 (1); received 2 again');
    expect(() => trial.report(NaN, 1)).toThrow('Expected a finite number for `value` but received NaN');
    expect(() => trial.report(1, -1)).toThrow('Expected an integer in [0, 9007199254740991] for `step` but received -1');
    const done = await study.tell(trial, 3);
    expect([...done.intermediateValues]).toEqual([[0, 1]]);
    await expect(trial.shouldPrune()).rejects.toThrow('Cannot shouldPrune: trial 0 is already finished');
    expect(() => trial.report(1, 5)).toThrow(InvalidStateError);
  });

  it('runs trials concurrently with `concurrency`', async () => {
    const study = await createStudy({ storage: makeStorage(), sampler: new RandomSampler({ seed: 5 }) });
    let inFlight = 0;
    let maxInFlight = 0;
    await study.optimize(
      async (t) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const x = t.suggestFloat('x', 0, 1);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return x;
      },
      { nTrials: 24, concurrency: 4 },
    );
    expect(maxInFlight).toBe(4);
    expect(study.trials).toHaveLength(24);
    expect(new Set(study.trials.map((t) => t.number)).size).toBe(24);
    expect(study.trials.every((t) => t.state === 'COMPLETE')).toBe(true);
  });

  it('stops at the timeout', async () => {
    const study = await createStudy({ storage: makeStorage() });
    // The deadline is read from Date.now(): each trial moves that clock by 50 ms, so a 0.2 s timeout starts
    // exactly 4 trials (at 0, 50, 100 and 150 ms) whatever the machine's speed. The stop() is a backstop.
    const realNow = Date.now;
    let now = realNow();
    Date.now = () => now;
    try {
      await study.optimize(async (t) => {
        now += 50;
        if (t.number >= 20) study.stop();
        return 1;
      }, { timeout: 0.2 });
    } finally {
      Date.now = realNow;
    }
    expect(study.trials).toHaveLength(4);
    expect(study.trials.every((t) => t.state === 'COMPLETE')).toBe(true);
  });

  it('calls callbacks after every trial and can be stopped from one', async () => {
    const study = await createStudy({ storage: makeStorage() });
    const seen: number[] = [];
    await study.optimize(() => 1, {
      nTrials: 10,
      callbacks: [
        (s, t) => {
          seen.push(t.number);
          if (t.number === 3) s.stop();
        },
      ],
    });
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it('supports ask and tell, by trial or by number', async () => {
    const study = await createStudy({ storage: makeStorage() });
    const a = await study.ask();
    const b = await study.ask();
    const x = a.suggestFloat('x', 0, 1);
    b.suggestFloat('x', 0, 1);
    await study.tell(b.number, 'PRUNED');
    const told = await study.tell(a, x * 2);
    expect(told.values).toEqual([x * 2]);
    expect(told.state).toBe('COMPLETE');
    await expect(study.tell(a, 1)).rejects.toThrow('Trial 0 is already finished');
    await expect(study.tell(1, 1)).rejects.toThrow(/already finished/);
    await expect(study.tell(99, 1)).rejects.toThrow('has no trial number 99');
    const c = await study.ask();
    const failed = await study.tell(c, [1, 2]);
    expect(failed.state).toBe('FAIL');
    expect(failed.systemAttrs['failReason']).toMatch(/returned 2 value\(s\) but the study has 1 objective/);
  });

  it('asks with fixed distributions (define-and-run)', async () => {
    const study = await createStudy({ storage: makeStorage(), sampler: new RandomSampler({ seed: 9 }) });
    const t = await study.ask({ x: { type: 'float', low: 0, high: 1, log: false, step: null }, c: { type: 'categorical', choices: ['a', 'b'] } });
    expect(Object.keys(t.params).sort()).toEqual(['c', 'x']);
    const stored = await study.storage.getTrial(t.trialId);
    expect(stored.params).toEqual(t.params);
  });

  it('runs enqueued trials first with their fixed parameters', async () => {
    const study = await createStudy({ storage: makeStorage() });
    await study.enqueueTrial({ x: 0.25, c: 'b' });
    await study.enqueueTrial({ x: 0.75 });
    await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', 0, 1);
        const c = t.suggestCategorical('c', ['a', 'b']);
        return x + (c === 'a' ? 0 : 1);
      },
      { nTrials: 3 },
    );
    expect(study.trials[0]!.params).toEqual({ x: 0.25, c: 'b' });
    expect(study.trials[1]!.params['x']).toBe(0.75);
    expect(study.trials).toHaveLength(3);
    await study.enqueueTrial({ x: 7 });
    await expect(study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 1 })).rejects.toThrow(
      'Expected a value of {"type":"float","low":0,"high":1,"log":false,"step":null} for `enqueued parameter "x"` but received 7',
    );
  });

  it('gives the Pareto front for several objectives', async () => {
    const study = await createStudy({ storage: makeStorage(), directions: ['minimize', 'maximize'] });
    const points: [number, number][] = [
      [1, 1],
      [2, 3],
      [2, 2],
      [3, 3],
      [0.5, 0],
    ];
    let i = 0;
    await study.optimize(() => points[i++]!, { nTrials: points.length });
    expect(study.bestTrials.map((t) => t.number)).toEqual([0, 1, 4]);
    expect(() => study.bestTrial).toThrow(/ambiguous for a multi-objective study/);
  });

  it('exports trials as CSV and JSON', async () => {
    const study = await createStudy({ storage: makeStorage() });
    await study.optimize(
      (t) => {
        t.setUserAttr('note', 'a,"quoted" value');
        return t.suggestFloat('x', 0, 1);
      },
      { nTrials: 3 },
    );
    const csv = (await study.exportTrials('csv')) as string;
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('number,state,value,datetime_start,datetime_complete,duration_ms,params_x,user_attrs_note,fail_reason');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('"a,""quoted"" value"');
    const rows = JSON.parse((await study.exportTrials('json')) as string) as Record<string, unknown>[];
    expect(rows.map((r) => r['params_x'])).toEqual(study.trials.map((t) => t.params['x']));
    expect(rows[0]!['user_attrs_note']).toBe('a,"quoted" value');
  });

  it('creates, loads, lists and deletes studies', async () => {
    const storage = makeStorage();
    const s = await createStudy({ studyName: 'alpha', storage, direction: 'maximize' });
    await s.optimize(() => 3, { nTrials: 2 });
    await expect(createStudy({ studyName: 'alpha', storage })).rejects.toThrow('A study named "alpha" already exists');
    const again = await createStudy({ studyName: 'alpha', storage, loadIfExists: true });
    expect(again.trials).toHaveLength(2);
    expect(again.direction).toBe('maximize');
    await expect(createStudy({ studyName: 'alpha', storage, loadIfExists: true, direction: 'minimize' })).rejects.toThrow(
      /exists with directions \["maximize"\]/,
    );
    const loaded = await loadStudy({ studyName: 'alpha', storage });
    expect(loaded.bestValue).toBe(3);
    const summaries = await getAllStudySummaries({ storage });
    expect(summaries.map((x) => [x.studyName, x.nTrials])).toEqual([['alpha', 2]]);
    await deleteStudy({ studyName: 'alpha', storage });
    await expect(loadStudy({ studyName: 'alpha', storage })).rejects.toThrow(/alpha/);
  });
});

describe('bad input', () => {
  it.each([
    ['low > high', (t: Trial) => t.suggestFloat('x', 2, 1), 'Expected `low` <= `high` but received low=2, high=1'],
    ['log with low <= 0', (t: Trial) => t.suggestFloat('x', 0, 1, { log: true }), 'Expected `low` > 0 with `log: true` but received low=0'],
    ['step not dividing', (t: Trial) => t.suggestFloat('x', 0, 1, { step: 0.3 }), 'Expected `step` to divide `high - low` = 1 but received step=0.3'],
    ['int step not dividing', (t: Trial) => t.suggestInt('n', 0, 10, { step: 3 }), 'Expected `step` to divide `high - low` = 10 but received step=3'],
    ['NaN bound', (t: Trial) => t.suggestFloat('x', NaN, 1), 'Expected a finite number for `low` but received NaN'],
    ['infinite bound', (t: Trial) => t.suggestFloat('x', 0, Infinity), 'Expected a finite number for `high` but received Infinity'],
    ['string bound', (t: Trial) => t.suggestFloat('x', '0' as unknown as number, 1), 'Expected a finite number for `low` but received "0"'],
    ['non-integer int bound', (t: Trial) => t.suggestInt('n', 0.5, 3), 'Expected a safe integer for `low` but received 0.5'],
    ['empty choices', (t: Trial) => t.suggestCategorical('c', []), 'Expected a non-empty array of choices for `choices` but received an array of length 0'],
    ['object choice', (t: Trial) => t.suggestCategorical('c', [{}] as never), 'Expected a string, finite number, boolean or null for `choices[0]` but received an object (Object)'],
    ['empty name', (t: Trial) => t.suggestFloat('', 0, 1), 'Expected a non-empty string for `name` but received ""'],
  ])('%s', async (_what, call, message) => {
    const study = await createStudy();
    const trial = await study.ask();
    trial.suggestFloat('kept', 0, 1);
    expect(() => call(trial)).toThrow(InvalidArgumentError);
    expect(() => call(trial)).toThrow(message);
    const done = await study.tell(trial, 1);
    expect(Object.keys(done.params)).toEqual(['kept']);
  });

  it('catches misspelled option names', async () => {
    const study = await createStudy();
    const trial = await study.ask();
    expect(() => trial.suggestFloat('x', 1, 2, { lg: true } as never)).toThrow(UnknownOptionError);
    expect(() => trial.suggestFloat('x', 1, 2, { lg: true } as never)).toThrow('Unknown option `lg` in `options` (did you mean `log`?)');
    await expect(createStudy({ directon: 'maximize' } as never)).rejects.toThrow('Unknown option `directon` in `createStudy options` (did you mean `direction`?)');
    await expect(study.optimize(() => 1, { ntrials: 3 } as never)).rejects.toThrow(/did you mean `nTrials`/);
  });

  it('rejects bad study and optimize arguments with typed errors', async () => {
    await expect(createStudy({ direction: 'down' as never })).rejects.toThrow('Expected one of "minimize", "maximize" for `direction` but received "down"');
    await expect(createStudy({ storage: 'mysql://x' })).rejects.toThrow(InvalidArgumentError);
    const study = await createStudy();
    await expect(study.optimize(() => 1)).rejects.toThrow('Pass `nTrials`, `timeout` or `signal`');
    await expect(study.optimize(() => 1, { nTrials: -1 })).rejects.toThrow('Expected an integer >= 0 for `nTrials` but received -1');
    await expect(study.optimize(() => 1, { nTrials: 1, concurrency: 0 })).rejects.toThrow('`concurrency`');
    await expect(study.optimize('f' as never, { nTrials: 1 })).rejects.toThrow('Expected a function for `objective` but received "f"');
    expect(study.trials).toHaveLength(0);
  });
});

import type { Trial } from '../../src/index.js';
