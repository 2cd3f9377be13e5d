/**
 * PostgreSQL storage: URLs and options, migrations, concurrency across storages (each a process of its
 * own as far as the server can tell), values, retries and idempotency, unreachable servers, heartbeats,
 * study locks. The contract every storage meets is in contract.test.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { floatDistribution } from '../../src/distributions/index.js';
import { InvalidArgumentError, StorageError, TrialFinishedError, UnknownOptionError } from '../../src/errors.js';
import { staleReason } from '../../src/storage/common.js';
import { createStorage } from '../../src/storage/index.js';
import { POSTGRES_DEFAULTS, PostgresStorage, type PostgresStorageOptions } from '../../src/storage/postgres.js';
import { PG_SCHEMA_VERSION } from '../../src/storage/postgres-schema.js';
import { parsePostgresUrl, redactUrl } from '../../src/storage/postgres-url.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';
import { PG_URL, describePg, dropSchema, freshSchema, schemaUrl, withAdmin } from '../pg.js';
import { serverUpFor } from './pg-uptime.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const F = floatDistribution(-10, 10);
/** A float distribution holding `x` (the full double range is too wide for one). */
const holding = (x: number) => (x >= 0 ? floatDistribution(0, Number.MAX_VALUE) : floatDistribution(-Number.MAX_VALUE, 0));
const SRC = new URL('../../src/storage/postgres.ts', import.meta.url).pathname;

/** The error `p` rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

// ---------------------------------------------------------------------------------------------------
describe('PostgreSQL URLs and options', () => {
  it('createStorage takes postgresql:// and postgres:// URLs, lazily: nothing connects before the first call', async () => {
    for (const scheme of ['postgresql', 'postgres']) {
      const s = createStorage(`${scheme}://u:secret@127.0.0.1:1/db?schema=abc`);
      expect(s).toBeInstanceOf(PostgresStorage);
      expect(s.url).toBe(`${scheme}://u:***@127.0.0.1:1/db?schema=abc`);
      expect((s as PostgresStorage).schema).toBe('abc');
      await s.close();
    }
  });

  it('never shows the password: url, inspect(), JSON', async () => {
    const s = new PostgresStorage('postgresql://me:p%40ss%2Fw0rd@db.example:6543/prod');
    expect(s.url).toBe('postgresql://me:***@db.example:6543/prod');
    expect(inspect(s, { depth: 10, showHidden: true })).not.toMatch(/w0rd/);
    expect(JSON.stringify(s)).not.toMatch(/w0rd/);
    await s.close();
    expect(new PostgresStorage('postgresql://127.0.0.1/db').url).toBe('postgresql://127.0.0.1/db');
    expect(new PostgresStorage('postgresql://me@127.0.0.1/db').url).toBe('postgresql://me@127.0.0.1/db');
  });

  it('reads the defaults from one place and the rest from the query or the options (options win)', () => {
    const d = parsePostgresUrl('postgresql://h/db');
    expect(d).toMatchObject({ host: 'h', port: 5432, database: 'db', user: undefined, password: undefined, ssl: false });
    expect(d).toMatchObject({
      schema: POSTGRES_DEFAULTS.schema,
      poolSize: POSTGRES_DEFAULTS.poolSize,
      connectTimeoutMs: POSTGRES_DEFAULTS.connectTimeoutMs,
      retryTimeoutMs: POSTGRES_DEFAULTS.retryTimeoutMs,
    });
    const q = parsePostgresUrl('postgresql://u:pw@[::1]:7000/db?schema=S_1&pool_size=9&connect_timeout=2.5&retry_timeout=30&sslmode=require&application_name=w1');
    expect(q).toMatchObject({ host: '::1', port: 7000, target: '[::1]:7000', user: 'u', schema: 'S_1', poolSize: 9, connectTimeoutMs: 2500, retryTimeoutMs: 30_000 });
    expect(q.ssl).toEqual({ rejectUnauthorized: false });
    expect(q.applicationName).toBe('w1');
    expect(q.password?.()).toBe('pw');
    const o = parsePostgresUrl('postgresql://h/db?schema=a&pool_size=9', { schema: 'b', poolSize: 2, connectTimeoutMs: 100, retryTimeoutMs: 0 });
    expect(o).toMatchObject({ schema: 'b', poolSize: 2, connectTimeoutMs: 100, retryTimeoutMs: 0 });
  });

  it('refuses unknown query parameters and options, naming them (with a did-you-mean)', () => {
    expect(() => new PostgresStorage('postgresql://h/db?pool_sise=3')).toThrow(UnknownOptionError);
    expect(() => new PostgresStorage('postgresql://h/db?pool_sise=3')).toThrow(/`pool_sise`.*did you mean `pool_size`/);
    expect(() => new PostgresStorage('postgresql://h/db?schema=a&schema=b')).toThrow(/`schema` appears twice/);
    expect(() => new PostgresStorage('postgresql://h/db', { poolsize: 3 } as PostgresStorageOptions)).toThrow(/`poolsize`.*did you mean `poolSize`/);
    expect(() => new PostgresStorage('postgresql://h/db', 5 as never)).toThrow(InvalidArgumentError);
  });

  it('refuses bad values with typed errors naming the argument and the value', () => {
    const bad: [string, PostgresStorageOptions | undefined, RegExp][] = [
      ['postgresql://h/db?schema=', undefined, /`schema`.*""/],
      ['postgresql://h/db?schema=a-b', undefined, /`schema`.*"a-b"/],
      ['postgresql://h/db?schema=1abc', undefined, /`schema`/],
      ['postgresql://h/db?schema=pg_mine', undefined, /`schema`.*"pg_mine"/],
      [`postgresql://h/db?schema=${'x'.repeat(64)}`, undefined, /`schema`/],
      ['postgresql://h/db?schema=a%22b', undefined, /`schema`/],
      ['postgresql://h/db', { schema: '' }, /`schema`/],
      ['postgresql://h/db?pool_size=0', undefined, /`pool_size`.*0/],
      ['postgresql://h/db?pool_size=two', undefined, /`pool_size`.*"two"/],
      ['postgresql://h/db', { poolSize: 1.5 }, /`poolSize`.*1.5/],
      ['postgresql://h/db?connect_timeout=-1', undefined, /`connect_timeout`/],
      ['postgresql://h/db', { connectTimeoutMs: 0 }, /`connectTimeoutMs`/],
      ['postgresql://h/db', { retryTimeoutMs: 7_200_000 }, /at most.*`retryTimeoutMs`/],
      ['postgresql://h/db?sslmode=prefer', undefined, /`sslmode`.*"prefer"/],
    ];
    for (const [url, opts, re] of bad) {
      const e = (() => {
        try {
          new PostgresStorage(url, opts);
        } catch (err) {
          return err;
        }
        throw new Error(`accepted ${url}`);
      })();
      expect(e, url).toBeInstanceOf(InvalidArgumentError);
      expect((e as Error).message, url).toMatch(re);
    }
    expect(new PostgresStorage('postgresql://h/db?schema=Mixed_Case9').schema).toBe('Mixed_Case9');
  });

  it('refuses malformed URLs and other schemes with InvalidArgumentError naming `storage`, the password hidden', () => {
    const cases = [
      'postgresql://u:secret@h:notaport/db',
      'postgresql://u:secret@h/db/extra',
      'postgresql://u:secret@h/db#frag',
      'postgresql://u:secr%ZZet@h/db',
      'mysql://u:secret@h/db',
      'postgresql+psycopg2://u:secret@h/db',
    ];
    for (const url of cases) {
      let err: unknown;
      try {
        createStorage(url);
      } catch (e) {
        err = e;
      }
      expect(err, url).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message, url).toMatch(/`storage`/);
      expect((err as Error).message, url).not.toMatch(/secret|secr/);
    }
  });

  it('redactUrl hides passwords however odd the URL', () => {
    expect(redactUrl('postgresql://u:secret@h/db')).toBe('postgresql://u:***@h/db');
    expect(redactUrl('postgresql://u:se@c/r?et@h:5/db?schema=x')).toBe('postgresql://u:***@h:5/db?schema=x');
    expect(redactUrl('postgresql://u@h/db')).toBe('postgresql://u@h/db');
    expect(redactUrl('postgresql://h/db?password=secret&x=1')).toBe('postgresql://h/db?password=***&x=1');
    expect(redactUrl('not a url')).toBe('not a url');
  });
});

// ---------------------------------------------------------------------------------------------------
// Helpers for the server's restarts and for what reaches the driver.

/** Whether the local cluster is online (pg_lsclusters). */
function clusterOnline(): boolean {
  const out = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
  return out.split('\n').some((l) => /^15\s+main\s+\d+\s+online/.test(l));
}

/** `pg_ctlcluster 15 main restart` of the shared server; whatever happens, it is online again afterwards. */
function restartServer(): void {
  try {
    execFileSync('pg_ctlcluster', ['15', 'main', 'restart'], { stdio: 'ignore' });
  } finally {
    if (!clusterOnline()) execFileSync('pg_ctlcluster', ['15', 'main', 'start'], { stdio: 'ignore' });
  }
}

/** A pg query as the storage sends it: a named statement with its arguments (request id first for a write). */
interface SentQuery {
  name?: string;
  values?: unknown[];
}

/**
 * Passes every query of this process's pg clients through `hook` before it is sent: the hook may rewrite
 * its arguments, or throw to fail it unsent. Returns the function that restores the driver.
 */
function intercept(hook: (query: SentQuery) => void): () => void {
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
    if (config !== null && typeof config === 'object') {
      try {
        hook(config as SentQuery);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return (original as (...a: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof original;
  return () => {
    pg.Client.prototype.query = original;
  };
}

/** What a write meets when its own earlier attempt commits its request id first. */
function requestRace(): Error {
  return Object.assign(new Error('duplicate key value violates unique constraint "tunable_requests_pkey"'), {
    code: '23505',
    constraint: 'tunable_requests_pkey',
  });
}

/** `probe()` once it is not null, polled every 50 ms for up to `ms` (null after that). */
async function until<T>(probe: () => Promise<T | null>, ms: number): Promise<T | null> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null || Date.now() > end) return v;
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------------
describePg('PostgreSQL storage', () => {
  /** Storages and schemas made by the current test, closed and dropped after it. */
  const open: PostgresStorage[] = [];
  const schemas: string[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  /** A fresh schema and an application_name of its own (so a test terminates only its own connections). */
  function place(): { schema: string; app: string; url: string } {
    const schema = freshSchema();
    schemas.push(schema);
    const app = `tu_${schema.slice(-12)}`;
    const u = new URL(schemaUrl(schema));
    u.searchParams.set('application_name', app);
    return { schema, app, url: u.toString() };
  }

  function storage(url: string, options?: PostgresStorageOptions): PostgresStorage {
    const s = new PostgresStorage(url, options);
    open.push(s);
    return s;
  }

  /** How many connections have application_name `app`, once the count settles at `want` (or after 3 s). */
  async function connections(app: string, want: number): Promise<number> {
    let n = -1;
    for (let i = 0; i < 30 && n !== want; i++) {
      if (i > 0) await sleep(100);
      n = await withAdmin(async (c) => (await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [app])).rows[0].n as number);
    }
    return n;
  }

  /** The trial's heartbeat as stored (server clock), or null before its first beat. */
  async function heartbeatOf(schema: string, trialId: number): Promise<Date | null> {
    return withAdmin(async (c) => (await c.query<{ hb: Date | null }>(`SELECT heartbeat AS hb FROM "${schema}".trials WHERE trial_id = $1`, [trialId])).rows[0]!.hb);
  }

  /** The server's clock, ms since the epoch. */
  async function serverNow(): Promise<number> {
    return withAdmin(async (c) => (await c.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]!.now.getTime());
  }

  /** Terminates every connection with application_name `app`; returns how many. */
  async function terminate(app: string): Promise<number> {
    return withAdmin(async (c) => (await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app])).rowCount ?? 0);
  }

  async function tables(schema: string): Promise<string[]> {
    return withAdmin(async (c) =>
      (await c.query<{ relname: string }>(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`, [schema])).rows.map(
        (r) => r.relname,
      ),
    );
  }

  // -------------------------------------------------------------------------------------------------
  describe('migrations', () => {
    it('creates the schema and its tables on first use, marked as tunable with the current version', async () => {
      const { schema, url } = place();
      const s = storage(url);
      expect(await tables(schema)).toEqual([]);
      await s.createStudy('first', ['minimize']);
      expect(await tables(schema)).toEqual([
        'studies',
        'study_system_attrs',
        'study_user_attrs',
        'trial_intermediate_values',
        'trial_params',
        'trial_system_attrs',
        'trial_user_attrs',
        'trial_values',
        'trials',
        'tunable_meta',
        'tunable_requests',
      ]);
      const meta = await withAdmin(async (c) => (await c.query(`SELECT application_id, schema_version FROM "${schema}".tunable_meta`)).rows);
      expect(meta).toEqual([{ application_id: 'tunable', schema_version: PG_SCHEMA_VERSION }]);
    });

    it('storages opening a fresh schema together migrate it exactly once', async () => {
      const { schema, url } = place();
      const many = Array.from({ length: 6 }, () => storage(url));
      const ids = await Promise.all(many.map((s, i) => s.createStudy(`s${i}`, ['minimize'])));
      expect(new Set(ids).size).toBe(6);
      const meta = await withAdmin(async (c) => (await c.query(`SELECT count(*)::int AS n FROM "${schema}".tunable_meta`)).rows[0]);
      expect(meta).toEqual({ n: 1 });
    });

    it('processes opening a fresh schema together migrate it exactly once', async () => {
      const { schema, url } = place();
      const dir = mkdtempSync(join(tmpdir(), 'tunable-pg-'));
      try {
        const script = join(dir, 'open.mts');
        writeFileSync(
          script,
          `import { PostgresStorage } from ${JSON.stringify(SRC)};
           const s = new PostgresStorage(process.argv[2]);
           await s.createStudy('p' + process.pid, ['minimize']);
           await s.close();
           console.log('ok');`,
        );
        const run = () =>
          new Promise<string>((resolve) => {
            const child = spawn(process.execPath, ['--import', 'tsx', script, url], { stdio: ['ignore', 'pipe', 'pipe'] });
            let out = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.stderr.on('data', (d: Buffer) => (out += d.toString()));
            child.on('exit', () => resolve(out));
          });
        const outs = await Promise.all([run(), run(), run()]);
        for (const o of outs) expect(o.trim()).toBe('ok');
        const s = storage(url);
        expect(await s.getAllStudies()).toHaveLength(3);
        expect(await tables(schema)).toContain('tunable_meta');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses a schema from a newer tunable and leaves it untouched', async () => {
      const { schema, url } = place();
      const a = storage(url);
      await a.createStudy('kept', ['minimize']);
      await withAdmin((c) => c.query(`UPDATE "${schema}".tunable_meta SET schema_version = 999`));
      const before = await tables(schema);
      const b = storage(url);
      const e = await rejection(b.getAllStudies());
      expect(e).toBeInstanceOf(StorageError);
      expect(e.message).toMatch(/version 999.*upgrade tunable/);
      expect(e.message).toContain(schema);
      await expect(b.createStudy('x', ['minimize'])).rejects.toThrow(/upgrade tunable/);
      expect(await tables(schema)).toEqual(before);
      const v = await withAdmin(async (c) => (await c.query(`SELECT schema_version FROM "${schema}".tunable_meta`)).rows[0]);
      expect(v).toEqual({ schema_version: 999 });
    });

    it("refuses another application's schema, naming it, and creates or drops nothing", async () => {
      const { schema, url } = place();
      await withAdmin(async (c) => {
        await c.query(`CREATE SCHEMA "${schema}"`);
        await c.query(`CREATE TABLE "${schema}".trials (id int)`);
        await c.query(`INSERT INTO "${schema}".trials VALUES (7)`);
      });
      const s = storage(url);
      const e = await rejection(s.createStudy('x', ['minimize']));
      expect(e).toBeInstanceOf(StorageError);
      expect(e.message).toContain(`"${schema}"`);
      expect(e.message).toMatch(/not a tunable schema/);
      expect(await tables(schema)).toEqual(['trials']);
      const rows = await withAdmin(async (c) => (await c.query(`SELECT id FROM "${schema}".trials`)).rows);
      expect(rows).toEqual([{ id: 7 }]);
      // a tunable_meta that is not tunable's is refused too
      const other = place();
      await withAdmin(async (c) => {
        await c.query(`CREATE SCHEMA "${other.schema}"`);
        await c.query(`CREATE TABLE "${other.schema}".tunable_meta (application_id text, schema_version int)`);
        await c.query(`INSERT INTO "${other.schema}".tunable_meta VALUES ('someone-else', 1)`);
      });
      await expect(storage(other.url).getAllStudies()).rejects.toThrow(/not a tunable schema/);
      expect(await tables(other.schema)).toEqual(['tunable_meta']);
    });

    it('keeps schemas apart: the same names in two schemas of one database never meet', async () => {
      const a = storage(place().url);
      const b = storage(place().url);
      const ia = await a.createStudy('same', ['minimize']);
      const ib = await b.createStudy('same', ['maximize']);
      const ta = await a.createTrial(ia);
      await a.setTrialState(ta.trialId, TrialState.COMPLETE, [1]);
      expect(await b.getAllTrials(ib)).toEqual([]);
      expect(await b.getStudyDirections(ib)).toEqual(['maximize']);
      expect((await a.getAllStudies()).map((x) => x.nTrials)).toEqual([1]);
      expect((await b.getAllStudies()).map((x) => x.nTrials)).toEqual([0]);
      await b.deleteStudy(ib);
      expect(await a.getStudyIdFromName('same')).toBe(ia);
    });
  });

  // -------------------------------------------------------------------------------------------------
  describe('values', () => {
    it('stores Unicode and SQL-looking names verbatim', async () => {
      const { schema, url } = place();
      const s = storage(url);
      const names = ["'; DROP TABLE trials; --", '🎯 études "quoted" \\ back', 'Robert"); DELETE FROM studies; --', '$1', '%s %I'];
      const ids: number[] = [];
      for (const n of names) ids.push(await s.createStudy(n, ['minimize']));
      const t = await s.createTrial(ids[0]!);
      for (const [i, n] of names.entries()) {
        await s.setTrialParam(t.trialId, n, i, F);
        await s.setTrialUserAttr(t.trialId, n, n);
        await s.setStudySystemAttr(ids[0]!, n, { [n]: n });
      }
      const fresh = storage(url);
      for (const [i, n] of names.entries()) expect(await fresh.getStudyIdFromName(n)).toBe(ids[i]);
      const r = await fresh.getTrial(t.trialId);
      expect(Object.keys(r.params)).toEqual(names);
      expect(r.userAttrs).toEqual(Object.fromEntries(names.map((n) => [n, n])));
      expect(await fresh.getStudySystemAttrs(ids[0]!)).toEqual(Object.fromEntries(names.map((n) => [n, { [n]: n }])));
      expect(await tables(schema)).toContain('trials');
      const stored = await withAdmin(async (c) => (await c.query(`SELECT study_name FROM "${schema}".studies ORDER BY study_id`)).rows.map((x) => x.study_name));
      expect(stored).toEqual(names);
    });

    it('refuses NUL characters in names (PostgreSQL text cannot hold them), naming the argument; NUL inside attribute values is fine', async () => {
      const { url } = place();
      const s = storage(url);
      await expect(s.createStudy('a\u0000b', ['minimize'])).rejects.toThrow(InvalidArgumentError);
      await expect(s.createStudy('a\u0000b', ['minimize'])).rejects.toThrow(/NUL.*`studyName`/);
      const id = await s.createStudy('ok', ['minimize']);
      const t = await s.createTrial(id);
      await expect(s.setTrialParam(t.trialId, 'x\u0000', 1, F)).rejects.toThrow(/`name`/);
      await expect(s.setTrialUserAttr(t.trialId, '\u0000', 1)).rejects.toThrow(/`key`/);
      await expect(s.setStudyUserAttr(id, 'k\u0000', 1)).rejects.toThrow(/`key`/);
      await expect(s.createTrial(id, { userAttrs: { 'k\u0000': 1 } })).rejects.toThrow(InvalidArgumentError);
      await expect(s.withStudyLock(id, 'l\u0000', async () => 1)).rejects.toThrow(/`name`/);
      await expect(s.getStudyIdFromName('a\u0000b')).rejects.toThrow(/not found/);
      await s.setTrialUserAttr(t.trialId, 'nul', 'a\u0000b');
      expect((await storage(url).getTrial(t.trialId)).userAttrs['nul']).toBe('a\u0000b');
      expect(await s.getNTrials(id)).toBe(1);
    });

    it('round-trips float64 exactly: -0, subnormals, the extremes', async () => {
      const { url } = place();
      const s = storage(url);
      const id = await s.createStudy('f', ['minimize', 'maximize']);
      const xs = [-0, 1e-310, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 0.1 + 0.2, 2 ** 53 + 2, Math.PI];
      const t = await s.createTrial(id, { params: Object.fromEntries(xs.map((x, i) => [`t${i}`, { internal: x, distribution: holding(x) }])) });
      for (const [i, x] of xs.entries()) {
        await s.setTrialParam(t.trialId, `p${i}`, x, holding(x));
        await s.setTrialIntermediateValue(t.trialId, i, x);
        await s.setTrialUserAttr(t.trialId, `a${i}`, [x]);
      }
      await s.setTrialState(t.trialId, TrialState.COMPLETE, [-0, 5e-324]);
      const r = await storage(url).getTrial(t.trialId); // no cache: everything read back from the server
      for (const [i, x] of xs.entries()) {
        expect(Object.is(r.params[`t${i}`], x), `t${i}`).toBe(true);
        expect(Object.is(r.params[`p${i}`], x), `p${i}`).toBe(true);
        expect(Object.is(r.intermediateValues.get(i), x), `iv${i}`).toBe(true);
        // attributes are JSON, which has no -0
        expect((r.userAttrs[`a${i}`] as number[])[0]).toBe(Object.is(x, -0) ? 0 : x);
      }
      expect(Object.is(r.values![0], -0)).toBe(true);
      expect(r.values![1]).toBe(5e-324);
      const [all] = await storage(url).getAllTrials(id);
      expect(all).toEqual(r);
    });

    it('checks values against the objectives also when this storage has not read the study', async () => {
      const { url } = place();
      const a = storage(url);
      const id = await a.createStudy('two', ['minimize', 'maximize']);
      const t = await a.createTrial(id);
      const b = storage(url); // knows nothing of the study: the server counts the objectives
      await expect(b.setTrialState(t.trialId, TrialState.COMPLETE, [1])).rejects.toThrow(/2 finite number.*`values`/);
      await expect(b.setTrialState(t.trialId, TrialState.COMPLETE)).rejects.toThrow(/2 finite number.*`values`/);
      await expect(b.setTrialState(t.trialId, TrialState.COMPLETE, [1, NaN])).rejects.toThrow(/NaN/);
      expect((await b.getTrial(t.trialId)).state).toBe(TrialState.RUNNING);
      await b.setTrialState(t.trialId, TrialState.COMPLETE, [1, 2]);
      expect((await a.getTrial(t.trialId)).values).toEqual([1, 2]);
    });

    it('stamps times with the server clock, not the caller’s', async () => {
      const s = storage(place().url);
      const id = await s.createStudy('clock', ['minimize']);
      const server = await withAdmin(async (c) => (await c.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]!.now.getTime());
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(new Date('2001-01-01T00:00:00Z'));
        const t = await s.createTrial(id);
        expect(Math.abs(t.datetimeStart!.getTime() - server)).toBeLessThan(30_000);
        await s.setTrialState(t.trialId, TrialState.COMPLETE, [1]);
        expect((await s.getTrial(t.trialId)).datetimeComplete!.getFullYear()).toBeGreaterThan(2020);
        // a trial that beat on the server is not stale, whatever this process's clock says
        const u = await s.createTrial(id);
        vi.setSystemTime(new Date('2099-01-01T00:00:00Z'));
        expect(await s.failStaleTrials(id, 60_000)).toEqual([]);
        expect((await s.getTrial(u.trialId)).state).toBe(TrialState.RUNNING);
      } finally {
        vi.useRealTimers();
      }
    });

    it('failReason says what staleReason says', async () => {
      const { schema, url } = place();
      const s = storage(url);
      const id = await s.createStudy('stale', ['minimize']);
      const t = await s.createTrial(id);
      await withAdmin((c) => c.query(`UPDATE "${schema}".trials SET datetime_start = datetime_start - interval '2 seconds' WHERE trial_id = $1`, [t.trialId]));
      await serverUpFor(2500);  // silence counts from the server's start at the earliest
      expect(await s.failStaleTrials(id, 1500)).toEqual([t.number]);
      const reason = (await s.getTrial(t.trialId)).systemAttrs['failReason'] as string;
      const silence = Number(/no heartbeat for (\d+) ms/.exec(reason)?.[1]);
      expect(silence).toBeGreaterThanOrEqual(2000);
      expect(reason).toBe(staleReason(0, silence, 1500));
    });
  });

  // -------------------------------------------------------------------------------------------------
  describe('concurrency across storages', () => {
    it('numbers trials gap-free under 8 storages × 50 parallel createTrial', async () => {
      const { url } = place();
      const first = storage(url);
      const id = await first.createStudy('numbers', ['minimize']);
      const many = [first, ...Array.from({ length: 7 }, () => storage(url))];
      const made = await Promise.all(many.flatMap((s) => Array.from({ length: 50 }, () => s.createTrial(id))));
      const numbers = made.map((t) => t.number).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 400 }, (_, i) => i));
      expect(new Set(made.map((t) => t.trialId)).size).toBe(400);
      expect((await storage(url).getAllTrials(id)).map((t) => t.number)).toEqual(numbers);
    });

    it('claims each WAITING trial exactly once across storages', async () => {
      const { url } = place();
      const a = storage(url);
      const id = await a.createStudy('claims', ['minimize']);
      const waiting: number[] = [];
      for (let i = 0; i < 20; i++) waiting.push((await a.createTrial(id, { state: TrialState.WAITING })).trialId);
      const many = Array.from({ length: 4 }, () => storage(url));
      const claims = await Promise.all(many.flatMap((s) => Array.from({ length: 8 }, () => s.claimWaitingTrial(id))));
      const got = claims.filter((c): c is FrozenTrial => c !== null);
      expect(got).toHaveLength(20);
      expect(new Set(got.map((c) => c.trialId))).toEqual(new Set(waiting));
      for (const c of got) expect(c.state).toBe(TrialState.RUNNING);
      expect(await a.getNTrials(id, [TrialState.RUNNING])).toBe(20);
    });

    it('setStudySystemAttrIfAbsent lets exactly one storage win', async () => {
      const { url } = place();
      const a = storage(url);
      const id = await a.createStudy('once', ['minimize']);
      const many = Array.from({ length: 8 }, () => storage(url));
      const wins = await Promise.all(many.flatMap((s, i) => [0, 1, 2].map((j) => s.setStudySystemAttrIfAbsent(id, 'slot', { by: i * 3 + j }))));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect((await a.getStudySystemAttrs(id))['slot']).toEqual({ by: wins.indexOf(true) });
    });

    it('failStaleTrials fails each stale trial exactly once, whoever sweeps', async () => {
      const { schema, url } = place();
      const a = storage(url);
      const id = await a.createStudy('sweep', ['minimize']);
      await serverUpFor(15_000);  // silence counts from the server's start at the earliest
      const trials: FrozenTrial[] = [];
      for (let i = 0; i < 12; i++) trials.push(await a.createTrial(id));
      await withAdmin((c) => c.query(`UPDATE "${schema}".trials SET datetime_start = datetime_start - interval '1 hour' WHERE number < 10`));
      const many = Array.from({ length: 6 }, () => storage(url));
      const results = await Promise.all(many.flatMap((s) => [s.failStaleTrials(id, 15_000), s.failStaleTrials(id, 15_000)]));
      const all = results.flat().sort((x, y) => x - y);
      expect(all).toEqual(Array.from({ length: 10 }, (_, i) => i));
      expect(await a.getNTrials(id, [TrialState.FAIL])).toBe(10);
      expect(await a.getNTrials(id, [TrialState.RUNNING])).toBe(2);
    });

    it('bumps the study seq on every trial write but not on heartbeats; readers load only what changed', async () => {
      const { schema, url } = place();
      const a = storage(url);
      const id = await a.createStudy('seq', ['minimize']);
      const seq = async () => withAdmin(async (c) => (await c.query(`SELECT seq::int FROM "${schema}".studies WHERE study_id = $1`, [id])).rows[0].seq as number);
      const t = await a.createTrial(id);
      const s0 = await seq();
      await a.recordHeartbeat(t.trialId);
      expect(await seq()).toBe(s0);
      await a.setTrialParam(t.trialId, 'x', 1, F);
      expect(await seq()).toBe(s0 + 1);
      const b = storage(url);
      const before = await b.getAllTrials(id);
      await a.setTrialUserAttr(t.trialId, 'k', 1);
      const u = await a.createTrial(id);
      const after = await b.getAllTrials(id);
      expect(after).toHaveLength(2);
      expect(after[0]!.userAttrs).toEqual({ k: 1 });
      expect(after[1]!.trialId).toBe(u.trialId);
      await a.setTrialState(t.trialId, TrialState.COMPLETE, [1]);
      const done = (await b.getAllTrials(id))[0]!;
      expect(done.state).toBe(TrialState.COMPLETE);
      // a finished trial stays the same snapshot from then on
      await a.setTrialParam(u.trialId, 'y', 2, F);
      expect((await b.getAllTrials(id))[0]).toBe(done);
      expect(before[0]!.params).toEqual({ x: 1 });
    });
  });

  // -------------------------------------------------------------------------------------------------
  describe('retries and idempotency', () => {
    it('survives its connections being terminated between calls', async () => {
      const { app, url } = place();
      const s = storage(url);
      const id = await s.createStudy('drops', ['minimize']);
      for (let round = 0; round < 4; round++) {
        const t = await s.createTrial(id);
        expect(await terminate(app)).toBeGreaterThan(0);
        await s.setTrialParam(t.trialId, 'x', round, F);
        await terminate(app);
        await s.setTrialState(t.trialId, TrialState.COMPLETE, [round]);
        await terminate(app);
        expect((await s.getTrial(t.trialId)).values).toEqual([round]);
      }
      expect((await storage(url).getAllTrials(id)).map((t) => [t.number, t.params['x'], t.values])).toEqual([
        [0, 0, [0]],
        [1, 1, [1]],
        [2, 2, [2]],
        [3, 3, [3]],
      ]);
    });

    it('retries a call whose connection is terminated while it runs, applying it once', async () => {
      const { schema, app, url } = place();
      const s = storage(url);
      const id = await s.createStudy('inflight', ['minimize']);
      const blocker = new pg.Client({ connectionString: PG_URL });
      blocker.on('error', () => undefined);
      await blocker.connect();
      try {
        // Hold the study's row: createTrial waits for it, inside its call, on a connection of its own.
        await blocker.query('BEGIN');
        await blocker.query(`SELECT 1 FROM "${schema}".studies WHERE study_id = $1 FOR UPDATE`, [id]);
        const pending = s.createTrial(id);
        await sleep(300);
        const waiting = await withAdmin(async (c) =>
          (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [app])).rows[0].n,
        );
        expect(waiting).toBe(1);
        expect(await terminate(app)).toBeGreaterThan(0);
        await sleep(200);
        await blocker.query('COMMIT');
        const t = await pending;
        expect(t.number).toBe(0);
      } finally {
        await blocker.end();
      }
      expect((await storage(url).getAllTrials(id)).map((t) => t.number)).toEqual([0]);
    });

    it('a write function called twice with one request id applies once and answers the same', async () => {
      const { schema, url } = place();
      const s = storage(url);
      const id = await s.createStudy('ids', ['minimize']);
      await s.createTrial(id, { state: TrialState.WAITING });
      const q = `"${schema}"`;
      await withAdmin(async (c) => {
        const twice = async (sql: string, args: unknown[]) => {
          const rid = randomUUID();
          const first = (await c.query(sql, [rid, ...args])).rows[0].r;
          const second = (await c.query(sql, [rid, ...args])).rows[0].r;
          expect(second).toEqual(first);
          return first;
        };
        const created = await twice(`SELECT ${q}.tunable_create_trial($1, $2, 'RUNNING', '{}', '{}', '{}', '{}', '{}', '{}', '{}') AS r`, [id]);
        expect(created[1]).toBe(1);
        const trialId = created[0] as number;
        await twice(`SELECT ${q}.tunable_set_trial_param($1, $2, 'x', 1.5, $3) AS r`, [trialId, JSON.stringify(F)]);
        expect(await twice(`SELECT ${q}.tunable_set_trial_state($1, $2, 'COMPLETE', '{2.5}') AS r`, [trialId])).toBeNull();
        expect(await twice(`SELECT ${q}.tunable_set_study_attr($1, true, true, $2, 'k', '1') AS r`, [id])).toBe(true);
        expect(await twice(`SELECT ${q}.tunable_set_study_attr($1, true, true, $2, 'k', '2') AS r`, [id])).toBe(false);
        const claimed = await twice(`SELECT ${q}.tunable_claim_waiting($1, $2) AS r`, [id]);
        expect(claimed[1]).toBe(0);
        await c.query(`UPDATE ${q}.trials SET datetime_start = datetime_start - interval '1 hour' WHERE trial_id = $1`, [claimed[0]]);
        await serverUpFor(1500);  // silence counts from the server's start at the earliest
        expect(await twice(`SELECT ${q}.tunable_fail_stale($1, $2, 1000, true, NULL, true) AS r`, [id])).toEqual([0]);
        const study = await twice(`SELECT ${q}.tunable_create_study($1, 'another', '["minimize"]', 1) AS r`, []);
        expect(typeof study).toBe('number');
      });
      const r = storage(url);
      const trials = await r.getAllTrials(id);
      expect(trials.map((t) => [t.number, t.state])).toEqual([
        [0, TrialState.FAIL],
        [1, TrialState.COMPLETE],
        [2, TrialState.WAITING],  // the retry of 0, enqueued once
      ]);
      expect(trials[1]!.values).toEqual([2.5]);
      expect(trials[2]!.systemAttrs).toEqual({ retriedFrom: 0, retryHistory: [0] });
      expect(await r.getStudySystemAttrs(id)).toEqual({ k: 1 });
      expect((await r.getAllStudies()).map((x) => x.studyName)).toEqual(['ids', 'another']);
    });

    it('purges request ids older than an hour and keeps the fresh ones', async () => {
      const { schema, url } = place();
      await storage(url).createStudy('purge', ['minimize']);
      await withAdmin(async (c) => {
        const count = async () => (await c.query(`SELECT count(*)::int AS n FROM "${schema}".tunable_requests`)).rows[0].n as number;
        await c.query(
          `INSERT INTO "${schema}".tunable_requests (request_id, created_at)
           SELECT gen_random_uuid(), clock_timestamp() - interval '61 minutes' FROM generate_series(1, 50)`,
        );
        await c.query(`INSERT INTO "${schema}".tunable_requests (request_id, created_at) VALUES (gen_random_uuid(), clock_timestamp() - interval '59 minutes')`);
        expect(await count()).toBe(52);
        await c.query(`SELECT "${schema}".tunable_purge_requests()`);
        expect(await count()).toBe(2);
      });
    });

    it('a write whose reply is lost after its commit is retried without applying twice', async () => {
      const { url } = place();
      const s = storage(url);
      const id = await s.createStudy('lost', ['minimize']);
      const original = pg.Client.prototype.query;
      const armed = new Set<string>();
      // The reply of the next call of each armed statement is lost: the query runs (and commits), then
      // the connection drops before the answer is delivered.
      pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
        const name = (config as { name?: string } | null)?.name;
        const p = (original as (...a: unknown[]) => unknown).call(this, config, ...rest);
        if (name === undefined || !armed.delete(name)) return p;
        return (p as Promise<unknown>).then(() => {
          (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
          throw new Error('Connection terminated unexpectedly');
        });
      } as typeof original;
      try {
        armed.add('tunable_create_trial');
        const t = await s.createTrial(id);
        expect(armed.size).toBe(0);
        expect(t.number).toBe(0);
        armed.add('tunable_set_trial_param');
        await s.setTrialParam(t.trialId, 'x', 1, F);
        armed.add('tunable_set_intermediate');
        await s.setTrialIntermediateValue(t.trialId, 0, 5);
        armed.add('tunable_set_trial_state');
        await s.setTrialState(t.trialId, TrialState.COMPLETE, [3]);
        armed.add('tunable_set_study_attr');
        expect(await s.setStudySystemAttrIfAbsent(id, 'slot', 1)).toBe(true);
        await s.createTrial(id, { state: TrialState.WAITING });
        armed.add('tunable_claim_waiting');
        expect((await s.claimWaitingTrial(id))?.number).toBe(1);
        armed.add('tunable_create_study');
        await s.createStudy('second', ['minimize']);
        expect(armed.size).toBe(0);
      } finally {
        pg.Client.prototype.query = original;
      }
      const r = storage(url);
      const trials = await r.getAllTrials(id);
      expect(trials.map((x) => [x.number, x.state])).toEqual([
        [0, TrialState.COMPLETE],
        [1, TrialState.RUNNING],
      ]);
      expect(trials[0]!.values).toEqual([3]);
      expect([...trials[0]!.intermediateValues]).toEqual([[0, 5]]);
      expect(await r.setStudySystemAttrIfAbsent(id, 'slot', 2)).toBe(false);
      expect((await r.getAllStudies()).map((x) => x.studyName)).toEqual(['lost', 'second']);
    });

    it('replays its unflushed trial writes after a lost connection, so a crash that took them loses nothing', async () => {
      const { schema, app, url } = place();
      const s = storage(url);
      const id = await s.createStudy('replay', ['minimize']);
      const t = await s.createTrial(id);
      await s.setTrialParam(t.trialId, 'x', 1, F);
      await s.setTrialUserAttr(t.trialId, 'note', 'kept');
      // What a crash before the WAL flush would leave: the two writes and their request ids gone.
      await withAdmin(async (c) => {
        await c.query(`DELETE FROM "${schema}".trial_params WHERE trial_id = $1`, [t.trialId]);
        await c.query(`DELETE FROM "${schema}".trial_user_attrs WHERE trial_id = $1`, [t.trialId]);
        await c.query(`DELETE FROM "${schema}".tunable_requests WHERE created_at > clock_timestamp() - interval '1 minute' AND result IS NULL`);
      });
      await terminate(app);
      await s.setTrialParam(t.trialId, 'y', 2, F);
      await s.setTrialState(t.trialId, TrialState.COMPLETE, [0]);
      const r = await storage(url).getTrial(t.trialId);
      expect(r.params).toEqual({ x: 1, y: 2 });
      expect(r.userAttrs).toEqual({ note: 'kept' });
    });

    it("a write that meets its earlier attempt committing meanwhile takes that attempt's recorded result, without calling the function again", async () => {
      const { schema, app, url } = place();
      const s = storage(url);
      const id = await s.createStudy('race', ['minimize']);
      const rid = randomUUID();
      const sent: string[] = [];
      const earlier = new pg.Client({ connectionString: PG_URL });
      earlier.on('error', () => undefined);
      await earlier.connect();
      const restore = intercept((q) => {
        if (q.name === 'tunable_set_study_attr') q.values![0] = rid;  // the call carries the earlier attempt's request id
        if (q.name?.startsWith('tunable_') === true) sent.push(q.name);
      });
      try {
        // The earlier attempt, committing on another backend: its request row written, its transaction
        // open. It recorded `false`, where this call would answer `true`.
        await earlier.query('BEGIN');
        await earlier.query(`INSERT INTO "${schema}".tunable_requests (request_id, result) VALUES ($1, 'false')`, [rid]);
        const pending = s.setStudySystemAttrIfAbsent(id, 'slot', 1);
        const waiting = await until(async () => {
          const n = await withAdmin(
            async (c) => (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [app])).rows[0].n as number,
          );
          return n > 0 ? n : null;
        }, 10_000);
        expect(waiting).toBe(1);  // its opening lookup missed the row, which the unique index holds
        await earlier.query('COMMIT');
        expect(await pending).toBe(false);
      } finally {
        restore();
        await earlier.end();
      }
      expect(sent.filter((n) => n === 'tunable_set_study_attr')).toHaveLength(1);
      expect(sent.filter((n) => n === 'tunable_request_result')).toHaveLength(1);
      expect(await s.getStudySystemAttrs(id)).toEqual({});  // the call applied nothing itself
    });

    it('a resend of an unsynced write whose request id has a recorded result takes that result and never loops', async () => {
      const { app, url } = place();
      const s = storage(url, { retryTimeoutMs: 4000 });
      const id = await s.createStudy('resend', ['minimize']);
      const t = await s.createTrial(id);
      let rid: string | undefined;
      let raced = 0;
      const restore = intercept((q) => {
        if (q.name !== 'tunable_set_trial_param') return;
        if (rid === undefined) rid = q.values![0] as string;  // the first attempt goes through and records its result
        else if (q.values![0] === rid) {
          raced++;
          throw requestRace();  // every resend meets it as if it were still committing
        }
      });
      try {
        await s.setTrialParam(t.trialId, 'x', 1, F);  // lazy: kept to be sent again after a lost connection
        expect(await terminate(app)).toBeGreaterThan(0);
        await sleep(300);
        const t0 = Date.now();
        await s.setTrialUserAttr(t.trialId, 'k', 1);  // resends the param first
        await s.getTrial(t.trialId);
        expect(Date.now() - t0).toBeLessThan(3000);
        expect(raced).toBe(1);
      } finally {
        restore();
      }
      await s.setTrialState(t.trialId, TrialState.COMPLETE, [0]);
      const r = await storage(url).getTrial(t.trialId);
      expect(r.params).toEqual({ x: 1 });
      expect(r.userAttrs).toEqual({ k: 1 });
    });

    it('a write that keeps meeting a request id with no recorded result gives up after a few attempts, not the retry timeout', async () => {
      const { url } = place();
      const s = storage(url, { retryTimeoutMs: 6000 });
      const id = await s.createStudy('bounded', ['minimize']);
      let raced = 0;
      const restore = intercept((q) => {
        if (q.name === 'tunable_set_study_attr') {
          raced++;
          throw requestRace();
        }
      });
      const t0 = Date.now();
      let e: Error;
      try {
        e = await rejection(s.setStudySystemAttr(id, 'k', 1));
      } finally {
        restore();
      }
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(e).toBeInstanceOf(StorageError);
      expect(e.message).toMatch(/tunable_set_study_attr \(request id [0-9a-f-]{36}\) met an earlier attempt in tunable_requests 3 times/);
      expect(raced).toBe(3);
      await s.setStudySystemAttr(id, 'k', 2);  // the storage goes on
      expect(await s.getStudySystemAttrs(id)).toEqual({ k: 2 });
    });

    it('a server restart gives every trial a fresh threshold: a sweep right after it fails none of the trials silent through the outage', async () => {
      const { schema, url } = place();
      const s = storage(url);
      const id = await s.createStudy('outage', ['minimize']);
      const t = await s.createTrial(id);
      // Silent for an hour by the server's clock: a live worker whose beats could not reach a server that was down.
      await withAdmin((c) => c.query(`UPDATE "${schema}".trials SET datetime_start = datetime_start - interval '1 hour' WHERE trial_id = $1`, [t.trialId]));
      const LIMIT = 6000;
      restartServer();
      expect(await s.failStaleTrials(id, LIMIT)).toEqual([]);
      expect((await s.getTrial(t.trialId)).state).toBe(TrialState.RUNNING);
      // once the threshold has passed since the server started, the trial is stale again
      await serverUpFor(LIMIT + 300);
      expect(await s.failStaleTrials(id, LIMIT)).toEqual([t.number]);
      const reason = (await s.getTrial(t.trialId)).systemAttrs['failReason'] as string;
      const silence = Number(/no heartbeat for (\d+) ms/.exec(reason)?.[1]);
      expect(silence).toBeGreaterThan(LIMIT);
      expect(silence).toBeLessThan(60_000);  // counted from the restart, not from the hour-old start
    });

    it('rides out a server restart in the middle of a loop of writes: every call succeeds, nothing is duplicated', async () => {
      const { url } = place();
      const s = storage(url);
      const id = await s.createStudy('restart', ['minimize']);
      let stop = false;
      const made: number[] = [];
      const loop = (async () => {
        while (!stop) {
          const t = await s.createTrial(id);
          made.push(t.number);
          await s.setTrialParam(t.trialId, 'x', 1, F);
          await s.setTrialState(t.trialId, TrialState.COMPLETE, [t.number]);
        }
      })();
      await sleep(300);
      restartServer();
      const afterRestart = made.length;
      await sleep(500);
      stop = true;
      await loop;
      expect(made.length).toBeGreaterThan(afterRestart);
      const trials = await storage(url).getAllTrials(id);
      expect(trials.map((t) => t.number)).toEqual(Array.from({ length: made.length }, (_, i) => i));
      for (const t of trials) {
        expect(t.state).toBe(TrialState.COMPLETE);
        expect(t.values).toEqual([t.number]);
        expect(t.params).toEqual({ x: 1 });
      }
    });
  });

  // -------------------------------------------------------------------------------------------------
  describe('unreachable servers and refused connections', () => {
    it('a closed port fails within the connect timeout, naming host and port, never the password', async () => {
      const s = storage('postgresql://u:secret@127.0.0.1:1/test', { connectTimeoutMs: 1000 });
      const t0 = Date.now();
      const e = await rejection(s.getAllStudies());
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(e).toBeInstanceOf(StorageError);
      expect(e.message).toContain('127.0.0.1:1');
      expect(e.message).toMatch(/ECONNREFUSED/);
      expect(inspect(e, { depth: 10 })).not.toContain('secret');
    });

    it('an address that never answers fails within the connect timeout', async () => {
      const s = storage('postgresql://u:secret@10.255.255.1:5432/test', { connectTimeoutMs: 500 });
      const t0 = Date.now();
      const e = await rejection(s.createStudy('x', ['minimize']));
      expect(Date.now() - t0).toBeLessThan(4000);
      expect(e).toBeInstanceOf(StorageError);
      expect(e.message).toContain('10.255.255.1:5432');
      expect(inspect(e, { depth: 10 })).not.toContain('secret');
    });

    it("an unknown role or database fails at once with PostgreSQL's reason, never the password", async () => {
      const base = new URL(PG_URL);
      const role = new URL(base);
      role.username = 'no_such_role_tunable';
      role.password = 'secret';
      role.searchParams.set('connect_timeout', '30'); // other suites restart the server now and then
      const s = storage(role.toString());
      const t0 = Date.now();
      const e = await rejection(s.getAllStudies());
      // Refused, not retried (only a server restarting meanwhile, which is retried, makes it wait).
      expect(Date.now() - t0).toBeLessThan(35_000);
      expect(e).toBeInstanceOf(StorageError);
      expect(e.message).toMatch(/^Cannot connect to the PostgreSQL server/);
      expect(e.message).toMatch(/no_such_role_tunable/);
      expect(e.message).toContain(`${base.hostname}:${base.port || 5432}`);
      expect(inspect(e, { depth: 10 })).not.toContain('secret');

      const db = new URL(base);
      db.pathname = '/no_such_db_tunable';
      db.password = 'secret';
      db.searchParams.set('connect_timeout', '30');
      const e2 = await rejection(storage(db.toString()).getAllStudies());
      expect(e2).toBeInstanceOf(StorageError);
      expect(e2.message).toMatch(/database "no_such_db_tunable" does not exist/);
      expect(inspect(e2, { depth: 10 })).not.toContain('secret');
    });
  });

  // -------------------------------------------------------------------------------------------------
  describe('heartbeats', () => {
    it('keep beating while the main thread is blocked, on the server clock', async () => {
      const { schema, url } = place();
      const s = storage(url);
      const id = await s.createStudy('hb', ['minimize']);
      const t = await s.createTrial(id);
      const beats = s.startHeartbeats(50);
      beats.add(t.trialId);
      const serverNow = async () => withAdmin(async (c) => (await c.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]!.now.getTime());
      const heartbeat = async () =>
        withAdmin(async (c) => (await c.query<{ hb: Date | null }>(`SELECT heartbeat AS hb FROM "${schema}".trials WHERE trial_id = $1`, [t.trialId])).rows[0]!.hb);
      const blockedAt = await serverNow();
      const until = Date.now() + 800;
      while (Date.now() < until) {
        /* the event loop is held: only the worker thread can beat */
      }
      const hb = await heartbeat();
      expect(hb).not.toBeNull();
      expect(hb!.getTime()).toBeGreaterThan(blockedAt + 300);
      expect(hb!.getTime()).toBeLessThanOrEqual((await serverNow()) + 5);
      await beats.close();
    });

    it('the beat thread connects when heartbeats start: a trial added at once beats without waiting for its first tick', async () => {
      const { schema, url } = place();
      const s = storage(url);
      const id = await s.createStudy('hb', ['minimize']);
      const t = await s.createTrial(id);
      const beats = s.startHeartbeats(6000);
      beats.add(t.trialId);
      // Connected at once, the thread beats every registered trial: long before the first tick at 6 s.
      expect(await until(() => heartbeatOf(schema, t.trialId), 4000)).not.toBeNull();
      await beats.close();
    });

    it('after a lost connection the thread reconnects at once and beats every trial, well within one interval', async () => {
      const { schema, app, url } = place();
      const s = storage(url);
      const id = await s.createStudy('hb', ['minimize']);
      const t = await s.createTrial(id);
      const beats = s.startHeartbeats(4000);
      beats.add(t.trialId);
      expect(await until(() => heartbeatOf(schema, t.trialId), 6000)).not.toBeNull();
      // Right after a beat, the next tick is an interval away: any later beat comes from the reconnect.
      const killedAt = await serverNow();
      expect(await terminate(app)).toBeGreaterThan(0);
      const next = await until(async () => {
        const hb = await heartbeatOf(schema, t.trialId);
        return hb !== null && hb.getTime() > killedAt ? hb : null;
      }, 2000);
      expect(next).not.toBeNull();
      await beats.close();
    });

    it('a thread that never beat holds no connection after close() and never keeps a process alive', async () => {
      const { app, url } = place();
      const s = storage(url);
      await s.createStudy('idle', ['minimize']);
      s.startHeartbeats(1000);
      await sleep(500);
      await s.close();
      expect(await connections(app, 0)).toBe(0);
      const dir = mkdtempSync(join(tmpdir(), 'tunable-pg-'));
      try {
        const script = join(dir, 'beat.mts');
        writeFileSync(
          script,
          `import { PostgresStorage } from ${JSON.stringify(SRC)};
           const s = new PostgresStorage(process.argv[2]);
           const id = await s.createStudy('p', ['minimize']);
           s.startHeartbeats(60_000).add((await s.createTrial(id)).trialId);
           await new Promise((r) => setTimeout(r, 1000));  // the thread is connected by now
           console.log('started');`,
        );
        const exit = await new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', script, url], { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr.on('data', (d: Buffer) => (out += d.toString()));
          const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
          child.on('exit', (code) => {
            clearTimeout(timer);
            resolve({ code, out });
          });
        });
        expect(exit.out.trim()).toBe('started');
        expect(exit.code).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('the beat thread reconnects after its connection is terminated; close() ends it', async () => {
      const { schema, app, url } = place();
      const s = storage(url);
      const id = await s.createStudy('hb', ['minimize']);
      const t = await s.createTrial(id);
      const beats = s.startHeartbeats(50);
      beats.add(t.trialId);
      await sleep(300);
      await terminate(app);
      const killedAt = await withAdmin(async (c) => (await c.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]!.now.getTime());
      await sleep(500);
      const hb = await withAdmin(async (c) => (await c.query<{ hb: Date }>(`SELECT heartbeat AS hb FROM "${schema}".trials WHERE trial_id = $1`, [t.trialId])).rows[0]!.hb);
      expect(hb.getTime()).toBeGreaterThan(killedAt);
      await s.close();
      expect(await connections(app, 0)).toBe(0);
    });
  });

  // -------------------------------------------------------------------------------------------------
  describe('withStudyLock', () => {
    it('excludes holders in two storages (two processes to the server)', async () => {
      const { url } = place();
      const a = storage(url);
      const b = storage(url);
      const id = await a.createStudy('lock', ['minimize']);
      let inside = 0;
      let most = 0;
      const order: string[] = [];
      const hold = (s: PostgresStorage, tag: string) =>
        s.withStudyLock(id, 'sample', async () => {
          inside++;
          most = Math.max(most, inside);
          order.push(tag);
          await sleep(5 + Math.random() * 10);
          await s.getNTrials(id);
          inside--;
          return tag;
        });
      const results = await Promise.all([...Array.from({ length: 8 }, (_, i) => hold(a, `a${i}`)), ...Array.from({ length: 8 }, (_, i) => hold(b, `b${i}`))]);
      expect(most).toBe(1);
      expect(order).toHaveLength(16);
      expect(results).toContain('a7');
      // another name, or another study, is another lock
      let both = 0;
      await a.withStudyLock(id, 'x', async () => {
        await b.withStudyLock(id, 'y', async () => void both++);
        const other = await a.createStudy('other', ['minimize']);
        await b.withStudyLock(other, 'x', async () => void both++);
      });
      expect(both).toBe(2);
    });

    it('releases the lock when fn throws, and holds at most one connection per lock in a process', async () => {
      const { url } = place();
      const a = storage(url, { poolSize: 2 });
      const b = storage(url);
      const id = await a.createStudy('lock', ['minimize']);
      await expect(a.withStudyLock(id, 'sample', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      const got = await Promise.race([b.withStudyLock(id, 'sample', async () => 'free'), sleep(5000).then(() => 'stuck')]);
      expect(got).toBe('free');
      // five callers of one lock on a pool of two: each needs a second connection inside fn
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => a.withStudyLock(id, 'sample', async () => (await a.createTrial(id)).number + i * 0)));
      expect(results.sort()).toEqual([0, 1, 2, 3, 4]);
    });

    it('a lock dies with the connection holding it', async () => {
      const { app, url } = place();
      const a = storage(url);
      const b = storage(url);
      const id = await a.createStudy('lock', ['minimize']);
      let release!: () => void;
      const held = a.withStudyLock(id, 'sample', () => new Promise<void>((r) => (release = r)));
      await sleep(200);
      expect(await Promise.race([b.withStudyLock(id, 'sample', async () => 'got'), sleep(300).then(() => 'waiting')])).toBe('waiting');
      await terminate(app);
      expect(await Promise.race([b.withStudyLock(id, 'sample', async () => 'got'), sleep(5000).then(() => 'waiting')])).toBe('got');
      release();
      await held;
    });
  });

  it('close() ends every connection; later calls throw the closed error', async () => {
    const { app, url } = place();
    const s = storage(url);
    const id = await s.createStudy('c', ['minimize']);
    s.startHeartbeats(50).add((await s.createTrial(id)).trialId);
    await sleep(150);
    await s.close();
    await s.close();
    await expect(s.getAllTrials(id)).rejects.toThrow(/closed/);
    await expect(s.withStudyLock(id, 'x', async () => 1)).rejects.toThrow(/closed/);
    expect(() => s.startHeartbeats(50)).toThrow(/closed/);
    expect(await connections(app, 0)).toBe(0);
    await expect(s.createTrial(id)).rejects.toBeInstanceOf(StorageError);
    await expect(s.setTrialState(1, TrialState.FAIL)).rejects.not.toBeInstanceOf(TrialFinishedError);
  });
});
