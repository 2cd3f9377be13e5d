/** The fitted-model handle returned by `engine.fitGP`. */
import { InvalidArgumentError, InvalidStateError, NumericalError } from '../errors.js';
import { boolean, describe, options } from '../validate.js';
import { callNative, type NativeGP } from '../native/binding.js';
import { fromTheta, hyperparameters, matrix, output, toTheta, usableAsGiven, vector } from './checks.js';
import { ACQ_KEYS, MAX_KEYS, resolveAcquisition, resolvePredict, resolveThompson, THOMPSON_KEYS, type AcqContext } from './options.js';
import type {
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

let handleOf: (gp: GP) => NativeGP | null;

/** The native handle of a GP, or null once disposed: for calls on several models (src/engine/ensemble.ts). */
export function nativeHandle(gp: GP): NativeGP | null {
  return handleOf(gp);
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

  static {
    handleOf = (gp) => gp.#native;
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
    const p = resolvePredict(opts);
    const X = this.#points('Xc', Xc);
    const r = await callNative(() => this.#handle().predict(X, p));
    const out: Prediction = { mean: r.mean, variance: r.variance };
    if (r.covariance) out.covariance = r.covariance;
    if (r.meanGradient) out.meanGradient = r.meanGradient;
    if (r.varianceGradient) out.varianceGradient = r.varianceGradient;
    return out;
  }

  get #context(): AcqContext {
    return { backend: this.backend, d: this.d, categorical: this.#categorical };
  }

  /** Acquisition values (and gradients in x, (m, d) row-major) at the rows of Xc. */
  async acquisition(Xc: number[][] | Float64Array, opts?: AcquisitionOptions & { gradient?: boolean }): Promise<AcquisitionValues> {
    const o = options<AcquisitionOptions & { gradient?: boolean }>('options', opts, [...ACQ_KEYS, 'gradient']);
    const gradient = o.gradient === undefined ? false : boolean('gradient', o.gradient);
    const X = this.#points('Xc', Xc);
    const acq = resolveAcquisition(o, this.#context);
    const r = await callNative(() => this.#handle().acquisition(X, acq, gradient));
    return r.gradient ? { value: r.value, gradient: r.gradient } : { value: r.value };
  }

  /** Maximises the acquisition over [0, 1]^d; reproducible for a given seed. */
  async maximizeAcquisition(opts?: MaximizeOptions): Promise<MaximizeResult> {
    const o = options<MaximizeOptions>('options', opts, MAX_KEYS);
    const acq = resolveAcquisition(o, this.#context);
    const r = await callNative(() => this.#handle().maximize(acq));
    return { x: r.x, value: r.value, warnings: r.warnings };
  }

  /**
   * Thompson-sampling batch: q joint posterior samples of f over `candidates` scrambled-Sobol'
   * points, each proposal the argmax of one sample (distinct points). The joint covariance costs
   * O(candidates³): on CUDA 8192 candidates by default, on the CPU 1024.
   */
  async thompsonProposals(opts: ThompsonOptions): Promise<ThompsonResult> {
    const o = options<ThompsonOptions>('options', opts, THOMPSON_KEYS);
    const a = resolveThompson(o, this.#context);
    const r = await callNative(() => this.#handle().thompson(a));
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
    const yv = output('y', y);
    const r = await callNative(() => this.#handle().addObservation(xv, yv));
    this.n += 1;
    this.logMarginalLikelihood = r.lml;
    this.warnings.push(...r.warnings);
    if (!Number.isFinite(r.lml)) {
      // Only with fixed hyperparameters far from the data's scale (a fit adapts them): the quadratic
      // form overflows. The observation is in the model; its likelihood is not representable.
      throw new NumericalError(
        `The log marginal likelihood overflowed (${r.lml}) when the observation y = ${yv} was added: the hyperparameters are far from the scale of the data (the observation was added)`,
      );
    }
  }

  /**
   * Log marginal likelihood (plus the log prior with `prior: true`) at other hyperparameters, and
   * its gradient in θ = [log ℓ, log outputscale, log noise, mean]. The model is not changed.
   */
  async logMarginalLikelihoodAt(h: Hyperparameters, opts?: { prior?: boolean }): Promise<LikelihoodAt> {
    const o = options<{ prior?: boolean }>('options', opts, ['prior']);
    const theta = toTheta(usableAsGiven('hyperparameters', hyperparameters('hyperparameters', h, this.d)));
    const prior = o.prior === undefined ? false : boolean('prior', o.prior);
    const r = await callNative(() => this.#handle().evaluate(theta, prior));
    return definedLikelihood('hyperparameters', r.value, r.gradient);
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
    hs.forEach((h, k) => theta.set(toTheta(usableAsGiven(`hyperparameters[${k}]`, hyperparameters(`hyperparameters[${k}]`, h, this.d))), k * p));
    if (hs.length === 0) return [];
    const r = await callNative(() => this.#handle().evaluateMany(theta, prior));
    return Array.from({ length: hs.length }, (_, k) => definedLikelihood(`hyperparameters[${k}]`, r.values[k]!, r.gradients.slice(k * p, (k + 1) * p)));
  }

  /** Releases the native model; later calls throw InvalidStateError. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = null;
  }
}

/**
 * The engine returns NaN for hyperparameters whose kernel matrix is not positive definite even with
 * the most jitter (native/README.md), and a likelihood can overflow to -Infinity (a mean or noise far
 * from the data's scale): an error naming them, never a value the caller might not check.
 */
function definedLikelihood(name: string, value: number, gradient: Float64Array): LikelihoodAt {
  if (Number.isNaN(value) || gradient.some(Number.isNaN)) {
    throw new NumericalError(
      `The log marginal likelihood is not defined at \`${name}\`: the kernel matrix is not numerically positive definite there, even with jitter`,
    );
  }
  if (!Number.isFinite(value) || !gradient.every(Number.isFinite)) {
    throw new NumericalError(`The log marginal likelihood at \`${name}\` overflows (${value}): these hyperparameters are too far from the scale of the data`);
  }
  return { value, gradient };
}
