/**
 * Transfer into the GPSampler: RGPE (Feurer, Letham and Bakshy 2018), a ranking-weighted ensemble of
 * one GP per source study and the target's own GP.
 *
 * - Each source (src/transfer/source.ts) is mapped into the target's encoding through its parameter
 *   values; a source shares the target's columns it holds (`dims`) and is constant along the others.
 *   Its values, oriented by its own direction, are transformed like the target's (model.ts) and a GP
 *   is fitted to them once per search space (sources are finished studies; they do not change).
 * - Every step fits the target's GP as a cold step would, then weighs the models by how well each
 *   ranks the target's trials (rgpe.ts): the sources' joint posterior draws at the target's points
 *   against the target's leave-one-out predictions.
 * - With every source at weight 0 the step is exactly a cold one (the Sobol' point while a cold study
 *   would still be in its start; then the same fit, the same acquisition search and seeds): an
 *   unrelated or adversarial source costs nothing once the target's trials have ruled it out. Otherwise LogEI of the ensemble (mean Σ wᵢμᵢ, variance Σ wᵢ²σᵢ²) against the best
 *   target value is maximised by the engine (`engine.maximizeEnsembleAcquisition`), the running
 *   trials fantasised in the target's member.
 */
import { engine } from '../../engine/index.js';
import type { GP } from '../../engine/gp.js';
import type { CategoricalSpec, Hyperparameters } from '../../engine/types.js';
import { loadSources, mapSource, startConfigurations, warnNoOverlap, type LoadedSource, type MappedSource, type StartConfiguration, type TransferSource } from '../../transfer/index.js';
import { Rng } from '../../util/rng.js';
import type { Encoding } from './encode.js';
import { fitStepModel, onBackend, PENDING_FANTASY, transformValues, type StepInput } from './model.js';
import type { ResolvedOptions } from './options.js';
import { leaveOneOut, rankingWeights } from './rgpe.js';

/** Ranking-loss draws per step (the weights' resolution is 1/DRAWS). */
const DRAWS = 512;
/** Target trials the weights are judged on (a seeded subset above it): the loss is O(n²) per draw. */
const MAX_RANKED = 150;
/** Trials a source's GP is fitted to: its best third of them, and a seeded subset of the rest. */
const MAX_SOURCE_TRIALS = 300;
/** Random starts of a source's fit: fitted once per space, so more than a step's. */
const SOURCE_FIT_RESTARTS = 4;

/** One source's GP on the current space. */
interface SourceModel {
  readonly name: string;
  /** Ascending target columns the source holds. */
  readonly dims: readonly number[];
  readonly gp: GP;
}

export interface TransferStepInput extends StepInput {
  readonly sources: readonly SourceModel[];
  readonly weightSeed: number;
  /** The cold sampler's start: below this many trials a cold step is a Sobol' point, not a fit. */
  readonly nStartupTrials: number;
}

export interface TransferStepOutput {
  /** The proposal; null: the sources weigh nothing and a cold study would still be in its Sobol' start. */
  readonly x: Float64Array | null;
  readonly hyperparameters: Hyperparameters;
  /** (sources, then the target) the step's RGPE weights. */
  readonly weights: Float64Array;
}

/** The sources of one GPSampler: loaded at the first step that needs them, their GPs per space. */
export class GPTransfer {
  private loaded: Promise<LoadedSource[]> | null = null;
  private fitted: { key: string; models: Promise<SourceModel[]> } | null = null;
  private start: Promise<StartConfiguration[]> | null = null;

  constructor(private readonly spec: readonly TransferSource[], private readonly o: ResolvedOptions) {}

  /** The loaded sources (read once; a failed read is retried at the next call). */
  sources(): Promise<LoadedSource[]> {
    if (this.loaded === null) {
      this.loaded = loadSources(this.spec, 'transferFrom');
      this.loaded.catch(() => (this.loaded = null));
    }
    return this.loaded;
  }

  /**
   * The first `n` distinct best source configurations (src/transfer/source.ts), the same list in every
   * worker: it depends on the sources alone.
   */
  async startConfigurations(n: number): Promise<StartConfiguration[]> {
    this.start ??= this.sources().then((s) => startConfigurations(s, n));
    this.start.catch(() => (this.start = null));
    return this.start;
  }

  /**
   * The sources' GPs on the space `key` encodes (fitted at the first call for it; the previous space's
   * are released). Sources sharing no parameter, or with fewer than 2 usable trials, are left out (the
   * former with a warning).
   */
  models(key: string, enc: Encoding): Promise<SourceModel[]> {
    if (this.fitted?.key === key) return this.fitted.models;
    const old = this.fitted;
    const models = this.fit(enc);
    this.fitted = { key, models };
    models.catch(() => {
      if (this.fitted?.models === models) this.fitted = null;
    });
    void old?.models.then((ms) => ms.forEach((m) => m.gp.dispose()), () => undefined);
    return models;
  }

  private async fit(enc: Encoding): Promise<SourceModel[]> {
    const out: SourceModel[] = [];
    const sources = await this.sources();
    for (let i = 0; i < sources.length; i++) {
      const src = sources[i]!;
      const mapped = mapSource(src, enc);
      if (mapped === null) {
        if (!src.trials.some((t) => enc.names.some((name) => Object.prototype.hasOwnProperty.call(t.params, name)))) warnNoOverlap(src, 'GPSampler');
        continue;
      }
      const data = capSource(mapped, new Rng(this.o.seed + i));
      const gp = await onBackend(this.o.backend, (backend) =>
        engine.fitGP({
          X: data.X,
          d: mapped.dims.length,
          y: transformValues(data.y, this.o.outputWarping),
          kernel: this.o.kernel,
          restarts: SOURCE_FIT_RESTARTS,
          seed: this.o.seed + i,
          backend,
          ...withCategorical(enc.categorical, mapped.dims),
          ...(this.o.threads !== undefined ? { threads: this.o.threads } : {}),
        }),
      );
      out.push({ name: mapped.name, dims: mapped.dims, gp });
    }
    return out;
  }
}

/** The categorical specs of `dims` (target columns) renumbered as a source GP's own columns. */
function withCategorical(specs: readonly CategoricalSpec[], dims: readonly number[]): { categorical?: CategoricalSpec[] } {
  const out: CategoricalSpec[] = [];
  for (const spec of specs) {
    if (typeof spec !== 'object') continue;
    const j = dims.indexOf(spec.dim);
    if (j >= 0) out.push({ dim: j, choices: spec.choices });
  }
  return out.length > 0 ? { categorical: out } : {};
}

/** At most MAX_SOURCE_TRIALS of a source's trials: its best third of that, then a seeded draw of the rest. */
function capSource(m: MappedSource, rng: Rng): { X: Float64Array; y: number[] } {
  const n = m.y.length;
  if (n <= MAX_SOURCE_TRIALS) return { X: m.X, y: [...m.y] };
  const d = m.dims.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => m.y[b]! - m.y[a]!);
  const keepBest = Math.floor(MAX_SOURCE_TRIALS / 3);
  const rest = rng.shuffle(order.slice(keepBest));
  const keep = [...order.slice(0, keepBest), ...rest.slice(0, MAX_SOURCE_TRIALS - keepBest)].sort((a, b) => a - b);
  const X = new Float64Array(keep.length * d);
  keep.forEach((i, r) => X.set(m.X.subarray(i * d, (i + 1) * d), r * d));
  return { X, y: keep.map((i) => m.y[i]!) };
}

/** The rows `dims` of each of the n points of X (n, d) row-major: (n, dims.length). */
function project(X: Float64Array, d: number, dims: readonly number[]): Float64Array {
  const n = X.length / d;
  const out = new Float64Array(n * dims.length);
  for (let i = 0; i < n; i++) for (let k = 0; k < dims.length; k++) out[i * dims.length + k] = X[i * d + dims[k]!]!;
  return out;
}

/** A seeded subset of at most MAX_RANKED of n indices (all of them, in order, when n is small). */
function rankedSubset(n: number, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  return n <= MAX_RANKED ? all : rng.shuffle(all).slice(0, MAX_RANKED).sort((a, b) => a - b);
}

/** One RGPE step (module comment); the target's GP is fitted as a cold step's. */
export async function transferStep(s: TransferStepInput): Promise<TransferStepOutput> {
  return onBackend(s.o.backend, (backend) => transferOn(s, backend));
}

async function transferOn(s: TransferStepInput, backend: ResolvedOptions['backend']): Promise<TransferStepOutput> {
  const { enc, o } = s;
  const d = enc.d;
  const target = await fitStepModel(s, backend);
  try {
    const rng = new Rng(s.weightSeed);
    const idx = rankedSubset(s.y.length, rng);
    const Xr = new Float64Array(idx.length * d);
    idx.forEach((i, r) => Xr.set(s.X.subarray(i * d, (i + 1) * d), r * d));
    const yr = Float64Array.from(idx, (i) => s.y[i]!);
    const own = await target.predict(Xr);
    const loo = leaveOneOut(yr, own.mean, own.variance, target.hyperparameters.noise);
    const joint = [];
    for (const m of s.sources) {
      const p = await m.gp.predict(project(Xr, d, m.dims), { covariance: true });
      joint.push({ mean: p.mean, covariance: p.covariance! });
    }
    const { weights } = rankingWeights(yr, joint, loo, DRAWS, rng);
    const S = s.sources.length;
    const search = {
      acquisition: o.acquisition,
      ...(o.acquisition === 'ucb' ? { beta: o.beta } : {}),
      rawSamples: o.rawSamples,
      restarts: o.restarts,
      seed: s.acqSeed,
      ...(enc.integer.length > 0 ? { integer: enc.integer } : {}),
    };
    if (weights.subarray(0, S).every((w) => w === 0)) {
      // The target alone: exactly what a cold study would do now. Before nStartupTrials that is the
      // Sobol' point: a GP on a handful of trials explores too little (bench/transfer: on Hartmann-6 an
      // adversarial source's start then stranded studies in a poor basin).
      if (s.y.length < s.nStartupTrials) return { x: null, hyperparameters: target.hyperparameters, weights };
      const r = await target.maximizeAcquisition({
        ...search,
        ...(s.best !== undefined ? { best: s.best } : {}),
        ...(s.pending.length > 0 ? { pending: s.pending, fantasy: PENDING_FANTASY } : {}),
      });
      return { x: r.x, hyperparameters: target.hyperparameters, weights };
    }
    let top = 0;
    for (let i = 1; i < s.y.length; i++) if (s.y[i]! > s.y[top]!) top = i;
    const r = await engine.maximizeEnsembleAcquisition({
      // The target stays a member at any weight: the running trials are fantasised in it.
      members: [
        ...s.sources.map((m, i) => ({ gp: m.gp, weight: weights[i]!, dims: [...m.dims] })).filter((m) => m.weight > 0),
        { gp: target, weight: weights[S]!, pending: true },
      ],
      d,
      ...search,
      best: s.best ?? s.y[top]!,
      ...(s.pending.length > 0 ? { pending: s.pending } : {}),
      ...(enc.categorical.length > 0 ? { categorical: enc.categorical.flatMap((c) => (typeof c === 'object' && typeof c.choices === 'number' ? [{ dim: c.dim, choices: c.choices }] : [])) } : {}),
      incumbent: s.X.slice(top * d, (top + 1) * d),
    });
    return { x: r.x, hyperparameters: target.hyperparameters, weights };
  } finally {
    target.dispose();
  }
}
