/**
 * Storage resolution: `createStorage()` turns a URL (or an existing Storage) into a Storage.
 *   undefined | 'memory:'        → MemoryStorage
 *   'sqlite:<path>'              → SqliteStorage on <path> (relative to the cwd); 'sqlite::memory:' for a private in-memory db
 *   'postgres://…' | 'postgresql://…' → PostgresStorage (connects on first use)
 *   a Storage instance           → returned as is
 */
import { InvalidArgumentError } from '../errors.js';
import { describe } from '../validate.js';
import type { Storage } from './base.js';
import { MemoryStorage } from './memory.js';
import { PostgresStorage } from './postgres.js';
import { isPostgresUrl, redactUrl } from './postgres-url.js';
import { SqliteStorage } from './sqlite.js';

export type { StaleRetry, Storage, TrialTemplate } from './base.js';
export { MemoryStorage } from './memory.js';
export { SqliteStorage, type SqliteStorageOptions } from './sqlite.js';
export { PostgresStorage, POSTGRES_DEFAULTS, type PostgresStorageOptions } from './postgres.js';

/** The file of a `sqlite:` URL, or null for any other storage (and a private `sqlite::memory:`). */
export function sqliteFile(storage: string): string | null {
  const url = storage.trim();
  if (!url.startsWith('sqlite:')) return null;
  const path = url.slice('sqlite:'.length);
  return path === ':memory:' || path === '' ? null : path;
}

export function isStorage(value: unknown): value is Storage {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v['createStudy'] === 'function' && typeof v['createTrial'] === 'function' && typeof v['getAllTrials'] === 'function';
}

export function createStorage(urlOrStorage?: string | Storage): Storage {
  if (urlOrStorage === undefined) return new MemoryStorage();
  if (typeof urlOrStorage === 'string') {
    const url = urlOrStorage.trim();
    if (url === 'memory:' || url === 'memory') return new MemoryStorage();
    if (url.startsWith('sqlite:')) {
      const path = url.slice('sqlite:'.length);
      if (path.length === 0) {
        throw new InvalidArgumentError(`Expected a file path after "sqlite:" for \`storage\` but received ${describe(urlOrStorage)}`);
      }
      return new SqliteStorage(path);
    }
    if (isPostgresUrl(url)) return new PostgresStorage(url);
    throw new InvalidArgumentError(
      `Expected "memory:", "sqlite:<path>", "postgresql://…" or a Storage instance for \`storage\` but received ${describe(redactUrl(urlOrStorage))}`,
    );
  }
  if (isStorage(urlOrStorage)) return urlOrStorage;
  throw new InvalidArgumentError(
    `Expected "memory:", "sqlite:<path>", "postgresql://…" or a Storage instance for \`storage\` but received ${describe(urlOrStorage)}`,
  );
}
