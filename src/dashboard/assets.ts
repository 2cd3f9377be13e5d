/**
 * The built page's files (dist/dashboard/web/: index.html, app.js, app.css, …), served from one folder
 * and from nowhere else. A request path is decoded once, refused when any segment could climb out or
 * hide (`..`, `.`, empty segments, backslashes, NUL, dot files), and the file's real path — symbolic
 * links resolved — must still lie inside the folder's real path.
 */
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { packageRoot } from '../util/paths.js';

/** The folder the web build writes (scripts/build-web.mjs), under the package root. */
export function defaultAssetsDir(): string {
  return join(packageRoot(), 'dist', 'dashboard', 'web');
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

export function contentType(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type AssetResult =
  | { readonly kind: 'file'; readonly body: Buffer; readonly type: string }
  | { readonly kind: 'bad-request' | 'not-found'; readonly reason: string };

/**
 * The relative path a raw (still percent-encoded) request path names inside the folder, or why it is
 * refused. Checked before and after decoding: `%2e%2e`, `%2f` and `%5c` decode to what is refused.
 */
export function safeRelativePath(raw: string): { ok: true; path: string } | { ok: false; kind: 'bad-request' | 'not-found'; reason: string } {
  if (raw.includes('\\')) return { ok: false, kind: 'bad-request', reason: 'backslash in the path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { ok: false, kind: 'bad-request', reason: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0')) return { ok: false, kind: 'bad-request', reason: 'NUL in the path' };
  if (decoded.includes('\\')) return { ok: false, kind: 'bad-request', reason: 'backslash in the path' };
  const segments = decoded.split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') return { ok: false, kind: 'bad-request', reason: 'empty, "." or ".." path segment' };
    if (s.startsWith('.')) return { ok: false, kind: 'not-found', reason: 'hidden file' };
  }
  return { ok: true, path: segments.join('/') };
}

/** The assets folder: its real path once it exists (it may be built after the server starts). */
export class Assets {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Whether the page is built: the folder and its index.html exist. */
  built(): boolean {
    return existsSync(join(this.dir, 'index.html'));
  }

  /** The file a raw request path (relative to the folder, still percent-encoded) names, or why not. */
  async read(raw: string): Promise<AssetResult> {
    const rel = safeRelativePath(raw);
    if (!rel.ok) return { kind: rel.kind, reason: rel.reason };
    let root: string;
    let file: string;
    try {
      root = await realpath(this.dir);
      file = await realpath(join(root, rel.path));
    } catch {
      return { kind: 'not-found', reason: 'no such file' };
    }
    // The real path, symbolic links resolved, must still be inside the folder.
    if (!file.startsWith(root + sep)) return { kind: 'not-found', reason: 'outside the assets folder' };
    try {
      if (!(await stat(file)).isFile()) return { kind: 'not-found', reason: 'not a file' };
      return { kind: 'file', body: await readFile(file), type: contentType(file) };
    } catch {
      return { kind: 'not-found', reason: 'unreadable' };
    }
  }
}
