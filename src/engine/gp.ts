/** The fitted-model handle returned by `engine.fitGP`. */
import { BackendUnavailableError, InvalidArgumentError, InvalidStateError, NativeError, NumericalError } from '../errors.js';
import { boolean, describe, finiteNumber, integer, oneOf, options, positiveNumber } from '../validate.js';
import type { NativeAcqOptions, NativeGP, NativeThompsonOptions } from '../native/binding.js';
import { fromTheta, hyperparameters, integerGrids, matrix, seed, toTheta, vector } from './checks.js';
import type {
  AcquisitionName,
  AcquisitionOptions,
  AcquisitionValues,
  FitInfo,
  Hyperparameters,
  Kernel,
  LikelihoodAt,
  MaximizeOptions,
  MaximizeResult,
  Prediction,
  PredictOptions,
  ThompsonOptions,
  ThompsonResult,
} from './types.js';

const ACQ: Record<AcquisitionName, 0 | 1 | 2 | 3> = { logei: 0, ei: 1, pi: 2, ucb: 3 };
const ACQ_NAMES = Object.keys(ACQ) as AcquisitionName[];
const ACQ_KEYS = ['acquisition', 'best', 'beta', 'pending'] as const;
const MAX_KEYS = [...ACQ_KEYS, 'rawSamples', 'restarts', 'integer', 'seed', 'maxIterations', 'float32'] as const;

/** Wraps a rejection from the addon in a typed error. */
export async function nativeCall<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/positive definite|non-PD/i.test(msg)) throw new NumericalError(msg);
    // native/cuda/errors.hpp: "cuda: unavailable: …" (no device / driver / library), else NativeError.
    if (/^cuda: unavailable:/.test(msg)) throw new BackendUnavailableError(msg);
    throw new NativeError(msg);
  }
}

export interface GPState {
  native: NativeGP;
  backend: 'cpu' | 'cuda';
  kernel: Kernel;
  n: number;
  d: number;
  threads: number;
  theta: Float64Array;
  lml: number;
  logPrior: number;
  warnings: string[];
  info: FitInfo;
  categorical: Array<Float64Array | null>;
}

export class GP {
  readonly backend: 'cpu' | 'cuda';
  readonly kernel: Kernel;
  readonly d: number;
  readonly threads: number;
  /** Number of observations (grows with addObservation). */
  n: number;
  /** Fitted (or fixed) hyperparameters, in y's units. */
  readonly hyperparameters: Hyperparameters;
  /** Plain log marginal likelihood log p(y | X, θ) at `hyperparameters` (no prior). */
  logMarginalLikelihood: number;
  /** MAP objective at the fit: log marginal likelihood + log prior. */
  readonly logPosterior: number;
  /** Numerical trouble that was recovered from (jitter, fallback hyperparameters, ...). */
  readonly warnings: string[];
  readonly fitInfo: FitInfo;
  #native: NativeGP | null;
  readonly #categorical: Array<Float64Array | null>;

  constructor(s: GPState) {
    this.#native = s.native;
    this.backend = s.backend;
    this.kernel = s.kernel;
    this.n = s.n;
    this.d = s.d;
    this.threads = s.threads;
    this.hyperparameters = fromTheta(s.theta, s.d);
    this.logMarginalLikelihood = s.lml;
    this.logPosterior = s.lml + s.logPrior;
    this.warnings = s.warnings;
    this.fitInfo = s.info;
    this.#categorical = s.categorical;
  }

  #handle(): NativeGP {
    if (!this.#native) throw new InvalidStateError('This GP was disposed');
    return this.#native;
  }

  #points(name: string, Xc: unknown): Float64Array {
    // The addon copies the points before it returns (they may change while it computes): no copy here.
    return matrix(name, Xc, this.d, { unitCube: false, allowEmpty: true, copy: false }).data;
  }

  /** Posterior mean and latent variance at the rows of Xc, in y's units. */
  async predict(Xc: number[][] | Float64Array, opts?: PredictOptions): Promise<Prediction> {
    const o = options<PredictOptions>('options', opts, ['covariance', 'gradient', 'float32']);
    const covariance = o.covariance === undefined ? false : boolean('covariance', o.covariance);
    const gradient = o.gradient === undefined ? false : boolean('gradient', o.gradient);
    const float32 = o.float32 === undefined ? false : boolean('float32', o.float32);
    if (float32 && (gradient || covariance)) throw new InvalidArgumentError('`float32: true` gives the mean and variance only (no gradient or covariance)');
    const X = this.#points('Xc', Xc);
    const r = await nativeCall(this.#handle().predict(X, float32 ? { gradient, covariance, float32 } : { gradient, covariance }));
    const out: Prediction = { mean: r.mean, variance: r.variance };
    if (r.covariance) out.covariance = r.covariance;
    if (r.meanGradient) out.meanGradient = r.meanGradient;
    if (r.varianceGradient) out.varianceGradient = r.varianceGradient;
    return out;
  }

  #acq(o: Partial<MaximizeOptions>): NativeAcqOptions {
    const a: NativeAcqOptions = {
      type: ACQ[o.acquisition === undefined ? 'logei' : oneOf('acquisition', o.acquisition, ACQ_NAMES)],
      best: o.best === undefined ? NaN : finiteNumber('best', o.best),
      beta: o.beta === undefined ? 2 : positiveNumber('beta', o.beta),
      // On the GPU raw scoring and starts are nearly free: 128k raw samples and 64 starts by default.
      rawSamples: o.rawSamples === undefined ? (this.backend === 'cuda' ? 131072 : 1024) : integer('rawSamples', o.rawSamples, 1, 1 << 20),
      restarts: o.restarts === undefined ? (this.backend === 'cuda' ? 64 : 10) : integer('restarts', o.restarts, 1, 10000),
      seed: o.seed === undefined ? 0 : seed('seed', o.seed),
      integer: integerGrids(o.integer, this.d, this.#categorical),
      maxIterations: o.maxIterations === undefined ? 200 : integer('maxIterations', o.maxIterations, 1, 100000),
    };
    if (o.float32 !== undefined && boolean('float32', o.float32)) a.float32 = true;
    if (o.pending !== undefined) {
      const p = matrix('pending', o.pending, this.d, { allowEmpty: true });
      if (p.n > 0) a.pending = p.data;
    }
    return a;
  }

  /** Acquisition values (and gradients in x, (m, d) row-major) at the rows of Xc. */
  async acquisition(Xc: number[][] | Float64Array, opts?: AcquisitionOptions & { gradient?: boolean }): Promise<AcquisitionValues> {
    const o = options<AcquisitionOptions & { gradient?: boolean }>('options', opts, [...ACQ_KEYS, 'gradient']);
    const gradient = o.gradient === undefined ? false : boolean('gradient', o.gradient);
    const X = this.#points('Xc', Xc);
    const r = await nativeCall(this.#handle().acquisition(X, this.#acq(o), gradient));
    return r.gradient ? { value: r.value, gradient: r.gradient } : { value: r.value };
  }

  /** Maximises the acquisition over [0, 1]^d; reproducible for a given seed. */
  async maximizeAcquisition(opts?: MaximizeOptions): Promise<MaximizeResult> {
    const o = options<MaximizeOptions>('options', opts, MAX_KEYS);
    const r = await nativeCall(this.#handle().maximize(this.#acq(o)));
    return { x: r.x, value: r.value, warnings: r.warnings };
  }

  /**
   * Thompson-sampling batch: q joint posterior samples of f over `candidates` scrambled-Sobol'
   * points, each proposal the argmax of one sample (distinct points). The joint covariance costs
   * O(candidates³): on CUDA 8192 candidates by default, on the CPU 1024.
   */
  async thompsonProposals(opts: ThompsonOptions): Promise<ThompsonResult> {
    const o = options<ThompsonOptions>('options', opts, ['q', 'candidates', 'seed', 'pending', 'integer']);
    const q = integer('q', o.q, 1, 100000);
    const candidates = o.candidates === undefined ? Math.max(q, this.backend === 'cuda' ? 8192 : 1024) : integer('candidates', o.candidates, q, 65536);
    const native = this.#handle();
    if (!native.thompson) throw new InvalidStateError('this native addon predates Thompson sampling; rebuild it (npm run build:native)');
    const a: NativeThompsonOptions = {
      q, candidates, seed: o.seed === undefined ? 0 : seed('seed', o.seed), integer: integerGrids(o.integer, this.d, this.#categorical),
    };
    if (o.pending !== undefined) {
      const p = matrix('pending', o.pending, this.d, { allowEmpty: true });
      if (p.n > 0) a.pending = p.data;
    }
    const r = await nativeCall(native.thompson(a));
    return { x: r.x, values: r.values, jitter: r.jitter, warnings: r.warnings };
  }

  /** Adds one observation keeping the hyperparameters (O(n²) Cholesky update). */
  async addObservation(x: number[] | Float64Array, y: number): Promise<void> {
    const xv = vector('x', x, this.d);
    for (let j = 0; j < this.d; j++) {
      const v = xv[j]!;
      if (v < 0 || v > 1) throw new InvalidArgumentError(
        `Expected a number in [0, 1] for \`x[${j}]\` but received ${v}`,
      );
      const g = this.#categorical[j];
      if (g && !g.some((c) => Math.abs(c - v) <= 1e-9)) {
        throw new InvalidArgumentError(
          `Expected one of the choices of categorical dimension ${j} for \`x[${j}]\` but received ${v}`,
        );
      }
      if (g) xv[j] = g.reduce((b, c) => (Math.abs(c - v) < Math.abs(b - v) ? c : b), g[0]!);
    }
    const yv = finiteNumber('y', y);
    const r = await nativeCall(this.#handle().addObservation(xv, yv));
    this.n += 1;
    this.logMarginalLikelihood = r.lml;
    this.warnings.push(...r.warnings);
  }

  /**
   * Log marginal likelihood (plus the log prior with `prior: true`) at other hyperparameters, and
   * its gradient in θ = [log ℓ, log outputscale, log noise, mean]. The model is not changed.
   */
  async logMarginalLikelihoodAt(h: Hyperparameters, opts?: { prior?: boolean }): Promise<LikelihoodAt> {
    const o = options<{ prior?: boolean }>('options', opts, ['prior']);
    const theta = toTheta(hyperparameters('hyperparameters', h, this.d));
    return nativeCall(this.#handle().evaluate(theta, o.prior === undefined ? false : boolean('prior', o.prior)));
  }

  /**
   * `logMarginalLikelihoodAt` at many hyperparameter settings, evaluated together (the batched
   * likelihood a fit uses: on CUDA, one batch of factorisations per 32 settings). Same values and
   * gradients as one call each; the model is not changed. [] for [].
   */
  async logMarginalLikelihoodsAt(hs: readonly Hyperparameters[], opts?: { prior?: boolean }): Promise<LikelihoodAt[]> {
    const o = options<{ prior?: boolean }>('options', opts, ['prior']);
    const prior = o.prior === undefined ? false : boolean('prior', o.prior);
    if (!Array.isArray(hs)) throw new InvalidArgumentError(`Expected an array of hyperparameter objects for \`hyperparameters\` but received ${describe(hs)}`);
    if (hs.length > 100_000) throw new InvalidArgumentError(`Expected at most 100000 settings in \`hyperparameters\` but received ${hs.length}`);
    const p = this.d + 3;
    const theta = new Float64Array(hs.length * p);
    hs.forEach((h, k) => theta.set(toTheta(hyperparameters(`hyperparameters[${k}]`, h, this.d)), k * p));
    if (hs.length === 0) return [];
    const native = this.#handle();
    if (!native.evaluateMany) throw new InvalidStateError('this native addon predates logMarginalLikelihoodsAt; rebuild it (npm run build:native)');
    const r = await nativeCall(native.evaluateMany(theta, prior));
    return Array.from({ length: hs.length }, (_, k) => ({ value: r.values[k]!, gradient: r.gradients.slice(k * p, (k + 1) * p) }));
  }

  /** Releases the native model; later calls throw InvalidStateError. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = null;
  }
}
