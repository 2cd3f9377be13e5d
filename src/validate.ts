/**
 * Argument validation shared by every public entry point. One message shape:
 * "Expected <what> for `<name>` but received <value>".
 */
import { InvalidArgumentError, UnknownOptionError } from './errors.js';

/** A short, readable rendering of any value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Infinity) return 'Infinity';
    if (value === -Infinity) return '-Infinity';
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return `a function`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return String(value);
}

export function invalid(name: string, expected: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`Expected ${expected} for \`${name}\` but received ${describe(value)}`);
}

export function finiteNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(name, 'a finite number', value);
  return value;
}

export function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw invalid(name, 'a positive finite number', value);
  return value;
}

export function nonNegativeNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(name, 'a non-negative finite number', value);
  return value;
}

export function integer(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(name, 'an integer', value);
  if (value < min || value > max) {
    const range = max === Infinity ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw invalid(name, range, value);
  }
  return value;
}

export function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(name, 'a boolean', value);
  return value;
}

/** A lone UTF-16 surrogate (half of a pair): it has no UTF-8 form, so a storage would mangle it. */
const LONE_SURROGATE = /\p{Cs}/u;

/** A non-empty, well-formed string: names of studies, parameters and attributes, which storages key on. */
export function string(name: string, value: unknown, { nonEmpty = true } = {}): string {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) throw invalid(name, 'a non-empty string', value);
  if (LONE_SURROGATE.test(value)) {
    const i = value.search(LONE_SURROGATE);
    throw new InvalidArgumentError(
      `Expected a well-formed Unicode string for \`${name}\` but received ${describe(value)}, ` +
        `which has a lone surrogate (U+${value.charCodeAt(i).toString(16).toUpperCase()}) at index ${i}`,
    );
  }
  return value;
}

/**
 * Checks that `value` is plain JSON that reads back equal after a store and load: null, booleans, finite
 * numbers, strings, arrays and plain objects (prototype Object.prototype or null) of those. Refused, with
 * the path of the offending part: NaN and ±Infinity (JSON has no form for them), undefined, functions,
 * symbols, BigInt, Map, Set, Date and other class instances (JSON.stringify would drop or reshape them),
 * sparse arrays and cycles.
 */
export function jsonValue(name: string, value: unknown): unknown {
  const seen: object[] = [];
  const visit = (v: unknown, path: string): void => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw invalid(path, 'a JSON value (finite numbers only)', v);
      return;
    }
    if (typeof v !== 'object') throw invalid(path, 'a JSON value', v);
    if (seen.includes(v)) throw invalid(path, 'a JSON value without cycles', v);
    seen.push(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) throw invalid(`${path}[${i}]`, 'a JSON value (arrays without holes)', undefined);
        visit(v[i], `${path}[${i}]`);
      }
    } else {
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw invalid(path, 'a JSON value (a plain object, not a class instance; convert Maps, Sets and Dates first)', v);
      }
      for (const k of Object.keys(v)) visit((v as Record<string, unknown>)[k], `${path}.${k}`);
    }
    seen.pop();
  };
  visit(value, name);
  return value;
}

export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
  }
  return value as T;
}

/** Levenshtein distance, for "did you mean" hints on misspelled option names. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/**
 * Checks that `options` is undefined or a plain object whose keys are all in `allowed`; returns it
 * (or `{}`). A misspelled key raises UnknownOptionError naming the key and the closest allowed one.
 */
export function options<T extends object>(name: string, value: unknown, allowed: readonly string[]): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(name, 'an options object', value);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      let best = '';
      let bestD = Infinity;
      for (const a of allowed) {
        const d = editDistance(key.toLowerCase(), a.toLowerCase());
        if (d < bestD) [best, bestD] = [a, d];
      }
      const hint = bestD <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean \`${best}\`?)` : '';
      throw new UnknownOptionError(
        `Unknown option \`${key}\` in \`${name}\`${hint}; allowed options are ${allowed.map((a) => `\`${a}\``).join(', ')}`,
      );
    }
  }
  return value as Partial<T>;
}

/**
 * Rows of numbers (arrays or Float64Arrays, each of `cols` entries) as one (rows.length, cols) row-major
 * Float64Array. A Float64Array store would coerce null → 0, true → 1, '0.7' → 0.7: only numbers get in,
 * and anything else is an error naming `${name}[i][j]` with `cell`, what a cell must be.
 */
export function rowMajor(name: string, rows: readonly unknown[], cols: number, cell: string): Float64Array {
  const data = new Float64Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i];
    if ((!Array.isArray(row) && !(row instanceof Float64Array)) || (row as ArrayLike<number>).length !== cols) {
      throw invalid(`${name}[${i}]`, `an array of ${cols} numbers`, row);
    }
    const r = row as ArrayLike<unknown>;
    for (let j = 0; j < cols; j++) {
      const v = r[j];
      if (typeof v !== 'number') throw invalid(`${name}[${i}][${j}]`, cell, v);
      data[i * cols + j] = v;
    }
  }
  return data;
}
