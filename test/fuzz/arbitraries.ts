/**
 * Generators for the API fuzz harness: search spaces (every distribution kind, conditional
 * parameters, odd names), attribute values (JSON and not), tell results and objective behaviours.
 */
import fc from 'fast-check';
import type { CategoricalChoice, ParamValue, StudyDirection } from '../../src/index.js';
import { objFrom } from './util.js';

// ---------------------------------------------------------------------------------------------------
// Names

/** Names that trip code which keeps names as object keys, quotes them, or stores them as text. */
export const ODD_NAMES: readonly string[] = [
  'constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__',
  'a.b', 'a"b', "it's", 'a\\b', 'a/b', 'a b', '🚀', '👨‍👩‍👧', '名前', 'ß', 'e\u0301', 'Ω',
  ' ', '  \t', '\u00a0', '\u200b', '\u0000', 'null', 'undefined', '0', '-1', '1.5', 'NaN',
  'x'.repeat(1000), 'params_x', 'user_attrs_x', "'; DROP TABLE trials; --",
];

/** Names that cannot be stored unchanged: empty, or not well-formed UTF-16 (lone surrogates). */
export const BAD_NAMES: readonly string[] = ['', '\uD800', 'a\uDC00', '\uDBFFx', 'x\uD83D', '\uDFFF\uD800'];

export const plainName = fc.constantFrom('x', 'y', 'lr', 'n', 'kind', 'depth');

export const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: plainName },
  { weight: 5, arbitrary: fc.constantFrom(...ODD_NAMES) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 5 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_NAMES) },
);

// ---------------------------------------------------------------------------------------------------
// Distributions

export type DistSpec =
  | { readonly type: 'float'; readonly low: number; readonly high: number; readonly log: boolean; readonly step: number | null }
  | { readonly type: 'int'; readonly low: number; readonly high: number; readonly log: boolean; readonly step: number }
  | { readonly type: 'categorical'; readonly choices: readonly CategoricalChoice[] };

export interface ParamSpec {
  readonly name: string;
  /** What the library must build from `raw` (meaningless when `valid` is false). */
  readonly dist: DistSpec;
  /** The plain object handed to `suggestDistribution` and `ask(space)`. */
  readonly raw: Record<string, unknown>;
  readonly valid: boolean;
  /** Whether `raw` can also be expressed through suggestFloat/suggestInt/suggestCategorical. */
  readonly typedOk: boolean;
  /** Suggested only when `parent` has `value` (define-by-run conditional space). */
  readonly cond: { readonly parent: string; readonly value: ParamValue } | null;
  /** A value that belongs to the distribution, and a well-typed one that does not. */
  readonly inValue: ParamValue;
  readonly outValue: ParamValue;
}

interface Draft {
  dist: DistSpec;
  raw: Record<string, unknown>;
  valid: boolean;
  typedOk: boolean;
  inValue: ParamValue;
  outValue: ParamValue;
}

const unit = fc.double({ min: 0, max: 1, noNaN: true });

function numericOut(low: number, high: number, pick: number): ParamValue {
  const options: ParamValue[] = [high + Math.max(1, Math.abs(high)), low - Math.max(1, Math.abs(low)), 'not a number'];
  return options[pick % options.length]!;
}

function floatRaw(low: number, high: number, log: boolean, step: number | null, explicitDefaults: boolean): Record<string, unknown> {
  const raw: Record<string, unknown> = { type: 'float', low, high };
  if (log || explicitDefaults) raw['log'] = log;
  if (step !== null || explicitDefaults) raw['step'] = step;
  return raw;
}

function intRaw(low: number, high: number, log: boolean, step: number, explicitDefaults: boolean): Record<string, unknown> {
  const raw: Record<string, unknown> = { type: 'int', low, high };
  if (log || explicitDefaults) raw['log'] = log;
  if (step !== 1 || explicitDefaults) raw['step'] = step;
  return raw;
}

const floatPlain: fc.Arbitrary<Draft> = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e6, noNaN: true }))) },
      { weight: 1, arbitrary: fc.constantFrom<[number, number]>([-1e300, 2e300], [0, 5e-324], [-Number.MAX_VALUE / 2, Number.MAX_VALUE], [1e-300, 0]) },
    ),
    unit, fc.nat(), fc.boolean(),
  )
  .map(([[low, width], u, pick, ex]) => {
    const high = low + width;
    return {
      dist: { type: 'float', low, high, log: false, step: null },
      raw: floatRaw(low, high, false, null, ex),
      valid: true,
      typedOk: true,
      inValue: Math.min(high, Math.max(low, low + u * (high - low))),
      outValue: numericOut(low, high, pick),
    };
  });

const floatLog: fc.Arbitrary<Draft> = fc
  .tuple(fc.double({ min: 1e-10, max: 1e3, noNaN: true }), fc.double({ min: 1, max: 1e6, noNaN: true }), unit, fc.nat(), fc.boolean())
  .map(([low, factor, u, pick, ex]) => {
    const high = low * factor;
    return {
      dist: { type: 'float', low, high, log: true, step: null },
      raw: floatRaw(low, high, true, null, ex),
      valid: true,
      typedOk: true,
      inValue: Math.min(high, Math.max(low, low * factor ** u)),
      outValue: numericOut(low, high, pick),
    };
  });

const floatStep: fc.Arbitrary<Draft> = fc
  .tuple(fc.double({ min: -100, max: 100, noNaN: true }), fc.constantFrom(0.1, 0.25, 0.5, 1, 3, 1e-3), fc.nat({ max: 30 }), fc.nat(), fc.nat(), fc.boolean())
  .map(([low, step, k, j, pick, ex]) => {
    const high = low + k * step;
    return {
      dist: { type: 'float', low, high, log: false, step },
      raw: floatRaw(low, high, false, step, ex),
      valid: true,
      typedOk: true,
      inValue: low + (j % (k + 1)) * step,
      outValue: numericOut(low, high, pick),
    };
  });

const intPlain: fc.Arbitrary<Draft> = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.nat({ max: 1e6 })) },
      { weight: 1, arbitrary: fc.constantFrom<[number, number]>([0, Number.MAX_SAFE_INTEGER], [-(2 ** 52), 2 ** 52 - 1], [7, 0]) },
    ),
    unit, fc.nat(), fc.boolean(),
  )
  .map(([[low, width], u, pick, ex]) => {
    const high = low + width;
    const outs: ParamValue[] = [numericOut(low, high, pick), high > low ? low + 0.5 : 'x'];
    return {
      dist: { type: 'int', low, high, log: false, step: 1 },
      raw: intRaw(low, high, false, 1, ex),
      valid: true,
      typedOk: true,
      inValue: Math.min(high, low + Math.floor(u * (width + 1))),
      outValue: outs[pick % 2]!,
    };
  });

const intLog: fc.Arbitrary<Draft> = fc
  .tuple(fc.integer({ min: 1, max: 1000 }), fc.nat({ max: 100_000 }), unit, fc.nat(), fc.boolean())
  .map(([low, width, u, pick, ex]) => {
    const high = low + width;
    return {
      dist: { type: 'int', low, high, log: true, step: 1 },
      raw: intRaw(low, high, true, 1, ex),
      valid: true,
      typedOk: true,
      inValue: Math.min(high, low + Math.floor(u * (width + 1))),
      outValue: numericOut(low, high, pick),
    };
  });

const intStep: fc.Arbitrary<Draft> = fc
  .tuple(fc.integer({ min: -100, max: 100 }), fc.integer({ min: 1, max: 7 }), fc.nat({ max: 20 }), fc.nat(), fc.nat(), fc.boolean())
  .map(([low, step, k, j, pick, ex]) => {
    const high = low + k * step;
    const outs: ParamValue[] = [numericOut(low, high, pick), step > 1 && k > 0 ? low + 1 : 'x'];
    return {
      dist: { type: 'int', low, high, log: false, step },
      raw: intRaw(low, high, false, step, ex),
      valid: true,
      typedOk: true,
      inValue: low + (j % (k + 1)) * step,
      outValue: outs[pick % 2]!,
    };
  });

export const choiceArb: fc.Arbitrary<CategoricalChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '\uD800', '🚀', '__proto__', 'constructor') },
  { weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

const categorical: fc.Arbitrary<Draft> = fc
  .tuple(fc.uniqueArray(choiceArb, { minLength: 1, maxLength: 5, selector: (c) => JSON.stringify(c) }), fc.nat(), fc.nat())
  .map(([choices, j, pick]) => {
    const outs: ParamValue[] = ['\u0001not-a-choice', 1234567.5, pick % 2 === 0];
    const out = outs.find((o) => !choices.includes(o as CategoricalChoice)) ?? '\u0001not-a-choice';
    return {
      dist: { type: 'categorical', choices },
      raw: { type: 'categorical', choices },
      valid: true,
      typedOk: true,
      inValue: choices[j % choices.length]!,
      outValue: out,
    };
  });

/** Distributions every constructor must refuse with a typed error. */
const invalid: fc.Arbitrary<Draft> = fc
  .constantFrom<[Record<string, unknown>, boolean]>(
    [{ type: 'float', low: 2, high: 1 }, true],
    [{ type: 'float', low: NaN, high: 1 }, true],
    [{ type: 'float', low: 0, high: Infinity }, true],
    [{ type: 'float', low: 0, high: 1, log: true }, true],
    [{ type: 'float', low: 0, high: 1, step: 0.3 }, true],
    [{ type: 'float', low: 1, high: 2, step: 0.5, log: true }, true],
    [{ type: 'float', low: -Number.MAX_VALUE, high: Number.MAX_VALUE }, true],
    [{ type: 'float', low: 0, high: 1, lg: true }, false],
    [{ type: 'int', low: 1.5, high: 3 }, true],
    [{ type: 'int', low: 0, high: 10, step: 0 }, true],
    [{ type: 'int', low: 0, high: 10, step: 3 }, true],
    [{ type: 'int', low: 0, high: 10, log: true }, true],
    [{ type: 'int', low: 0, high: 2 ** 60 }, true],
    [{ type: 'int', low: 0, high: 5, setp: 1 }, false],
    [{ type: 'categorical', choices: [] }, true],
    [{ type: 'categorical', choices: [1, 1] }, true],
    [{ type: 'categorical', choices: [NaN] }, true],
    [{ type: 'categorical', choices: [{}] }, true],
    [{ type: 'normal', low: 0, high: 1 }, false],
  )
  .map(([raw, typedOk]) => ({
    dist: { type: 'categorical', choices: [null] },
    raw,
    valid: false,
    typedOk,
    inValue: null,
    outValue: null,
  }));

export const draftArb: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 3, arbitrary: floatPlain },
  { weight: 2, arbitrary: floatLog },
  { weight: 2, arbitrary: floatStep },
  { weight: 3, arbitrary: intPlain },
  { weight: 2, arbitrary: intLog },
  { weight: 2, arbitrary: intStep },
  { weight: 4, arbitrary: categorical },
  { weight: 1, arbitrary: invalid },
);

/** A study's search space; entry i may be conditional on an earlier categorical entry. */
export const poolArb: fc.Arbitrary<ParamSpec[]> = fc
  .array(fc.tuple(nameArb, draftArb, fc.option(fc.tuple(fc.nat(), fc.nat()), { freq: 2 })), { minLength: 1, maxLength: 6 })
  .map((rows) => {
    const out: ParamSpec[] = [];
    rows.forEach(([name, d, c], i) => {
      let cond: ParamSpec['cond'] = null;
      if (c !== null) {
        const parents = out.slice(0, i).filter((p) => p.valid && p.dist.type === 'categorical' && p.name !== name);
        if (parents.length > 0) {
          const parent = parents[c[0] % parents.length]!;
          const choices = (parent.dist as { choices: readonly CategoricalChoice[] }).choices;
          cond = { parent: parent.name, value: choices[c[1] % choices.length]! };
        }
      }
      out.push({ name, ...d, cond });
    });
    return out;
  });

// ---------------------------------------------------------------------------------------------------
// Attribute values

export const goodAttrArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      objFrom([['__proto__', 1]]),
      objFrom([['__proto__', { a: 1 }]]),
      { constructor: 'c', toString: 2 },
      'a\uD800b',
      1e308,
      5e-324,
      -0,
      [],
      {},
      [[[]]],
      '',
      { '': [null, true, 'x'] },
      'x'.repeat(10_000),
    ),
  },
);

/** Values that cannot be stored as JSON and read back equal: each must be refused. */
export const BAD_ATTRS: readonly unknown[] = [
  NaN, Infinity, -Infinity, { a: NaN }, [1, Infinity], { a: { b: -Infinity } },
  new Map([['a', 1]]), new Set([1]), () => 1, 10n, undefined, new Date(0), Symbol('s'),
  { f: () => 1 }, [10n], [() => 1],
];

export const attrArb: fc.Arbitrary<{ value: unknown; bad: boolean }> = fc.oneof(
  { weight: 4, arbitrary: goodAttrArb.map((value) => ({ value, bad: false })) },
  { weight: 1, arbitrary: fc.nat({ max: BAD_ATTRS.length - 1 }).map((i) => ({ value: BAD_ATTRS[i], bad: true })) },
);

// ---------------------------------------------------------------------------------------------------
// Numbers, steps, tell results

/** Mostly finite doubles, sometimes NaN, ±Infinity, -0, subnormals. */
export const valueArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 8, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -100, max: 100 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 5e-324, Number.MAX_VALUE) },
);

export const stepArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0.5, NaN, Infinity, 2 ** 53, 1e20, Number.MAX_SAFE_INTEGER) },
);

export type ResultSpec =
  | { readonly kind: 'values'; readonly values: readonly number[]; readonly bare: boolean; readonly lengthDelta: number }
  | { readonly kind: 'state'; readonly state: 'PRUNED' | 'FAIL' }
  | { readonly kind: 'badState'; readonly state: string }
  | { readonly kind: 'junk'; readonly value: unknown };

export const resultArb: fc.Arbitrary<ResultSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ values: fc.array(valueArb, { minLength: 3, maxLength: 3 }), bare: fc.boolean(), lengthDelta: fc.constantFrom(0, 0, 0, 0, 0, -1, 1) })
      .map((r) => ({ kind: 'values' as const, ...r })),
  },
  { weight: 3, arbitrary: fc.constantFrom('PRUNED' as const, 'FAIL' as const).map((state) => ({ kind: 'state' as const, state })) },
  { weight: 1, arbitrary: fc.constantFrom('COMPLETE', 'RUNNING', 'WAITING', 'bogus', '', 'fail').map((state) => ({ kind: 'badState' as const, state })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, {}, true, ['a'], '1', [1, 'a']).map((value) => ({ kind: 'junk' as const, value })) },
);

export type TellOptsSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'reason'; readonly reason: string }
  | { readonly kind: 'junkReason'; readonly reason: unknown }
  | { readonly kind: 'unknownKey' };

export const tellOptsArb: fc.Arbitrary<TellOptsSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }).map((reason) => ({ kind: 'reason' as const, reason })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(5, NaN, {}, null, () => 1, 10n).map((reason) => ({ kind: 'junkReason' as const, reason })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'unknownKey' as const }) },
);

// ---------------------------------------------------------------------------------------------------
// Studies

export type Behavior = 'value' | 'nan' | 'wrongLength' | 'junk' | 'boom' | 'pruned' | 'badAttr' | 'staleSelf' | 'hang';

export const behaviorArb = (withHang: boolean): fc.Arbitrary<Behavior> =>
  fc.constantFrom<Behavior>('value', 'value', 'value', 'nan', 'wrongLength', 'junk', 'boom', 'pruned', 'badAttr', 'staleSelf', ...(withHang ? (['hang'] as Behavior[]) : []));

export interface StudySpec {
  readonly name: string;
  readonly directions: readonly StudyDirection[];
  readonly pool: readonly ParamSpec[];
  readonly sampler: 'random' | 'tpe';
  readonly seed: number;
}

export const studySpecArb: fc.Arbitrary<StudySpec> = fc.record({
  name: fc.oneof({ weight: 12, arbitrary: plainName }, { weight: 3, arbitrary: fc.constantFrom(...ODD_NAMES) }, { weight: 1, arbitrary: fc.constantFrom(...BAD_NAMES) }),
  directions: fc.constantFrom<StudyDirection[]>(['minimize'], ['maximize'], ['minimize'], ['minimize', 'maximize']),
  pool: poolArb,
  sampler: fc.constantFrom<'random' | 'tpe'>('random', 'random', 'tpe'),
  seed: fc.nat({ max: 1000 }),
});

/** Two studies in one memory storage and two in one SQLite file. */
export const worldSpecArb = fc.tuple(studySpecArb, studySpecArb, studySpecArb, studySpecArb);
