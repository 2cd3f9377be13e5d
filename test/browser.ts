/**
 * Chromium for the dashboard's browser tests and benchmarks: playwright-core driving the system's
 * /usr/bin/chromium with a fixed set of flags, and the page's bundle rebuilt when its sources are newer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
}

/** What the bundle is built from: the page, what it imports, and the build script. */
const SOURCES = [
  'src/dashboard/web',
  'src/dashboard/posterior-reference.ts',
  'src/util/cholesky.ts',
  'src/plot/options',
  'src/importance',
  'src/trial/json.ts',
  'src/distributions',
  'src/validate.ts',
  'src/errors.ts',
  'scripts/build-web.mjs',
  'tsconfig.web.json',
];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const f of readdirSync(path)) t = Math.max(t, newest(join(path, f)));
  return t;
}

/** Runs scripts/build-web.mjs when dist/dashboard/web/app.js is missing or older than its sources. */
export function ensureWebBuild(): void {
  const app = join(ROOT, 'dist', 'dashboard', 'web', 'app.js');
  const built = existsSync(app) ? statSync(app).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map((s) => newest(join(ROOT, s))));
  if (built >= sources) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

/** Where the tests' screenshots go (printed by the tests). */
export function shotsDir(): string {
  const dir = join(tmpdir(), 'tunable-dashboard-shots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Console errors and uncaught exceptions of a page, for assertions. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}
