/**
 * The engine's options resolver: every default of `fitGP` and of a GP's methods lives here and nowhere
 * else. Each call is checked and resolved once into one frozen object that the addon receives whole
 * (as BoTorch's `OptimizeAcqfInputs`): the native structs have no defaults and the addon's converter
 * refuses a missing field (native/README.md, "Native surface"). Callers that want the engine's choice
 * (the GPSampler) pass nothing or read ENGINE_DEFAULTS.
 */
import { availableParallelism, loadavg } from 'node:os';

import { InvalidArgumentError } from '../errors.js';
import type { NativeAcqOptions, NativeDebug, NativeEnsembleOptions, NativeFitOptions, NativeThompsonOptions } from '../native/binding.js';
import { boolean, integer, invalid, oneOf, options, positiveNumber } from '../validate.js';
import { categoricalGrids, hyperparameters, integerGrids, matrix, output, partialHyperparameters, seed, toTheta, usableAsGiven, vector } from './checks.js';
import type {
  AcquisitionName,
  BackendName,
  DebugOptions,
  FantasyName,
  FitGPOptions,
  Kernel,
  MaximizeEnsembleOptions,
  MaximizeOptions,
  PredictOptions,
  ThompsonOptions,
} from './types.js';

type Backend = 'cpu' | 'cuda';

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Every default of the engine. Values that differ by backend are `{ cpu, cuda }`. */
export const ENGINE_DEFAULTS = deepFreeze({
  fit: {
    kernel: 'matern52' as Kernel,
    restarts: 4,
    seed: 0,
    backend: 'auto' as BackendName,
    /** 0: the schedule's cap for this n (native/README.md, "Starts and schedule"). */
    maxIterations: 0,
    /** 0: the schedule's number of starts kept after screening. */
    keep: 0,
    noiseFloor: 1e-6,
    /** 0: no cap. */
    deviceMemoryLimit: 0,
  },
  acquisition: {
    acquisition: 'logei' as AcquisitionName,
    /** NaN: max(y). */
    best: NaN,
    beta: 2,
    /** The pending points' fantasy values (FantasyName, types.ts). */
    fantasy: 'mean' as FantasyName,
    seed: 0,
    maxIterations: 200,
    float32: false,
    // On the GPU raw scoring and starts are nearly free.
    rawSamples: { cpu: 1024, cuda: 131072 },
    restarts: { cpu: 10, cuda: 64 },
  },
  thompson: {
    seed: 0,
    // The joint covariance costs O(candidates³).
    candidates: { cpu: 1024, cuda: 8192 },
  },
  predict: { covariance: false, gradient: false, float32: false },
  debug: {
    profile: false,
    memoryCheck: true,
    solve: 'blocked' as 'blocked' | 'cublas',
    // null: the CUDA backend's measured constants (native/cuda/cuda_backend.hpp: 128, 2048, 256).
    solveBlock: null as number | null,
    batchMaxN: null as number | null,
    potrfBatchedMaxN: null as number | null,
  },
  choleskyBenchmark: { repeats: 3 },
});

/**
 * Default thread count: 1 for small matrices (n < 1000); else min(2, cores), reduced to 1 when the
 * machine is already busy (fewer than 2 cores idle by the 1-minute load average), because a 2-thread
 * team on an oversubscribed machine is slower than one thread.
 */
export function defaultThreads(n: number): number {
  if (n < 1000) return 1;
  const cores = availableParallelism();
  const idle = Math.floor(cores - (loadavg()[0] ?? 0));
  return Math.max(1, Math.min(2, cores, idle));
}

const DEBUG_KEYS = ['profile', 'memoryCheck', 'solve', 'solveBlock', 'batchMaxN', 'potrfBatchedMaxN'] as const;

/** fitGP's `debug` option, resolved. */
export function resolveDebug(v: unknown): Readonly<NativeDebug> {
  const o = options<DebugOptions>('debug', v, DEBUG_KEYS);
  const D = ENGINE_DEFAULTS.debug;
  return Object.freeze({
    profile: o.profile === undefined ? D.profile : boolean('debug.profile', o.profile),
    memoryCheck: o.memoryCheck === undefined ? D.memoryCheck : boolean('debug.memoryCheck', o.memoryCheck),
    solve: o.solve === undefined ? D.solve : oneOf('debug.solve', o.solve, ['blocked', 'cublas'] as const),
    solveBlock: o.solveBlock === undefined ? D.solveBlock : integer('debug.solveBlock', o.solveBlock, 32, 1024),
    batchMaxN: o.batchMaxN === undefined ? D.batchMaxN : integer('debug.batchMaxN', o.batchMaxN, 0, 1 << 30),
    potrfBatchedMaxN: o.potrfBatchedMaxN === undefined ? D.potrfBatchedMaxN : integer('debug.potrfBatchedMaxN', o.potrfBatchedMaxN, 0, 1 << 30),
  });
}

export const FIT_KEYS = [
  'X', 'd', 'y', 'kernel', 'restarts', 'seed', 'backend', 'categorical', 'warmStart', 'fixed', 'threads',
  'maxIterations', 'noiseFloor', 'deviceMemoryLimit', 'debug',
] as const;

/** fitGP's options after X and y, resolved. */
export interface ResolvedFitGP {
  readonly kernel: Kernel;
  readonly backend: BackendName;
  readonly categorical: Array<Float64Array | null>; // (d) sorted choice values of categorical dimensions
  readonly threads: number;
  readonly deviceMemoryLimit: number;
  readonly debug: Readonly<NativeDebug>;
  readonly fit: Readonly<NativeFitOptions>;
}

const EMPTY = new Float64Array(0);

/**
 * Resolves every option of fitGP but X and y, which the caller checked: X (n, d) row-major (a fresh copy:
 * categorical values are snapped to their choices in place), y (n). Checked in the order of FIT_KEYS' options.
 */
export function resolveFitGP(o: Partial<FitGPOptions>, X: Float64Array, n: number, d: number, y: Float64Array): ResolvedFitGP {
  const F = ENGINE_DEFAULTS.fit;
  const kernel: Kernel = o.kernel === undefined ? F.kernel : oneOf('kernel', o.kernel, ['matern52', 'rbf'] as const);
  const restarts = o.restarts === undefined ? F.restarts : integer('restarts', o.restarts, 0, 1000);
  const fitSeed = o.seed === undefined ? F.seed : seed('seed', o.seed);
  const backend = o.backend === undefined ? F.backend : oneOf('backend', o.backend, ['auto', 'cpu', 'cuda'] as const);
  const categorical = categoricalGrids(o.categorical, X, n, d);
  const warm = o.warmStart === undefined ? undefined : hyperparameters('warmStart', o.warmStart, d);
  const threads = o.threads === undefined ? defaultThreads(n) : integer('threads', o.threads, 1, 1024);
  const fit: NativeFitOptions = {
    restarts,
    seed: fitSeed,
    warm: EMPTY,
    fixedMask: EMPTY,
    fixedAll: false,
    maxIterations: o.maxIterations === undefined ? F.maxIterations : integer('maxIterations', o.maxIterations, 1, 100000),
    keep: F.keep,
    noiseFloor: o.noiseFloor === undefined ? F.noiseFloor : positiveNumber('noiseFloor', o.noiseFloor),
  };
  const resolved = {
    kernel,
    backend,
    categorical,
    threads,
    deviceMemoryLimit: o.deviceMemoryLimit === undefined ? F.deviceMemoryLimit : positiveNumber('deviceMemoryLimit', o.deviceMemoryLimit),
    debug: resolveDebug(o.debug),
  };
  if (o.fixed !== undefined && typeof o.fixed === 'boolean') {
    if (boolean('fixed', o.fixed)) {
      if (!warm) throw new InvalidArgumentError('`fixed: true` needs `warmStart` (the hyperparameters to use)');
      usableAsGiven('warmStart', warm);
      fit.fixedAll = true;
    }
  } else if (o.fixed !== undefined) {
    const f = usableAsGiven('fixed', partialHyperparameters('fixed', o.fixed, d));
    // Where neither `fixed` nor `warmStart` gives a value, the free hyperparameter starts here (the fit moves it).
    const start = {
      lengthscales: f.lengthscales ?? warm?.lengthscales ?? Array.from({ length: d }, () => 0.2 * Math.sqrt(d)),
      outputscale: f.outputscale ?? warm?.outputscale ?? 1,
      noise: f.noise ?? warm?.noise ?? 1e-3,
      mean: f.mean ?? warm?.mean ?? y.reduce((a, b) => a + b, 0) / n,
    };
    const mask = new Float64Array(d + 3);
    if (f.lengthscales) mask.fill(1, 0, d);
    if (f.outputscale !== undefined) mask[d] = 1;
    if (f.noise !== undefined) mask[d + 1] = 1;
    if (f.mean !== undefined) mask[d + 2] = 1;
    fit.fixedMask = mask;
    fit.warm = toTheta(start);
  }
  if (warm && fit.warm.length === 0) fit.warm = toTheta(warm);
  return Object.freeze({ ...resolved, fit: Object.freeze(fit) });
}

/** What an acquisition call resolves against: the model's backend, dimension and categorical grids. */
export interface AcqContext {
  readonly backend: Backend;
  readonly d: number;
  readonly categorical: Array<Float64Array | null>;
}

export const ACQ_KEYS = ['acquisition', 'best', 'beta', 'pending', 'fantasy'] as const;
export const MAX_KEYS = [...ACQ_KEYS, 'rawSamples', 'restarts', 'integer', 'seed', 'maxIterations', 'float32'] as const;

function pendingPoints(v: unknown, d: number): Float64Array {
  if (v === undefined) return EMPTY;
  const p = matrix('pending', v, d, { allowEmpty: true });
  return p.n > 0 ? p.data : EMPTY;
}

/** The options of acquisition() (ACQ_KEYS) and maximizeAcquisition() (MAX_KEYS), resolved. */
export function resolveAcquisition(o: Partial<MaximizeOptions>, c: AcqContext): Readonly<NativeAcqOptions> {
  const A = ENGINE_DEFAULTS.acquisition;
  return Object.freeze({
    acquisition: o.acquisition === undefined ? A.acquisition : oneOf('acquisition', o.acquisition, ['logei', 'ei', 'pi', 'ucb'] as const),
    best: o.best === undefined ? A.best : output('best', o.best),
    beta: o.beta === undefined ? A.beta : positiveNumber('beta', o.beta),
    pending: pendingPoints(o.pending, c.d),
    fantasy: o.fantasy === undefined ? A.fantasy : oneOf('fantasy', o.fantasy, ['mean', 'min', 'max'] as const),
    rawSamples: o.rawSamples === undefined ? A.rawSamples[c.backend] : integer('rawSamples', o.rawSamples, 1, 1 << 20),
    restarts: o.restarts === undefined ? A.restarts[c.backend] : integer('restarts', o.restarts, 1, 10000),
    seed: o.seed === undefined ? A.seed : seed('seed', o.seed),
    integer: integerGrids(o.integer, c.d, c.categorical),
    maxIterations: o.maxIterations === undefined ? A.maxIterations : integer('maxIterations', o.maxIterations, 1, 100000),
    float32: o.float32 === undefined ? A.float32 : boolean('float32', o.float32),
  });
}

export const ENSEMBLE_KEYS = [
  'members', 'd', 'acquisition', 'best', 'beta', 'pending', 'rawSamples', 'restarts', 'seed', 'maxIterations', 'integer',
  'categorical', 'incumbent',
] as const;

/**
 * maximizeEnsembleAcquisition's options but `members` (src/engine/ensemble.ts checks those), resolved with
 * the acquisition defaults; `backend` picks the backend-dependent ones (CUDA only when every member is on it).
 */
export function resolveEnsemble(o: Partial<MaximizeEnsembleOptions>, d: number, backend: Backend): Readonly<NativeEnsembleOptions> {
  const A = ENGINE_DEFAULTS.acquisition;
  const acquisition = o.acquisition === undefined ? A.acquisition : oneOf('acquisition', o.acquisition, ['logei', 'ei', 'pi', 'ucb'] as const);
  // The members' scales differ from any one model's y: there is no max(y) to default to.
  const best = acquisition === 'ucb' && o.best === undefined ? NaN : output('best', o.best);
  if (o.categorical !== undefined && Array.isArray(o.categorical)) {
    o.categorical.forEach((c, i) => {
      if (c === null || typeof c !== 'object') throw invalid(`categorical[${i}]`, 'an object { dim, choices }', c);
    });
  }
  const categorical = categoricalGrids(o.categorical, EMPTY, 0, d);
  return Object.freeze({
    d,
    acquisition,
    best,
    beta: o.beta === undefined ? A.beta : positiveNumber('beta', o.beta),
    pending: pendingPoints(o.pending, d),
    rawSamples: o.rawSamples === undefined ? A.rawSamples[backend] : integer('rawSamples', o.rawSamples, 1, 1 << 20),
    restarts: o.restarts === undefined ? A.restarts[backend] : integer('restarts', o.restarts, 1, 10000),
    seed: o.seed === undefined ? A.seed : seed('seed', o.seed),
    maxIterations: o.maxIterations === undefined ? A.maxIterations : integer('maxIterations', o.maxIterations, 1, 100000),
    integer: integerGrids(o.integer, d, categorical),
    categorical,
    incumbent: o.incumbent === undefined ? EMPTY : unitVector('incumbent', o.incumbent, d),
  });
}

function unitVector(name: string, v: unknown, d: number): Float64Array {
  const x = vector(name, v, d);
  x.forEach((e, j) => {
    if (e < 0 || e > 1) throw invalid(`${name}[${j}]`, 'a number in [0, 1]', e);
  });
  return x;
}

export const THOMPSON_KEYS = ['q', 'candidates', 'seed', 'pending', 'integer'] as const;

/** thompsonProposals' options, resolved. */
export function resolveThompson(o: Partial<ThompsonOptions>, c: AcqContext): Readonly<NativeThompsonOptions> {
  const T = ENGINE_DEFAULTS.thompson;
  const q = integer('q', o.q, 1, 100000);
  return Object.freeze({
    q,
    candidates: o.candidates === undefined ? Math.max(q, T.candidates[c.backend]) : integer('candidates', o.candidates, q, 65536),
    seed: o.seed === undefined ? T.seed : seed('seed', o.seed),
    pending: pendingPoints(o.pending, c.d),
    integer: integerGrids(o.integer, c.d, c.categorical),
  });
}

/** predict()'s options, resolved. */
export function resolvePredict(v: unknown): Readonly<Required<PredictOptions>> {
  const o = options<PredictOptions>('options', v, ['covariance', 'gradient', 'float32']);
  const P = ENGINE_DEFAULTS.predict;
  const r = {
    covariance: o.covariance === undefined ? P.covariance : boolean('covariance', o.covariance),
    gradient: o.gradient === undefined ? P.gradient : boolean('gradient', o.gradient),
    float32: o.float32 === undefined ? P.float32 : boolean('float32', o.float32),
  };
  if (r.float32 && (r.gradient || r.covariance)) throw new InvalidArgumentError('`float32: true` gives the mean and variance only (no gradient or covariance)');
  return Object.freeze(r);
}
