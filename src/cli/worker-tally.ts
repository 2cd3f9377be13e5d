/** What one `tunable worker` process did: the trials it finished, by state, and the ones still running. */
import type { Trial } from '../study/trial.js';
import { TrialState, type FrozenTrial } from '../trial/index.js';

export class WorkerTally {
  complete = 0;
  pruned = 0;
  failed = 0;
  /** Trial number → trial, while its objective runs (and after, when it was given up on and never settled). */
  readonly running = new Map<number, Trial>();
  private readonly start = Date.now();

  /** An optimize() callback: counts each trial this worker finished. */
  readonly record = (_study: unknown, t: FrozenTrial): void => {
    if (t.state === TrialState.COMPLETE) this.complete++;
    else if (t.state === TrialState.PRUNED) this.pruned++;
    else this.failed++;
  };

  get finished(): number {
    return this.complete + this.pruned + this.failed;
  }

  /** "10 trials (9 complete, 0 pruned, 1 failed) in 12.3 s". */
  summary(): string {
    const s = this.finished === 1 ? '' : 's';
    const seconds = ((Date.now() - this.start) / 1000).toFixed(1);
    return `${this.finished} trial${s} (${this.complete} complete, ${this.pruned} pruned, ${this.failed} failed) in ${seconds} s`;
  }
}
