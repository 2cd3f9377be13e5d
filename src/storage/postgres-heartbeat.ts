/**
 * Heartbeats for PostgreSQL from a worker thread with a connection of its own, so that an objective that
 * holds the event loop (a tight training loop, a blocking native call) does not go silent and get failed
 * as stale by another worker's `failStaleTrials`.
 *
 * One worker per storage, started on first use and ended by `PostgresStorage.close()`, serves every
 * optimize loop on that storage; each loop gets a `Heartbeats` handle for its own trials. Every interval,
 * ONE `UPDATE … WHERE trial_id = ANY($1)` beats all the trials registered with that interval, with the
 * server's clock. A trial's start counts as its first beat, and the connection is opened at the first
 * beat, so a process whose trials all end within an interval costs no connection here. A beat that fails
 * drops the connection; the next beat opens a new one. The worker is a short inline script (no file to
 * resolve in the built package or under a TypeScript loader); it loads the same `pg` the storage uses,
 * by absolute path.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Heartbeats } from './base.js';

/** What the worker connects with: pg client settings (plain data, so the password is in it). */
export interface HeartbeatConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  readonly ssl: false | { readonly rejectUnauthorized: boolean };
  readonly connectionTimeoutMillis: number;
  readonly application_name: string;
  readonly options: string;
  readonly keepAlive: boolean;
}

// Runs in the worker. Messages: { add: id, intervalMs } | { remove: id } | { close: true }. One ticker
// per distinct interval; a tick beats every trial registered with that interval (skipped while the
// previous beat of that interval is still out, e.g. during a reconnect).
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { Client } = require(workerData.driver);
const trials = new Map();   // trial id -> interval ms
const tickers = new Map();  // interval ms -> { timer, busy }
let client = null;
let closing = false;
const drop = (c) => {
  if (client === c) client = null;
  c.end().catch(() => {});
};
const connect = async () => {
  if (client !== null) return client;
  const c = new Client(workerData.connection);
  c.on('error', () => drop(c));  // a dropped connection: the next beat opens another
  client = c;
  try {
    await c.connect();
  } catch (e) {
    drop(c);
    throw e;
  }
  return c;
};
const beat = async (intervalMs) => {
  const ticker = tickers.get(intervalMs);
  if (ticker === undefined || ticker.busy) return;
  const ids = [];
  for (const [id, ms] of trials) if (ms === intervalMs) ids.push(String(id));
  if (ids.length === 0) return;
  ticker.busy = true;
  let c = null;
  try {
    c = await connect();
    if (!closing) await c.query(workerData.sql, [ids]);
  } catch {
    if (c !== null) drop(c);  // a missed beat; the next one reconnects
  } finally {
    ticker.busy = false;
  }
};
const sync = () => {
  const wanted = new Set(trials.values());
  for (const [ms, t] of tickers) if (!wanted.has(ms)) { clearInterval(t.timer); tickers.delete(ms); }
  for (const ms of wanted) if (!tickers.has(ms)) tickers.set(ms, { timer: setInterval(beat, ms, ms), busy: false });
};
parentPort.on('message', (m) => {
  if (m.add !== undefined) {
    trials.set(m.add, m.intervalMs);
    sync();
  } else if (m.remove !== undefined) {
    trials.delete(m.remove);
    sync();
  } else if (m.close) {
    closing = true;
    trials.clear();
    sync();
    const c = client;
    client = null;
    (c === null ? Promise.resolve() : c.end().catch(() => {})).then(() => parentPort.close());
  }
});
`;

const driver = createRequire(import.meta.url).resolve('pg');

/** The heartbeat worker of one storage. */
export class PgHeartbeatThread {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private closed = false;

  /** `sql` updates the heartbeat of the trials whose ids are in `$1` (text[]), with the server's clock. */
  constructor(connection: HeartbeatConnection, sql: string) {
    this.worker = new Worker(SCRIPT, { eval: true, workerData: { driver, connection, sql } });
    this.worker.unref();  // never keeps the process alive on its own
    this.exited = new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.once('error', () => resolve());
    });
  }

  /** A handle for one optimize loop's trials: close() stops those beats, not the thread. */
  handle(intervalMs: number): Heartbeats {
    const mine = new Set<number>();
    let open = true;
    const post = (m: object): void => {
      if (open && !this.closed) this.worker.postMessage(m);
    };
    return {
      add: (id) => {
        post({ add: id, intervalMs });
        if (open) mine.add(id);
      },
      remove: (id) => {
        post({ remove: id });
        mine.delete(id);
      },
      close: async () => {
        for (const id of mine) post({ remove: id });
        mine.clear();
        open = false;
      },
    };
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      // Referenced again while it shuts down, so that a script ending with `await storage.close()`
      // does not exit before the thread has closed its connection.
      this.worker.ref();
      this.worker.postMessage({ close: true });
    }
    return this.exited;
  }
}
