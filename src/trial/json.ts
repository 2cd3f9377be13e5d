/**
 * Trials and studies as plain JSON: what the dashboard's server sends, what its page and the plot
 * builders (`src/plot/`) read, in Node and in the browser alike. Nothing here imports Node or the DOM.
 *
 * Numbers stay numbers: stored values and intermediate values are finite (storages refuse the rest),
 * parameters are finite by their distributions. Dates become epoch milliseconds.
 */
import type { Distribution, ParamValue } from '../distributions/index.js';
import type { FrozenTrial, StudyDirection, StudySummary } from './frozen.js';

export type TrialStateName = 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAIL' | 'WAITING';

export interface TrialJSON {
  readonly trialId: number;
  readonly number: number;
  readonly state: TrialStateName;
  /** One value per objective once COMPLETE (a PRUNED trial may carry its last reported value). */
  readonly values: readonly number[] | null;
  /** External values (categorical: the choice itself). */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The numeric form (categorical: the index of the choice). */
  readonly internalParams: Readonly<Record<string, number>>;
  readonly distributions: Readonly<Record<string, Distribution>>;
  readonly userAttrs: Readonly<Record<string, unknown>>;
  readonly systemAttrs: Readonly<Record<string, unknown>>;
  /** [step, value] pairs in increasing step order, from trial.report(). */
  readonly intermediate: readonly (readonly [number, number])[];
  /** Epoch milliseconds, or null. */
  readonly start: number | null;
  readonly complete: number | null;
}

/** One study with its trials: the input of every plot builder. */
export interface StudyJSON {
  readonly studyId: number;
  readonly name: string;
  readonly directions: readonly StudyDirection[];
  readonly userAttrs: Readonly<Record<string, unknown>>;
  /** In trial-number order. */
  readonly trials: readonly TrialJSON[];
}

/** A row of the studies page. */
export interface StudySummaryJSON {
  readonly studyId: number;
  readonly name: string;
  readonly directions: readonly StudyDirection[];
  /** Trials by state (every state present, 0 where none). */
  readonly counts: Readonly<Record<TrialStateName, number>>;
  /** The best trial's values (single objective), or null (none yet, or several objectives). */
  readonly bestValues: readonly number[] | null;
  readonly bestNumber: number | null;
  /** Epoch ms of the study's first trial start, or null. */
  readonly start: number | null;
  /** Epoch ms of the latest start or completion of any trial, or null. */
  readonly lastActivity: number | null;
}

const time = (d: Date | null): number | null => (d === null ? null : d.getTime());

export function trialToJSON(t: FrozenTrial): TrialJSON {
  return {
    trialId: t.trialId,
    number: t.number,
    state: t.state as TrialStateName,
    values: t.values === null ? null : [...t.values],
    params: { ...t.params },
    internalParams: { ...t.internalParams },
    distributions: { ...t.distributions },
    userAttrs: { ...t.userAttrs },
    systemAttrs: { ...t.systemAttrs },
    intermediate: [...t.intermediateValues].sort((a, b) => a[0] - b[0]),
    start: time(t.datetimeStart),
    complete: time(t.datetimeComplete),
  };
}

/** A studies-page row from a storage's summary and the study's trials. */
export function summaryToJSON(s: StudySummary, trials: readonly FrozenTrial[]): StudySummaryJSON {
  const counts: Record<TrialStateName, number> = { RUNNING: 0, COMPLETE: 0, PRUNED: 0, FAIL: 0, WAITING: 0 };
  let last: number | null = null;
  for (const t of trials) {
    counts[t.state as TrialStateName] += 1;
    for (const d of [t.datetimeStart, t.datetimeComplete]) if (d !== null && (last === null || d.getTime() > last)) last = d.getTime();
  }
  const single = s.directions.length === 1 && s.bestTrial !== null && s.bestTrial.values !== null;
  return {
    studyId: s.studyId,
    name: s.studyName,
    directions: [...s.directions],
    counts,
    bestValues: single ? [...s.bestTrial!.values!] : null,
    bestNumber: single ? s.bestTrial!.number : null,
    start: time(s.datetimeStart),
    lastActivity: last,
  };
}

/** The states in the order `TrialColumnsJSON.state` numbers them. */
export const TRIAL_STATE_NAMES: readonly TrialStateName[] = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING'];

/**
 * A study's trials in columns: what its `TrialJSON`s hold, in a fraction of their size and parse time
 * (a 50,000-trial study's `StudyJSON` is tens of megabytes, mostly the same distributions repeated in
 * every trial and the same keys in every object). `trialsFromColumns` turns them back into `TrialJSON`s.
 *
 * - Distributions are sent once, for the study: each parameter's most common distribution among the
 *   trials. A trial with another distribution for one of its parameters (a search space that changed)
 *   is sent whole, as `TrialJSON`, in `own`.
 * - Parameters as internal values only: the external value is the internal one for float and int
 *   parameters, the choice at that index for categorical ones (a trial where that does not hold is in
 *   `own` too).
 * - Intermediate values may be capped (`maxIntermediate` of `trialsToColumns`): a longer curve keeps its
 *   first and last steps and evenly spaced steps between, the same points the intermediate-values
 *   chart picks (src/plot/options/intermediate.ts), so the chart is unchanged. With a cap of 0 they
 *   are left out (`intermediate` absent; every trial's is then empty), to be sent apart
 *   (`IntermediateColumnsJSON`).
 *
 * Every column has one entry per trial, in trial-number order.
 */
export interface TrialColumnsJSON {
  /** The cap on each trial's intermediate values (0: none sent), or null (none dropped). */
  readonly maxIntermediate: number | null;
  /** Parameter name → its distribution in the trials (those in `own` aside). */
  readonly distributions: Readonly<Record<string, Distribution>>;
  readonly trialId: readonly number[];
  readonly number: readonly number[];
  /** Index into TRIAL_STATE_NAMES. */
  readonly state: readonly number[];
  readonly values: readonly (readonly number[] | null)[];
  /** Parameter name → each trial's internal value, null where the trial has no such parameter. */
  readonly params: Readonly<Record<string, readonly (number | null)[]>>;
  readonly trialUserAttrs: readonly Readonly<Record<string, unknown>>[];
  readonly trialSystemAttrs: readonly Readonly<Record<string, unknown>>[];
  /** Each trial's (m, 2) [step, value] pairs, capped at `maxIntermediate`; absent when that is 0. */
  readonly intermediate?: readonly (readonly (readonly [number, number])[])[];
  readonly start: readonly (number | null)[];
  readonly complete: readonly (number | null)[];
  /** Position in the columns → the whole trial, for trials the columns cannot describe. */
  readonly own: Readonly<Record<string, TrialJSON>>;
}

/** Every trial's intermediate values, apart from the rest (in the trials' order). */
export interface IntermediateColumnsJSON {
  /** The cap on each trial's intermediate values (as in TrialColumnsJSON), or null. */
  readonly maxIntermediate: number | null;
  readonly trialId: readonly number[];
  /** Each trial's (m, 2) [step, value] pairs. */
  readonly intermediate: readonly (readonly (readonly [number, number])[])[];
}

/** `StudyJSON` with its trials in columns. */
export interface StudyColumnsJSON {
  readonly studyId: number;
  readonly name: string;
  readonly directions: readonly StudyDirection[];
  readonly userAttrs: Readonly<Record<string, unknown>>;
  readonly trials: TrialColumnsJSON;
}

/** `curve` thinned to at most `max` points: the first, the last and evenly spaced ones between. */
export function thinCurve<T>(curve: readonly T[], max: number): readonly T[] {
  if (curve.length <= max) return curve;
  if (max < 2) return curve.slice(0, max);
  const out: T[] = [];
  const stride = (curve.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(curve[Math.round(i * stride)]!);
  return out;
}

/**
 * A distribution's JSON text, the key distributions are compared by. Storages tend to hand out one
 * object per distinct distribution, so the texts are cached by object.
 */
const distributionTexts = new WeakMap<Distribution, string>();
function distributionText(d: Distribution): string {
  let text = distributionTexts.get(d);
  if (text === undefined) distributionTexts.set(d, (text = JSON.stringify(d)));
  return text;
}

function externalOf(d: Distribution, internal: number): ParamValue | undefined {
  return d.type === 'categorical' ? d.choices[internal] : internal;
}

/** Whether the columns describe `t` exactly: the study's distributions, external values derived. */
function fitsColumns(t: TrialJSON, texts: ReadonlyMap<string, string>, distributions: Readonly<Record<string, Distribution>>): boolean {
  const names = Object.keys(t.distributions);
  if (Object.keys(t.params).length !== names.length || Object.keys(t.internalParams).length !== names.length) return false;
  for (const n of names) {
    const internal = t.internalParams[n];
    if (internal === undefined || !Object.is(t.params[n], externalOf(distributions[n]!, internal))) return false;
    if (distributionText(t.distributions[n]!) !== texts.get(n)) return false;
  }
  return true;
}

/** Trials (in number order) in columns; `maxIntermediate` caps each one's intermediate values (null: none). */
export function trialsToColumns(trials: readonly TrialJSON[], maxIntermediate: number | null = null): TrialColumnsJSON {
  const n = trials.length;
  // The most common distribution of each parameter, by its JSON text.
  const counts = new Map<string, Map<string, number>>();
  for (const t of trials) {
    for (const [name, d] of Object.entries(t.distributions)) {
      let byText = counts.get(name);
      if (byText === undefined) counts.set(name, (byText = new Map()));
      const text = distributionText(d);
      byText.set(text, (byText.get(text) ?? 0) + 1);
    }
  }
  const names = [...counts.keys()].sort();
  const distributions: Record<string, Distribution> = {};
  const texts = new Map<string, string>();
  for (const name of names) {
    let best = '';
    let most = -1;
    for (const [text, c] of counts.get(name)!) if (c > most) [best, most] = [text, c];
    texts.set(name, best);
    distributions[name] = JSON.parse(best) as Distribution;
  }
  const params: Record<string, (number | null)[]> = {};
  for (const name of names) params[name] = new Array<number | null>(n).fill(null);
  const own: Record<string, TrialJSON> = {};
  const cap = <T>(curve: readonly T[]): readonly T[] => (maxIntermediate === null ? curve : thinCurve(curve, maxIntermediate));
  const out = {
    trialId: new Array<number>(n),
    number: new Array<number>(n),
    state: new Array<number>(n),
    values: new Array<readonly number[] | null>(n),
    trialUserAttrs: new Array<Readonly<Record<string, unknown>>>(n),
    trialSystemAttrs: new Array<Readonly<Record<string, unknown>>>(n),
    intermediate: new Array<readonly (readonly [number, number])[]>(n),
    start: new Array<number | null>(n),
    complete: new Array<number | null>(n),
  };
  for (let i = 0; i < n; i++) {
    const t = trials[i]!;
    out.trialId[i] = t.trialId;
    out.number[i] = t.number;
    out.state[i] = TRIAL_STATE_NAMES.indexOf(t.state);
    out.values[i] = t.values;
    out.start[i] = t.start;
    out.complete[i] = t.complete;
    if (fitsColumns(t, texts, distributions)) {
      for (const [name, v] of Object.entries(t.internalParams)) params[name]![i] = v;
      out.trialUserAttrs[i] = t.userAttrs;
      out.trialSystemAttrs[i] = t.systemAttrs;
      out.intermediate[i] = cap(t.intermediate);
    } else {
      own[String(i)] = { ...t, intermediate: cap(t.intermediate) };
      out.trialUserAttrs[i] = {};
      out.trialSystemAttrs[i] = {};
      out.intermediate[i] = [];
    }
  }
  const { intermediate, ...rest } = out;
  return maxIntermediate === 0 ? { maxIntermediate, distributions, ...rest, params, own } : { maxIntermediate, distributions, ...out, params, own };
}

/** The trials' intermediate values, each capped at `maxIntermediate` (null: all of them). */
export function intermediateColumns(trials: readonly TrialJSON[], maxIntermediate: number | null = null): IntermediateColumnsJSON {
  return {
    maxIntermediate,
    trialId: trials.map((t) => t.trialId),
    intermediate: trials.map((t) => (maxIntermediate === null ? t.intermediate : thinCurve(t.intermediate, maxIntermediate))),
  };
}

export function studyToColumns(study: StudyJSON, maxIntermediate: number | null = null): StudyColumnsJSON {
  const { trials, ...head } = study;
  return { ...head, trials: trialsToColumns(trials, maxIntermediate) };
}

export function studyFromColumns(study: StudyColumnsJSON): StudyJSON {
  const { trials, ...head } = study;
  return { ...head, trials: trialsFromColumns(trials) };
}

const NO_ATTRS: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_INTERMEDIATE: readonly (readonly [number, number])[] = Object.freeze([]);

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/**
 * The `TrialJSON`s of columns. Trials with the same parameters share one `distributions` object (the
 * records are read-only), so a large study costs no distribution objects per trial.
 */
export function trialsFromColumns(c: TrialColumnsJSON): TrialJSON[] {
  const names = Object.keys(c.distributions);
  const columns = names.map((name) => c.params[name]!);
  const dists = names.map((name) => c.distributions[name]!);
  /** Which parameters a trial has (names joined) → the distributions object such trials share. */
  const shared = new Map<string, Readonly<Record<string, Distribution>>>();
  const n = c.number.length;
  const trials = new Array<TrialJSON>(n);
  for (let i = 0; i < n; i++) {
    const whole = c.own[String(i)];
    if (whole !== undefined) {
      trials[i] = whole;
      continue;
    }
    const params: Record<string, ParamValue> = {};
    const internalParams: Record<string, number> = {};
    let present = 0;
    for (let j = 0; j < names.length; j++) {
      const v = columns[j]![i];
      if (v === null || v === undefined) continue;
      const name = names[j]!;
      const d = dists[j]!;
      internalParams[name] = v;
      params[name] = d.type === 'categorical' ? d.choices[v]! : v;
      present += 1;
    }
    // Most trials have every parameter; the others are keyed by the ones they have.
    const key = present === names.length ? 'all' : `some:${Object.keys(internalParams).join('\u0000')}`;
    let distributions = shared.get(key);
    if (distributions === undefined) {
      const ds: Record<string, Distribution> = {};
      for (const name of Object.keys(internalParams)) ds[name] = c.distributions[name]!;
      shared.set(key, (distributions = Object.freeze(ds)));
    }
    const userAttrs = c.trialUserAttrs[i]!;
    const systemAttrs = c.trialSystemAttrs[i]!;
    trials[i] = {
      trialId: c.trialId[i]!,
      number: c.number[i]!,
      state: TRIAL_STATE_NAMES[c.state[i]!]!,
      values: c.values[i]!,
      params,
      internalParams,
      distributions,
      userAttrs: isEmpty(userAttrs) ? NO_ATTRS : userAttrs,
      systemAttrs: isEmpty(systemAttrs) ? NO_ATTRS : systemAttrs,
      intermediate: c.intermediate?.[i] ?? NO_INTERMEDIATE,
      start: c.start[i]!,
      complete: c.complete[i]!,
    };
  }
  return trials;
}
