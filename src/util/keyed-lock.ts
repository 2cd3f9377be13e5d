/**
 * FIFO mutexes on this thread's event loop, keyed by an owner object and a string: callers of one
 * (owner, key) run one at a time, in call order; other keys and owners do not wait.
 */

/** owner → key → the tail of that lock's queue. */
const queues = new WeakMap<object, Map<string, Promise<void>>>();

export async function withKeyedLock<T>(owner: object, key: string, fn: () => Promise<T>): Promise<T> {
  let mine = queues.get(owner);
  if (mine === undefined) queues.set(owner, (mine = new Map()));
  const previous = mine.get(key) ?? Promise.resolve();
  let release!: () => void;
  const turn = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => turn);
  mine.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (mine.get(key) === tail) mine.delete(key);  // nobody queued behind: forget the key
  }
}
