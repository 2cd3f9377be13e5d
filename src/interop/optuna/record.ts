/**
 * A study as read from Optuna (a journal or a database), before it is checked against what our storages
 * hold, and the check that turns it into trial templates: every trial and parameter is checked before
 * anything is written, and what cannot be stored as it is throws NotRepresentableError naming it.
 */
import type { Distribution } from '../../distributions/index.js';
import { TunableError } from '../../errors.js';
import type { TrialTemplate } from '../../storage/base.js';
import { canonicalDistribution, checkInternal, checkTemplateRecord } from '../../storage/common.js';
import { TrialState, type StudyDirection } from '../../trial/index.js';
import { jsonValue, string } from '../../validate.js';
import { fromOptunaDistribution } from './distributions.js';
import { NotRepresentableError } from './errors.js';

export interface OptunaTrialRecord {
  readonly number: number;
  readonly state: TrialState;
  /** One per objective, or null; may hold ±Infinity (Optuna keeps them). */
  readonly values: readonly number[] | null;
  /** name → internal value (categorical: the choice index) and Optuna's distribution (JSON text or object). */
  readonly params: Readonly<Record<string, { readonly internal: number; readonly distribution: unknown }>>;
  readonly userAttrs: Readonly<Record<string, unknown>>;
  readonly systemAttrs: Readonly<Record<string, unknown>>;
  /** (m, 2) [step, value] pairs; a value may be NaN or ±Infinity (Optuna keeps them). */
  readonly intermediate: readonly (readonly [number, number])[];
  readonly start: Date | null;
  readonly complete: Date | null;
}

/** What a study is besides its trials, on both sides of the journal. */
export interface StudyHeader {
  readonly name: string;
  readonly directions: readonly StudyDirection[];
  readonly userAttrs: Readonly<Record<string, unknown>>;
  readonly systemAttrs: Readonly<Record<string, unknown>>;
}

export interface OptunaStudyRecord extends StudyHeader {
  /** In number order. */
  readonly trials: readonly OptunaTrialRecord[];
}

/** A study ready to write: every template already passed the checks the storages run. */
export interface CheckedStudy extends StudyHeader {
  readonly templates: readonly TrialTemplate[];
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function checkAttrs(study: string, trial: number | null, kind: string, attrs: Readonly<Record<string, unknown>>): void {
  for (const [k, v] of Object.entries(attrs)) {
    try {
      string(`${kind} key`, k);
      jsonValue(`${kind} ${JSON.stringify(k)}`, v);
    } catch (e) {
      throw new NotRepresentableError(study, trial, `${kind} ${k}`, reason(e));
    }
  }
}

function checkTrial(study: OptunaStudyRecord, t: OptunaTrialRecord): TrialTemplate {
  const params: Record<string, { internal: number; distribution: Distribution }> = {};
  for (const [name, p] of Object.entries(t.params)) {
    let d: Distribution;
    try {
      string('parameter name', name);
      d = canonicalDistribution('distribution', fromOptunaDistribution(p.distribution));
      checkInternal(name, p.internal, d);
    } catch (e) {
      throw new NotRepresentableError(study.name, t.number, name, reason(e));
    }
    params[name] = { internal: p.internal, distribution: d };
  }
  t.values?.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new NotRepresentableError(study.name, t.number, `values[${i}]`, `the value ${v} is not finite (our storages keep finite values only)`);
  });
  for (const [step, v] of t.intermediate) {
    if (!Number.isFinite(v)) {
      throw new NotRepresentableError(study.name, t.number, `intermediate value at step ${step}`, `${v} is not finite (our storages keep finite values only)`);
    }
  }
  checkAttrs(study.name, t.number, 'user attr', t.userAttrs);
  checkAttrs(study.name, t.number, 'system attr', t.systemAttrs);
  const template: TrialTemplate = {
    state: t.state,
    values: t.values,
    intermediateValues: new Map(t.intermediate),
    datetimeStart: t.start,
    datetimeComplete: t.state === TrialState.RUNNING || t.state === TrialState.WAITING ? null : t.complete,
    params,
    userAttrs: t.userAttrs,
    systemAttrs: t.systemAttrs,
  };
  try {
    checkTemplateRecord(template, study.directions.length, 0);
  } catch (e) {
    if (e instanceof TunableError) throw new NotRepresentableError(study.name, t.number, null, reason(e));
    throw e;
  }
  if (t.complete !== null && template.datetimeComplete === null) {
    throw new NotRepresentableError(study.name, t.number, 'datetime_complete', `a ${t.state} trial cannot keep a completion time`);
  }
  return template;
}

/** Checks a whole study; throws NotRepresentableError at the first trial or value our storages cannot keep. */
export function checkStudy(study: OptunaStudyRecord): CheckedStudy {
  try {
    string('study name', study.name);
  } catch (e) {
    throw new NotRepresentableError(study.name, null, null, reason(e));
  }
  checkAttrs(study.name, null, 'study user attr', study.userAttrs);
  checkAttrs(study.name, null, 'study system attr', study.systemAttrs);
  study.trials.forEach((t, i) => {
    if (t.number !== i) throw new NotRepresentableError(study.name, t.number, null, `trial numbers must run 0, 1, 2, ... but trial ${i} has number ${t.number}`);
  });
  return {
    name: study.name,
    directions: study.directions,
    userAttrs: study.userAttrs,
    systemAttrs: study.systemAttrs,
    templates: study.trials.map((t) => checkTrial(study, t)),
  };
}
