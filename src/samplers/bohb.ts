/**
 * BOHBSampler: model-based multi-fidelity sampling in the style of BOHB (Falkner et al., 2018).
 *
 * Paired with a SuccessiveHalvingPruner or HyperbandPruner, most trials stop at small budgets, so their
 * final values are not comparable with those of trials that ran to the end. BOHB fits its model on the
 * largest budget that has enough observations: here, at each ask() the study's history is rewritten
 * (fidelity.ts, `studyAtLargestBudget`) so that every trial that reported at that step appears
 * COMPLETE with its value there, and a TPESampler (or any sampler given) fits on that view. While no
 * step has `minObservations` observations the delegate sees the plain study (final values; TPE samples
 * at random during its startup trials anyway).
 *
 * The budget chosen for a trial is recorded in its system attribute `bohb_budget` (null: none yet, or a
 * multi-objective study, whose model always sees final values).
 */
import { InvalidArgumentError } from '../errors.js';
import type { Distribution } from '../distributions/index.js';
import type { Sampler, StudyView } from './base.js';
import { TPESampler, type TPESamplerOptions } from './tpe/index.js';
import type { FrozenTrial, TrialState } from '../trial/index.js';
import { integer, invalid, options } from '../validate.js';
import { studyAtLargestBudget } from '../pruners/fidelity.js';

export interface BOHBSamplerOptions {
  /** Seed of the default TPESampler. */
  seed?: number;
  /** Observations a step needs to be chosen as the model's budget (an integer >= 1). Default 10. */
  minObservations?: number;
  /** Options of the default TPESampler (its `seed` may be given here or above, not both). */
  tpe?: TPESamplerOptions;
  /** Another sampler to fit on the chosen budget instead of TPE (exclusive with `seed` and `tpe`). */
  sampler?: Sampler;
}

/** Trials asked but never told here (told by another process) are forgotten past this many. */
const MAX_VIEWS = 10_000;

export class BOHBSampler implements Sampler {
  readonly minObservations: number;
  /** The sampler fitted on the chosen budget. */
  readonly sampler: Sampler;
  /** trial id → the budget view built at ask(), for the synchronous sampleIndependent. */
  private readonly views = new Map<number, StudyView>();

  constructor(opts?: BOHBSamplerOptions) {
    const o = options<BOHBSamplerOptions>('BOHBSampler options', opts, ['seed', 'minObservations', 'tpe', 'sampler']);
    this.minObservations = integer('minObservations', o.minObservations ?? 10, 1);
    if (o.sampler !== undefined) {
      if (o.seed !== undefined || o.tpe !== undefined) {
        throw new InvalidArgumentError('Pass `sampler` or `seed`/`tpe` to BOHBSampler, not both: `seed` and `tpe` configure the default TPESampler');
      }
      const s = o.sampler as Partial<Sampler> | null;
      if (s === null || typeof s !== 'object' || typeof s.inferRelativeSearchSpace !== 'function' || typeof s.sampleIndependent !== 'function') {
        throw invalid('sampler', 'a Sampler', o.sampler);
      }
      this.sampler = o.sampler;
    } else {
      if (o.seed !== undefined && o.tpe?.seed !== undefined) {
        throw new InvalidArgumentError('Pass the seed as `seed` or as `tpe.seed`, not both');
      }
      this.sampler = new TPESampler(o.seed === undefined ? o.tpe : { ...o.tpe, seed: o.seed });
    }
  }

  /** The wrapped sampler's (see Sampler.usesPending). */
  get usesPending(): boolean {
    return this.sampler.usesPending === true;
  }

  async reserveTrial(study: StudyView): Promise<Record<string, unknown> | null> {
    return this.sampler.reserveTrial ? this.sampler.reserveTrial(study) : {};
  }

  async inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Promise<Record<string, Distribution>> {
    // An intermediate value is one number: it cannot stand for a trial's several objectives, so a
    // multi-objective study's model is fitted on final values (budget null), as before any budget has
    // enough observations.
    const { view, budget } =
      study.directions.length > 1
        ? { view: study, budget: null }
        : await studyAtLargestBudget(study, { minObservations: this.minObservations, exceptTrialId: trial.trialId });
    await study.storage.setTrialSystemAttr(trial.trialId, 'bohb_budget', budget);
    if (this.views.size >= MAX_VIEWS) this.views.delete(this.views.keys().next().value!);
    this.views.set(trial.trialId, view);
    return this.sampler.inferRelativeSearchSpace(view, trial);
  }

  async sampleRelative(study: StudyView, trial: FrozenTrial, space: Record<string, Distribution>): Promise<Record<string, number>> {
    return this.sampler.sampleRelative(this.views.get(trial.trialId) ?? study, trial, space);
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    return this.sampler.sampleIndependent(this.views.get(trial.trialId) ?? study, trial, name, distribution);
  }

  async afterTrial(study: StudyView, trial: FrozenTrial, state: TrialState, values: readonly number[] | null): Promise<void> {
    this.views.delete(trial.trialId);
    // The live study, not the view: the view is a snapshot from ask(), and `values` are the real final values.
    if (this.sampler.afterTrial) await this.sampler.afterTrial(study, trial, state, values);
  }
}
