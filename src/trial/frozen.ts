/** The stored record of a trial, and the study records next to it (as Optuna's trial/_frozen.py). */
import type { Distribution, ParamValue } from '../distributions/index.js';
import type { TrialState } from './state.js';

export type StudyDirection = 'minimize' | 'maximize';

/**
 * An immutable snapshot of a trial as stored. `params` holds external values; `internalParams`
 * the numeric form samplers use (categorical: the index of the choice).
 */
export interface FrozenTrial {
  /** Storage-wide id. */
  readonly trialId: number;
  /** 0-based number within its study, assigned by the storage, unique and gap-free. */
  readonly number: number;
  readonly state: TrialState;
  /** One value per objective once COMPLETE (PRUNED trials may carry their last reported value). */
  readonly values: readonly number[] | null;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly internalParams: Readonly<Record<string, number>>;
  readonly distributions: Readonly<Record<string, Distribution>>;
  readonly userAttrs: Readonly<Record<string, unknown>>;
  readonly systemAttrs: Readonly<Record<string, unknown>>;
  /** step → value, from trial.report(). */
  readonly intermediateValues: ReadonlyMap<number, number>;
  readonly datetimeStart: Date | null;
  readonly datetimeComplete: Date | null;
}

/** The single objective value of a trial (throws for multi-objective or unfinished trials). */
export function trialValue(t: FrozenTrial): number | null {
  return t.values === null ? null : (t.values[0] ?? null);
}

export interface StudySummary {
  readonly studyId: number;
  readonly studyName: string;
  readonly directions: readonly StudyDirection[];
  readonly nTrials: number;
  readonly bestTrial: FrozenTrial | null;
  readonly datetimeStart: Date | null;
  readonly userAttrs: Readonly<Record<string, unknown>>;
}
