/**
 * Budget-aware views of a study's history, for model-based multi-fidelity optimisation (BOHB, Falkner
 * et al. 2018): the model is fitted on the observations at the largest budget that has enough of them,
 * rather than on final values that mix trials stopped at different budgets.
 *
 * A budget is a step, and a trial has an observation at budget b when it reported an intermediate
 * value at exactly step b (values at other steps are other fidelities, never substituted).
 */
import type { StudyView } from '../trial/index.js';
import { TrialState, type FrozenTrial } from '../trial/index.js';
import { integer } from '../validate.js';

export interface BudgetObservations {
  /** The largest step at which at least `minObservations` trials reported, or null if none. */
  readonly budget: number | null;
  /** The trials with a value at `budget`, in the order given, with that value. */
  readonly observations: readonly { readonly trial: FrozenTrial; readonly value: number }[];
}

/**
 * Chooses the largest budget (step) that at least `minObservations` of `trials` reported at, and
 * returns each such trial's value there. Which trials count (finished only, or running ones that
 * already passed the budget too) is the caller's choice through the list it passes.
 */
export function trialsAtLargestBudget(trials: readonly FrozenTrial[], opts: { minObservations: number }): BudgetObservations {
  const minObservations = integer('minObservations', opts.minObservations, 1);
  const counts = new Map<number, number>();
  for (const t of trials) for (const step of t.intermediateValues.keys()) counts.set(step, (counts.get(step) ?? 0) + 1);
  let budget: number | null = null;
  for (const [step, n] of counts) if (n >= minObservations && (budget === null || step > budget)) budget = step;
  if (budget === null) return { budget: null, observations: [] };
  const observations: { trial: FrozenTrial; value: number }[] = [];
  for (const trial of trials) {
    const value = trial.intermediateValues.get(budget);
    if (value !== undefined) observations.push({ trial, value });
  }
  return { budget, observations };
}

/** The trials a budget-aware view takes observations from: finished ones and running ones past the budget. */
const OBSERVED_STATES: readonly TrialState[] = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING];

/**
 * Rewrites a history so a sampler fits on one budget: each trial with an observation at `budget`
 * becomes COMPLETE with that value; other finished trials become FAIL (samplers ignore those, and
 * their numbers stay, so the list keeps one entry per trial). Running and waiting trials without an
 * observation, and `exceptTrialId` (the trial being sampled), are left as they are.
 */
export function historyAtBudget(trials: readonly FrozenTrial[], budget: number, exceptTrialId: number | null = null): FrozenTrial[] {
  return trials.map((t) => {
    if (t.trialId === exceptTrialId) return t;
    const value = OBSERVED_STATES.includes(t.state) ? t.intermediateValues.get(budget) : undefined;
    if (value !== undefined) return { ...t, state: TrialState.COMPLETE, values: [value] };
    if (t.state === TrialState.RUNNING || t.state === TrialState.WAITING) return t;
    return { ...t, state: TrialState.FAIL, values: null };
  });
}

/**
 * A view of `study` whose `getTrials()` returns the history at the largest budget with at least
 * `minObservations` observations (see `historyAtBudget`), with `budget` telling which was chosen. With
 * no such budget yet, the view returns the history unchanged (final values), so a model-based sampler
 * behaves as it would without budgets.
 */
export async function studyAtLargestBudget(
  study: StudyView,
  opts: { minObservations: number; exceptTrialId?: number | null },
): Promise<{ view: StudyView; budget: number | null }> {
  const all = await study.getTrials();
  const candidates = all.filter((t) => t.trialId !== opts.exceptTrialId && OBSERVED_STATES.includes(t.state));
  const { budget } = trialsAtLargestBudget(candidates, { minObservations: opts.minObservations });
  if (budget === null) return { view: study, budget: null };
  const rewritten = historyAtBudget(all, budget, opts.exceptTrialId ?? null);
  const view: StudyView = {
    studyId: study.studyId,
    studyName: study.studyName,
    directions: study.directions,
    storage: study.storage,
    // A snapshot taken once per sampling decision: the model must see one consistent history.
    async getTrials(o?: { states?: readonly TrialState[] }): Promise<FrozenTrial[]> {
      const states = o?.states;
      return states === undefined ? rewritten.slice() : rewritten.filter((t) => states.includes(t.state));
    },
    stop: () => study.stop(),
  };
  return { view, budget };
}
