/**
 * The native Gaussian-process engine (issue 3): `engine.backends()`, `engine.fitGP(...)`, and calls on
 * a weighted ensemble of fitted GPs (`engine.maximizeEnsembleAcquisition`, `engine.predictEnsemble`).
 * Every heavy call runs on libuv's threadpool (a Napi::AsyncWorker) behind a Promise; all
 * arguments are validated here before the addon sees them. Model, priors and fallbacks:
 * native/README.md.
 */
import { BackendUnavailableError, InvalidArgumentError, NumericalError } from '../errors.js';
import { integer, options } from '../validate.js';
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
import { matrix, outputs } from './checks.js';
import { maximizeEnsembleAcquisition, predictEnsemble } from './ensemble.js';
import { GP } from './gp.js';
import { defaultThreads, ENGINE_DEFAULTS, FIT_KEYS, resolveFitGP } from './options.js';
import type { BackendName, FitGPOptions } from './types.js';

export { GP } from './gp.js';
export { ENGINE_DEFAULTS } from './options.js';
export type * from './types.js';

/** Backends usable in this process, fastest first (e.g. ['cpu']); [] when the addon is not built. */
function backends(): Array<'cpu' | 'cuda'> {
  try {
    return loadAddon().backends() as Array<'cpu' | 'cuda'>;
  } catch {
    return [];
  }
}

/** The addon's CUDA report (compiled? device? libraries? why not?); never throws. */
function cudaStatus(opts?: { probeLibraries?: boolean }): NativeCudaStatus {
  let addon: NativeAddon;
  try {
    addon = loadAddon();
  } catch (e) {
    return { compiled: false, available: false, devices: 0, device: '', cublas: '', cusolver: '', reason: e instanceof Error ? e.message : String(e) };
  }
  return addon.cudaStatus(opts?.probeLibraries === true);
}

export function resolveBackend(name: BackendName, addon: Pick<NativeAddon, 'backends'> & Partial<Pick<NativeAddon, 'cudaStatus'>>): 'cpu' | 'cuda' {
  const have = addon.backends();
  if (name === 'auto') return have.includes('cuda') ? 'cuda' : 'cpu';
  if (!have.includes(name)) {
    let why = '';
    if (name === 'cuda') {
      // A stand-in without cudaStatus (tests) reads as a build without CUDA.
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
  const { kernel, backend: backendName, categorical, threads, deviceMemoryLimit, debug, fit } = resolveFitGP(o, X, n, d, y);
  const addon = loadAddon();
  const backend = resolveBackend(backendName, addon);
  const make = (b: 'cpu' | 'cuda') =>
    callNativeSync(() => new addon.GP({ X, y, n, d, kernel, categorical, threads, backend: b, deviceMemoryLimit, debug }));
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
  const repeats = o.repeats === undefined ? ENGINE_DEFAULTS.choleskyBenchmark.repeats : integer('repeats', o.repeats, 1, 1000);
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

/**
 * Raises glibc malloc's mmap and trim thresholds (64 MB, 256 MB) for the whole process: Eigen allocates
 * GEMM packing buffers on every call, and with glibc's defaults each is a fresh mmap whose page faults
 * cost ~20 % of a likelihood evaluation at n = 500. It changes every allocation of the process, so it
 * is the program's choice: nothing calls it unless asked. Returns whether it applied (false off glibc).
 */
function tuneHostAllocator(): boolean {
  return loadAddon().tuneHostAllocator();
}

/**
 * `name` resolved against this process's addon, for callers that check at construction: throws the
 * loader's BackendUnavailableError when no addon loads (as it is: it says what to install), or
 * resolveBackend's when the backend is absent, its message prefixed with `who: `.
 */
function requireBackend(name: BackendName, who: string): 'cpu' | 'cuda' {
  const addon = loadAddon();
  try {
    return resolveBackend(name, addon);
  } catch (e) {
    if (e instanceof BackendUnavailableError) throw new BackendUnavailableError(`${who}: ${e.message}`);
    throw e;
  }
}

export const engine = {
  backends, fitGP, defaultThreads, choleskyBenchmark, buildSystem, cudaStatus, tuneHostAllocator, requireBackend, isDeviceOutOfMemory,
  maximizeEnsembleAcquisition, predictEnsemble,
};
