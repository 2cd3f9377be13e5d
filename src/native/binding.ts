/**
 * The one place that loads and types the native addon (native/addon/*.cpp).
 *
 * Candidates, in order: $TUNABLE_NATIVE_ADDON (a path), the cmake-js build
 * (build/cmake/Release/tunable.node, what `npm install` produces) and the node-gyp build
 * (build/Release/tunable.node, `npm run build:gyp`). Every failure is collected; when none loads,
 * one BackendUnavailableError lists them and says what to install.
 *
 * Also the one place where the addon's errors get their TypeScript class: the addon throws and rejects
 * with JS errors that carry a `code` (native/addon/errors.hpp), mapped here by `nativeError`; nothing
 * reads the message text.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  BackendUnavailableError,
  NativeError,
  NumericalError,
  OutOfMemoryError,
  TunableError,
} from '../errors.js';

export type BuildSystem = 'cmake-js' | 'node-gyp';

/** Options of `new GP(...)`; arrays are copied on the main thread. */
export interface NativeGPInit {
  X: Float64Array; // (n, d) row-major
  y: Float64Array; // (n)
  n: number;
  d: number;
  kernel: 0 | 1; // 0 = Matérn-5/2, 1 = RBF
  categorical: Array<Float64Array | null>; // (d) sorted choice values of categorical dimensions
  threads: number;
  backend: 'cpu' | 'cuda';
  /** CUDA only: device-memory cap in bytes for this model and its copies (0 or absent = none). */
  deviceMemoryLimit?: number;
}

/** What the addon reports about its CUDA backend (native/cuda/status.hpp); never throws. */
export interface NativeCudaStatus {
  compiled: boolean; // this binary contains the CUDA backend
  available: boolean; // compiled, a device answers and cuBLAS/cuSOLVER loaded
  devices: number;
  device: string; // name (sm_XY) of device 0
  cublas: string; // the library file that loaded, '' when none
  cusolver: string;
  reason: string; // why not available ('' when available)
}

export interface NativeFitOptions {
  restarts: number;
  seed: number;
  warm?: Float64Array; // (p) θ
  fixedMask?: Float64Array; // (p) 1 = held at warm
  fixedAll: boolean;
  maxIterations: number; // 0 = automatic
  keep: number; // 0 = automatic
  noiseFloor: number;
}

export interface NativeFitResult {
  theta: Float64Array; // (p) = [log ℓ (d), log σ_f², log σ_n², mean]
  lml: number;
  logPrior: number;
  jitter: number;
  iterations: number;
  evaluations: number;
  batchedCalls: number;
  starts: number;
  optimized: number;
  warnings: string[];
}

export interface NativeAcqOptions {
  type: 0 | 1 | 2 | 3; // logei, ei, pi, ucb
  best: number; // NaN = max(y)
  beta: number;
  pending?: Float64Array; // (q, d)
  rawSamples: number;
  restarts: number;
  seed: number;
  integer: Array<Float64Array | null>; // (d) allowed values of integer dimensions
  maxIterations: number;
  float32?: boolean; // score the raw samples in float32 (Backend::posterior_f32)
}

export interface NativeThompsonOptions {
  q: number;
  candidates: number;
  seed: number;
  pending?: Float64Array; // (p, d)
  integer: Array<Float64Array | null>; // (d)
}

export interface NativePrediction {
  mean: Float64Array; // (m)
  variance: Float64Array; // (m)
  meanGradient?: Float64Array; // (m, d)
  varianceGradient?: Float64Array; // (m, d)
  covariance?: Float64Array; // (m, m)
}

export interface NativeGP {
  fit(options: NativeFitOptions): Promise<NativeFitResult>;
  predict(Xc: Float64Array, options: { gradient: boolean; covariance: boolean; float32?: boolean }): Promise<NativePrediction>;
  acquisition(Xc: Float64Array, options: NativeAcqOptions, gradient: boolean): Promise<{ value: Float64Array; gradient?: Float64Array }>;
  maximize(options: NativeAcqOptions): Promise<{ x: Float64Array; value: number; warnings: string[] }>;
  addObservation(x: Float64Array, y: number): Promise<{ warnings: string[]; lml: number }>;
  /** Absent in addons built before it. x (q, d) row-major; values (q): each joint sample's maximum. */
  thompson?(options: NativeThompsonOptions): Promise<{ x: Float64Array; values: Float64Array; jitter: number; warnings: string[] }>;
  evaluate(theta: Float64Array, withPrior: boolean): Promise<{ value: number; gradient: Float64Array }>;
  /** Absent in addons built before it. theta (s, p) row-major → values (s), gradients (s, p). */
  evaluateMany?(theta: Float64Array, withPrior: boolean): Promise<{ values: Float64Array; gradients: Float64Array }>;
  setThreads(threads: number): void;
  dispose(): void;
}

export interface NativeAddon {
  buildSystem: BuildSystem;
  version: string;
  backends(): string[];
  /** Absent in addons built before the CUDA backend existed. probeLibraries: load cuBLAS/cuSOLVER even without a device. */
  cudaStatus?(probeLibraries?: boolean): NativeCudaStatus;
  choleskyBenchmark(n: number, repeats: number, threads: number): Promise<number>;
  /** Index of the first entry of `data` that is not finite or lies outside [lo, hi]; −1 when none. */
  firstInvalid(data: Float64Array, lo: number, hi: number): number;
  GP: new (init: NativeGPInit) => NativeGP;
}

export interface AddonCandidate {
  buildSystem: BuildSystem | 'env';
  path: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** Package root: src/native/ and dist/native/ both sit two levels below it. */
export const packageRoot = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);

export function addonCandidates(): AddonCandidate[] {
  const list: AddonCandidate[] = [];
  const env = process.env['TUNABLE_NATIVE_ADDON'];
  if (env) list.push({ buildSystem: 'env', path: path.resolve(env) });
  list.push({ buildSystem: 'cmake-js', path: path.join(packageRoot, 'build', 'cmake', 'Release', 'tunable.node') });
  list.push({ buildSystem: 'node-gyp', path: path.join(packageRoot, 'build', 'Release', 'tunable.node') });
  return list;
}

const INSTALL_HINT =
  'The native GP engine is not built. It needs a C++17 compiler, CMake >= 3.15 and Eigen 3.4 ' +
  '(Debian/Ubuntu: `apt-get install build-essential cmake libeigen3-dev`; macOS: `brew install cmake eigen`), ' +
  'then `npm run build:native` (cmake-js) or `npm run build:gyp` (node-gyp).';

/**
 * OpenMP threads that wait at a barrier sleep instead of spinning (read by libgomp when the addon
 * loads). Spinning waiters steal the core a descheduled team-mate needs, which on a busy machine
 * made 2-thread evaluations ~10× slower; sleeping costs ~50 µs per barrier. An explicit setting wins.
 */
function quietOpenMP(): void {
  if (process.env['OMP_WAIT_POLICY'] === undefined && process.env['GOMP_SPINCOUNT'] === undefined) {
    process.env['OMP_WAIT_POLICY'] = 'PASSIVE';
  }
}

function tryLoad(file: string): NativeAddon {
  quietOpenMP();
  const mod = require(file) as NativeAddon;
  if (typeof mod?.GP !== 'function' || typeof mod.backends !== 'function') {
    throw new Error('not a tunable engine addon');
  }
  return mod;
}

let cached: NativeAddon | undefined;
let cachedPath: string | undefined;
let cachedError: BackendUnavailableError | undefined;

/** Loads the first addon that works; throws BackendUnavailableError listing every failure. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  if (cachedError) throw cachedError;
  const errors: string[] = [];
  for (const c of addonCandidates()) {
    if (!existsSync(c.path)) {
      errors.push(`${c.buildSystem}: ${c.path} does not exist`);
      continue;
    }
    try {
      cached = tryLoad(c.path);
      cachedPath = c.path;
      return cached;
    } catch (e) {
      errors.push(`${c.buildSystem}: ${c.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  cachedError = new BackendUnavailableError(`${INSTALL_HINT}\nTried:\n  ${errors.join('\n  ')}`);
  throw cachedError;
}

/** The file loadAddon() loaded (undefined before it has, or when none loads). */
export function loadedAddonPath(): string | undefined {
  return cachedPath;
}

/** The addon of one build system, or null when that build is absent or does not load (tests). */
export function loadAddonFrom(buildSystem: BuildSystem): NativeAddon | null {
  const c = addonCandidates().find((x) => x.buildSystem === buildSystem);
  if (!c || !existsSync(c.path)) return null;
  try {
    return tryLoad(c.path);
  } catch {
    return null;
  }
}

/** True when some addon loads. */
export function addonAvailable(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false;
  }
}

/** What an error from the addon carries besides its message (native/addon/errors.hpp). */
interface NativeFailure {
  code?: unknown; // 'ERR_OUT_OF_MEMORY' | 'ERR_NUMERICAL' | 'ERR_BACKEND_UNAVAILABLE' | 'ERR_NATIVE'
  bytes?: unknown; // out of memory: the size of the request that failed, when known
  memory?: unknown; // out of memory: 'host' | 'device'
}

/**
 * The TunableError for anything the addon threw or rejected with, by its `code`: ERR_OUT_OF_MEMORY →
 * OutOfMemoryError (with `bytes`), ERR_NUMERICAL → NumericalError, ERR_BACKEND_UNAVAILABLE →
 * BackendUnavailableError, anything else → NativeError. A TunableError passes through unchanged.
 */
export function nativeError(e: unknown): TunableError {
  if (e instanceof TunableError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const f: NativeFailure = e !== null && typeof e === 'object' ? (e as NativeFailure) : {};
  switch (f.code) {
    case 'ERR_OUT_OF_MEMORY': {
      const bytes = typeof f.bytes === 'number' && f.bytes > 0 ? f.bytes : null;
      return new OutOfMemoryError(message, bytes, f.memory === 'device' ? 'device' : 'host');
    }
    case 'ERR_NUMERICAL':
      return new NumericalError(message);
    case 'ERR_BACKEND_UNAVAILABLE':
      return new BackendUnavailableError(message);
    default:
      return new NativeError(message);
  }
}

/** True for an OutOfMemoryError about the accelerator's memory (not the host's). */
export function isDeviceOutOfMemory(e: unknown): boolean {
  return e instanceof OutOfMemoryError && e.memory === 'device';
}

/**
 * Calls into the addon: `call` may throw synchronously (argument conversion, the copies it makes) or
 * return a Promise that rejects (the computation); either way the error is typed by `nativeError`.
 */
export async function callNative<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw nativeError(e);
  }
}

/** A synchronous call into the addon (a constructor), its error typed by `nativeError`. */
export function callNativeSync<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw nativeError(e);
  }
}
