import { describe, expect, it } from 'vitest';
import {
  createStudy,
  InvalidArgumentError,
  loadStudy,
  RandomSampler,
  SuccessiveHalvingPruner,
  TrialPruned,
  TrialState,
  type Study,
  type Trial,
} from '../../src/index.js';
import { isPromotable } from '../../src/pruners/successive-halving.js';
import { completedTrial, reportAndCheck, storages, tick } from './helpers.js';

async function rungAttrs(study: Study, trial: Trial): Promise<Record<string, unknown>> {
  const attrs = (await study.storage.getTrial(trial.trialId)).systemAttrs;
  return Object.fromEntries(Object.entries(attrs).filter(([k]) => k.startsWith('completed_rung_')));
}

describe.each(storages)('SuccessiveHalvingPruner on %s storage', (_name, makeStorage) => {
  it('rung promotions match hand-computed expectations (minimize, r = 1, η = 2: rungs end at 1, 2, 4)', async () => {
    const study = await createStudy({ storage: makeStorage(), pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 }) });
    const at1 = async (v: number): Promise<[Trial, boolean]> => {
      const t = await study.ask();
      expect(await reportAndCheck(t, v, 0)).toBe(false); // before the first rung end
      return [t, await reportAndCheck(t, v, 1)];
    };
    // Rung 0: promoted iff among the best max(⌊n/2⌋, 1) of the n values recorded there so far.
    const [t0, p0] = await at1(5); // [5]              → best 1: 5 → promoted
    const [t1, p1] = await at1(3); // [3 5]            → best 1: 3 → promoted
    const [t2, p2] = await at1(4); // [3 4 5]          → best 1: 3 → pruned
    const [t3, p3] = await at1(1); // [1 3 4 5]        → best 2: ≤ 3 → promoted
    const [t4, p4] = await at1(3.5); // [1 3 3.5 4 5]  → best 2: ≤ 3 → pruned
    expect([p0, p1, p2, p3, p4]).toEqual([false, false, true, false, true]);
    expect(await rungAttrs(study, t2)).toEqual({ completed_rung_0: 4 }); // pruned trials keep their record
    // Rung 1 (step 2): only trials promoted from rung 0 get here.
    expect(await reportAndCheck(t0, 2, 2)).toBe(false); // [2]          → promoted
    expect(await reportAndCheck(t1, 6, 2)).toBe(true); //  [2 6]        → pruned
    expect(await reportAndCheck(t3, 1.5, 2)).toBe(false); // [1.5 2 6]  → promoted
    expect(await reportAndCheck(t3, 1.4, 3)).toBe(false); // step 3 < 4: no rung end, nothing recorded
    expect(await rungAttrs(study, t0)).toEqual({ completed_rung_0: 5, completed_rung_1: 2 });
    expect(await rungAttrs(study, t1)).toEqual({ completed_rung_0: 3, completed_rung_1: 6 });
    expect(await rungAttrs(study, t3)).toEqual({ completed_rung_0: 1, completed_rung_1: 1.5 });
    // A trial jumping past several rung ends completes each with its latest value.
    const t5 = await study.ask();
    expect(await reportAndCheck(t5, 9, 0)).toBe(false);
    // rung 0: [0.5 1 3 3.5 4 5] best 2 → promoted; rung 1: [0.5 1.5 2 6] best 2 → promoted; rung 2: [0.5] → promoted
    expect(await reportAndCheck(t5, 0.5, 4)).toBe(false);
    expect(await rungAttrs(study, t5)).toEqual({ completed_rung_0: 0.5, completed_rung_1: 0.5, completed_rung_2: 0.5 });
    const t6 = await study.ask();
    // rung 0: [0.5 1 3 3.5 4 5 7] best 3: ≤ 3 → 7 pruned; no later rung recorded
    expect(await reportAndCheck(t6, 7, 3)).toBe(true);
    expect(await rungAttrs(study, t6)).toEqual({ completed_rung_0: 7 });
    void t4;
  });

  it('maximise direction', async () => {
    const study = await createStudy({
      storage: makeStorage(),
      direction: 'maximize',
      pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 }),
    });
    const verdicts: boolean[] = [];
    for (const v of [5, 3, 6]) {
      const t = await study.ask();
      verdicts.push(await reportAndCheck(t, v, 1));
    }
    expect(verdicts).toEqual([false, true, false]); // [5] → on; [3 5] → 3 < 5 off; [3 5 6] → 6 on
  });

  it('minEarlyStoppingRate shifts the first rung end to r·η^s', async () => {
    const study = await createStudy({
      storage: makeStorage(),
      pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2, minEarlyStoppingRate: 1 }),
    });
    const t = await study.ask();
    expect(await reportAndCheck(t, 1, 1)).toBe(false);
    expect(await rungAttrs(study, t)).toEqual({});
    expect(await reportAndCheck(t, 1, 2)).toBe(false);
    expect(await rungAttrs(study, t)).toEqual({ completed_rung_0: 1 });
  });

  it('bootstrapCount: trials reaching a rung before more than that many recorded there are pruned', async () => {
    const study = await createStudy({
      storage: makeStorage(),
      pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2, bootstrapCount: 2 }),
    });
    const verdicts: boolean[] = [];
    for (const v of [5, 4, 1, 3]) verdicts.push(await reportAndCheck(await study.ask(), v, 1));
    // 1 and 2 values ≤ 2: pruned; then [1 4 5] → 1 promoted; [1 3 4 5] best 1 (⌊4/2⌋-1 = index 1 → 3) → promoted
    expect(verdicts).toEqual([true, true, false, false]);
  });

  it("'auto' minResource: nothing pruned before a trial completes; then ⌊last step/100⌋, stored for every process", async () => {
    const storage = makeStorage();
    const study = await createStudy({ storage, studyName: 'auto', pruner: new SuccessiveHalvingPruner() });
    const early = await study.ask();
    for (let s = 0; s < 5; s++) expect(await reportAndCheck(early, 1e6, s)).toBe(false);
    expect(await rungAttrs(study, early)).toEqual({});
    const done = await study.ask();
    done.report(0, 299);
    await study.tell(done, 0);
    const t = await study.ask();
    expect(await reportAndCheck(t, 3, 1)).toBe(false);
    expect(await rungAttrs(study, t)).toEqual({}); // r = ⌊299/100⌋ = 2: rung 0 ends at 2
    expect(await reportAndCheck(t, 3, 2)).toBe(false);
    expect(await rungAttrs(study, t)).toEqual({ completed_rung_0: 3 });
    expect((await study.storage.getStudySystemAttrs(study.studyId))['pruner:successiveHalving:minResource']).toBe(2);
    // Another Study object (another connection for SQLite) with a fresh pruner: a longer complete trial
    // would now estimate r = 9, but the stored r = 2 wins, so rungs agree everywhere.
    const other = await loadStudy({ studyName: 'auto', storage: typeof storage === 'string' ? storage : study.storage, pruner: new SuccessiveHalvingPruner() });
    await completedTrial(other, [...Array(1000).keys()].map(() => 0));
    const u = await other.ask();
    expect(await reportAndCheck(u, 2, 2)).toBe(false);
    expect(await rungAttrs(other, u)).toEqual({ completed_rung_0: 2 });
  });

  it('with concurrency 4: pruned trials stop at a rung end, rung records equal the values there, rungs thin out', async () => {
    const study = await createStudy({
      storage: makeStorage(),
      sampler: new RandomSampler({ seed: 7 }),
      pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 }),
    });
    await study.optimize(
      async (trial) => {
        const x = trial.suggestFloat('x', 0, 1);
        let v = 0;
        for (let step = 0; step < 27; step++) {
          v = x + 1 / (step + 1);
          trial.report(v, step);
          await tick();
          if (await trial.shouldPrune()) throw new TrialPruned();
        }
        return v;
      },
      { nTrials: 40, concurrency: 4 },
    );
    const ends = [1, 3, 9];
    const reached = [0, 0, 0];
    for (const t of study.trials) {
      const last = Math.max(...t.intermediateValues.keys());
      if (t.state === TrialState.PRUNED) expect(ends).toContain(last);
      else expect(t.state).toBe(TrialState.COMPLETE);
      ends.forEach((end, k) => {
        const rec = t.systemAttrs[`completed_rung_${k}`];
        if (last >= end) {
          expect(rec).toBe(t.intermediateValues.get(end));
          reached[k]!++;
        } else expect(rec).toBeUndefined();
      });
    }
    expect(reached[0]).toBe(40);
    expect(reached[1]!).toBeLessThan(reached[0]!);
    expect(reached[2]!).toBeLessThan(reached[1]!);
    expect(study.trials.some((t) => t.state === TrialState.COMPLETE)).toBe(true);
  });
});

describe('isPromotable', () => {
  it('keeps the best ⌊n/η⌋ (at least one), ties promoted', () => {
    expect(isPromotable(3, [3, 1, 2, 4, 5, 6], 3, 'minimize')).toBe(false); // best 2: 1, 2
    expect(isPromotable(2, [3, 1, 2, 4, 5, 6], 3, 'minimize')).toBe(true);
    expect(isPromotable(5, [3, 1, 2, 4, 5, 6], 3, 'maximize')).toBe(true);
    expect(isPromotable(4, [3, 1, 2, 4, 5, 6], 3, 'maximize')).toBe(false);
    expect(isPromotable(9, [9], 4, 'minimize')).toBe(true);
    expect(isPromotable(2, [2, 2, 1], 4, 'minimize')).toBe(false);
  });
});

describe('SuccessiveHalvingPruner bad input', () => {
  it('impossible resources are InvalidArgumentErrors naming the argument and value', () => {
    const cases: [() => unknown, string][] = [
      [() => new SuccessiveHalvingPruner({ minResource: 0 }), 'Expected "auto" or an integer >= 1 for `minResource` but received 0'],
      [() => new SuccessiveHalvingPruner({ minResource: -2 }), 'Expected "auto" or an integer >= 1 for `minResource` but received -2'],
      [() => new SuccessiveHalvingPruner({ minResource: 1.5 }), 'Expected "auto" or an integer >= 1 for `minResource` but received 1.5'],
      [() => new SuccessiveHalvingPruner({ minResource: 'max' as never }), 'Expected "auto" or an integer >= 1 for `minResource` but received "max"'],
      [() => new SuccessiveHalvingPruner({ reductionFactor: 1 }), 'Expected an integer >= 2 for `reductionFactor` but received 1'],
      [() => new SuccessiveHalvingPruner({ reductionFactor: 2.5 }), 'Expected an integer for `reductionFactor` but received 2.5'],
      [() => new SuccessiveHalvingPruner({ minEarlyStoppingRate: -1 }), 'Expected an integer >= 0 for `minEarlyStoppingRate` but received -1'],
      [() => new SuccessiveHalvingPruner({ bootstrapCount: -1, minResource: 1 }), 'Expected an integer >= 0 for `bootstrapCount` but received -1'],
      [
        () => new SuccessiveHalvingPruner({ bootstrapCount: 3 }),
        '`bootstrapCount` (3) needs a numeric `minResource`, not "auto": rungs must be fixed before trials can be held back for them',
      ],
    ];
    for (const [make, message] of cases) {
      expect(make).toThrow(InvalidArgumentError);
      expect(make).toThrow(message);
    }
  });

  it('multi-objective studies are refused at prune time', async () => {
    const study = await createStudy({ directions: ['minimize', 'minimize'], pruner: new SuccessiveHalvingPruner({ minResource: 1 }) });
    const t = await study.ask();
    t.report(1, 1);
    await expect(t.shouldPrune()).rejects.toThrow(/SuccessiveHalvingPruner does not support multi-objective studies/);
  });
});
