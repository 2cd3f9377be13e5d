/**
 * What the optimize loop shows while it runs: a one-line progress bar on stderr when asked for and
 * stderr is a TTY, else one log line per finished trial at level `info` (util/log.ts).
 */
import { TrialState, type FrozenTrial } from '../trial/index.js';
import { log } from '../util/log.js';
import type { Study } from './study.js';

function formatValues(values: readonly number[]): string {
  return values.length === 1 ? String(values[0]) : `[${values.join(', ')}]`;
}

/** "Trial 3 finished with value 0.12 and parameters {...}. Best is trial 1 with value 0.1." */
export function finishedLine(study: Study, t: FrozenTrial): string {
  const params = JSON.stringify(t.params);
  switch (t.state) {
    case TrialState.COMPLETE: {
      let best = '';
      const b = study.directions.length === 1 ? safeBest(study) : null;
      if (b) best = ` Best is trial ${b.number} with value ${b.values![0]}.`;
      return `Trial ${t.number} finished with ${t.values!.length === 1 ? 'value' : 'values'} ${formatValues(t.values!)} and parameters ${params}.${best}`;
    }
    case TrialState.PRUNED:
      return `Trial ${t.number} pruned${t.values === null ? '' : ` at value ${formatValues(t.values)}`}; parameters ${params}.`;
    default: {
      const reason = t.systemAttrs['failReason'];
      const first = typeof reason === 'string' ? reason.split('\n')[0] : 'no reason recorded';
      return `Trial ${t.number} failed: ${first}; parameters ${params}.`;
    }
  }
}

function safeBest(study: Study): FrozenTrial | null {
  try {
    return study.bestTrial;
  } catch {
    return null;  // no COMPLETE trial in this process's snapshot
  }
}

/** Reports a finished trial: on the progress bar when one is drawn, else as a log line. */
export function reportFinished(study: Study, t: FrozenTrial, bar: ProgressBar | null): void {
  bar?.tick(study, t);
  if (bar === null || !bar.drawing) log('info', finishedLine(study, t));
}

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

  /** Whether the bar is drawn (stderr is a TTY). */
  get drawing(): boolean {
    return this.enabled;
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
