/**
 * SQLite storage (`sqlite:<path>`) on better-sqlite3. See ./README.md for the schema, the migrations and
 * the concurrency model. In short:
 * - WAL journal, busy_timeout (30 s by default), foreign keys with ON DELETE CASCADE;
 * - every write is one `BEGIN IMMEDIATE` transaction (the write lock is taken up front, so read-modify-write
 *   sequences such as trial-number assignment are atomic across processes and never deadlock on upgrade);
 * - every write to a trial bumps its `seq` to the study's max + 1, so `seq` orders the changes of a study
 *   in commit order. Each process caches the snapshots it has read and a per-study watermark (the highest
 *   `seq` it has seen): `getAllTrials` reads only the trials whose `seq` is above it — O(changed), not O(all).
 *   Finished trials are immutable, so a cached finished trial is always valid; `getTrial` of an unfinished
 *   one re-reads it only when its `seq` moved.
 */
import { resolve as resolvePath } from 'node:path';
import Database from 'better-sqlite3';
import type { Distribution } from '../distributions/index.js';
import {
  DuplicatedStudyError,
  InvalidArgumentError,
  ParameterConflictError,
  StorageError,
  TunableError,
} from '../errors.js';
import { TrialState, isFinished, type FrozenTrial, type StudyDirection, type StudySummary } from '../trial/index.js';
import { dict } from '../util/dict.js';
import { describe, invalid, nonNegativeNumber } from '../validate.js';
import type { Heartbeats, StaleRetry, Storage, TrialParamWrite, TrialTemplate } from './base.js';
import type { BeatThread } from './beat-thread.js';
import { sqliteBeatThread } from './sqlite-heartbeat.js';
import { timerHeartbeats } from './timer-heartbeat.js';
import {
  EMPTY_MAP,
  canonicalDistribution,
  checkDirections,
  checkFinishedState,
  checkFinite,
  checkId,
  checkInternal,
  checkName,
  checkParamWrites,
  checkStaleMs,
  checkStaleRetry,
  checkStates,
  checkStep,
  checkTemplateRecord,
  startsOnly,
  checkValues,
  closedError,
  decodeAttr,
  distributionFromJson,
  emptyRecord,
  encodeAttr,
  lineage,
  retries,
  retryAttrs,
  staleReason,
  studyNameNotFound,
  studyNotFound,
  trialFinished,
  trialNotFound,
  TrialIndex,
} from './common.js';

type DB = Database.Database;
type Stmt = Database.Statement;

// ---------------------------------------------------------------------------------------------------
// Schema and migrations

/** `PRAGMA application_id` of a tunable database ("TUNA"). */
export const APPLICATION_ID = 0x54554e41;

/** @internal Not in the published .d.ts: its `up` takes a better-sqlite3 connection, whose types consumers need not install. */
export interface Migration {
  /** The schema version this migration produces: migrations are numbered 1, 2, 3, ... */
  readonly version: number;
  readonly description: string;
  /** SQL run with `db.exec`, or a function; either runs inside the migration's transaction. */
  readonly up: string | ((db: DB) => void);
  /**
   * Run with `PRAGMA foreign_keys = OFF` (needed to rebuild a table others reference: dropping it with
   * foreign keys on would cascade). `PRAGMA foreign_key_check` must come back empty before the commit.
   */
  readonly disableForeignKeys?: boolean;
}

/** @internal Schema migrations, applied in order. To change the schema append `{ version: N + 1, ... }`. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: 'initial schema',
    up: `
      PRAGMA application_id = ${APPLICATION_ID};
      CREATE TABLE studies (
        study_id    INTEGER PRIMARY KEY AUTOINCREMENT,
        study_name  TEXT NOT NULL UNIQUE,
        directions  TEXT NOT NULL,             -- JSON array of "minimize" | "maximize"
        created_at  INTEGER NOT NULL           -- ms since the epoch
      );
      CREATE TABLE study_user_attrs (
        study_id    INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
        key         TEXT NOT NULL,
        value_json  TEXT NOT NULL,
        UNIQUE (study_id, key)
      );
      CREATE TABLE study_system_attrs (
        study_id    INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
        key         TEXT NOT NULL,
        value_json  TEXT NOT NULL,
        UNIQUE (study_id, key)
      );
      CREATE TABLE trials (
        trial_id          INTEGER PRIMARY KEY AUTOINCREMENT,
        study_id          INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
        number            INTEGER NOT NULL,
        state             TEXT NOT NULL CHECK (state IN ('RUNNING', 'WAITING', 'COMPLETE', 'PRUNED', 'FAIL')),
        datetime_start    INTEGER,             -- ms since the epoch
        datetime_complete INTEGER,
        heartbeat         INTEGER,             -- ms since the epoch of the last recordHeartbeat
        seq               INTEGER NOT NULL,    -- per-study change counter: max(seq) + 1 on every write
        UNIQUE (study_id, number)
      );
      CREATE INDEX trials_study_seq ON trials(study_id, seq);
      CREATE INDEX trials_study_state ON trials(study_id, state, number);
      CREATE TABLE trial_values (
        trial_id    INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
        objective   INTEGER NOT NULL,
        value       REAL NOT NULL,
        UNIQUE (trial_id, objective)
      );
      CREATE TABLE trial_params (
        trial_id     INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
        name         TEXT NOT NULL,
        internal     REAL NOT NULL,
        distribution TEXT NOT NULL,            -- serializeDistribution()
        UNIQUE (trial_id, name)
      );
      CREATE TABLE trial_intermediate_values (
        trial_id    INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
        step        INTEGER NOT NULL,
        value       REAL NOT NULL,
        UNIQUE (trial_id, step)
      );
      CREATE TABLE trial_user_attrs (
        trial_id    INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
        key         TEXT NOT NULL,
        value_json  TEXT NOT NULL,
        UNIQUE (trial_id, key)
      );
      CREATE TABLE trial_system_attrs (
        trial_id    INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
        key         TEXT NOT NULL,
        value_json  TEXT NOT NULL,
        UNIQUE (trial_id, key)
      );
    `,
  },
]);

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

function userVersion(db: DB): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database to the last version of `migrations` (applied in order, all in one
 * `BEGIN IMMEDIATE` transaction, so concurrent openers migrate once). Refuses a database written by a
 * newer schema, and a non-empty database that is not a tunable one. Returns the versions before and after.
 * @internal (takes a better-sqlite3 connection; see Migration)
 */
export function migrate(db: DB, migrations: readonly Migration[] = MIGRATIONS, location = 'the database'): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new StorageError(`Migration list is not numbered 1..n (entry ${i} has version ${m.version})`);
  });
  const latest = migrations.length;
  const check = (v: number): void => {
    if (v > latest) {
      throw new StorageError(
        `The SQLite database ${location} has schema version ${v}, newer than the version ${latest} this tunable supports; upgrade tunable to open it`,
      );
    }
    if (v > 0 && (db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) {
      throw new StorageError(`${location} is not a tunable database (application_id differs)`);
    }
    if (v === 0) {
      const n = (db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`).get() as { n: number }).n;
      if (n > 0) throw new StorageError(`${location} is not a tunable database (it has tables but no tunable schema version)`);
    }
  };
  // The version and the tables are read in one (deferred, read-only) transaction, so in one snapshot: read
  // apart, another process's migration could commit between them and make a fresh file look foreign.
  const before = db.transaction(() => {
    const v = userVersion(db);
    check(v);
    return v;
  })();
  if (before === latest) return { from: before, to: before };
  const run = db.transaction(() => {
    const from = userVersion(db); // re-read under the write lock: another process may have migrated
    check(from);
    for (const m of migrations) {
      if (m.version <= from) continue;
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
    }
    if (fkOff && (db.pragma('foreign_key_check') as unknown[]).length > 0) {
      throw new StorageError(`Migration to schema version ${latest} left foreign key violations in ${location}`);
    }
    if (from !== latest) db.pragma(`user_version = ${latest}`);
    return from;
  });
  // foreign_keys cannot change inside a transaction: switch it off around the whole run when needed.
  const fkOff = migrations.some((m) => m.version > before && m.disableForeignKeys === true);
  const fkWas = db.pragma('foreign_keys', { simple: true }) as number;
  if (fkOff) db.pragma('foreign_keys = OFF');
  let from: number;
  try {
    from = run.immediate();
  } finally {
    if (fkOff) db.pragma(`foreign_keys = ${fkWas ? 'ON' : 'OFF'}`);
  }
  return { from, to: latest };
}

// ---------------------------------------------------------------------------------------------------

export interface SqliteStorageOptions {
  /** How long a call waits for another process's write lock before failing (default 30 000 ms). */
  readonly busyTimeoutMs?: number;
}

interface TrialRow {
  trial_id: number;
  study_id: number;
  number: number;
  state: TrialState;
  datetime_start: number | null;
  datetime_complete: number | null;
  seq: number;
}

interface ChildRows {
  values: number[] | null;
  params: { name: string; internal: number; distribution: string }[];
  ivs: { step: number; value: number }[];
  ua: { key: string; value_json: string }[];
  sa: { key: string; value_json: string }[];
}

interface StudyCache {
  /** Highest `seq` loaded. */
  seq: number;
  /** Snapshots by number and by state. */
  readonly trials: TrialIndex;
}

const TRIAL_COLS = 't.trial_id, t.study_id, t.number, t.state, t.datetime_start, t.datetime_complete, t.seq';
const NEXT_SEQ = '(SELECT COALESCE(MAX(t2.seq), 0) + 1 FROM trials t2 WHERE t2.study_id = trials.study_id)';
const UNFINISHED = `state IN ('RUNNING', 'WAITING')`;

export class SqliteStorage implements Storage {
  readonly url: string;
  readonly path: string;
  private db: DB | null;
  private readonly stmts = new Map<string, Stmt>();
  private readonly caches = new Map<number, StudyCache>();
  /** Every snapshot this process has read, by trial id, with the `seq` it was read at. */
  private readonly known = new Map<number, { seq: number; studyId: number; trial: FrozenTrial }>();
  private readonly directionsCache = new Map<number, readonly StudyDirection[]>();

  private readonly busyTimeoutMs: number;
  private heartbeatThread: BeatThread | null = null;

  constructor(path: string, options: SqliteStorageOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'a non-empty file path (or ":memory:")', path);
    const timeout = options.busyTimeoutMs ?? 30_000;
    nonNegativeNumber('busyTimeoutMs', timeout);
    this.path = path;
    this.url = `sqlite:${path}`;
    this.busyTimeoutMs = timeout;
    let db: DB | undefined;
    try {
      db = new Database(path, { timeout });
      if (path !== ':memory:') setWal(db);
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, MIGRATIONS, JSON.stringify(path));
    } catch (e) {
      db?.close();
      throw wrap(e, `Cannot open the SQLite database ${JSON.stringify(path)}`);
    }
    this.db = db;
  }

  // ---------------------------------------------------------------------------------------------
  // Studies

  async createStudy(studyName: string, directions: readonly StudyDirection[]): Promise<number> {
    return this.call(() => {
      const name = checkName('studyName', studyName);
      const dirs = checkDirections(directions);
      return this.write(() => {
        if (this.st('SELECT 1 FROM studies WHERE study_name = ?').get(name) !== undefined) throw new DuplicatedStudyError(name);
        const r = this.st('INSERT INTO studies (study_name, directions, created_at) VALUES (?, ?, ?)').run(name, JSON.stringify(dirs), Date.now());
        const id = Number(r.lastInsertRowid);
        this.directionsCache.set(id, Object.freeze(dirs));
        return id;
      });
    });
  }

  async deleteStudy(studyId: number): Promise<void> {
    return this.call(() => {
      const id = checkId('studyId', studyId);
      this.write(() => {
        if (this.st('DELETE FROM studies WHERE study_id = ?').run(id).changes === 0) throw studyNotFound(id);
      });
      this.forget(id);
    });
  }

  async getStudyIdFromName(studyName: string): Promise<number> {
    return this.call(() => {
      const name = checkName('studyName', studyName);
      const row = this.st('SELECT study_id FROM studies WHERE study_name = ?').get(name) as { study_id: number } | undefined;
      if (row === undefined) throw studyNameNotFound(name);
      return row.study_id;
    });
  }

  async getStudyName(studyId: number): Promise<string> {
    return this.call(() => {
      const id = checkId('studyId', studyId);
      const row = this.st('SELECT study_name FROM studies WHERE study_id = ?').get(id) as { study_name: string } | undefined;
      if (row === undefined) throw studyNotFound(id);
      return row.study_name;
    });
  }

  async getStudyDirections(studyId: number): Promise<StudyDirection[]> {
    return this.call(() => this.directions(checkId('studyId', studyId)).slice());
  }

  async getAllStudies(): Promise<StudySummary[]> {
    return this.call(() =>
      this.read(() => {
        const studies = this.st('SELECT study_id, study_name, directions FROM studies ORDER BY study_id').all() as {
          study_id: number;
          study_name: string;
          directions: string;
        }[];
        const counts = new Map<number, { n: number; start: number | null }>();
        for (const r of this.st('SELECT study_id, COUNT(*) AS n, MIN(datetime_start) AS start FROM trials GROUP BY study_id').all() as {
          study_id: number;
          n: number;
          start: number | null;
        }[]) {
          counts.set(r.study_id, { n: r.n, start: r.start });
        }
        const attrs = new Map<number, Record<string, unknown>>();
        for (const r of this.st('SELECT study_id, key, value_json FROM study_user_attrs ORDER BY rowid').all() as {
          study_id: number;
          key: string;
          value_json: string;
        }[]) {
          let a = attrs.get(r.study_id);
          if (a === undefined) attrs.set(r.study_id, (a = {}));
          a[r.key] = decodeAttr(r.value_json);
        }
        return studies.map((s): StudySummary => {
          const directions = Object.freeze(JSON.parse(s.directions) as StudyDirection[]);
          const c = counts.get(s.study_id);
          let best: FrozenTrial | null = null;
          if (directions.length === 1 && c !== undefined) {
            const order = directions[0] === 'maximize' ? 'DESC' : 'ASC';
            const row = this.st(
              `SELECT t.trial_id FROM trials t JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0
               WHERE t.study_id = ? AND t.state = 'COMPLETE' ORDER BY v.value ${order}, t.number LIMIT 1`,
            ).get(s.study_id) as { trial_id: number } | undefined;
            if (row !== undefined) best = this.loadTrial(row.trial_id);
          }
          return Object.freeze({
            studyId: s.study_id,
            studyName: s.study_name,
            directions,
            nTrials: c?.n ?? 0,
            bestTrial: best,
            datetimeStart: c?.start != null ? new Date(c.start) : null,
            userAttrs: Object.freeze(attrs.get(s.study_id) ?? {}),
          });
        });
      }),
    );
  }

  async setStudyUserAttr(studyId: number, key: string, value: unknown): Promise<void> {
    return this.call(() => this.setStudyAttr('study_user_attrs', studyId, key, value));
  }

  async setStudySystemAttr(studyId: number, key: string, value: unknown): Promise<void> {
    return this.call(() => this.setStudyAttr('study_system_attrs', studyId, key, value));
  }

  async setStudySystemAttrIfAbsent(studyId: number, key: string, value: unknown): Promise<boolean> {
    return this.call(() => {
      const id = checkId('studyId', studyId);
      const k = checkName('key', key);
      const json = encodeAttr(k, value);
      return this.write(() => {
        this.requireStudy(id);
        const r = this.st('INSERT INTO study_system_attrs (study_id, key, value_json) VALUES (?, ?, ?) ON CONFLICT (study_id, key) DO NOTHING').run(
          id,
          k,
          json,
        );
        return r.changes === 1;
      });
    });
  }

  async getStudyUserAttrs(studyId: number): Promise<Record<string, unknown>> {
    return this.call(() => this.studyAttrs('study_user_attrs', studyId));
  }

  async getStudySystemAttrs(studyId: number): Promise<Record<string, unknown>> {
    return this.call(() => this.studyAttrs('study_system_attrs', studyId));
  }

  // ---------------------------------------------------------------------------------------------
  // Trials

  async createTrial(studyId: number, template?: TrialTemplate): Promise<FrozenTrial> {
    return this.call(() => {
      const id = checkId('studyId', studyId);
      if (template !== undefined && (template === null || typeof template !== 'object')) {
        throw new InvalidArgumentError(`Expected a trial template object for \`template\` but received ${describe(template)}`);
      }
      // The number of objectives matters only to a template with values (an imported trial).
      const rec = checkTemplateRecord(template, startsOnly(template) ? 1 : this.directions(id).length, Date.now());
      const state = rec.state;
      const params: { name: string; internal: number; d: Distribution; json: string; external: FrozenTrial['params'][string] }[] = [];
      if (template?.params !== undefined) {
        if (template.params === null || typeof template.params !== 'object') throw new InvalidArgumentError('Expected an object for `template.params`');
        for (const [name, p] of Object.entries(template.params)) {
          checkName('param name', name);
          if (p === null || typeof p !== 'object') throw new InvalidArgumentError(`Expected { internal, distribution } for \`template.params.${name}\``);
          const d = canonicalDistribution(`template.params.${name}.distribution`, p.distribution);
          const external = checkInternal(name, p.internal, d);
          params.push({ name, internal: p.internal, d, json: JSON.stringify(d), external });
        }
      }
      const ua = encodeAttrs('template.userAttrs', template?.userAttrs);
      const sa = encodeAttrs('template.systemAttrs', template?.systemAttrs);
      const start = rec.start;
      const { trialId, number } = this.write(() => {
        this.requireStudy(id);
        const next = this.st(
          'SELECT COALESCE(MAX(number) + 1, 0) AS number, (SELECT COALESCE(MAX(seq), 0) + 1 FROM trials WHERE study_id = ?) AS seq FROM trials WHERE study_id = ?',
        ).get(id, id) as { number: number; seq: number };
        const r = this.st('INSERT INTO trials (study_id, number, state, datetime_start, datetime_complete, seq) VALUES (?, ?, ?, ?, ?, ?)').run(
          id,
          next.number,
          state,
          start,
          rec.complete,
          next.seq,
        );
        const tid = Number(r.lastInsertRowid);
        if (rec.values !== null) {
          const ins = this.st('INSERT INTO trial_values (trial_id, objective, value) VALUES (?, ?, ?)');
          rec.values.forEach((v, i) => ins.run(tid, i, v));
        }
        if (rec.intermediate.length > 0) {
          const ins = this.st('INSERT INTO trial_intermediate_values (trial_id, step, value) VALUES (?, ?, ?)');
          for (const [step, v] of rec.intermediate) ins.run(tid, step, v);
        }
        if (params.length > 0) {
          const ins = this.st('INSERT INTO trial_params (trial_id, name, internal, distribution) VALUES (?, ?, ?, ?)');
          for (const p of params) ins.run(tid, p.name, p.internal, p.json);
        }
        if (ua.length > 0) {
          const ins = this.st('INSERT INTO trial_user_attrs (trial_id, key, value_json) VALUES (?, ?, ?)');
          for (const [k, v] of ua) ins.run(tid, k, v);
        }
        if (sa.length > 0) {
          const ins = this.st('INSERT INTO trial_system_attrs (trial_id, key, value_json) VALUES (?, ?, ?)');
          for (const [k, v] of sa) ins.run(tid, k, v);
        }
        return { trialId: tid, number: next.number };
      });
      const p = dict<FrozenTrial['params'][string]>();
      const ip = dict<number>();
      const ds = dict<Distribution>();
      for (const q of params) {
        p[q.name] = q.external;
        ip[q.name] = q.internal;
        ds[q.name] = q.d;
      }
      return Object.freeze({
        trialId,
        number,
        state,
        values: rec.values,
        params: Object.freeze(p),
        internalParams: Object.freeze(ip),
        distributions: Object.freeze(ds),
        userAttrs: decodeAttrRecord(ua),
        systemAttrs: decodeAttrRecord(sa),
        intermediateValues: rec.intermediate.length === 0 ? EMPTY_MAP : new Map(rec.intermediate),
        datetimeStart: start === null ? null : new Date(start),
        datetimeComplete: rec.complete === null ? null : new Date(rec.complete),
      });
    });
  }

  async claimWaitingTrial(studyId: number): Promise<FrozenTrial | null> {
    return this.call(() => {
      const id = checkId('studyId', studyId);
      return this.write(() => {
        this.requireStudy(id);
        const row = this.st(`SELECT trial_id FROM trials WHERE study_id = ? AND state = 'WAITING' ORDER BY number LIMIT 1`).get(id) as
          | { trial_id: number }
          | undefined;
        if (row === undefined) return null;
        this.st(`UPDATE trials SET state = 'RUNNING', datetime_start = ?, seq = ${NEXT_SEQ} WHERE trial_id = ?`).run(Date.now(), row.trial_id);
        return this.loadTrial(row.trial_id);
      });
    });
  }

  async setTrialParam(trialId: number, name: string, internal: number, distribution: Distribution): Promise<void> {
    return this.call(() => {
      const tid = checkId('trialId', trialId);
      const n = checkName('name', name);
      const d = canonicalDistribution('distribution', distribution);
      checkInternal(n, internal, d);
      const json = JSON.stringify(d);
      this.write(() => {
        this.touch(tid);
        const r = this.st(
          `INSERT INTO trial_params (trial_id, name, internal, distribution) VALUES (?, ?, ?, ?)
           ON CONFLICT (trial_id, name) DO UPDATE SET internal = excluded.internal WHERE distribution = excluded.distribution`,
        ).run(tid, n, internal, json);
        if (r.changes === 0) throw new ParameterConflictError(`Parameter ${JSON.stringify(n)} of trial id ${tid} already has a different distribution`);
      });
    });
  }

  async setTrialParams(trialId: number, params: readonly TrialParamWrite[]): Promise<void> {
    return this.call(() => {
      const tid = checkId('trialId', trialId);
      const rows = checkParamWrites(params);
      if (rows.length === 0) return;
      this.write(() => {
        this.touch(tid);
        const insert = this.st(
          `INSERT INTO trial_params (trial_id, name, internal, distribution) VALUES (?, ?, ?, ?)
           ON CONFLICT (trial_id, name) DO UPDATE SET internal = excluded.internal WHERE distribution = excluded.distribution`,
        );
        for (const r of rows) {
          if (insert.run(tid, r.name, r.internal, JSON.stringify(r.distribution)).changes === 0) {
            throw new ParameterConflictError(`Parameter ${JSON.stringify(r.name)} of trial id ${tid} already has a different distribution`);
          }
        }
      });
    });
  }

  async setTrialState(trialId: number, state: TrialState, values?: readonly number[] | null): Promise<void> {
    return this.call(() => {
      const tid = checkId('trialId', trialId);
      const st = checkFinishedState(state);
      if (values !== undefined && values !== null && !Array.isArray(values)) throw invalid('values', 'an array of finite numbers or null', values);
      this.write(() => {
        const row = this.st(
          `UPDATE trials SET state = ?, datetime_complete = ?, seq = ${NEXT_SEQ} WHERE trial_id = ? AND ${UNFINISHED} RETURNING study_id`,
        ).get(st, Date.now(), tid) as { study_id: number } | undefined;
        if (row === undefined) throw this.notWritable(tid);
        const vals = checkValues(st, values, this.directions(row.study_id).length); // throws → rollback
        if (vals !== null) {
          const ins = this.st('INSERT INTO trial_values (trial_id, objective, value) VALUES (?, ?, ?)');
          for (let i = 0; i < vals.length; i++) ins.run(tid, i, vals[i]);
        }
      });
    });
  }

  async setTrialIntermediateValue(trialId: number, step: number, value: number): Promise<void> {
    return this.call(() => {
      const tid = checkId('trialId', trialId);
      const s = checkStep(step);
      const v = checkFinite('value', value);
      this.write(() => {
        const number = this.touch(tid);
        const r = this.st('INSERT INTO trial_intermediate_values (trial_id, step, value) VALUES (?, ?, ?) ON CONFLICT (trial_id, step) DO NOTHING').run(tid, s, v);
        if (r.changes === 0) throw new InvalidArgumentError(`Trial ${number} already has an intermediate value at step ${s}`);
      });
    });
  }

  async setTrialUserAttr(trialId: number, key: string, value: unknown): Promise<void> {
    return this.call(() => this.setTrialAttr('trial_user_attrs', trialId, key, value));
  }

  async setTrialSystemAttr(trialId: number, key: string, value: unknown): Promise<void> {
    return this.call(() => this.setTrialAttr('trial_system_attrs', trialId, key, value));
  }

  async getTrial(trialId: number): Promise<FrozenTrial> {
    return this.call(() => {
      const tid = checkId('trialId', trialId);
      // One primary-key probe: the trial may have been deleted (with its study) by another process.
      const row = this.st('SELECT seq FROM trials WHERE trial_id = ?').get(tid) as { seq: number } | undefined;
      if (row === undefined) {
        this.known.delete(tid);
        throw trialNotFound(tid);
      }
      const hit = this.known.get(tid);
      if (hit !== undefined && hit.seq === row.seq) return hit.trial; // unchanged since read (finished: forever)
      return this.read(() => this.loadTrial(tid));
    });
  }

  async getAllTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    return this.call(() => {
      const id = checkId('studyId', studyId);
      const st = checkStates(states);
      return this.refresh(id).select(st);
    });
  }

  async getNTrials(studyId: number, states?: readonly TrialState[]): Promise<number> {
    return this.call(() => {
      const id = checkId('studyId', studyId);
      const st = checkStates(states);
      return this.refresh(id).count(st);
    });
  }

  async recordHeartbeat(trialId: number): Promise<void> {
    return this.call(() => {
      const tid = checkId('trialId', trialId);
      this.write(() => {
        if (this.st(`UPDATE trials SET heartbeat = ? WHERE trial_id = ? AND ${UNFINISHED}`).run(Date.now(), tid).changes === 0) {
          throw this.notWritable(tid);
        }
      });
    });
  }

  /** Beats from a worker thread with its own connection (sqlite-heartbeat.ts); a private ':memory:' db from a timer. */
  startHeartbeats(intervalMs: number): Heartbeats {
    if (this.db === null) throw closedError(this.url);
    if (this.path === ':memory:') return timerHeartbeats(this, intervalMs);
    this.heartbeatThread ??= sqliteBeatThread(resolvePath(this.path), this.busyTimeoutMs);
    return this.heartbeatThread.handle(intervalMs);
  }

  async failStaleTrials(studyId: number, olderThanMs: number, retry?: StaleRetry): Promise<number[]> {
    return this.call(() => {
      const id = checkId('studyId', studyId);
      const ms = checkStaleMs(olderThanMs);
      const policy = checkStaleRetry(retry);
      return this.write(() => {
        this.requireStudy(id);
        const now = Date.now();
        const stale = this.st(
          `SELECT trial_id, number, COALESCE(heartbeat, datetime_start, 0) AS last FROM trials
           WHERE study_id = ? AND state = 'RUNNING' AND COALESCE(heartbeat, datetime_start, 0) < ? ORDER BY number`,
        ).all(id, now - ms) as { trial_id: number; number: number; last: number }[];
        const fail = this.st(`UPDATE trials SET state = 'FAIL', datetime_complete = ?, seq = ${NEXT_SEQ} WHERE trial_id = ?`);
        const attr = this.st(
          `INSERT INTO trial_system_attrs (trial_id, key, value_json) VALUES (?, 'failReason', ?)
           ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json`,
        );
        for (const t of stale) {
          fail.run(now, t.trial_id);
          attr.run(t.trial_id, JSON.stringify(staleReason(t.last, now, ms)));
        }
        // In the same transaction: a crash cannot leave a trial failed and its retry never enqueued.
        for (const t of stale) this.enqueueRetry(id, t, policy);
        return stale.map((t) => t.number);
      });
    });
  }

  async close(): Promise<void> {
    const db = this.db;
    if (db === null) return;
    this.db = null;
    await this.heartbeatThread?.close();
    this.heartbeatThread = null;
    this.stmts.clear();
    this.caches.clear();
    this.known.clear();
    this.directionsCache.clear();
    try {
      db.close();
    } catch (e) {
      throw wrap(e, `Closing ${this.url} failed`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /** Runs a synchronous body as an async call: checks that the storage is open, wraps SQLite errors. */
  private call<T>(body: () => T): Promise<T> {
    try {
      if (this.db === null) throw closedError(this.url);
      return Promise.resolve(body());
    } catch (e) {
      return Promise.reject(wrap(e, `SQLite storage ${this.url} failed`));
    }
  }

  private get conn(): DB {
    if (this.db === null) throw closedError(this.url);
    return this.db;
  }

  private st(sql: string): Stmt {
    let s = this.stmts.get(sql);
    if (s === undefined) {
      s = this.conn.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** One BEGIN IMMEDIATE transaction. */
  private write<T>(body: () => T): T {
    return this.transaction('BEGIN IMMEDIATE', body);
  }

  /** One read transaction (a consistent snapshot across several SELECTs). */
  private read<T>(body: () => T): T {
    return this.transaction('BEGIN', body);
  }

  /** Runs `body` inside `begin` … COMMIT (ROLLBACK on error); joins a transaction already open. */
  private transaction<T>(begin: 'BEGIN' | 'BEGIN IMMEDIATE', body: () => T): T {
    const db = this.conn;
    if (db.inTransaction) return body();
    this.st(begin).run();
    try {
      const r = body();
      this.st('COMMIT').run();
      return r;
    } catch (e) {
      if (db.inTransaction) this.st('ROLLBACK').run();
      throw e;
    }
  }

  private requireStudy(id: number): void {
    if (this.st('SELECT 1 FROM studies WHERE study_id = ?').get(id) === undefined) {
      this.forget(id);
      throw studyNotFound(id);
    }
  }

  private directions(id: number): readonly StudyDirection[] {
    let d = this.directionsCache.get(id);
    if (d === undefined) {
      const row = this.st('SELECT directions FROM studies WHERE study_id = ?').get(id) as { directions: string } | undefined;
      if (row === undefined) throw studyNotFound(id);
      d = Object.freeze(JSON.parse(row.directions) as StudyDirection[]);
      this.directionsCache.set(id, d);
    }
    return d;
  }

  private forget(studyId: number): void {
    for (const [id, k] of this.known) if (k.studyId === studyId) this.known.delete(id);
    this.caches.delete(studyId);
    this.directionsCache.delete(studyId);
  }

  /**
   * Inside a write transaction: checks that the trial exists and is unfinished and bumps its `seq`.
   * Returns its number.
   */
  private touch(trialId: number): number {
    const row = this.st(`UPDATE trials SET seq = ${NEXT_SEQ} WHERE trial_id = ? AND ${UNFINISHED} RETURNING number`).get(trialId) as
      | { number: number }
      | undefined;
    if (row === undefined) throw this.notWritable(trialId);
    return row.number;
  }

  /**
   * Inside failStaleTrials' transaction: enqueues the retry of a trial it failed, when `policy` retries
   * its lineage (StaleRetry in base.ts): a WAITING trial with the next number, the failed trial's params
   * (rows copied as they are), its lineage and, with `inheritUserAttrs`, its user attributes.
   */
  private enqueueRetry(studyId: number, failed: { trial_id: number; number: number }, policy: StaleRetry | undefined): void {
    const stored = this.st(`SELECT value_json FROM trial_system_attrs WHERE trial_id = ? AND key = 'retryHistory'`).get(failed.trial_id) as
      | { value_json: string }
      | undefined;
    const history = stored === undefined ? [] : lineage(decodeAttr(stored.value_json));
    if (!retries(policy, history)) return;
    const next = this.st(
      'SELECT COALESCE(MAX(number) + 1, 0) AS number, COALESCE(MAX(seq), 0) + 1 AS seq FROM trials WHERE study_id = ?',
    ).get(studyId) as { number: number; seq: number };
    const tid = Number(
      this.st(`INSERT INTO trials (study_id, number, state, datetime_start, seq) VALUES (?, ?, 'WAITING', NULL, ?)`).run(studyId, next.number, next.seq)
        .lastInsertRowid,
    );
    this.st('INSERT INTO trial_params (trial_id, name, internal, distribution) SELECT ?, name, internal, distribution FROM trial_params WHERE trial_id = ? ORDER BY rowid').run(
      tid,
      failed.trial_id,
    );
    if (policy.inheritUserAttrs) {
      this.st('INSERT INTO trial_user_attrs (trial_id, key, value_json) SELECT ?, key, value_json FROM trial_user_attrs WHERE trial_id = ? ORDER BY rowid').run(
        tid,
        failed.trial_id,
      );
    }
    const sys = this.st('INSERT INTO trial_system_attrs (trial_id, key, value_json) VALUES (?, ?, ?)');
    for (const [k, v] of Object.entries(retryAttrs(failed.number, history))) sys.run(tid, k, encodeAttr(k, v));
  }

  private notWritable(trialId: number): Error {
    const row = this.st('SELECT number, state FROM trials WHERE trial_id = ?').get(trialId) as { number: number; state: TrialState } | undefined;
    if (row === undefined) return trialNotFound(trialId);
    return trialFinished(trialId, row.number, row.state);
  }

  private setStudyAttr(table: 'study_user_attrs' | 'study_system_attrs', studyId: number, key: string, value: unknown): void {
    const id = checkId('studyId', studyId);
    const k = checkName('key', key);
    const json = encodeAttr(k, value);
    this.write(() => {
      this.requireStudy(id);
      this.st(`INSERT INTO ${table} (study_id, key, value_json) VALUES (?, ?, ?) ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json`).run(
        id,
        k,
        json,
      );
    });
  }

  private studyAttrs(table: 'study_user_attrs' | 'study_system_attrs', studyId: number): Record<string, unknown> {
    const id = checkId('studyId', studyId);
    return this.read(() => {
      this.requireStudy(id);
      const out = dict<unknown>();
      for (const r of this.st(`SELECT key, value_json FROM ${table} WHERE study_id = ? ORDER BY rowid`).all(id) as { key: string; value_json: string }[]) {
        out[r.key] = decodeAttr(r.value_json);
      }
      return out;
    });
  }

  private setTrialAttr(table: 'trial_user_attrs' | 'trial_system_attrs', trialId: number, key: string, value: unknown): void {
    const tid = checkId('trialId', trialId);
    const k = checkName('key', key);
    const json = encodeAttr(k, value);
    this.write(() => {
      this.touch(tid);
      this.st(`INSERT INTO ${table} (trial_id, key, value_json) VALUES (?, ?, ?) ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json`).run(
        tid,
        k,
        json,
      );
    });
  }

  /** Loads one trial (call inside a transaction for a consistent read). */
  private loadTrial(trialId: number): FrozenTrial {
    const row = this.st(`SELECT ${TRIAL_COLS} FROM trials t WHERE t.trial_id = ?`).get(trialId) as TrialRow | undefined;
    if (row === undefined) throw trialNotFound(trialId);
    const c = emptyChildren();
    for (const r of this.st('SELECT value FROM trial_values WHERE trial_id = ? ORDER BY objective').all(trialId) as { value: number }[]) {
      (c.values ??= []).push(r.value);
    }
    c.params = this.st('SELECT name, internal, distribution FROM trial_params WHERE trial_id = ? ORDER BY rowid').all(trialId) as ChildRows['params'];
    c.ivs = this.st('SELECT step, value FROM trial_intermediate_values WHERE trial_id = ? ORDER BY rowid').all(trialId) as ChildRows['ivs'];
    c.ua = this.st('SELECT key, value_json FROM trial_user_attrs WHERE trial_id = ? ORDER BY rowid').all(trialId) as ChildRows['ua'];
    c.sa = this.st('SELECT key, value_json FROM trial_system_attrs WHERE trial_id = ? ORDER BY rowid').all(trialId) as ChildRows['sa'];
    const t = buildTrial(row, c);
    this.known.set(t.trialId, { seq: row.seq, studyId: row.study_id, trial: t });
    return t;
  }

  /** Brings the study's cache up to date (reading only trials changed since the watermark); returns it. */
  private refresh(studyId: number): TrialIndex {
    return this.read(() => {
      // MAX(seq) is one index probe. Trials are never deleted alone and ids are never reused, so
      // MAX(seq) = 0 means "no trials" — or a deleted study, which requireStudy tells apart.
      const maxSeq = (this.st('SELECT COALESCE(MAX(seq), 0) AS seq FROM trials WHERE study_id = ?').get(studyId) as { seq: number }).seq;
      let cache = this.caches.get(studyId);
      if (maxSeq === 0 || (cache !== undefined && maxSeq < cache.seq)) {
        this.requireStudy(studyId);
        if (cache !== undefined && maxSeq < cache.seq) {
          this.forget(studyId);
          cache = undefined;
        }
      }
      if (cache === undefined) {
        cache = { seq: 0, trials: new TrialIndex() };
        this.caches.set(studyId, cache);
      }
      if (maxSeq === cache.seq) return cache.trials;
      const w = cache.seq;
      const rows = this.st(`SELECT ${TRIAL_COLS} FROM trials t WHERE t.study_id = ? AND t.seq > ? ORDER BY t.seq`).all(studyId, w) as TrialRow[];
      if (rows.length === 0) return cache.trials;
      const children = new Map<number, ChildRows>();
      for (const r of rows) children.set(r.trial_id, emptyChildren());
      const join = (table: string, cols: string, order: string): string =>
        `SELECT c.trial_id, ${cols} FROM trials t JOIN ${table} c ON c.trial_id = t.trial_id WHERE t.study_id = ? AND t.seq > ? ORDER BY ${order}`;
      for (const r of this.st(join('trial_values', 'c.value', 'c.trial_id, c.objective')).all(studyId, w) as { trial_id: number; value: number }[]) {
        const c = children.get(r.trial_id)!;
        (c.values ??= []).push(r.value);
      }
      for (const r of this.st(join('trial_params', 'c.name, c.internal, c.distribution', 'c.rowid')).all(studyId, w) as (ChildRows['params'][number] & {
        trial_id: number;
      })[]) {
        children.get(r.trial_id)!.params.push(r);
      }
      for (const r of this.st(join('trial_intermediate_values', 'c.step, c.value', 'c.rowid')).all(studyId, w) as (ChildRows['ivs'][number] & {
        trial_id: number;
      })[]) {
        children.get(r.trial_id)!.ivs.push(r);
      }
      for (const r of this.st(join('trial_user_attrs', 'c.key, c.value_json', 'c.rowid')).all(studyId, w) as (ChildRows['ua'][number] & {
        trial_id: number;
      })[]) {
        children.get(r.trial_id)!.ua.push(r);
      }
      for (const r of this.st(join('trial_system_attrs', 'c.key, c.value_json', 'c.rowid')).all(studyId, w) as (ChildRows['sa'][number] & {
        trial_id: number;
      })[]) {
        children.get(r.trial_id)!.sa.push(r);
      }
      let seq = w;
      for (const r of rows) {
        const t = buildTrial(r, children.get(r.trial_id)!);
        cache.trials.put(t);
        this.known.set(t.trialId, { seq: r.seq, studyId: r.study_id, trial: t });
        if (r.seq > seq) seq = r.seq;
      }
      cache.seq = seq;
      return cache.trials;
    });
  }
}

// ---------------------------------------------------------------------------------------------------

function emptyChildren(): ChildRows {
  return { values: null, params: [], ivs: [], ua: [], sa: [] };
}

function buildTrial(row: TrialRow, c: ChildRows): FrozenTrial {
  let params: FrozenTrial['params'] = emptyRecord();
  let internalParams: FrozenTrial['internalParams'] = emptyRecord();
  let distributions: FrozenTrial['distributions'] = emptyRecord();
  if (c.params.length > 0) {
    const p = dict<FrozenTrial['params'][string]>();
    const ip = dict<number>();
    const ds = dict<Distribution>();
    for (const r of c.params) {
      const d = distributionFromJson(r.distribution, r.name);
      ds[r.name] = d;
      ip[r.name] = r.internal;
      p[r.name] = d.type === 'categorical' ? d.choices[r.internal]! : r.internal;
    }
    params = Object.freeze(p);
    internalParams = Object.freeze(ip);
    distributions = Object.freeze(ds);
  }
  let ivs: ReadonlyMap<number, number> = EMPTY_MAP;
  if (c.ivs.length > 0) {
    const m = new Map<number, number>();
    for (const r of c.ivs) m.set(r.step, r.value);
    ivs = m;
  }
  return Object.freeze({
    trialId: row.trial_id,
    number: row.number,
    state: row.state,
    values: c.values === null ? null : Object.freeze(c.values),
    params,
    internalParams,
    distributions,
    userAttrs: attrRecord(c.ua),
    systemAttrs: attrRecord(c.sa),
    intermediateValues: ivs,
    datetimeStart: row.datetime_start === null ? null : new Date(row.datetime_start),
    datetimeComplete: row.datetime_complete === null ? null : new Date(row.datetime_complete),
  });
}

function attrRecord(rows: readonly { key: string; value_json: string }[]): Readonly<Record<string, unknown>> {
  if (rows.length === 0) return emptyRecord();
  const out = dict<unknown>();
  for (const r of rows) out[r.key] = decodeAttr(r.value_json);
  return Object.freeze(out);
}

function encodeAttrs(name: string, attrs: unknown): [string, string][] {
  if (attrs === undefined) return [];
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) throw new InvalidArgumentError(`Expected an object for \`${name}\``);
  return Object.entries(attrs).map(([k, v]) => [checkName(`${name} key`, k), encodeAttr(k, v)]);
}

function decodeAttrRecord(entries: readonly [string, string][]): Readonly<Record<string, unknown>> {
  if (entries.length === 0) return emptyRecord();
  const out = dict<unknown>();
  for (const [k, v] of entries) out[k] = decodeAttr(v);
  return Object.freeze(out);
}

/** Switches to WAL, retrying briefly if another process holds a lock while it opens the same file. */
function setWal(db: DB): void {
  for (let attempt = 0; ; attempt++) {
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new StorageError(`Could not switch the SQLite database to WAL (journal_mode is ${String(mode)})`);
      return;
    } catch (e) {
      if (attempt >= 50 || !(e instanceof Database.SqliteError) || !String(e.code).startsWith('SQLITE_BUSY')) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 + Math.random() * 30);
    }
  }
}

/** Typed errors pass through; SQLite and other errors become StorageError (with the original as cause). */
function wrap(e: unknown, context: string): Error {
  if (e instanceof TunableError) return e;
  if (e instanceof Database.SqliteError) {
    return new StorageError(`${context}: ${e.message} (${e.code})`, 'ERR_STORAGE', { cause: e });
  }
  if (e instanceof Error) return new StorageError(`${context}: ${e.message}`, 'ERR_STORAGE', { cause: e });
  return new StorageError(`${context}: ${String(e)}`);
}

