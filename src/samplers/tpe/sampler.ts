/**
 * TPESampler: the Tree-structured Parzen Estimator (Bergstra et al. 2011), following Optuna 3.1.
 *
 * After `nStartupTrials` finished trials, each suggestion splits the history into the best trials
 * (`gamma(n)` of them: l(x)) and the rest (g(x)), fits a Parzen estimator (parzen.ts) to each, draws
 * `nEICandidates` candidates from l and keeps the one maximising l(x)/g(x) — the expected-improvement
 * maximiser under TPE's model. Before that, parameters are drawn uniformly at random.
 * - univariate (default): every parameter has its own pair of estimators, in `sampleIndependent`;
 * - `multivariate`: one joint pair over the intersection search space (the parameters every finished
 *   trial has, with the same distribution), in `sampleRelative` at ask(); other parameters fall back to
 *   univariate sampling;
 * - `group` (with `multivariate`): the space is decomposed into groups of parameters that always appear
 *   together (conditional spaces, see search-space.ts) and each group is sampled jointly from the trials
 *   that have it;
 * - `constantLiar` (default true): RUNNING trials of other workers join the bad group, so parallel
 *   workers — `optimize({ concurrency })`, or processes sharing a storage — avoid each other's points.
 *   A RUNNING trial counts with the parameters it has stored and, for the others, the proposal it was
 *   given at ask() (proposal.ts): the parameters of the finished trials' intersection space are then
 *   sampled at ask() as the relative sample (univariately unless `multivariate`, with the same draws
 *   `sampleIndependent` would make) and stored on the trial, and `usesPending` makes ask() hold the
 *   study's `sample` lock until they are, so workers asking at once see each other's proposals. The
 *   trial being sampled never counts, so a sequential study samples exactly what it would without the
 *   liar; multi-objective studies ignore RUNNING trials.
 * - `transferFrom` (transfer.ts): source studies' trials join the estimators as prior observations with a
 *   weight that decays as the study's own history grows; the first trials evaluate the sources' best
 *   configurations (claimed once each across workers in `reserveTrial`), and the model runs from the
 *   first trial on: the sources replace the random startup.
 * The history is read once per trial, at ask() (`inferRelativeSearchSpace`), and kept for the trial's
 * synchronous `sampleIndependent` calls, so a trial sees the study as it was when it started.
 *
 * Reproducibility: every random draw comes from a generator derived from (seed, trial number, parameter
 * or group name), as in RandomSampler; a trial's values therefore depend only on the seed, its number
 * and the history it saw. A seeded sequential study is reproducible, and so is a concurrent one whose
 * trials see the same histories (a deterministic interleaving); with real-time races the histories, and
 * so the values, may differ.
 */
import { contains, distributionsEqual, fromUnit, isSingle, toInternal, type Distribution } from '../../distributions/index.js';
import { InvalidArgumentError } from '../../errors.js';
import type { Storage } from '../../storage/base.js';
import { TrialState, type FrozenTrial } from '../../trial/index.js';
import { boolean, integer, invalid, options, positiveNumber } from '../../validate.js';
import type { Sampler, StudyView } from '../base.js';
import type { Rng } from '../../util/rng.js';
import { groupDecomposedSearchSpace, intersectionSearchSpace } from '../search-space.js';
import { paramRng, resolveSeed } from '../seed.js';
import { defaultGamma, defaultWeights, type GammaFunction, type WeightsFunction } from './defaults.js';
import { buildHistory, type History } from './history.js';
import { ParzenEstimator, type ParzenOptions } from './parzen.js';
import { proposedValue, storeProposal } from './proposal.js';
import {
  DEFAULT_TRANSFER_WEIGHT,
  noOverlap,
  prepareTransfer,
  sourceRows,
  sourceWeight,
  startCount,
  type TransferObservations,
} from './transfer.js';
import { checkSources, loadSources, warnNoOverlap, type TransferSource } from '../../transfer/source.js';
import { claimStartTrial } from '../../transfer/start.js';
import { dict } from '../../util/dict.js';

export interface TPESamplerOptions {
  /** An integer >= 0; drawn at random when absent. */
  readonly seed?: number;
  /** Finished trials sampled at random before TPE takes over (default 10). */
  readonly nStartupTrials?: number;
  /** Candidates drawn from l(x) per suggestion (default 24). */
  readonly nEICandidates?: number;
  /** Sample the intersection search space jointly (default false). */
  readonly multivariate?: boolean;
  /** With `multivariate`: sample groups of parameters that appear together jointly (default false). */
  readonly group?: boolean;
  /**
   * Count other workers' RUNNING trials as bad observations, so parallel workers spread out (default
   * true; a sequential study is unaffected: the trial being sampled never counts).
   */
  readonly constantLiar?: boolean;
  /** Add a broad prior component to every estimator (default true). */
  readonly considerPrior?: boolean;
  /** The prior component's weight, relative to an observation's (default 1). */
  readonly priorWeight?: number;
  /** Bound bandwidths below by range / min(100, 1 + components) (default true). */
  readonly considerMagicClip?: boolean;
  /** Let the range bounds narrow the extreme observations' bandwidths (default false). */
  readonly considerEndpoints?: boolean;
  /** Number of finished trials → size of the good group (default min(ceil(0.1 n), 25)). */
  readonly gamma?: GammaFunction;
  /** Number of observations → their weights, oldest first (default: Optuna's ramp, see defaults.ts). */
  readonly weights?: WeightsFunction;
  /** With `multivariate`: warn when a known parameter is sampled independently (default true). */
  readonly warnIndependentSampling?: boolean;
  /**
   * Source studies to learn from (see docs/transfer.md): a Study, a StudyJSON or { storage, studyName }
   * each. Their trials join the estimators as prior observations; the first trials evaluate their best
   * configurations (at most `nStartupTrials` of them), and the model runs from the first trial on.
   * Sources in a storage are read at the first ask, once per sampler.
   */
  readonly transferFrom?: readonly TransferSource[];
  /** A source observation's weight relative to a target observation before decay (default 1, see transfer.ts). */
  readonly transferWeight?: number;
}

const OPTION_NAMES = [
  'seed', 'nStartupTrials', 'nEICandidates', 'multivariate', 'group', 'constantLiar', 'considerPrior', 'priorWeight',
  'considerMagicClip', 'considerEndpoints', 'gamma', 'weights', 'warnIndependentSampling', 'transferFrom', 'transferWeight',
];
/** Tags separating TPE's draws from other samplers' with the same seed. */
const TAG_INDEPENDENT = 4;
const TAG_RELATIVE = 5;
/** Histories kept for trials that were asked but never told (bounded; told trials are dropped at once). */
const MAX_CACHED = 256;

function optionalFunction<T>(name: string, v: unknown, fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== 'function') throw invalid(name, 'a function', v);
  return v as T;
}

export class TPESampler implements Sampler {
  readonly seed: number;
  readonly nStartupTrials: number;
  readonly nEICandidates: number;
  readonly multivariate: boolean;
  readonly group: boolean;
  readonly constantLiar: boolean;
  /** True with the constant liar: proposals depend on the RUNNING trials (see Sampler.usesPending). */
  readonly usesPending: boolean;
  readonly warnIndependentSampling: boolean;
  readonly gamma: GammaFunction;
  private readonly parzen: ParzenOptions;
  /** storage → trial id → the history that trial saw at ask(); plus the latest per study. */
  private readonly histories = new WeakMap<Storage, Map<number, History>>();
  private readonly latest = new WeakMap<Storage, Map<number, History>>();
  private readonly warned = new Set<string>();
  /** The sources as given (checked), or null without transfer. */
  readonly transferFrom: readonly TransferSource[] | null;
  readonly transferWeight: number;
  /** The sources, read once at the first ask (a failed read is retried at the next). */
  private transfer: Promise<TransferObservations> | null = null;
  private transferObs: TransferObservations | null = null;
  /** Names of sources sharing no parameter with the target (warned about, left out). */
  private readonly ignoredSources = new Set<string>();
  /** storage → ids of studies whose start configurations are all claimed (no more claims to try). */
  private readonly started = new WeakMap<Storage, Set<number>>();

  constructor(opts?: TPESamplerOptions) {
    const o = options<TPESamplerOptions>('TPESampler options', opts, OPTION_NAMES);
    this.seed = resolveSeed(o.seed);
    this.nStartupTrials = o.nStartupTrials === undefined ? 10 : integer('nStartupTrials', o.nStartupTrials, 0);
    this.nEICandidates = o.nEICandidates === undefined ? 24 : integer('nEICandidates', o.nEICandidates, 1);
    this.multivariate = o.multivariate === undefined ? false : boolean('multivariate', o.multivariate);
    this.group = o.group === undefined ? false : boolean('group', o.group);
    if (this.group && !this.multivariate) throw new InvalidArgumentError('`group: true` requires `multivariate: true`');
    this.constantLiar = o.constantLiar === undefined ? true : boolean('constantLiar', o.constantLiar);
    this.usesPending = this.constantLiar;
    this.warnIndependentSampling = o.warnIndependentSampling === undefined ? true : boolean('warnIndependentSampling', o.warnIndependentSampling);
    this.gamma = optionalFunction('gamma', o.gamma, defaultGamma);
    this.parzen = Object.freeze({
      considerPrior: o.considerPrior === undefined ? true : boolean('considerPrior', o.considerPrior),
      priorWeight: o.priorWeight === undefined ? 1 : positiveNumber('priorWeight', o.priorWeight),
      considerMagicClip: o.considerMagicClip === undefined ? true : boolean('considerMagicClip', o.considerMagicClip),
      considerEndpoints: o.considerEndpoints === undefined ? false : boolean('considerEndpoints', o.considerEndpoints),
      multivariate: this.multivariate,
      weights: optionalFunction<WeightsFunction>('weights', o.weights, defaultWeights),
    });
    this.transferFrom = o.transferFrom === undefined ? null : checkSources(o.transferFrom);
    this.transferWeight = o.transferWeight === undefined ? DEFAULT_TRANSFER_WEIGHT : positiveNumber('transferWeight', o.transferWeight);
  }

  /** Finished trials drawn at random first: none with transfer, whose sources stand in for them. */
  private get startupTrials(): number {
    return this.transferFrom === null ? this.nStartupTrials : 0;
  }

  /** The sources' observations, read at the first call (null without transfer). */
  private async loadTransfer(study: StudyView): Promise<TransferObservations | null> {
    if (this.transferFrom === null) return null;
    if (study.directions.length !== 1) {
      throw new InvalidArgumentError(
        `Expected a single-objective study with \`transferFrom\` but received study ${JSON.stringify(study.studyName)} with ${study.directions.length} objectives`,
      );
    }
    this.transfer ??= loadSources(this.transferFrom).then(
      (loaded) => prepareTransfer(loaded, this.gamma, startCount(loaded.length, this.nStartupTrials)),
      (err: unknown) => {
        this.transfer = null;
        throw err;
      },
    );
    this.transferObs = await this.transfer;
    return this.transferObs;
  }

  /**
   * With transfer: the next start configuration nobody has claimed, as soft fixed parameters (a value
   * the objective's distribution lacks is sampled), or no attributes once all are taken.
   */
  async reserveTrial(study: StudyView): Promise<Record<string, unknown> | null> {
    const tr = await this.loadTransfer(study);
    if (tr === null || tr.start.length === 0) return {};
    let done = this.started.get(study.storage);
    if (done?.has(study.studyId) === true) return {};
    const attrs = await claimStartTrial(study, tr.start, (c) => this.ignoredSources.has(c.source));
    if (attrs !== null) return attrs;
    if (done === undefined) this.started.set(study.storage, (done = new Set()));
    done.add(study.studyId);
    return {};
  }

  async inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Promise<Record<string, Distribution>> {
    const states = this.constantLiar ? [TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING] : [TrialState.COMPLETE, TrialState.PRUNED];
    const tr = await this.loadTransfer(study);
    const h = buildHistory(await study.getTrials({ states }), study.directions, trial.trialId, this.gamma);
    this.remember(study, trial, h);
    if (tr !== null) {
      for (const src of noOverlap(tr, h.trials)) {
        warnNoOverlap(src, 'TPESampler');
        this.ignoredSources.add(src.name);
      }
    }
    // Univariate with the liar: the parameters every finished trial has are proposed at ask() (see above).
    if (!this.multivariate) return this.constantLiar ? withoutSingles(intersectionSearchSpace(h.trials, { includePruned: true })) : {};
    const space = dict<Distribution>();
    if (this.group) {
      h.groups = [];
      for (const g of groupDecomposedSearchSpace(h.trials, { includePruned: true })) {
        const kept = withoutSingles(g);
        if (Object.keys(kept).length === 0) continue;
        h.groups.push(kept);
        Object.assign(space, kept);
      }
      return space;
    }
    return withoutSingles(intersectionSearchSpace(h.trials, { includePruned: true }));
  }

  async sampleRelative(study: StudyView, trial: FrozenTrial, searchSpace: Record<string, Distribution>): Promise<Record<string, number>> {
    const h = this.historyOf(study, trial);
    if (h === null) return {};
    const joint = this.multivariate && h.nFinished >= this.startupTrials;
    if (!joint && !this.constantLiar) return {};
    const out = joint ? this.sampleGroups(h, trial, searchSpace) : this.sampleEach(study, trial, searchSpace);
    if (this.constantLiar && study.directions.length === 1) await storeProposal(study, trial, out, searchSpace);
    return out;
  }

  /** The joint sample of `searchSpace` (each group jointly in group mode). */
  private sampleGroups(h: History, trial: FrozenTrial, searchSpace: Record<string, Distribution>): Record<string, number> {
    const groups = this.group && h.groups !== null ? h.groups : [searchSpace];
    const out = dict<number>();
    for (const g of groups) {
      const names = Object.keys(g).filter((name) => searchSpace[name] !== undefined).sort();
      if (names.length === 0) continue;
      const dists = names.map((name) => searchSpace[name]!);
      const rng = paramRng(this.seed, TAG_RELATIVE, trial.number, names.join('\u0000'));
      const x = this.sampleJoint(h, names, dists, rng);
      if (x === null) continue;  // nothing observed: left to sampleIndependent's random draw
      names.forEach((name, j) => (out[name] = x[j]!));
    }
    return out;
  }

  /** Every parameter of `searchSpace` as `sampleIndependent` draws it (the proposal of a univariate liar, or the startup's). */
  private sampleEach(study: StudyView, trial: FrozenTrial, searchSpace: Record<string, Distribution>): Record<string, number> {
    const out = dict<number>();
    for (const name of Object.keys(searchSpace).sort()) out[name] = this.sampleIndependent(study, trial, name, searchSpace[name]!);
    return out;
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    // The study answers single-valued parameters itself; a direct call gets the value, not a zero-width estimator.
    if (isSingle(distribution)) return distribution.type === 'categorical' ? 0 : distribution.low;
    const rng = paramRng(this.seed, TAG_INDEPENDENT, trial.number, name);
    const h = this.historyOf(study, trial);
    if (h === null || h.nFinished < this.startupTrials) return fromUnit(distribution, rng.random());
    if (this.multivariate && this.warnIndependentSampling && h.nFinished >= Math.max(this.nStartupTrials, 1)) this.warnIndependent(h, trial, name);
    return this.sampleJoint(h, [name], [distribution], rng)?.[0] ?? fromUnit(distribution, rng.random());
  }

  async afterTrial(study: StudyView, trial: FrozenTrial): Promise<void> {
    this.histories.get(study.storage)?.delete(trial.trialId);
  }

  /**
   * One TPE step over `names`: the trials having all of them (with legal values) are split into good
   * and bad observations, an estimator is fitted to each, and the best of the candidates drawn from the
   * good one (by log l − log g) is returned as internal values. With transfer, the sources' trials come
   * first in each group, weighted apart (see transfer.ts); null when nothing at all was observed there
   * (the caller draws at random, as the startup would).
   */
  private sampleJoint(h: History, names: readonly string[], dists: readonly Distribution[], rng: Rng): Float64Array | null {
    const d = names.length;
    const n = h.trials.length;
    const src = this.transferObs === null ? null : sourceRows(this.transferObs, this.ignoredSources, names, dists);
    const good = new Float64Array((n + (src?.nGood ?? 0)) * d);
    const bad = new Float64Array((n + (src?.nBad ?? 0)) * d);
    let nGood = 0;
    let nBad = 0;
    if (src !== null) {
      good.set(src.good);
      bad.set(src.bad);
      nGood = src.nGood;
      nBad = src.nBad;
    }
    const row = new Float64Array(d);
    const equalTo = dists.map((dist) => new Set<Distribution>([dist]));
    trials: for (let i = 0; i < n; i++) {
      const t = h.trials[i]!;
      for (let j = 0; j < d; j++) {
        const v = valueOf(t, names[j]!, dists[j]!, equalTo[j]!);
        if (Number.isNaN(v)) continue trials;
        row[j] = v;
      }
      if (h.below[i] === 1) good.set(row, d * nGood++);
      else bad.set(row, d * nBad++);
    }
    if (src !== null && nGood + nBad === 0) return null;
    const w = src === null ? 0 : sourceWeight(this.transferWeight, h.nFinished);
    const l = new ParzenEstimator(dists, good, nGood, this.parzen, src === null ? undefined : new Float64Array(src.nGood).fill(w));
    const g = new ParzenEstimator(dists, bad, nBad, this.parzen, src === null ? undefined : new Float64Array(src.nBad).fill(w));
    const m = this.nEICandidates;
    const cand = new Float64Array(m * d);
    l.sample(rng, m, cand);
    const logL = new Float64Array(m);
    const logG = new Float64Array(m);
    l.logPdf(cand, m, logL);
    g.logPdf(cand, m, logG);
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < m; i++) {
      const s = logL[i]! - logG[i]!;
      if (s > bestScore) [best, bestScore] = [i, s];
    }
    return cand.subarray(best * d, best * d + d);
  }

  private remember(study: StudyView, trial: FrozenTrial, h: History): void {
    let byTrial = this.histories.get(study.storage);
    if (byTrial === undefined) this.histories.set(study.storage, (byTrial = new Map()));
    byTrial.set(trial.trialId, h);
    if (byTrial.size > MAX_CACHED) byTrial.delete(byTrial.keys().next().value!);
    let byStudy = this.latest.get(study.storage);
    if (byStudy === undefined) this.latest.set(study.storage, (byStudy = new Map()));
    byStudy.set(study.studyId, h);
  }

  /** The history read for this trial at ask(); failing that (never asked here), the study's latest. */
  private historyOf(study: StudyView, trial: FrozenTrial): History | null {
    return this.histories.get(study.storage)?.get(trial.trialId) ?? this.latest.get(study.storage)?.get(study.studyId) ?? null;
  }

  private warnIndependent(h: History, trial: FrozenTrial, name: string): void {
    if (this.warned.has(name) || !h.trials.some((t) => name in t.distributions)) return;
    this.warned.add(name);
    process.emitWarning(
      `TPESampler: parameter ${JSON.stringify(name)} (trial ${trial.number}) is sampled independently, not by the ` +
        'multivariate model (it is outside the joint search space: conditional, or its distribution changed); ' +
        'pass `warnIndependentSampling: false` if this is intended. Warned once per parameter.',
      { code: 'TUNABLE_TPE_INDEPENDENT' },
    );
  }
}

function withoutSingles(space: Record<string, Distribution>): Record<string, Distribution> {
  const out = dict<Distribution>();
  for (const [name, d] of Object.entries(space)) if (!isSingle(d)) out[name] = d;
  return out;
}

/**
 * The internal value of `name` in trial `t` as a value of `dist`, or NaN when the trial lacks it (a
 * RUNNING trial: its proposal, see proposal.ts). A value stored under another distribution (the space
 * changed) still counts when it is legal in `dist` (categoricals: matched by choice). `equal` memoises
 * distribution objects known equal to `dist`.
 */
function valueOf(t: FrozenTrial, name: string, dist: Distribution, equal: Set<Distribution>): number {
  const td = t.distributions[name];
  if (td === undefined) return proposedValue(t, name, dist);
  if (equal.has(td) || (distributionsEqual(td, dist) && equal.add(td))) return t.internalParams[name] ?? NaN;
  const ext = t.params[name];
  return contains(dist, ext) ? toInternal(dist, ext) : NaN;
}
