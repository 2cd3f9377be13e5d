/**
 * What Optuna 3.1 writes, as our code reads and writes it: the journal's op codes, its integer trial
 * states and study directions, and its datetimes.
 *
 * A journal (JournalFileStorage) is one JSON object per line, each an operation
 * {"op_code", "worker_id", ...fields}, replayed in order: studies are numbered 0, 1, ... by their
 * CREATE_STUDY lines, trials 0, 1, ... across the whole file by their CREATE_TRIAL lines.
 */
import { TrialState, type StudyDirection } from '../../trial/index.js';

export const OP = {
  CREATE_STUDY: 0,
  DELETE_STUDY: 1,
  SET_STUDY_USER_ATTR: 2,
  SET_STUDY_SYSTEM_ATTR: 3,
  CREATE_TRIAL: 4,
  SET_TRIAL_PARAM: 5,
  SET_TRIAL_STATE_VALUES: 6,
  SET_TRIAL_INTERMEDIATE_VALUE: 7,
  SET_TRIAL_USER_ATTR: 8,
  SET_TRIAL_SYSTEM_ATTR: 9,
} as const;

/** optuna.trial.TrialState values (an IntEnum: the journal holds the integers). */
export const STATE_CODES: readonly TrialState[] = [TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.WAITING];

/** optuna.study.StudyDirection values: 0 is NOT_SET, which a study never has once created. */
export const DIRECTION_CODES: Readonly<Record<number, StudyDirection>> = { 1: 'minimize', 2: 'maximize' };

export function directionCode(d: StudyDirection): number {
  return d === 'minimize' ? 1 : 2;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * A Date as Optuna writes datetimes: `datetime.now().isoformat(timespec="microseconds")`, a naive
 * local time (no offset), with our milliseconds as the first three of its six fraction digits.
 */
export function formatDatetime(d: Date): string {
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:` +
    `${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}000`
  );
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * A datetime as Optuna writes it (journal: ISO with `T`; SQLite RDB: with a space): a naive one is this
 * machine's local time, as Optuna reads it. Sub-millisecond digits are dropped (a Date holds
 * milliseconds). Null when `s` is not such a datetime.
 */
export function parseDatetime(s: string): Date | null {
  const m = DATETIME.exec(s);
  if (m === null) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Math.floor(Number(m[7].padEnd(6, '0')) / 1000);
  let date: Date;
  if (m[8] === undefined) {
    date = new Date(y, mo - 1, d, h, mi, sec, ms);
    date.setFullYear(y); // years below 100 would otherwise mean 19xx
  } else {
    const offset = m[8] === 'Z' ? 0 : (m[8][0] === '-' ? -1 : 1) * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6)));
    date = new Date(Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offset * 60_000);
  }
  return Number.isFinite(date.getTime()) ? date : null;
}
