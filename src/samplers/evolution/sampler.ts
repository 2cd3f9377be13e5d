/**
 * RegularizedEvolutionSampler: aging (regularized) evolution, Real, Aggarwal, Huang & Le, "Regularized
 * Evolution for Image Classifier Architecture Search", AAAI 2019 — made for discrete and combinatorial
 * spaces such as neural-architecture search.
 *
 * - Population: the `populationSize` most recent COMPLETE trials (highest trial numbers). Aging means
 *   a trial leaves the population when newer ones push it out, however good it was: this is what
 *   regularises the search (a lucky evaluation cannot dominate forever).
 * - Until the study has `populationSize` COMPLETE trials, every parameter is drawn at random.
 * - Then, at each ask(): tournament — `sampleSize` distinct members drawn uniformly, the best is the
 *   parent — and the child copies the parent's parameters with mutations (mutate.ts): by default
 *   exactly one parameter (chosen uniformly among those with more than one value); with
 *   `mutationRate`, each parameter with that probability, at least one.
 * - Conditional spaces: the child's inherited values form the relative sample, so a parameter the
 *   parent never had (or had with another distribution) is drawn at random when the objective asks
 *   for it, and inherited parameters the child no longer asks for are simply unused.
 * - Trials record their parent (`evo:parent`, a trial number) and the mutated names (`evo:mutated`).
 * - Stateless between asks (everything is read from the study), so concurrent workers and processes
 *   need no coordination. With `seed`, a trial's draws depend only on (seed, trial number) and the
 *   history, so a sequential study is reproducible.
 */
import { fromUnit, isSingle, type Distribution } from '../../distributions/index.js';
import { InvalidArgumentError } from '../../errors.js';
import type { Storage } from '../../storage/base.js';
import { TrialState, type FrozenTrial } from '../../trial/index.js';
import { integer, invalid, options } from '../../validate.js';
import type { Sampler, StudyView } from '../base.js';
import type { Rng } from '../../util/rng.js';
import { paramRng, resolveSeed } from '../seed.js';
import { mutateValue } from './mutate.js';
import { dict } from '../../util/dict.js';

export interface RegularizedEvolutionSamplerOptions {
  /** An integer >= 0; drawn at random when absent. */
  readonly seed?: number;
  /** Number of most recent COMPLETE trials forming the population (an integer >= 2, default 20). */
  readonly populationSize?: number;
  /** Tournament size: members compared to pick a parent (an integer in [1, populationSize], default 5). */
  readonly sampleSize?: number;
  /**
   * Probability that each parameter of the parent mutates (a number in (0, 1]; at least one always
   * does). Default: exactly one parameter mutates, as in the paper.
   */
  readonly mutationRate?: number;
}

/** Trial system attribute: the number of the trial this one was mutated from. */
export const PARENT_ATTR = 'evo:parent';
/** Trial system attribute: the names of the parameters that were mutated. */
export const MUTATED_ATTR = 'evo:mutated';

const TAG = 12;

/** The relative sample of one trial: inherited (and mutated) internal values of the parent's parameters. */
interface Child {
  readonly parent: FrozenTrial;
  readonly space: Record<string, Distribution>;
  readonly values: Record<string, number>;
  readonly mutated: string[];
}

export class RegularizedEvolutionSampler implements Sampler {
  readonly seed: number;
  readonly populationSize: number;
  readonly sampleSize: number;
  readonly mutationRate: number | null;
  /** Children chosen by inferRelativeSearchSpace, handed to sampleRelative of the same trial. */
  private readonly pending = new WeakMap<Storage, Map<number, Child>>();

  constructor(opts?: RegularizedEvolutionSamplerOptions) {
    const o = options<RegularizedEvolutionSamplerOptions>('RegularizedEvolutionSampler options', opts, [
      'seed', 'populationSize', 'sampleSize', 'mutationRate',
    ]);
    this.seed = resolveSeed(o.seed);
    this.populationSize = o.populationSize === undefined ? 20 : integer('populationSize', o.populationSize, 2);
    this.sampleSize = o.sampleSize === undefined ? Math.min(5, this.populationSize) : integer('sampleSize', o.sampleSize, 1);
    if (this.sampleSize > this.populationSize) {
      throw new InvalidArgumentError(
        `Expected \`sampleSize\` <= \`populationSize\` but received sampleSize=${this.sampleSize}, populationSize=${this.populationSize}`,
      );
    }
    const rate: unknown = o.mutationRate;
    if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0 && rate <= 1))) throw invalid('mutationRate', 'a number in (0, 1]', rate);
    this.mutationRate = (rate as number | undefined) ?? null;
  }

  async inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Promise<Record<string, Distribution>> {
    if (study.directions.length !== 1) {
      throw new InvalidArgumentError(
        `RegularizedEvolutionSampler supports single-objective studies only; study ${JSON.stringify(study.studyName)} has ${study.directions.length} objectives`,
      );
    }
    const child = this.breed(study, trial, await study.getTrials({ states: [TrialState.COMPLETE] }));
    if (child === null) return {};
    let byStudy = this.pending.get(study.storage);
    if (byStudy === undefined) this.pending.set(study.storage, (byStudy = new Map()));
    byStudy.set(trial.trialId, child);
    return child.space;
  }

  async sampleRelative(study: StudyView, trial: FrozenTrial, searchSpace: Record<string, Distribution>): Promise<Record<string, number>> {
    const byStudy = this.pending.get(study.storage);
    const child = byStudy?.get(trial.trialId) ?? this.breed(study, trial, await study.getTrials({ states: [TrialState.COMPLETE] }));
    byStudy?.delete(trial.trialId);
    if (child === null) return {};
    await study.storage.setTrialSystemAttr(trial.trialId, PARENT_ATTR, child.parent.number);
    await study.storage.setTrialSystemAttr(trial.trialId, MUTATED_ATTR, child.mutated);
    const out = dict<number>();
    for (const name of Object.keys(searchSpace)) if (name in child.values) out[name] = child.values[name]!;
    return out;
  }

  sampleIndependent(_study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    return fromUnit(distribution, paramRng(this.seed, TAG, trial.number, name).random());
  }

  /** Tournament among the population, then mutation of the winner; null while the population fills. */
  private breed(study: StudyView, trial: FrozenTrial, complete: readonly FrozenTrial[]): Child | null {
    const scored = complete.filter((t) => t.values !== null && t.number !== trial.number);
    if (scored.length < this.populationSize) return null;
    const population = [...scored].sort((a, b) => a.number - b.number).slice(-this.populationSize);
    const rng = paramRng(this.seed, TAG, trial.number, 'evo:tournament');
    const parent = this.tournament(population, rng, study.directions[0] === 'maximize' ? -1 : 1);
    const names = Object.keys(parent.distributions).sort();
    const mutable = names.filter((name) => !isSingle(parent.distributions[name]!));
    const mutated = this.pickMutations(mutable, rng);
    const values = dict<number>();
    const space = dict<Distribution>();
    for (const name of names) {
      const d = parent.distributions[name]!;
      const v = parent.internalParams[name]!;
      space[name] = d;
      values[name] = mutated.includes(name) ? mutateValue(d, v, paramRng(this.seed, TAG, trial.number, `evo:mutate:${name}`)) : v;
    }
    return { parent, space, values, mutated };
  }

  /** The best of `sampleSize` distinct members drawn uniformly (partial Fisher–Yates). */
  private tournament(population: readonly FrozenTrial[], rng: Rng, sign: number): FrozenTrial {
    const idx = population.map((_, i) => i);
    let best: FrozenTrial | null = null;
    for (let k = 0; k < this.sampleSize; k++) {
      const j = k + rng.int(idx.length - k);
      [idx[k], idx[j]] = [idx[j]!, idx[k]!];
      const t = population[idx[k]!]!;
      if (best === null || sign * t.values![0]! < sign * best.values![0]!) best = t;
    }
    return best!;
  }

  private pickMutations(mutable: readonly string[], rng: Rng): string[] {
    if (mutable.length === 0) return [];
    if (this.mutationRate === null) return [mutable[rng.int(mutable.length)]!];
    const chosen = mutable.filter(() => rng.random() < this.mutationRate!);
    return chosen.length > 0 ? chosen : [mutable[rng.int(mutable.length)]!];
  }
}
