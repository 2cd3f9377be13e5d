/** A one-line progress bar on stderr, drawn only when stderr is a TTY. */
import { TrialState, type FrozenTrial } from '../trial/index.js';
import type { Study } from './study.js';

export class ProgressBar {
  private readonly total: number;
  private readonly deadline: number;
  private readonly start = Date.now();
  private readonly enabled = process.stderr.isTTY === true;
  private done_ = 0;
  private best: number | null = null;

  constructor(total: number, deadline: number) {
    this.total = total;
    this.deadline = deadline;
  }

  tick(study: Study, trial: FrozenTrial): void {
    this.done_++;
    if (trial.state === TrialState.COMPLETE && trial.values !== null && study.directions.length === 1) {
      const v = trial.values[0]!;
      const better = study.directions[0] === 'minimize' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b;
      if (this.best === null || better(v, this.best)) this.best = v;
    }
    if (!this.enabled) return;
    const width = 30;
    const elapsed = (Date.now() - this.start) / 1000;
    const frac = Number.isFinite(this.total)
      ? this.done_ / this.total
      : Number.isFinite(this.deadline) ? Math.min(1, (Date.now() - this.start) / (this.deadline - this.start)) : 0;
    const filled = Math.round(frac * width);
    const count = Number.isFinite(this.total) ? `${this.done_}/${this.total}` : `${this.done_}`;
    const best = this.best === null ? '' : ` best ${this.best.toPrecision(6)}`;
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count} ${elapsed.toFixed(1)}s${best}\x1b[K`);
  }

  done(): void {
    if (this.enabled && this.done_ > 0) process.stderr.write('\n');
  }
}
