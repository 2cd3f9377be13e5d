/**
 * Progress of an AutoML run: one event per finished trial (complete, pruned or failed), and the line
 * the command line prints for it.
 */
import type { MetricName } from './metrics.js';

export interface ProgressEvent {
  /** The trial's number in the study (continues across resumed runs). */
  readonly trial: number;
  readonly family: string;
  readonly state: 'complete' | 'pruned' | 'failed';
  /** The CV score at the trial's last budget; null when it failed before scoring. */
  readonly score: number | null;
  /** Budget fraction the trial reached (1 for a complete trial). */
  readonly budget: number;
  /** Best complete CV score of the study so far, or null. */
  readonly best: number | null;
  readonly metric: MetricName;
  /** Seconds since this run started, and left of its time budget (never negative). */
  readonly elapsed: number;
  readonly timeLeft: number;
  /** Why the trial failed (the learner's error message), for failed trials. */
  readonly reason?: string;
}

const fmt = (v: number | null): string => (v === null ? '—' : Number(v.toPrecision(5)).toString());

/** `trial 12  gbdt  complete  log_loss 0.0931  best 0.0874  41 s  259 s left` */
export function formatProgress(e: ProgressEvent): string {
  const what = e.state === 'pruned' ? `pruned at ${Math.round(e.budget * 100)} %` : e.state;
  const reason = e.reason === undefined ? '' : `  (${e.reason})`;
  return (
    `trial ${e.trial}  ${e.family}  ${what}  ${e.metric} ${fmt(e.score)}  best ${fmt(e.best)}  ` +
    `${Math.round(e.elapsed)} s  ${Math.round(e.timeLeft)} s left${reason}`
  );
}
