/**
 * The device scripts of bench/gpu (bench.mjs, posterior.mjs, batch.mjs) in their BENCH_SELF_TEST mode
 * (the CPU backend, small sizes), bench/gp/pending.mjs on the CPU, and run.sh parsed by bash: device time is lent
 * rarely and briefly, so a script that breaks must break here first. They import the compiled dist/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const hasDist = existsSync(join(repoRoot, 'dist', 'engine', 'index.js'));
if (!hasDist) console.warn('gpu-scripts.test.ts skipped: no dist/ (npm run build:ts)');

function selfTest(script: string, env: Record<string, string> = {}, args: string[] = []): string {
  const r = spawnSync(process.execPath, [join('bench', 'gpu', script), ...args], {
    cwd: repoRoot,
    env: { ...process.env, BENCH_SELF_TEST: '1', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, `${script}: ${r.stderr}\n${r.stdout}`).toBe(0);
  return r.stdout;
}

// Markdown table rows of the output: cells of each `| ... |` line after the header and its rule.
function rows(out: string): string[][] {
  const lines = out.split('\n').filter((l) => l.startsWith('|'));
  return lines.slice(2).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
}

describe.skipIf(!hasDist)('bench/gpu scripts in self-test mode', () => {
  it('run.sh and bundle.sh parse', () => {
    for (const f of ['run.sh', 'bundle.sh']) {
      const r = spawnSync('bash', ['-n', join('bench', 'gpu', f)], { cwd: repoRoot, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it('posterior.mjs prints a row with a time and a check time', () => {
    const r = rows(selfTest('posterior.mjs'));
    expect(r).toHaveLength(1);
    const [, n, m, predict, check] = r[0]!;
    expect([n, m]).toEqual(['200', '20000']);
    expect(Number(predict)).toBeGreaterThan(0);
    expect(Number(check)).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it('posterior.mjs --debug: the variant is the models\' option, named in the row', () => {
    const r = rows(selfTest('posterior.mjs', {}, ['--debug', '{"solve":"cublas"}']));
    expect(r).toHaveLength(1);
    expect(r[0]![0]).toBe('cuBLAS dtrsm');
    expect(rows(selfTest('posterior.mjs', {}, ['--debug={"solveBlock":256}']))[0]![0]).toBe('blocked dgemm, 256-row blocks');
  }, 120_000);

  it('posterior.mjs with another addon (the baseline of run.sh): labelled, and refuses to time one that does not load', () => {
    const addon = join(repoRoot, 'build', 'cmake', 'Release', 'tunable.node');
    const r = rows(selfTest('posterior.mjs', { TUNABLE_NATIVE_ADDON: addon, POSTERIOR_LABEL: 'baseline, round 1' }));
    expect(r[0]![0]).toBe('blocked dgemm, 128-row blocks (baseline, round 1)');
    const bad = spawnSync(process.execPath, [join('bench', 'gpu', 'posterior.mjs')], {
      cwd: repoRoot,
      env: { ...process.env, BENCH_SELF_TEST: '1', TUNABLE_NATIVE_ADDON: join(repoRoot, 'no-such-addon.node') },
      encoding: 'utf8',
    });
    expect(bad.status).toBe(3);
    expect(bad.stdout).toMatch(/no-such-addon\.node did not load/);
  }, 120_000);

  it('batch.mjs prints a fit time and a finite MAP objective, the same in every mode', () => {
    const objectives = [[], ['--debug', '{"potrfBatchedMaxN":0}'], ['--debug={"batchMaxN":0}']].map((args) => {
      const r = rows(selfTest('batch.mjs', {}, args));
      expect(r).toHaveLength(1);
      const [, n, ms, objective] = r[0]!;
      expect(n).toBe('50');
      expect(Number(ms)).toBeGreaterThan(0);
      expect(Number.isFinite(Number(objective))).toBe(true);
      return objective;
    });
    expect(new Set(objectives).size).toBe(1);
  }, 120_000);

  it('bench/gp/pending.mjs prints maximize and acquisition times for q = 0, 8, 64', () => {
    const r = spawnSync(process.execPath, [join('bench', 'gp', 'pending.mjs')], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const times = [...r.stdout.matchAll(/q=(\d+): maximize ([\d.]+) ms, acquisition of 64 points ([\d.]+) ms/g)];
    expect(times.map((m) => m[1])).toEqual(['0', '8', '64']);
    for (const m of times) expect(Number(m[2])).toBeGreaterThan(0);
  }, 120_000);

  it('bench.mjs prints its timing table', () => {
    const out = selfTest('bench.mjs', { BENCH_BUDGET_S: '60' });
    const r = rows(out);
    expect(r.length).toBeGreaterThan(0);
    for (const row of r) expect(Number(row[2]), row.join(' | ')).toBeGreaterThan(0);
  }, 180_000);
});
