/**
 * Helpers of the API fuzz harness: how values are compared, classified and printed as JavaScript
 * source (so that a failure reads as a runnable sequence of API calls).
 */
import { TunableError } from '../../src/index.js';

/** Error codes that mean "your argument was wrong": the call must have changed nothing. */
export const ARGUMENT_CODES: readonly string[] = ['ERR_INVALID_ARGUMENT', 'ERR_UNKNOWN_OPTION', 'ERR_PARAM_CONFLICT'];

export function isTyped(e: unknown): e is TunableError {
  return e instanceof TunableError && typeof (e as { code?: unknown }).code === 'string' && (e as TunableError).code.length > 0;
}

export function isArgumentError(e: unknown): boolean {
  return isTyped(e) && ARGUMENT_CODES.includes(e.code);
}

/** One line describing any thrown value, for failure messages. */
export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${e.constructor.name}${code !== undefined ? `[${String(code)}]` : ''}: ${e.message.split('\n')[0]}`;
  }
  return `non-Error thrown: ${lit(e)}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string that is not well-formed UTF-16 cannot be stored as text without being altered. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** Parameter names and attribute keys that must be refused with a typed error. */
export function isBadName(s: string): boolean {
  return s.length === 0 || hasLoneSurrogate(s);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Lets every storage write that was issued settle. Trials write asynchronously (a chain of promises
 * whose storage work is itself synchronous), so one macrotask turn drains them.
 */
export async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}

/** An object with exactly these own enumerable keys (a literal `__proto__` key would set the prototype). */
export function objFrom(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

export function ownEntries(o: unknown): [string, unknown][] {
  if (o === null || typeof o !== 'object') return [];
  return Object.keys(o).map((k) => [k, Object.getOwnPropertyDescriptor(o, k)!.value]);
}

/**
 * Deep equality of JSON-like values as a storage must return them. Numbers compare with `===`: JSON
 * and SQL have no negative zero, so -0 reading back as 0 is not a loss. Objects compare by own keys.
 */
export function sameJson(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'number' || typeof actual === 'number') return expected === actual;
  if (expected === null || actual === null || typeof expected !== 'object' || typeof actual !== 'object') {
    return Object.is(expected, actual);
  }
  if (Array.isArray(expected) !== Array.isArray(actual)) return false;
  if (Array.isArray(expected)) {
    const a = actual as unknown[];
    return expected.length === a.length && expected.every((v, i) => sameJson(v, a[i]));
  }
  if (Object.getPrototypeOf(actual) !== Object.prototype && Object.getPrototypeOf(actual) !== null) return false;
  const ek = Object.keys(expected).sort();
  const ak = Object.keys(actual).sort();
  if (ek.length !== ak.length || ek.some((k, i) => k !== ak[i])) return false;
  return ek.every((k) =>
    sameJson(Object.getOwnPropertyDescriptor(expected, k)!.value, Object.getOwnPropertyDescriptor(actual, k)!.value),
  );
}

/** Compares a record read back with the expected entries; returns a description of the difference, or null. */
export function diffRecord(what: string, expected: ReadonlyMap<string, unknown>, actual: unknown): string | null {
  if (actual === null || typeof actual !== 'object') return `${what} is ${lit(actual)}, not an object`;
  const ak = Object.keys(actual);
  const missing = [...expected.keys()].filter((k) => !Object.prototype.hasOwnProperty.call(actual, k));
  const extra = ak.filter((k) => !expected.has(k));
  if (missing.length > 0 || extra.length > 0) {
    return `${what}: expected keys ${lit([...expected.keys()].sort())}, read back ${lit(ak.sort())}` +
      `${missing.length ? ` (missing ${lit(missing)})` : ''}${extra.length ? ` (unexpected ${lit(extra)})` : ''}`;
  }
  for (const [k, v] of expected) {
    const got = Object.getOwnPropertyDescriptor(actual, k)!.value;
    if (!sameJson(v, got)) return `${what}[${lit(k)}]: expected ${lit(v)}, read back ${lit(got)}`;
  }
  return null;
}

export function diffMap(what: string, expected: ReadonlyMap<number, number>, actual: unknown): string | null {
  if (!(actual instanceof Map)) return `${what} is ${lit(actual)}, not a Map`;
  const e = [...expected.entries()].sort((a, b) => a[0] - b[0]);
  const a = [...(actual as Map<number, number>).entries()].sort((x, y) => x[0] - y[0]);
  if (e.length !== a.length || e.some(([k, v], i) => a[i]![0] !== k || a[i]![1] !== v)) {
    return `${what}: expected ${lit(e)}, read back ${lit(a)}`;
  }
  return null;
}

/** JavaScript source for a value, so that traces are runnable. */
export function lit(v: unknown, depth = 0): string {
  if (depth > 6) return '/* … */ null';
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'number':
      if (Number.isNaN(v)) return 'NaN';
      if (v === Infinity) return 'Infinity';
      if (v === -Infinity) return '-Infinity';
      if (Object.is(v, -0)) return '-0';
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'boolean':
      return String(v);
    case 'string':
      if (v.length > 40 && v === v[0]!.repeat(v.length)) return `${JSON.stringify(v[0])}.repeat(${v.length})`;
      return JSON.stringify(v);
    case 'function':
      return '() => 1';
    case 'symbol':
      return `Symbol(${JSON.stringify(v.description ?? '')})`;
  }
  if (v === null) return 'null';
  if (v instanceof Map) return `new Map(${lit([...v.entries()], depth + 1)})`;
  if (v instanceof Set) return `new Set(${lit([...v.values()], depth + 1)})`;
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (Array.isArray(v)) return `[${v.map((x) => lit(x, depth + 1)).join(', ')}]`;
  const parts = ownEntries(v).map(([k, x]) => `${k === '__proto__' ? `[${JSON.stringify(k)}]` : JSON.stringify(k)}: ${lit(x, depth + 1)}`);
  return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
}
