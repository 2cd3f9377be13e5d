/** Locating files shipped with the package (data for the demo, the native build). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The directory holding tunable's package.json, found by walking up from this module. */
export function packageRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'tunable') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('tunable: cannot find the package root (package.json named "tunable")');
    dir = up;
  }
}
