/**
 * PercentilePruner and MedianPruner: prune a trial whose best intermediate value so far is worse than
 * the given percentile of the COMPLETE trials' values at the same step.
 */
import { TrialState, type FrozenTrial } from '../trial/index.js';
import type { StudyView } from '../trial/index.js';
import { finiteNumber, integer, invalid, options } from '../validate.js';
import type { Pruner } from './base.js';
import { assertRunning, isCheckStep, lastStep, percentile, singleDirection } from './common.js';

export interface PercentilePrunerOptions {
  /** No pruning until this many trials of the study are COMPLETE. Default 5. */
  nStartupTrials?: number;
  /** No pruning before this step (steps start at 0). Default 0. */
  nWarmupSteps?: number;
  /** Check every this many steps past the warmup; a missed check happens at the next report. Default 1. */
  intervalSteps?: number;
  /** No pruning at a step that fewer than this many COMPLETE trials reported at. Default 1. */
  nMinTrials?: number;
}

const OPTION_NAMES = ['nStartupTrials', 'nWarmupSteps', 'intervalSteps', 'nMinTrials'] as const;

export class PercentilePruner implements Pruner {
  readonly percentile: number;
  readonly nStartupTrials: number;
  readonly nWarmupSteps: number;
  readonly intervalSteps: number;
  readonly nMinTrials: number;

  /** `percentile` in [0, 100]: 25 keeps trials in the best quarter at each step. */
  constructor(percentile: number, opts?: PercentilePrunerOptions) {
    finiteNumber('percentile', percentile);
    if (percentile < 0 || percentile > 100) throw invalid('percentile', 'a number in [0, 100]', percentile);
    const o = options<PercentilePrunerOptions>(`${new.target.name} options`, opts, OPTION_NAMES);
    this.percentile = percentile;
    this.nStartupTrials = integer('nStartupTrials', o.nStartupTrials ?? 5, 0);
    this.nWarmupSteps = integer('nWarmupSteps', o.nWarmupSteps ?? 0, 0);
    this.intervalSteps = integer('intervalSteps', o.intervalSteps ?? 1, 1);
    this.nMinTrials = integer('nMinTrials', o.nMinTrials ?? 1, 1);
  }

  async prune(study: StudyView, trial: FrozenTrial): Promise<boolean> {
    const name = this.constructor.name;
    assertRunning(name, trial);
    const direction = singleDirection(name, study);
    const step = lastStep(trial);
    if (step === null || !isCheckStep(trial, step, this.nWarmupSteps, this.intervalSteps)) return false;
    const completed = await study.getTrials({ states: [TrialState.COMPLETE] });
    if (completed.length === 0 || completed.length < this.nStartupTrials) return false;

    const atStep: number[] = [];
    for (const t of completed) {
      const v = t.intermediateValues.get(step);
      if (v !== undefined) atStep.push(v);
    }
    if (atStep.length === 0 || atStep.length < this.nMinTrials) return false;

    // The trial is judged by its best value so far, so one noisy step does not prune a good trial.
    // A loop rather than Math.min(...values): a trial may report a very large number of steps.
    let best = direction === 'minimize' ? Infinity : -Infinity;
    for (const v of trial.intermediateValues.values()) best = direction === 'minimize' ? Math.min(best, v) : Math.max(best, v);
    if (direction === 'minimize') return best > percentile(atStep, this.percentile);
    // For maximisation the p-th best is the (100 - p)-th percentile from below.
    return best < percentile(atStep, 100 - this.percentile);
  }
}
