/**
 * PostgreSQL for the tests: the server's URL, a fresh schema per harness, and whether a server answers.
 *
 * TUNABLE_PG_URL picks the server (default postgresql://postgres@127.0.0.1:5432/test). With CI=true the
 * PostgreSQL suites always run (an unreachable server fails them); elsewhere they are skipped, with one
 * line saying how to start a server, when none answers within two seconds.
 */
import pg from 'pg';
import { describe } from 'vitest';
import { classify } from '../src/storage/postgres-retry.js';

export const PG_URL = process.env['TUNABLE_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

const CI = process.env['CI'] === 'true';

async function answers(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export const pgReachable = await answers();
/** The PostgreSQL suites run: a server answers, or CI requires them. */
export const pgEnabled = pgReachable || CI;
if (!pgEnabled) {
  console.log(
    `PostgreSQL tests skipped: no server answers at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} ` +
      '(start one with `pg_ctlcluster 15 main start`, or point TUNABLE_PG_URL at one)',
  );
}
export const describePg = pgEnabled ? describe : describe.skip;

let counter = 0;

/** A schema name no other harness, test file or process uses. */
export function freshSchema(): string {
  return `tunable_t_${process.pid}_${counter++}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * PG_URL with `?schema=` set (a fresh schema by default). Other suites restart the shared server (for
 * seconds at a time), so a storage gets 30 s rather than the default 10 s to make its first connection.
 */
export function schemaUrl(schema: string = freshSchema(), base: string = PG_URL): string {
  const u = new URL(base);
  u.searchParams.set('schema', schema);
  if (!u.searchParams.has('connect_timeout')) u.searchParams.set('connect_timeout', '30');
  return u.toString();
}

/**
 * Runs `fn` with a connection of its own to PG_URL's database (test setup and inspection). Some suites
 * restart the shared server: a connection refused or lost meanwhile is retried for up to 30 s (`fn` runs
 * again, so it must be safe to repeat: reads, DROP … IF EXISTS).
 */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const started = Date.now();
  for (;;) {
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return await fn(c);
    } catch (e) {
      if (!classify(e).connectionLost || Date.now() - started > 30_000) throw e;
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

/** Drops a schema made by a test, with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  if (!pgReachable) return;
  await withAdmin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`));
}
