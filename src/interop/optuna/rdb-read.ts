/**
 * Reads one study from an Optuna 3.x relational database (RDBStorage, schema version 12: the tables of
 * optuna/storages/_rdb/models.py) in SQLite (`sqlite:///relative.db`, `sqlite:////absolute.db`) or
 * PostgreSQL (`postgresql://…`, also `postgresql+psycopg2://…`). Read only; nothing is written there.
 *
 * Optuna stores enums by name (state 'COMPLETE', direction 'MINIMIZE'), infinite values as a type column
 * beside a null value, attributes as JSON text, and datetimes as naive local times (read as this
 * machine's local time, as Optuna reads them).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { InvalidArgumentError, NotFoundError, StorageError } from '../../errors.js';
import { TrialState, type StudyDirection } from '../../trial/index.js';
import { describe } from '../../validate.js';
import { OptunaFormatError } from './errors.js';
import { parseDatetime } from './format.js';
import { pyParse } from './pyjson.js';
import type { OptunaStudyRecord, OptunaTrialRecord } from './record.js';

/** The schema version of Optuna 3.0 and later (models.py SCHEMA_VERSION). */
const SCHEMA_VERSION = 12;

type Row = Record<string, unknown>;

/** Runs a query with `?` placeholders; both engines answer rows of plain values. */
type Query = (sql: string, params: readonly unknown[]) => Promise<Row[]>;

/** The URL without its password, for messages. */
function redact(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

function sqlitePath(url: string): string | null {
  const m = /^sqlite:\/\/\/(.+)$/.exec(url);
  return m === null ? null : m[1]!;
}

function postgresUrl(url: string): string | null {
  const m = /^(?:postgresql|postgres)(?:\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(url);
  return m === null ? null : `postgresql://${m[1]!}`;
}

/** Opens the database behind an Optuna RDB URL and runs `f` with a query function; closes it after. */
async function withDatabase<T>(url: string, f: (query: Query) => Promise<T>): Promise<T> {
  const file = sqlitePath(url);
  if (file !== null) {
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
    } catch (e) {
      throw new StorageError(`Cannot open the Optuna SQLite database ${JSON.stringify(file)}: ${(e as Error).message}`);
    }
    try {
      return await f(async (sql, params) => db.prepare(sql).all(...params) as Row[]);
    } finally {
      db.close();
    }
  }
  const pgUrl = postgresUrl(url);
  if (pgUrl === null) {
    throw new InvalidArgumentError(`Expected an Optuna RDB URL "sqlite:///<file>" or "postgresql://…" for \`url\` but received ${describe(redact(url))}`);
  }
  // Timestamps as the text the server holds, read by parseDatetime like SQLite's (pg's own parse differs).
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === pg.types.builtins.TIMESTAMP ? (s: string) => s : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
  };
  const client = new pg.Client({ connectionString: pgUrl, types });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new StorageError(`Cannot connect to the Optuna database ${redact(url)}: ${(e as Error).message}`);
  }
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'); // one snapshot for every table
    return await f(async (sql, params) => {
      let n = 0;
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params as unknown[])).rows as Row[];
    });
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

const STATES: Readonly<Record<string, TrialState>> = {
  RUNNING: TrialState.RUNNING,
  COMPLETE: TrialState.COMPLETE,
  PRUNED: TrialState.PRUNED,
  FAIL: TrialState.FAIL,
  WAITING: TrialState.WAITING,
};

/** A stored float beside its type column: Optuna keeps ±inf (and NaN for intermediate values) as a type. */
function typedValue(value: unknown, type: unknown): number {
  switch (type) {
    case 'INF_POS':
      return Infinity;
    case 'INF_NEG':
      return -Infinity;
    case 'NAN':
      return NaN;
    default:
      return Number(value);
  }
}

/** Reads the study `studyName` of the Optuna database at `url`. */
export async function readRdbStudy(url: string, studyName: string): Promise<OptunaStudyRecord> {
  const where = redact(url);
  const bad = (message: string) => new OptunaFormatError(where, null, message);
  return withDatabase(url, async (raw) => {
    const query: Query = async (sql, params) => {
      try {
        return await raw(sql, params);
      } catch (e) {
        throw bad(`the query of ${sql.split(/\s+/).slice(0, 4).join(' ')} … failed (${(e as Error).message}): not an Optuna 3.x database?`);
      }
    };
    const version = (await query('SELECT schema_version, library_version FROM version_info', []))[0];
    if (version === undefined || Number(version['schema_version']) !== SCHEMA_VERSION) {
      throw bad(
        `schema version ${String(version?.['schema_version'])} (Optuna ${String(version?.['library_version'])}); this reader knows schema version ${SCHEMA_VERSION} (Optuna 3.x)`,
      );
    }
    const study = (await query('SELECT study_id FROM studies WHERE study_name = ?', [studyName]))[0];
    if (study === undefined) {
      const names = (await query('SELECT study_name FROM studies ORDER BY study_id', [])).map((r) => String(r['study_name']));
      throw new NotFoundError(`No study named ${JSON.stringify(studyName)} in the Optuna database ${where} (its studies: ${JSON.stringify(names)})`);
    }
    const sid = Number(study['study_id']);
    const json = (text: unknown, what: string): unknown => {
      try {
        return pyParse(String(text));
      } catch (e) {
        throw bad(`${what} is not JSON: ${(e as Error).message}`);
      }
    };
    const attrs = (rows: Row[], what: string): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const r of rows) Object.defineProperty(out, String(r['key']), { value: json(r['value_json'], `${what} ${String(r['key'])}`), enumerable: true, writable: true, configurable: true });
      return out;
    };
    const directions: StudyDirection[] = (await query('SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective', [sid])).map((r) => {
      if (r['direction'] === 'MINIMIZE') return 'minimize';
      if (r['direction'] === 'MAXIMIZE') return 'maximize';
      throw bad(`study ${JSON.stringify(studyName)} has the direction ${JSON.stringify(r['direction'])}`);
    });
    const userAttrs = attrs(await query('SELECT key, value_json FROM study_user_attributes WHERE study_id = ? ORDER BY study_user_attribute_id', [sid]), 'study user attr');
    const systemAttrs = attrs(await query('SELECT key, value_json FROM study_system_attributes WHERE study_id = ? ORDER BY study_system_attribute_id', [sid]), 'study system attr');

    const ofStudy = 'trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?)';
    const byTrial = (rows: Row[]) => {
      const m = new Map<number, Row[]>();
      for (const r of rows) {
        const id = Number(r['trial_id']);
        let list = m.get(id);
        if (list === undefined) m.set(id, (list = []));
        list.push(r);
      }
      return m;
    };
    const params = byTrial(await query(`SELECT trial_id, param_name, param_value, distribution_json FROM trial_params WHERE ${ofStudy} ORDER BY param_id`, [sid]));
    const values = byTrial(await query(`SELECT trial_id, objective, value, value_type FROM trial_values WHERE ${ofStudy} ORDER BY objective`, [sid]));
    const inter = byTrial(
      await query(`SELECT trial_id, step, intermediate_value, intermediate_value_type FROM trial_intermediate_values WHERE ${ofStudy} ORDER BY step`, [sid]),
    );
    const ua = byTrial(await query(`SELECT trial_id, key, value_json FROM trial_user_attributes WHERE ${ofStudy} ORDER BY trial_user_attribute_id`, [sid]));
    const sa = byTrial(await query(`SELECT trial_id, key, value_json FROM trial_system_attributes WHERE ${ofStudy} ORDER BY trial_system_attribute_id`, [sid]));

    const time = (v: unknown, what: string): Date | null => {
      if (v === null || v === undefined) return null;
      const d = parseDatetime(String(v));
      if (d === null) throw bad(`${what} ${JSON.stringify(v)} is not a datetime`);
      return d;
    };
    const trialRows = await query('SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials WHERE study_id = ? ORDER BY trial_id', [sid]);
    const trials: OptunaTrialRecord[] = trialRows.map((r) => {
      const id = Number(r['trial_id']);
      const number = Number(r['number']);
      const state = STATES[String(r['state'])];
      if (state === undefined) throw bad(`trial ${number} has the state ${JSON.stringify(r['state'])}`);
      const p: Record<string, { internal: number; distribution: unknown }> = {};
      for (const q of params.get(id) ?? []) p[String(q['param_name'])] = { internal: Number(q['param_value']), distribution: String(q['distribution_json']) };
      const vs = values.get(id);
      return {
        number,
        state,
        values: vs === undefined ? null : vs.map((v) => typedValue(v['value'], v['value_type'])),
        params: p,
        userAttrs: attrs(ua.get(id) ?? [], `trial ${number} user attr`),
        systemAttrs: attrs(sa.get(id) ?? [], `trial ${number} system attr`),
        intermediate: (inter.get(id) ?? []).map((v) => [Number(v['step']), typedValue(v['intermediate_value'], v['intermediate_value_type'])] as const),
        start: time(r['datetime_start'], `trial ${number} datetime_start`),
        complete: time(r['datetime_complete'], `trial ${number} datetime_complete`),
      };
    });
    return { name: studyName, directions, userAttrs, systemAttrs, trials };
  });
}
