/**
 * The local PostgreSQL 15 cluster the chaos runs break (pg_ctlcluster, run as root or postgres) and the
 * schemas they use. Every outage ends with the server online again: callers restart it in a `finally`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const CLUSTER = ['15', 'main'] as const;

/** The database; a study lives in `?schema=NAME` of it. */
export const PG_URL = process.env['TUNABLE_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

export const schemaUrl = (schema: string): string => `${PG_URL}?schema=${schema}`;

/** pg_ctlcluster 15 main <action>; returns how long it took (ms). */
export async function pgctl(action: 'restart' | 'stop' | 'start'): Promise<number> {
  const t = Date.now();
  await run('pg_ctlcluster', [...CLUSTER, action]);
  return Date.now() - t;
}

export async function isOnline(): Promise<boolean> {
  const { stdout } = await run('pg_lsclusters', ['--no-header']);
  return stdout.split('\n').some((l) => /^15\s+main\s+\d+\s+online/.test(l));
}

/** Starts the cluster when it is down (a run interrupted mid-outage). */
export async function ensureOnline(): Promise<void> {
  if (!(await isOnline())) await pgctl('start');
}

/** Waits until a connection succeeds (after a start, the server may still refuse for a moment). */
export async function waitAccepting(timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const c = new pg.Client({ connectionString: PG_URL });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`);
  } finally {
    await c.end();
  }
}
