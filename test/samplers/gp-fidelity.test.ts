/** GPSampler({ multiFidelity }): the (x, budget) data, the options, and a Hyperband study end to end. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnknownOptionError } from '../../src/errors.js';
import { createStudy, engine, GPSampler, HyperbandPruner, TrialPruned, type Trial } from '../../src/index.js';
import { floatDistribution } from '../../src/distributions/index.js';
import { Encoding } from '../../src/samplers/gp/encode.js';
import { budgetOf, fidelityData, MIN_GAP, resolveFidelity } from '../../src/samplers/gp/fidelity.js';
import { HYPER_ATTR } from '../../src/samplers/gp/sampler.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';

const noEngine = engine.backends().length === 0;

function frozen(number: number, state: TrialState, x: number, curve: Array<[number, number]>, value?: number): FrozenTrial {
  return {
    trialId: number + 1,
    number,
    state,
    values: value === undefined ? null : [value],
    params: { x },
    internalParams: { x },
    distributions: { x: floatDistribution(0, 1) },
    intermediateValues: new Map(curve),
    userAttrs: {},
    systemAttrs: {},
    datetimeStart: null,
    datetimeComplete: null,
  } as unknown as FrozenTrial;
}

describe('multi-fidelity data (fidelity.ts)', () => {
  const enc = new Encoding({ x: floatDistribution(0, 1) });
  const f = { maxResource: 27, minResource: 1 };

  it('maps steps to budgets on a log scale, clamped to [0, 1]', () => {
    expect(budgetOf(1, 1, 27)).toBe(0);
    expect(budgetOf(3, 1, 27)).toBeCloseTo(1 / 3, 12);
    expect(budgetOf(9, 1, 27)).toBeCloseTo(2 / 3, 12);
    expect(budgetOf(27, 1, 27)).toBe(1);
    expect(budgetOf(81, 1, 27)).toBe(1);
    expect(budgetOf(0, 1, 27)).toBe(0);
  });

  it('a COMPLETE trial: final value at b = 1, its curve below, thinned; PRUNED and RUNNING: their curves', () => {
    const curve = Array.from({ length: 27 }, (_, i) => [i + 1, 0.5 + i / 100] as [number, number]);
    const trials = [
      frozen(0, TrialState.COMPLETE, 0.25, curve, 0.9),
      frozen(1, TrialState.PRUNED, 0.5, [[1, 0.3], [2, 0.35], [3, 0.4]]),
      frozen(2, TrialState.RUNNING, 0.75, [[1, 0.6]]),
      frozen(3, TrialState.FAIL, 0.1, [[1, 0.99]]),
    ];
    const d = fidelityData(trials, enc, 1, f);
    expect(d.trials).toBe(3);
    const rows = d.values.map((v, i) => [d.X[2 * i]!, d.X[2 * i + 1]!, v]);
    // Trial 0: its final value at b = 1 (not the step-27 value 0.76), then steps below 27 at least MIN_GAP apart.
    const t0 = rows.filter((r) => r[0] === 0.25);
    expect(t0[0]).toEqual([0.25, 1, 0.9]);
    expect(t0.some((r) => r[2] === 0.76)).toBe(false);
    const bs = t0.map((r) => r[1]!);
    for (let i = 1; i < bs.length; i++) expect(bs[i - 1]! - bs[i]!).toBeGreaterThanOrEqual(MIN_GAP);
    expect(bs.at(-1)).toBe(0); // step 1 is far enough below the next kept step
    expect(bs.length).toBeGreaterThan(5);
    expect(bs.length).toBeLessThanOrEqual(1 + Math.floor(1 / MIN_GAP) + 1);
    // Trial 1: the last step always, then those far enough below.
    expect(rows.filter((r) => r[0] === 0.5).map((r) => r[2])).toEqual([0.4, 0.35, 0.3]);
    expect(rows.filter((r) => r[0] === 0.75)).toEqual([[0.75, 0, 0.6]]);
    expect(rows.some((r) => r[0] === 0.1)).toBe(false); // FAIL ignored
    expect(d.full).toEqual([0]);
    // Minimisation flips the sign.
    expect(fidelityData(trials, enc, -1, f).values[0]).toBe(-0.9);
  });

  it('without maxResource the full budget is the largest step reported', () => {
    const trials = [frozen(0, TrialState.PRUNED, 0.5, [[1, 0.1], [9, 0.2]])];
    const d = fidelityData(trials, enc, 1, { maxResource: undefined, minResource: 1 });
    expect(d.X).toEqual([0.5, 1, 0.5, 0]);
    expect(d.full).toEqual([0]);
  });

  it('rejects impossible options with typed errors', () => {
    expect(resolveFidelity(undefined)).toBeNull();
    expect(resolveFidelity(false)).toBeNull();
    expect(resolveFidelity(true)).toEqual({ maxResource: undefined, minResource: 1 });
    expect(() => resolveFidelity({ maxResource: 0 })).toThrow(/positive finite number for `multiFidelity.maxResource` but received 0/);
    expect(() => resolveFidelity({ maxResource: 3, minResource: 3 })).toThrow(InvalidArgumentError);
    expect(() => resolveFidelity({ maxResource: 3, minResource: 9 })).toThrow(/above minResource \(9\) for `multiFidelity.maxResource` but received 3/);
    expect(() => resolveFidelity({ maxResources: 27 })).toThrow(UnknownOptionError);
    expect(() => resolveFidelity('yes')).toThrow(InvalidArgumentError);
    expect(() => new GPSampler({ multiFidelity: { minResource: -1 } })).toThrow(/multiFidelity.minResource/);
  });
});

describe.skipIf(noEngine)('GPSampler({ multiFidelity }) with Hyperband', () => {
  // A learning curve: the final value (epoch 27) is best at x = 0.3, y = 0.7; early epochs are a
  // compressed, shifted version of it, so short trainings say where the good region is.
  const final = (x: number, y: number): number => 1 - 2 * ((x - 0.3) ** 2 + (y - 0.7) ** 2);
  const at = (x: number, y: number, epoch: number): number => final(x, y) * (1 - Math.exp(-epoch / 6)) + 0.02 * Math.sin(10 * x + epoch);

  async function objective(t: Trial): Promise<number> {
    const x = t.suggestFloat('x', 0, 1);
    const y = t.suggestFloat('y', 0, 1);
    for (let epoch = 1; epoch <= 27; epoch++) {
      t.report(at(x, y, epoch), epoch);
      if (await t.shouldPrune()) throw new TrialPruned();
    }
    return final(x, y);
  }

  it('fits over (x, budget), proposes near the full-budget optimum, and reproduces with a seed', async () => {
    // A fixed study name: Hyperband's bracket of a trial depends on it.
    const run = async () => {
      const study = await createStudy({
        studyName: 'mf-gp',
        storage: 'memory:',
        direction: 'maximize',
        sampler: new GPSampler({ seed: 3, nStartupTrials: 8, multiFidelity: { maxResource: 27 } }),
        pruner: new HyperbandPruner({ minResource: 1, maxResource: 27 }),
      });
      await study.optimize(objective, { nTrials: 40 });
      return study;
    };
    const study = await run();
    const trials = await study.getTrials();
    const pruned = trials.filter((t) => t.state === TrialState.PRUNED).length;
    expect(pruned).toBeGreaterThan(10); // Hyperband stopped most trainings early
    const h = (await study.storage.getStudySystemAttrs(study.studyId))[HYPER_ATTR] as { space: string; lengthscales: number[] };
    expect(h.space.endsWith('|budget')).toBe(true);
    expect(h.lengthscales).toHaveLength(3); // x, y and the budget
    // The last proposals concentrate near the optimum at the full budget.
    const late = trials.slice(-10).map((t) => Math.hypot((t.params.x as number) - 0.3, (t.params.y as number) - 0.7));
    late.sort((a, b) => a - b);
    expect(late[4]).toBeLessThan(0.15);
    expect(study.bestValue).toBeGreaterThan(0.98);
    const again = await run();
    expect((await again.getTrials()).map((t) => t.params)).toEqual(trials.map((t) => t.params));
  }, 60_000);
});
