/**
 * Reads an Optuna 3.1 journal (JournalFileStorage) by replaying its operations as Optuna does, so the
 * studies read are the ones Optuna itself would load from the file. Every line is parsed and checked
 * first: a line that does not parse (a corrupt or truncated file), a record without its fields or an op
 * code this reader does not know throws OptunaFormatError with its line number, before anything is
 * written anywhere.
 *
 * Optuna's replay skips, without a word, operations that do not apply (an attribute of a deleted study, a
 * write to a finished trial, a parameter whose distribution conflicts with an earlier trial's): they
 * failed for the worker that wrote them, and Optuna ignores them for everyone else. So do we.
 */
import { readFileSync } from 'node:fs';
import { IOError } from '../../errors.js';
import { TrialState, isFinished, type StudyDirection } from '../../trial/index.js';
import { ioReason } from '../../util/io-reason.js';
import { OptunaFormatError } from './errors.js';
import { DIRECTION_CODES, OP, STATE_CODES, parseDatetime } from './format.js';
import { pyParse, PyJsonError } from './pyjson.js';
import type { OptunaStudyRecord, OptunaTrialRecord } from './record.js';

interface ReplayTrial {
  readonly studyId: number;
  readonly number: number;
  state: TrialState;
  values: number[] | null;
  /** name → internal value and Optuna's distribution JSON text (parsed alongside, for the compatibility rule). */
  params: Map<string, { internal: number; distribution: string; parsed: Record<string, unknown> }>;
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  /** step → value */
  intermediate: Map<number, number>;
  start: Date | null;
  complete: Date | null;
}

interface ReplayStudy {
  readonly name: string;
  readonly directions: StudyDirection[];
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  readonly trialIds: number[];
}

/** The state of a journal after its last line. */
export interface JournalState {
  /** Live studies by Optuna's study id. */
  readonly studies: ReadonlyMap<number, ReplayStudy>;
  /** The id Optuna gives the next CREATE_STUDY. */
  readonly nextStudyId: number;
  readonly trials: readonly ReplayTrial[];
  /** Lines read (the journal's own count of operations). */
  readonly lines: number;
}

type Log = Record<string, unknown>;

/** Reads a field of one log line, checked; errors carry the line number. */
class Line {
  constructor(readonly source: string, readonly n: number, readonly log: Log) {}

  fail(message: string): never {
    throw new OptunaFormatError(this.source, this.n, message);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.log, key);
  }

  raw(key: string): unknown {
    if (!this.has(key)) this.fail(`the op ${String(this.log['op_code'])} record lacks ${JSON.stringify(key)}`);
    return this.log[key];
  }

  int(key: string): number {
    const v = this.raw(key);
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(`expected an integer for ${JSON.stringify(key)}, received ${JSON.stringify(v)}`);
    return v;
  }

  str(key: string): string {
    const v = this.raw(key);
    if (typeof v !== 'string') this.fail(`expected a string for ${JSON.stringify(key)}, received ${JSON.stringify(v)}`);
    return v;
  }

  num(key: string, v: unknown = this.raw(key)): number {
    if (typeof v !== 'number') this.fail(`expected a number for ${JSON.stringify(key)}, received ${JSON.stringify(v)}`);
    return v;
  }

  obj(key: string, v: unknown = this.raw(key)): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(`expected an object for ${JSON.stringify(key)}, received ${JSON.stringify(v)}`);
    return v as Record<string, unknown>;
  }

  /** A one-key {key: value} attribute record. */
  attr(key: string): [string, unknown] {
    const entries = Object.entries(this.obj(key));
    if (entries.length !== 1) this.fail(`expected one key in ${JSON.stringify(key)}, received ${entries.length}`);
    return entries[0]!;
  }

  numbers(key: string, v: unknown = this.raw(key)): number[] | null {
    if (v === null) return null;
    if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number')) this.fail(`expected a list of numbers or null for ${JSON.stringify(key)}`);
    return v as number[];
  }

  state(key: string): TrialState {
    const code = this.int(key);
    const s = STATE_CODES[code];
    if (s === undefined) this.fail(`unknown trial state ${code} (Optuna 3.1 has 0-4)`);
    return s;
  }

  datetime(key: string): Date | null {
    const v = this.raw(key);
    if (v === null) return null;
    const d = typeof v === 'string' ? parseDatetime(v) : null;
    if (d === null) this.fail(`expected an ISO datetime or null for ${JSON.stringify(key)}, received ${JSON.stringify(v)}`);
    return d;
  }

  /** A distribution's JSON text, parsed far enough to compare it with another. */
  distribution(key: string, v: unknown): { text: string; parsed: Record<string, unknown> } {
    if (typeof v !== 'string') this.fail(`expected a distribution's JSON text for ${key}, received ${JSON.stringify(v)}`);
    let parsed: unknown;
    try {
      parsed = pyParse(v);
    } catch (e) {
      this.fail(`the distribution of ${key} does not parse: ${(e as Error).message}`);
    }
    return { text: v, parsed: this.obj(key, parsed) };
  }
}

/** Python equality of two categorical choices (1 == 1.0 == True; NaN equals NaN, as Optuna compares them). */
function choiceEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const numeric = (x: unknown) => typeof x === 'number' || typeof x === 'boolean';
  if (numeric(a) && numeric(b)) return Number(a) === Number(b) || (Number.isNaN(a) && Number.isNaN(b));
  return false;
}

/** Optuna's check_distribution_compatibility: same class, same `log`, same categorical choices. */
function compatible(old: Record<string, unknown>, neu: Record<string, unknown>): boolean {
  if (old['name'] !== neu['name']) return false;
  const a = (old['attributes'] ?? {}) as Record<string, unknown>;
  const b = (neu['attributes'] ?? {}) as Record<string, unknown>;
  if (old['name'] === 'CategoricalDistribution') {
    const ca = a['choices'];
    const cb = b['choices'];
    return Array.isArray(ca) && Array.isArray(cb) && ca.length === cb.length && ca.every((c, i) => choiceEqual(c, cb[i]));
  }
  return a['log'] === b['log'];
}

/** Replays the text of a journal; `source` names it in errors. */
export function replayJournal(text: string, source: string): JournalState {
  const studies = new Map<number, ReplayStudy>();
  const trials: ReplayTrial[] = [];
  let nextStudyId = 0;
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  if (text.length === 0) lines.length = 0;

  const updatable = (id: number): ReplayTrial | null => {
    const t = trials[id];
    return t !== undefined && studies.has(t.studyId) && !isFinished(t.state) ? t : null;
  };

  lines.forEach((text, i) => {
    const n = i + 1;
    let parsed: unknown;
    try {
      parsed = pyParse(text);
    } catch (e) {
      const why = e instanceof PyJsonError ? e.message : String(e);
      const cut = i === lines.length - 1 && !complete;
      throw new OptunaFormatError(source, n, `${cut ? 'the last line is cut short (a truncated journal)' : 'the line is not JSON'}: ${why}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new OptunaFormatError(source, n, `expected a JSON object per line, received ${JSON.stringify(parsed)}`);
    }
    const l: Line = new Line(source, n, parsed as Log);
    const op = l.int('op_code');
    l.str('worker_id');
    switch (op) {
      case OP.CREATE_STUDY: {
        const name = l.str('study_name');
        const dirs = l.raw('directions');
        if (!Array.isArray(dirs) || dirs.length === 0) l.fail(`expected a list of directions, received ${JSON.stringify(dirs)}`);
        const directions = dirs.map((d) => {
          const dir = typeof d === 'number' ? DIRECTION_CODES[d] : undefined;
          if (dir === undefined) l.fail(`unknown study direction ${JSON.stringify(d)} (1: minimize, 2: maximize)`);
          return dir;
        });
        if ([...studies.values()].some((s) => s.name === name)) break; // Optuna's duplicate: not created
        studies.set(nextStudyId++, { name, directions, userAttrs: {}, systemAttrs: {}, trialIds: [] });
        break;
      }
      case OP.DELETE_STUDY:
        studies.delete(l.int('study_id'));
        break;
      case OP.SET_STUDY_USER_ATTR:
      case OP.SET_STUDY_SYSTEM_ATTR: {
        const s = studies.get(l.int('study_id'));
        const user = op === OP.SET_STUDY_USER_ATTR;
        const [k, v] = l.attr(user ? 'user_attr' : 'system_attr');
        if (s === undefined) break;
        if (user) s.userAttrs = { ...s.userAttrs, [k]: v };
        else s.systemAttrs = { ...s.systemAttrs, [k]: v };
        break;
      }
      case OP.CREATE_TRIAL: {
        const studyId = l.int('study_id');
        const state = l.has('state') ? l.state('state') : TrialState.RUNNING;
        const value = l.has('value') ? l.raw('value') : null;
        const values = l.has('values') ? l.numbers('values') : null;
        if (value !== null && values !== null) l.fail('a trial record with both "value" and "values"');
        const start = l.datetime('datetime_start');
        const completeAt = l.has('datetime_complete') ? l.datetime('datetime_complete') : null;
        const dists = l.has('distributions') ? l.obj('distributions') : {};
        const internals = l.has('params') ? l.obj('params') : {};
        const params: ReplayTrial['params'] = new Map();
        for (const [name, internal] of Object.entries(internals)) {
          if (!Object.hasOwn(dists, name)) l.fail(`parameter ${JSON.stringify(name)} has no distribution`);
          const d = l.distribution(`parameter ${JSON.stringify(name)}`, dists[name]);
          params.set(name, { internal: l.num(`params.${name}`, internal), distribution: d.text, parsed: d.parsed });
        }
        const intermediate = new Map<number, number>();
        for (const [k, v] of Object.entries(l.has('intermediate_values') ? l.obj('intermediate_values') : {})) {
          const step = Number(k);
          if (!/^-?\d+$/.test(k) || !Number.isSafeInteger(step)) l.fail(`expected an integer step in "intermediate_values", received ${JSON.stringify(k)}`);
          intermediate.set(step, l.num(`intermediate_values.${k}`, v));
        }
        const userAttrs = l.has('user_attrs') ? l.obj('user_attrs') : {};
        const systemAttrs = l.has('system_attrs') ? l.obj('system_attrs') : {};
        const s = studies.get(studyId);
        if (s === undefined) break;
        s.trialIds.push(trials.length);
        trials.push({
          studyId,
          number: s.trialIds.length - 1,
          state,
          values: value !== null ? [l.num('value', value)] : values,
          params,
          userAttrs,
          systemAttrs,
          intermediate,
          start,
          complete: completeAt,
        });
        break;
      }
      case OP.SET_TRIAL_PARAM: {
        const t = updatable(l.int('trial_id'));
        const name = l.str('param_name');
        const internal = l.num('param_value_internal');
        const d = l.distribution(`parameter ${JSON.stringify(name)}`, l.raw('distribution'));
        if (t === null) break;
        const first = studies
          .get(t.studyId)!
          .trialIds.map((id) => trials[id]!)
          .find((p) => p.params.has(name));
        if (first !== undefined && !compatible(first.params.get(name)!.parsed, d.parsed)) break;
        t.params = new Map(t.params).set(name, { internal, distribution: d.text, parsed: d.parsed });
        break;
      }
      case OP.SET_TRIAL_STATE_VALUES: {
        const t = updatable(l.int('trial_id'));
        const state = l.state('state');
        const values = l.numbers('values');
        const start = state === TrialState.RUNNING ? l.datetime('datetime_start') : null;
        const done = isFinished(state) ? l.datetime('datetime_complete') : null;
        if (t === null || (state === TrialState.RUNNING && t.state === TrialState.RUNNING)) break;
        if (state === TrialState.RUNNING) t.start = start;
        if (isFinished(state)) t.complete = done;
        t.state = state;
        if (values !== null) t.values = values;
        break;
      }
      case OP.SET_TRIAL_INTERMEDIATE_VALUE: {
        const t = updatable(l.int('trial_id'));
        const step = l.int('step');
        const v = l.num('intermediate_value');
        if (t !== null) t.intermediate.set(step, v);
        break;
      }
      case OP.SET_TRIAL_USER_ATTR:
      case OP.SET_TRIAL_SYSTEM_ATTR: {
        const t = updatable(l.int('trial_id'));
        const user = op === OP.SET_TRIAL_USER_ATTR;
        const [k, v] = l.attr(user ? 'user_attr' : 'system_attr');
        if (t === null) break;
        if (user) t.userAttrs = { ...t.userAttrs, [k]: v };
        else t.systemAttrs = { ...t.systemAttrs, [k]: v };
        break;
      }
      default:
        l.fail(`unknown op_code ${op}: this reader knows the op codes 0-9 of Optuna 3.1's journal (a newer Optuna may have written this file)`);
    }
  });
  return { studies, nextStudyId, trials, lines: lines.length };
}

export function readJournalText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new IOError(`Cannot read the Optuna journal ${JSON.stringify(file)}: ${ioReason(err)}`);
  }
}

function record(state: JournalState, s: ReplayStudy): OptunaStudyRecord {
  const trials: OptunaTrialRecord[] = s.trialIds.map((id) => {
    const t = state.trials[id]!;
    const params: Record<string, { internal: number; distribution: unknown }> = {};
    for (const [name, p] of t.params) params[name] = { internal: p.internal, distribution: p.distribution };
    return {
      number: t.number,
      state: t.state,
      values: t.values,
      params,
      userAttrs: t.userAttrs,
      systemAttrs: t.systemAttrs,
      intermediate: [...t.intermediate].sort((a, b) => a[0] - b[0]),
      start: t.start,
      complete: t.complete,
    };
  });
  return { name: s.name, directions: s.directions, userAttrs: s.userAttrs, systemAttrs: s.systemAttrs, trials };
}

/** The studies of a journal as Optuna would load them, in creation order. */
export function journalStudies(state: JournalState): OptunaStudyRecord[] {
  return [...state.studies.values()].map((s) => record(state, s));
}
