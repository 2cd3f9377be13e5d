/** A sampler restricted to the trials of the current trial's Hyperband bracket (see pruners/hyperband.ts). */
import type { Distribution } from '../distributions/index.js';
import type { HyperbandPruner } from '../pruners/hyperband.js';
import type { FrozenTrial, StudyView, TrialState } from '../trial/index.js';
import type { Sampler } from './base.js';

/**
 * Wraps a sampler so that it sees only the trials of the current trial's bracket (Optuna's behaviour
 * for TPE under Hyperband). Before the layout is known (an 'auto' maxResource with no COMPLETE trial)
 * the sampler sees the whole study.
 */
export class BracketFilteredSampler implements Sampler {
  /** trial id → the bracket view built in the async hooks, for the synchronous sampleIndependent. */
  private readonly views = new Map<number, StudyView>();

  constructor(
    readonly sampler: Sampler,
    readonly pruner: HyperbandPruner,
  ) {}

  /** The wrapped sampler's (see Sampler.usesPending). */
  get usesPending(): boolean {
    return this.sampler.usesPending === true;
  }

  async reserveTrial(study: StudyView): Promise<Record<string, unknown> | null> {
    return this.sampler.reserveTrial ? this.sampler.reserveTrial(study) : {};
  }

  async inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Promise<Record<string, Distribution>> {
    return this.sampler.inferRelativeSearchSpace(await this.viewFor(study, trial), trial);
  }

  async sampleRelative(study: StudyView, trial: FrozenTrial, space: Record<string, Distribution>): Promise<Record<string, number>> {
    return this.sampler.sampleRelative(await this.viewFor(study, trial), trial, space);
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    return this.sampler.sampleIndependent(this.views.get(trial.trialId) ?? study, trial, name, distribution);
  }

  async afterTrial(study: StudyView, trial: FrozenTrial, state: TrialState, values: readonly number[] | null): Promise<void> {
    const view = this.views.get(trial.trialId) ?? study;
    this.views.delete(trial.trialId);
    if (this.sampler.afterTrial) await this.sampler.afterTrial(view, trial, state, values);
  }

  private async viewFor(study: StudyView, trial: FrozenTrial): Promise<StudyView> {
    const known = this.views.get(trial.trialId);
    if (known !== undefined) return known;
    const bracket = await this.pruner.bracketOf(study, trial);
    const view = bracket === null ? study : await this.pruner.bracketView(study, bracket);
    // Trials told elsewhere (another process's tell) never reach afterTrial here: bound the map.
    if (this.views.size >= 10_000) this.views.delete(this.views.keys().next().value!);
    this.views.set(trial.trialId, view);
    return view;
  }
}
