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
import { Worker } from 'node:worker_threads';
import type { Heartbeats } from './base.js';

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

/** The worker of one SQLite file. */
export class HeartbeatThread {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private closed = false;

  constructor(path: string, busyTimeoutMs: number) {
    this.worker = new Worker(SCRIPT, { eval: true, workerData: { driver, path, busyTimeoutMs } });
    this.worker.unref();  // never keeps the process alive on its own
    this.exited = new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.once('error', () => resolve());  // e.g. the file was deleted: beats stop, nothing else breaks
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
      // Referenced again while it shuts down: an unreferenced worker would let a script whose last
      // step is `await storage.close()` exit before the thread did, with that await never resolved.
      this.worker.ref();
      this.worker.postMessage({ close: true });
    }
    return this.exited;
  }
}
