/**
 * `tunable worker`: real processes (the CLI from its TypeScript sources, through tsx) on a real storage.
 * The objective modules are in fixtures/worker/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadStudy } from '../../src/study/study.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';
import { tempDir, cliArgs } from '../helpers.js';
import { describePg, dropSchema, freshSchema, schemaUrl } from '../pg.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'worker');

const dir = tempDir('tunable-worker-');
let counter = 0;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Proc {
  readonly child: ChildProcess;
  /** Resolves once stdout or stderr matches `re`. */
  waitFor(re: RegExp): Promise<void>;
  readonly exited: Promise<Exit>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** The CLI as a child process in `dir`, with `env` added to the environment. */
function start(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, cliArgs(...args), {
    cwd: dir,
    env: { ...process.env, TUNABLE_DEBUG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const waiters: [RegExp, () => void][] = [];
  const check = () => {
    for (const [re, resolve] of waiters) if (re.test(stdout) || re.test(stderr)) resolve();
  };
  child.stdout!.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
  child.stderr!.on('data', (d: Buffer) => ((stderr += d.toString()), check()));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    waitFor: (re) => new Promise((resolve) => (re.test(stdout) || re.test(stderr) ? resolve() : waiters.push([re, resolve]))),
    exited,
  };
}

function cli(...args: string[]): Exit {
  const r = spawnSync(process.execPath, cliArgs(...args), { cwd: dir, encoding: 'utf8', env: { ...process.env, TUNABLE_DEBUG: '' } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A fixture module's path as a user types it: relative to the worker's cwd. */
function fixture(name: string): string {
  return relative(dir, join(FIXTURES, name));
}

/** A new SQLite database holding one empty study "s"; returns the `--storage` URL. */
function sqliteStudy(...createArgs: string[]): string {
  const storage = `sqlite:${join(dir, `w${counter++}.db`)}`;
  const r = cli('create-study', '--study-name', 's', '--storage', storage, ...createArgs);
  expect(r.code, r.stderr).toBe(0);
  return storage;
}

async function trialsOf(storage: string, studyName = 's'): Promise<FrozenTrial[]> {
  const study = await loadStudy({ studyName, storage });
  try {
    return await study.getTrials();
  } finally {
    await study.storage.close();
  }
}

function worker(storage: string, module: string, ...flags: string[]): string[] {
  return ['worker', '--storage', storage, '--study-name', 's', ...flags, fixture(module)];
}

/** One line on stderr, prefixed, naming `text`; the exit code; nothing on stdout. */
function expectFailure(r: Exit, code: number, text: string): void {
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^tunable: ERR_[A-Z_]+: /);
  expect(r.stderr).toContain(text);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
}

/** Three workers with --n-trials 10 on one study: trials 0..29, each once, all COMPLETE with their value. */
async function threeWorkers(storage: string, shownUrl: RegExp): Promise<void> {
  const runs = await Promise.all([0, 1, 2].map(() => start(worker(storage, 'quadratic.mjs', '--n-trials', '10')).exited));
  for (const r of runs) {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tunable worker: 10 trials \(10 complete, 0 pruned, 0 failed\) in [\d.]+ s on study "s" \((.*)\); --n-trials reached\n$/);
    expect(r.stdout.match(/ on study "s" \((.*)\);/)![1]).toMatch(shownUrl);
  }
  const trials = await trialsOf(storage);
  expect(trials.map((t) => t.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  for (const t of trials) {
    expect(t.state).toBe(TrialState.COMPLETE);
    expect(t.values).toEqual([((t.params['x'] as number) - 2) ** 2]);
  }
}

describe('tunable worker on SQLite', () => {
  it('three workers in parallel with --n-trials 10 run trials 0..29, each once, all COMPLETE', async () => {
    await threeWorkers(sqliteStudy(), /^sqlite:\/.*\.db$/);
  });

  it('a searchSpace export runs define-and-run: the parameters exist when the objective starts', async () => {
    const storage = sqliteStudy();
    const r = await start(worker(storage, 'space.mjs', '--n-trials', '4')).exited;
    expect(r.code, r.stderr).toBe(0);
    const trials = await trialsOf(storage);
    expect(trials).toHaveLength(4);
    for (const t of trials) {
      expect(t.state, String(t.systemAttrs['failReason'])).toBe(TrialState.COMPLETE);
      expect(Object.keys(t.params).sort()).toEqual(['kind', 'n', 'x']);
      expect(t.distributions['n']).toMatchObject({ type: 'int', low: 1, high: 4 });
    }
  });

  it('a sampler export (a factory) replaces the default sampler; a default-exported objective is run', async () => {
    const storage = sqliteStudy();
    const r = await start(worker(storage, 'sampler.mjs', '--n-trials', '3'), { TUNABLE_LOG: 'info' }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('HighSampler, define-by-run, up to 3 trials');
    const trials = await trialsOf(storage);
    expect(trials.map((t) => [t.state, t.params, t.values])).toEqual(Array(3).fill([TrialState.COMPLETE, { x: 5, n: 4 }, [9]]));
  });

  it('an objective that throws fails its trial with the reason; the worker goes on and exits 0', async () => {
    const storage = sqliteStudy();
    const r = await start(worker(storage, 'throws.mjs', '--n-trials', '4')).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('4 trials (2 complete, 0 pruned, 2 failed)');
    const trials = await trialsOf(storage);
    expect(trials.map((t) => t.state)).toEqual([TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE, TrialState.FAIL]);
    expect(trials[1]!.systemAttrs['failReason']).toMatch(/^Error: objective failed on trial 1\n/);
  });

  it('without --n-trials or --timeout, a worker runs until the sampler has nothing left to propose, and exits 0', async () => {
    const storage = sqliteStudy();
    const r = await start(worker(storage, 'exhausts.mjs')).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('3 trials (3 complete, 0 pruned, 0 failed)');
    expect(r.stdout).toContain('; the sampler has nothing left to propose');
    expect((await trialsOf(storage)).map((t) => t.state)).toEqual(Array(3).fill(TrialState.COMPLETE));
  });

  it('--timeout: no trial starts after it, and the worker exits 0', async () => {
    const storage = sqliteStudy();
    const t0 = Date.now();
    const r = await start(worker(storage, 'slow.mjs', '--timeout', '1'), { WORKER_TEST_MS: '300' }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('; --timeout reached');
    const trials = await trialsOf(storage);
    expect(trials.length).toBeGreaterThanOrEqual(2);
    expect(trials.length).toBeLessThanOrEqual(5);
    expect(trials.every((t) => t.state === TrialState.COMPLETE)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});

describePg('tunable worker on PostgreSQL', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('three workers in parallel with --n-trials 10 run trials 0..29, each once, all COMPLETE', async () => {
    const schema = freshSchema();
    schemas.push(schema);
    // A password in the URL, to see that the workers print it redacted (the server trusts local connections).
    const url = new URL(schemaUrl(schema));
    url.password = 'hunter2';
    const storage = url.toString();
    const r = cli('create-study', '--study-name', 's', '--storage', storage);
    expect(r.code, r.stderr).toBe(0);
    await threeWorkers(storage, new RegExp(`^postgres(ql)?://[^@]*\\*\\*\\*@.*schema=${schema}`));
  });
});

describe('tunable worker and what outlives a trial', () => {
  it('a module that keeps a timer open does not hold the worker after its last trial', async () => {
    const storage = sqliteStudy();
    const t0 = Date.now();
    const r = await start(worker(storage, 'keeps-timer.mjs', '--n-trials', '2')).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await trialsOf(storage)).map((t) => t.state)).toEqual([TrialState.COMPLETE, TrialState.COMPLETE]);
  });

  it('the trial of a killed worker is failed as stale and, with the default --max-retry 1, run again by the next worker; 0 never', async () => {
    const [retried, notRetried] = [sqliteStudy(), sqliteStudy()];
    const hb = ['--heartbeat-interval', '0.5'];
    const killed = [retried, notRetried].map((storage) => start(worker(storage, 'slow.mjs', ...hb), { WORKER_TEST_MS: 'never' }));
    await Promise.all(killed.map((w) => w.waitFor(/started 0/)));
    for (const w of killed) w.child.kill('SIGKILL');
    await Promise.all(killed.map((w) => w.exited));
    // Stale after two heartbeat intervals (2 × 0.5 s) without a beat; beats came until the kill.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const next = await Promise.all([
      start(worker(retried, 'slow.mjs', '--n-trials', '1', ...hb), { WORKER_TEST_MS: '0' }).exited,
      start(worker(notRetried, 'slow.mjs', '--n-trials', '1', '--max-retry', '0', ...hb), { WORKER_TEST_MS: '0' }).exited,
    ]);
    for (const r of next) expect(r.code, r.stderr).toBe(0);
    const [a, b] = [await trialsOf(retried), await trialsOf(notRetried)];
    for (const [t0] of [a, b]) {
      expect(t0!.state).toBe(TrialState.FAIL);
      expect(t0!.systemAttrs['failReason']).toMatch(/heartbeat/);
    }
    expect(a.map((t) => [t.number, t.state])).toEqual([[0, TrialState.FAIL], [1, TrialState.COMPLETE]]);
    expect(Object.keys(a[0]!.params)).toEqual(['x']);
    expect(a[1]!.params).toEqual(a[0]!.params);
    expect(a[1]!.systemAttrs['retriedFrom']).toBe(0);
    expect(b.map((t) => [t.number, t.state])).toEqual([[0, TrialState.FAIL], [1, TrialState.COMPLETE]]);
    expect(b[1]!.params).not.toEqual(b[0]!.params);
    expect(b[1]!.systemAttrs['retriedFrom']).toBeUndefined();
  });
});

describe('tunable worker and signals', () => {
  it('SIGTERM while an objective runs: no new trial starts, the running one completes within the grace period, exit 0', async () => {
    const storage = sqliteStudy();
    const w = start(worker(storage, 'slow.mjs'), { WORKER_TEST_MS: '2000', TUNABLE_LOG: 'info' });
    await w.waitFor(/started 0/);
    w.child.kill('SIGTERM');
    const r = await w.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('stopping on SIGTERM: letting trial 0 finish (grace period 25 s; a second signal fails it at once)');
    expect(r.stdout).toMatch(/: 1 trial \(1 complete, 0 pruned, 0 failed\) .*; stopped by SIGTERM\n$/);
    expect((await trialsOf(storage)).map((t) => t.state)).toEqual([TrialState.COMPLETE]);
  });

  it('--grace-period 0.5 and an objective that never returns: its trial is FAIL with the reason, exit 0', async () => {
    const storage = sqliteStudy();
    const w = start(worker(storage, 'slow.mjs', '--grace-period', '0.5'), { WORKER_TEST_MS: 'never' });
    await w.waitFor(/started 0/);
    const t0 = Date.now();
    w.child.kill('SIGTERM');
    const r = await w.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);  // the objective's timer does not hold the process
    expect(r.stdout).toContain('1 trial (0 complete, 0 pruned, 1 failed)');
    const [t, ...rest] = await trialsOf(storage);
    expect(rest).toEqual([]);
    expect(t!.state).toBe(TrialState.FAIL);
    expect(t!.systemAttrs['failReason']).toBe('worker received SIGTERM; the objective did not finish within the grace period (0.5 s)');
  });

  it('a second signal fails the running trial at once and exits 130 (SIGINT)', async () => {
    const storage = sqliteStudy();
    const w = start(worker(storage, 'slow.mjs'), { WORKER_TEST_MS: 'never', TUNABLE_LOG: 'info' });
    await w.waitFor(/started 0/);
    w.child.kill('SIGINT');
    await w.waitFor(/stopping on SIGINT/);
    const t0 = Date.now();
    w.child.kill('SIGINT');
    const r = await w.exited;
    expect(r.code, r.stderr).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.stderr).toContain('stopping now on a second SIGINT: failing trial 0');
    expect(r.stdout).toContain('1 trial (0 complete, 0 pruned, 1 failed)');
    const [t, ...rest] = await trialsOf(storage);
    expect(rest).toEqual([]);
    expect(t!.state).toBe(TrialState.FAIL);
    expect(t!.systemAttrs['failReason']).toBe('worker received a second SIGINT; the objective was stopped before it finished');
  });
});

describe('tunable worker failures: one line, the documented exit code, nothing stored', () => {
  const storage = sqliteStudy();

  it.each([
    ['a missing study', ['--study-name', 'nope', fixture('quadratic.mjs')], 1, 'ERR_NOT_FOUND: Study named "nope" not found in sqlite:'],
    ['a missing module', ['--study-name', 's', 'missing.mjs'], 1, 'ERR_IO: Cannot load the objective module "missing.mjs": no such file'],
    ['a module that throws while it loads', ['--study-name', 's', fixture('broken.mjs')], 1, 'failed: cannot read train.csv'],
    ['a module without an objective', ['--study-name', 's', fixture('no-objective.mjs')], 2,
      `ERR_INVALID_ARGUMENT: ${fixture('no-objective.mjs')} exports no function named "objective" and no default function (exports: bar, foo)`],
    ['a misspelled searchSpace key', ['--study-name', 's', fixture('bad-space.mjs')], 2,
      `ERR_UNKNOWN_OPTION: ${fixture('bad-space.mjs')}: Unknown option \`lg\` in \`searchSpace.lr\` (did you mean \`log\`?)`],
    ['a sampler export that is not one', ['--study-name', 's', fixture('bad-sampler.mjs')], 2,
      'exports "sampler" as an object (Object), not a Sampler (missing `inferRelativeSearchSpace`, `sampleRelative`, `sampleIndependent`'],
    ['no module', ['--study-name', 's'], 2, 'Missing the objective module'],
    ['two modules', ['--study-name', 's', 'a.mjs', 'b.mjs'], 2, 'Unexpected argument "b.mjs" for `tunable worker`'],
    ['no --study-name', [fixture('quadratic.mjs')], 2, 'Missing `--study-name`'],
    ['--n-trials 0', ['--study-name', 's', '--n-trials', '0', fixture('quadratic.mjs')], 2, 'for `--n-trials` but received "0"'],
    ['--timeout 0', ['--study-name', 's', '--timeout', '0', fixture('quadratic.mjs')], 2, 'Expected a number of seconds in (0, 1000000] for `--timeout` but received "0"'],
    ['--grace-period -1', ['--study-name', 's', '--grace-period', '-1', fixture('quadratic.mjs')], 2, 'Expected a number of seconds in [0, 1000000] for `--grace-period` but received "-1"'],
    ['--max-retry two', ['--study-name', 's', '--max-retry', 'two', fixture('quadratic.mjs')], 2, 'for `--max-retry` but received "two"'],
    ['--heartbeat-interval 0', ['--study-name', 's', '--heartbeat-interval', '0', fixture('quadratic.mjs')], 2,
      'Expected a number of seconds in (0, 1000000] for `--heartbeat-interval` but received "0"'],
    ['a misspelled flag', ['--study-name', 's', '--ntrials', '3', fixture('quadratic.mjs')], 2, 'Unknown option `--ntrials` in `tunable worker` (did you mean `--n-trials`?)'],
    ['the operand written as a flag', ['--study-name', 's', '--objective', fixture('quadratic.mjs')], 2, 'Unknown option `--objective`'],
  ])('%s', async (_, args, code, text) => {
    expectFailure(cli('worker', '--storage', storage, ...args), code, text);
    expect(await trialsOf(storage)).toEqual([]);
  });

  it('a database that does not exist is reported, not created', () => {
    const file = join(dir, 'typo.db');
    expectFailure(cli('worker', '--storage', `sqlite:${file}`, '--study-name', 's', fixture('quadratic.mjs')), 1, 'ERR_NOT_FOUND: No tunable database at');
    expect(existsSync(file)).toBe(false);
  });

  it('a storage that cannot be reached is one line and exit 1, without the password of its URL', () => {
    const r = cli('worker', '--storage', 'postgresql://tunable:hunter2@127.0.0.1:1/none', '--study-name', 's', fixture('quadratic.mjs'));
    expectFailure(r, 1, 'ERR_STORAGE: ');
    expect(r.stderr).not.toContain('hunter2');
  });

  it('--help describes the module, the signals and the exit codes', () => {
    const r = cli('worker', '--help');
    expect(r.code).toBe(0);
    for (const s of ['searchSpace', 'sampler', '--grace-period S', 'second one fails the running trial', '130, 143']) expect(r.stdout).toContain(s);
  });
});
