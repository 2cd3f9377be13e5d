/**
 * The sampler contract. A sampler proposes parameter values in two ways:
 * - *relative* (joint) sampling: at `study.ask()` the sampler is shown the trial and the search space it
 *   infers from history (`inferRelativeSearchSpace`) and returns values for all of it at once
 *   (`sampleRelative`) — the GP, multivariate TPE and CMA-ES samplers work this way;
 * - *independent* sampling: any parameter not covered by the relative sample is drawn when the objective
 *   first asks for it (`trial.suggestFloat(...)`) through `sampleIndependent`, which is synchronous.
 * All values are *internal* (see distributions/index.ts). Async hooks run inside `ask()`, so a sampler
 * may read history or fit models there; `sampleIndependent` must not block.
 * Samplers take a `seed` and are reproducible with it for a sequential study.
 */
import type { Distribution } from '../distributions/index.js';
import type { FrozenTrial, StudyView, TrialState } from '../trial/index.js';

export type { StudyView };


export interface Sampler {
  /**
   * True when proposals depend on the RUNNING trials' points (pending points: GP fantasies, TPE's
   * constant liar). `ask()` then holds the study's `sample` lock (Storage.withStudyLock) from reading the
   * history until the proposal is stored, so workers asking at once — in one process or many — each see
   * the others' proposals as pending instead of proposing the same point.
   */
  readonly usesPending?: boolean;
  /**
   * Called by `ask()` before the trial is created. Returns system attributes for the new trial (for
   * example the grid point this trial owns), or `null` when the sampler has nothing left to propose;
   * `ask()` then stops the study and throws.
   */
  reserveTrial?(study: StudyView): Promise<Record<string, unknown> | null>;
  inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Promise<Record<string, Distribution>>;
  sampleRelative(study: StudyView, trial: FrozenTrial, searchSpace: Record<string, Distribution>): Promise<Record<string, number>>;
  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number;
  /** Called after the trial's final state is stored. */
  afterTrial?(study: StudyView, trial: FrozenTrial, state: TrialState, values: readonly number[] | null): Promise<void>;
}
