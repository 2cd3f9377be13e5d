/**
 * What becomes of a trial failed as stale — its worker died, or went silent longer than the stale
 * threshold. The study's `failedTrialCallback` (createStudy / loadStudy) says it in two parts:
 * - `retry` (optional): a StaleRetry policy the storage applies in the very transaction that fails the
 *   trial, enqueueing a WAITING trial with the failed trial's params. Being one transaction, a worker
 *   killed in the middle of a sweep cannot leave a stale trial failed and never retried.
 * - `onStaleTrial`: called once per failed trial afterwards, by the worker whose sweep failed it — best
 *   effort: a sweeper that dies after the commit never calls it.
 * `RetryFailedTrial` is the first part alone.
 *
 * Lineage, in the retry's system attributes (written by the storage, StaleRetry in storage/base.ts):
 *   retriedFrom: number      the trial it retries
 *   retryHistory: number[]   every ancestor, oldest first (its last element is `retriedFrom`)
 */
import { boolean, integer, options } from '../validate.js';
import type { StaleRetry } from '../storage/base.js';
import { lineageOf } from '../storage/common.js';
import type { FrozenTrial, StudyView } from '../trial/index.js';

export interface FailedTrialCallback {
  /** Retries the storage enqueues in the transaction that fails a stale trial; none when absent. */
  readonly retry?: StaleRetry;
  /** Called once per stale trial, after it was stored as FAIL (and its retry, if any, enqueued). */
  onStaleTrial(study: StudyView, trial: FrozenTrial): Promise<void>;
}

export interface RetryFailedTrialOptions {
  /** Retries per lineage: a trial whose `retryHistory` has this many entries is not retried. Default: no limit. */
  maxRetry?: number;
  /** Copy the failed trial's user attributes to the retry (default true). */
  inheritUserAttrs?: boolean;
}

/**
 * Re-enqueues a stale trial's parameters as a WAITING trial, which the next `ask()` of any worker takes:
 * the retry's stored params are the failed trial's, so its `suggest*` calls return the same values.
 * The storage does it (see `retry`), in the transaction that fails the trial.
 */
export class RetryFailedTrial implements FailedTrialCallback {
  /** null: no limit. */
  readonly maxRetry: number | null;
  readonly inheritUserAttrs: boolean;
  /** The policy handed to `storage.failStaleTrials`. */
  readonly retry: StaleRetry;

  constructor(opts: RetryFailedTrialOptions = {}) {
    const o = options<RetryFailedTrialOptions>('RetryFailedTrial options', opts, ['maxRetry', 'inheritUserAttrs']);
    this.maxRetry = o.maxRetry === undefined ? null : integer('maxRetry', o.maxRetry, 0);
    this.inheritUserAttrs = o.inheritUserAttrs === undefined ? true : boolean('inheritUserAttrs', o.inheritUserAttrs);
    this.retry = Object.freeze({ maxRetry: this.maxRetry, inheritUserAttrs: this.inheritUserAttrs });
  }

  /** Nothing left to do: the storage enqueued the retry when it failed the trial. */
  async onStaleTrial(_study: StudyView, _trial: FrozenTrial): Promise<void> {}
}

/** The numbers of the trials `trial` retries, oldest first ([] for an original). */
export function retryHistory(trial: FrozenTrial): number[] {
  return lineageOf(trial.systemAttrs);
}
