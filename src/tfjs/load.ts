/**
 * Loading TensorFlow.js with the fastest backend that works on this machine, in order:
 *
 *   1. `@tensorflow/tfjs-node-gpu`  (libtensorflow with CUDA; backend "tensorflow")
 *   2. `@tensorflow/tfjs-node`      (libtensorflow on the CPU; backend "tensorflow")
 *   3. `@tensorflow/tfjs` + `@tensorflow/tfjs-backend-wasm` (XNNPACK in WebAssembly; backend "wasm")
 *   4. `@tensorflow/tfjs` alone     (plain JavaScript kernels; backend "cpu")
 *
 * All four are optional peer dependencies, resolved from the user's project (see instance.ts): tunable
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

export type TfCandidate = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export const TF_CANDIDATES: readonly TfCandidate[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

/** What each candidate imports and which tfjs backend name it must end up on. */
const PLAN: Record<TfCandidate, { packages: readonly string[]; backend: string }> = {
  'tfjs-node-gpu': { packages: ['@tensorflow/tfjs-node-gpu'], backend: 'tensorflow' },
  'tfjs-node': { packages: ['@tensorflow/tfjs-node'], backend: 'tensorflow' },
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
  /** The active tfjs backend name: "tensorflow", "wasm" or "cpu". */
  readonly backend: string;
  /** The package that provides the backend. */
  readonly packageName: string;
  /** Every candidate tried, in order, the last one being the one in use. */
  readonly attempts: readonly TfAttempt[];
  /** One line for logs: "wasm (@tensorflow/tfjs-backend-wasm; skipped tfjs-node-gpu: not installed, ...)". */
  readonly description: string;
}

export interface LoadTfOptions {
  /**
   * Candidates to try, in order. Default: the environment variable `TUNABLE_TFJS_BACKEND` (a comma
   * separated list, e.g. "cpu" or "wasm,cpu") when set, else all four in the order above.
   */
  candidates?: readonly TfCandidate[];
  /**
   * Imports a module by specifier. Default: a dynamic `import()` from this package. Tests and bundlers
   * inject their own (a loader that reports a package as missing makes the real fallback path run).
   */
  importModule?: (specifier: string) => Promise<unknown>;
  /** Folder holding the `.wasm` binaries (default: the installed `@tensorflow/tfjs-backend-wasm/dist/`). */
  wasmPath?: string;
  /**
   * Your TensorFlow.js instance (`import * as tf from '@tensorflow/tfjs'`). The backends are activated on
   * it, it is returned as `tf`, and every tunable/tfjs helper uses it from then on. Default: the instance
   * set by `useTf(tf)`, else the packages as they resolve from your project.
   */
  tf?: TfModule;
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
  const o = options<LoadTfOptions>('loadTf options', opts, ['candidates', 'importModule', 'wasmPath', 'tf']);
  const candidates = o.candidates === undefined ? candidatesFromEnv() : checkCandidates('candidates', o.candidates);
  if (o.importModule !== undefined && typeof o.importModule !== 'function') throw invalid('importModule', 'a function', o.importModule);
  const given = o.tf === undefined ? chosenTf() : checkTf('tf', o.tf);
  const importModule = o.importModule ?? importFromProject;
  const attempts: TfAttempt[] = [];
  let tfjsMissing = false;
  for (const candidate of candidates) {
    try {
      const tf = await activate(candidate, importModule, o.wasmPath, given);
      setCurrentTf(tf, given !== null);
      attempts.push({ candidate, ok: true });
      const plan = PLAN[candidate];
      const packageName = plan.packages[plan.packages.length - 1]!;
      const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.candidate}: ${a.reason}`);
      const description = `${tf.getBackend()} (${packageName}${skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''})`;
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
    // The first warning carries the cause (e.g. "Aborted(Error: ENOENT ... .wasm)"); the rest repeat it.
    const detail = (warnings.map((w) => w.split('\n')[0]!.trim()).find((w) => w !== '') ?? '').slice(0, 300);
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
  if (!Array.isArray(value) || value.length === 0) throw invalid(name, `a non-empty array of ${TF_CANDIDATES.map((c) => JSON.stringify(c)).join(' | ')}`, value);
  return value.map((c, i) => {
    if (!TF_CANDIDATES.includes(c as TfCandidate)) throw invalid(`${name}[${i}]`, `one of ${TF_CANDIDATES.map((x) => JSON.stringify(x)).join(', ')}`, c);
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
