/** Shared test helpers: temp dirs and the storages every suite runs over. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export function tempDir(prefix = 'tunable-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let counter = 0;

/** Storage URLs for describe.each: a fresh in-memory storage, a fresh SQLite file. */
export function storageUrls(): [string, () => string][] {
  const dir = tempDir();
  return [
    ['memory', () => 'memory:'],
    ['sqlite', () => `sqlite:${join(dir, `s${counter++}.db`)}`],
  ];
}
