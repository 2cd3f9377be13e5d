/**
 * GPSampler at the edges of what its engine takes: more parameters than a GP can model (the engine's and
 * the Sobol' start's 1024 dimensions) leave the study to the independent sampler with one warning —
 * every trial completes, none is left RUNNING or FAIL — and parameters with huge ranges and objective
 * values near the ends of float64 still get finite, in-range suggestions from the GP.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { contains } from '../../src/distributions/index.js';
import { createStudy, engine, GPSampler, type Trial } from '../../src/index.js';
import { HYPER_ATTR, MAX_GP_DIMS } from '../../src/samplers/gp/sampler.js';
import { TrialState } from '../../src/trial/index.js';

const hasEngine = engine.backends().length > 0;

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});
async function collectWarnings<T>(f: () => Promise<T>): Promise<T> {
  process.on('warning', onWarning);
  const r = await f();
  await new Promise((resolve) => setImmediate(resolve)); // 'warning' is emitted on the next tick
  return r;
}

describe.skipIf(!hasEngine)('GPSampler beyond the engine', () => {
  it(`more than ${MAX_GP_DIMS} parameters: the independent sampler, one warning, every trial COMPLETE`, async () => {
    const D = MAX_GP_DIMS + 76;
    const objective = (t: Trial) => {
      let s = 0;
      for (let i = 0; i < D; i++) s += (t.suggestFloat(`p${String(i).padStart(4, '0')}`, 0, 1) - 0.5) ** 2;
      return s;
    };
    const study = await createStudy({ studyName: 'wide', sampler: new GPSampler({ seed: 2, nStartupTrials: 2 }) });
    await collectWarnings(() => study.optimize(objective, { nTrials: 5 }));
    expect(study.trials.map((t) => t.state)).toEqual(Array(5).fill(TrialState.COMPLETE));
    for (const t of study.trials) expect(Object.keys(t.params)).toHaveLength(D);
    const mine = warnings.filter((w) => (w as Error & { code?: string }).code === 'TUNABLE_GP_TOO_MANY_PARAMETERS');
    expect(mine).toHaveLength(1);
    expect(mine[0]!.message).toContain(`over ${D} dimensions, more than the ${MAX_GP_DIMS} it can model`);
    expect(mine[0]!.message).toContain('"wide"');
    expect(mine[0]!.message).not.toMatch(/`d`/);
    // No per-parameter "sampled independently" warnings: the GP never took part.
    expect(warnings.filter((w) => (w as Error & { code?: string }).code === 'TUNABLE_GP_INDEPENDENT')).toEqual([]);
  });

  it(`exactly ${MAX_GP_DIMS} parameters stay with the GP`, async () => {
    const D = MAX_GP_DIMS;
    const study = await createStudy({ sampler: new GPSampler({ seed: 3, nStartupTrials: 2, rawSamples: 16, restarts: 1 }) });
    await collectWarnings(() =>
      study.optimize((t) => {
        let s = 0;
        for (let i = 0; i < D; i++) s += (t.suggestFloat(`p${i}`, 0, 1) - 0.5) ** 2;
        return s;
      }, { nTrials: 3 }),
    );
    expect(study.trials.map((t) => t.state)).toEqual(Array(3).fill(TrialState.COMPLETE));
    expect(warnings.filter((w) => (w as Error & { code?: string }).code === 'TUNABLE_GP_TOO_MANY_PARAMETERS')).toEqual([]);
    // The third trial was the GP's: the fit's hyperparameters were stored for the study.
    const attrs = await study.storage.getStudySystemAttrs(study.studyId);
    expect(attrs[HYPER_ATTR]).toBeDefined();
  });

  it.each(['log', 'none'] as const)('huge ranges and objective values near the ends of float64 (outputWarping %s): finite, in-range GP suggestions', async (outputWarping) => {
    const study = await createStudy({ sampler: new GPSampler({ seed: 4, nStartupTrials: 3, outputWarping }) });
    const x = { type: 'float', low: -8e307, high: 8e307, log: false, step: null } as const;
    const w = { type: 'float', low: 1e-300, high: 1e300, log: true, step: null } as const;
    const k = { type: 'int', low: -2e15, high: 2e15, log: false, step: 1 } as const;
    // Objective values up to ±1.6e308: their differences, sums and squares overflow.
    await study.optimize((t) => 2 * t.suggestFloat('x', x.low, x.high) + Math.log(t.suggestFloat('w', w.low, w.high, { log: true })) + t.suggestInt('k', k.low, k.high), { nTrials: 10 });
    expect(study.trials.map((t) => t.state)).toEqual(Array(10).fill(TrialState.COMPLETE));
    for (const t of study.trials) {
      for (const [name, dist] of [['x', x], ['w', w], ['k', k]] as const) {
        const v = t.params[name] as number;
        expect(Number.isFinite(v)).toBe(true);
        expect(contains(dist, v)).toBe(true);
      }
    }
    // Trials after the start were the GP's (it fitted and stored its hyperparameters).
    const attrs = await study.storage.getStudySystemAttrs(study.studyId);
    expect(attrs[HYPER_ATTR]).toBeDefined();
    // Minimising x: the GP moves towards the low end.
    const late = study.trials.slice(3).map((t) => t.params['x'] as number);
    expect(Math.min(...late)).toBeLessThan(0);
  });
});
