import { describe, expect, it } from 'vitest';
import { createStudy, historyAtBudget, InvalidArgumentError, studyAtLargestBudget, trialsAtLargestBudget, TrialState, type FrozenTrial } from '../../src/index.js';
import { storages } from './helpers.js';

function frozen(number: number, state: TrialState, iv: Record<number, number>, values: number[] | null = null): FrozenTrial {
  return {
    trialId: 100 + number,
    number,
    state,
    values,
    params: {},
    internalParams: {},
    distributions: {},
    userAttrs: {},
    systemAttrs: {},
    intermediateValues: new Map(Object.entries(iv).map(([k, v]) => [Number(k), v])),
    datetimeStart: null,
    datetimeComplete: null,
  };
}

// Steps reported: step 0 by 5 trials (incl. the FAIL one), 1 by 4, 2 by 3, 3 by 1.
const HISTORY: FrozenTrial[] = [
  frozen(0, TrialState.COMPLETE, { 0: 5, 1: 4, 2: 3, 3: 2 }, [2]),
  frozen(1, TrialState.PRUNED, { 0: 6, 1: 5 }, [5]),
  frozen(2, TrialState.COMPLETE, { 0: 4, 1: 3, 2: 2.5 }, [2.5]),
  frozen(3, TrialState.RUNNING, { 0: 1, 1: 0.5, 2: 0.1 }),
  frozen(4, TrialState.FAIL, { 0: 0 }),
  frozen(5, TrialState.WAITING, {}),
  frozen(6, TrialState.COMPLETE, {}, [7]),
];

describe('trialsAtLargestBudget', () => {
  it('picks the largest step with enough observations and returns each trial’s value there', () => {
    const at = (min: number) => {
      const r = trialsAtLargestBudget(HISTORY, { minObservations: min });
      return [r.budget, r.observations.map((o) => [o.trial.number, o.value])];
    };
    expect(at(1)).toEqual([3, [[0, 2]]]);
    expect(at(3)).toEqual([2, [[0, 3], [2, 2.5], [3, 0.1]]]);
    expect(at(4)).toEqual([1, [[0, 4], [1, 5], [2, 3], [3, 0.5]]]);
    expect(at(5)).toEqual([0, [[0, 5], [1, 6], [2, 4], [3, 1], [4, 0]]]);
    expect(at(6)).toEqual([null, []]);
    expect(() => trialsAtLargestBudget(HISTORY, { minObservations: 0 })).toThrow(InvalidArgumentError);
    expect(() => trialsAtLargestBudget(HISTORY, { minObservations: 0 })).toThrow('Expected an integer >= 1 for `minObservations` but received 0');
  });

  it('historyAtBudget: observed trials become COMPLETE with the value at the budget, other finished ones FAIL', () => {
    const h = historyAtBudget(HISTORY, 2);
    expect(h.map((t) => [t.number, t.state, t.values])).toEqual([
      [0, TrialState.COMPLETE, [3]],
      [1, TrialState.FAIL, null],
      [2, TrialState.COMPLETE, [2.5]],
      [3, TrialState.COMPLETE, [0.1]], // running, but already past the budget
      [4, TrialState.FAIL, null],
      [5, TrialState.WAITING, null],
      [6, TrialState.FAIL, null], // complete, but never reported at step 2
    ]);
    expect(historyAtBudget(HISTORY, 2, 103)[3]).toBe(HISTORY[3]); // the trial being sampled is left alone
    expect(HISTORY[0]!.values).toEqual([2]); // inputs are not mutated
  });
});

describe.each(storages)('studyAtLargestBudget on %s storage', (_name, makeStorage) => {
  it('a view whose getTrials() is the history at the chosen budget; the study itself when none has enough', async () => {
    const study = await createStudy({ storage: makeStorage() });
    for (const [values, final] of [[[5, 4, 3], 3], [[6, 5], 5], [[4, 3, 2.5], 2.5]] as const) {
      const t = await study.ask();
      values.forEach((v, step) => t.report(v, step));
      await study.tell(t, final);
    }
    const current = await study.ask();
    current.report(0, 0);
    await current.flush();
    const { view, budget } = await studyAtLargestBudget(study, { minObservations: 2, exceptTrialId: current.trialId });
    expect(budget).toBe(2);
    const complete = await view.getTrials({ states: [TrialState.COMPLETE] });
    expect(complete.map((t) => [t.number, t.values])).toEqual([[0, [3]], [2, [2.5]]]);
    expect((await view.getTrials()).map((t) => t.state)).toEqual([TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE, TrialState.RUNNING]);
    expect(view.directions).toEqual(study.directions);
    const none = await studyAtLargestBudget(study, { minObservations: 5 });
    expect(none).toEqual({ view: study, budget: null });
  });
});
