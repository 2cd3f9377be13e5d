/**
 * RandomSampler: every parameter is drawn independently and uniformly from its distribution — uniform
 * for floats, log-uniform with `log: true`, every value of an int or stepped-float grid equally likely
 * (each value owns a cell of equal width in the (log-)unit interval, see `fromUnit`), every choice of a
 * categorical equally likely. No relative search space.
 *
 * With a seed, the value of a parameter depends only on (seed, trial number, parameter name), so a
 * seeded study is reproducible, also with `concurrency > 1` or several processes sharing a storage.
 */
import { fromUnit, type Distribution } from '../distributions/index.js';
import type { FrozenTrial } from '../trial/index.js';
import { options } from '../validate.js';
import type { Sampler, StudyView } from './base.js';
import { paramRng, resolveSeed } from './seed.js';

export interface RandomSamplerOptions {
  /** An integer >= 0; drawn at random when absent. */
  readonly seed?: number;
}

/** Tag separating the RandomSampler's draws from other samplers' with the same seed. */
const TAG = 1;

export class RandomSampler implements Sampler {
  /** The seed in use (drawn at random when none was given). */
  readonly seed: number;

  constructor(opts?: RandomSamplerOptions) {
    const o = options<RandomSamplerOptions>('RandomSampler options', opts, ['seed']);
    this.seed = resolveSeed(o.seed);
  }

  async inferRelativeSearchSpace(): Promise<Record<string, Distribution>> {
    return {};
  }

  async sampleRelative(): Promise<Record<string, number>> {
    return {};
  }

  sampleIndependent(_study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    return fromUnit(distribution, paramRng(this.seed, TAG, trial.number, name).random());
  }
}
