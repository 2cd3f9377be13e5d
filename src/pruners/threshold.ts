/**
 * ThresholdPruner: prune a trial whose latest intermediate value leaves [lower, upper]. It compares
 * no trials, so it needs no direction and works for multi-objective studies too.
 */
import { InvalidArgumentError } from '../errors.js';
import type { StudyView } from '../trial/index.js';
import type { FrozenTrial } from '../trial/index.js';
import { describe, integer, invalid, options } from '../validate.js';
import type { Pruner } from './base.js';
import { assertRunning, isCheckStep, lastStep } from './common.js';

export interface ThresholdPrunerOptions {
  /** Prune when the latest value is below this. */
  lower?: number;
  /** Prune when the latest value is above this. */
  upper?: number;
  nWarmupSteps?: number;
  intervalSteps?: number;
}

export class ThresholdPruner implements Pruner {
  readonly lower: number;
  readonly upper: number;
  readonly nWarmupSteps: number;
  readonly intervalSteps: number;

  constructor(opts: ThresholdPrunerOptions) {
    const o = options<ThresholdPrunerOptions>('ThresholdPruner options', opts, ['lower', 'upper', 'nWarmupSteps', 'intervalSteps']);
    if (o.lower === undefined && o.upper === undefined) {
      throw new InvalidArgumentError('ThresholdPruner needs `lower`, `upper` or both');
    }
    // NaN would make every comparison false and silently disable the pruner.
    if (o.lower !== undefined && (typeof o.lower !== 'number' || Number.isNaN(o.lower))) throw invalid('lower', 'a number', o.lower);
    if (o.upper !== undefined && (typeof o.upper !== 'number' || Number.isNaN(o.upper))) throw invalid('upper', 'a number', o.upper);
    this.lower = o.lower ?? -Infinity;
    this.upper = o.upper ?? Infinity;
    if (this.lower > this.upper) {
      throw new InvalidArgumentError(`Expected \`lower\` <= \`upper\` but received lower ${describe(this.lower)} and upper ${describe(this.upper)}`);
    }
    this.nWarmupSteps = integer('nWarmupSteps', o.nWarmupSteps ?? 0, 0);
    this.intervalSteps = integer('intervalSteps', o.intervalSteps ?? 1, 1);
  }

  prune(_study: StudyView, trial: FrozenTrial): boolean {
    assertRunning('ThresholdPruner', trial);
    const step = lastStep(trial);
    if (step === null || !isCheckStep(trial, step, this.nWarmupSteps, this.intervalSteps)) return false;
    const value = trial.intermediateValues.get(step)!;
    return value < this.lower || value > this.upper;
  }
}
