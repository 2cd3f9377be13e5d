/**
 * The module a `tunable worker` runs: a JavaScript file (ES module or CommonJS; TypeScript when the
 * process runs under a loader such as tsx) that exports
 *   objective    (trial) => number | number[] | Promise<…>   the named export, else the default export
 *   searchSpace  { [name]: Distribution }   optional: suggested at ask() (define-and-run)
 *   sampler      Sampler | () => Sampler     optional: used instead of the study's default sampler
 * Exports of the wrong kind are bad input (InvalidArgumentError, exit code 2); a file that is missing or
 * fails to load (a syntax error, a throw at its top level, a missing import) is an IOError (exit code 1).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distributionFrom, type Distribution } from '../distributions/index.js';
import { InvalidArgumentError, IOError } from '../errors.js';
import type { Sampler } from '../samplers/base.js';
import type { Objective } from '../study/optimize.js';
import { describe } from '../validate.js';

export interface ObjectiveModule {
  /** The path as given on the command line, for messages. */
  readonly file: string;
  readonly objective: Objective;
  /** Present: the worker runs define-and-run, with these parameters suggested at ask(). */
  readonly searchSpace: Readonly<Record<string, Distribution>> | undefined;
  readonly sampler: Sampler | undefined;
}

type Namespace = Readonly<Record<string, unknown>>;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function exportList(ns: Namespace): string {
  const names = Object.keys(ns);
  return names.length === 0 ? 'it exports nothing' : `exports: ${names.join(', ')}`;
}

/** Runs `f`; an InvalidArgumentError it throws names the module first, keeping its code. */
function inModule<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`${file}: ${err.message}`, err.code);
    throw err;
  }
}

async function importFile(file: string): Promise<Namespace> {
  const path = resolve(file);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new IOError(`Cannot load the objective module ${JSON.stringify(file)}: no such file (paths are relative to ${process.cwd()})`);
  }
  if (!isFile) throw new IOError(`Cannot load the objective module ${JSON.stringify(file)}: not a file`);
  try {
    return (await import(pathToFileURL(path).href)) as Namespace;
  } catch (err) {
    const hint = (err as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION'
      ? ' (a .ts module needs a TypeScript loader: node --import tsx …; or compile it to .js)'
      : '';
    throw new IOError(`Loading the objective module ${JSON.stringify(file)} failed: ${messageOf(err)}${hint}`, { cause: err });
  }
}

function objectiveOf(file: string, ns: Namespace): Objective {
  if (ns['objective'] !== undefined) {
    if (typeof ns['objective'] !== 'function') {
      throw new InvalidArgumentError(`${file} exports "objective" as ${describe(ns['objective'])}, not a function (trial) => number | number[]`);
    }
    return ns['objective'] as Objective;
  }
  if (typeof ns['default'] === 'function') return ns['default'] as Objective;
  throw new InvalidArgumentError(`${file} exports no function named "objective" and no default function (${exportList(ns)})`);
}

function searchSpaceOf(file: string, ns: Namespace): Record<string, Distribution> | undefined {
  const space = ns['searchSpace'];
  if (space === undefined) return undefined;
  if (space === null || typeof space !== 'object' || Array.isArray(space)) {
    throw new InvalidArgumentError(`${file} exports "searchSpace" as ${describe(space)}, not an object of distributions ({ x: { type: "float", low: 0, high: 1 } })`);
  }
  return inModule(file, () => Object.fromEntries(Object.entries(space).map(([name, d]) => [name, distributionFrom(`searchSpace.${name}`, d)])));
}

/** What the worker calls on a sampler (the optional hooks of the Sampler contract aside). */
const SAMPLER_METHODS: readonly (keyof Sampler)[] = ['inferRelativeSearchSpace', 'sampleRelative', 'sampleIndependent'];

/** The `sampler` export: an instance, or a factory called once. */
function samplerOf(file: string, ns: Namespace): Sampler | undefined {
  const exported = ns['sampler'];
  if (exported === undefined) return undefined;
  let sampler: unknown = exported;
  if (typeof exported === 'function') {
    try {
      sampler = inModule(file, () => (exported as () => unknown)());
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      throw new IOError(`${file}: its "sampler" factory threw: ${messageOf(err)}`, { cause: err });
    }
  }
  const missing = sampler !== null && typeof sampler === 'object'
    ? SAMPLER_METHODS.filter((m) => typeof (sampler as Record<string, unknown>)[m] !== 'function')
    : SAMPLER_METHODS;
  if (missing.length > 0) {
    const what = typeof exported === 'function' ? `a "sampler" factory that returned ${describe(sampler)}` : `"sampler" as ${describe(sampler)}`;
    throw new InvalidArgumentError(
      `${file} exports ${what}, not a Sampler (missing ${missing.map((m) => `\`${m}\``).join(', ')}; ` +
        'export new TPESampler(...), or a function returning one)',
    );
  }
  return sampler as Sampler;
}

/** Imports `file` (relative to the cwd) and checks its exports. */
export async function loadObjectiveModule(file: string): Promise<ObjectiveModule> {
  const ns = await importFile(file);
  return { file, objective: objectiveOf(file, ns), searchSpace: searchSpaceOf(file, ns), sampler: samplerOf(file, ns) };
}
