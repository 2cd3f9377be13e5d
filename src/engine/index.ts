/**
 * The native Gaussian-process engine (issue 3): `engine.backends()`, `engine.fitGP(...)`.
 * Every heavy call runs on libuv's threadpool (a Napi::AsyncWorker) behind a Promise; all
 * arguments are validated here before the addon sees them. Model, priors and fallbacks:
 * native/README.md.
 */
import { availableParallelism, loadavg } from 'node:os';

import { BackendUnavailableError, InvalidArgumentError, NumericalError } from '../errors.js';
import { integer, oneOf, options, positiveNumber, boolean } from '../validate.js';
import {
  callNative,
  callNativeSync,
  isDeviceOutOfMemory,
  loadAddon,
  type NativeAddon,
  type NativeCudaStatus,
  type NativeFitOptions,
  type NativeFitResult,
  type NativeGP,
} from '../native/binding.js';
import { warnOnce } from '../util/warn.js';
import { categoricalGrids, hyperparameters, matrix, outputs, partialHyperparameters, seed, toTheta, usableAsGiven } from './checks.js';
import { GP } from './gp.js';
import type { BackendName, FitGPOptions, Kernel } from './types.js';

export { GP } from './gp.js';
export type * from './types.js';

const FIT_KEYS = [
  'X', 'd', 'y', 'kernel', 'restarts', 'seed', 'backend', 'categorical', 'warmStart', 'fixed', 'threads',
  'maxIterations', 'noiseFloor', 'deviceMemoryLimit',
] as const;

/** Backends usable in this process, fastest first (e.g. ['cpu']); [] when the addon is not built. */
function backends(): Array<'cpu' | 'cuda'> {
  try {
    return loadAddon().backends() as Array<'cpu' | 'cuda'>;
  } catch {
    return [];
  }
}

/**
 * Default thread count: 1 for small matrices (n < 1000); else min(2, cores), reduced to 1 when the
 * machine is already busy (fewer than 2 cores idle by the 1-minute load average), because a 2-thread
 * team on an oversubscribed machine is slower than one thread.
 */
function defaultThreads(n: number): number {
  if (n < 1000) return 1;
  const cores = availableParallelism();
  const idle = Math.floor(cores - (loadavg()[0] ?? 0));
  return Math.max(1, Math.min(2, cores, idle));
}

/** The addon's CUDA report (compiled? device? libraries? why not?); never throws. */
function cudaStatus(opts?: { probeLibraries?: boolean }): NativeCudaStatus {
  let addon: NativeAddon;
  try {
    addon = loadAddon();
  } catch (e) {
    return { compiled: false, available: false, devices: 0, device: '', cublas: '', cusolver: '', reason: e instanceof Error ? e.message : String(e) };
  }
  if (!addon.cudaStatus) {
    return { compiled: false, available: false, devices: 0, device: '', cublas: '', cusolver: '', reason: 'this addon predates the CUDA backend; rebuild it' };
  }
  return addon.cudaStatus(opts?.probeLibraries === true);
}

export function resolveBackend(name: BackendName, addon: Pick<NativeAddon, 'backends' | 'cudaStatus'>): 'cpu' | 'cuda' {
  const have = addon.backends();
  if (name === 'auto') return have.includes('cuda') ? 'cuda' : 'cpu';
  if (!have.includes(name)) {
    let why = '';
    if (name === 'cuda') {
      const st = addon.cudaStatus?.(false);
      why = st ? `: ${st.reason || 'unknown reason'}` : '; this build has no CUDA backend';
    }
    throw new BackendUnavailableError(`The ${name} backend is not available here (available: ${have.join(', ') || 'none'})${why}`);
  }
  return name;
}

/**
 * The native fit on a fresh handle; the handle is disposed when the fit fails. A result that is not
 * finite (valid input should never give one) is a NumericalError rather than a model full of NaN.
 */
async function fitOn(native: NativeGP, fit: NativeFitOptions): Promise<NativeFitResult> {
  try {
    const r = await callNative(() => native.fit(fit));
    if (!Number.isFinite(r.lml) || !r.theta.every(Number.isFinite)) {
      throw new NumericalError(`The fit ended at non-finite hyperparameters or likelihood (log marginal likelihood ${r.lml})`);
    }
    return r;
  } catch (e) {
    native.dispose();
    throw e;
  }
}

/** Whether backend 'auto' leaves this failure of the CUDA backend to the CPU: a device that stops answering, or has no room. */
function cpuCanTakeOver(e: unknown): boolean {
  return e instanceof BackendUnavailableError || isDeviceOutOfMemory(e);
}

/** Fits a GP (MAP hyperparameters, several batched L-BFGS-B starts) and returns its handle. */
async function fitGP(opts: FitGPOptions): Promise<GP> {
  const o = options<FitGPOptions>('options', opts, FIT_KEYS);
  if (opts === undefined) throw new InvalidArgumentError('Expected an options object for `fitGP` but received undefined');
  const { data: X, n, d } = matrix('X', o.X, o.d === undefined ? undefined : integer('d', o.d, 1));
  const y = outputs('y', o.y, n);
  const kernel: Kernel = o.kernel === undefined ? 'matern52' : oneOf('kernel', o.kernel, ['matern52', 'rbf'] as const);
  const restarts = o.restarts === undefined ? 4 : integer('restarts', o.restarts, 0, 1000);
  const fitSeed = o.seed === undefined ? 0 : seed('seed', o.seed);
  const backendName = o.backend === undefined ? 'auto' : oneOf('backend', o.backend, ['auto', 'cpu', 'cuda'] as const);
  const categorical = categoricalGrids(o.categorical, X, n, d);
  const warm = o.warmStart === undefined ? undefined : hyperparameters('warmStart', o.warmStart, d);
  const threads = o.threads === undefined ? defaultThreads(n) : integer('threads', o.threads, 1, 1024);
  const maxIterations = o.maxIterations === undefined ? 0 : integer('maxIterations', o.maxIterations, 1, 100000);
  const noiseFloor = o.noiseFloor === undefined ? 1e-6 : positiveNumber('noiseFloor', o.noiseFloor);
  const deviceMemoryLimit = o.deviceMemoryLimit === undefined ? 0 : positiveNumber('deviceMemoryLimit', o.deviceMemoryLimit);

  const fit: NativeFitOptions = { restarts, seed: fitSeed, fixedAll: false, maxIterations, keep: 0, noiseFloor };
  if (o.fixed !== undefined && typeof o.fixed === 'boolean') {
    if (boolean('fixed', o.fixed)) {
      if (!warm) throw new InvalidArgumentError('`fixed: true` needs `warmStart` (the hyperparameters to use)');
      usableAsGiven('warmStart', warm);
      fit.fixedAll = true;
    }
  } else if (o.fixed !== undefined) {
    const f = usableAsGiven('fixed', partialHyperparameters('fixed', o.fixed, d));
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
  if (warm && !fit.warm) fit.warm = toTheta(warm);

  const addon = loadAddon();
  const backend = resolveBackend(backendName, addon);
  const make = (b: 'cpu' | 'cuda') =>
    callNativeSync(() => new addon.GP({ X, y, n, d, kernel: kernel === 'rbf' ? 1 : 0, categorical, threads, backend: b, ...(b === 'cuda' ? { deviceMemoryLimit } : {}) }));
  const t0 = performance.now();
  let r;
  let native;
  let used = backend;
  const fallback: string[] = [];
  try {
    native = make(backend);
    r = await fitOn(native, fit);
  } catch (e) {
    // `auto` never fails for CUDA's sake: a device that stops answering, or has no room for this GP
    // (its matrices or the `deviceMemoryLimit` cap), leaves the fit to the CPU, with a warning.
    if (backendName !== 'auto' || backend !== 'cuda' || !cpuCanTakeOver(e)) throw e;
    const msg = (e as Error).message;
    used = 'cpu';
    if (isDeviceOutOfMemory(e)) {
      const w = `backend 'auto': the CUDA device had no room for this GP (n = ${n}, d = ${d}): ${msg}; it was fitted on the CPU backend instead`;
      fallback.push(w);
      warnOnce('TUNABLE_CUDA_OUT_OF_MEMORY', w);
    }
    native = make('cpu');
    r = await fitOn(native, fit);
  }
  const milliseconds = performance.now() - t0;
  return new GP({
    native, backend: used, kernel, n, d, threads, theta: r.theta, lml: r.lml, logPrior: r.logPrior,
    warnings: [...fallback, ...r.warnings], categorical,
    info: {
      starts: r.starts, optimized: r.optimized, iterations: r.iterations, evaluations: r.evaluations,
      batchedCalls: r.batchedCalls, jitter: r.jitter, milliseconds,
    },
  });
}

/** Seconds for one Cholesky of a random SPD (n, n) matrix with the CPU backend (best of repeats). */
async function choleskyBenchmark(n: number, opts?: { repeats?: number; threads?: number }): Promise<number> {
  const o = options<{ repeats: number; threads: number }>('options', opts, ['repeats', 'threads']);
  const size = integer('n', n, 1, 20000);
  const repeats = o.repeats === undefined ? 3 : integer('repeats', o.repeats, 1, 1000);
  const threads = o.threads === undefined ? defaultThreads(size) : integer('threads', o.threads, 1, 1024);
  return callNative(() => loadAddon().choleskyBenchmark(size, repeats, threads));
}

/** Which build system produced the loaded addon ('cmake-js' | 'node-gyp'), or null. */
function buildSystem(): string | null {
  try {
    return loadAddon().buildSystem;
  } catch {
    return null;
  }
}

export const engine = { backends, fitGP, defaultThreads, choleskyBenchmark, buildSystem, cudaStatus };
