/**
 * The one place that loads and types the native addon (native/addon/*.cpp).
 *
 * Candidates, in order: $TUNABLE_NATIVE_ADDON (a path), the cmake-js build
 * (build/cmake/Release/tunable.node: `npm run build:native` in a checkout, or what the install script
 * built from source), the node-gyp build (build/Release/tunable.node, `npm run build:gyp`) and the
 * prebuild a packed tarball carries (prebuilds/<platform>-<arch>/tunable.node, scripts/prepack.mjs);
 * a local build comes first so that `npm rebuild tunable --build-from-source` wins over the prebuild.
 * Every failure is collected; when none loads, one BackendUnavailableError lists them and says what is
 * missing and the command that fixes it, and a TunableWarning says so once.
 *
 * Also the one place where the addon's errors get their TypeScript class: the addon throws and rejects
 * with JS errors that carry a `code` (native/addon/errors.hpp), mapped here by `nativeError`; nothing
 * reads the message text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  BackendUnavailableError,
  InvalidArgumentError,
  NativeError,
  NumericalError,
  OutOfMemoryError,
  TunableError,
} from '../errors.js';
import { warnOnce } from '../util/warn.js';

export type BuildSystem = 'cmake-js' | 'node-gyp';

/*
 * The seam's contract (native/README.md, "Native surface"): every options object below is built from
 * options TypeScript resolved (src/engine/options.ts) and carries every field; enums cross as strings;
 * the addon refuses a missing field, a wrong type or an unknown string with code ERR_INVALID_ARGUMENT.
 * "Empty" (a Float64Array of length 0, null) is a value that means none, never a default.
 */

/** A model's `debug` option as resolved (src/engine/options.ts); null sizes = the backend's measured constants. */
export interface NativeDebug {
  profile: boolean; // each call prints its host split (and on CUDA each posterior's device split) to stderr
  memoryCheck: boolean; // the fail-fast host-memory check before large allocations
  solve: 'blocked' | 'cublas'; // CUDA: the posterior's triangular solve
  solveBlock: number | null; // CUDA: rows per block of the blocked solve (32…1024)
  batchMaxN: number | null; // CUDA: batched multi-start likelihood at n <= this (0 = never)
  potrfBatchedMaxN: number | null; // CUDA: potrfBatched within a batch at n <= this (0 = never)
}

/** Options of `new GP(...)`; arrays are copied on the main thread. */
export interface NativeGPInit {
  X: Float64Array; // (n, d) row-major
  y: Float64Array; // (n)
  n: number;
  d: number;
  kernel: 'matern52' | 'rbf';
  categorical: Array<Float64Array | null>; // (d) sorted choice values of categorical dimensions
  threads: number;
  backend: 'cpu' | 'cuda';
  /** Device-memory cap in bytes for this model and its copies (CUDA; 0 = none). */
  deviceMemoryLimit: number;
  debug: NativeDebug;
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
  warm: Float64Array; // (p) θ, or empty: none
  fixedMask: Float64Array; // (p) 1 = held at warm, or empty: none
  fixedAll: boolean;
  maxIterations: number; // 0 = the schedule's for this n (native/core/gp.cpp, kSchedule)
  keep: number; // 0 = the schedule's
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
  acquisition: 'logei' | 'ei' | 'pi' | 'ucb';
  best: number; // NaN = max(y)
  beta: number;
  pending: Float64Array; // (q, d) row-major, or empty: none
  fantasy: 'mean' | 'min' | 'max'; // the pending points' fantasy values (FantasyType, native/core/gp.hpp)
  rawSamples: number;
  restarts: number;
  seed: number;
  integer: Array<Float64Array | null>; // (d) allowed values of integer dimensions
  maxIterations: number;
  float32: boolean; // score the raw samples in float32 (Backend::posterior_f32)
}

export interface NativeThompsonOptions {
  q: number;
  candidates: number;
  seed: number;
  pending: Float64Array; // (p, d) row-major, or empty: none
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
  predict(Xc: Float64Array, options: { gradient: boolean; covariance: boolean; float32: boolean }): Promise<NativePrediction>;
  acquisition(Xc: Float64Array, options: NativeAcqOptions, gradient: boolean): Promise<{ value: Float64Array; gradient?: Float64Array }>;
  maximize(options: NativeAcqOptions): Promise<{ x: Float64Array; value: number; warnings: string[] }>;
  addObservation(x: Float64Array, y: number): Promise<{ warnings: string[]; lml: number }>;
  /** x (q, d) row-major; values (q): each joint sample's maximum. */
  thompson(options: NativeThompsonOptions): Promise<{ x: Float64Array; values: Float64Array; jitter: number; warnings: string[] }>;
  evaluate(theta: Float64Array, withPrior: boolean): Promise<{ value: number; gradient: Float64Array }>;
  /** theta (s, p) row-major → values (s), gradients (s, p). */
  evaluateMany(theta: Float64Array, withPrior: boolean): Promise<{ values: Float64Array; gradients: Float64Array }>;
  setThreads(threads: number): void;
  dispose(): void;
}

/** One member of an ensemble call (native/addon/ensemble_wrap.hpp); TypeScript checked every field. */
export interface NativeEnsembleMember {
  gp: NativeGP; // fitted, not disposed
  weight: number; // finite, >= 0, used as given
  dims: Float64Array; // (gp's d) the ensemble column of each of the member's columns
  pending: boolean; // the pending points are fantasised in this member (at most one)
}

/** maximizeEnsemble's options (src/engine/options.ts, resolveEnsemble). */
export interface NativeEnsembleOptions {
  d: number; // the ensemble's columns
  acquisition: 'logei' | 'ei' | 'pi' | 'ucb';
  best: number; // the incumbent; NaN only with 'ucb' (which does not read it)
  beta: number;
  pending: Float64Array; // (q, d) row-major, or empty: none
  rawSamples: number;
  restarts: number;
  seed: number;
  maxIterations: number;
  integer: Array<Float64Array | null>; // (d) allowed values of integer columns
  categorical: Array<Float64Array | null>; // (d) choice values of categorical columns
  incumbent: Float64Array; // (d) an extra start, or empty: none
}

/** gbdtFit's options (src/gbdt/options.ts resolved every one; native/gbdt/gbdt.hpp, FitParams). */
export interface NativeGBDTOptions {
  n: number;
  d: number;
  task: 'regression' | 'binary' | 'multiclass';
  nClasses: number; // multiclass: k >= 2; else 1 (regression) or 2 (binary)
  learningRate: number;
  maxIter: number;
  maxLeafNodes: number;
  maxDepth: number; // 0 = no limit
  minSamplesLeaf: number;
  l2Regularization: number;
  maxBins: number; // 2..255 non-missing bins
  earlyStopping: boolean;
  validationFraction: number;
  nIterNoChange: number;
  tol: number;
  seed: number;
  threads: number;
}

/** A boosted model's trees, flat (native/gbdt/gbdt.hpp, Model): tree t is nodes [treeOffsets[t], treeOffsets[t + 1]). */
export interface NativeGBDTModel {
  nFeatures: number;
  outputs: number; // 1, or k (multiclass); tree t adds to output t % outputs
  baseline: Float64Array; // (outputs)
  treeOffsets: Float64Array; // (trees + 1)
  feature: Float64Array; // (nodes) −1 = leaf
  threshold: Float64Array; // (nodes) x <= threshold goes left
  missingLeft: Float64Array; // (nodes) 1: NaN goes left
  left: Float64Array; // (nodes) tree-local index
  right: Float64Array; // (nodes)
  value: Float64Array; // (nodes) leaf values
}

/** gbdtFit's result: the trees (gbdtPredict's model less nFeatures/outputs) and the loss per iteration. */
export interface NativeGBDTFit extends Omit<NativeGBDTModel, 'nFeatures' | 'outputs'> {
  nIter: number;
  gain: Float64Array; // (nodes) split gain of internal nodes
  count: Float64Array; // (nodes) training samples that reached the node
  trainLoss: Float64Array; // (nIter + 1) before any tree, then after each iteration
  validationLoss: Float64Array; // (nIter + 1) with early stopping, else empty
}

export interface NativeAddon {
  /** The seam's version this build implements (native/addon/addon.cpp, kAbiVersion); the loader requires ADDON_ABI_VERSION. */
  abiVersion: number;
  buildSystem: BuildSystem;
  backends(): string[];
  /** probeLibraries: load cuBLAS/cuSOLVER even without a device. */
  cudaStatus(probeLibraries: boolean): NativeCudaStatus;
  choleskyBenchmark(n: number, repeats: number, threads: number): Promise<number>;
  /** Index of the first entry of `data` that is not finite or lies outside [lo, hi]; −1 when none. */
  firstInvalid(data: Float64Array, lo: number, hi: number): number;
  /** Raises glibc malloc's mmap/trim thresholds for the whole process; false where not glibc. */
  tuneHostAllocator(): boolean;
  GP: new (init: NativeGPInit) => NativeGP;
  /** The weighted ensemble's acquisition maximised over [0, 1]^d; x (d). */
  maximizeEnsemble(members: NativeEnsembleMember[], options: NativeEnsembleOptions): Promise<{ x: Float64Array; value: number; warnings: string[] }>;
  /** The weighted ensemble's posterior at Xc (m, d): mean (m), variance (m). */
  predictEnsemble(members: NativeEnsembleMember[], Xc: Float64Array, d: number): Promise<{ mean: Float64Array; variance: Float64Array }>;
  /** Histogram gradient boosting: X (n, d) row-major (NaN = missing), y (n), w (n) or empty. */
  gbdtFit(X: Float64Array, y: Float64Array, w: Float64Array, options: NativeGBDTOptions): Promise<NativeGBDTFit>;
  /** Raw scores (n, outputs) row-major of X (n, nFeatures). */
  gbdtPredict(model: NativeGBDTModel, X: Float64Array, threads: number): Promise<Float64Array>;
}

export interface AddonCandidate {
  buildSystem: BuildSystem | 'env' | 'prebuild';
  path: string;
  /** Why this candidate is not tried on this machine (a prebuild that does not fit it). */
  skip?: string;
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
  const prebuild = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'tunable.node');
  const skip = prebuildSkip(prebuild);
  list.push(skip === undefined ? { buildSystem: 'prebuild', path: prebuild } : { buildSystem: 'prebuild', path: prebuild, skip });
  return list;
}

/** What scripts/install.mjs found and did (build/install.json); null when it never ran (a checkout). */
interface InstallStatus {
  engine: 'prebuild' | 'source' | null;
  prebuild?: string; // why the prebuild was not used
  missing?: string[]; // tools the source build lacked
  failure?: string;
  fix?: string;
}

function installStatus(): InstallStatus | null {
  try {
    return JSON.parse(readFileSync(path.join(packageRoot, 'build', 'install.json'), 'utf8')) as InstallStatus;
  } catch {
    return null;
  }
}

/**
 * A prebuild is not loaded where the install script found it unusable, nor where its tunable.json says it
 * needs AVX2 and the CPU lacks it: that would not fail at load but kill the process (SIGILL) at the
 * first fit, which no error handling can turn into the TypeScript fallback.
 */
function prebuildSkip(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const status = installStatus();
  if (status !== null && status.engine !== 'prebuild' && status.prebuild) return `not used: ${status.prebuild}`;
  try {
    const meta = JSON.parse(readFileSync(path.join(path.dirname(file), 'tunable.json'), 'utf8')) as { avx2?: boolean };
    if (meta.avx2 === true && !/\savx2(\s|$)/m.test(readFileSync('/proc/cpuinfo', 'utf8'))) return 'not used: it needs a CPU with AVX2/FMA';
  } catch {
    // no metadata or no /proc/cpuinfo: nothing known against it
  }
  return undefined;
}

/** An installed package is fixed with `npm rebuild tunable`; a checkout of tunable itself with its build script. */
const installed = packageRoot.split(path.sep).includes('node_modules');
const REBUILD = installed ? 'npm rebuild tunable' : 'npm run build:native';

/** What is missing and the one command that fixes it, from the install script's findings where it ran. */
function installHint(): string {
  const status = installStatus();
  const fix = status?.fix && installed ? status.fix : `apt-get install -y g++ cmake libeigen3-dev && ${REBUILD}`;
  const what =
    status?.missing && status.missing.length > 0
      ? `It was not built at install: missing ${status.missing.join(', ')}.`
      : status?.failure
        ? `Its build at install failed: ${status.failure}.`
        : status === null && installed
          ? "tunable's install script did not run (--ignore-scripts, or npm's allowScripts: `npm install-scripts approve tunable`); building needs a C++17 compiler, CMake >= 3.15 and Eigen 3.4."
          : 'It needs a C++17 compiler, CMake >= 3.15 and Eigen 3.4.';
  return (
    `The native GP engine is not available, so the GPSampler and engine.* are not (the TypeScript samplers are). ${what} ` +
    `Fix: \`${fix}\` (macOS: \`brew install cmake eigen && ${REBUILD}\`).`
  );
}

/**
 * The version of the seam this TypeScript speaks (native/addon/addon.cpp, kAbiVersion): an addon of
 * another version would misread or refuse its options, so the loader refuses it with the rebuild hint.
 */
export const ADDON_ABI_VERSION = 5;

/** An addon built from other sources than this TypeScript's (an old build left in build/, a stale prebuild). */
export class StaleAddonError extends Error {
  constructor(readonly found: unknown) {
    super(`built for addon ABI ${typeof found === 'number' ? found : 'unknown (no abiVersion)'}, this version of tunable needs ${ADDON_ABI_VERSION}: rebuild it with \`${REBUILD}\``);
    this.name = 'StaleAddonError';
  }
}

/** `mod` as the engine addon when it is one of this seam's version; throws (StaleAddonError for another version). */
export function checkAddon(mod: unknown): NativeAddon {
  const m = mod as Partial<NativeAddon> | null | undefined;
  if (typeof m?.GP !== 'function' || typeof m.backends !== 'function') throw new Error('not a tunable engine addon');
  if (m.abiVersion !== ADDON_ABI_VERSION) throw new StaleAddonError(m.abiVersion);
  return m as NativeAddon;
}

function tryLoad(file: string): NativeAddon {
  return checkAddon(require(file));
}

let cached: NativeAddon | undefined;
let cachedPath: string | undefined;
let cachedError: BackendUnavailableError | undefined;

/** Loads the first addon that works; throws BackendUnavailableError listing every failure. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  if (cachedError) throw cachedError;
  const errors: string[] = [];
  let stale: string | undefined; // the first candidate that loaded but is of another seam version
  for (const c of addonCandidates()) {
    if (c.skip !== undefined) {
      errors.push(`${c.buildSystem}: ${c.path}: ${c.skip}`);
      continue;
    }
    if (!existsSync(c.path)) {
      errors.push(`${c.buildSystem}: ${c.path} does not exist`);
      continue;
    }
    try {
      cached = tryLoad(c.path);
      cachedPath = c.path;
      return cached;
    } catch (e) {
      if (e instanceof StaleAddonError) stale ??= c.path;
      errors.push(`${c.buildSystem}: ${c.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // A stale build is fixed by rebuilding alone: say that first, not what to install.
  const hint = stale !== undefined
    ? `The native GP engine at ${stale} was built from another version of tunable; rebuild it: \`${REBUILD}\`.`
    : installHint();
  cachedError = new BackendUnavailableError(`${hint}\nTried:\n  ${errors.join('\n  ')}`);
  // Said once, at the first use that needed the engine (e.g. createStudy choosing its default sampler),
  // because a study that silently runs TPE instead of the GPSampler is easy to miss.
  warnOnce('TUNABLE_NO_NATIVE_ENGINE', hint);
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
  code?: unknown; // 'ERR_OUT_OF_MEMORY' | 'ERR_NUMERICAL' | 'ERR_BACKEND_UNAVAILABLE' | 'ERR_INVALID_ARGUMENT' | 'ERR_NATIVE'
  bytes?: unknown; // out of memory: the size of the request that failed, when known
  memory?: unknown; // out of memory: 'host' | 'device'
}

/**
 * The TunableError for anything the addon threw or rejected with, by its `code`: ERR_OUT_OF_MEMORY →
 * OutOfMemoryError (with `bytes`), ERR_NUMERICAL → NumericalError, ERR_BACKEND_UNAVAILABLE →
 * BackendUnavailableError, ERR_INVALID_ARGUMENT (the converter refused an options object: a missing
 * field, an unknown enum string) → InvalidArgumentError, anything else → NativeError. A TunableError
 * passes through unchanged.
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
    case 'ERR_INVALID_ARGUMENT':
      return new InvalidArgumentError(message);
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
