/**
 * Command-line parsing for `tunable`. Hand-written rather than node:util's parseArgs, which refuses
 * negative numbers as values (`--values -1.5`), writes multi-line messages and cannot check which flags
 * a command takes. Values are read strictly: `Number()` would take "0x10", "" and " 3 " as numbers.
 */
import { InvalidArgumentError } from '../errors.js';
import { invalid, oneOf, options, string } from '../validate.js';

/**
 * Every flag and the kind of value it takes; `list` flags also take the bare arguments after them. An
 * `operand` is a bare argument (`tunable worker … objective.mjs`), never written as a flag.
 */
export const FLAGS = {
  storage: 'string',
  'study-name': 'string',
  direction: 'string',
  directions: 'list',
  'skip-if-exists': 'boolean',
  format: 'string',
  out: 'string',
  'search-space': 'string',
  sampler: 'string',
  seed: 'string',
  'trial-number': 'string',
  values: 'list',
  state: 'string',
  'n-trials': 'string',
  timeout: 'string',
  'grace-period': 'string',
  'max-retry': 'string',
  'heartbeat-interval': 'string',
  host: 'string',
  port: 'string',
  open: 'boolean',
  objective: 'string',
  objectives: 'string',
  params: 'string',
  param: 'string',
  log: 'boolean',
  width: 'string',
  height: 'string',
  module: 'operand',
  kind: 'operand',
  from: 'string',
  source: 'operand',
  data: 'operand',
  model: 'operand',
  target: 'string',
  task: 'string',
  metric: 'string',
  'time-budget': 'string',
  save: 'string',
  report: 'string',
  probabilities: 'boolean',
  learners: 'string',
  help: 'boolean',
} as const;

export type FlagName = keyof typeof FLAGS;

/** Flags every command takes. */
const GLOBAL_FLAGS: readonly FlagName[] = ['storage', 'help'];

/** A decimal number, optionally signed, with an optional exponent: what a user means by "a number". */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** The flags of one command line, as given; read them through the typed accessors below. */
export type Flags = ReadonlyMap<FlagName, readonly string[] | true>;

/** A bare argument, or a negative number, which reads as a value rather than as a flag. */
function isValue(arg: string): boolean {
  return !arg.startsWith('-') || arg === '-' || DECIMAL.test(arg);
}

function flagName(command: string, arg: string, allowed: readonly FlagName[]): FlagName {
  const name = arg === '-h' ? 'help' : arg.startsWith('--') ? arg.slice(2) : arg;
  const flags = allowed.filter((f) => FLAGS[f] !== 'operand');
  if ((flags as readonly string[]).includes(name)) return name as FlagName;
  // Raises UnknownOptionError with a "did you mean" hint.
  options(`tunable ${command}`, { [arg]: true }, flags.map((f) => `--${f}`));
  throw new InvalidArgumentError(`Unknown option \`${arg}\` in \`tunable ${command}\``);
}

function missingValue(name: string): InvalidArgumentError {
  return new InvalidArgumentError(`Missing value for \`--${name}\` (a value that starts with "-" is written --${name}=-value)`);
}

/**
 * Parses the arguments after the command name. Flags are `--name value` or `--name=value`; a `list`
 * flag also takes the bare arguments that follow it (`--values 1 -2`); the command's operands, if it
 * has any, take the other bare arguments in the order the command lists them. Anything else is refused: flags the command does not take,
 * further bare arguments, a flag given twice, a value for a boolean flag.
 */
export function parseFlags(command: string, args: readonly string[], commandFlags: readonly FlagName[]): Flags {
  const allowed = [...commandFlags, ...GLOBAL_FLAGS];
  const operands = allowed.filter((f) => FLAGS[f] === 'operand');
  const flags = new Map<FlagName, string[] | true>();
  let list: string[] | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (isValue(arg)) {
      if (list !== null) list.push(arg);
      else if (operands.some((f) => !flags.has(f))) flags.set(operands.find((f) => !flags.has(f))!, [arg]);
      else throw new InvalidArgumentError(`Unexpected argument ${JSON.stringify(arg)} for \`tunable ${command}\``);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = flagName(command, eq < 0 ? arg : arg.slice(0, eq), allowed);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    list = null;
    if (FLAGS[name] === 'boolean') {
      if (inline !== undefined) throw new InvalidArgumentError(`\`--${name}\` takes no value but received ${JSON.stringify(inline)}`);
      flags.set(name, true);
      continue;
    }
    const next = args[i + 1];
    if (inline === undefined && (next === undefined || !isValue(next))) throw missingValue(name);
    const value = inline ?? args[++i]!;
    const seen = flags.get(name);
    if (FLAGS[name] === 'list') {
      list = seen === undefined || seen === true ? [] : seen;
      list.push(value);
      flags.set(name, list);
    } else if (seen !== undefined) {
      throw new InvalidArgumentError(`\`--${name}\` was given more than once`);
    } else {
      flags.set(name, [value]);
    }
  }
  return flags;
}

/** A string flag's value as given, or undefined. */
function raw(flags: Flags, name: FlagName): string | undefined {
  const v = flags.get(name);
  return v === undefined || v === true ? undefined : v[0];
}

/** A string flag's value, when given: non-empty and well-formed (no lone surrogate). */
export function text(flags: Flags, name: FlagName): string | undefined {
  const v = raw(flags, name);
  return v === undefined ? undefined : string(`--${name}`, v);
}

export function required(flags: Flags, name: FlagName): string {
  const v = text(flags, name);
  if (v === undefined) throw new InvalidArgumentError(`Missing \`--${name}\``);
  return v;
}

export function list(flags: Flags, name: FlagName): readonly string[] {
  const v = flags.get(name);
  return v === undefined || v === true ? [] : v;
}

export function bool(flags: Flags, name: FlagName): boolean {
  return flags.get(name) === true;
}

/** A finite number written in decimal or scientific notation; nothing that only `Number()` accepts. */
export function decimal(name: FlagName, value: string): number {
  const v = Number(value);
  if (!DECIMAL.test(value) || !Number.isFinite(v)) throw invalid(`--${name}`, 'a finite decimal number', value);
  return v;
}

/** An integer written in decimal digits, in [min, max] (at most the largest safe integer). */
export function integer(name: FlagName, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = Number(value);
  if (!INTEGER.test(value) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw invalid(`--${name}`, `an integer in [${min}, ${max}]`, value);
  }
  return v;
}

export function optionalInteger(flags: Flags, name: FlagName, min: number): number | undefined {
  const v = raw(flags, name);
  return v === undefined ? undefined : integer(name, v, min);
}

/** One of `allowed`, exactly as written there. */
export function choice<T extends string>(name: FlagName, value: string, allowed: readonly T[]): T {
  return oneOf(`--${name}`, value, allowed);
}

/**
 * A duration in seconds, when given: a decimal number in (0, max], or [0, max] with `zero`. The bound
 * keeps every deadline derived from it within what a Node timer can wait (2^31 - 1 ms).
 */
export function optionalSeconds(flags: Flags, name: FlagName, { zero, max }: { zero: boolean; max: number }): number | undefined {
  const v = raw(flags, name);
  if (v === undefined) return undefined;
  const s = Number(v);
  if (!DECIMAL.test(v) || !Number.isFinite(s) || s < 0 || (s === 0 && !zero) || s > max) {
    throw invalid(`--${name}`, `a number of seconds in ${zero ? '[' : '('}0, ${max}]`, v);
  }
  return s;
}
