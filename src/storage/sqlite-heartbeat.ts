/**
 * Heartbeats for SQLite from a worker thread with its own connection. A synchronous objective that holds
 * the event loop for minutes (a tight training loop, a blocking native call) would otherwise stop the
 * beat, and another process's `failStaleTrials` would fail a trial that is alive.
 *
 * The worker is a short inline script (no file to resolve in the built package or under a TypeScript
 * loader); it loads the same better-sqlite3 the storage uses, by absolute path.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Heartbeats } from './base.js';

// Runs in the worker. Messages: { add: id } | { remove: id } | { close: true }. The UPDATE is the one
// of SqliteStorage.recordHeartbeat: only unfinished trials beat.
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
const beat = db.prepare("UPDATE trials SET heartbeat = ? WHERE trial_id = ? AND state IN ('RUNNING', 'WAITING')");
const ids = new Set();
const send = (id) => { try { beat.run(Date.now(), id); } catch { /* a missed beat; the next one retries */ } };
const timer = setInterval(() => { for (const id of ids) send(id); }, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m.add !== undefined) { ids.add(m.add); send(m.add); }
  else if (m.remove !== undefined) ids.delete(m.remove);
  else if (m.close) { clearInterval(timer); db.close(); parentPort.close(); }
});
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

export function sqliteHeartbeats(path: string, intervalMs: number, busyTimeoutMs: number): Heartbeats {
  const worker = new Worker(SCRIPT, { eval: true, workerData: { driver, path, intervalMs, busyTimeoutMs } });
  worker.unref();  // never keeps the process alive on its own
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => resolve());
    worker.once('error', () => resolve());  // e.g. the file was deleted: beats stop, nothing else breaks
  });
  let closed = false;
  return {
    add: (trialId) => {
      if (!closed) worker.postMessage({ add: trialId });
    },
    remove: (trialId) => {
      if (!closed) worker.postMessage({ remove: trialId });
    },
    close: async () => {
      if (closed) return exited;
      closed = true;
      worker.postMessage({ close: true });
      return exited;
    },
  };
}
