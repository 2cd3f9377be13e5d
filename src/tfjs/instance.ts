/**
 * Which TensorFlow.js instance tunable/tfjs works with.
 *
 * tfjs is an optional peer dependency: tunable never ships a copy of its own. A second copy in one
 * process is harmful, not just heavy: every copy registers its kernels in the one global registry
 * (hundreds of "already registered" warnings), and classes are per copy, so a callback subclassing
 * another copy's `Callback` is not recognised by the user's `model.fit()`. So every helper here uses
 * one instance, chosen in this order:
 *
 *   1. the instance passed to the call (`pruningCallback(trial, { tf, ... })`, `loadTf({ tf })`),
 *   2. the instance set by `useTf(tf)` or by the last successful `loadTf()`,
 *   3. `@tensorflow/tfjs` as it resolves from the user's project (the working directory), else from
 *      where tunable is installed (where a peer dependency resolves to the project's copy too); see
 *      resolvePackage().
 *
 * Nothing here imports tfjs at load time, so `import 'tunable/tfjs'` works without it installed; the
 * first call that needs it throws BackendUnavailableError with the install command.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { BackendUnavailableError } from '../errors.js';
import { invalid } from '../validate.js';

/** The TensorFlow.js namespace (`@tensorflow/tfjs`; the node packages re-export the same API). */
export type TfModule = typeof tfTypes;

export const INSTALL_HINT =
  'install it in your project: npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm ' +
  '(or npm install @tensorflow/tfjs-node for libtensorflow), or pass your instance: useTf(tf), loadTf({ tf })';

let current: TfModule | null = null;
/** Whether `current` was handed in by the user (useTf, loadTf({ tf })) rather than resolved. */
let explicit = false;

/** The instance the user handed in with useTf() or loadTf({ tf }), or null (nothing is resolved here). */
export function chosenTf(): TfModule | null {
  return explicit ? current : null;
}

const onNewInstance: ((tf: TfModule) => void)[] = [];

/** Runs `fn` on every instance that becomes the current one (registers classes for deserialization). */
export function whenTfChosen(fn: (tf: TfModule) => void): void {
  onNewInstance.push(fn);
  if (current !== null) fn(current);
}

/**
 * Records `tf` as the instance every helper uses from now on (validated by the caller); `handedIn` when
 * the user passed it, which loadTf() then keeps using instead of importing the packages itself.
 */
export function setCurrentTf(tf: TfModule, handedIn: boolean): void {
  if (handedIn) explicit = true;
  else if (tf !== current) explicit = false;
  if (tf === current) return;
  current = tf;
  for (const fn of onNewInstance) fn(tf);
}

/**
 * The instance a call works with: `explicit` when given (validated, named `name` in errors), else the
 * current one, else `@tensorflow/tfjs` resolved from the project, which then becomes the current one.
 */
export function tfFor(caller: string, explicit?: unknown, name = 'tf'): TfModule {
  if (explicit !== undefined) return checkTf(name, explicit);
  if (current !== null) return current;
  const path = resolvePackage('@tensorflow/tfjs');
  if (path === null) throw missingTf(caller);
  // require, not import(): the helpers are synchronous. tfjs is CommonJS, so an import() of the same
  // package elsewhere yields this very module object (Node keeps one instance per file).
  setCurrentTf(checkTf('@tensorflow/tfjs', createRequire(import.meta.url)(path)), false);
  return current!;
}

/** The error for a call that needs TensorFlow.js when no instance was given and none resolves. */
export function missingTf(caller: string): BackendUnavailableError {
  return new BackendUnavailableError(
    `${caller} needs TensorFlow.js, but "@tensorflow/tfjs" cannot be found from ${process.cwd()} or from tunable; ${INSTALL_HINT}`,
  );
}

/**
 * Accepts a TensorFlow.js namespace: `import * as tf from '@tensorflow/tfjs'` (or tfjs-node), or the
 * CommonJS exports object. The value is kept as given, so the caller's identity checks hold.
 */
export function checkTf(name: string, value: unknown): TfModule {
  const looksLikeTf = (v: unknown): boolean =>
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as TfModule).setBackend === 'function' &&
    typeof (v as TfModule).Callback === 'function' &&
    typeof (v as TfModule).layers?.Layer === 'function';
  if (looksLikeTf(value)) return value as TfModule;
  // A namespace whose named exports were not detected still carries module.exports on `default`.
  const d = value !== null && typeof value === 'object' ? (value as { default?: unknown }).default : undefined;
  if (looksLikeTf(d)) return d as TfModule;
  throw invalid(name, 'a TensorFlow.js namespace (import * as tf from "@tensorflow/tfjs")', value);
}

/** The packages that make up a TensorFlow.js install; any of them marks the project as having one. */
const TF_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu'];

/**
 * The entry file of `specifier`, or null when it is not installed. Packages resolve from the user's
 * project (the working directory) when it has any tfjs package, else from where tunable is installed
 * (where a peer dependency finds the project's copy). One place for all of them: a backend package
 * taken from elsewhere than tfjs itself would bring its own tfjs-core, a second copy.
 */
export function resolvePackage(specifier: string): string | null {
  const project = join(process.cwd(), 'noop.js');
  const from = TF_PACKAGES.some((p) => resolveFrom(project, p) !== null) ? project : import.meta.url;
  return resolveFrom(from, specifier);
}

function resolveFrom(from: string, specifier: string): string | null {
  try {
    return createRequire(from).resolve(specifier);
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND') return null;
    throw err;
  }
}
