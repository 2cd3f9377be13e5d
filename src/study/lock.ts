/**
 * The study locks `ask()` takes: the storage's own (`Storage.withStudyLock`: a server lock that spans
 * processes and machines, PostgreSQL) or, for a storage without one, a lock within this process.
 *
 * In-process locks are keyed by the storage handle and the study id (and the lock's name), so two
 * `Study` handles on one storage instance share them; two handles on one SQLite file in different
 * processes do not (SQLite has no lock that outlives a transaction).
 */
import type { Storage } from '../storage/base.js';

/** storage → "studyId:name" → the tail of that lock's queue. */
const local = new WeakMap<Storage, Map<string, Promise<void>>>();

/** Runs `fn` holding the lock `name` of the study; callers of one lock run one at a time, in call order. */
export async function withStudyLock<T>(storage: Storage, studyId: number, name: string, fn: () => Promise<T>): Promise<T> {
  if (storage.withStudyLock !== undefined) return storage.withStudyLock(studyId, name, fn);
  return withLocalLock(storage, `${studyId}:${name}`, fn);
}

/** A FIFO mutex per (storage, key) on this thread's event loop. */
export async function withLocalLock<T>(owner: Storage, key: string, fn: () => Promise<T>): Promise<T> {
  let queues = local.get(owner);
  if (queues === undefined) local.set(owner, (queues = new Map()));
  const previous = queues.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  queues.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (queues.get(key) === tail) queues.delete(key);  // nobody queued behind: forget the key
  }
}
