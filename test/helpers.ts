/** Shared test helpers: temp dirs and the storages every suite runs over. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll } from 'vitest';

export function tempDir(prefix = 'tunable-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ROOT = join(import.meta.dirname, '..');
const CLI_MAIN = join(ROOT, 'src', 'cli', 'main.ts');
// An absolute loader URL, because the CLI runs with a temporary directory as its cwd.
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Node's arguments to run `tunable ...args` from the sources (spawn(process.execPath, cliArgs(...))). */
export function cliArgs(...args: string[]): string[] {
  return ['--import', TSX_LOADER, CLI_MAIN, ...args];
}

/** `tunable ...args` run to its end in `cwd`: exit code and output. */
export function runCli(cwd: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, cliArgs(...args), { cwd, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
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

/** The error `f` throws (fails the test when it returns). */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Runs and seed of a property-based test: the given ones in CI; TUNABLE_FUZZ_RUNS and TUNABLE_FUZZ_SEED
 * (an integer, or `random` for a fresh one) for longer hunts (`npm run fuzz`).
 */
export function fuzzSettings(runs: number, seed: number): { runs: number; seed: number } {
  const s = process.env['TUNABLE_FUZZ_SEED']?.trim();
  return { runs: envInt('TUNABLE_FUZZ_RUNS', runs), seed: s === 'random' ? Math.floor(Math.random() * 2 ** 31) : envInt('TUNABLE_FUZZ_SEED', seed) };
}

/** A child process running a TypeScript file (through tsx), with its output and exit as promises. */
export function spawnTs(file: string, args: string[]): {
  done: Promise<number>;
  output: () => string;
  kill: () => void;
  waitFor: (re: RegExp) => Promise<void>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: [RegExp, () => void][] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const [re, resolve] of waiters) if (re.test(out)) resolve();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    done: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))),
    output: () => out,
    kill: () => child.kill('SIGKILL'),
    waitFor: (re) => new Promise((resolve) => (re.test(out) ? resolve() : waiters.push([re, resolve]))),
  };
}
