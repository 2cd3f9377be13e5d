/**
 * Heartbeats for PostgreSQL from a worker thread with a connection of its own, so that an objective that
 * holds the event loop (a tight training loop, a blocking native call) does not go silent and get failed
 * as stale by another worker's `failStaleTrials`.
 *
 * One worker per storage, started by the storage's first `startHeartbeats()` and ended by
 * `PostgresStorage.close()`, serves every optimize loop on that storage; each loop gets a `Heartbeats`
 * handle for its own trials. The worker connects as soon as it starts, so that no beat waits for a
 * thread to boot, `pg` to load and a connection to open (seconds on a loaded machine, longer than a
 * short interval's stale threshold). Every interval, ONE `UPDATE … WHERE trial_id = ANY($1)` beats all
 * the trials registered with that interval, with the server's clock; a trial's start counts as its first
 * beat. A lost connection (a failed beat, a server restart) is reopened at once, with backoff, and every
 * registered trial beats as soon as it is open again: their beats are overdue. The worker is a short
 * inline script (no file to resolve in the built package or under a TypeScript loader); it loads the same
 * `pg` the storage uses, by absolute path. It never keeps the process alive on its own.
 */
import { createRequire } from 'node:module';
import { BeatThread } from './beat-thread.js';

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

// Runs in the worker. Messages: { add: id, intervalMs } | { remove: id } | { close: true }.
// - One ticker per distinct interval; a tick beats every trial registered with that interval (skipped
//   while the previous beat of that interval is still out, or while there is no connection).
// - At most one connection: `client` once open, `pending` while it opens. Whenever there is none (at
//   start, after a failed connect or beat, after the server dropped it) a connect is under way or
//   scheduled (`retry`): 20 ms doubling, at most a quarter of the shortest interval (but 50 ms at
//   least) and 1 s, so a server back from an outage hears from every trial within moments. Once open,
//   every registered trial beats at once.
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { Client } = require(workerData.driver);
const trials = new Map();   // trial id -> interval ms
const tickers = new Map();  // interval ms -> { timer, busy }
let client = null;          // the open connection
let pending = null;         // the connection being opened
let retry = null;           // the timer of the next connect
let failures = 0;           // connects and beats failed in a row
let closing = false;
const backoff = () => {
  let cap = 1000;
  for (const ms of tickers.keys()) cap = Math.min(cap, ms / 4);
  return Math.min(Math.max(cap, 50), 20 * 2 ** Math.min(failures, 10));
};
const reconnect = () => {
  if (closing || client !== null || pending !== null || retry !== null) return;
  retry = setTimeout(() => { retry = null; connect(); }, backoff());
};
const drop = (c) => {
  if (client === c) client = null;
  c.end().catch(() => {});
  reconnect();
};
const send = async (c, ids) => {
  if (ids.length === 0) return;
  try {
    await c.query(workerData.sql, [ids.map(String)]);
    failures = 0;
  } catch {
    failures++;
    drop(c);  // a missed beat: the reconnect beats every trial again
  }
};
const connect = () => {
  if (closing || client !== null || pending !== null) return;
  const c = new Client(workerData.connection);
  pending = c;
  c.on('error', () => drop(c));
  c.on('end', () => drop(c));
  c.connect().then(
    () => {
      pending = null;
      if (closing) return void c.end().catch(() => {});
      client = c;
      void send(c, [...trials.keys()]);
    },
    () => {
      pending = null;
      failures++;
      drop(c);
    },
  );
};
const tick = async (ms) => {
  const ticker = tickers.get(ms);
  const c = client;
  if (ticker === undefined || ticker.busy) return;
  if (c === null) return reconnect();
  const ids = [];
  for (const [id, each] of trials) if (each === ms) ids.push(id);
  ticker.busy = true;
  try {
    await send(c, ids);
  } finally {
    ticker.busy = false;
  }
};
const sync = () => {
  const wanted = new Set(trials.values());
  for (const [ms, t] of tickers) if (!wanted.has(ms)) { clearInterval(t.timer); tickers.delete(ms); }
  for (const ms of wanted) if (!tickers.has(ms)) tickers.set(ms, { timer: setInterval(tick, ms, ms), busy: false });
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
    clearTimeout(retry);
    trials.clear();
    sync();
    const c = client;
    client = null;
    // A connect still under way (a server that does not answer) ends with the thread, without waiting.
    (c === null ? Promise.resolve() : c.end().catch(() => {})).then(() => process.exit(0));
  }
});
connect();
`;

const driver = createRequire(import.meta.url).resolve('pg');

/**
 * The heartbeat thread of one PostgreSQL storage, which connects at once. `sql` updates the heartbeat of
 * the trials whose ids are in `$1` (text[]), with the server's clock.
 */
export function postgresBeatThread(connection: HeartbeatConnection, sql: string): BeatThread {
  return new BeatThread(SCRIPT, { driver, connection, sql });
}
