/** What the commands need to know about a `--storage` URL before opening it. */
import { existsSync } from 'node:fs';
import { NotFoundError } from '../errors.js';
import { sqliteFile } from '../storage/index.js';

export { sqliteFile };

/**
 * For commands that only read or change what exists: a SQLite file that is not there is reported, not
 * created (opening it would leave an empty database behind, under a mistyped name too).
 */
export function existing(storage: string): string {
  const file = sqliteFile(storage);
  if (file !== null && !existsSync(file)) {
    throw new NotFoundError(`No tunable database at ${JSON.stringify(file)}: nothing was stored there yet (\`tunable create-study\` or \`tunable demo\` creates one; \`--storage\` picks another)`);
  }
  return storage;
}
