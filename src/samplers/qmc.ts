/**
 * QMCSampler: quasi-Monte Carlo sampling on a (scrambled) Sobol' sequence, like Optuna's QMCSampler.
 *
 * - The relative search space is inferred once per study from its first finished trial (the COMPLETE
 *   or PRUNED trial of smallest number): every parameter of that trial, in sorted name order, one
 *   Sobol' dimension each. Until such a trial exists, every parameter is sampled independently at random.
 * - Trial number i takes the Sobol' point of index i, mapped into each distribution through `fromUnit`
 *   (log scale for `log`, equal-width cells for int/step/categorical values). Using the trial number as
 *   the index gives concurrent workers and processes distinct points, and a seeded study the same
 *   points whatever the concurrency. (Trials sampled before the space was known leave their indices unused.)
 * - With `scramble` (default), the sequence is LMS + digital-shift scrambled with `seed`; without a seed
 *   the scramble is drawn once per sampler, so processes sharing a study should pass the same seed.
 * - Parameters outside the inferred space (or asked with another distribution — the study decides) are
 *   sampled independently at random, seeded by (seed, trial number, name).
 */
import { fromUnit, type Distribution } from '../distributions/index.js';
import { InvalidArgumentError } from '../errors.js';
import { Sobol, SOBOL_MAX_DIMS } from '../qmc/sobol.js';
import type { Storage } from '../storage/base.js';
import { TrialState, type FrozenTrial } from '../trial/index.js';
import { boolean, oneOf, options } from '../validate.js';
import type { Sampler, StudyView } from './base.js';
import { paramRng, resolveSeed } from './seed.js';
import { dict } from '../util/dict.js';

export type QMCType = 'sobol';

export interface QMCSamplerOptions {
  /** An integer >= 0; drawn at random when absent. Seeds the scramble and the independent draws. */
  readonly seed?: number;
  /** Scramble the Sobol' sequence (default true). */
  readonly scramble?: boolean;
  /** The low-discrepancy sequence; only 'sobol' for now. */
  readonly qmcType?: QMCType;
}

const TAG = 2;
const QMC_TYPES: readonly QMCType[] = ['sobol'];

export class QMCSampler implements Sampler {
  readonly seed: number;
  readonly scramble: boolean;
  readonly qmcType: QMCType;
  private readonly spaces = new WeakMap<Storage, Map<number, Record<string, Distribution>>>();
  private readonly engines = new Map<number, Sobol>();

  constructor(opts?: QMCSamplerOptions) {
    const o = options<QMCSamplerOptions>('QMCSampler options', opts, ['seed', 'scramble', 'qmcType']);
    this.seed = resolveSeed(o.seed);
    this.scramble = o.scramble === undefined ? true : boolean('scramble', o.scramble);
    this.qmcType = o.qmcType === undefined ? 'sobol' : oneOf('qmcType', o.qmcType, QMC_TYPES);
  }

  async inferRelativeSearchSpace(study: StudyView): Promise<Record<string, Distribution>> {
    let byStudy = this.spaces.get(study.storage);
    const cached = byStudy?.get(study.studyId);
    if (cached !== undefined) return cached;
    const finished = await study.getTrials({ states: [TrialState.COMPLETE, TrialState.PRUNED] });
    if (finished.length === 0) return {};
    const first = finished.reduce((a, b) => (b.number < a.number ? b : a));
    const space = dict<Distribution>();
    for (const name of Object.keys(first.distributions).sort()) space[name] = first.distributions[name]!;
    if (Object.keys(space).length > SOBOL_MAX_DIMS) {
      throw new InvalidArgumentError(
        `QMCSampler supports at most ${SOBOL_MAX_DIMS} parameters but the first finished trial of study ${JSON.stringify(study.studyName)} has ${Object.keys(space).length}`,
      );
    }
    if (byStudy === undefined) {
      byStudy = new Map();
      this.spaces.set(study.storage, byStudy);
    }
    byStudy.set(study.studyId, space);
    return space;
  }

  async sampleRelative(_study: StudyView, trial: FrozenTrial, searchSpace: Record<string, Distribution>): Promise<Record<string, number>> {
    const names = Object.keys(searchSpace).sort();
    if (names.length === 0) return {};
    const u = this.engine(names.length).at(trial.number);
    const out = dict<number>();
    names.forEach((name, j) => (out[name] = fromUnit(searchSpace[name]!, u[j]!)));
    return out;
  }

  sampleIndependent(_study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    return fromUnit(distribution, paramRng(this.seed, TAG, trial.number, name).random());
  }

  /** The Sobol' engine for `d` dimensions (the same scramble as `new Sobol(d, { seed, scramble })`). */
  private engine(d: number): Sobol {
    let e = this.engines.get(d);
    if (e === undefined) {
      e = new Sobol(d, this.scramble ? { scramble: true, seed: this.seed } : { scramble: false });
      this.engines.set(d, e);
    }
    return e;
  }
}
