/**
 * Writes a study as Optuna 3.1 journal lines: one CREATE_STUDY, its attributes, and one CREATE_TRIAL per
 * trial carrying the whole trial (state, values, params, attributes, intermediate values, times), the
 * record Optuna itself writes for `study.add_trial`. Everything is checked and rendered before the file is
 * touched; what Optuna would load differently throws NotRepresentableError naming the trial and parameter.
 */
import { randomUUID } from 'node:crypto';
import type { FrozenTrial } from '../../trial/index.js';
import { toOptunaDistribution } from './distributions.js';
import { NotRepresentableError } from './errors.js';
import { OP, STATE_CODES, directionCode, formatDatetime } from './format.js';
import { PyFloat, pyDumps } from './pyjson.js';
import type { StudyHeader } from './record.js';

export interface StudyToWrite extends StudyHeader {
  /** In number order, numbered 0, 1, 2, ... */
  readonly trials: readonly FrozenTrial[];
}

function trialLine(study: StudyToWrite, studyId: number, t: FrozenTrial, worker: string): Record<string, unknown> {
  const distributions: Record<string, string> = {};
  const params: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(t.distributions)) {
    try {
      distributions[name] = toOptunaDistribution(d);
    } catch (e) {
      throw new NotRepresentableError(study.name, t.number, name, (e as Error).message);
    }
    const internal = t.internalParams[name]!;
    // Optuna's internal form: a float for float and int parameters, the choice index (an int) for categorical.
    params[name] = d.type === 'categorical' ? internal : new PyFloat(internal);
  }
  const values = t.values === null ? null : t.values.map((v) => new PyFloat(v));
  const intermediate: Record<string, PyFloat> = {};
  for (const [step, v] of [...t.intermediateValues].sort((a, b) => a[0] - b[0])) intermediate[String(step)] = new PyFloat(v);
  return {
    op_code: OP.CREATE_TRIAL,
    worker_id: worker,
    study_id: studyId,
    datetime_start: t.datetimeStart === null ? null : formatDatetime(t.datetimeStart),
    state: STATE_CODES.indexOf(t.state),
    // Optuna keeps one objective in "value" and several in "values", never both.
    value: values !== null && values.length === 1 ? values[0] : null,
    values: values !== null && values.length > 1 ? values : null,
    // Optuna reads a present "datetime_complete" as a datetime: absent, not null, when there is none.
    ...(t.datetimeComplete === null ? {} : { datetime_complete: formatDatetime(t.datetimeComplete) }),
    distributions,
    params,
    user_attrs: t.userAttrs,
    system_attrs: t.systemAttrs,
    intermediate_values: intermediate,
  };
}

/**
 * The journal lines (each ending in a newline) that create `study` as Optuna's study `studyId` (the
 * number of CREATE_STUDY lines that created a study before it in the file).
 */
export function journalLines(study: StudyToWrite, studyId: number): string {
  // Optuna tells its own writes from others' by worker id ("<uuid>-<thread>"); ours are nobody's.
  const worker = `${randomUUID()}-0`;
  const logs: Record<string, unknown>[] = [
    { op_code: OP.CREATE_STUDY, worker_id: worker, study_name: study.name, directions: study.directions.map(directionCode) },
  ];
  for (const [k, v] of Object.entries(study.userAttrs)) logs.push({ op_code: OP.SET_STUDY_USER_ATTR, worker_id: worker, study_id: studyId, user_attr: { [k]: v } });
  for (const [k, v] of Object.entries(study.systemAttrs)) {
    logs.push({ op_code: OP.SET_STUDY_SYSTEM_ATTR, worker_id: worker, study_id: studyId, system_attr: { [k]: v } });
  }
  study.trials.forEach((t, i) => {
    if (t.number !== i) throw new NotRepresentableError(study.name, t.number, null, `trial numbers must run 0, 1, 2, ... but trial ${i} has number ${t.number}`);
    logs.push(trialLine(study, studyId, t, worker));
  });
  return logs.map((l) => pyDumps(l) + '\n').join('');
}
