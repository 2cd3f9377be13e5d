import { describe, expect, it } from 'vitest';
import {
  categoricalDistribution,
  contains,
  floatDistribution,
  intDistribution,
  toExternal,
  type Distribution,
} from '../../src/distributions/index.js';
import { InvalidArgumentError, UnknownOptionError } from '../../src/errors.js';
import { createStudy, RandomSampler } from '../../src/index.js';
import { fakeTrial, makeView } from './view.js';

const DISTS: Record<string, Distribution> = {
  x: floatDistribution(-5, 5),
  lr: floatDistribution(1e-5, 1e-1, true),
  q: floatDistribution(0, 1, false, 0.25),
  k: intDistribution(1, 10),
  ke: intDistribution(0, 100, false, 10),
  kl: intDistribution(1, 1000, true),
  c: categoricalDistribution(['a', 'b', null, 3]),
};

function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
}

async function sequence(sampler: RandomSampler, n: number): Promise<number[][]> {
  const view = await makeView();
  const out: number[][] = [];
  for (let t = 0; t < n; t++) out.push(Object.entries(DISTS).map(([name, d]) => sampler.sampleIndependent(view, fakeTrial(t), name, d)));
  return out;
}

describe('RandomSampler', () => {
  it('is reproducible by seed and differs between seeds', async () => {
    const a = await sequence(new RandomSampler({ seed: 7 }), 30);
    const b = await sequence(new RandomSampler({ seed: 7 }), 30);
    const c = await sequence(new RandomSampler({ seed: 8 }), 30);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new RandomSampler({ seed: 7 }).seed).toBe(7);
    // Unseeded samplers differ from one another.
    expect(await sequence(new RandomSampler(), 5)).not.toEqual(await sequence(new RandomSampler(), 5));
  });

  it('gives legal values, different across trials and params, stable within a trial', async () => {
    const s = new RandomSampler({ seed: 1 });
    const view = await makeView();
    const seen = new Set<number>();
    for (let t = 0; t < 200; t++) {
      for (const [name, d] of Object.entries(DISTS)) {
        const v = s.sampleIndependent(view, fakeTrial(t), name, d);
        expect(contains(d, toExternal(d, v)), `${name}=${v}`).toBe(true);
        expect(s.sampleIndependent(view, fakeTrial(t), name, d)).toBe(v);
      }
      seen.add(s.sampleIndependent(view, fakeTrial(t), 'x', DISTS['x']!));
    }
    expect(seen.size).toBe(200);
    // Two float params of one trial are not the same draw.
    const u = floatDistribution(0, 1);
    expect(s.sampleIndependent(view, fakeTrial(0), 'a', u)).not.toBe(s.sampleIndependent(view, fakeTrial(0), 'b', u));
  });

  it('has the right marginals (fixed seed, generous bounds)', async () => {
    const s = new RandomSampler({ seed: 2024 });
    const view = await makeView();
    const N = 20000;
    const draw = (name: string, d: Distribution): number[] => Array.from({ length: N }, (_, t) => s.sampleIndependent(view, fakeTrial(t), name, d));

    // Uniform float: mean 0, variance 100/12; every decile filled about equally.
    const xs = draw('x', floatDistribution(-5, 5));
    const mean = xs.reduce((a, b) => a + b, 0) / N;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    const deciles = new Array<number>(10).fill(0);
    for (const x of xs) deciles[Math.min(9, Math.floor(x + 5))]!++;
    expect(chiSquare(deciles)).toBeLessThan(40); // df 9; P(chi2 > 40) ~ 7e-6

    // Log-uniform on [1e-4, 1]: the median is 1e-2 and log10 is uniform on [-4, 0].
    const ls = draw('lr', floatDistribution(1e-4, 1, true)).sort((a, b) => a - b);
    expect(Math.log10(ls[N / 2]!)).toBeCloseTo(-2, 1);
    const logBins = new Array<number>(4).fill(0);
    for (const l of ls) logBins[Math.min(3, Math.floor(Math.log10(l) + 4))]!++;
    expect(chiSquare(logBins)).toBeLessThan(30); // df 3

    // Int cells equally likely, end values included.
    const ks = draw('k', intDistribution(1, 10));
    const kc = new Array<number>(10).fill(0);
    for (const k of ks) kc[k - 1]!++;
    expect(chiSquare(kc)).toBeLessThan(40);

    // Stepped int and float: every grid value equally likely.
    const es = draw('ke', intDistribution(0, 100, false, 10));
    const ec = new Array<number>(11).fill(0);
    for (const e of es) ec[e / 10]!++;
    expect(chiSquare(ec)).toBeLessThan(40); // df 10
    const qs = draw('q', floatDistribution(0, 1, false, 0.25));
    const qc = new Array<number>(5).fill(0);
    for (const q of qs) qc[Math.round(q * 4)]!++;
    expect(chiSquare(qc)).toBeLessThan(30); // df 4

    // Categorical: uniform over the choices.
    const cs = draw('c', categoricalDistribution(['a', 'b', 'c']));
    const cc = [0, 0, 0];
    for (const c of cs) cc[c]!++;
    expect(chiSquare(cc)).toBeLessThan(25); // df 2

    // Single-valued distributions.
    expect(draw('one', intDistribution(3, 3)).every((v) => v === 3)).toBe(true);
    expect(draw('onef', floatDistribution(0.5, 0.5)).every((v) => v === 0.5)).toBe(true);
  });

  it('has no relative search space', async () => {
    const s = new RandomSampler({ seed: 1 });
    const view = await makeView();
    expect(await s.inferRelativeSearchSpace(view, fakeTrial(0))).toEqual({});
    expect(await s.sampleRelative(view, fakeTrial(0), {})).toEqual({});
  });

  it('rejects bad options', () => {
    expect(() => new RandomSampler({ sed: 1 } as never)).toThrow(UnknownOptionError);
    expect(() => new RandomSampler({ sed: 1 } as never)).toThrow(
      'Unknown option `sed` in `RandomSampler options` (did you mean `seed`?); allowed options are `seed`',
    );
    expect(() => new RandomSampler({ seed: -1 })).toThrow(new InvalidArgumentError('Expected an integer >= 0 for `seed` but received -1'));
    expect(() => new RandomSampler({ seed: 1.5 })).toThrow('Expected an integer for `seed` but received 1.5');
    expect(() => new RandomSampler({ seed: '1' as unknown as number })).toThrow('Expected an integer for `seed` but received "1"');
    expect(() => new RandomSampler(3 as never)).toThrow('Expected an options object for `RandomSampler options` but received 3');
  });
});

describe('RandomSampler in a study', () => {
  const objective = (trial: import('../../src/index.js').Trial): number => {
    const x = trial.suggestFloat('x', -10, 10);
    const n = trial.suggestInt('n', 1, 8, { log: true });
    const c = trial.suggestCategorical('c', ['relu', 'tanh', 'gelu']);
    return x * x + n + (c === 'relu' ? 0 : 1);
  };
  const paramsOf = async (seed: number, concurrency = 1): Promise<unknown[]> => {
    const study = await createStudy({ sampler: new RandomSampler({ seed }) });
    await study.optimize(objective, { nTrials: 20, concurrency });
    return [...study.trials].sort((a, b) => a.number - b.number).map((t) => t.params);
  };

  it('same seed → same params sequence, different seed → different', async () => {
    const a = await paramsOf(11);
    expect(a).toHaveLength(20);
    expect(await paramsOf(11)).toEqual(a);
    expect(await paramsOf(12)).not.toEqual(a);
  });

  it('is reproducible with concurrent workers too (values depend on the trial number)', async () => {
    expect(await paramsOf(11, 4)).toEqual(await paramsOf(11, 1));
  });
});
