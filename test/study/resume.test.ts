/**
 * A study continues where it stopped (README): a SQLite study reopened from its file — by a new storage
 * instance in this process, or by a second run of the CLI demo in a new process — keeps its trials,
 * continues their numbering, and its sampler learns from the trials of the earlier run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createStudy,
  GPSampler,
  loadStudy,
  SqliteStorage,
  TPESampler,
  TrialState,
  type Sampler,
  type Study,
  type Trial,
} from '../../src/index.js';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** What `npx tunable` runs (built by `npm install` / `npm run build:ts`, as in .ci/run). */
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

const dir = tempDir();

const objective = (t: Trial): number => (t.suggestFloat('x', -1, 1) - 0.3) ** 2 + (t.suggestFloat('y', -1, 1) + 0.2) ** 2;

const point = (t: { params: Record<string, unknown> }): [number, number] => [t.params['x'] as number, t.params['y'] as number];

const samplers: [string, () => Sampler, 'createStudy' | 'loadStudy'][] = [
  ['GPSampler', () => new GPSampler({ seed: 3, nStartupTrials: 5 }), 'createStudy'],
  ['TPESampler', () => new TPESampler({ seed: 3, nStartupTrials: 5 }), 'loadStudy'],
];

describe.each(samplers)('a SQLite study reopened with %s', (name, make, reopen) => {
  it('keeps its trials, continues their numbering and samples from them as if it had never stopped', async () => {
    const file = join(dir, `resume-${name}.db`);
    const first = await createStudy({ studyName: 'resume', storage: new SqliteStorage(file), sampler: make() });
    await first.optimize(objective, { nTrials: 8 });
    const earlier = first.trials;
    await first.storage.close();

    const storage = new SqliteStorage(file);
    const again: Study =
      reopen === 'createStudy'
        ? await createStudy({ studyName: 'resume', storage, sampler: make(), loadIfExists: true })
        : await loadStudy({ studyName: 'resume', storage, sampler: make() });
    try {
      expect(again.trials).toEqual(earlier);
      await again.optimize(objective, { nTrials: 4 });
      expect(again.trials.map((t) => t.number)).toEqual([...Array(12).keys()]);
      expect(again.trials.every((t) => t.state === TrialState.COMPLETE)).toBe(true);
      const resumed = point(again.trials[8]!);

      // The same seed without the interruption proposes the same trial 8 ...
      const straight = await createStudy({ sampler: make() });
      await straight.optimize(objective, { nTrials: 9 });
      const expected = point(straight.trials[8]!);
      expect(resumed[0]).toBeCloseTo(expected[0], 9);
      expect(resumed[1]).toBeCloseTo(expected[1], 9);

      // ... while without the 8 earlier values (8 failed trials: nothing to learn from) trial 8 is another point.
      const cold = await createStudy({ sampler: make() });
      await cold.optimize(
        (t) => {
          objective(t);
          throw new Error('no value');
        },
        { nTrials: 8, catch: () => true },
      );
      const blind = await cold.ask();
      expect(blind.number).toBe(8);
      const guess: [number, number] = [blind.suggestFloat('x', -1, 1), blind.suggestFloat('y', -1, 1)];
      expect(Math.hypot(resumed[0] - guess[0], resumed[1] - guess[1])).toBeGreaterThan(1e-3);
    } finally {
      await again.storage.close();
    }
  });
});

describe('the CLI demo run twice on one SQLite file', () => {
  it.skipIf(!existsSync(CLI) && !process.env['CI'])('continues the study: 3 trials, then 3 more numbered 3–5', async () => {
    const url = `sqlite:${join(dir, 'demo.db')}`;
    const demo = (): string => {
      const r = spawnSync(process.execPath, [CLI, 'demo', '--n-trials', '3', '--storage', url], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(demo()).toMatch(/: 3 trials in [\d.]+ s \(3 in total/);
    expect(demo()).toMatch(/: 3 trials in [\d.]+ s \(6 in total/);
    const study = await loadStudy({ studyName: 'demo', storage: url });
    try {
      const trials = study.trials;
      expect(trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(trials.every((t) => t.state === TrialState.COMPLETE || t.state === TrialState.FAIL)).toBe(true);
    } finally {
      await study.storage.close();
    }
  });
});
