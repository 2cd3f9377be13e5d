/**
 * The study locks `ask()` takes: the storage's own (`Storage.withStudyLock`: a server lock that spans
 * processes and machines, PostgreSQL) or, for a storage without one, a lock within this process, keyed
 * by the storage handle and the study id, so two `Study` handles on one storage instance share it; two
 * handles on one SQLite file in different processes do not (SQLite has no lock that outlives a transaction).
 */
import type { Storage } from '../storage/base.js';
import { withKeyedLock } from '../util/keyed-lock.js';

/** Runs `fn` holding the lock `name` of the study; callers of one lock run one at a time, in call order. */
export async function withStudyLock<T>(storage: Storage, studyId: number, name: string, fn: () => Promise<T>): Promise<T> {
  if (storage.withStudyLock !== undefined) return storage.withStudyLock(studyId, name, fn);
  return withKeyedLock(storage, `${studyId}:${name}`, fn);
}
