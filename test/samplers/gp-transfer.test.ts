/** GPSampler({ transferFrom }): the start from the sources' best configurations, then RGPE (src/samplers/gp/transfer.ts). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { createStudy, GPSampler, RandomSampler, type Study, type Trial } from '../../src/index.js';
import { TRANSFER_ATTR } from '../../src/samplers/gp/sampler.js';
import { TrialState } from '../../src/trial/index.js';
import { thrown } from '../helpers.js';

afterEach(() => vi.restoreAllMocks());

/** A 2-d bowl with its minimum (0) at (cx, cy), on [-1, 1]². */
const bowl = (cx: number, cy: number) => (t: Trial): number =>
  (t.suggestFloat('x', -1, 1) - cx) ** 2 + (t.suggestFloat('y', -1, 1) - cy) ** 2 + 0.3 * Math.sin(5 * t.suggestFloat('x', -1, 1));
const TARGET = { cx: 0.35, cy: -0.25 };
/** The target without its sine: one basin, minimum 0. */
const plain = (t: Trial): number => (t.suggestFloat('x', -1, 1) - TARGET.cx) ** 2 + (t.suggestFloat('y', -1, 1) - TARGET.cy) ** 2;
const target = bowl(TARGET.cx, TARGET.cy);
/** The target's minimum value on its domain, by a fine grid (the sine moves it a little). */
const targetMin = ((): number => {
  let m = Infinity;
  for (let i = 0; i <= 400; i++) for (let j = 0; j <= 400; j++) {
    const x = -1 + i / 200;
    const y = -1 + j / 200;
    m = Math.min(m, (x - TARGET.cx) ** 2 + (y - TARGET.cy) ** 2 + 0.3 * Math.sin(5 * x));
  }
  return m;
})();

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

/** A finished source study: `n` random trials of `objective`. */
async function source(objective: (t: Trial) => number, seed: number, n = 40, direction: 'minimize' | 'maximize' = 'minimize', studyName?: string): Promise<Study> {
  const study = await createStudy({ sampler: new RandomSampler({ seed }), direction, ...(studyName !== undefined ? { studyName } : {}) });
  await study.optimize(objective, { nTrials: n });
  return study;
}

async function regretAfter(sampler: GPSampler, n: number): Promise<{ regret: number; study: Study }> {
  const study = await createStudy({ sampler });
  await study.optimize(target, { nTrials: n });
  return { regret: study.bestValue - targetMin, study };
}

describe('GPSampler transfer: related sources', () => {
  it('reaches a far lower regret after 8 trials than a cold start (5 seeds)', async () => {
    const warm: number[] = [];
    const cold: number[] = [];
    for (const seed of [0, 1, 2, 3, 4]) {
      const sources = [await source(bowl(0.3, -0.2), 100 + seed), await source(bowl(0.4, -0.3), 200 + seed)];
      warm.push((await regretAfter(new GPSampler({ seed, transferFrom: sources }), 8)).regret);
      cold.push((await regretAfter(new GPSampler({ seed }), 8)).regret);
    }
    // Cold after 8 trials is 8 Sobol' points; the sources put the first trials next to the optimum.
    expect(median(warm)).toBeLessThan(median(cold) / 5);
  });

  it('starts with the best configuration of each source, then records the RGPE weights on the trials', async () => {
    const a = await source(bowl(0.3, -0.2), 11);
    const b = await source(bowl(0.4, -0.3), 12);
    const { study } = await regretAfter(new GPSampler({ seed: 3, transferFrom: [a, b] }), 6);
    const trials = study.trials;
    expect(trials[0]!.params).toEqual(a.bestTrial.params);
    expect(trials[1]!.params).toEqual(b.bestTrial.params);
    // From two finished trials on, RGPE proposes and says how far it trusted each source.
    for (const t of trials.slice(2)) {
      const w = t.systemAttrs[TRANSFER_ATTR] as { weights: Record<string, number>; target: number };
      expect(Object.keys(w.weights).sort()).toEqual([a.studyName, b.studyName].sort());
      const total = w.target + Object.values(w.weights).reduce((x, y) => x + y, 0);
      expect(total).toBeCloseTo(1, 9);
    }
  });

  it('maps parameters through their values: another range, a parameter more or fewer, the other direction', async () => {
    // The source searched x over [-2, 2] (values outside the target's [-1, 1] are dropped), had an extra
    // parameter z, lacked nothing; a second source lacks y; a third maximised the negated objective.
    const wide = await source((t) => (t.suggestFloat('x', -2, 2) - 0.3) ** 2 + (t.suggestFloat('y', -1, 1) + 0.2) ** 2 + 0.01 * t.suggestFloat('z', 0, 1), 21, 60);
    const noY = await source((t) => (t.suggestFloat('x', -1, 1) - 0.35) ** 2, 22);
    const flipped = await source((t) => -target(t), 23, 40, 'maximize');
    const { regret, study } = await regretAfter(new GPSampler({ seed: 5, transferFrom: [wide, noY, flipped] }), 10);
    expect(regret).toBeLessThan(0.05);
    const last = study.trials.at(-1)!.systemAttrs[TRANSFER_ATTR] as { weights: Record<string, number> };
    expect(Object.keys(last.weights)).toHaveLength(3);
    for (const t of study.trials) expect(Object.keys(t.params).sort()).toEqual(['x', 'y']);
  });
});

describe('GPSampler transfer: unhelpful sources', () => {
  it('learns to ignore an adversarial source (the negated target) and ends where a cold start does (6 seeds)', async () => {
    const adv: number[] = [];
    const cold: number[] = [];
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      // A unimodal target: the comparison is not a draw between two basins.
      const adversary = await source((t) => -plain(t), 30 + seed, 40);
      const study = await createStudy({ sampler: new GPSampler({ seed, transferFrom: [adversary] }) });
      await study.optimize(plain, { nTrials: 18 });
      const late = study.trials.slice(-6).map((t) => (t.systemAttrs[TRANSFER_ATTR] as { weights: Record<string, number> }).weights[adversary.studyName]!);
      // Measured: the adversary's weight is 0 from about the fifth trial on.
      expect(Math.max(...late)).toBe(0);
      adv.push(study.bestValue);
      const coldStudy = await createStudy({ sampler: new GPSampler({ seed }) });
      await coldStudy.optimize(plain, { nTrials: 18 });
      cold.push(coldStudy.bestValue);
    }
    expect(median(adv)).toBeLessThanOrEqual(1.5 * median(cold) + 1e-4);
  });

  it('takes the cold Sobol\' point while every source weighs 0 and a cold study would still be in its start', async () => {
    const adversary = await source((t) => -plain(t), 51, 40);
    const warm = await createStudy({ sampler: new GPSampler({ seed: 2, transferFrom: [adversary] }) });
    await warm.optimize(plain, { nTrials: 10 });
    const cold = await createStudy({ sampler: new GPSampler({ seed: 2 }) });
    await cold.optimize(plain, { nTrials: 10 });
    const ruledOut = warm.trials.filter((t) => {
      const w = t.systemAttrs[TRANSFER_ATTR] as { weights: Record<string, number> } | undefined;
      return w !== undefined && w.weights[adversary.studyName] === 0;
    });
    expect(ruledOut.length).toBeGreaterThan(3);
    for (const t of ruledOut) expect(t.params).toEqual(cold.trials[t.number]!.params);
  });

  it('warns about a source that shares no parameter and proposes without it', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const other = await source((t) => t.suggestFloat('lr', 1e-4, 1, { log: true }), 41, 10, 'minimize', 'unrelated-lr');
    const { study } = await regretAfter(new GPSampler({ seed: 1, transferFrom: [other], nStartupTrials: 4 }), 6);
    expect(study.trials.every((t) => t.state === TrialState.COMPLETE)).toBe(true);
    const codes = warn.mock.calls.map((c) => (c[1] as { code?: string } | undefined)?.code ?? c[2]);
    expect(codes).toContain('TUNABLE_TRANSFER_NO_OVERLAP');
    expect(study.trials.some((t) => TRANSFER_ATTR in t.systemAttrs)).toBe(false);
  });
});

describe('GPSampler transfer: bad input', () => {
  it('refuses a transferFrom that is not an array of sources, naming it', () => {
    expect(thrown(() => new GPSampler({ transferFrom: 3 as never }))).toMatchObject({
      constructor: InvalidArgumentError,
      message: expect.stringContaining('`transferFrom`'),
    });
    expect(thrown(() => new GPSampler({ transferFrom: [{ nope: 1 }] as never }))).toMatchObject({
      constructor: InvalidArgumentError,
      message: expect.stringContaining('`transferFrom[0]`'),
    });
  });

  it('refuses transfer with multi-fidelity', async () => {
    const s = await source(target, 1, 5);
    expect(thrown(() => new GPSampler({ transferFrom: [s], multiFidelity: true }))).toMatchObject({
      constructor: InvalidArgumentError,
      message: expect.stringContaining('multiFidelity'),
    });
  });

  it('refuses a multi-objective source, naming it: a loaded one at construction, one in a storage at the first ask', async () => {
    const multi = await createStudy({ directions: ['minimize', 'minimize'] });
    expect(thrown(() => new GPSampler({ transferFrom: [multi] }))).toMatchObject({
      constructor: InvalidArgumentError,
      message: expect.stringContaining('`transferFrom[0]`'),
    });
    const study = await createStudy({ sampler: new GPSampler({ seed: 0, transferFrom: [{ storage: multi.storage, studyName: multi.studyName }] }) });
    const err = await study.ask().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain('`transferFrom[0]`');
    // Refused before the trial was created: nothing is left behind.
    expect(await study.storage.getNTrials(study.studyId)).toBe(0);
  });
});
