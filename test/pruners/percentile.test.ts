import { describe, expect, it } from 'vitest';
import {
  createStudy,
  InvalidArgumentError,
  InvalidStateError,
  loadStudy,
  MedianPruner,
  PercentilePruner,
  ThresholdPruner,
  TrialPruned,
  TrialState,
  UnknownOptionError,
  type Pruner,
  type Storage,
} from '../../src/index.js';
import { percentile } from '../../src/pruners/common.js';
import { completedTrial, reportAll, reportAndCheck, storages } from './helpers.js';

/** Five COMPLETE trials; trial i reports i at every step 0..4, so every step's values are [0, 1, 2, 3, 4]. */
async function studyWithHistory(storage: string | Storage, pruner: Pruner, direction: 'minimize' | 'maximize' = 'minimize') {
  const study = await createStudy({ storage, pruner, direction });
  for (let i = 0; i < 5; i++) await completedTrial(study, [i, i, i, i, i]);
  return study;
}

describe.each(storages)('PercentilePruner / MedianPruner on %s storage', (_name, makeStorage) => {
  it('median prunes a clearly worse trial and not a better or equal one (minimize)', async () => {
    const study = await studyWithHistory(makeStorage(), new MedianPruner());
    expect(await reportAndCheck(await study.ask(), 3, 0)).toBe(true);
    expect(await reportAndCheck(await study.ask(), 1, 0)).toBe(false);
    expect(await reportAndCheck(await study.ask(), 2, 0)).toBe(false); // equal to the median: kept
  });

  it('maximise direction: lower is worse', async () => {
    const study = await studyWithHistory(makeStorage(), new MedianPruner(), 'maximize');
    expect(await reportAndCheck(await study.ask(), 1, 0)).toBe(true);
    expect(await reportAndCheck(await study.ask(), 3, 0)).toBe(false);
  });

  it('percentile 25 keeps the best quarter in either direction', async () => {
    const min = await studyWithHistory(makeStorage(), new PercentilePruner(25));
    expect(await reportAndCheck(await min.ask(), 1.5, 2)).toBe(true); // P25 of [0..4] = 1
    expect(await reportAndCheck(await min.ask(), 0.5, 2)).toBe(false);
    const max = await studyWithHistory(makeStorage(), new PercentilePruner(25), 'maximize');
    expect(await reportAndCheck(await max.ask(), 2.5, 2)).toBe(true); // best quarter from above: P75 = 3
    expect(await reportAndCheck(await max.ask(), 3.5, 2)).toBe(false);
  });

  it('judges a trial by its best value so far', async () => {
    const study = await studyWithHistory(makeStorage(), new MedianPruner());
    const t = await study.ask();
    expect(await reportAndCheck(t, 0, 0)).toBe(false);
    expect(await reportAndCheck(t, 4, 1)).toBe(false); // worse now, but its best (0) beats the median
  });

  it('nStartupTrials: no pruning until that many trials are COMPLETE', async () => {
    const study = await createStudy({ storage: makeStorage(), pruner: new MedianPruner({ nStartupTrials: 3 }) });
    await completedTrial(study, [0]);
    await completedTrial(study, [1]);
    const running = await study.ask();
    expect(await reportAndCheck(running, 10, 0)).toBe(false); // 2 complete < 3
    await study.tell(running, 'PRUNED'); // PRUNED trials do not count as startup trials
    expect(await reportAndCheck(await study.ask(), 10, 0)).toBe(false);
    await completedTrial(study, [2]);
    expect(await reportAndCheck(await study.ask(), 10, 0)).toBe(true);
  });

  it('nWarmupSteps: no pruning before that step', async () => {
    const study = await studyWithHistory(makeStorage(), new MedianPruner({ nWarmupSteps: 3 }));
    const t = await study.ask();
    for (let step = 0; step < 3; step++) expect(await reportAndCheck(t, 10, step)).toBe(false);
    expect(await reportAndCheck(t, 10, 3)).toBe(true);
  });

  it('intervalSteps: checks at warmup + k·interval; a missed check happens at the next report, once', async () => {
    const study = await studyWithHistory(makeStorage(), new MedianPruner({ nWarmupSteps: 1, intervalSteps: 2 }));
    const t = await study.ask();
    // checks at steps 1, 3, 5, ...
    expect(await reportAndCheck(t, 10, 0)).toBe(false); // warmup
    expect(await reportAndCheck(t, 0, 1)).toBe(false); // checked, good
    expect(await reportAndCheck(t, 10, 2)).toBe(false); // not a check step (best is 0 anyway)
    const sparse = await study.ask();
    expect(await reportAndCheck(sparse, 10, 0)).toBe(false); // warmup
    expect(await reportAndCheck(sparse, 10, 2)).toBe(true); // step 1 was skipped: checked at 2
    const sparse2 = await study.ask();
    reportAll(sparse2, new Map([[1, 10]])); // checked at 1 (not asked here)
    expect(await reportAndCheck(sparse2, 10, 2)).toBe(false); // 2 lies in the interval already checked at 1
    expect(await reportAndCheck(sparse2, 10, 4)).toBe(true); // the check due at 3, postponed to 4
  });

  it('nMinTrials: no pruning at a step too few COMPLETE trials reached', async () => {
    const study = await createStudy({ storage: makeStorage(), pruner: new MedianPruner({ nStartupTrials: 0, nMinTrials: 2 }) });
    await completedTrial(study, [0, 0, 0]);
    await completedTrial(study, [0]);
    const t = await study.ask();
    expect(await reportAndCheck(t, 10, 0)).toBe(true); // 2 trials at step 0
    const u = await study.ask();
    reportAll(u, [0]);
    expect(await reportAndCheck(u, 10, 2)).toBe(false); // 1 trial at step 2 (and best is 0 anyway)
    const v = await study.ask();
    expect(await reportAndCheck(v, 10, 2)).toBe(false); // only one trial reported at step 2
  });

  it('does not prune without a report or without history', async () => {
    const study = await createStudy({ storage: makeStorage(), pruner: new MedianPruner({ nStartupTrials: 0 }) });
    const t = await study.ask();
    expect(await t.shouldPrune()).toBe(false); // no report
    expect(await reportAndCheck(t, 1e9, 0)).toBe(false); // no COMPLETE trial
  });

  it('inside optimize: a pruned trial is stored PRUNED with its last value', async () => {
    const study = await studyWithHistory(makeStorage(), new MedianPruner());
    await study.optimize(
      async (trial) => {
        const bad = trial.number % 2 === 1; // odd trials are worse than every completed one
        for (let step = 0; step < 5; step++) {
          trial.report(bad ? 10 + step : -step, step);
          if (await trial.shouldPrune()) throw new TrialPruned();
        }
        return -4;
      },
      { nTrials: 6, concurrency: 2 },
    );
    const added = study.trials.slice(5);
    for (const t of added) {
      if (t.number % 2 === 1) {
        expect(t.state).toBe(TrialState.PRUNED);
        expect(t.values).toEqual([10]); // pruned at its first check, step 0
        expect([...t.intermediateValues]).toEqual([[0, 10]]);
      } else {
        expect(t.state).toBe(TrialState.COMPLETE);
      }
    }
  });

  it('multi-objective study: InvalidStateError at prune time', async () => {
    const study = await createStudy({ storage: makeStorage(), directions: ['minimize', 'maximize'], pruner: new MedianPruner() });
    const t = await study.ask();
    t.report(1, 0);
    await expect(t.shouldPrune()).rejects.toThrow(InvalidStateError);
    await expect(t.shouldPrune()).rejects.toThrow(
      `MedianPruner does not support multi-objective studies: study ${JSON.stringify(study.studyName)} has 2 objectives (use NopPruner or ThresholdPruner)`,
    );
  });

  it('pruning a trial that is not RUNNING is an InvalidStateError', async () => {
    const study = await studyWithHistory(makeStorage(), new MedianPruner());
    const t = await study.ask();
    t.report(10, 0);
    const done = await study.tell(t, 10);
    await expect(t.shouldPrune()).rejects.toThrow('Cannot shouldPrune: trial 5 is already finished');
    await expect(Promise.resolve().then(() => study.pruner.prune(study, done))).rejects.toThrow(
      'MedianPruner cannot prune trial 5: it is COMPLETE, not RUNNING',
    );
  });

  it('a trial finished through another Study object is refused by the pruner with InvalidStateError', async () => {
    const storage = makeStorage();
    const study = await studyWithHistory(storage, new MedianPruner());
    const other = await loadStudy({ studyName: study.studyName, storage: typeof storage === 'string' ? storage : study.storage });
    const t = await study.ask();
    t.report(10, 0);
    await t.flush();
    await other.tell(t.number, 'FAIL');
    await expect(t.shouldPrune()).rejects.toThrow(InvalidStateError);
    await expect(t.shouldPrune()).rejects.toThrow('MedianPruner cannot prune trial 5: it is FAIL, not RUNNING');
  });
});

describe.each(storages)('ThresholdPruner on %s storage', (_name, makeStorage) => {
  it('prunes outside [lower, upper], after warmup, at interval steps; works for several objectives', async () => {
    const study = await createStudy({
      storage: makeStorage(),
      directions: ['minimize', 'minimize'],
      pruner: new ThresholdPruner({ lower: 0, upper: 1, nWarmupSteps: 1 }),
    });
    const t = await study.ask();
    expect(await reportAndCheck(t, 5, 0)).toBe(false); // warmup
    expect(await reportAndCheck(t, 0.5, 1)).toBe(false);
    expect(await reportAndCheck(t, -0.1, 2)).toBe(true);
    const u = await study.ask();
    u.report(0.5, 0);
    expect(await reportAndCheck(u, 1.5, 1)).toBe(true);
  });
});

describe('bad input', () => {
  it('reporting twice at one step and non-finite values are InvalidArgumentErrors', async () => {
    const study = await createStudy({ pruner: new MedianPruner() });
    const t = await study.ask();
    t.report(0.5, 3);
    expect(() => t.report(0.25, 3)).toThrow(InvalidArgumentError);
    expect(() => t.report(0.25, 3)).toThrow('Trial 0 already reported a value at step 3 (0.5); received 0.25 again');
    expect(() => t.report(NaN, 4)).toThrow('Expected a finite number for `value` but received NaN');
    expect(() => t.report(Infinity, 4)).toThrow('Expected a finite number for `value` but received Infinity');
    expect(() => t.report(1, -1)).toThrow('Expected an integer in [0, 9007199254740991] for `step` but received -1');
    expect(() => t.report(1, 1.5)).toThrow('Expected an integer for `step` but received 1.5');
  });

  it('percentile pruner options are validated with exact messages', () => {
    const cases: [() => unknown, string][] = [
      [() => new PercentilePruner(101), 'Expected a number in [0, 100] for `percentile` but received 101'],
      [() => new PercentilePruner(-1), 'Expected a number in [0, 100] for `percentile` but received -1'],
      [() => new PercentilePruner(NaN), 'Expected a finite number for `percentile` but received NaN'],
      [() => new MedianPruner({ nStartupTrials: -1 }), 'Expected an integer >= 0 for `nStartupTrials` but received -1'],
      [() => new MedianPruner({ nWarmupSteps: 1.5 }), 'Expected an integer for `nWarmupSteps` but received 1.5'],
      [() => new MedianPruner({ intervalSteps: 0 }), 'Expected an integer >= 1 for `intervalSteps` but received 0'],
      [() => new MedianPruner({ nMinTrials: 0 }), 'Expected an integer >= 1 for `nMinTrials` but received 0'],
      [() => new ThresholdPruner({}), 'ThresholdPruner needs `lower`, `upper` or both'],
      [() => new ThresholdPruner({ lower: 2, upper: 1 }), 'Expected `lower` <= `upper` but received lower 2 and upper 1'],
      [() => new ThresholdPruner({ upper: NaN }), 'Expected a number for `upper` but received NaN'],
    ];
    for (const [make, message] of cases) {
      expect(make).toThrow(InvalidArgumentError);
      expect(make).toThrow(message);
    }
    expect(() => new MedianPruner({ nStartupTrial: 1 } as never)).toThrow(UnknownOptionError);
    expect(() => new MedianPruner({ nStartupTrial: 1 } as never)).toThrow(/Unknown option `nStartupTrial` in `MedianPruner options` \(did you mean `nStartupTrials`\?\)/);
  });
});

describe('percentile()', () => {
  it('interpolates linearly like NumPy', () => {
    // Expected values from numpy.percentile.
    const v = [3, 1, 4, 1, 5, 9, 2, 6];
    expect(percentile(v, 30)).toBeCloseTo(2.1, 12);
    expect(percentile(v, 50)).toBe(3.5);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 100)).toBe(9);
    expect(percentile([7], 42)).toBe(7);
    expect(percentile([0.5, -2.25], 90)).toBeCloseTo(0.225, 12);
  });
});
