/**
 * Several processes optimizing one SQLite study with the model-based samplers (GP, TPE, CMA-ES): every
 * trial finishes, numbers stay gap-free and unique, and each process's sampler works from the shared
 * history (not only from the trials it ran itself).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { floatDistribution, fromUnit } from '../../src/distributions/index.js';
import { loadStudy, TrialState, type FrozenTrial } from '../../src/index.js';
import { GENERATION_ATTR } from '../../src/samplers/cmaes/state.js';
import { Encoding } from '../../src/samplers/gp/encode.js';
import { PARAMS_ATTR } from '../../src/samplers/gp/sampler.js';
import { Sobol } from '../../src/qmc/sobol.js';
import { paramRng } from '../../src/samplers/seed.js';
import { tempDir } from '../helpers.js';

const WORKER = join(import.meta.dirname, 'fixtures', 'sampler-worker.ts');
const PER_PROCESS = 12;
const SEED = 7;
const dir = tempDir();

function worker(args: string[]): Promise<{ code: number; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output })));
}

/** Two processes, the same seed (the same script started twice), 12 trials each, on one study. */
async function runTwo(sampler: string): Promise<readonly FrozenTrial[]> {
  const url = `sqlite:${join(dir, `${sampler}.db`)}`;
  const results = await Promise.all([0, 1].map(() => worker([url, sampler, sampler, String(PER_PROCESS), String(SEED), '2'])));
  for (const r of results) expect(r, r.output).toMatchObject({ code: 0, output: expect.stringContaining(`done ${PER_PROCESS}`) });
  const study = await loadStudy({ studyName: sampler, storage: url });
  try {
    const trials = study.trials;
    expect(trials.map((t) => t.number)).toEqual([...Array(2 * PER_PROCESS).keys()]);
    for (const t of trials) {
      expect(t.state, `trial ${t.number}`).toBe(TrialState.COMPLETE);
      expect(t.values).toEqual([((t.params['x'] as number) - 1) ** 2 + ((t.params['y'] as number) + 2) ** 2]);
    }
    expect(new Set(trials.map((t) => t.userAttrs['pid'])).size).toBe(2);
    return trials;
  } finally {
    await study.storage.close();
  }
}

/** The pids of the trials that satisfy `test`. */
const pidsOf = (trials: readonly FrozenTrial[], test: (t: FrozenTrial) => boolean): Set<unknown> => new Set(trials.filter(test).map((t) => t.userAttrs['pid']));

/**
 * Trials its own process had finished when `t` was asked (each process runs one trial at a time). Each
 * process has at most one trial in flight, so trial n was asked with at least n - 1 finished trials in the
 * study: from n = 6 on, at least 5 (the samplers' startup). One of the processes ran at most 3 of trials
 * 0–5, so its next trial was modelled with fewer than 5 of its own: it learnt from the other's trials.
 */
const ownBefore = (trials: readonly FrozenTrial[], t: FrozenTrial): number =>
  trials.filter((s) => s.number < t.number && s.userAttrs['pid'] === t.userAttrs['pid']).length;

const X = floatDistribution(-5, 5);

describe('two processes on one SQLite study', () => {
  it('GPSampler: both propose by the GP fitted on the shared trials', async () => {
    const trials = await runTwo('gp');
    // During its start the GP gives trial n the Sobol' point n (seeded); a fitted GP proposes elsewhere.
    const enc = new Encoding({ x: X, y: X });
    const sobol = new Sobol(2, { scramble: true, seed: SEED });
    const sobolPoint = (t: FrozenTrial): Record<string, number> => enc.decodeUniform(sobol.at(t.number));
    const relative = (t: FrozenTrial): Record<string, number> | undefined => t.systemAttrs[PARAMS_ATTR] as Record<string, number> | undefined;
    const byGp = (t: FrozenTrial): boolean => relative(t) !== undefined && JSON.stringify(relative(t)) !== JSON.stringify(sobolPoint(t));
    // A trial is sampled after it is created: a process held up in between (a loaded machine) can find
    // the other's later trials finished, five in all, and fit the GP for one of the first five numbers.
    const start = trials.filter((t) => t.number < 5 && relative(t) !== undefined);
    expect(start.filter((t) => !byGp(t)).length, 'start trials on their Sobol\' point').toBeGreaterThanOrEqual(3);
    for (const t of trials.slice(6)) {
      expect(byGp(t), `trial ${t.number}`).toBe(true);
      expect(relative(t)).toEqual(t.internalParams);
    }
    expect(pidsOf(trials, byGp).size).toBe(2);
    expect(trials.some((t) => byGp(t) && ownBefore(trials, t) < 5)).toBe(true);
  });

  it('TPESampler: both sample by TPE once the study, not each process, has enough finished trials', async () => {
    const trials = await runTwo('tpe');
    // A startup trial's x is the seeded draw (seed, number, name); a TPE trial's is not.
    const startupDraw = (t: FrozenTrial): number => fromUnit(X, paramRng(SEED, 4, t.number, 'x').random());
    for (const t of trials.slice(0, 5)) expect(t.params['x']).toBe(startupDraw(t));
    const byTpe = (t: FrozenTrial): boolean => t.params['x'] !== startupDraw(t);
    for (const t of trials.slice(6)) expect(byTpe(t), `trial ${t.number}`).toBe(true);
    expect(pidsOf(trials, byTpe).size).toBe(2);
    expect(trials.some((t) => byTpe(t) && ownBefore(trials, t) < 5)).toBe(true);
  });

  it('CmaEsSampler: one search: a process samples from generations updated with the other\'s trials', async () => {
    const trials = await runTwo('cmaes');
    const generation = (t: FrozenTrial): number => (t.systemAttrs[GENERATION_ATTR] as number | undefined) ?? -1;
    expect(Math.max(...trials.map(generation))).toBeGreaterThanOrEqual(2);
    // Generation g + 1 is computed from the trials of generation g: some trial's generation was computed
    // (partly) from the other process's trials, whatever the interleaving.
    const fromOther = (t: FrozenTrial): boolean =>
      generation(t) >= 1 && trials.some((s) => generation(s) === generation(t) - 1 && s.userAttrs['pid'] !== t.userAttrs['pid']);
    expect(trials.some(fromOther)).toBe(true);
  });
});
