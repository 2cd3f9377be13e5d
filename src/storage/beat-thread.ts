/**
 * The parent side of a storage's heartbeat worker thread (sqlite-heartbeat.ts, postgres-heartbeat.ts hold
 * the scripts): one thread per storage, unreferenced so it never keeps the process alive, serving any
 * number of `Heartbeats` handles. Messages to the script: { add: id, intervalMs } | { remove: id } |
 * { close: true } (the script ends the thread after it).
 */
import { Worker } from 'node:worker_threads';
import type { Heartbeats } from './base.js';

export class BeatThread {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private closed = false;

  /** Starts `script` (evaluated, CommonJS) with `workerData`. */
  constructor(script: string, workerData: unknown) {
    this.worker = new Worker(script, { eval: true, workerData });
    this.worker.unref();  // never keeps the process alive on its own
    this.exited = new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.once('error', () => resolve());  // e.g. the SQLite file was deleted: beats stop, nothing else breaks
    });
  }

  /** A handle for one set of trials (a Study's): close() stops those beats, not the thread. */
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
      // Referenced again while it shuts down: an unreferenced worker would let a script whose last step
      // is `await storage.close()` exit before the thread did (a connection left open, an await never resolved).
      this.worker.ref();
      this.worker.postMessage({ close: true });
    }
    return this.exited;
  }
}
