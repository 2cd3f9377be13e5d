/** Seeded synthetic studies as `StudyJSON`, for the plot tests and the 50,000-trial timings. */
import type { Distribution } from '../../src/distributions/index.js';
import { RandomSampler } from '../../src/samplers/random.js';
import { createStudy, type Study } from '../../src/study/study.js';
import type { StudyDirection } from '../../src/trial/index.js';
import type { StudyJSON, TrialJSON, TrialStateName } from '../../src/trial/json.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return ((t ^ (t >>> 15)) >>> 0) / 4294967296;
  };
}

export const SPACE: Record<string, Distribution> = {
  lr: { type: 'float', low: 1e-5, high: 1e-1, log: true, step: null },
  x: { type: 'float', low: -5, high: 5, log: false, step: null },
  layers: { type: 'int', low: 1, high: 8, log: false, step: 1 },
  opt: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] },
};

export interface SyntheticOptions {
  n: number;
  seed?: number;
  directions?: StudyDirection[];
  name?: string;
  /** Every k-th trial PRUNED (0: none). */
  prunedEvery?: number;
  /** Steps of intermediate values per trial (0: none). */
  steps?: number;
  /** Shift every value by this (negative values for the log test). */
  offset?: number;
}

/** A study over SPACE whose first objective is (log10 lr + 3)² + x² + layers/8 + a choice's cost. */
export function synthetic(o: SyntheticOptions): StudyJSON {
  const r = rng(o.seed ?? 1);
  const directions = o.directions ?? ['minimize'];
  const trials: TrialJSON[] = [];
  const choices = ['adam', 'sgd', 'rmsprop'];
  for (let i = 0; i < o.n; i++) {
    const lr = 10 ** (-5 + 4 * r());
    const x = -5 + 10 * r();
    const layers = 1 + Math.floor(8 * r());
    const ci = Math.floor(3 * r());
    const f = (Math.log10(lr) + 3) ** 2 + x * x + layers / 8 + [0, 1, 0.5][ci]! + (o.offset ?? 0.1);
    const values = directions.map((_, k) => (k === 0 ? f : 30 - f + 3 * r()));
    const pruned = (o.prunedEvery ?? 0) > 0 && i % o.prunedEvery! === o.prunedEvery! - 1;
    const state: TrialStateName = pruned ? 'PRUNED' : 'COMPLETE';
    const steps = o.steps ?? 0;
    const intermediate: [number, number][] = [];
    for (let s = 0; s < (pruned ? Math.ceil(steps / 2) : steps); s++) intermediate.push([s, f * (1 + 5 / (s + 1))]);
    trials.push({
      trialId: i + 1,
      number: i,
      state,
      values: pruned ? null : values,
      params: { lr, x, layers, opt: choices[ci]! },
      internalParams: { lr, x, layers, opt: ci },
      distributions: SPACE,
      userAttrs: {},
      systemAttrs: {},
      intermediate,
      start: 1_700_000_000_000 + i * 1000,
      complete: 1_700_000_000_500 + i * 1000,
    });
  }
  return { studyId: 1, name: o.name ?? 'synthetic', directions, userAttrs: {}, trials };
}

/** A SQLite study of `n` trials over lr (log), x, opt; every 4th pruned after reporting two steps. */
export async function sqliteStudy(storage: string, studyName: string, n = 24, directions: ('minimize' | 'maximize')[] = ['minimize']): Promise<Study> {
  const study = await createStudy({ storage, studyName, directions, sampler: new RandomSampler({ seed: 1 }) });
  for (let i = 0; i < n; i++) {
    const t = await study.ask();
    const lr = t.suggestFloat('lr', 1e-4, 1, { log: true });
    const x = t.suggestFloat('x', -2, 2);
    const opt = t.suggestCategorical('opt', ['adam', 'sgd']);
    const f = (Math.log10(lr) + 2) ** 2 + x * x + (opt === 'sgd' ? 0.5 : 0) + 0.1;
    t.report(f * 3, 0);
    t.report(f * 2, 1);
    if (i % 4 === 3) await study.tell(t, 'PRUNED');
    else await study.tell(t, directions.length === 1 ? f : [f, 5 - f + i / n]);
  }
  return study;
}

