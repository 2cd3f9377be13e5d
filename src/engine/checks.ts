/** Argument checks of the engine's entry points (shapes, finiteness, the unit cube, option names). */
import { InvalidArgumentError } from '../errors.js';
import { loadAddon, type NativeAddon } from '../native/binding.js';
import { describe, finiteNumber, integer, invalid, options, positiveNumber, rowMajor } from '../validate.js';
import type { CategoricalSpec, Hyperparameters, IntegerSpec } from './types.js';

export const MAX_DIMS = 1024;

/**
 * Largest |y| the engine takes. It models y as given, and its variances (outputscale, noise, var(y) in
 * the priors and bounds) are in y's units squared: beyond ~1e154 they overflow to Infinity and the fit
 * would end in NaN. 1e150 leaves room for the bounds' factor of 1e6 on var(y).
 */
export const MAX_ABS_OUTPUT = 1e150;

/**
 * Flattens X ((n, d) rows, or a row-major Float64Array with d) into a fresh Float64Array. With
 * `copy: false` a Float64Array argument is checked in place and returned as it is (for calls whose
 * native side copies it at once: no second 8·n·d-byte allocation).
 */
export function matrix(
  name: string,
  X: unknown,
  d: number | undefined,
  { unitCube = true, allowEmpty = false, copy = true } = {},
): {
  data: Float64Array;
  n: number;
  d: number;
} {
  let data: Float64Array;
  let n: number;
  let cols: number;
  if (X instanceof Float64Array) {
    if (d === undefined) throw invalid('d', `the number of columns of \`${name}\` (a Float64Array)`, d);
    cols = integer('d', d, 1, MAX_DIMS);
    if (X.length % cols !== 0) throw invalid(name, `a length that is a multiple of d = ${cols}`, X);
    n = X.length / cols;
    data = copy ? X.slice() : X;
  } else if (Array.isArray(X)) {
    n = X.length;
    const first: unknown = X[0];
    if (n === 0) {
      if (!allowEmpty) throw invalid(name, 'a non-empty array of rows', X);
      cols = d ?? 0;
    } else {
      if (!Array.isArray(first) && !(first instanceof Float64Array)) throw invalid(`${name}[0]`, 'an array of numbers', first);
      cols = (first as ArrayLike<number>).length;
    }
    if (d !== undefined && cols !== d) throw invalid('d', `${cols} (the length of the rows of \`${name}\`)`, d);
    if (n > 0) integer(`${name}[0].length`, cols, 1, MAX_DIMS);
    // NaN and ±Infinity get in too: the scan below names those with their value.
    data = rowMajor(name, X, cols, 'a finite number');
  } else {
    throw invalid(name, 'an array of rows or a Float64Array', X);
  }
  const k = firstInvalid(data, unitCube ? 0 : -Infinity, unitCube ? 1 : Infinity);
  if (k >= 0) {
    const v = data[k]!;
    const where = `${name}[${Math.floor(k / cols)}][${k % cols}]`;
    throw Number.isFinite(v) ? invalid(where, 'a number in [0, 1]', v) : invalid(where, 'a finite number', v);
  }
  return { data, n, d: cols };
}

/** Entries from which the scan runs in the addon (one pass in C++, ~4× the JS loop's speed). */
const NATIVE_SCAN_MIN = 1 << 16;

/** Index of the first entry that is not finite or lies outside [lo, hi], or −1. */
function firstInvalid(data: Float64Array, lo: number, hi: number): number {
  if (data.length >= NATIVE_SCAN_MIN) {
    const addon = scanner();
    if (addon) return addon.firstInvalid(data, lo, hi);
  }
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (!(v >= lo && v <= hi && Number.isFinite(v))) return k;
  }
  return -1;
}

function scanner(): NativeAddon | null {
  try {
    return loadAddon();
  } catch {
    return null; // no addon: the JS loop (the engine's calls report the missing addon themselves)
  }
}

export function vector(name: string, y: unknown, length?: number): Float64Array {
  if (!Array.isArray(y) && !(y instanceof Float64Array)) throw invalid(name, 'an array of numbers', y);
  if (length !== undefined && y.length !== length) throw invalid(name, `an array of length ${length}`, y);
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = finiteNumber(`${name}[${i}]`, y[i]);
  return out;
}

/** One observed output: a finite number with |v| <= MAX_ABS_OUTPUT. */
export function output(name: string, v: unknown): number {
  const y = finiteNumber(name, v);
  if (Math.abs(y) > MAX_ABS_OUTPUT) {
    throw invalid(name, `a number in [-${MAX_ABS_OUTPUT}, ${MAX_ABS_OUTPUT}] (the engine models outputs as given, in units whose squares must stay finite; standardise them)`, y);
  }
  return y;
}

/** Observed outputs (y): `vector` with every entry checked by `output`. */
export function outputs(name: string, y: unknown, length: number): Float64Array {
  const out = vector(name, y, length);
  for (let i = 0; i < out.length; i++) output(`${name}[${i}]`, out[i]);
  return out;
}

export function seed(name: string, v: unknown): number {
  return integer(name, v, 0, Number.MAX_SAFE_INTEGER);
}

const HYPER_KEYS = ['lengthscales', 'outputscale', 'noise', 'mean'] as const;

export function hyperparameters(name: string, h: unknown, d: number): Hyperparameters {
  const o = options<Hyperparameters>(name, h, HYPER_KEYS);
  if (h === undefined) throw invalid(name, 'a hyperparameter object', h);
  const ls = o.lengthscales;
  if (!Array.isArray(ls) || ls.length !== d) throw invalid(`${name}.lengthscales`, `an array of ${d} positive numbers`, ls);
  return {
    lengthscales: ls.map((v, j) => positiveNumber(`${name}.lengthscales[${j}]`, v)),
    outputscale: positiveNumber(`${name}.outputscale`, o.outputscale),
    noise: positiveNumber(`${name}.noise`, o.noise),
    mean: finiteNumber(`${name}.mean`, o.mean),
  };
}

/**
 * Limits on hyperparameters the engine uses as given (`fixed`, logMarginalLikelihoodAt): the kernel
 * works with 1/lengthscale², which overflows or vanishes outside LENGTHSCALE_RANGE, and with sums of the
 * variances, which overflow above VARIANCE_MAX; the likelihood or the predictions would then be NaN.
 * Fits stay inside both (lengthscales in [0.005, 1e4], variances up to 1e6 · var(y) <= ~1e306 for
 * |y| <= MAX_ABS_OUTPUT). A warm start is only a start: the fit clamps it.
 */
const LENGTHSCALE_RANGE: readonly [number, number] = [1e-150, 1e150];
const VARIANCE_MAX = 1e307;

/** Checks that the given hyperparameters are within what the engine can use as they are; returns them. */
export function usableAsGiven<H extends Partial<Hyperparameters>>(name: string, h: H): H {
  const within = (what: string, v: number, [lo, hi]: readonly [number, number]) => {
    if (v < lo || v > hi) throw invalid(what, `a number in [${lo}, ${hi}] (hyperparameters used as given)`, v);
  };
  h.lengthscales?.forEach((v, j) => within(`${name}.lengthscales[${j}]`, v, LENGTHSCALE_RANGE));
  if (h.outputscale !== undefined) within(`${name}.outputscale`, h.outputscale, [0, VARIANCE_MAX]);
  if (h.noise !== undefined) within(`${name}.noise`, h.noise, [0, VARIANCE_MAX]);
  return h;
}

/** Partial hyperparameters held fixed while the others are fitted. */
export function partialHyperparameters(name: string, h: unknown, d: number): Partial<Hyperparameters> {
  const o = options<Hyperparameters>(name, h, HYPER_KEYS);
  const out: Partial<Hyperparameters> = {};
  if (o.lengthscales !== undefined) {
    const ls = o.lengthscales;
    if (!Array.isArray(ls) || ls.length !== d) throw invalid(`${name}.lengthscales`, `an array of ${d} positive numbers`, ls);
    out.lengthscales = ls.map((v, j) => positiveNumber(`${name}.lengthscales[${j}]`, v));
  }
  if (o.outputscale !== undefined) out.outputscale = positiveNumber(`${name}.outputscale`, o.outputscale);
  if (o.noise !== undefined) out.noise = positiveNumber(`${name}.noise`, o.noise);
  if (o.mean !== undefined) out.mean = finiteNumber(`${name}.mean`, o.mean);
  return out;
}

export function toTheta(h: Hyperparameters): Float64Array {
  const d = h.lengthscales.length;
  const t = new Float64Array(d + 3);
  for (let j = 0; j < d; j++) t[j] = Math.log(h.lengthscales[j]!);
  t[d] = Math.log(h.outputscale);
  t[d + 1] = Math.log(h.noise);
  t[d + 2] = h.mean;
  return t;
}

export function fromTheta(t: Float64Array, d: number): Hyperparameters {
  return {
    lengthscales: Array.from(t.subarray(0, d), (v) => Math.exp(v)),
    outputscale: Math.exp(t[d]!),
    noise: Math.exp(t[d + 1]!),
    mean: t[d + 2]!,
  };
}

function dimIndex(name: string, v: unknown, d: number, seen: Set<number>): number {
  const j = integer(name, v, 0, d - 1);
  if (seen.has(j)) throw new InvalidArgumentError(`Dimension ${j} appears twice in \`${name.split('[')[0]}\``);
  seen.add(j);
  return j;
}

function grid(name: string, values: unknown): Float64Array {
  if (!Array.isArray(values) || values.length < 1) throw invalid(name, 'a non-empty array of numbers in [0, 1]', values);
  const g = Float64Array.from(new Set(values.map((v, i) => finiteNumber(`${name}[${i}]`, v)))).sort();
  for (const v of g) if (v < 0 || v > 1) throw invalid(name, 'numbers in [0, 1]', v);
  return g;
}

function levelsGrid(name: string, k: unknown): Float64Array {
  const levels = integer(name, k, 1, 1 << 20);
  return levels === 1 ? Float64Array.of(0) : Float64Array.from({ length: levels }, (_, i) => i / (levels - 1));
}

/** Categorical specs → (d) sorted grids (null = not categorical); snaps X's categorical values. */
export function categoricalGrids(spec: unknown, X: Float64Array, n: number, d: number): Array<Float64Array | null> {
  const out: Array<Float64Array | null> = Array.from({ length: d }, () => null);
  if (spec === undefined) return out;
  if (!Array.isArray(spec)) throw invalid('categorical', 'an array of dimension indices or { dim, choices }', spec);
  const seen = new Set<number>();
  (spec as CategoricalSpec[]).forEach((s, i) => {
    let j: number;
    let g: Float64Array;
    if (typeof s === 'number') {
      j = dimIndex(`categorical[${i}]`, s, d, seen);
      const vals: number[] = [];
      for (let r = 0; r < n; r++) vals.push(X[r * d + j]!);
      g = grid(`categorical[${i}]`, vals);
    } else {
      const o = options<{ dim: number; choices: number | number[] }>(`categorical[${i}]`, s, ['dim', 'choices']);
      j = dimIndex(`categorical[${i}].dim`, o.dim, d, seen);
      g = Array.isArray(o.choices) ? grid(`categorical[${i}].choices`, o.choices) : levelsGrid(`categorical[${i}].choices`, o.choices);
    }
    for (let r = 0; r < n; r++) {
      const v = X[r * d + j]!;
      let best = g[0]!;
      for (const c of g) if (Math.abs(c - v) < Math.abs(best - v)) best = c;
      if (Math.abs(best - v) > 1e-9) {
        throw new InvalidArgumentError(
          `Expected one of the choices of categorical dimension ${j} for \`X[${r}][${j}]\` but received ${describe(v)}`,
        );
      }
      X[r * d + j] = best;
    }
    out[j] = g;
  });
  return out;
}

export function integerGrids(spec: unknown, d: number, categorical: Array<Float64Array | null>): Array<Float64Array | null> {
  const out: Array<Float64Array | null> = Array.from({ length: d }, () => null);
  if (spec === undefined) return out;
  if (!Array.isArray(spec)) throw invalid('integer', 'an array of { dim, levels } or { dim, values }', spec);
  const seen = new Set<number>();
  (spec as IntegerSpec[]).forEach((s, i) => {
    const o = options<{ dim: number; levels: number; values: number[] }>(`integer[${i}]`, s, ['dim', 'levels', 'values']);
    const j = dimIndex(`integer[${i}].dim`, o.dim, d, seen);
    if (categorical[j]) throw new InvalidArgumentError(`Dimension ${j} is categorical and cannot also be in \`integer\``);
    if (o.values !== undefined) out[j] = grid(`integer[${i}].values`, o.values);
    else out[j] = levelsGrid(`integer[${i}].levels`, o.levels);
  });
  return out;
}
