import { describe, expect, it } from 'vitest';
import { floatDistribution, intDistribution, categoricalDistribution, contains, toExternal } from '../../src/distributions/index.js';
import { InvalidArgumentError, UnknownOptionError } from '../../src/errors.js';
import { createStudy, RandomSampler, RegularizedEvolutionSampler, type Study, type Trial } from '../../src/index.js';
import { LOCAL_SD, mutateValue } from '../../src/samplers/evolution/mutate.js';
import { MUTATED_ATTR, PARENT_ATTR } from '../../src/samplers/evolution/sampler.js';
import { Rng } from '../../src/util/rng.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';
import { thrown } from '../helpers.js';

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

/** OneMax over `bits` categorical bits (maximise the number of ones). */
const oneMax = (bits: number) => (t: Trial): number =>
  Array.from({ length: bits }, (_, i) => t.suggestCategorical(`b${i}`, [0, 1])).reduce((a: number, b) => a + b, 0);

async function run(sampler: RegularizedEvolutionSampler | RandomSampler, objective: (t: Trial) => number, nTrials: number, direction: 'minimize' | 'maximize' = 'minimize'): Promise<Study> {
  const study = await createStudy({ sampler, direction });
  await study.optimize(objective, { nTrials });
  return study;
}


/** Parameters that differ between a child and its parent. */
function diff(child: FrozenTrial, parent: FrozenTrial): string[] {
  return Object.keys(child.params).filter((k) => child.params[k] !== parent.params[k]);
}

describe('RegularizedEvolutionSampler', () => {
  it('is reproducible with a seed and differs across seeds', async () => {
    const params = async (seed: number): Promise<unknown[]> =>
      (await run(new RegularizedEvolutionSampler({ seed, populationSize: 8, sampleSize: 3 }), oneMax(8), 40, 'maximize')).trials.map((t) => t.params);
    const a = await params(1);
    expect(await params(1)).toEqual(a);
    expect(await params(2)).not.toEqual(a);
  });

  it('beats random search on OneMax (median over seeds)', async () => {
    for (const [bits, budget] of [[10, 150], [16, 200]] as const) {
      const evo: number[] = [];
      const rnd: number[] = [];
      for (const seed of [0, 1, 2, 3, 4]) {
        evo.push((await run(new RegularizedEvolutionSampler({ seed }), oneMax(bits), budget, 'maximize')).bestValue);
        rnd.push((await run(new RandomSampler({ seed }), oneMax(bits), budget, 'maximize')).bestValue);
      }
      expect(median(evo)).toBe(bits);
      expect(median(evo)).toBeGreaterThan(median(rnd));
    }
  });

  it('fills the population at random, then mutates one parameter of a tournament winner among the most recent trials', async () => {
    const study = await run(new RegularizedEvolutionSampler({ seed: 3, populationSize: 10, sampleSize: 4 }), (t) => {
      const x = t.suggestInt('x', 0, 50);
      const c = t.suggestCategorical('c', ['a', 'b', 'c', 'd']);
      const y = t.suggestFloat('y', 1e-3, 1, { log: true });
      return Math.abs(x - 37) + (c === 'c' ? 0 : 5) + Math.abs(Math.log10(y) + 2);
    }, 80);
    const trials = study.trials;
    expect(trials.slice(0, 10).every((t) => t.systemAttrs[PARENT_ATTR] === undefined)).toBe(true);
    for (const t of trials.slice(10)) {
      const p = t.systemAttrs[PARENT_ATTR] as number;
      // Sequential study: the population is the 10 trials before this one.
      expect(p).toBeGreaterThanOrEqual(t.number - 10);
      expect(p).toBeLessThan(t.number);
      const mutated = t.systemAttrs[MUTATED_ATTR] as string[];
      expect(mutated).toHaveLength(1);
      expect(diff(t, trials[p]!)).toEqual(mutated);
      // The winner beat sampleSize - 1 = 3 other members: at most 10 - 4 members are better than it.
      const pop = trials.slice(t.number - 10, t.number).map((s) => s.values![0]!);
      expect(pop.filter((v) => v < trials[p]!.values![0]!).length).toBeLessThanOrEqual(6);
    }
    expect(study.bestValue).toBeLessThan(study.trials.slice(0, 10).reduce((m, t) => Math.min(m, t.values![0]!), Infinity));
  });

  it('mutates each parameter with mutationRate', async () => {
    const study = await run(new RegularizedEvolutionSampler({ seed: 0, populationSize: 5, sampleSize: 2, mutationRate: 1 }), oneMax(6), 30, 'maximize');
    for (const t of study.trials.slice(5)) {
      expect(diff(t, study.trials[t.systemAttrs[PARENT_ATTR] as number]!).sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
    }
  });

  it('maximises and minimises, far closer to the optimum than random search over the same seeds', async () => {
    // 201 × 201 points, one optimum per direction (±200): random search lands near it by luck only.
    const f = (t: Trial): number => t.suggestInt('x', -100, 100) + t.suggestInt('y', -100, 100);
    for (const direction of ['maximize', 'minimize'] as const) {
      const regret = async (sampler: RegularizedEvolutionSampler | RandomSampler): Promise<number> => {
        const best = (await run(sampler, f, 200, direction)).bestValue;
        expect(Math.sign(best)).toBe(direction === 'maximize' ? 1 : -1);
        return 200 - Math.abs(best);
      };
      const evo: number[] = [];
      const rnd: number[] = [];
      for (const seed of [0, 1, 2, 3, 4]) {
        evo.push(await regret(new RegularizedEvolutionSampler({ seed, populationSize: 10 })));
        rnd.push(await regret(new RandomSampler({ seed })));
      }
      // Measured over 40 seeds (5-seed medians): evolution's regret 0–1, random's 12–33.
      expect(median(evo), direction).toBeLessThan(median(rnd) / 5);
    }
  });

  it('handles conditional parameters: absent in the parent means drawn at random', async () => {
    const study = await run(new RegularizedEvolutionSampler({ seed: 5, populationSize: 6, sampleSize: 3 }), (t) => {
      const depth = t.suggestInt('depth', 1, 4);
      let cost = Math.abs(depth - 3);
      for (let i = 0; i < depth; i++) cost += Math.abs(t.suggestInt(`units${i}`, 1, 64, { log: true }) - 32) / 32;
      return cost;
    }, 120);
    let grew = 0;
    for (const t of study.trials.slice(6)) {
      const parent = study.trials[t.systemAttrs[PARENT_ATTR] as number]!;
      const depth = t.params['depth'] as number;
      for (let i = 0; i < depth; i++) expect(Number.isInteger(t.params[`units${i}`])).toBe(true);
      expect(Object.keys(t.params)).toHaveLength(depth + 1);
      if (depth > (parent.params['depth'] as number)) grew++;
      // Inherited: every layer both have, except a mutated one.
      const changed = diff(t, parent).filter((k) => k in parent.params);
      expect(changed.length).toBeLessThanOrEqual(1);
    }
    expect(grew).toBeGreaterThan(0);
    expect(study.bestValue).toBeLessThan(0.5);
  });

  it('never mutates a one-choice categorical; a parent with nothing to mutate is copied', async () => {
    const study = await run(new RegularizedEvolutionSampler({ seed: 0, populationSize: 3, sampleSize: 2 }), (t) => {
      t.suggestCategorical('only', ['x']);
      return t.suggestInt('k', 0, 3);
    }, 20);
    for (const t of study.trials.slice(3)) expect(t.systemAttrs[MUTATED_ATTR]).toEqual(['k']);
    const constant = await run(new RegularizedEvolutionSampler({ seed: 0, populationSize: 3, sampleSize: 2 }), (t) => (t.suggestCategorical('only', ['x']) === 'x' ? 1 : 0), 6);
    expect(constant.trials.slice(3).map((t) => t.systemAttrs[MUTATED_ATTR])).toEqual([[], [], []]);
  });

  it('samples at random while every trial fails', async () => {
    const study = await createStudy({ sampler: new RegularizedEvolutionSampler({ seed: 0, populationSize: 3 }) });
    await study.optimize((t) => {
      t.suggestInt('k', 0, 1000);
      throw new Error('boom');
    }, { nTrials: 10, catch: [Error] });
    expect(study.trials.every((t) => t.state === TrialState.FAIL && t.systemAttrs[PARENT_ATTR] === undefined)).toBe(true);
    expect(new Set(study.trials.map((t) => t.params['k'])).size).toBeGreaterThan(5);
  });

  it('draws a parameter whose distribution changed at random instead of inheriting it', async () => {
    const study = await createStudy({ sampler: new RegularizedEvolutionSampler({ seed: 2, populationSize: 4, sampleSize: 2 }) });
    await study.optimize((t) => t.suggestInt('a', 0, 9) + t.suggestInt('b', 0, 9), { nTrials: 10 });
    await study.optimize((t) => t.suggestInt('a', 0, 9) + t.suggestInt('b', 100, 109), { nTrials: 10 });
    for (const t of study.trials.slice(10)) expect(t.params['b']).toBeGreaterThanOrEqual(100);
  });

  it('runs with concurrent workers, and still beats random search clearly', async () => {
    const bits = 32;
    const regret = async (sampler: RegularizedEvolutionSampler | RandomSampler): Promise<number> => {
      const study = await createStudy({ sampler, direction: 'maximize' });
      await study.optimize(async (t) => {
        const v = oneMax(bits)(t);
        for (let turn = 0; turn < 1 + (t.number % 3) * 7; turn++) await Promise.resolve();  // out of order, with no timers: the same run on a loaded machine
        return v;
      }, { nTrials: 200, concurrency: 4 });
      expect(study.trials.every((t) => t.state === TrialState.COMPLETE)).toBe(true);
      for (const t of study.trials) {
        const p = t.systemAttrs[PARENT_ATTR];
        if (p !== undefined) expect(study.trials[p as number]!.state).toBe(TrialState.COMPLETE);
      }
      return bits - study.bestValue;
    };
    const evo: number[] = [];
    const rnd: number[] = [];
    for (const seed of [4, 5, 6]) {
      evo.push(await regret(new RegularizedEvolutionSampler({ seed, populationSize: 10 })));
      rnd.push(await regret(new RandomSampler({ seed })));
    }
    // Measured over 15 seeds: evolution misses 0–3 bits, random at least 5 (3-seed medians 8–10).
    expect(median(evo)).toBeLessThan(median(rnd) / 2);
  });

  it('refuses a multi-objective study', async () => {
    const study = await createStudy({ directions: ['minimize', 'minimize'], sampler: new RegularizedEvolutionSampler({ seed: 0 }) });
    await expect(study.ask()).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: `RegularizedEvolutionSampler supports single-objective studies only; study ${JSON.stringify(study.studyName)} has 2 objectives`,
    });
  });

  it('rejects invalid options with typed errors', () => {
    const cases: [unknown, string][] = [
      [{ populationSize: 1 }, 'Expected an integer >= 2 for `populationSize` but received 1'],
      [{ sampleSize: 0 }, 'Expected an integer >= 1 for `sampleSize` but received 0'],
      [{ populationSize: 4, sampleSize: 5 }, 'Expected `sampleSize` <= `populationSize` but received sampleSize=5, populationSize=4'],
      [{ mutationRate: 0 }, 'Expected a number in (0, 1] for `mutationRate` but received 0'],
      [{ mutationRate: 1.5 }, 'Expected a number in (0, 1] for `mutationRate` but received 1.5'],
      [{ mutationRate: NaN }, 'Expected a number in (0, 1] for `mutationRate` but received NaN'],
      [{ seed: 'x' }, 'Expected an integer for `seed` but received "x"'],
    ];
    for (const [opts, message] of cases) {
      expect(() => new RegularizedEvolutionSampler(opts as never)).toThrow(InvalidArgumentError);
      expect(thrown(() => new RegularizedEvolutionSampler(opts as never))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining(message) });
    }
    expect(() => new RegularizedEvolutionSampler({ populationsize: 4 } as never)).toThrow(UnknownOptionError);
    expect(thrown(() => new RegularizedEvolutionSampler({ populationsize: 4 } as never))).toMatchObject({ code: 'ERR_UNKNOWN_OPTION' });
    expect(new RegularizedEvolutionSampler({ populationSize: 3 }).sampleSize).toBe(3);
  });
});

describe('mutateValue', () => {
  it('always returns another legal value', () => {
    const rng = new Rng(9);
    const dists = [
      categoricalDistribution(['a', 'b']),
      categoricalDistribution([1, 2, 3, 4, 5]),
      intDistribution(0, 1),
      intDistribution(0, 100, false, 10),
      intDistribution(1, 4096, true),
      floatDistribution(0, 1, false, 0.25),
      floatDistribution(-3, 3),
      floatDistribution(1e-5, 1, true),
    ];
    for (const d of dists) {
      for (let i = 0; i < 200; i++) {
        const cur = mutateValue(d, d.type === 'categorical' ? 0 : d.low, rng);
        const next = mutateValue(d, cur, rng);
        expect(next).not.toBe(cur);
        expect(contains(d, toExternal(d, next))).toBe(true);
      }
    }
    expect(mutateValue(categoricalDistribution(['only']), 0, rng)).toBe(0);
  });

  it('moves numeric values locally', () => {
    const rng = new Rng(1);
    const d = floatDistribution(0, 100);
    const steps = Array.from({ length: 500 }, () => Math.abs(mutateValue(d, 50, rng) - 50));
    expect(median(steps)).toBeGreaterThan(100 * LOCAL_SD * 0.4);
    expect(median(steps)).toBeLessThan(100 * LOCAL_SD * 1.2);
  });
});
