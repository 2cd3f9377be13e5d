/**
 * Checks and conversions every learner shares: the design matrix and targets, the budget fraction,
 * class counts, config values, and float arrays in JSON (base64 float64: exact and a third of the size
 * of decimal text).
 */
import { InvalidArgumentError } from '../../errors.js';
import { invalid } from '../../validate.js';
import type { FitOptions, LearnerConfig, Matrix, Task } from '../types.js';

/** Checks X (n, d) and y (n); the learners here need complete data (impute first: preprocess.ts). */
export function checkData(X: Matrix, y: Float64Array, task: Task): void {
  checkMatrix('X', X);
  if (!(y instanceof Float64Array) || y.length !== X.n) throw invalid('y', `a Float64Array of length ${X.n} (one target per row of X)`, y);
  if (X.n === 0) throw new InvalidArgumentError('Cannot fit on zero rows');
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    const ok = task === 'regression' ? Number.isFinite(v) : Number.isInteger(v) && v >= 0;
    if (!ok) throw invalid(`y[${i}]`, task === 'regression' ? 'a finite number' : 'a class index (an integer >= 0)', v);
  }
}

/** Checks the shape of X and that it has no missing or infinite values (naming the first one). */
export function checkMatrix(name: string, X: Matrix, d?: number): void {
  if (X === null || typeof X !== 'object' || !(X.data instanceof Float64Array) || X.data.length !== X.n * X.d) {
    throw invalid(name, 'a Matrix { data: Float64Array (n * d), n, d }', X);
  }
  if (d !== undefined && X.d !== d) throw invalid(`${name}.d`, `${d} columns (as at fit time)`, X.d);
  const bad = X.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new InvalidArgumentError(
      `Expected finite values in \`${name}\` but row ${Math.floor(bad / X.d)}, column ${bad % X.d} holds ${X.data[bad]}; impute missing values first`,
    );
  }
}

/** The budget fraction in (0, 1], default 1. */
export function budgetOf(opts: FitOptions): number {
  const b = opts.budget ?? 1;
  if (!(typeof b === 'number' && b > 0 && b <= 1)) throw invalid('budget', 'a number in (0, 1]', b);
  return b;
}

/** k for labels 0..k-1: opts.nClasses, else the largest label + 1 (at least 2). */
export function classCount(y: Float64Array, opts: FitOptions): number {
  let k = 2;
  for (const v of y) if (v + 1 > k) k = v + 1;
  if (opts.nClasses !== undefined) {
    if (!(Number.isInteger(opts.nClasses) && opts.nClasses >= k)) throw invalid('nClasses', `an integer >= ${k} (the largest label + 1)`, opts.nClasses);
    return opts.nClasses;
  }
  return k;
}

export function numberParam(config: LearnerConfig, key: string, fallback: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`config.${key}`, 'a finite number', v);
  return v;
}

export function choiceParam<T extends string>(config: LearnerConfig, key: string, allowed: readonly T[], fallback: T): T {
  const v = config[key] ?? fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw invalid(`config.${key}`, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, v);
  return v as T;
}

/** Rejects config keys the learner does not know (a typo would otherwise silently use the default). */
export function knownKeys(config: LearnerConfig, allowed: readonly string[], learner: string): void {
  for (const k of Object.keys(config)) {
    if (!allowed.includes(k)) throw new InvalidArgumentError(`Unknown ${learner} hyperparameter \`${k}\`; known ones are ${allowed.map((a) => `\`${a}\``).join(', ')}`);
  }
}

export function encodeFloat64(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function decodeFloat64(name: string, s: unknown): Float64Array {
  if (typeof s !== 'string') throw invalid(name, 'a base64 string of float64 values', s);
  const buf = Buffer.from(s, 'base64');
  if (buf.length % 8 !== 0) throw invalid(name, 'a base64 string of float64 values (a multiple of 8 bytes)', s);
  const out = new Float64Array(buf.length / 8);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** Int32 arrays (tree node links) in base64: half the bytes of float64. */
export function encodeInt32(a: Int32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function decodeInt32(name: string, s: unknown): Int32Array {
  if (typeof s !== 'string') throw invalid(name, 'a base64 string of int32 values', s);
  const buf = Buffer.from(s, 'base64');
  if (buf.length % 4 !== 0) throw invalid(name, 'a base64 string of int32 values (a multiple of 4 bytes)', s);
  const out = new Int32Array(buf.length / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** Checks a saved model's envelope: `format` and `version`. */
export function checkSaved(json: unknown, format: string): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || (json as { format?: unknown }).format !== format) {
    throw invalid('json', `a saved model (format ${JSON.stringify(format)})`, json);
  }
  const j = json as Record<string, unknown>;
  if (j['version'] !== 1) throw invalid('json.version', 'version 1', j['version']);
  return j;
}
