/**
 * SQLite storage across processes: concurrent writers, a writer killed mid-trial, schema migrations.
 * Workers are TypeScript run through tsx (node --import tsx), so no build is needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { floatDistribution } from '../../src/distributions/index.js';
import { StorageError, TrialFinishedError } from '../../src/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, SqliteStorage, migrate, type Migration } from '../../src/storage/sqlite.js';
import { TrialState } from '../../src/trial/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const workerScript = join(here, 'fixtures', 'sqlite-worker.ts');

let dir: string;
let dbPath: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunable-mp-'));
  dbPath = join(dir, 'shared.db');
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Worker {
  child: ChildProcess;
  /** Resolves with the first stdout line matching `re`. */
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startWorker(args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.slice()) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal, stderr: err })),
  );
  return {
    child,
    exited,
    waitFor: (re) =>
      new Promise((res, rej) => {
        const m = out.match(re);
        if (m) return res(m);
        waiters.push({ re, resolve: res });
        void exited.then((x) => rej(new Error(`worker exited (${x.code ?? x.signal}) before ${re}: ${x.stderr}`)));
      }),
  };
}

describe('SqliteStorage with several processes', () => {
  it('4 processes × 50 trials on one file: 200 trials, numbers 0..199 once each, every value stored', async () => {
    const workers = [0, 1, 2, 3].map((w) => startWorker([dbPath, 'shared', 'trials', String(w), '50']));
    const results = await Promise.all(workers.map((w) => w.exited));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });

    const s = new SqliteStorage(dbPath);
    try {
      const id = await s.getStudyIdFromName('shared');
      const all = await s.getAllTrials(id);
      expect(all).toHaveLength(200);
      expect(all.map((t) => t.number)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      const seen = new Set<string>();
      for (const t of all) {
        expect(t.state).toBe(TrialState.COMPLETE);
        const w = t.userAttrs['worker'] as number;
        const i = t.userAttrs['i'] as number;
        seen.add(`${w}:${i}`);
        expect(t.values).toEqual([w * 1000 + i + 0.1 + 0.2]);
        expect(t.params).toEqual({ x: (w + i / 100) % 5, k: i, c: ['a', 'b', 'c'][i % 3] });
        expect([...t.intermediateValues]).toEqual([[0, i]]);
      }
      expect(seen.size).toBe(200);
      expect(await s.getNTrials(id, [TrialState.COMPLETE])).toBe(200);
      expect((await s.getAllStudies()).length).toBe(1);
    } finally {
      await s.close();
    }
    const db = new Database(dbPath, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  }, 120_000);

  it('a process SIGKILLed mid-trial leaves completed trials intact; failStaleTrials fails its RUNNING trial', async () => {
    const w = startWorker([dbPath, 'killed', 'hang', '0', '5']);
    const [, trialIdText] = await w.waitFor(/ready (\d+)/);
    w.child.kill('SIGKILL');
    expect((await w.exited).signal).toBe('SIGKILL');
    const runningId = Number(trialIdText);

    const s = new SqliteStorage(dbPath);
    try {
      const id = await s.getStudyIdFromName('killed');
      const all = await s.getAllTrials(id);
      expect(all.map((t) => [t.number, t.state])).toEqual([
        [0, 'COMPLETE'],
        [1, 'COMPLETE'],
        [2, 'COMPLETE'],
        [3, 'COMPLETE'],
        [4, 'COMPLETE'],
        [5, 'RUNNING'],
      ]);
      for (const t of all.slice(0, 5)) expect(t.values).toEqual([t.number + 0.1 + 0.2]);
      expect(all[5]!.trialId).toBe(runningId);
      expect(all[5]!.params).toEqual({ x: 1 });
      expect(await s.failStaleTrials(id, 60_000)).toEqual([]); // its heartbeat is recent
      await new Promise((r) => setTimeout(r, 60));
      expect(await s.failStaleTrials(id, 30)).toEqual([5]);
      const failed = await s.getTrial(runningId);
      expect(failed.state).toBe(TrialState.FAIL);
      expect(failed.systemAttrs['failReason']).toMatch(/heartbeat/);
      expect(failed.params).toEqual({ x: 1 });
      await expect(s.setTrialState(runningId, TrialState.COMPLETE, [1])).rejects.toBeInstanceOf(TrialFinishedError);
      // the study goes on
      expect((await s.createTrial(id)).number).toBe(6);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a process SIGKILLed at a random point of a write loop loses no committed trial', async () => {
    const others = [1, 2].map((w) => startWorker([dbPath, 'loop', 'loop', String(w)]));
    const victim = startWorker([dbPath, 'loop', 'loop', '0']);
    await victim.waitFor(/completed \d+\n(.|\n)*completed \d+\n(.|\n)*completed \d+\n/);
    await new Promise((r) => setTimeout(r, 37));
    victim.child.kill('SIGKILL');
    await victim.exited;
    await new Promise((r) => setTimeout(r, 150)); // the others keep writing after the crash
    for (const o of others) o.child.kill('SIGKILL');
    await Promise.all(others.map((o) => o.exited));

    const db = new Database(dbPath, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const s = new SqliteStorage(dbPath);
    try {
      const id = await s.getStudyIdFromName('loop');
      const all = await s.getAllTrials(id);
      expect(all.length).toBeGreaterThan(3);
      expect(all.map((t) => t.number)).toEqual(Array.from({ length: all.length }, (_, i) => i));
      for (const t of all) {
        if (t.state === TrialState.COMPLETE) {
          const w = t.userAttrs['worker'] as number;
          const i = t.userAttrs['i'] as number;
          expect(t.values).toEqual([w * 1000 + i + 0.1 + 0.2]);
          expect(Object.keys(t.params).sort()).toEqual(['c', 'k', 'x']);
        } else {
          expect(t.state).toBe(TrialState.RUNNING); // each killed worker left at most one
        }
      }
      const running = all.filter((t) => t.state === TrialState.RUNNING);
      expect(running.length).toBeLessThanOrEqual(3);
      await new Promise((r) => setTimeout(r, 30));
      expect((await s.failStaleTrials(id, 10)).sort((a, b) => a - b)).toEqual(running.map((t) => t.number));
      expect(await s.getNTrials(id, [TrialState.RUNNING])).toBe(0);
    } finally {
      await s.close();
    }
  }, 60_000);
});

describe('SqliteStorage schema versions', () => {
  it('creates a v1 database and reopens it without change', async () => {
    expect(SCHEMA_VERSION).toBe(1);
    const s1 = new SqliteStorage(dbPath);
    const id = await s1.createStudy('v1', ['maximize']);
    const t = await s1.createTrial(id);
    await s1.setTrialParam(t.trialId, 'x', 0.5, floatDistribution(0, 1));
    await s1.setTrialState(t.trialId, TrialState.COMPLETE, [2]);
    await s1.close();

    const raw = new Database(dbPath);
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    raw.close();

    const s2 = new SqliteStorage(dbPath);
    const again = await s2.getAllTrials(await s2.getStudyIdFromName('v1'));
    expect(again.map((x) => [x.params, x.values])).toEqual([[{ x: 0.5 }, [2]]]);
    await s2.close();
  });

  it('refuses a database written by a newer schema version', async () => {
    await new SqliteStorage(dbPath).close();
    const raw = new Database(dbPath);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new SqliteStorage(dbPath)).toThrow(StorageError);
    expect(() => new SqliteStorage(dbPath)).toThrow(/version 99.*newer.*upgrade tunable/);
  });

  it('refuses a database that is not a tunable one', () => {
    const raw = new Database(dbPath);
    raw.exec('CREATE TABLE mine (x)');
    raw.close();
    expect(() => new SqliteStorage(dbPath)).toThrow(/not a tunable database/);
    expect(() => new SqliteStorage(join(dir, 'no', 'such', 'dir.db'))).toThrow(StorageError);
  });

  it('migrates an older database in order, once, keeping its data', async () => {
    const s1 = new SqliteStorage(dbPath);
    const id = await s1.createStudy('old', ['minimize']);
    await s1.setStudyUserAttr(id, 'k', 'v');
    await s1.close();

    const applied: number[] = [];
    const v2: Migration = {
      version: 2,
      description: 'test: a note per study',
      up: (db) => {
        applied.push(2);
        db.exec(`ALTER TABLE studies ADD COLUMN note TEXT NOT NULL DEFAULT ''`);
      },
    };
    const v3: Migration = { version: 3, description: 'test: an index', up: 'CREATE INDEX studies_note ON studies(note)' };
    const db = new Database(dbPath);
    expect(migrate(db, [...MIGRATIONS, v2, v3])).toEqual({ from: 1, to: 3 });
    expect(migrate(db, [...MIGRATIONS, v2, v3])).toEqual({ from: 3, to: 3 }); // idempotent
    expect(applied).toEqual([2]);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(db.prepare('SELECT study_name, note FROM studies').all()).toEqual([{ study_name: 'old', note: '' }]);
    // a failing migration rolls back entirely
    const bad: Migration = { version: 4, description: 'broken', up: 'CREATE TABLE t4 (x); SELECT * FROM no_such_table' };
    expect(() => migrate(db, [...MIGRATIONS, v2, v3, bad])).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 't4'`).get()).toEqual({ n: 0 });
    // a misnumbered list is refused
    expect(() => migrate(db, [...MIGRATIONS, v3])).toThrow(/numbered/);
    db.close();
    // this tunable (schema 1) now refuses the upgraded file
    expect(() => new SqliteStorage(dbPath)).toThrow(/version 3/);
  });

  it('runs a table-rebuilding migration with foreign keys off, without cascading deletes', async () => {
    const s1 = new SqliteStorage(dbPath);
    const id = await s1.createStudy('kept', ['minimize']);
    const t = await s1.createTrial(id);
    await s1.setTrialState(t.trialId, TrialState.COMPLETE, [5]);
    await s1.close();
    const rebuild: Migration = {
      version: 2,
      description: 'test: rebuild studies',
      disableForeignKeys: true,
      up: `
        CREATE TABLE studies_new (study_id INTEGER PRIMARY KEY AUTOINCREMENT, study_name TEXT NOT NULL UNIQUE,
          directions TEXT NOT NULL, created_at INTEGER NOT NULL, note TEXT);
        INSERT INTO studies_new (study_id, study_name, directions, created_at) SELECT study_id, study_name, directions, created_at FROM studies;
        DROP TABLE studies;
        ALTER TABLE studies_new RENAME TO studies;`,
    };
    const db = new Database(dbPath);
    db.pragma('foreign_keys = ON');
    expect(migrate(db, [...MIGRATIONS, rebuild])).toEqual({ from: 1, to: 2 });
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1); // restored
    expect(db.prepare('SELECT COUNT(*) AS n FROM trials').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM trial_values').get()).toEqual({ n: 1 });
    db.close();
  });

  it('migrates a fresh database from version 0', () => {
    const db = new Database(dbPath);
    expect(migrate(db)).toEqual({ from: 0, to: SCHEMA_VERSION });
    db.close();
  });

  it('a fresh file migrated by another process between the first two reads of the schema is not refused', () => {
    // Process B reads user_version = 0; process A then creates the schema and commits; B counts tables.
    // Those reads must see one snapshot, or B refuses a good database as "has tables but no tunable schema
    // version" (the race behind a rare failure of the 4-process test above). The other process is a second
    // connection here, run at the moment B first reads sqlite_master.
    const b = new Database(dbPath);
    b.pragma('journal_mode = WAL');
    const a = new Database(dbPath);
    let interleaved = false;
    const racing = new Proxy(b, {
      get(target, key) {
        if (key === 'prepare') {
          return (sql: string) => {
            if (!interleaved && sql.includes('sqlite_master')) {
              interleaved = true;
              expect(migrate(a)).toEqual({ from: 0, to: SCHEMA_VERSION });
            }
            return target.prepare(sql);
          };
        }
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    });
    try {
      expect(migrate(racing)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
      expect(interleaved).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });
});
