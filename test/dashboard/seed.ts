/**
 * Seeded SQLite studies for the dashboard's browser tests and benchmarks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { categoricalDistribution, floatDistribution, intDistribution } from '../../src/distributions/index.js';
import { RandomSampler } from '../../src/samplers/random.js';
import { createStorage } from '../../src/storage/index.js';
import { TrialState } from '../../src/trial/index.js';
import { TrialPruned } from '../../src/errors.js';
import { createStudy, type Study } from '../../src/study/study.js';
import type { Trial } from '../../src/study/trial.js';

export interface TempDb {
  readonly dir: string;
  readonly url: string;
  remove(): void;
}

export function tempDb(prefix = 'tunable-dash-'): TempDb {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, url: `sqlite:${join(dir, 'dash.db')}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Branin-like objective on x, y (float), lr (log float), layers (int), act (categorical). */
export function objective(t: Trial): number {
  const x = t.suggestFloat('x', -5, 10);
  const y = t.suggestFloat('y', 0, 15);
  const lr = t.suggestFloat('lr', 1e-4, 1e-1, { log: true });
  const layers = t.suggestInt('layers', 1, 4);
  const act = t.suggestCategorical('act', ['relu', 'tanh']);
  const b = (y - (5.1 / (4 * Math.PI ** 2)) * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
  return b + 2 * (Math.log10(lr) + 2) ** 2 + 0.5 * (layers - 2) ** 2 + (act === 'relu' ? 0 : 1.5);
}

/**
 * A study of `n` trials: each reports intermediate values, every 7th (from trial 3) is pruned unless
 * `prune` is false, every one has user attributes.
 */
export async function seedStudy(
  url: string,
  name: string,
  n: number,
  seed = 1,
  extraAttrs: Record<string, unknown> = {},
  prune = true,
): Promise<Study> {
  const study = await createStudy({ storage: url, studyName: name, direction: 'minimize', sampler: new RandomSampler({ seed }) });
  await study.optimize(
    (t) => {
      const v = objective(t);
      t.setUserAttr('note', `trial ${t.number}`);
      for (const [k, a] of Object.entries(extraAttrs)) t.setUserAttr(k, a);
      for (let step = 0; step < 5; step++) t.report(v * (1 + (5 - step) / 5), step);
      if (prune && t.number % 7 === 3) throw new TrialPruned();
      return v;
    },
    { nTrials: n },
  );
  return study;
}

/**
 * A large study written straight through the storage (no sampler, no study loop: `optimize` reads the
 * study's trials after each one, which is quadratic at 50,000 trials). The same parameters and
 * objective as seedStudy, uniform random values from a seeded generator, 5 intermediate values each,
 * every 7th trial (from 3) PRUNED at its last one.
 */
export async function seedLargeStudy(url: string, name: string, n: number, seed = 1): Promise<void> {
  const storage = createStorage(url);
  try {
    const studyId = await storage.createStudy(name, ['minimize']);
    const dists = {
      x: floatDistribution(-5, 10),
      y: floatDistribution(0, 15),
      lr: floatDistribution(1e-4, 1e-1, true),
      layers: intDistribution(1, 4),
      act: categoricalDistribution(['relu', 'tanh']),
    };
    let s = seed >>> 0;
    const rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    for (let i = 0; i < n; i++) {
      const x = -5 + 15 * rand();
      const y = 15 * rand();
      const lr = Math.exp(Math.log(1e-4) + rand() * Math.log(1e3));
      const layers = 1 + Math.floor(4 * rand());
      const act = rand() < 0.5 ? 0 : 1;
      const v =
        (y - (5.1 / (4 * Math.PI ** 2)) * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10 +
        2 * (Math.log10(lr) + 2) ** 2 + 0.5 * (layers - 2) ** 2 + (act === 0 ? 0 : 1.5);
      const t = await storage.createTrial(studyId, {
        params: {
          x: { internal: x, distribution: dists.x },
          y: { internal: y, distribution: dists.y },
          lr: { internal: lr, distribution: dists.lr },
          layers: { internal: layers, distribution: dists.layers },
          act: { internal: act, distribution: dists.act },
        },
        userAttrs: { note: `trial ${i}` },
      });
      for (let step = 0; step < 5; step++) await storage.setTrialIntermediateValue(t.trialId, step, v * (1 + (5 - step) / 5));
      if (i % 7 === 3) await storage.setTrialState(t.trialId, TrialState.PRUNED, [v * 1.2]);
      else await storage.setTrialState(t.trialId, TrialState.COMPLETE, [v]);
    }
  } finally {
    await storage.close();
  }
}
