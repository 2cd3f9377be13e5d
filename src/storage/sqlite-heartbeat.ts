/**
 * Heartbeats for SQLite from a worker thread with its own connection. A synchronous objective that holds
 * the event loop for minutes (a tight training loop, a blocking native call) would otherwise stop the
 * beat, and another process's `failStaleTrials` would fail a trial that is alive.
 *
 * One worker per storage, started on first use and ended by `SqliteStorage.close()`, serves every
 * optimize loop on that storage; each loop gets a `Heartbeats` handle for its own trials. The worker is a
 * short inline script (no file to resolve in the built package or under a TypeScript loader); it loads
 * the same better-sqlite3 the storage uses, by absolute path.
 */
import { createRequire } from 'node:module';
import { BeatThread } from './beat-thread.js';

// Runs in the worker. Messages: { add: id, intervalMs } | { remove: id } | { close: true }. The UPDATE
// is the one of SqliteStorage.recordHeartbeat: only unfinished trials beat. A trial's start counts as its
// first beat, so the first UPDATE comes one interval after `add`, and the connection is opened only then:
// trials shorter than an interval (most) cost no I/O here. `fileMustExist`: a database deleted meanwhile
// is never re-created by a beat.
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db = null;
let beat = null;
const statement = () => {
  if (beat === null) {
    db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs, fileMustExist: true });
    beat = db.prepare("UPDATE trials SET heartbeat = ? WHERE trial_id = ? AND state IN ('RUNNING', 'WAITING')");
  }
  return beat;
};
const timers = new Map();
const send = (id) => { try { statement().run(Date.now(), id); } catch { /* a missed beat; the next one retries */ } };
parentPort.on('message', (m) => {
  if (m.add !== undefined) {
    clearInterval(timers.get(m.add));
    timers.set(m.add, setInterval(send, m.intervalMs, m.add));
  } else if (m.remove !== undefined) {
    clearInterval(timers.get(m.remove));
    timers.delete(m.remove);
  } else if (m.close) {
    for (const t of timers.values()) clearInterval(t);
    if (db !== null) db.close();
    parentPort.close();
  }
});
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** The heartbeat thread of one SQLite file. */
export function sqliteBeatThread(path: string, busyTimeoutMs: number): BeatThread {
  return new BeatThread(SCRIPT, { driver, path, busyTimeoutMs });
}
