import { describe, expect, it } from 'vitest';
import {
  BracketFilteredSampler,
  createStudy,
  HyperbandPruner,
  InvalidArgumentError,
  loadStudy,
  RandomSampler,
  TrialPruned,
  TrialState,
  type Distribution,
  type FrozenTrial,
  type Sampler,
  type StudyView,
  type Trial,
} from '../../src/index.js';
import { bracketIndex, bracketLayout, crc32 } from '../../src/pruners/hyperband.js';
import { completedTrial, reportAndCheck, storages, tick } from './helpers.js';

describe('bracket layout and assignment', () => {
  it("matches Optuna 3.1's brackets, budgets and per-trial bracket ids", () => {
    // From optuna.pruners.HyperbandPruner(...)._get_bracket_id for study "hb-fixture", trials 0..39.
    const fixtures: [number, number, number, number[], number[]][] = [
      [1, 81, 3, [81, 34, 15, 8, 5], [1, 1, 0, 0, 3, 1, 0, 0, 2, 1, 1, 0, 0, 0, 0, 1, 0, 2, 0, 0, 1, 1, 0, 2, 1, 0, 0, 1, 3, 0, 1, 3, 0, 0, 4, 0, 1, 3, 0, 0]],
      [1, 100, 4, [64, 22, 8, 4], [0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 3, 0, 0, 0, 1, 2, 0]],
      [2, 50, 2, [16, 10, 7, 5, 5], [4, 1, 4, 1, 4, 1, 1, 0, 4, 4, 1, 0, 0, 2, 1, 3, 0, 3, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 1, 0, 0, 0, 1, 0, 2, 0, 1, 1, 0]],
    ];
    for (const [r, R, eta, budgets, ids] of fixtures) {
      const layout = bracketLayout(r, R, eta);
      expect(layout.budgets).toEqual(budgets);
      expect(ids.map((_, n) => bracketIndex(layout, 'hb-fixture', n))).toEqual(ids);
    }
  });

  it('counts brackets exactly at powers of η (Optuna 3.1 drops one at 243 = 3^5 through log rounding)', () => {
    expect(bracketLayout(1, 243, 3).nBrackets).toBe(6);
    expect(bracketLayout(1, 242, 3).nBrackets).toBe(5);
    expect(bracketLayout(5, 5, 3)).toMatchObject({ nBrackets: 1, budgets: [1] });
  });

  it('is roughly balanced as Hyperband prescribes: bracket b gets n_b / Σn of the trials', () => {
    const layout = bracketLayout(1, 81, 3);
    const counts = new Array<number>(layout.nBrackets).fill(0);
    const N = 30_000;
    for (let n = 0; n < N; n++) counts[bracketIndex(layout, 'balance', n)]!++;
    counts.forEach((c, b) => expect(Math.abs(c / N - layout.budgets[b]! / layout.totalBudget)).toBeLessThan(0.01));
  });

  it('crc32 is the IEEE CRC of the UTF-8 bytes', () => {
    expect(crc32('')).toBe(0);
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('étude_1')).toBe(1947992406); // Python: binascii.crc32('étude_1'.encode())
  });
});

/** Trials asked up front, grouped by bracket (numeric maxResource: the layout is known at once). */
async function trialsByBracket(study: StudyView & { ask(): Promise<Trial> }, pruner: HyperbandPruner, n: number): Promise<Map<number, Trial[]>> {
  const groups = new Map<number, Trial[]>();
  for (let i = 0; i < n; i++) {
    const t = await study.ask();
    const b = (await pruner.bracketOf(study, t.number))!;
    groups.set(b, [...(groups.get(b) ?? []), t]);
  }
  return groups;
}

describe.each(storages)('HyperbandPruner on %s storage', (_name, makeStorage) => {
  it("each bracket's successive halving compares only trials of its own bracket", async () => {
    const pruner = new HyperbandPruner({ minResource: 1, maxResource: 27 }); // rungs of bracket b end at 3^b, 3^(b+1), ...
    const study = await createStudy({ storage: makeStorage(), studyName: 'hb-sep', pruner });
    const groups = await trialsByBracket(study, pruner, 20);
    const [a, b] = groups.get(0)!;
    const [c] = groups.get(1)!;
    expect(await reportAndCheck(a!, 0, 1)).toBe(false); // bracket 0, rung 0 ends at 1: alone → promoted
    expect(await reportAndCheck(b!, 10, 1)).toBe(true); //  [0 10] → pruned
    // Bracket 1's first rung ends at 3. Against bracket 0's records at its rung 0 ([0, 10]) this would
    // be pruned; alone in its bracket it is promoted.
    expect(await reportAndCheck(c!, 10, 1)).toBe(false);
    expect(await reportAndCheck(c!, 10, 3)).toBe(false);
    expect((await study.storage.getTrial(c!.trialId)).systemAttrs['completed_rung_0']).toBe(10);
    const view = await pruner.bracketView(study, 1);
    const inView = (await view.getTrials()).map((t) => t.number);
    expect(inView).toEqual(groups.get(1)!.map((t) => t.number));
  });

  it('concurrency 4: brackets deterministic across Study objects; rungs at 3^(b+k); the last bracket never pruned', async () => {
    const storage = makeStorage();
    const pruner = new HyperbandPruner({ minResource: 1, maxResource: 27, reductionFactor: 3 });
    const study = await createStudy({ storage, studyName: 'hb-conc', sampler: new RandomSampler({ seed: 11 }), pruner });
    expect(await pruner.layout(study)).toMatchObject({ nBrackets: 4, budgets: [27, 12, 6, 4], totalBudget: 49 });
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
      { nTrials: 60, concurrency: 4 },
    );
    const again = await loadStudy({ studyName: 'hb-conc', storage: typeof storage === 'string' ? storage : study.storage });
    const fresh = new HyperbandPruner({ minResource: 1, maxResource: 27 });
    const perBracket = [0, 0, 0, 0];
    for (const t of study.trials) {
      const b = (await pruner.bracketOf(study, t))!;
      expect(await fresh.bracketOf(again, t.number)).toBe(b);
      perBracket[b]!++;
      const last = Math.max(...t.intermediateValues.keys());
      const ends = [1, 3, 9, 27].filter((e) => e >= 3 ** b && e <= 26);
      if (t.state === TrialState.PRUNED) expect(ends).toContain(last);
      if (b === 3) expect(t.state).toBe(TrialState.COMPLETE);
      ends.forEach((end, k) => {
        const rec = t.systemAttrs[`completed_rung_${k}`];
        if (last >= end) expect(rec).toBe(t.intermediateValues.get(end));
        else expect(rec).toBeUndefined();
      });
      expect(t.systemAttrs[`completed_rung_${ends.length}`]).toBeUndefined();
    }
    expect(perBracket.reduce((x, y) => x + y)).toBe(60);
    expect(perBracket[0]!).toBeGreaterThan(perBracket[3]!);
    expect(study.trials.filter((t) => t.state === TrialState.PRUNED).length).toBeGreaterThan(0);
  });

  it("'auto' maxResource: no layout and no pruning before a trial completes; then R = last step + 1, stored", async () => {
    const storage = makeStorage();
    const pruner = new HyperbandPruner();
    const study = await createStudy({ storage, studyName: 'hb-auto', pruner });
    const early = await study.ask();
    for (let s = 0; s < 3; s++) expect(await reportAndCheck(early, 1e6, s)).toBe(false);
    expect(await pruner.layout(study)).toBeNull();
    expect(await pruner.bracketOf(study, early.number)).toBeNull();
    await completedTrial(study, [...Array(9).keys()]); // last step 8 → R = 9
    const layout = await pruner.layout(study);
    expect(layout).toMatchObject({ maxResource: 9, nBrackets: 3, budgets: [9, 5, 3] });
    expect((await study.storage.getStudySystemAttrs(study.studyId))['pruner:hyperband:maxResource']).toBe(9);
    // Another Study object with a fresh pruner, after a longer trial: still R = 9.
    const other = await loadStudy({ studyName: 'hb-auto', storage: typeof storage === 'string' ? storage : study.storage });
    await completedTrial(other, [...Array(100).keys()]);
    expect(await new HyperbandPruner().layout(other)).toEqual(layout);
  });

  it('BracketFilteredSampler shows the sampler only the trial’s own bracket', async () => {
    const pruner = new HyperbandPruner({ minResource: 1, maxResource: 27 });
    const spy = new SpySampler();
    const study = await createStudy({ storage: makeStorage(), studyName: 'hb-sampler', sampler: new BracketFilteredSampler(spy, pruner), pruner });
    await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 30, concurrency: 4 });
    expect(spy.seen).toHaveLength(30);
    for (const [number, seen] of spy.seen) {
      const b = await pruner.bracketOf(study, number);
      for (const other of seen) expect(await pruner.bracketOf(study, other)).toBe(b);
      expect(seen).toContain(number);
    }
    expect(spy.independentViews.every((ok) => ok)).toBe(true);
    expect(study.trials.every((t) => t.state === TrialState.COMPLETE)).toBe(true);
  });
});

/** Records which trial numbers each sampling decision was shown. */
class SpySampler implements Sampler {
  readonly seen: [number, number[]][] = [];
  readonly independentViews: boolean[] = [];
  private readonly inner = new RandomSampler({ seed: 3 });
  private readonly views = new Map<number, StudyView>();

  async inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Promise<Record<string, Distribution>> {
    this.seen.push([trial.number, (await study.getTrials()).map((t) => t.number)]);
    this.views.set(trial.trialId, study);
    return {};
  }

  async sampleRelative(): Promise<Record<string, number>> {
    return {};
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, d: Distribution): number {
    this.independentViews.push(this.views.get(trial.trialId) === study); // the same bracket view as at ask()
    return this.inner.sampleIndependent(study, trial, name, d);
  }
}

describe('HyperbandPruner bad input', () => {
  it('impossible resources are InvalidArgumentErrors naming the argument and value', () => {
    const cases: [() => unknown, string][] = [
      [() => new HyperbandPruner({ minResource: 10, maxResource: 5 }), 'Expected an integer >= minResource (10) for `maxResource` but received 5'],
      [() => new HyperbandPruner({ reductionFactor: 1 }), 'Expected an integer >= 2 for `reductionFactor` but received 1'],
      [() => new HyperbandPruner({ reductionFactor: 3.5 }), 'Expected an integer for `reductionFactor` but received 3.5'],
      [() => new HyperbandPruner({ minResource: -1 }), 'Expected an integer >= 1 for `minResource` but received -1'],
      [() => new HyperbandPruner({ minResource: 0.5 }), 'Expected an integer >= 1 for `minResource` but received 0.5'],
      [() => new HyperbandPruner({ minResource: 'auto' as never }), 'Expected an integer >= 1 for `minResource` but received "auto"'],
      [() => new HyperbandPruner({ maxResource: 0 }), 'Expected "auto" or an integer >= 1 for `maxResource` but received 0'],
      [() => new HyperbandPruner({ maxResource: Infinity }), 'Expected "auto" or an integer >= 1 for `maxResource` but received Infinity'],
      [
        () => new HyperbandPruner({ bootstrapCount: 2 }),
        '`bootstrapCount` (2) needs a numeric `maxResource`, not "auto": the brackets must be fixed before trials can be held back for them',
      ],
      [() => new HyperbandPruner({ maxResource: 9, bootstrapCount: -1 }), 'Expected an integer >= 0 for `bootstrapCount` but received -1'],
      [() => new HyperbandPruner({ max_resource: 9 } as never), 'Unknown option `max_resource` in `HyperbandPruner options` (did you mean `maxResource`?)'],
    ];
    for (const [make, message] of cases) {
      expect(make).toThrow(InvalidArgumentError);
      expect(make).toThrow(message);
    }
  });

  it('bracketView rejects a bracket outside the layout', async () => {
    const pruner = new HyperbandPruner({ maxResource: 9 });
    const study = await createStudy({ pruner });
    await expect(pruner.bracketView(study, 3)).rejects.toThrow('Expected an integer in [0, 2] for `bracket` but received 3');
  });
});
