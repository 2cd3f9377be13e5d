/** Options of the CMA-ES sampler and their validation (internal to the sampler; the type is exported). */
import { InvalidArgumentError } from '../../errors.js';
import { boolean, describe, finiteNumber, integer, invalid, options, positiveNumber } from '../../validate.js';
import type { Sampler } from '../base.js';
import { RandomSampler } from '../random.js';
import { resolveSeed } from '../seed.js';

export interface CmaEsSamplerOptions {
  /** An integer >= 0; drawn at random when absent. Seeds the CMA draws, restarts and the default independent sampler. */
  readonly seed?: number;
  /** Initial mean, as parameter values (external, e.g. `{ lr: 0.01 }`); parameters not listed start at the centre of their range. */
  readonly x0?: Readonly<Record<string, number>>;
  /**
   * Initial step size, in units of each parameter's range (every parameter is scaled to [0, 1], log
   * parameters on the log scale). Default 1/6, Optuna's `min_range / 6` on the unit cube.
   */
  readonly sigma0?: number;
  /** Trials sampled by the independent sampler before CMA-ES starts (default 1: the first trial shows the search space). */
  readonly nStartupTrials?: number;
  /** `'ipop'` (default): restart with a larger population when the search converges or degenerates; `null`: never restart. */
  readonly restartStrategy?: 'ipop' | null;
  /** Population growth factor at each IPOP restart (a number > 1, default 2). */
  readonly incPopsize?: number;
  /** Initial population size λ (an integer >= 2; default 4 + ⌊3 ln n⌋ for n parameters). */
  readonly popsize?: number;
  /** Samples categorical parameters and parameters outside the CMA search space (default: a RandomSampler with `seed`). */
  readonly independentSampler?: Sampler;
  /** Emit a process warning the first time a parameter is sampled independently once CMA-ES runs (default true). */
  readonly warnIndependentSampling?: boolean;
  /**
   * Use CMA-ES with margin for int and stepped float parameters (default true): keeps a minimum
   * probability of leaving the current integer value, so the search cannot freeze on a plateau.
   * Without it discrete values are plain rounding of the continuous sample.
   */
  readonly withMargin?: boolean;
  /** Use PRUNED trials (with their last reported value) like COMPLETE ones (default false). */
  readonly considerPrunedTrials?: boolean;
}

export const OPTION_NAMES = [
  'seed', 'x0', 'sigma0', 'nStartupTrials', 'restartStrategy', 'incPopsize', 'popsize',
  'independentSampler', 'warnIndependentSampling', 'withMargin', 'considerPrunedTrials',
] as const;

export interface ResolvedOptions {
  readonly seed: number;
  readonly x0: Readonly<Record<string, number>> | null;
  readonly sigma0: number;
  readonly nStartupTrials: number;
  readonly restartStrategy: 'ipop' | null;
  readonly incPopsize: number;
  readonly popsize: number | null;
  readonly independentSampler: Sampler;
  readonly warnIndependentSampling: boolean;
  readonly withMargin: boolean;
  readonly considerPrunedTrials: boolean;
}

export function resolveOptions(opts: unknown): ResolvedOptions {
  const o = options<CmaEsSamplerOptions>('CmaEsSampler options', opts, OPTION_NAMES);
  const seed = resolveSeed(o.seed);
  let x0: Record<string, number> | null = null;
  if (o.x0 !== undefined) {
    if (o.x0 === null || typeof o.x0 !== 'object' || Array.isArray(o.x0)) throw invalid('x0', 'an object of parameter values', o.x0);
    x0 = {};
    for (const [k, v] of Object.entries(o.x0)) x0[k] = finiteNumber(`x0.${k}`, v);
    Object.freeze(x0);
  }
  const sigma0 = o.sigma0 === undefined ? 1 / 6 : positiveNumber('sigma0', o.sigma0);
  const rs: unknown = o.restartStrategy;
  if (rs !== undefined && rs !== null && rs !== 'ipop') throw invalid('restartStrategy', '"ipop" or null', rs);
  const inc: unknown = o.incPopsize;
  if (inc !== undefined && (typeof inc !== 'number' || !Number.isFinite(inc) || inc <= 1)) throw invalid('incPopsize', 'a finite number > 1', inc);
  const ind: unknown = o.independentSampler;
  if (ind !== undefined && (ind === null || typeof ind !== 'object' || typeof (ind as Sampler).sampleIndependent !== 'function')) {
    throw invalid('independentSampler', 'a Sampler', ind);
  }
  return {
    seed,
    x0,
    sigma0,
    nStartupTrials: o.nStartupTrials === undefined ? 1 : integer('nStartupTrials', o.nStartupTrials, 0),
    restartStrategy: rs === undefined ? 'ipop' : (rs as 'ipop' | null),
    incPopsize: (inc as number | undefined) ?? 2,
    popsize: o.popsize === undefined ? null : integer('popsize', o.popsize, 2),
    independentSampler: (ind as Sampler | undefined) ?? new RandomSampler({ seed }),
    warnIndependentSampling: o.warnIndependentSampling === undefined ? true : boolean('warnIndependentSampling', o.warnIndependentSampling),
    withMargin: o.withMargin === undefined ? true : boolean('withMargin', o.withMargin),
    considerPrunedTrials: o.considerPrunedTrials === undefined ? false : boolean('considerPrunedTrials', o.considerPrunedTrials),
  };
}

/** Thrown at ask() when an `x0` value is not a value of its parameter's distribution. */
export function x0Error(name: string, value: number, dist: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`Expected a value of ${JSON.stringify(dist)} for \`x0.${name}\` but received ${describe(value)}`);
}
