/** Options of the GP sampler and their validation (internal to the sampler; the type is exported). */
import { engine, ENGINE_DEFAULTS } from '../../engine/index.js';
import type { BackendName, Kernel } from '../../engine/types.js';
import { boolean, integer, invalid, oneOf, options, positiveNumber } from '../../validate.js';
import type { Sampler } from '../base.js';
import { resolveSeed } from '../seed.js';
import { TPESampler } from '../tpe/index.js';
import { resolveFidelity, type MultiFidelityOptions, type ResolvedFidelity } from './fidelity.js';
import { checkSources, type TransferSource } from '../../transfer/index.js';
import { InvalidArgumentError } from '../../errors.js';

export type GPAcquisition = 'logei' | 'ucb';
export type GPOutputWarping = 'none' | 'log';

export interface GPSamplerOptions {
  /** An integer >= 0; drawn at random when absent. Seeds the Sobol' scramble, the fits, the acquisition search and the default independent sampler. */
  readonly seed?: number;
  /** The engine backend: 'auto' (default), 'cpu' or 'cuda'. An unavailable one throws BackendUnavailableError at construction. */
  readonly backend?: BackendName;
  /** Finished trials sampled on a scrambled Sobol' sequence before the GP takes over (default 10). */
  readonly nStartupTrials?: number;
  /** 'logei' (default: log expected improvement) or 'ucb' (μ + √beta σ). */
  readonly acquisition?: GPAcquisition;
  /** UCB exploration weight (a positive number, default: the engine's, 2); used with `acquisition: 'ucb'`. */
  readonly beta?: number;
  /** 'matern52' (default: the engine's) or 'rbf'. */
  readonly kernel?: Kernel;
  /** Random starts of the kernel fit besides the warm start (default 2). */
  readonly fitRestarts?: number;
  /** Sobol' points scored before the acquisition's gradient search (default 512). */
  readonly rawSamples?: number;
  /** Gradient starts of the acquisition search (default 5). */
  readonly restarts?: number;
  /** Threads of the engine's heavy calls (default: the engine's own choice, 1 below 1000 trials). */
  readonly threads?: number;
  /**
   * 'log' (default): the gaps to the best value are compressed, g → log(1 + g / median gap), before
   * standardising, so a few very bad trials do not flatten the model near the optimum (see model.ts);
   * 'none': plain standardisation.
   */
  readonly outputWarping?: GPOutputWarping;
  /** Samples parameters outside the GP's search space (conditional or changed ones). Default: a univariate TPESampler with `seed`. */
  readonly independentSampler?: Sampler;
  /** Emit a process warning the first time a parameter is sampled independently once the GP runs (default true). */
  readonly warnIndependentSampling?: boolean;
  /** Use PRUNED trials with their last intermediate value like COMPLETE ones (default false: ignored). */
  readonly considerPrunedTrials?: boolean;
  /**
   * Multi-fidelity (for a pruner such as HyperbandPruner): `true` or `{ maxResource, minResource }`. The
   * main GP is fitted over (parameters, budget) to every trial's intermediate values (fidelity.ts) and
   * proposes where the acquisition at the full budget `maxResource` is largest, so pruned trials' short
   * learning curves inform it. Default false (final values only).
   */
  readonly multiFidelity?: boolean | MultiFidelityOptions;
  /**
   * Earlier studies to learn from (docs/transfer.md): loaded Studies, StudyJSON, or `{ storage,
   * studyName }`. The study starts with the sources' best configurations (`transferStartTrials`), then,
   * from two finished trials on, proposes by RGPE — a ranking-weighted ensemble of a GP per source and
   * the study's own GP (transfer.ts) — in place of the Sobol' start. Not with `multiFidelity`.
   */
  readonly transferFrom?: readonly TransferSource[];
  /** With `transferFrom`: the best source configurations tried first (default: one per source, at most 5). */
  readonly transferStartTrials?: number;
}

export const OPTION_NAMES = [
  'seed', 'backend', 'nStartupTrials', 'acquisition', 'beta', 'kernel', 'fitRestarts', 'rawSamples', 'restarts',
  'threads', 'outputWarping', 'independentSampler', 'warnIndependentSampling', 'considerPrunedTrials', 'multiFidelity',
  'transferFrom', 'transferStartTrials',
] as const;

export interface ResolvedOptions {
  readonly seed: number;
  readonly backend: BackendName;
  readonly nStartupTrials: number;
  readonly acquisition: GPAcquisition;
  readonly beta: number;
  readonly kernel: Kernel;
  readonly fitRestarts: number;
  readonly rawSamples: number;
  readonly restarts: number;
  readonly threads: number | undefined;
  readonly outputWarping: GPOutputWarping;
  readonly independentSampler: Sampler;
  readonly warnIndependentSampling: boolean;
  readonly considerPrunedTrials: boolean;
  readonly multiFidelity: ResolvedFidelity | null;
  /** [] when there is no transfer. */
  readonly transferFrom: readonly TransferSource[];
  readonly transferStartTrials: number;
}

/** At most this many start trials by default: a sixth source's best configuration adds little to five. */
const MAX_DEFAULT_START = 5;

/** The GPSampler's per-step budget (not the engine's defaults: see resolveOptions). */
export const SAMPLER_BUDGET = Object.freeze({ fitRestarts: 2, rawSamples: 512, restarts: 5 });

export function resolveOptions(opts: unknown): ResolvedOptions {
  const o = options<GPSamplerOptions>('GPSampler options', opts, OPTION_NAMES);
  const seed = resolveSeed(o.seed);
  const ind: unknown = o.independentSampler;
  if (ind !== undefined && (ind === null || typeof ind !== 'object' || typeof (ind as Sampler).sampleIndependent !== 'function')) {
    throw invalid('independentSampler', 'a Sampler', ind);
  }
  const multiFidelity = resolveFidelity(o.multiFidelity);
  const transferFrom = o.transferFrom === undefined ? [] : checkSources(o.transferFrom, 'transferFrom');
  if (transferFrom.length > 0 && multiFidelity !== null) {
    throw new InvalidArgumentError('GPSampler: `transferFrom` cannot be combined with `multiFidelity` (the sources hold final values, not learning curves)');
  }
  return {
    seed,
    backend: o.backend === undefined ? ENGINE_DEFAULTS.fit.backend : oneOf('backend', o.backend, ['auto', 'cpu', 'cuda'] as const),
    nStartupTrials: o.nStartupTrials === undefined ? 10 : integer('nStartupTrials', o.nStartupTrials, 1),
    acquisition: o.acquisition === undefined ? 'logei' : oneOf('acquisition', o.acquisition, ['logei', 'ucb'] as const),
    beta: o.beta === undefined ? ENGINE_DEFAULTS.acquisition.beta : positiveNumber('beta', o.beta),
    kernel: o.kernel === undefined ? ENGINE_DEFAULTS.fit.kernel : oneOf('kernel', o.kernel, ['matern52', 'rbf'] as const),
    // The sampler's own budget, smaller than the engine's defaults: a step is one fit and one search of a
    // warm-started model, repeated every trial (the GP tests and bench/RESULTS.md hold these values).
    fitRestarts: o.fitRestarts === undefined ? SAMPLER_BUDGET.fitRestarts : integer('fitRestarts', o.fitRestarts, 0, 64),
    rawSamples: o.rawSamples === undefined ? SAMPLER_BUDGET.rawSamples : integer('rawSamples', o.rawSamples, 1, 1 << 20),
    restarts: o.restarts === undefined ? SAMPLER_BUDGET.restarts : integer('restarts', o.restarts, 1, 256),
    threads: o.threads === undefined ? undefined : integer('threads', o.threads, 1, 1024),
    outputWarping: o.outputWarping === undefined ? 'log' : oneOf('outputWarping', o.outputWarping, ['none', 'log'] as const),
    independentSampler: (ind as Sampler | undefined) ?? new TPESampler({ seed }),
    warnIndependentSampling: o.warnIndependentSampling === undefined ? true : boolean('warnIndependentSampling', o.warnIndependentSampling),
    considerPrunedTrials: o.considerPrunedTrials === undefined ? false : boolean('considerPrunedTrials', o.considerPrunedTrials),
    multiFidelity,
    transferFrom,
    transferStartTrials: o.transferStartTrials === undefined ? Math.min(transferFrom.length, MAX_DEFAULT_START) : integer('transferStartTrials', o.transferStartTrials, 0, 1000),
  };
}

/**
 * Fails fast when the engine cannot run here: a missing addon (the loader's BackendUnavailableError,
 * listing what to install) or an absent backend (say 'cuda' without a device: the engine's
 * BackendUnavailableError naming why, prefixed) throws at construction rather than at the 11th ask().
 */
export function checkBackend(backend: BackendName): void {
  engine.requireBackend(backend, 'GPSampler');
}
