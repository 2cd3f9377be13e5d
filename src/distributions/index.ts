/**
 * Search-space distributions. A parameter has an *external* value (what the objective sees: a number,
 * or a categorical choice) and an *internal* value (a finite number: the value itself for float/int,
 * the index of the choice for categoricals). Storage keeps internal values; samplers work on them.
 */
import { InvalidArgumentError } from '../errors.js';
import { describe, finiteNumber, invalid, options } from '../validate.js';

export type CategoricalChoice = string | number | boolean | null;
export type ParamValue = number | string | boolean | null;

export interface FloatDistribution {
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  /** null: continuous; otherwise values are low + k*step. */
  readonly step: number | null;
}

export interface IntDistribution {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number;
}

export interface CategoricalDistribution {
  readonly type: 'categorical';
  readonly choices: readonly CategoricalChoice[];
}

export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

const STEP_TOL = 1e-8;

/** True when `step` divides `high - low` (up to rounding of decimal steps such as 0.1). */
function stepDivides(low: number, high: number, step: number): boolean {
  const k = (high - low) / step;
  return Math.abs(k - Math.round(k)) <= STEP_TOL * Math.max(1, Math.abs(k));
}

export function floatDistribution(low: unknown, high: unknown, log: unknown = false, step: unknown = null): FloatDistribution {
  const lo = finiteNumber('low', low);
  const hi = finiteNumber('high', high);
  if (typeof log !== 'boolean') throw invalid('log', 'a boolean', log);
  if (lo > hi) throw new InvalidArgumentError(`Expected \`low\` <= \`high\` but received low=${describe(lo)}, high=${describe(hi)}`);
  // Every sampler maps values through `high - low`; a width that overflows to Infinity maps nothing.
  if (!Number.isFinite(hi - lo)) {
    throw new InvalidArgumentError(
      `Expected \`high - low\` to be a finite number but received low=${describe(lo)}, high=${describe(hi)} (width ${describe(hi - lo)})`,
    );
  }
  if (log && lo <= 0) throw new InvalidArgumentError(`Expected \`low\` > 0 with \`log: true\` but received low=${describe(lo)}`);
  let st: number | null = null;
  if (step !== null && step !== undefined) {
    if (typeof step !== 'number' || !Number.isFinite(step) || step <= 0) throw invalid('step', 'a positive finite number', step);
    if (log) throw new InvalidArgumentError(`\`step\` and \`log: true\` cannot be used together (received step=${describe(step)})`);
    if (!stepDivides(lo, hi, step)) {
      throw new InvalidArgumentError(`Expected \`step\` to divide \`high - low\` = ${hi - lo} but received step=${describe(step)}`);
    }
    st = step;
  }
  return Object.freeze({ type: 'float', low: lo, high: hi, log, step: st });
}

export function intDistribution(low: unknown, high: unknown, log: unknown = false, step: unknown = 1): IntDistribution {
  // Safe integers only: above 2^53 neighbouring integers are not distinct doubles.
  if (typeof low !== 'number' || !Number.isSafeInteger(low)) throw invalid('low', 'a safe integer', low);
  if (typeof high !== 'number' || !Number.isSafeInteger(high)) throw invalid('high', 'a safe integer', high);
  if (typeof log !== 'boolean') throw invalid('log', 'a boolean', log);
  if (low > high) throw new InvalidArgumentError(`Expected \`low\` <= \`high\` but received low=${low}, high=${high}`);
  if (log && low < 1) throw new InvalidArgumentError(`Expected \`low\` >= 1 with \`log: true\` but received low=${low}`);
  const st = step ?? 1;
  if (typeof st !== 'number' || !Number.isSafeInteger(st) || st < 1) throw invalid('step', 'a positive integer', step);
  if (!Number.isSafeInteger(high - low)) {
    throw new InvalidArgumentError(`Expected \`high - low\` to be a safe integer but received low=${low}, high=${high}`);
  }
  if (log && st !== 1) throw new InvalidArgumentError(`\`step\` and \`log: true\` cannot be used together (received step=${st})`);
  if ((high - low) % st !== 0) {
    throw new InvalidArgumentError(`Expected \`step\` to divide \`high - low\` = ${high - low} but received step=${st}`);
  }
  return Object.freeze({ type: 'int', low, high, log, step: st });
}

export function categoricalDistribution(choices: unknown): CategoricalDistribution {
  if (!Array.isArray(choices)) throw invalid('choices', 'an array of choices', choices);
  if (choices.length === 0) throw invalid('choices', 'a non-empty array of choices', choices);
  const seen = new Set<string>();
  for (let i = 0; i < choices.length; i++) {
    const c: unknown = choices[i];
    const ok = c === null || typeof c === 'string' || typeof c === 'boolean' || (typeof c === 'number' && Number.isFinite(c));
    if (!ok) throw invalid(`choices[${i}]`, 'a string, finite number, boolean or null', c);
    const key = JSON.stringify(c);
    if (seen.has(key)) throw new InvalidArgumentError(`Expected distinct \`choices\` but ${key} appears twice`);
    seen.add(key);
  }
  return Object.freeze({ type: 'categorical', choices: Object.freeze([...(choices as CategoricalChoice[])]) });
}

/** Number of values a distribution can take (Infinity for a continuous float). */
export function cardinality(d: Distribution): number {
  switch (d.type) {
    case 'categorical':
      return d.choices.length;
    case 'int':
      return Math.floor((d.high - d.low) / d.step) + 1;
    case 'float':
      return d.step === null ? (d.low === d.high ? 1 : Infinity) : Math.round((d.high - d.low) / d.step) + 1;
  }
}

export function isSingle(d: Distribution): boolean {
  return cardinality(d) === 1;
}

export function distributionsEqual(a: Distribution, b: Distribution): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'categorical') {
    const bc = (b as CategoricalDistribution).choices;
    return a.choices.length === bc.length && a.choices.every((c, i) => c === bc[i]);
  }
  const bb = b as FloatDistribution | IntDistribution;
  return a.low === bb.low && a.high === bb.high && a.log === bb.log && a.step === bb.step;
}

/** Internal (numeric) form of an external value; throws when the value does not belong to `d`. */
export function toInternal(d: Distribution, value: unknown, name = 'value'): number {
  if (d.type === 'categorical') {
    const i = d.choices.findIndex((c) => c === value || (typeof c === 'number' && typeof value === 'number' && Number.isNaN(c) && Number.isNaN(value)));
    if (i < 0) throw invalid(name, `one of ${JSON.stringify(d.choices)}`, value);
    return i;
  }
  if (!contains(d, value)) {
    const what = d.type === 'int' ? 'an integer' : 'a number';
    throw invalid(name, `${what} in [${d.low}, ${d.high}]${d.step !== null && d.step !== 1 ? ` on the grid of step ${d.step}` : ''}`, value);
  }
  return value as number;
}

export function toExternal(d: Distribution, internal: number): ParamValue {
  if (d.type === 'categorical') {
    const c = d.choices[internal];
    if (c === undefined) throw invalid('internal', `an index below ${d.choices.length}`, internal);
    return c;
  }
  return internal;
}

/** Whether an external value is a legal value of `d`. */
export function contains(d: Distribution, value: unknown): boolean {
  if (d.type === 'categorical') return d.choices.includes(value as CategoricalChoice);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (value < d.low || value > d.high) return false;
  if (d.type === 'int') return Number.isInteger(value) && (value - d.low) % d.step === 0;
  if (d.step !== null) return stepDivides(d.low, value, d.step);
  return true;
}

/**
 * Snaps an internal value to the nearest legal value (clip, round to the step or integer grid).
 * Samplers that work in a continuous relaxation use it.
 */
export function snap(d: Distribution, internal: number): number {
  if (d.type === 'categorical') return Math.min(d.choices.length - 1, Math.max(0, Math.round(internal)));
  let v = Math.min(d.high, Math.max(d.low, internal));
  const step = d.type === 'int' ? d.step : d.step;
  if (step !== null) {
    const k = Math.round((v - d.low) / step);
    v = d.low + k * step;
    if (d.type === 'float') v = Number(v.toPrecision(15)); // NOTE: 0.1 + 2*0.1 style drift
    // The rounding can cross a bound that is not itself a 15-digit number (low = 0.1 + 0.2).
    v = Math.min(d.high, Math.max(d.low, v));
  }
  return v;
}

/**
 * Maps an internal value to [0, 1] (log scale where `log`). Discrete values map to the centre of their
 * *cell*: int and stepped-float value v covers [v - step/2, v + step/2], choice i covers [i/k, (i+1)/k).
 */
export function toUnit(d: Distribution, internal: number): number {
  if (d.type === 'categorical') return (internal + 0.5) / d.choices.length;
  const [lo, hi] = unitBounds(d);
  const v = d.log ? Math.log(internal) : internal;
  return hi === lo ? 0.5 : (v - lo) / (hi - lo);
}

/** Inverse of toUnit, snapped to a legal value. */
export function fromUnit(d: Distribution, u: number): number {
  const uu = Math.min(1, Math.max(0, u));
  if (d.type === 'categorical') return Math.min(d.choices.length - 1, Math.floor(uu * d.choices.length));
  const [lo, hi] = unitBounds(d);
  const v = lo + uu * (hi - lo);
  return snap(d, d.log ? Math.exp(v) : v);
}

function unitBounds(d: FloatDistribution | IntDistribution): [number, number] {
  const half = d.type === 'int' ? d.step / 2 : d.step !== null ? d.step / 2 : 0;
  if (d.log) return [Math.log(d.low - half), Math.log(d.high + half)];
  return [d.low - half, d.high + half];
}

export function serializeDistribution(d: Distribution): string {
  return JSON.stringify(d);
}

const KEYS = {
  float: ['type', 'low', 'high', 'log', 'step'],
  int: ['type', 'low', 'high', 'log', 'step'],
  categorical: ['type', 'choices'],
} as const;

/**
 * A distribution from a plain object (`{ type: 'float', low: 1, high: 10, log: true }`), as users write
 * them in `study.ask(space)`, `suggestDistribution` and the CLI's `--search-space`. Every key is
 * checked: a misspelled one (`lg`, `setp`) is an UnknownOptionError naming it, never ignored.
 */
export function distributionFrom(name: string, value: unknown): Distribution {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(name, 'a distribution object ({ type: "float" | "int" | "categorical", ... })', value);
  }
  const type = (value as { type?: unknown }).type;
  if (type !== 'float' && type !== 'int' && type !== 'categorical') {
    throw invalid(`${name}.type`, '"float", "int" or "categorical"', type);
  }
  const o = options<Record<string, unknown>>(name, value, KEYS[type]);
  try {
    switch (type) {
      case 'float':
        return floatDistribution(o['low'], o['high'], o['log'] ?? false, o['step'] ?? null);
      case 'int':
        return intDistribution(o['low'], o['high'], o['log'] ?? false, o['step'] ?? 1);
      case 'categorical':
        return categoricalDistribution(o['choices']);
    }
  } catch (err) {
    // The constructors name their own arguments (`low`, `step`); say whose they are.
    if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`${name}: ${err.message}`);
    throw err;
  }
}

export function deserializeDistribution(s: string): Distribution {
  let o: unknown;
  try {
    o = JSON.parse(s);
  } catch {
    throw invalid('distribution', 'a serialized distribution', s);
  }
  return distributionFrom('distribution', o);
}
