import { afterEach, describe, expect, it, vi } from 'vitest';
import { floatDistribution } from '../../src/distributions/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { createStudy, loadStudy, RandomSampler, TPESampler, type Study, type Trial } from '../../src/index.js';
import { sourceWeight, TRANSFER_HALF_LIFE } from '../../src/samplers/tpe/transfer.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { TrialState } from '../../src/trial/index.js';
import { thrown } from '../helpers.js';

afterEach(() => vi.restoreAllMocks());

/** A shifted quadratic over [-5, 5]^3 with its minimum at `c`. */
const quadratic = (c: readonly number[]) => (t: Trial): number =>
  c.reduce((s, ci, i) => s + (t.suggestFloat(`x${i}`, -5, 5) - ci) ** 2, 0);

/** A source study: `n` random trials of `objective`. */
async function source(name: string, objective: (t: Trial) => number, n = 30, seed = 0, direction: 'minimize' | 'maximize' = 'minimize'): Promise<Study> {
  const study = await createStudy({ studyName: name, direction, sampler: new RandomSampler({ seed }) });
  await study.optimize(objective, { nTrials: n });
  return study;
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

describe('TPESampler transfer options', () => {
  it('validates transferFrom and transferWeight', async () => {
    const multi = await createStudy({ studyName: 'mo', directions: ['minimize', 'minimize'] });
    const cases: [object, string][] = [
      [{ transferFrom: 'x' }, 'Expected an array of transfer sources (Study, StudyJSON or { storage, studyName }) for `transferFrom` but received "x"'],
      [{ transferFrom: [1] }, 'Expected a Study, a StudyJSON or { storage, studyName } for `transferFrom[0]` but received 1'],
      [{ transferFrom: [multi] }, 'Expected a single-objective study for `transferFrom[0]` but received study "mo" with 2 objectives'],
      [{ transferFrom: [], transferWeight: 0 }, 'Expected a positive finite number for `transferWeight` but received 0'],
      [{ transferFrom: [], transferWeight: NaN }, 'Expected a positive finite number for `transferWeight` but received NaN'],
    ];
    for (const [opts, message] of cases) {
      const err = thrown(() => new TPESampler(opts));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toBe(message);
    }
    expect(new TPESampler({ transferFrom: [] }).transferWeight).toBe(1);
  });

  it('refuses a multi-objective source in a storage at the first ask, and a multi-objective target', async () => {
    const storage = new MemoryStorage();
    await createStudy({ studyName: 'mo', directions: ['minimize', 'maximize'], storage });
    const study = await createStudy({ sampler: new TPESampler({ transferFrom: [{ storage, studyName: 'mo' }] }) });
    await expect(study.ask()).rejects.toThrow('Expected a single-objective study for `transferFrom[0]` but received study "mo" with 2 objectives');
    const src = await source('single', quadratic([0, 0, 0]), 3);
    const target = await createStudy({ studyName: 'two', directions: ['minimize', 'minimize'], sampler: new TPESampler({ transferFrom: [src] }) });
    await expect(target.ask()).rejects.toThrow(
      'Expected a single-objective study with `transferFrom` but received study "two" with 2 objectives',
    );
  });

  it('decays the source weight as the target history grows: half after TRANSFER_HALF_LIFE trials', () => {
    expect(sourceWeight(2, 0)).toBe(2);
    expect(sourceWeight(2, TRANSFER_HALF_LIFE)).toBe(1);
    expect(sourceWeight(1, 3 * TRANSFER_HALF_LIFE)).toBe(0.25);
  });
});

describe('TPESampler transfer', () => {
  it('starts with the best source configurations, round-robin, each once across workers', async () => {
    const a = await source('a', quadratic([1, 1, 1]), 20, 1);
    const b = await source('b', quadratic([-1, -1, -1]), 20, 2, 'minimize');
    const ranked = (s: Study): unknown[] => [...s.trials].sort((x, y) => x.values![0]! - y.values![0]!).map((t) => t.params);
    const storage = new MemoryStorage();
    const w1 = await createStudy({ studyName: 't', storage, sampler: new TPESampler({ seed: 1, transferFrom: [a, b] }) });
    const w2 = await loadStudy({ studyName: 't', storage, sampler: new TPESampler({ seed: 2, transferFrom: [a, b] }) });
    const objective = quadratic([0, 0, 0]);
    const run = async (s: Study): Promise<void> => {
      const t = await s.ask();
      await s.tell(t, objective(t));
    };
    for (let i = 0; i < 3; i++) await Promise.all([run(w1), run(w2)]);
    const trials = await w1.getTrials();
    // 3 start configurations (at least 3, one per source): a's best, b's best, a's second; then TPE.
    const starts = trials.filter((t) => t.systemAttrs['fixedParamsSoft'] === true);
    expect(starts.map((t) => t.params)).toEqual(expect.arrayContaining([ranked(a)[0], ranked(b)[0], ranked(a)[1]]));
    expect(starts).toHaveLength(3);
    expect(starts.map((t) => t.systemAttrs['transfer:source']).sort()).toEqual(['a', 'a', 'b']);
    const attrs = await storage.getStudySystemAttrs(w1.studyId);
    expect(Object.keys(attrs).filter((k) => k.startsWith('transfer:start:')).sort()).toEqual(['transfer:start:0', 'transfer:start:1', 'transfer:start:2']);
  });

  it('loads the sources once per sampler, at the first ask', async () => {
    const a = await source('a', quadratic([1, 1, 1]), 5);
    const read = vi.spyOn(a, 'getTrials');
    const sampler = new TPESampler({ seed: 0, transferFrom: [a] });
    expect(read).not.toHaveBeenCalled();
    const study = await createStudy({ sampler });
    await study.optimize(quadratic([0, 0, 0]), { nTrials: 6 });
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('samples a start value the target cannot take, and parameters the source lacks', async () => {
    const a = await source('wide', (t) => (t.suggestFloat('x', -50, 50) - 40) ** 2, 10);
    const study = await createStudy({ sampler: new TPESampler({ seed: 0, transferFrom: [a] }) });
    await study.optimize((t) => t.suggestFloat('x', -5, 5) ** 2 + t.suggestFloat('y', 0, 1), { nTrials: 5 });
    expect(study.trials.map((t) => t.state)).toEqual(Array(5).fill(TrialState.COMPLETE));
    for (const t of study.trials) expect(Math.abs(t.params['x'] as number)).toBeLessThanOrEqual(5);
  });

  it('works multivariate and in groups, with PRUNED and RUNNING target trials', async () => {
    const a = await source('mv', quadratic([0.5, 0.5, 0.5]), 20);
    for (const opts of [{ multivariate: true }, { multivariate: true, group: true }, { constantLiar: false }]) {
      const study = await createStudy({ sampler: new TPESampler({ seed: 0, transferFrom: [a], ...opts }) });
      await study.optimize(quadratic([0, 0, 0]), { nTrials: 12, concurrency: 2 });
      const t = await study.ask();
      await study.tell(t, 'PRUNED');
      await study.optimize(quadratic([0, 0, 0]), { nTrials: 2 });
      expect(study.trials.filter((x) => x.state === TrialState.COMPLETE)).toHaveLength(14);
    }
  });

  it('warns once about a source that shares no parameter with the target, and ignores it', async () => {
    const unrelated = await source('unrelated', (t) => t.suggestFloat('z', 0, 1), 5);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const study = await createStudy({ sampler: new TPESampler({ seed: 0, transferFrom: [unrelated] }) });
    await study.optimize(quadratic([0, 0, 0]), { nTrials: 8 });
    const ours = warn.mock.calls.filter((c) => (c[1] as { code?: string } | undefined)?.code === 'TUNABLE_TRANSFER_NO_OVERLAP');
    expect(ours).toHaveLength(1);
    expect(ours[0]![0]).toBe('TPESampler: transfer source "unrelated" shares no parameter with the target study and is ignored');
    expect(study.trials).toHaveLength(8);
  });

  it('reaches a lower median regret after 10 trials than without transfer (shifted quadratic, 12 seeds)', async () => {
    const target = [1, -1, 0.5];
    const objective = quadratic(target);
    const with_: number[] = [];
    const without: number[] = [];
    for (let seed = 0; seed < 12; seed++) {
      const shift = (c: number[], k: number): number[] => c.map((v, i) => v + 0.4 * Math.sin(seed * 7 + k * 3 + i));
      const sources = [
        await source(`s${seed}a`, quadratic(shift(target, 1)), 40, 100 + seed),
        await source(`s${seed}b`, quadratic(shift(target, 2)), 40, 200 + seed),
      ];
      for (const [sampler, out] of [
        [new TPESampler({ seed, transferFrom: sources }), with_],
        [new TPESampler({ seed }), without],
      ] as const) {
        const study = await createStudy({ sampler });
        await study.optimize(objective, { nTrials: 10 });
        out.push(study.bestValue);
      }
    }
    // Measured: median best value about 0.3 with transfer, about 3 without; the margin is generous.
    expect(median(with_)).toBeLessThan(0.5 * median(without));
  });
});

describe('soft start values', () => {
  it('a distribution the soft fixed value lies in takes it as is', async () => {
    const a = await source('exact', quadratic([0, 0, 0]), 10);
    const best = [...a.trials].sort((x, y) => x.values![0]! - y.values![0]!)[0]!;
    const study = await createStudy({ sampler: new TPESampler({ seed: 0, transferFrom: [a] }) });
    const t = await study.ask({ x0: floatDistribution(-5, 5), x1: floatDistribution(-5, 5), x2: floatDistribution(-5, 5) });
    expect(t.params).toEqual(best.params);
  });
});
