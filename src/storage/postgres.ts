/**
 * PostgreSQL storage (`postgresql://user:password@host:port/database?schema=NAME`) on node-postgres, for
 * many worker processes on many machines sharing one study. See ./README.md for the schema, the
 * migrations and the concurrency model. In short:
 * - every write is ONE round trip: a call of a plpgsql function (postgres-schema.ts) that locks, checks,
 *   writes and answers in one transaction; refusals come back as SQLSTATEs of class TU and become the
 *   typed errors here;
 * - trial writes lock the study's row and bump its `seq`, so trial numbers are gap-free and `seq` orders a
 *   study's changes in commit order. Each storage caches the snapshots it has read and, per study, the
 *   `seq` it has seen: `getAllTrials` reads, in one statement, the study's `seq` and only the trials
 *   changed since — O(changed). Finished trials never change, so a cached one stays valid;
 * - timestamps (start, completion, heartbeats) are the server's clock, so workers on machines whose
 *   clocks disagree judge staleness alike;
 * - dropped connections, restarts, serialisation failures and deadlocks are retried with backoff
 *   (postgres-retry.ts); each write carries a request id recorded in its transaction, so a write retried
 *   after its commit was acknowledged but the reply was lost is not applied twice.
 * The constructor is synchronous and connects nothing: the pool connects, and the schema is migrated,
 * on the first call.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Distribution } from '../distributions/index.js';
import { DuplicatedStudyError, InvalidArgumentError, ParameterConflictError, StorageError, TunableError } from '../errors.js';
import { TrialState, isFinished, type FrozenTrial, type StudyDirection, type StudySummary } from '../trial/index.js';
import { dict } from '../util/dict.js';
import { withKeyedLock } from '../util/keyed-lock.js';
import { describe, invalid, positiveNumber } from '../validate.js';
import type { Heartbeats, StaleRetry, Storage, TrialParamWrite, TrialTemplate } from './base.js';
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
  type TemplateRecord,
  checkValues,
  closedError,
  decodeAttr,
  distributionFromJson,
  emptyRecord,
  encodeAttr,
  studyNameNotFound,
  studyNotFound,
  trialFinished,
  trialNotFound,
  TrialIndex,
} from './common.js';
import type { BeatThread } from './beat-thread.js';
import { postgresBeatThread, type HeartbeatConnection } from './postgres-heartbeat.js';
import { backoffMs, classify, describeCause, isRequestRace, sleep, type Failure } from './postgres-retry.js';
import { LOCK_NAMESPACE, PG_ERRORS, lockKeys, migrate, statements, type Statement, type Statements } from './postgres-schema.js';
import { parsePostgresUrl, quoteIdent, type PostgresConfig, type PostgresStorageOptions } from './postgres-url.js';

export type { PostgresStorageOptions } from './postgres-url.js';
export { POSTGRES_DEFAULTS } from './postgres-url.js';

/**
 * A trial as the server sends it (trialJson of postgres-schema.ts):
 * [trial_id, number, state, start_ms, complete_ms, seq, study_id, values, params, intermediate, user_attrs, system_attrs].
 */
type TrialTuple = [
  trialId: number,
  number: number,
  state: TrialState,
  startMs: number | null,
  completeMs: number | null,
  seq: number,
  studyId: number,
  values: number[] | null,
  params: [name: string, internal: number, distribution: string][] | null,
  intermediate: [step: number, value: number][] | null,
  userAttrs: [key: string, valueJson: string][] | null,
  systemAttrs: [key: string, valueJson: string][] | null,
];

/** A lazy write acknowledged at `at` (performance.now(), ms), kept until a flushed commit covers it. */
interface Unsynced {
  readonly stmt: Statement;
  /** Its arguments, request id first: a replay sends them again. */
  readonly args: readonly unknown[];
  readonly at: number;
}

/** How many times one write may meet its own earlier attempt in `tunable_requests` with no result found (#send). */
const REQUEST_RACE_ATTEMPTS = 3;

/**
 * How long a lazy write is kept for replay at most. The server flushes an asynchronous commit within three
 * times `wal_writer_delay` (at most 30 s), whatever else happens.
 */
const UNSYNCED_HORIZON_MS = 60_000;

interface StudyCache {
  /** The study's `seq` at the last read: every change up to it is loaded. */
  seq: number;
  readonly trials: TrialIndex;
}

interface Known {
  readonly seq: number;
  readonly studyId: number;
  readonly trial: FrozenTrial;
}

/** bigint columns (ids, seq, counts) as JS numbers: they stay far below 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** A float8 parameter as text, exactly (String() writes the shortest round-trip form; -0 keeps its sign). */
function float8(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/** PostgreSQL text cannot hold U+0000: names with it are refused (README). */
function noNul(name: string, value: string): string {
  if (value.includes('\u0000')) {
    throw new InvalidArgumentError(
      `Expected a string without NUL characters (PostgreSQL text cannot store U+0000) for \`${name}\` but received ${describe(value)}`,
    );
  }
  return value;
}

function pgName(name: string, value: unknown): string {
  return noNul(name, checkName(name, value));
}

export class PostgresStorage implements Storage {
  /** The URL with the password shown as `***`. */
  readonly url: string;
  /** The schema holding the tables. */
  readonly schema: string;
  readonly #config: PostgresConfig;
  readonly #sql: Statements;
  #pool: pg.Pool | null;
  /** The schema is migrated (set once the first call's migration succeeded). */
  #ready = false;
  #opening: Promise<void> | null = null;
  /** A connection has succeeded once: from then on failures are retried for retryTimeoutMs. */
  #established = false;
  #heartbeats: BeatThread | null = null;
  readonly #caches = new Map<number, StudyCache>();
  /** Every snapshot this storage has read or written, by trial id, with the `seq` it was read at. */
  readonly #known = new Map<number, Known>();
  readonly #directions = new Map<number, readonly StudyDirection[]>();
  /** The tail of each in-process queue for a study lock (withStudyLock). */
  /** Lazy writes not yet known to be flushed, in acknowledgement order. */
  readonly #unsynced: Unsynced[] = [];
  /** A connection was lost since the last replay: the server may have crashed and lost lazy writes. */
  #suspect = false;
  #replaying: Promise<void> | null = null;

  constructor(url: string, options?: PostgresStorageOptions) {
    const config = parsePostgresUrl(url, options);
    this.#config = config;
    this.url = config.url;
    this.schema = config.schema;
    this.#sql = statements(quoteIdent(config.schema));
    const connectTimeoutMs = config.connectTimeoutMs;
    // The connect timeout belongs to each connection attempt, not to a wait for a free pool slot (a held
    // study lock may keep a slot for long), so it is set on the client class, not on the pool.
    class TimedClient extends pg.Client {
      constructor(settings?: pg.ClientConfig) {
        super({ ...settings, connectionTimeoutMillis: Math.ceil(connectTimeoutMs) });
      }
    }
    const pool = new pg.Pool({
      ...this.#connection(),
      password: config.password,
      max: config.poolSize,
      idleTimeoutMillis: 60_000,
      allowExitOnIdle: true,
      Client: TimedClient,
      types: TYPES,
    });
    // A pooled connection that dies (a restart, pg_terminate_backend) is removed by the pool; the next
    // call retries on a new one. Without these listeners the error would be thrown at the process.
    pool.on('error', () => {
      this.#suspect = true;
    });
    pool.on('connect', (client) => client.on('error', () => undefined));
    this.#pool = pool;
  }

  // ---------------------------------------------------------------------------------------------
  // Studies

  async createStudy(studyName: string, directions: readonly StudyDirection[]): Promise<number> {
    return this.#call(async () => {
      const name = pgName('studyName', studyName);
      const dirs = checkDirections(directions);
      const id = (await this.#write(this.#sql.createStudy, [name, JSON.stringify(dirs), dirs.length])) as number;
      this.#directions.set(id, Object.freeze(dirs));
      return id;
    });
  }

  async deleteStudy(studyId: number): Promise<void> {
    return this.#call(async () => {
      const id = checkId('studyId', studyId);
      try {
        await this.#write(this.#sql.deleteStudy, [id]);
      } finally {
        this.#forget(id);
      }
    });
  }

  async getStudyIdFromName(studyName: string): Promise<number> {
    return this.#call(async () => {
      const name = checkName('studyName', studyName);
      if (name.includes('\u0000')) throw studyNameNotFound(name); // no stored name has one
      const row = (await this.#read<{ study_id: number }>(this.#sql.studyIdByName, [name]))[0];
      if (row === undefined) throw studyNameNotFound(name);
      return row.study_id;
    });
  }

  async getStudyName(studyId: number): Promise<string> {
    return this.#call(async () => {
      const id = checkId('studyId', studyId);
      const row = (await this.#read<{ study_name: string }>(this.#sql.studyName, [id]))[0];
      if (row === undefined) throw studyNotFound(id);
      return row.study_name;
    });
  }

  async getStudyDirections(studyId: number): Promise<StudyDirection[]> {
    return this.#call(async () => (await this.#studyDirections(checkId('studyId', studyId))).slice());
  }

  async getAllStudies(): Promise<StudySummary[]> {
    return this.#call(async () => {
      const rows = await this.#read<{
        study_id: number;
        study_name: string;
        directions: string;
        n: number;
        start_ms: number | null;
        attrs: [string, string][] | null;
        best: TrialTuple | null;
      }>(this.#sql.allStudies, []);
      return rows.map((r): StudySummary => {
        const directions = Object.freeze(JSON.parse(r.directions) as StudyDirection[]);
        return Object.freeze({
          studyId: r.study_id,
          studyName: r.study_name,
          directions,
          nTrials: r.n,
          bestTrial: r.best === null ? null : buildTrial(r.best),
          datetimeStart: r.start_ms === null ? null : new Date(r.start_ms),
          userAttrs: attrRecord(r.attrs),
        });
      });
    });
  }

  async setStudyUserAttr(studyId: number, key: string, value: unknown): Promise<void> {
    return this.#call(async () => void (await this.#setStudyAttr(false, false, studyId, key, value)));
  }

  async setStudySystemAttr(studyId: number, key: string, value: unknown): Promise<void> {
    return this.#call(async () => void (await this.#setStudyAttr(true, false, studyId, key, value)));
  }

  async setStudySystemAttrIfAbsent(studyId: number, key: string, value: unknown): Promise<boolean> {
    return this.#call(() => this.#setStudyAttr(true, true, studyId, key, value));
  }

  async getStudyUserAttrs(studyId: number): Promise<Record<string, unknown>> {
    return this.#call(() => this.#studyAttrs(this.#sql.studyUserAttrs, studyId));
  }

  async getStudySystemAttrs(studyId: number): Promise<Record<string, unknown>> {
    return this.#call(() => this.#studyAttrs(this.#sql.studySystemAttrs, studyId));
  }

  // ---------------------------------------------------------------------------------------------
  // Trials

  async createTrial(studyId: number, template?: TrialTemplate): Promise<FrozenTrial> {
    return this.#call(async () => {
      const id = checkId('studyId', studyId);
      if (template !== undefined && (template === null || typeof template !== 'object')) {
        throw new InvalidArgumentError(`Expected a trial template object for \`template\` but received ${describe(template)}`);
      }
      // The number of objectives matters only to a template with values (an imported trial).
      const plain = startsOnly(template);
      const rec = checkTemplateRecord(template, plain ? 1 : (await this.#studyDirections(id)).length, Date.now());
      const state = rec.state;
      const names: string[] = [];
      const internals: string[] = [];
      const dists: string[] = [];
      const p = dict<FrozenTrial['params'][string]>();
      const ip = dict<number>();
      const ds = dict<Distribution>();
      if (template?.params !== undefined) {
        if (template.params === null || typeof template.params !== 'object') throw new InvalidArgumentError('Expected an object for `template.params`');
        for (const [name, q] of Object.entries(template.params)) {
          pgName('param name', name);
          if (q === null || typeof q !== 'object') throw new InvalidArgumentError(`Expected { internal, distribution } for \`template.params.${name}\``);
          const d = canonicalDistribution(`template.params.${name}.distribution`, q.distribution);
          p[name] = checkInternal(name, q.internal, d);
          ip[name] = q.internal;
          ds[name] = d;
          names.push(name);
          internals.push(float8(q.internal));
          dists.push(JSON.stringify(d));
        }
      }
      const ua = encodeAttrs('template.userAttrs', template?.userAttrs);
      const sa = encodeAttrs('template.systemAttrs', template?.systemAttrs);
      const args = [id, state, names, internals, dists, ua.map((e) => e[0]), ua.map((e) => e[1]), sa.map((e) => e[0]), sa.map((e) => e[1])];
      const [trialId, number, startMs, seq] = plain
        ? ((await this.#write(this.#sql.createTrial, args)) as [number, number, number | null, number])
        : await this.#createRecorded(args, rec);
      const trial: FrozenTrial = Object.freeze({
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
        datetimeStart: startMs === null ? null : new Date(startMs),
        datetimeComplete: rec.complete === null ? null : new Date(rec.complete),
      });
      this.#remember(seq, id, trial);
      return trial;
    });
  }

  async claimWaitingTrial(studyId: number): Promise<FrozenTrial | null> {
    return this.#call(async () => {
      const id = checkId('studyId', studyId);
      const tuple = (await this.#write(this.#sql.claimWaiting, [id], (r) => r !== null)) as TrialTuple | null;
      if (tuple === null) return null;
      return this.#remember(tuple[5], tuple[6], buildTrial(tuple));
    });
  }

  async setTrialParam(trialId: number, name: string, internal: number, distribution: Distribution): Promise<void> {
    return this.#call(async () => {
      const tid = checkId('trialId', trialId);
      const n = pgName('name', name);
      const d = canonicalDistribution('distribution', distribution);
      checkInternal(n, internal, d);
      await this.#write(this.#sql.setTrialParam, [tid, n, float8(internal), JSON.stringify(d)]);
    });
  }

  async setTrialParams(trialId: number, params: readonly TrialParamWrite[]): Promise<void> {
    return this.#call(async () => {
      const tid = checkId('trialId', trialId);
      const rows = checkParamWrites(params, pgName);
      if (rows.length === 0) return;
      await this.#write(this.#sql.setTrialParams, [
        tid,
        rows.map((r) => r.name),
        rows.map((r) => float8(r.internal)),
        rows.map((r) => JSON.stringify(r.distribution)),
      ]);
    });
  }

  async setTrialState(trialId: number, state: TrialState, values?: readonly number[] | null): Promise<void> {
    return this.#call(async () => {
      const tid = checkId('trialId', trialId);
      const st = checkFinishedState(state);
      if (values !== undefined && values !== null && !Array.isArray(values)) throw invalid('values', 'an array of finite numbers or null', values);
      // With the number of objectives at hand, values are checked here; otherwise the server counts them
      // (valuesCount) and the same check runs then. Non-finite numbers never leave this process.
      const objectives = this.#objectivesOf(tid);
      const vals =
        objectives !== undefined ? checkValues(st, values, objectives) : values === undefined || values === null ? null : checkValues(st, values, values.length);
      try {
        await this.#write(this.#sql.setTrialState, [tid, st, vals === null ? null : vals.map(float8)]);
      } catch (e) {
        const detail = tuDetail(e, PG_ERRORS.valuesCount);
        if (detail !== null) checkValues(st, values, detail['objectives'] as number);
        throw e;
      }
    });
  }

  async setTrialIntermediateValue(trialId: number, step: number, value: number): Promise<void> {
    return this.#call(async () => {
      const tid = checkId('trialId', trialId);
      const s = checkStep(step);
      const v = checkFinite('value', value);
      await this.#write(this.#sql.setIntermediate, [tid, s, float8(v)]);
    });
  }

  async setTrialUserAttr(trialId: number, key: string, value: unknown): Promise<void> {
    return this.#call(() => this.#setTrialAttr(false, trialId, key, value));
  }

  async setTrialSystemAttr(trialId: number, key: string, value: unknown): Promise<void> {
    return this.#call(() => this.#setTrialAttr(true, trialId, key, value));
  }

  async getTrial(trialId: number): Promise<FrozenTrial> {
    return this.#call(async () => {
      const tid = checkId('trialId', trialId);
      const hit = this.#known.get(tid);
      const row = (await this.#read<{ seq: number; trial: TrialTuple | null }>(this.#sql.trial, [tid, hit?.seq ?? -1]))[0];
      if (row === undefined) {
        this.#known.delete(tid);
        throw trialNotFound(tid);
      }
      if (row.trial === null) return hit!.trial; // unchanged since read (finished: forever)
      return this.#remember(row.trial[5], row.trial[6], buildTrial(row.trial));
    });
  }

  async getAllTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    return this.#call(async () => {
      const id = checkId('studyId', studyId);
      const st = checkStates(states);
      return (await this.#refresh(id)).select(st);
    });
  }

  async getNTrials(studyId: number, states?: readonly TrialState[]): Promise<number> {
    return this.#call(async () => {
      const id = checkId('studyId', studyId);
      const st = checkStates(states);
      return (await this.#refresh(id)).count(st);
    });
  }

  /** Stamps the server's clock; heartbeats bump no `seq` and take no study lock. */
  async recordHeartbeat(trialId: number): Promise<void> {
    return this.#call(async () => {
      const tid = checkId('trialId', trialId);
      const row = (await this.#read<{ beat: boolean; number: number | null; state: TrialState | null }>(this.#sql.heartbeat, [tid]))[0]!;
      if (row.beat) return;
      if (row.number === null) throw trialNotFound(tid);
      throw trialFinished(tid, row.number, row.state!);
    });
  }

  /**
   * Beats from a worker thread with its own connection (postgres-heartbeat.ts). Its beats commit without
   * waiting for the WAL flush: a beat a crash takes only brings a trial closer to stale.
   */
  startHeartbeats(intervalMs: number): Heartbeats {
    if (this.#pool === null) throw closedError(this.url);
    const ms = positiveNumber('intervalMs', intervalMs);
    const connection = this.#connection();
    this.#heartbeats ??= postgresBeatThread(
      {
        ...connection,
        options: `${connection.options} -c synchronous_commit=off`,
        password: this.#config.password?.(),
        connectionTimeoutMillis: Math.ceil(this.#config.connectTimeoutMs),
      },
      this.#sql.beatMany,
    );
    return this.#heartbeats.handle(ms);
  }

  /**
   * One call of `tunable_fail_stale`, which fails the stale trials and, with `retry`, enqueues their
   * retries in the same transaction. Silence counts from the server's start at the earliest.
   */
  async failStaleTrials(studyId: number, olderThanMs: number, retry?: StaleRetry): Promise<number[]> {
    return this.#call(async () => {
      const id = checkId('studyId', studyId);
      const limit = checkStaleMs(olderThanMs);
      const policy = checkStaleRetry(retry);
      const args = [id, float8(limit), policy !== undefined, policy?.maxRetry ?? null, policy?.inheritUserAttrs ?? false];
      return (await this.#write(this.#sql.failStale, args)) as number[];
    });
  }

  /**
   * Runs `fn` holding the session-level advisory lock of (schema, study, name) on a connection of the
   * pool kept for the purpose, so that no other holder — here or in another process — runs meanwhile.
   * Callers in this process queue first, so a process never ties up more than one connection per lock.
   * Released when `fn` settles, or by the server when the connection dies.
   */
  async withStudyLock<T>(studyId: number, name: string, fn: () => Promise<T>): Promise<T> {
    let key: string;
    let keys: [number, number];
    try {
      const id = checkId('studyId', studyId);
      const n = pgName('name', name);
      if (typeof fn !== 'function') throw invalid('fn', 'a function', fn);
      await this.#open();
      key = `${id}\u0000${n}`;
      keys = lockKeys(LOCK_NAMESPACE.study, `${this.schema}\u0000${id}\u0000${n}`);
    } catch (e) {
      throw this.#wrap(e);
    }
    // One pool connection per lock and process: this process's holders queue here, not at the server.
    return withKeyedLock(this, key, async () => {
      const client = await this.#attempt(async (c) => {
        await c.query({ name: 'tunable_lock', text: 'SELECT pg_advisory_lock($1, $2)', values: keys });
        return c;
      }, true).catch((e: unknown) => {
        throw this.#wrap(e);
      });
      try {
        return await fn();
      } finally {
        await this.#unlock(client, keys);
      }
    });
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    if (pool === null) return;
    if (this.#unsynced.length > 0 && this.#ready) {
      // A flushed commit makes the lazy writes durable now rather than at the server's next WAL flush.
      await pool.query('SELECT txid_current()').catch(() => undefined);
    }
    this.#pool = null;
    await this.#heartbeats?.close();
    this.#heartbeats = null;
    this.#caches.clear();
    this.#known.clear();
    this.#directions.clear();
    this.#unsynced.length = 0;
    try {
      await pool.end();
    } catch (e) {
      throw this.#wrap(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Connections, retries, errors

  /** pg client settings shared by the pool and the heartbeat thread (the password is added by each). */
  #connection(): Omit<HeartbeatConnection, 'password' | 'connectionTimeoutMillis'> {
    const c = this.#config;
    return {
      host: c.host,
      port: c.port,
      user: c.user,
      database: c.database,
      ssl: c.ssl,
      application_name: c.applicationName,
      // Shortest exact float8 text whatever the server's default (values travel as text and JSON).
      options: '-c extra_float_digits=3',
      keepAlive: true,
    };
  }

  /** Runs a body as a storage call: the open check first, every error typed. */
  async #call<T>(body: () => Promise<T>): Promise<T> {
    try {
      if (this.#pool === null) throw closedError(this.url);
      return await body();
    } catch (e) {
      throw this.#wrap(e);
    }
  }

  /** The pool, once the schema is migrated (on the first call). */
  async #open(): Promise<pg.Pool> {
    const pool = this.#pool;
    if (pool === null) throw closedError(this.url);
    if (this.#ready) return pool;
    this.#opening ??= this.#attempt(async (client) => {
      await migrate(client, this.schema, this.#where());
    }).then(
      () => {
        this.#ready = true;
      },
      (e: unknown) => {
        this.#opening = null; // the next call tries again
        throw e;
      },
    );
    await this.#opening;
    return pool;
  }

  /**
   * `tunable_create_trial` (args: as #write takes them) and, in the same transaction, the template's
   * times, values and intermediate values: a trial created as it already is elsewhere. Retried as a whole
   * with one request id: after a commit whose acknowledgement was lost, the function returns its recorded
   * result and the statements after it change nothing. Resolves to [trial_id, number, start_ms, seq].
   */
  async #createRecorded(args: readonly unknown[], rec: TemplateRecord): Promise<[number, number, number | null, number]> {
    await this.#open();
    if (this.#suspect) await this.#replay();
    const stmt = this.#sql.createTrial;
    const request = [randomUUID(), ...args];
    const s = quoteIdent(this.schema);
    // ms since the epoch → timestamptz, exactly (a float8 ms count below 2^53 µs multiplies without rounding).
    const at = (p: string) => `timestamptz 'epoch' + ${p}::float8 * interval '1 millisecond'`;
    return this.#attempt(async (client) => {
      await client.query('BEGIN');
      try {
        const r = (await client.query<{ r: unknown }>({ name: stmt.name, text: stmt.text, values: request as unknown[] })).rows[0]!.r as [
          number,
          number,
          number | null,
          number,
        ];
        const tid = r[0];
        await client.query(`UPDATE ${s}.trials SET datetime_start = ${at('$2')}, datetime_complete = ${at('$3')} WHERE trial_id = $1`, [
          tid,
          rec.start,
          rec.complete,
        ]);
        if (rec.values !== null) {
          await client.query(
            `INSERT INTO ${s}.trial_values (trial_id, objective, value)
             SELECT $1, u.o - 1, u.v FROM unnest($2::float8[]) WITH ORDINALITY AS u(v, o) ON CONFLICT DO NOTHING`,
            [tid, rec.values.map(float8)],
          );
        }
        if (rec.intermediate.length > 0) {
          await client.query(
            `INSERT INTO ${s}.trial_intermediate_values (trial_id, step, value)
             SELECT $1, u.s, u.v FROM unnest($2::bigint[], $3::float8[]) WITH ORDINALITY AS u(s, v, o) ORDER BY u.o ON CONFLICT DO NOTHING`,
            [tid, rec.intermediate.map((e) => e[0]), rec.intermediate.map((e) => float8(e[1]))],
          );
        }
        await client.query('COMMIT');
        return [tid, r[1], rec.start, r[3]];
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** Rows of a read. */
  async #read<R>(stmt: Statement, values: readonly unknown[]): Promise<R[]> {
    await this.#open();
    if (this.#suspect) await this.#replay();
    return this.#attempt(async (client) => (await client.query({ name: stmt.name, text: stmt.text, values: values as unknown[] })).rows as R[]);
  }

  /**
   * The result of a write function, called with a fresh request id (the same one on every retry).
   * `flushed(result)`: whether a successful call of a synchronous function wrote (and so flushed) anything.
   */
  async #write(stmt: Statement, values: readonly unknown[], flushed: (result: unknown) => boolean = () => true): Promise<unknown> {
    await this.#open();
    if (this.#suspect) await this.#replay();
    const args = [randomUUID(), ...values];
    const started = performance.now();
    const result = await this.#send(stmt, args);
    const now = performance.now();
    const unsynced = this.#unsynced;
    if (stmt.lazy) unsynced.push({ stmt, args, at: now });
    // A flushed commit covers every commit acknowledged before it began (the WAL is sequential).
    const covered = !stmt.lazy && flushed(result) ? started : now - UNSYNCED_HORIZON_MS;
    let n = 0;
    while (n < unsynced.length && unsynced[n]!.at <= covered) n++;
    if (n > 0) unsynced.splice(0, n);
    return result;
  }

  /**
   * One call of a write function (args: request id first), retried per #attempt. A call that meets its
   * own earlier attempt's request id in `tunable_requests` (isRequestRace: that attempt committed while
   * this one ran) takes the result that attempt recorded, read with a plain SELECT — calling the function
   * again could meet the same race again. Should no result be there, the call is tried again, at most
   * REQUEST_RACE_ATTEMPTS times in all.
   */
  async #send(stmt: Statement, args: readonly unknown[]): Promise<unknown> {
    let races = 0;
    return this.#attempt(async (client) => {
      try {
        return (await client.query<{ r: unknown }>({ name: stmt.name, text: stmt.text, values: args as unknown[] })).rows[0]!.r;
      } catch (e) {
        if (!isRequestRace(e)) throw e;
        const read = this.#sql.requestResult;
        const row = (await client.query<{ r: unknown }>({ name: read.name, text: read.text, values: [args[0]] })).rows[0];
        if (row !== undefined) return row.r;
        if (++races < REQUEST_RACE_ATTEMPTS) throw e;
        throw new StorageError(
          `PostgreSQL storage ${this.url}: the write ${stmt.name} (request id ${String(args[0])}) met an earlier attempt in tunable_requests ` +
            `${races} times, but no result of it is recorded`,
          'ERR_STORAGE',
          { cause: sanitized(e) },
        );
      }
    });
  }

  /**
   * After a lost connection: sends the lazy writes not yet known to be flushed again, in order and with
   * their request ids. Those the server kept answer from `tunable_requests` and change nothing — also one
   * whose first attempt commits while the resend runs: #send takes its recorded result, never calling
   * the function again; those a crash took are applied again. One whose trial has meanwhile been finished
   * or deleted (by a stale-trial sweep) is dropped: the trial's owner hears of it at its next write.
   */
  async #replay(): Promise<void> {
    this.#replaying ??= (async () => {
      try {
        while (this.#suspect) {
          this.#suspect = false;
          const entries = this.#unsynced.splice(0);
          for (let i = 0; i < entries.length; i++) {
            const e = entries[i]!;
            try {
              await this.#send(e.stmt, e.args);
              this.#unsynced.push({ ...e, at: performance.now() });
            } catch (err) {
              if (isTuError(err)) continue;
              this.#unsynced.unshift(...entries.slice(i));
              this.#suspect = true;
              throw err;
            }
          }
        }
      } finally {
        this.#replaying = null;
      }
    })();
    return this.#replaying;
  }

  /**
   * Runs `body` on a pooled connection, retrying transient failures with backoff: for connectTimeoutMs
   * until a connection has succeeded once, then for retryTimeoutMs. A connection that failed is
   * discarded, never returned to the pool. With `hold`, the connection of the successful attempt stays
   * checked out (the caller releases it: a session lock lives on it).
   */
  async #attempt<T>(body: (client: pg.PoolClient) => Promise<T>, hold = false): Promise<T> {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      const pool = this.#pool;
      if (pool === null) throw closedError(this.url);
      let client: pg.PoolClient | undefined;
      try {
        client = await pool.connect();
        const result = await body(client);
        if (!hold) client.release();
        this.#established = true;
        return result;
      } catch (e) {
        const failure = classify(e);
        client?.release(failure.connectionLost ? (e as Error) : undefined);
        if (failure.connectionLost) this.#suspect = true;
        const wait = backoffMs(attempt);
        const limit = this.#established ? this.#config.retryTimeoutMs : this.#config.connectTimeoutMs;
        if (!failure.transient || this.#pool === null || performance.now() - started + wait > limit) throw this.#failure(e, failure, attempt + 1, started);
        await sleep(wait);
      }
    }
  }

  /**
   * Releases the lock and returns its connection to the pool. An unlock that fails (the connection died,
   * and the lock with it) is not the caller's failure: the connection is discarded, which releases the lock.
   */
  async #unlock(client: pg.PoolClient, keys: [number, number]): Promise<void> {
    try {
      await client.query({ name: 'tunable_unlock', text: 'SELECT pg_advisory_unlock($1, $2)', values: keys });
      client.release();
    } catch (e) {
      client.release(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** The final error of a failed attempt loop: typed, with host:port and the last cause, never the password. */
  #failure(e: unknown, failure: Failure, attempts: number, started: number): Error {
    if (e instanceof TunableError) return e;
    const code = (e as { code?: unknown }).code;
    const cause = describeCause(e);
    if (failure.transient) {
      const s = ((performance.now() - started) / 1000).toFixed(1);
      return new StorageError(
        `Cannot reach the PostgreSQL server at ${this.#config.target} (${this.url}): ${attempts} attempt(s) over ${s} s failed; the last with: ${cause}`,
        'ERR_STORAGE',
        { cause: sanitized(e) },
      );
    }
    if (typeof code === 'string' && (code.startsWith('28') || code === '3D000')) {
      // A refused login or a missing database: not worth retrying.
      return new StorageError(`Cannot connect to the PostgreSQL server at ${this.#config.target} (${this.url}): ${cause}`, 'ERR_STORAGE', {
        cause: sanitized(e),
      });
    }
    if (typeof code !== 'string' || code.length !== 5) {
      // Not from the server: DNS, TLS, a refused connect that is not worth retrying.
      return new StorageError(`Cannot use the PostgreSQL server at ${this.#config.target} (${this.url}): ${cause}`, 'ERR_STORAGE', { cause: sanitized(e) });
    }
    return e as Error; // a server error: #wrap types it
  }

  /** Typed errors pass through; TU SQLSTATEs become their typed errors; anything else a StorageError. */
  #wrap(e: unknown): Error {
    if (e instanceof TunableError) return e;
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('TU')) {
      const d = tuDetail(e, code) ?? {};
      switch (code) {
        case PG_ERRORS.studyNotFound:
          this.#forget(d['study'] as number);
          return studyNotFound(d['study'] as number);
        case PG_ERRORS.trialNotFound:
          this.#known.delete(d['trial'] as number);
          return trialNotFound(d['trial'] as number);
        case PG_ERRORS.trialFinished:
          return trialFinished(d['trial'] as number, d['number'] as number, d['state'] as TrialState);
        case PG_ERRORS.paramConflict:
          return new ParameterConflictError(`Parameter ${JSON.stringify(d['name'])} of trial id ${String(d['trial'])} already has a different distribution`);
        case PG_ERRORS.duplicatedStudy:
          return new DuplicatedStudyError(d['name'] as string);
        case PG_ERRORS.stepTaken:
          return new InvalidArgumentError(`Trial ${String(d['number'])} already has an intermediate value at step ${String(d['step'])}`);
      }
    }
    return new StorageError(`PostgreSQL storage ${this.url} failed: ${describeCause(e)}`, 'ERR_STORAGE', { cause: sanitized(e) });
  }

  /** The database, for messages: `host:port/database`. */
  #where(): string {
    return `${this.#config.target}/${this.#config.database ?? ''}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Caches

  /** Keeps a snapshot unless a newer one (higher seq) is known already; returns the one kept. */
  #remember(seq: number, studyId: number, trial: FrozenTrial): FrozenTrial {
    const k = this.#known.get(trial.trialId);
    if (k !== undefined && k.seq > seq) return k.trial;
    this.#known.set(trial.trialId, { seq, studyId, trial });
    return trial;
  }

  #forget(studyId: number): void {
    for (const [id, k] of this.#known) if (k.studyId === studyId) this.#known.delete(id);
    this.#caches.delete(studyId);
    this.#directions.delete(studyId);
  }

  async #studyDirections(id: number): Promise<readonly StudyDirection[]> {
    let d = this.#directions.get(id);
    if (d === undefined) {
      const row = (await this.#read<{ directions: string }>(this.#sql.directions, [id]))[0];
      if (row === undefined) throw studyNotFound(id);
      d = Object.freeze(JSON.parse(row.directions) as StudyDirection[]);
      this.#directions.set(id, d);
    }
    return d;
  }

  /** The number of objectives of a trial's study, when this storage knows it without asking. */
  #objectivesOf(trialId: number): number | undefined {
    const k = this.#known.get(trialId);
    return k === undefined ? undefined : this.#directions.get(k.studyId)?.length;
  }

  /** Brings the study's cache up to date (one statement: the study's seq and the trials changed since). */
  async #refresh(studyId: number): Promise<TrialIndex> {
    const before = this.#caches.get(studyId);
    const rows = await this.#read<{ study_seq: number; trial: TrialTuple | null }>(this.#sql.changed, [studyId, before?.seq ?? -1]);
    if (rows.length === 0) {
      this.#forget(studyId);
      throw studyNotFound(studyId);
    }
    let cache = this.#caches.get(studyId);
    if (cache === undefined) {
      cache = { seq: -1, trials: new TrialIndex() };
      this.#caches.set(studyId, cache);
    }
    for (const r of rows) {
      if (r.trial === null) continue;
      const seq = r.trial[5];
      const k = this.#known.get(r.trial[0]);
      // Concurrent refreshes may land out of order: never replace a newer snapshot by an older one.
      const trial = k !== undefined && k.seq >= seq ? k.trial : this.#remember(seq, studyId, buildTrial(r.trial));
      const cur = cache.trials.all[trial.number];
      if (cur === trial || (cur !== undefined && isFinished(cur.state))) continue;
      cache.trials.put(trial);
    }
    cache.seq = Math.max(cache.seq, rows[0]!.study_seq);
    return cache.trials;
  }

  // ---------------------------------------------------------------------------------------------
  // Attributes

  async #setStudyAttr(system: boolean, ifAbsent: boolean, studyId: number, key: string, value: unknown): Promise<boolean> {
    const id = checkId('studyId', studyId);
    const k = pgName('key', key);
    const json = encodeAttr(k, value);
    return (await this.#write(this.#sql.setStudyAttr, [system, ifAbsent, id, k, json])) as boolean;
  }

  async #studyAttrs(stmt: Statement, studyId: number): Promise<Record<string, unknown>> {
    const id = checkId('studyId', studyId);
    const row = (await this.#read<{ attrs: [string, string][] | null }>(stmt, [id]))[0];
    if (row === undefined) throw studyNotFound(id);
    const out = dict<unknown>();
    for (const [key, json] of row.attrs ?? []) out[key] = decodeAttr(json);
    return out;
  }

  async #setTrialAttr(system: boolean, trialId: number, key: string, value: unknown): Promise<void> {
    const tid = checkId('trialId', trialId);
    const k = pgName('key', key);
    const json = encodeAttr(k, value);
    await this.#write(this.#sql.setTrialAttr, [system, tid, k, json]);
  }
}

// ---------------------------------------------------------------------------------------------------

/** A refusal raised by one of the functions (SQLSTATE class TU). */
function isTuError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('TU');
}

/** The JSON detail of a TU error with SQLSTATE `code`, or null for any other error. */
function tuDetail(e: unknown, code: string): Record<string, unknown> | null {
  const err = e as { code?: unknown; detail?: unknown } | null;
  if (err?.code !== code || typeof err.detail !== 'string') return null;
  try {
    return JSON.parse(err.detail) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * What of a driver error may travel as a `cause`: its message and codes. The driver's error objects can
 * reference the client (and so the connection settings); this copy cannot.
 */
function sanitized(e: unknown): Error {
  const err = e as { code?: unknown; detail?: unknown; constraint?: unknown } | null;
  const copy = new Error(describeCause(e)) as Error & { code?: string };
  if (typeof err?.code === 'string') copy.code = err.code;
  return copy;
}

function buildTrial(t: TrialTuple): FrozenTrial {
  const [trialId, number, state, startMs, completeMs, , , values, params, ivs, ua, sa] = t;
  let p: FrozenTrial['params'] = emptyRecord();
  let ip: FrozenTrial['internalParams'] = emptyRecord();
  let ds: FrozenTrial['distributions'] = emptyRecord();
  if (params !== null) {
    const pp = dict<FrozenTrial['params'][string]>();
    const ii = dict<number>();
    const dd = dict<Distribution>();
    for (const [name, internal, json] of params) {
      const d = distributionFromJson(json, name);
      dd[name] = d;
      ii[name] = internal;
      pp[name] = d.type === 'categorical' ? d.choices[internal]! : internal;
    }
    p = Object.freeze(pp);
    ip = Object.freeze(ii);
    ds = Object.freeze(dd);
  }
  let iv: ReadonlyMap<number, number> = EMPTY_MAP;
  if (ivs !== null) {
    const m = new Map<number, number>();
    for (const [step, value] of ivs) m.set(step, value);
    iv = m;
  }
  return Object.freeze({
    trialId,
    number,
    state,
    values: values === null ? null : Object.freeze(values),
    params: p,
    internalParams: ip,
    distributions: ds,
    userAttrs: attrRecord(ua),
    systemAttrs: attrRecord(sa),
    intermediateValues: iv,
    datetimeStart: startMs === null ? null : new Date(startMs),
    datetimeComplete: completeMs === null ? null : new Date(completeMs),
  });
}

function attrRecord(rows: readonly [string, string][] | null): Readonly<Record<string, unknown>> {
  if (rows === null || rows.length === 0) return emptyRecord();
  const out = dict<unknown>();
  for (const [key, json] of rows) out[key] = decodeAttr(json);
  return Object.freeze(out);
}

function encodeAttrs(name: string, attrs: unknown): [string, string][] {
  if (attrs === undefined) return [];
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) throw new InvalidArgumentError(`Expected an object for \`${name}\``);
  return Object.entries(attrs).map(([k, v]) => [pgName(`${name} key`, k), encodeAttr(k, v)]);
}

function decodeAttrRecord(entries: readonly [string, string][]): Readonly<Record<string, unknown>> {
  if (entries.length === 0) return emptyRecord();
  const out = dict<unknown>();
  for (const [k, v] of entries) out[k] = decodeAttr(v);
  return Object.freeze(out);
}
