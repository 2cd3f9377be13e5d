/**
 * Validation and value handling shared by the storage implementations, so that every storage accepts
 * and rejects exactly the same inputs and returns exactly the same shapes.
 */
import {
  contains,
  deserializeDistribution,
  serializeDistribution,
  toExternal,
  type Distribution,
} from '../distributions/index.js';
import { InvalidArgumentError, NotFoundError, StorageError, TrialFinishedError } from '../errors.js';
import { FINISHED_STATES, TrialState, type FrozenTrial, type StudyDirection } from '../trial/index.js';
import { dict, get } from '../util/dict.js';
import { describe, invalid, jsonValue, string } from '../validate.js';
import type { StaleRetry, TrialParamWrite } from './base.js';

export const ALL_STATES: readonly TrialState[] = [
  TrialState.RUNNING,
  TrialState.COMPLETE,
  TrialState.PRUNED,
  TrialState.FAIL,
  TrialState.WAITING,
];

const EMPTY: Readonly<Record<string, never>> = Object.freeze(dict<never>());
export const EMPTY_MAP: ReadonlyMap<number, number> = new Map();

export function emptyRecord<T>(): Readonly<Record<string, T>> {
  return EMPTY as Readonly<Record<string, T>>;
}

export function closedError(url: string): StorageError {
  return new StorageError(`The storage ${url} is closed`);
}

export function checkId(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(name, 'an integer id', value);
  return value;
}

export function checkName(name: string, value: unknown): string {
  return string(name, value);
}

/** A `setTrialParams` entry, checked: the canonical distribution and the external value it gives. */
export interface CheckedParam extends TrialParamWrite {
  readonly external: ReturnType<typeof toExternal>;
}

/**
 * The entries of `setTrialParams`, each checked as `setTrialParam` checks its arguments (names with
 * `nameCheck`, the storage's own rule), before anything is written.
 */
export function checkParamWrites(params: unknown, nameCheck: (name: string, value: unknown) => string = checkName): CheckedParam[] {
  if (!Array.isArray(params)) throw invalid('params', 'an array of { name, internal, distribution }', params);
  return params.map((p: unknown, i) => {
    if (p === null || typeof p !== 'object') throw invalid(`params[${i}]`, 'an object { name, internal, distribution }', p);
    const { name, internal, distribution } = p as Record<string, unknown>;
    const n = nameCheck(`params[${i}].name`, name);
    const d = canonicalDistribution(`params[${i}].distribution`, distribution);
    return { name: n, internal: internal as number, distribution: d, external: checkInternal(n, internal, d) };
  });
}

export function checkDirections(value: unknown): StudyDirection[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('directions', 'a non-empty array of "minimize" | "maximize"', value);
  const out: StudyDirection[] = [];
  for (let i = 0; i < value.length; i++) {
    const d: unknown = value[i];
    if (d !== 'minimize' && d !== 'maximize') throw invalid(`directions[${i}]`, '"minimize" or "maximize"', d);
    out.push(d);
  }
  return out;
}

export function checkStates(value: unknown): readonly TrialState[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalid('states', 'an array of trial states', value);
  for (let i = 0; i < value.length; i++) {
    if (!ALL_STATES.includes(value[i] as TrialState)) throw invalid(`states[${i}]`, 'a TrialState', value[i]);
  }
  return value as readonly TrialState[];
}

export function checkFinishedState(value: unknown): TrialState {
  if (!FINISHED_STATES.includes(value as TrialState)) {
    throw invalid('state', 'a finished state ("COMPLETE", "PRUNED" or "FAIL")', value);
  }
  return value as TrialState;
}

/** What a template says about a trial's state, results and times, checked (TrialTemplate in base.ts). */
export interface TemplateRecord {
  readonly state: TrialState;
  /** Frozen, one per objective, or null. */
  readonly values: readonly number[] | null;
  /** (m, 2) [step, value] pairs, ascending steps. */
  readonly intermediate: readonly (readonly [number, number])[];
  /** ms since the epoch, or null. */
  readonly start: number | null;
  readonly complete: number | null;
}

/** Whether a template only starts a trial (RUNNING or WAITING, nothing recorded yet): the common case. */
export function startsOnly(template: unknown): boolean {
  if (template === undefined || template === null || typeof template !== 'object') return true;
  const t = template as Record<string, unknown>;
  return (
    (t['state'] === undefined || t['state'] === TrialState.RUNNING || t['state'] === TrialState.WAITING) &&
    (t['values'] === undefined || t['values'] === null) &&
    t['intermediateValues'] === undefined &&
    t['datetimeStart'] === undefined &&
    t['datetimeComplete'] === undefined
  );
}

function templateTime(name: string, value: unknown, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) throw invalid(name, 'a valid Date or null', value);
  return value.getTime();
}

/**
 * The state, values, intermediate values and times of a template, checked against the study's number of
 * objectives (needed only when values are given or the state is COMPLETE). `now`: ms since the epoch.
 */
export function checkTemplateRecord(template: unknown, nObjectives: number, now: number): TemplateRecord {
  const t = (template ?? {}) as Record<string, unknown>;
  const raw = t['state'];
  const state = raw === undefined ? TrialState.RUNNING : raw;
  if (!ALL_STATES.includes(state as TrialState)) throw invalid('template.state', 'a TrialState', raw);
  const st = state as TrialState;
  const finished = FINISHED_STATES.includes(st);
  let values: readonly number[] | null = null;
  if (finished) {
    try {
      values = checkValues(st, t['values'], nObjectives);
    } catch (e) {
      if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`template: ${e.message}`);
      throw e;
    }
  } else if (t['values'] !== undefined && t['values'] !== null) {
    throw invalid('template.values', `null for a ${st} trial`, t['values']);
  }
  const intermediate: [number, number][] = [];
  const iv = t['intermediateValues'];
  if (iv !== undefined) {
    if (!(iv instanceof Map)) throw invalid('template.intermediateValues', 'a Map of step → value', iv);
    for (const [step, value] of iv as Map<unknown, unknown>) {
      if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) throw invalid('template.intermediateValues step', 'a non-negative integer', step);
      intermediate.push([step, checkFinite(`template.intermediateValues[${step}]`, value)]);
    }
    intermediate.sort((a, b) => a[0] - b[0]);
  }
  if (st === TrialState.WAITING && t['datetimeStart'] !== undefined && t['datetimeStart'] !== null) {
    throw invalid('template.datetimeStart', 'null or undefined for a WAITING trial', t['datetimeStart']);
  }
  if (!finished && t['datetimeComplete'] !== undefined && t['datetimeComplete'] !== null) {
    throw invalid('template.datetimeComplete', `null or undefined for a ${st} trial`, t['datetimeComplete']);
  }
  const start = templateTime('template.datetimeStart', t['datetimeStart'], st === TrialState.WAITING ? null : now);
  const complete = finished ? templateTime('template.datetimeComplete', t['datetimeComplete'], now) : null;
  return { state: st, values, intermediate, start, complete };
}

/**
 * Objective values: null/undefined, or one finite number per objective. COMPLETE requires values.
 * Returns a frozen copy (or null).
 */
export function checkValues(state: TrialState, values: unknown, nObjectives: number): readonly number[] | null {
  if (values === undefined || values === null) {
    if (state === TrialState.COMPLETE) throw invalid('values', `an array of ${nObjectives} finite number(s) for a COMPLETE trial`, values);
    return null;
  }
  if (!Array.isArray(values) || values.length !== nObjectives) {
    throw invalid('values', `an array of ${nObjectives} finite number(s) (one per objective)`, values);
  }
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`values[${i}]`, 'a finite number', v);
  }
  return Object.freeze(values.slice() as number[]);
}

export function checkStep(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid('step', 'a non-negative integer', value);
  return value;
}

export function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(name, 'a finite number', value);
  return value;
}

export function checkStaleMs(value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw invalid('olderThanMs', 'a non-negative number', value);
  return value;
}

/**
 * The `retry` argument of `failStaleTrials`: undefined (no retries), or { maxRetry: null | integer >= 0,
 * inheritUserAttrs: boolean }. Returns a frozen copy.
 */
export function checkStaleRetry(value: unknown): StaleRetry | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') throw invalid('retry', 'undefined or { maxRetry, inheritUserAttrs }', value);
  const { maxRetry, inheritUserAttrs } = value as Record<string, unknown>;
  if (maxRetry !== null && (typeof maxRetry !== 'number' || !Number.isSafeInteger(maxRetry) || maxRetry < 0)) {
    throw invalid('retry.maxRetry', 'null (no limit) or an integer >= 0', maxRetry);
  }
  if (typeof inheritUserAttrs !== 'boolean') throw invalid('retry.inheritUserAttrs', 'a boolean', inheritUserAttrs);
  return Object.freeze({ maxRetry, inheritUserAttrs });
}

/** A trial's lineage: the integers of its system attr `retryHistory` (oldest first), [] when absent. */
export function lineageOf(systemAttrs: Readonly<Record<string, unknown>>): number[] {
  return lineage(get(systemAttrs, 'retryHistory'));
}

/** The lineage a stored `retryHistory` value holds: its integers, in order ([] for anything but an array). */
export function lineage(history: unknown): number[] {
  return Array.isArray(history) ? history.filter((n): n is number => Number.isInteger(n)) : [];
}

/** Whether `retry` retries a trial whose lineage is `history`. */
export function retries(retry: StaleRetry | undefined, history: readonly number[]): retry is StaleRetry {
  return retry !== undefined && (retry.maxRetry === null || history.length < retry.maxRetry);
}

/** The system attributes of the retry of trial `number`, whose lineage is `history` (StaleRetry in base.ts). */
export function retryAttrs(number: number, history: readonly number[]): { retriedFrom: number; retryHistory: number[] } {
  return { retriedFrom: number, retryHistory: [...history, number] };
}

// ---------------------------------------------------------------------------------------------------
// Distributions and params

/** Canonical (validated, frozen) distribution objects, keyed by the object the caller passed. */
const canonicalByObject = new WeakMap<object, Distribution>();
/** Canonical distributions keyed by their serialized form (shared by every storage of the process). */
const canonicalByJson = new Map<string, Distribution>();

/** Validates a distribution and returns a canonical frozen instance (cached; cheap on repeated calls). */
export function canonicalDistribution(name: string, d: unknown): Distribution {
  if (d === null || typeof d !== 'object') throw invalid(name, 'a distribution', d);
  const hit = canonicalByObject.get(d);
  if (hit !== undefined) return hit;
  // Only frozen objects (what the distribution constructors return) are cached by identity: a mutable
  // object could change between calls.
  let json: string;
  try {
    json = serializeDistribution(d as Distribution);
  } catch {
    throw invalid(name, 'a distribution', d);
  }
  const c = distributionFromJson(json, name);
  if (Object.isFrozen(d)) canonicalByObject.set(d, c);
  return c;
}

/** Parses a serialized distribution, cached by its text. */
export function distributionFromJson(json: string, name = 'distribution'): Distribution {
  let c = canonicalByJson.get(json);
  if (c === undefined) {
    try {
      c = deserializeDistribution(json);
    } catch (e) {
      if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`Invalid distribution for \`${name}\`: ${e.message}`);
      throw invalid(name, 'a distribution', json);
    }
    if (canonicalByJson.size > 10_000) canonicalByJson.clear();
    canonicalByJson.set(json, c);
  }
  return c;
}

/** Checks an internal value against its distribution; returns the external value. */
export function checkInternal(paramName: string, internal: unknown, d: Distribution): ReturnType<typeof toExternal> {
  if (typeof internal !== 'number' || !Number.isFinite(internal)) throw invalid('internal', `a finite number for parameter ${JSON.stringify(paramName)}`, internal);
  if (d.type === 'categorical') {
    if (!Number.isInteger(internal) || internal < 0 || internal >= d.choices.length) {
      throw invalid('internal', `a choice index in [0, ${d.choices.length - 1}] for parameter ${JSON.stringify(paramName)}`, internal);
    }
    return d.choices[internal]!;
  }
  if (!contains(d, internal)) {
    throw new InvalidArgumentError(
      `Expected a value of ${serializeDistribution(d)} for \`internal\` of parameter ${JSON.stringify(paramName)} but received ${describe(internal)}`,
    );
  }
  return internal;
}

export function sameDistribution(a: Distribution, b: Distribution): boolean {
  return a === b || serializeDistribution(a) === serializeDistribution(b);
}

// ---------------------------------------------------------------------------------------------------
// Attribute values (JSON)

/**
 * Serializes an attribute value to JSON. Only values that read back equal are taken (see `jsonValue`):
 * NaN, undefined, Maps, Dates and the like are refused with the path of the offending part, before
 * anything is written.
 */
export function encodeAttr(key: string, value: unknown): string {
  string('key', key);
  return JSON.stringify(jsonValue(`attribute ${JSON.stringify(key)}`, value));
}

/**
 * Parses a stored attribute and deep-freezes it, so snapshots can share it safely. (JSON.parse makes a
 * key `__proto__` an own data property, never the prototype.)
 */
export function decodeAttr(text: string): unknown {
  return deepFreeze(JSON.parse(text) as unknown);
}

export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

/** A frozen copy of `rec` with `key` set to `value`. */
export function withKey<T>(rec: Readonly<Record<string, T>>, key: string, value: T): Readonly<Record<string, T>> {
  const out = dict(rec);
  out[key] = value;
  return Object.freeze(out);
}

/** The best COMPLETE trial by the first objective (ties: lowest number); null for multi-objective. */
export function bestOf(trials: readonly FrozenTrial[], directions: readonly StudyDirection[]): FrozenTrial | null {
  if (directions.length !== 1) return null;
  const max = directions[0] === 'maximize';
  let best: FrozenTrial | null = null;
  for (const t of trials) {
    if (t.state !== TrialState.COMPLETE || t.values === null) continue;
    const v = t.values[0]!;
    if (best === null || (max ? v > best.values![0]! : v < best.values![0]!)) best = t;
  }
  return best;
}

export function studyNotFound(studyId: number): NotFoundError {
  return new NotFoundError(`Study with id ${studyId} not found`);
}

export function studyNameNotFound(studyName: string): NotFoundError {
  return new NotFoundError(`Study named ${JSON.stringify(studyName)} not found`);
}

export function trialNotFound(trialId: number): NotFoundError {
  return new NotFoundError(`Trial with id ${trialId} not found`);
}

export function trialFinished(trialId: number, number: number, state: TrialState): TrialFinishedError {
  return new TrialFinishedError(`Trial ${number} (id ${trialId}) is already finished (${state}) and cannot be modified`);
}

export function decodeAttrs(name: string, attrs: unknown): Readonly<Record<string, unknown>> {
  if (attrs === undefined) return emptyRecord();
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) throw new InvalidArgumentError(`Expected an object for \`${name}\``);
  const out = dict<unknown>();
  for (const [k, v] of Object.entries(attrs)) out[k] = decodeAttr(encodeAttr(k, v));
  return Object.freeze(out);
}

export function staleReason(lastMs: number, nowMs: number, olderThanMs: number): string {
  return `Stale trial: no heartbeat for ${nowMs - lastMs} ms (limit ${olderThanMs} ms); its worker is presumed dead`;
}

/**
 * A study's trial snapshots, indexed so that a state-filtered read costs O(result), not O(all trials):
 * finished trials (immutable) sit in one number-sorted array per state; unfinished ones (few) in a set.
 */
export class TrialIndex {
  /** Every snapshot, by number. */
  readonly all: FrozenTrial[] = [];
  private readonly finishedByState = new Map<TrialState, FrozenTrial[]>();
  /** Numbers of RUNNING and WAITING trials. */
  readonly unfinished = new Set<number>();

  get size(): number {
    return this.all.length;
  }

  put(t: FrozenTrial): void {
    const prev = this.all[t.number];
    this.all[t.number] = t;
    if (prev !== undefined && FINISHED_STATES.includes(prev.state)) {
      // Finished trials never change; only a defensive re-put lands here.
      const list = this.finishedByState.get(prev.state)!;
      const i = sortedIndex(list, prev.number);
      if (list[i]?.number === prev.number) list.splice(i, 1);
    }
    if (FINISHED_STATES.includes(t.state)) {
      this.unfinished.delete(t.number);
      let list = this.finishedByState.get(t.state);
      if (list === undefined) this.finishedByState.set(t.state, (list = []));
      if (list.length === 0 || list[list.length - 1]!.number < t.number) list.push(t);
      else list.splice(sortedIndex(list, t.number), 0, t);
    } else {
      this.unfinished.add(t.number);
    }
  }

  /** The trials in `states` (all when undefined), ordered by number, in a new array. */
  select(states: readonly TrialState[] | undefined): FrozenTrial[] {
    if (states === undefined) return this.all.slice();
    const want = new Set(states);
    if (want.size === 0) return [];
    if (want.size === ALL_STATES.length) return this.all.slice();
    const parts: FrozenTrial[][] = [];
    for (const s of want) {
      const list = this.finishedByState.get(s);
      if (list !== undefined && list.length > 0) parts.push(list);
    }
    const loose: FrozenTrial[] = [];
    if (want.has(TrialState.RUNNING) || want.has(TrialState.WAITING)) {
      for (const n of this.unfinished) {
        const t = this.all[n]!;
        if (want.has(t.state)) loose.push(t);
      }
      if (loose.length > 0) parts.push(loose.sort((a, b) => a.number - b.number));
    }
    if (parts.length === 0) return [];
    if (parts.length === 1) return parts[0]!.slice();
    const out = ([] as FrozenTrial[]).concat(...parts);
    return out.sort((a, b) => a.number - b.number);
  }

  count(states: readonly TrialState[] | undefined): number {
    if (states === undefined) return this.all.length;
    let n = 0;
    const want = new Set(states);
    for (const s of want) n += this.finishedByState.get(s)?.length ?? 0;
    if (want.has(TrialState.RUNNING) || want.has(TrialState.WAITING)) {
      for (const k of this.unfinished) if (want.has(this.all[k]!.state)) n++;
    }
    return n;
  }
}

/** First index in a number-sorted list whose number is >= `number`. */
function sortedIndex(list: readonly FrozenTrial[], number: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.number < number) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
