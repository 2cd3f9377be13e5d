/**
 * Heartbeats from a timer on this thread's event loop, through `recordHeartbeat`: for storages that
 * cannot beat from another thread (memory, a private in-memory SQLite database, third-party storages).
 * An objective that blocks the event loop stops these beats; such storages are private to this process,
 * where nothing else runs while the loop is blocked.
 */
import type { Heartbeats, Storage } from './base.js';

export function timerHeartbeats(storage: Storage, intervalMs: number): Heartbeats {
  const ids = new Set<number>();
  const send = (id: number): void => void storage.recordHeartbeat(id).catch(() => undefined);  // a missed beat
  const timer = setInterval(() => ids.forEach(send), intervalMs);
  timer.unref();
  return {
    add: (id) => void ids.add(id),  // the trial's start counts as its first beat
    remove: (id) => void ids.delete(id),
    close: async () => clearInterval(timer),
  };
}
