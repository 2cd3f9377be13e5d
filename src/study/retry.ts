/**
 * What becomes of a trial failed as stale — its worker died, or went silent longer than the stale
 * threshold: the study's `failedTrialCallback` (createStudy / loadStudy) is called once for it, by the
 * worker whose `failStaleTrials` failed it. `RetryFailedTrial` re-enqueues its parameters.
 *
 * Lineage, in the new trial's system attributes:
 *   retriedFrom: number      the trial it retries
 *   retryHistory: number[]   every ancestor, oldest first (its last element is `retriedFrom`)
 */
import { invalid, integer, options } from '../validate.js';
import { TrialState, type FrozenTrial, type StudyView } from '../trial/index.js';

export interface FailedTrialCallback {
  /** Called once per stale trial, after it was stored as FAIL. */
  onStaleTrial(study: StudyView, trial: FrozenTrial): Promise<void>;
}

export interface RetryFailedTrialOptions {
  /** Retries per lineage: a trial whose `retryHistory` has this many entries is not retried. Default: no limit. */
  maxRetry?: number;
  /** Copy the failed trial's user attributes to the retry (default true). */
  inheritUserAttrs?: boolean;
}

/** Re-enqueues a stale trial's parameters as a WAITING trial, which the next `ask()` of any worker takes. */
export class RetryFailedTrial implements FailedTrialCallback {
  /** null: no limit. */
  readonly maxRetry: number | null;
  readonly inheritUserAttrs: boolean;

  constructor(opts: RetryFailedTrialOptions = {}) {
    const o = options<RetryFailedTrialOptions>('RetryFailedTrial options', opts, ['maxRetry', 'inheritUserAttrs']);
    this.maxRetry = o.maxRetry === undefined ? null : integer('maxRetry', o.maxRetry, 0);
    if (o.inheritUserAttrs !== undefined && typeof o.inheritUserAttrs !== 'boolean') {
      throw invalid('inheritUserAttrs', 'a boolean', o.inheritUserAttrs);
    }
    this.inheritUserAttrs = o.inheritUserAttrs ?? true;
  }

  async onStaleTrial(study: StudyView, trial: FrozenTrial): Promise<void> {
    const history = retryHistory(trial);
    if (this.maxRetry !== null && history.length >= this.maxRetry) return;
    await study.storage.createTrial(study.studyId, {
      state: TrialState.WAITING,
      systemAttrs: { fixedParams: { ...trial.params }, retriedFrom: trial.number, retryHistory: [...history, trial.number] },
      userAttrs: this.inheritUserAttrs ? trial.userAttrs : {},
    });
  }
}

/** The numbers of the trials `trial` retries, oldest first ([] for an original). */
export function retryHistory(trial: FrozenTrial): number[] {
  const h = trial.systemAttrs['retryHistory'];
  return Array.isArray(h) ? h.filter((n): n is number => Number.isInteger(n)) : [];
}
