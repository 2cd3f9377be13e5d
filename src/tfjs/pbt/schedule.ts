/**
 * What population-based training records: the schedule each member's trial followed (trial user
 * attribute `pbt:schedule`, rewritten after every interval so a live dashboard sees it grow) and the
 * summary the call resolves to. Everything here is plain JSON, stored as is.
 */
import type { ExploreStep, Hyperparameters } from './space.js';

/** Trial user attributes written by PBT. */
export const ATTR_MEMBER = 'pbt:member';
export const ATTR_SCHEDULE = 'pbt:schedule';
/** On a replacement trial: the number of the failed trial whose slot it took. */
export const ATTR_REPLACES = 'pbt:replaces';
/** Study user attribute: the settings of the last run (population, interval, epochs, space, seed, ...). */
export const ATTR_CONFIG = 'pbt:config';

/**
 * How a member entered an interval:
 *   - `start`: the first interval of the initial population (fresh weights, sampled hyperparameters);
 *   - `continue`: kept its own weights and hyperparameters;
 *   - `exploit`: was in the bottom quantile and copied the weights and hyperparameters of `source`,
 *     then explored them (`explore` says, per hyperparameter, kept / perturbed by a factor / resampled);
 *   - `replaced`: a new trial taking the slot of a failed one (`replaces`): it copied `source` at the
 *     start of the interval the failure happened in and explored its hyperparameters, or, in the first
 *     interval (nothing to copy yet), started afresh with sampled ones (`source` null).
 */
export type ScheduleAction = 'start' | 'continue' | 'exploit' | 'replaced';

export interface ScheduleSource {
  /** The slot of the population copied. */
  readonly member: number;
  /** Its trial's number. */
  readonly trial: number;
  /** The epoch its checkpoint was taken at (the start of this interval). */
  readonly epoch: number;
}

export interface ScheduleEntry {
  /** Epochs [from, to) of this interval (0-based, as tfjs's epoch indices and the report steps). */
  readonly from: number;
  readonly to: number;
  readonly action: ScheduleAction;
  /** In effect for the whole interval. */
  readonly hyperparameters: Hyperparameters;
  readonly source: ScheduleSource | null;
  readonly explore: Readonly<Record<string, ExploreStep>> | null;
  /** For `replaced`: the failed trial's number. */
  readonly replaces: number | null;
  /** The score the train callback returned at epoch `to`; null while training or when it failed. */
  score: number | null;
  /** Why the member failed in this interval, when it did. */
  error: string | null;
}

export interface PbtMemberResult {
  readonly member: number;
  /** Trial number. */
  readonly trial: number;
  readonly score: number;
  /** In effect at the end. */
  readonly hyperparameters: Hyperparameters;
  readonly schedule: readonly ScheduleEntry[];
  /** Key of the final checkpoint in the store, or null when the store was the temp folder (removed). */
  readonly checkpoint: string | null;
}

export interface PbtFailure {
  readonly member: number;
  readonly trial: number;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

export interface PbtResult {
  /** The member with the best final score (the study's direction). */
  readonly best: PbtMemberResult;
  /** The final population, by slot. */
  readonly members: readonly PbtMemberResult[];
  /** Every member failure, in the order handled. */
  readonly failures: readonly PbtFailure[];
  /** The schedule of every trial PBT ran (failed ones too), by trial number. */
  readonly schedules: Readonly<Record<number, readonly ScheduleEntry[]>>;
  /** The seed used (drawn when none was given): pass it again to replay the run. */
  readonly seed: number;
  /** Member-epochs trained in all, failed intervals included. */
  readonly epochsTrained: number;
}
