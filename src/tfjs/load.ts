/**
 * Loading TensorFlow.js with the fastest backend that works on this machine, in order:
 *
 *   1. `@tensorflow/tfjs-node-gpu`  (libtensorflow with CUDA; backend "tensorflow")
 *   2. `@tensorflow/tfjs-node`      (libtensorflow on the CPU; backend "tensorflow")
 *   3. `@tensorflow/tfjs` + `@tensorflow/tfjs-backend-wasm` (XNNPACK in WebAssembly; backend "wasm")
 *   4. `@tensorflow/tfjs` alone     (plain JavaScript kernels; backend "cpu")
 *
 * A fifth candidate, `webgpu` (`@tensorflow/tfjs-backend-webgpu` on navigator.gpu, which in Node is the
 * `webgpu` package's Dawn), is tried only when asked for (`candidates`, TUNABLE_TFJS_BACKEND): it trains,
 * but on a machine without a GPU its adapter is a CPU emulation (Mesa's lavapipe or llvmpipe) whose epochs
 * took 1.0 to 5.8 times as long as wasm's, and on a GPU it has not been measured against tfjs-node-gpu
 * (docs/webgpu.md).
 *
 * All are optional peer dependencies, resolved from the user's project (see instance.ts): tunable
 * ships no tfjs of its own, so there is only ever the user's copy. With `loadTf({ tf })` (or after
 * `useTf(tf)`) the backends are activated on that instance and nothing else is imported for the
 * namespace. Every candidate that was tried is reported with the reason it was skipped, so a run can
 * say why it is on the slow path ("@tensorflow/tfjs-node: not installed").
 */
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BackendUnavailableError, InvalidArgumentError } from '../errors.js';
import { invalid, options } from '../validate.js';
import { checkTf, chosenTf, INSTALL_HINT, resolvePackage, setCurrentTf, type TfModule } from './instance.js';

export type { TfModule } from './instance.js';

export type TfCandidate = 'tfjs-node-gpu' | 'tfjs-node' | 'webgpu' | 'wasm' | 'cpu';

/** The default order; `webgpu` is not in it (opt in with `candidates`, see the module comment). */
export const TF_CANDIDATES: readonly TfCandidate[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

/** Every candidate that `candidates` and TUNABLE_TFJS_BACKEND accept. */
const KNOWN_CANDIDATES: readonly TfCandidate[] = ['tfjs-node-gpu', 'tfjs-node', 'webgpu', 'wasm', 'cpu'];

/** What each candidate imports and which tfjs backend name it must end up on. */
const PLAN: Record<TfCandidate, { packages: readonly string[]; backend: string }> = {
  'tfjs-node-gpu': { packages: ['@tensorflow/tfjs-node-gpu'], backend: 'tensorflow' },
  'tfjs-node': { packages: ['@tensorflow/tfjs-node'], backend: 'tensorflow' },
  webgpu: { packages: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu'], backend: 'webgpu' },
  wasm: { packages: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'], backend: 'wasm' },
  cpu: { packages: ['@tensorflow/tfjs'], backend: 'cpu' },
};

export interface TfAttempt {
  readonly candidate: TfCandidate;
  readonly ok: boolean;
  /** Why the candidate was skipped ("not installed", the error it raised); absent when it was used. */
  readonly reason?: string;
}

export interface LoadedTf {
  /** The TensorFlow.js namespace, with `backend` active. */
  readonly tf: TfModule;
  /** The candidate in use. */
  readonly candidate: TfCandidate;
  /** The active tfjs backend name: "tensorflow", "webgpu", "wasm" or "cpu". */
  readonly backend: string;
  /** The package that provides the backend. */
  readonly packageName: string;
  /** Every candidate tried, in order, the last one being the one in use. */
  readonly attempts: readonly TfAttempt[];
  /**
   * One line for logs: "wasm (@tensorflow/tfjs-backend-wasm; skipped tfjs-node-gpu: not installed, ...)"; for
   * webgpu it names the adapter: "webgpu (@tensorflow/tfjs-backend-webgpu on llvmpipe: Mesa 25.0.7 (LLVM 15.0.6),
   * a CPU emulation)".
   */
  readonly description: string;
}

export interface LoadTfOptions {
  /**
   * Candidates to try, in order. Default: the environment variable `TUNABLE_TFJS_BACKEND` (a comma
   * separated list, e.g. "cpu" or "webgpu,wasm,cpu") when set, else TF_CANDIDATES (all but `webgpu`).
   */
  candidates?: readonly TfCandidate[];
  /**
   * Imports a module by specifier. Default: a dynamic `import()` from this package. Tests and bundlers
   * inject their own (a loader that reports a package as missing makes the real fallback path run).
   */
  importModule?: (specifier: string) => Promise<unknown>;
  /** Folder holding the `.wasm` binaries (default: the installed `@tensorflow/tfjs-backend-wasm/dist/`). */
  wasmPath?: string;
  /** How the `webgpu` candidate gets its GPU (see WebGpuOptions). */
  webgpu?: WebGpuOptions;
  /**
   * Your TensorFlow.js instance (`import * as tf from '@tensorflow/tfjs'`). The backends are activated on
   * it, it is returned as `tf`, and every tunable/tfjs helper uses it from then on. Default: the instance
   * set by `useTf(tf)`, else the packages as they resolve from your project.
   */
  tf?: TfModule;
}

/**
 * The `webgpu` candidate's GPU. The tfjs backend asks `navigator.gpu` for an adapter; Node has no
 * navigator.gpu of its own, so unless one exists (or `gpu` is given) the `webgpu` package (Dawn's Node
 * binding) is imported and `create(flags)` becomes navigator.gpu, with its GPU* constants on globalThis.
 */
export interface WebGpuOptions {
  /** A WebGPU `GPU` object to use as navigator.gpu (default: navigator.gpu, else Dawn from `webgpu`). */
  gpu?: WebGpuLike;
  /**
   * Dawn's options for `create()` when tunable creates it, e.g. `['backend=vulkan']` or
   * `['backend=opengles']`, `['adapter=NAME']`, `['enable-dawn-features=...']` (default: none).
   */
  flags?: readonly string[];
  /**
   * The feature level asked of the adapter: "core" (default) or "compatibility", which Dawn's OpenGL and
   * OpenGL ES backends need (they offer no core adapter).
   */
  featureLevel?: 'core' | 'compatibility';
}

/** What is used of a WebGPU `GPU`: requestAdapter() and the adapter's description. */
export interface WebGpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<{ readonly info?: Record<string, unknown> } | null>;
}

let cached: Promise<LoadedTf> | null = null;

/**
 * Makes `tf` the instance every tunable/tfjs helper uses (the pruning callback's base class, the MLP
 * layers, the tensors of a split) and returns it. Use it when tfjs is loaded by your own code, so that
 * tunable never resolves a copy of its own.
 */
export function useTf<T extends TfModule>(tf: T): T {
  const checked = checkTf('tf', tf);
  if (checked !== chosenTf()) cached = null; // a cached loadTf() result belongs to the previous instance
  setCurrentTf(checked, true);
  return tf;
}

/**
 * Loads TensorFlow.js and activates the first backend that initialises (see the module comment).
 * Without options the result is cached: tfjs has one global engine, so one process has one backend.
 * A call with options switches that engine's backend too (the last call wins; `tf.getBackend()` tells).
 * Throws BackendUnavailableError, listing every attempt, when none works.
 */
export function loadTf(opts?: LoadTfOptions): Promise<LoadedTf> {
  if (opts === undefined || Object.keys(opts).length === 0) {
    cached ??= resolveTf({}).catch((err: unknown) => {
      cached = null; // a failure is not cached: the caller may install a package and retry
      throw err;
    });
    return cached;
  }
  return resolveTf(opts);
}

async function resolveTf(opts: LoadTfOptions): Promise<LoadedTf> {
  const o = options<LoadTfOptions>('loadTf options', opts, ['candidates', 'importModule', 'wasmPath', 'webgpu', 'tf']);
  const candidates = o.candidates === undefined ? candidatesFromEnv() : checkCandidates('candidates', o.candidates);
  if (o.importModule !== undefined && typeof o.importModule !== 'function') throw invalid('importModule', 'a function', o.importModule);
  const webgpu = checkWebGpu(o.webgpu);
  const given = o.tf === undefined ? chosenTf() : checkTf('tf', o.tf);
  const importModule = o.importModule ?? importFromProject;
  const attempts: TfAttempt[] = [];
  let tfjsMissing = false;
  for (const candidate of candidates) {
    try {
      const tf = await activate(candidate, importModule, o.wasmPath, webgpu, given);
      setCurrentTf(tf, given !== null);
      attempts.push({ candidate, ok: true });
      const plan = PLAN[candidate];
      const packageName = plan.packages[plan.packages.length - 1]!;
      const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.candidate}: ${a.reason}`);
      const on = candidate === 'webgpu' && webgpuAdapter !== '' ? ` on ${webgpuAdapter}` : '';
      const description = `${tf.getBackend()} (${packageName}${on}${skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''})`;
      return { tf, candidate, backend: tf.getBackend(), packageName, attempts, description };
    } catch (err) {
      if (err instanceof NotInstalled && err.specifier === '@tensorflow/tfjs') tfjsMissing = true;
      attempts.push({ candidate, ok: false, reason: reasonOf(err) });
    }
  }
  throw new BackendUnavailableError(
    `No TensorFlow.js backend could be loaded; tried ${attempts.map((a) => `${a.candidate} (${a.reason})`).join(', ')}` +
      (tfjsMissing ? `. @tensorflow/tfjs is not installed: ${INSTALL_HINT}` : ''),
  );
}

/** The default loader: the package as it resolves from the user's project (see instance.ts). */
async function importFromProject(specifier: string): Promise<unknown> {
  const path = resolvePackage(specifier);
  if (path === null) throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });
  return import(pathToFileURL(path).href);
}

/**
 * Activates `candidate`'s backend on `given` (the caller's instance) when there is one: the candidate's
 * package is imported only for the backend it registers. Without one, the candidate's package is the namespace.
 */
async function activate(
  candidate: TfCandidate,
  importModule: (s: string) => Promise<unknown>,
  wasmPath: string | undefined,
  webgpu: WebGpuOptions,
  given: TfModule | null,
): Promise<TfModule> {
  const plan = PLAN[candidate];
  let tf: TfModule;
  if (given === null) {
    tf = namespaceOf(await importPackage(importModule, plan.packages[0]!)) as TfModule;
    if (typeof tf.setBackend !== 'function') throw new Error(`${plan.packages[0]} does not look like TensorFlow.js (no setBackend)`);
  } else {
    tf = given;
    // tfjs-node registers its "tensorflow" backend when it is loaded; cpu comes with tfjs itself.
    if (candidate === 'tfjs-node-gpu' || candidate === 'tfjs-node') await importPackage(importModule, plan.packages[0]!);
  }
  if (candidate === 'wasm') {
    const wasm = namespaceOf(await importPackage(importModule, '@tensorflow/tfjs-backend-wasm')) as { setWasmPaths?: (p: string) => void };
    if (typeof wasm.setWasmPaths !== 'function') throw new Error('@tensorflow/tfjs-backend-wasm has no setWasmPaths');
    // Point the backend at the binaries shipped in the package, so it never tries to fetch them.
    // Skipped when an earlier loadTf in this process initialised the backend (it is reused as it is).
    // After a failed initialisation setWasmPaths refuses new paths ("already initialized"); setBackend
    // then retries with the old ones and reports that failure again.
    if (!tf.engine().registry['wasm']) {
      try {
        wasm.setWasmPaths(wasmPath ?? defaultWasmPath());
      } catch (err) {
        if (!/already initiali[sz]ed/i.test(String((err as Error)?.message))) throw err;
      }
    }
  }
  if (candidate === 'webgpu') await prepareWebGpu(tf, importModule, webgpu);
  // setBackend() resolves false and logs the cause with console.warn when a backend fails to
  // initialise; the cause is captured so the attempt can report it.
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  let ok: boolean;
  try {
    ok = await tf.setBackend(plan.backend);
    if (ok) await tf.ready();
  } finally {
    console.warn = warn;
  }
  if (!ok) {
    // The first warning that says more than "Initialization of backend X failed" carries the cause
    // (e.g. "Aborted(Error: ENOENT ... .wasm)", or the stack of the error the backend's factory threw).
    const firstLines = warnings.map((w) => w.split('\n')[0]!.trim()).filter((w) => w !== '');
    const detail = (firstLines.find((w) => !/^Initialization of backend \S+ failed$/.test(w)) ?? firstLines[0] ?? '').slice(0, 300);
    throw new Error(`backend "${plan.backend}" did not initialise${detail === '' ? '' : `: ${detail}`}`);
  }
  if (tf.getBackend() !== plan.backend) throw new Error(`asked for backend "${plan.backend}" but "${tf.getBackend()}" is active`);
  return tf;
}

/** A CommonJS package imported from ESM puts module.exports on `default`; named exports may be partial. */
function namespaceOf(mod: unknown): unknown {
  if (mod !== null && typeof mod === 'object' && 'default' in mod) {
    const d = (mod as { default: unknown }).default;
    if (d !== null && (typeof d === 'object' || typeof d === 'function') && 'setBackend' in (d as object)) return d;
    if (d !== null && typeof d === 'object' && 'setWasmPaths' in (d as object)) return d;
  }
  return mod;
}

function defaultWasmPath(): string {
  // The package's main file is dist/tf-backend-wasm.node.js, next to the .wasm binaries.
  const main = resolvePackage('@tensorflow/tfjs-backend-wasm');
  if (main === null) throw new NotInstalled('@tensorflow/tfjs-backend-wasm');
  return join(dirname(main), '/');
}

/** The adapter the webgpu backend was set up on, for `description` ("" when it was set up elsewhere). */
let webgpuAdapter = '';

type Globals = Record<string, unknown> & { navigator?: Record<string, unknown> };

/**
 * Makes the tfjs "webgpu" backend available on the engine: a GPU as navigator.gpu (see WebGpuOptions), an
 * adapter checked for, then `@tensorflow/tfjs-backend-webgpu` imported, which registers the backend only
 * if navigator.gpu exists when it loads. Nothing is left on globalThis when this throws.
 */
async function prepareWebGpu(tf: TfModule, importModule: (s: string) => Promise<unknown>, opts: WebGpuOptions): Promise<void> {
  if (tf.engine().registryFactory['webgpu'] !== undefined) return; // set up before (by loadTf or the caller)
  const g = globalThis as unknown as Globals;
  const undo: (() => void)[] = [];
  const setGlobal = (owner: Record<string, unknown>, key: string, value: unknown): void => {
    const before = Object.getOwnPropertyDescriptor(owner, key);
    Object.defineProperty(owner, key, { value, configurable: true, writable: true, enumerable: true });
    undo.push(() => (before === undefined ? delete owner[key] : Object.defineProperty(owner, key, before)));
  };
  try {
    let gpu = opts.gpu ?? (g.navigator?.['gpu'] as WebGpuLike | undefined);
    if (gpu === undefined) {
      const dawn = (await importPackage(importModule, 'webgpu')) as { create?: unknown; globals?: Record<string, unknown> };
      if (typeof dawn.create !== 'function') throw new Error('the webgpu package has no create()');
      gpu = (dawn.create as (flags: string[]) => WebGpuLike)([...(opts.flags ?? [])]);
      // GPUBufferUsage, GPUMapMode, ...: the backend uses them as globals, as in a browser.
      for (const [key, value] of Object.entries(dawn.globals ?? {})) if (!(key in g)) setGlobal(g, key, value);
    }
    if (opts.featureLevel === 'compatibility') gpu = withFeatureLevel(gpu, 'compatibility');
    // The backend would fail on a null adapter with "Cannot read properties of null (reading 'features')";
    // asking first gives the reason in words. Dawn prints the driver's own reason on stderr.
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) throw new Error('no WebGPU adapter (navigator.gpu.requestAdapter() returned null; the driver\'s reason is on stderr)');
    if (g.navigator === undefined) setGlobal(g, 'navigator', {}); // Node 20 has no navigator; 21+ has one without gpu
    if (g.navigator!['gpu'] !== gpu) setGlobal(g.navigator!, 'gpu', gpu);
    await importPackage(importModule, '@tensorflow/tfjs-backend-webgpu');
    if (tf.engine().registryFactory['webgpu'] === undefined) {
      throw new Error('@tensorflow/tfjs-backend-webgpu registered no "webgpu" backend: it was loaded before navigator.gpu existed (let loadTf load it, or set navigator.gpu first)');
    }
    webgpuAdapter = describeAdapter(adapter.info ?? {});
  } catch (err) {
    for (const fn of undo.reverse()) fn();
    throw err;
  }
}

/** A GPU whose requestAdapter() asks for `featureLevel` (the backend asks with powerPreference only). */
function withFeatureLevel(gpu: WebGpuLike, featureLevel: string): WebGpuLike {
  return new Proxy(gpu as WebGpuLike & object, {
    get(target, key) {
      if (key === 'requestAdapter') return (o?: Record<string, unknown>) => target.requestAdapter({ ...o, featureLevel });
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6), a CPU emulation": a software adapter is worth saying so. */
function describeAdapter(info: Record<string, unknown>): string {
  const text = (k: string): string => (typeof info[k] === 'string' ? (info[k] as string) : '');
  const name = text('description') || text('device') || [text('vendor'), text('architecture')].filter((t) => t !== '').join(' ');
  const software = text('architecture') === 'software' || info['isFallbackAdapter'] === true || /llvmpipe|lavapipe|swiftshader/i.test(text('device') + text('description'));
  return `${name === '' ? 'an unnamed adapter' : name}${software ? ', a CPU emulation' : ''}`;
}

function checkWebGpu(value: unknown): WebGpuOptions {
  const w = options<WebGpuOptions>('webgpu', value, ['gpu', 'flags', 'featureLevel']);
  const gpu: unknown = w.gpu;
  if (gpu !== undefined && (gpu === null || typeof gpu !== 'object' || typeof (gpu as WebGpuLike).requestAdapter !== 'function')) {
    throw invalid('webgpu.gpu', 'a WebGPU GPU object (with requestAdapter())', gpu);
  }
  const flags: unknown = w.flags;
  if (flags !== undefined && (!Array.isArray(flags) || !flags.every((f) => typeof f === 'string'))) throw invalid('webgpu.flags', 'an array of strings', flags);
  const level: unknown = w.featureLevel;
  if (level !== undefined && level !== 'core' && level !== 'compatibility') throw invalid('webgpu.featureLevel', '"core" or "compatibility"', level);
  return Object.freeze({ ...w, ...(flags === undefined ? {} : { flags: Object.freeze([...(flags as string[])]) }) });
}

class NotInstalled extends Error {
  constructor(readonly specifier: string) {
    super(`${specifier} is not installed`);
  }
}

/**
 * Imports `specifier`; a failure to find that very package becomes NotInstalled. A package that is
 * there but misses one of its own dependencies keeps its own error: that is a broken install.
 */
async function importPackage(importModule: (s: string) => Promise<unknown>, specifier: string): Promise<unknown> {
  try {
    return await importModule(specifier);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    // Node sets a code; loaders that wrap import() (vite-node, bundlers) only say it in words.
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /^(Cannot find (package|module)|Could not resolve) /.test(message);
    if (missing && (message.includes(`'${specifier}'`) || message.includes(`"${specifier}"`))) throw new NotInstalled(specifier);
    throw err;
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof NotInstalled) return 'not installed';
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!;
}

function checkCandidates(name: string, value: unknown): TfCandidate[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid(name, `a non-empty array of ${KNOWN_CANDIDATES.map((c) => JSON.stringify(c)).join(' | ')}`, value);
  return value.map((c, i) => {
    if (!KNOWN_CANDIDATES.includes(c as TfCandidate)) throw invalid(`${name}[${i}]`, `one of ${KNOWN_CANDIDATES.map((x) => JSON.stringify(x)).join(', ')}`, c);
    return c as TfCandidate;
  });
}

function candidatesFromEnv(): TfCandidate[] {
  const raw = process.env['TUNABLE_TFJS_BACKEND'];
  if (raw === undefined || raw.trim() === '') return [...TF_CANDIDATES];
  try {
    return checkCandidates('TUNABLE_TFJS_BACKEND', raw.split(',').map((s) => s.trim()));
  } catch (err) {
    throw new InvalidArgumentError(`Environment variable TUNABLE_TFJS_BACKEND=${JSON.stringify(raw)}: ${(err as Error).message}`);
  }
}
