/**
 * TPE with transfer: source studies' trials (src/transfer/) join the Parzen estimators as prior
 * observations, and the study starts with the sources' best configurations.
 *
 * - Good and bad: each source's trials are ranked by its own direction and split by the sampler's own
 *   `gamma` (the best gamma(n_s) of its n_s trials are good), so a source that maximises accuracy and a
 *   target that minimises error both put their good configurations in l(x) (the direction rule of
 *   src/transfer/source.ts).
 * - Values: mapped through external values into the target's distribution (`mapValue`): a value the
 *   target cannot take leaves that trial out of that parameter's (univariate) or that space's
 *   (multivariate) estimators.
 * - Weight: every source observation weighs
 *       transferWeight · n0 / (n0 + n_target)        n0 = TRANSFER_HALF_LIFE = 10
 *   against 1 for a target observation (n_target: the target's finished trials). At the start the
 *   sources alone shape the estimators — they stand in for the random startup; after n0 target trials,
 *   as many as that startup would have taken, a source observation counts half as much, and from a few
 *   dozen trials on the target's own good group outweighs a source's (gamma(100) = 10 good source
 *   trials at weight 10/60 weigh 1.7, the target's 5 weigh 5 at n_target = 50). The decay bounds the harm
 *   of a misleading source, which TPE, unlike RGPE, has no ranking test to detect.
 */
import { type Distribution } from '../../distributions/index.js';
import { mapValue, rankedTrials, startConfigurations, type LoadedSource, type StartConfiguration } from '../../transfer/source.js';
import type { FrozenTrial } from '../../trial/index.js';
import { callGamma, type GammaFunction } from './defaults.js';

/** Target trials after which a source observation weighs half its initial weight. */
export const TRANSFER_HALF_LIFE = 10;
/** Default `transferWeight`: a source observation starts as heavy as a target observation. */
export const DEFAULT_TRANSFER_WEIGHT = 1;

export interface SourceObservations {
  readonly name: string;
  /** The source's trials, best first. */
  readonly trials: readonly FrozenTrial[];
  /** (n_s) 1 where trials[i] is in the source's good group. */
  readonly below: Uint8Array;
  /** Every parameter name the source holds (for the overlap check). */
  readonly names: ReadonlySet<string>;
}

export interface TransferObservations {
  readonly sources: readonly SourceObservations[];
  /** The start configurations, the same list in every worker (it depends on the sources only). */
  readonly start: readonly StartConfiguration[];
}

/**
 * How many start configurations: one per source and at least 3 (the best few of a single source),
 * never more than `nStartupTrials` — the trials the sampler would otherwise spend at random.
 */
export function startCount(nSources: number, nStartupTrials: number): number {
  return Math.min(nStartupTrials, Math.max(3, nSources));
}

export function prepareTransfer(loaded: readonly LoadedSource[], gamma: GammaFunction, nStart: number): TransferObservations {
  const sources = loaded.map((src): SourceObservations => {
    const trials = rankedTrials(src);
    const below = new Uint8Array(trials.length);
    below.fill(1, 0, callGamma(gamma, trials.length));
    const names = new Set<string>();
    for (const t of trials) for (const k of Object.keys(t.params)) names.add(k);
    return { name: src.name, trials, below, names };
  });
  return { sources, start: startConfigurations(loaded, nStart) };
}

/** The weight of one source observation when the target has `nTarget` finished trials. */
export function sourceWeight(transferWeight: number, nTarget: number): number {
  return (transferWeight * TRANSFER_HALF_LIFE) / (TRANSFER_HALF_LIFE + nTarget);
}

export interface SourceRows {
  /** (nGood, d) and (nBad, d) row-major internal values of the target's distributions. */
  readonly good: Float64Array;
  readonly nGood: number;
  readonly bad: Float64Array;
  readonly nBad: number;
}

/**
 * The source observations over `names` (with the target's `dists`): the trials of every source not in
 * `ignored` that hold a value of each name the target can take, split by the source's own ranking.
 */
export function sourceRows(tr: TransferObservations, ignored: ReadonlySet<string>, names: readonly string[], dists: readonly Distribution[]): SourceRows {
  const d = names.length;
  const good: number[] = [];
  const bad: number[] = [];
  const row = new Array<number>(d);
  for (const src of tr.sources) {
    if (ignored.has(src.name)) continue;
    trials: for (let i = 0; i < src.trials.length; i++) {
      const params = src.trials[i]!.params;
      for (let j = 0; j < d; j++) {
        const name = names[j]!;
        const v = Object.prototype.hasOwnProperty.call(params, name) ? mapValue(dists[j]!, params[name]) : NaN;
        if (Number.isNaN(v)) continue trials;
        row[j] = v;
      }
      (src.below[i] === 1 ? good : bad).push(...row);
    }
  }
  return { good: Float64Array.from(good), nGood: good.length / Math.max(d, 1), bad: Float64Array.from(bad), nBad: bad.length / Math.max(d, 1) };
}

/** The sources sharing no parameter with the target's trials (none while the target has no parameter). */
export function noOverlap(tr: TransferObservations, target: readonly FrozenTrial[]): SourceObservations[] {
  const names = new Set<string>();
  for (const t of target) for (const k of Object.keys(t.distributions)) names.add(k);
  if (names.size === 0) return [];
  return tr.sources.filter((src) => ![...src.names].some((k) => names.has(k)));
}
