/** Locating files shipped with the package (data for the demo, the native build). */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IOError } from '../errors.js';

let root: string | null = null;

/** The directory holding tunable's package.json, found by walking up from this module. */
export function packageRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'tunable') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new IOError('tunable: cannot find the package root (package.json named "tunable")');
    dir = up;
  }
}

/**
 * The path of a file the package ships (package.json's `files`), checked to be readable, so that a caller
 * can check before it starts work that would otherwise be left half done (the demo's study).
 * Throws IOError naming the file.
 */
export function packageFile(...parts: string[]): string {
  const file = join(packageRoot(), ...parts);
  try {
    accessSync(file, constants.R_OK);
  } catch (e) {
    throw new IOError(
      `tunable's ${relative(packageRoot(), file)} is missing or unreadable (${file}): the package is incomplete; reinstall it (npm install tunable)`,
      { cause: e },
    );
  }
  return file;
}
