import { describe, expect, it } from 'vitest';
import {
  categoricalDistribution,
  contains,
  floatDistribution,
  fromUnit,
  intDistribution,
  toExternal,
  type Distribution,
} from '../../src/distributions/index.js';
import { InvalidArgumentError, UnknownOptionError } from '../../src/errors.js';
import { createStudy, QMCSampler, type Trial } from '../../src/index.js';
import { Sobol } from '../../src/qmc/sobol.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { TrialState } from '../../src/trial/index.js';
import { fakeTrial, makeView } from './view.js';

// Sorted names: c, lr, n, x.
const SPACE: Record<string, Distribution> = {
  x: floatDistribution(-2, 2),
  lr: floatDistribution(1e-4, 1, true),
  n: intDistribution(1, 16),
  c: categoricalDistribution(['a', 'b', 'c']),
};
const NAMES = Object.keys(SPACE).sort();

const objective = (trial: Trial): number => {
  const x = trial.suggestFloat('x', -2, 2);
  const lr = trial.suggestFloat('lr', 1e-4, 1, { log: true });
  const n = trial.suggestInt('n', 1, 16);
  const c = trial.suggestCategorical('c', ['a', 'b', 'c']);
  return x * x + Math.log(lr) ** 2 + n + (c === 'a' ? 0 : 1);
};

/** The internal params the Sobol' point of index i gives. */
function expected(seed: number | null, i: number): Record<string, number> {
  const u = new Sobol(NAMES.length, seed === null ? { scramble: false } : { seed }).at(i);
  return Object.fromEntries(NAMES.map((name, j) => [name, fromUnit(SPACE[name]!, u[j]!)]));
}

async function finishedTrial(storage: MemoryStorage, studyId: number, params: Record<string, { internal: number; distribution: Distribution }>): Promise<void> {
  const t = await storage.createTrial(studyId, { params });
  await storage.setTrialState(t.trialId, TrialState.COMPLETE, [0]);
}

describe('QMCSampler (unit)', () => {
  it('infers the space from the first finished trial, sorted, and keeps it', async () => {
    const storage = new MemoryStorage();
    const view = await makeView(storage);
    const s = new QMCSampler({ seed: 1 });
    expect(await s.inferRelativeSearchSpace(view, fakeTrial(0))).toEqual({});
    await storage.createTrial(view.studyId, { params: { z: { internal: 0.5, distribution: floatDistribution(0, 1) } } }); // RUNNING: ignored
    expect(await s.inferRelativeSearchSpace(view, fakeTrial(1))).toEqual({});
    await finishedTrial(storage, view.studyId, {
      x: { internal: 0, distribution: SPACE['x']! },
      c: { internal: 1, distribution: SPACE['c']! },
    });
    const space = await s.inferRelativeSearchSpace(view, fakeTrial(2));
    expect(space).toEqual({ c: SPACE['c'], x: SPACE['x'] });
    expect(Object.keys(space)).toEqual(['c', 'x']);
    await finishedTrial(storage, view.studyId, { y: { internal: 1, distribution: intDistribution(0, 3) } });
    expect(await s.inferRelativeSearchSpace(view, fakeTrial(3))).toBe(space);
    // Another study of the same storage has its own space.
    expect(await s.inferRelativeSearchSpace(await makeView(storage), fakeTrial(0))).toEqual({});
  });

  it('maps the Sobol point of index trial.number through fromUnit', async () => {
    const view = await makeView();
    for (const seed of [0, 77]) {
      const s = new QMCSampler({ seed });
      for (const i of [0, 1, 2, 3, 100, 4097]) expect(await s.sampleRelative(view, fakeTrial(i), SPACE)).toEqual(expected(seed, i));
    }
    const u = new QMCSampler({ seed: 5, scramble: false });
    for (const i of [0, 1, 5, 63]) expect(await u.sampleRelative(view, fakeTrial(i), SPACE)).toEqual(expected(null, i));
    expect(await u.sampleRelative(view, fakeTrial(1), { x: SPACE['x']! })).toEqual({ x: 0 });
    expect(await u.sampleRelative(view, fakeTrial(0), {})).toEqual({});
  });

  it('samples independently at random, seeded by trial number and name', async () => {
    const view = await makeView();
    const a = new QMCSampler({ seed: 3 });
    const b = new QMCSampler({ seed: 3 });
    const c = new QMCSampler({ seed: 4 });
    const seq = (s: QMCSampler): number[] => Array.from({ length: 20 }, (_, i) => s.sampleIndependent(view, fakeTrial(i), 'x', SPACE['x']!));
    expect(seq(a)).toEqual(seq(b));
    expect(seq(a)).not.toEqual(seq(c));
    for (const [name, d] of Object.entries(SPACE)) {
      for (let i = 0; i < 20; i++) expect(contains(d, toExternal(d, a.sampleIndependent(view, fakeTrial(i), name, d)))).toBe(true);
    }
  });

  it('validates options', () => {
    expect(new QMCSampler().qmcType).toBe('sobol');
    expect(new QMCSampler().scramble).toBe(true);
    expect(() => new QMCSampler({ qmcType: 'halton' as never })).toThrow(
      new InvalidArgumentError('Expected one of "sobol" for `qmcType` but received "halton"'),
    );
    expect(() => new QMCSampler({ scramble: 'yes' as never })).toThrow('Expected a boolean for `scramble` but received "yes"');
    expect(() => new QMCSampler({ seed: 0.5 })).toThrow('Expected an integer for `seed` but received 0.5');
    expect(() => new QMCSampler({ scrambel: true } as never)).toThrow(UnknownOptionError);
    expect(() => new QMCSampler({ scrambel: true } as never)).toThrow(
      'Unknown option `scrambel` in `QMCSampler options` (did you mean `scramble`?); allowed options are `seed`, `scramble`, `qmcType`',
    );
  });
});

describe('QMCSampler in studies', () => {
  const run = async (opts: ConstructorParameters<typeof QMCSampler>[0], nTrials: number, concurrency = 1) => {
    const study = await createStudy({ sampler: new QMCSampler(opts) });
    await study.optimize(objective, { nTrials, concurrency });
    return [...study.trials].sort((a, b) => a.number - b.number);
  };

  it('the points of a study are the scrambled Sobol points of its seed (trial 0 is random)', async () => {
    const trials = await run({ seed: 42 }, 33);
    expect(trials).toHaveLength(33);
    for (const t of trials.slice(1)) expect(t.internalParams).toEqual(expected(42, t.number));
    for (const t of trials) for (const [name, d] of Object.entries(SPACE)) expect(contains(d, t.params[name])).toBe(true);
  });

  it('unscrambled, the points are the plain Sobol sequence', async () => {
    const trials = await run({ seed: 1, scramble: false }, 9);
    for (const t of trials.slice(1)) expect(t.internalParams).toEqual(expected(null, t.number));
    expect(trials[1]!.params).toMatchObject({ x: 0, n: 9, c: 'b' }); // the centre of the box
    expect(trials[1]!.params['lr']).toBeCloseTo(1e-2, 15);
  });

  it('same seed → same params sequence, different seed → different', async () => {
    const a = (await run({ seed: 9 }, 12)).map((t) => t.params);
    expect((await run({ seed: 9 }, 12)).map((t) => t.params)).toEqual(a);
    expect((await run({ seed: 10 }, 12)).map((t) => t.params)).not.toEqual(a);
  });

  it('gives concurrent workers distinct points: the point of each trial number', async () => {
    const trials = await run({ seed: 8 }, 40, 4);
    expect(trials).toHaveLength(40);
    // Trials started before any trial finished are random; every later one is its Sobol point.
    const relative = trials.filter((t) => t.number >= 4);
    expect(relative.length).toBeGreaterThan(30);
    for (const t of relative) expect(t.internalParams).toEqual(expected(8, t.number));
    expect(new Set(trials.map((t) => JSON.stringify(t.params))).size).toBe(40);
  });

  it('samples parameters outside the inferred space at random', async () => {
    const study = await createStudy({ sampler: new QMCSampler({ seed: 2 }) });
    await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', 0, 1);
        const extra = t.number > 0 ? t.suggestInt('extra', 0, 1000) : 0;
        return x + extra;
      },
      { nTrials: 10 },
    );
    const extras = study.trials.slice(1).map((t) => t.params['extra'] as number);
    expect(new Set(extras).size).toBeGreaterThan(5);
    for (const t of study.trials.slice(1)) expect(t.internalParams['x']).toBe(fromUnit(floatDistribution(0, 1), new Sobol(1, { seed: 2 }).at(t.number)[0]!));
  });
});
