import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, TrialPruned, UnknownOptionError } from '../../src/errors.js';
import { CmaEsSampler, createStudy, loadStudy, RandomSampler, type Study, type Trial } from '../../src/index.js';
import { allStates, GENERATION_ATTR, latestFull, stateKey, X_ATTR, type CmaState } from '../../src/samplers/cmaes/state.js';
import { TrialState } from '../../src/trial/index.js';
import { tempDir } from '../helpers.js';

const sphere = (x: number[]): number => x.reduce((s, v) => s + v * v, 0);
const rosenbrock = (x: number[]): number => {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return s;
};
/** Rastrigin with its optimum at 1.5 (off the centre of the box, where CMA-ES starts). */
const rastrigin = (x: number[]): number => 10 * x.length + x.reduce((s, v) => s + (v - 1.5) ** 2 - 10 * Math.cos(2 * Math.PI * (v - 1.5)), 0);

function floats(n: number, low: number, high: number, fn: (x: number[]) => number): (t: Trial) => number {
  return (t) => fn(Array.from({ length: n }, (_, i) => t.suggestFloat(`x${i}`, low, high)));
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

async function states(study: Study): Promise<CmaState[]> {
  return allStates(await study.storage.getStudySystemAttrs(study.studyId));
}

async function run(sampler: CmaEsSampler | RandomSampler, objective: (t: Trial) => number, nTrials: number, opts: { direction?: 'minimize' | 'maximize' } = {}): Promise<Study> {
  const study = await createStudy({ sampler, ...opts });
  await study.optimize(objective, { nTrials });
  return study;
}

describe('CmaEsSampler: optimisation', () => {
  it('is reproducible with a seed and differs across seeds', async () => {
    const obj = floats(3, -5, 5, sphere);
    const params = async (seed: number): Promise<unknown[]> => (await run(new CmaEsSampler({ seed }), obj, 40)).trials.map((t) => t.params);
    const a = await params(7);
    expect(await params(7)).toEqual(a);
    expect(await params(8)).not.toEqual(a);
  });

  it('solves a 4-D sphere and a 4-D ellipsoid to a small regret', async () => {
    const ellipsoid = (x: number[]): number => x.reduce((s, v, i) => s + 10 ** i * v * v, 0);
    const sph: number[] = [];
    const ell: number[] = [];
    for (const seed of [0, 1, 2]) {
      sph.push((await run(new CmaEsSampler({ seed }), floats(4, -5, 5, sphere), 300)).bestValue);
      ell.push((await run(new CmaEsSampler({ seed }), floats(4, -5, 5, ellipsoid), 500)).bestValue);
    }
    expect(median(sph)).toBeLessThan(1e-3);
    expect(median(ell)).toBeLessThan(1e-2);
  });

  it('beats random search clearly on Rosenbrock-4', async () => {
    const cma: number[] = [];
    const rnd: number[] = [];
    for (const seed of [0, 1, 2, 3, 4]) {
      cma.push((await run(new CmaEsSampler({ seed }), floats(4, -5, 10, rosenbrock), 200)).bestValue);
      rnd.push((await run(new RandomSampler({ seed }), floats(4, -5, 10, rosenbrock), 200)).bestValue);
    }
    expect(median(cma)).toBeLessThan(median(rnd) / 10);
  });

  it('maximises: the trajectory of max -f is that of min f', async () => {
    const obj = floats(2, -3, 3, sphere);
    const min = await run(new CmaEsSampler({ seed: 4 }), obj, 60);
    const max = await run(new CmaEsSampler({ seed: 4 }), (t) => -obj(t), 60, { direction: 'maximize' });
    expect(max.trials.map((t) => t.params)).toEqual(min.trials.map((t) => t.params));
    expect(max.bestValue).toBe(-min.bestValue);
  });

  it('restarts with a doubled population (IPOP) on Rastrigin', async () => {
    for (const seed of [0, 1]) {
      const study = await run(new CmaEsSampler({ seed, popsize: 6 }), floats(2, -5.12, 5.12, rastrigin), 1000);
      const st = await states(study);
      expect(st.map((s) => s.gen)).toEqual(st.map((_, i) => i));
      const restarts = st.filter((s) => s.reason === 'ipop');
      expect(restarts.length).toBeGreaterThanOrEqual(1);
      expect(restarts[0]!.popsize).toBe(12);
      expect(restarts[0]!.restart).toBe(1);
      expect(typeof restarts[0]!.stopReason).toBe('string');
      // Trials after the restart are sampled in generations of 12.
      const g = restarts[0]!.gen;
      expect(study.trials.filter((t) => t.systemAttrs[GENERATION_ATTR] === g).length).toBeGreaterThanOrEqual(12);
      // Only the newest state keeps its solver vectors.
      expect(st.filter((s) => s.run !== undefined).map((s) => s.gen)).toEqual([st.length - 1]);
    }
  });

  it('never restarts with restartStrategy: null', async () => {
    const study = await run(new CmaEsSampler({ seed: 0, popsize: 6, restartStrategy: null }), floats(2, -5.12, 5.12, rastrigin), 1000);
    expect((await states(study)).every((s) => s.reason !== 'ipop')).toBe(true);
  });
});

describe('CmaEsSampler: discrete parameters', () => {
  it('keeps int, stepped and log parameters legal', async () => {
    const study = await run(new CmaEsSampler({ seed: 1 }), (t) => {
      const a = t.suggestInt('a', -3, 3);
      const b = t.suggestInt('b', 0, 100, { step: 5 });
      const c = t.suggestInt('c', 1, 1024, { log: true });
      const d = t.suggestFloat('d', 0, 1, { step: 0.1 });
      const e = t.suggestFloat('e', 1e-4, 1, { log: true });
      return (a - 2) ** 2 + (b - 35) ** 2 / 100 + Math.log2(c / 64) ** 2 + (d - 0.3) ** 2 + Math.log10(e / 1e-2) ** 2;
    }, 200);
    for (const t of study.trials) {
      const p = t.params as Record<string, number>;
      expect(Number.isInteger(p['a']) && p['a']! >= -3 && p['a']! <= 3).toBe(true);
      expect(p['b']! % 5).toBe(0);
      expect(Number.isInteger(p['c']) && p['c']! >= 1 && p['c']! <= 1024).toBe(true);
      expect(Math.abs(p['d']! * 10 - Math.round(p['d']! * 10))).toBeLessThan(1e-9);
      expect(p['e']! >= 1e-4 && p['e']! <= 1).toBe(true);
    }
    expect(study.trials.slice(100).some((t) => t.systemAttrs[GENERATION_ATTR] !== undefined)).toBe(true);
    expect(study.bestParams['a']).toBe(2);
  });

  it('does not freeze an integer once σ has collapsed on the continuous part (margin)', async () => {
    // The integer matters 100× less than the sphere: by the time it ranks trials, σ is small, and
    // plain rounding leaves k where the mean happened to be. The margin keeps k's neighbours in reach.
    const obj = (t: Trial): number => {
      const x = [0, 1, 2].map((i) => t.suggestFloat(`x${i}`, -5, 5));
      return sphere(x) + 0.01 * Math.abs(t.suggestInt('k', 0, 10) - 8);
    };
    let margin = 0;
    let rounding = 0;
    for (const seed of [0, 1, 2, 3, 4]) {
      if ((await run(new CmaEsSampler({ seed, restartStrategy: null }), obj, 400)).bestParams['k'] === 8) margin++;
      if ((await run(new CmaEsSampler({ seed, restartStrategy: null, withMargin: false }), obj, 400)).bestParams['k'] === 8) rounding++;
    }
    expect(margin).toBe(5);
    expect(rounding).toBeLessThan(5);
  });
});

describe('CmaEsSampler: state in the storage', () => {
  it('records the generation and raw vector on trials, the state per generation on the study', async () => {
    const study = await run(new CmaEsSampler({ seed: 2 }), floats(3, 0, 1, sphere), 30);
    const first = study.trials[0]!;
    expect(first.systemAttrs[GENERATION_ATTR]).toBeUndefined(); // startup trial
    const t = study.trials[1]!;
    expect(t.systemAttrs[GENERATION_ATTR]).toBe(0);
    const x = t.systemAttrs[X_ATTR] as number[];
    expect(x).toHaveLength(3);
    ['x0', 'x1', 'x2'].forEach((name, i) => expect(t.params[name]).toBeCloseTo(x[i]!, 12));
    const st = await states(study);
    expect(st[0]).toMatchObject({ gen: 0, reason: 'init', restart: 0, names: ['x0', 'x1', 'x2'], popsize: 7 });
    expect(st[1]).toMatchObject({ gen: 1, reason: 'update' });
    const attrs = await study.storage.getStudySystemAttrs(study.studyId);
    expect(latestFull(attrs)!.gen).toBe(st.length - 1);
    expect(attrs[stateKey(st.length)]).toBeUndefined();
  });

  it('continues from the stored state in a new Study object on the same SQLite file', async () => {
    const dir = tempDir();
    const obj = floats(3, -2, 2, sphere);
    const url = `sqlite:${join(dir, 'cma.db')}`;
    const a = await createStudy({ studyName: 'cma', storage: url, sampler: new CmaEsSampler({ seed: 5 }) });
    await a.optimize(obj, { nTrials: 45 });
    const gensA = (await states(a)).length;
    await a.storage.close();
    const b = await loadStudy({ studyName: 'cma', storage: url, sampler: new CmaEsSampler({ seed: 5 }) });
    await b.optimize(obj, { nTrials: 45 });
    const st = await states(b);
    expect(st.filter((s) => s.reason === 'init')).toHaveLength(1);
    expect(st.length).toBeGreaterThan(gensA);
    expect(b.trials[45]!.systemAttrs[GENERATION_ATTR]).toBeGreaterThanOrEqual(gensA - 1);
    // Exactly the trials of an uninterrupted run.
    const ref = await createStudy({ storage: `sqlite:${join(dir, 'ref.db')}`, sampler: new CmaEsSampler({ seed: 5 }) });
    await ref.optimize(obj, { nTrials: 90 });
    expect(b.trials.map((t) => t.params)).toEqual(ref.trials.map((t) => t.params));
    await b.storage.close();
    await ref.storage.close();
  });

  it('shares one search among concurrent workers', async () => {
    const study = await createStudy({ sampler: new CmaEsSampler({ seed: 3 }) });
    await study.optimize(async (t) => {
      const v = floats(3, -5, 5, sphere)(t);
      for (let turn = 0; turn < 1 + ((t.number * 7) % 3) * 7; turn++) await Promise.resolve();  // out of order, with no timers: the same run on a loaded machine
      return v;
    }, { nTrials: 160, concurrency: 4 });
    expect(study.trials.every((t) => t.state === TrialState.COMPLETE)).toBe(true);
    const st = await states(study);
    expect(st.map((s) => s.gen)).toEqual(st.map((_, i) => i));
    expect(st.length).toBeGreaterThan(10);
    for (const t of study.trials) {
      const g = t.systemAttrs[GENERATION_ATTR];
      if (g !== undefined) expect(g as number).toBeLessThan(st.length);
    }
    expect(study.bestValue).toBeLessThan(0.5);
  });
});

describe('CmaEsSampler: options and edge cases', () => {
  it('rejects invalid options with typed errors', () => {
    const cases: [unknown, string][] = [
      [{ popsize: 1 }, 'Expected an integer >= 2 for `popsize` but received 1'],
      [{ popsize: 4.5 }, 'Expected an integer for `popsize` but received 4.5'],
      [{ sigma0: 0 }, 'Expected a positive finite number for `sigma0` but received 0'],
      [{ restartStrategy: 'bipop' }, 'Expected "ipop" or null for `restartStrategy` but received "bipop"'],
      [{ incPopsize: 1 }, 'Expected a finite number > 1 for `incPopsize` but received 1'],
      [{ nStartupTrials: -1 }, 'Expected an integer >= 0 for `nStartupTrials` but received -1'],
      [{ x0: { a: NaN } }, 'Expected a finite number for `x0.a` but received NaN'],
      [{ x0: [1] }, 'Expected an object of parameter values for `x0` but received an array of length 1'],
      [{ independentSampler: {} }, 'Expected a Sampler for `independentSampler` but received an object (Object)'],
      [{ withMargin: 'yes' }, 'Expected a boolean for `withMargin` but received "yes"'],
      [{ warnIndependentSampling: 1 }, 'Expected a boolean for `warnIndependentSampling` but received 1'],
      [{ considerPrunedTrials: null }, 'Expected a boolean for `considerPrunedTrials` but received null'],
      [{ seed: -1 }, 'Expected an integer >= 0 for `seed` but received -1'],
      [5, 'Expected an options object for `CmaEsSampler options` but received 5'],
    ];
    for (const [opts, message] of cases) {
      expect(() => new CmaEsSampler(opts as never)).toThrow(InvalidArgumentError);
      expect(() => new CmaEsSampler(opts as never)).toThrow(message);
    }
    expect(() => new CmaEsSampler({ popSize: 4 } as never)).toThrow(UnknownOptionError);
    expect(() => new CmaEsSampler({ popSize: 4 } as never)).toThrow(/^Unknown option `popSize` in `CmaEsSampler options` \(did you mean `popsize`\?\)/);
    expect(new CmaEsSampler({ restartStrategy: null, seed: 3 }).seed).toBe(3);
  });

  it('refuses a multi-objective study at the first ask', async () => {
    const study = await createStudy({ directions: ['minimize', 'maximize'], sampler: new CmaEsSampler({ seed: 0 }) });
    await expect(study.ask()).rejects.toThrow(InvalidArgumentError);
    await expect(study.ask()).rejects.toThrow(`CmaEsSampler supports single-objective studies only; study ${JSON.stringify(study.studyName)} has 2 objectives`);
  });

  it('starts at x0 with sigma0, and rejects an x0 outside its parameter', async () => {
    const study = await run(new CmaEsSampler({ seed: 0, x0: { x0: 0.8, x1: -0.5 }, sigma0: 0.01 }), floats(2, -1, 1, sphere), 5);
    for (const t of study.trials.slice(1)) {
      expect(Math.abs((t.params['x0'] as number) - 0.8)).toBeLessThan(0.1);
      expect(Math.abs((t.params['x1'] as number) + 0.5)).toBeLessThan(0.1);
    }
    const bad = await createStudy({ sampler: new CmaEsSampler({ seed: 0, x0: { x0: 10 } }) });
    await expect(bad.optimize(floats(2, -1, 1, sphere), { nTrials: 3 })).rejects.toThrow(
      'Expected a value of {"type":"float","low":-1,"high":1,"log":false,"step":null} for `x0.x0` but received 10',
    );
  });

  it('samples at random and stores no state while every trial fails', async () => {
    const study = await createStudy({ sampler: new CmaEsSampler({ seed: 0 }) });
    await study.optimize((t) => {
      floats(2, -1, 1, sphere)(t);
      throw new Error('boom');
    }, { nTrials: 12, catch: [Error] });
    expect(study.trials.map((t) => t.state)).toEqual(new Array(12).fill(TrialState.FAIL));
    expect(new Set(study.trials.map((t) => t.params['x0'])).size).toBe(12);
    expect(await states(study)).toEqual([]);
  });

  it('waits for λ COMPLETE trials per generation when some fail', async () => {
    const study = await createStudy({ sampler: new CmaEsSampler({ seed: 1 }) });
    await study.optimize((t) => {
      const v = floats(3, -5, 5, sphere)(t);
      if (t.number % 3 === 0) throw new Error('flaky');
      return v;
    }, { nTrials: 240, catch: [Error] });
    const st = await states(study);
    for (const s of st.slice(0, -1)) {
      const done = study.trials.filter((t) => t.state === TrialState.COMPLETE && t.systemAttrs[GENERATION_ATTR] === s.gen);
      expect(done.length).toBeGreaterThanOrEqual(s.popsize);
    }
    expect(study.bestValue).toBeLessThan(1e-2);
  });

  it('leaves categoricals to the independent sampler, warning once; a one-choice categorical is silent', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const study = await run(new CmaEsSampler({ seed: 0 }), (t) => {
        const only = t.suggestCategorical('only', ['x']);
        const c = t.suggestCategorical('c', ['a', 'b', 'c']);
        return sphere([t.suggestFloat('u', -1, 1), t.suggestFloat('v', -1, 1)]) + (c === 'b' ? 0 : 1) + (only === 'x' ? 0 : 1);
      }, 40);
      await new Promise((r) => setImmediate(r));
      const mine = warnings.filter((w) => (w as { code?: string }).code === 'TUNABLE_CMAES_INDEPENDENT');
      expect(mine).toHaveLength(1);
      expect(mine[0]!.message).toContain('"c"');
      expect((await states(study))[0]!.names).toEqual(['u', 'v']);
      expect(study.trials.every((t) => t.params['only'] === 'x')).toBe(true);
      expect(study.bestParams['c']).toBe('b');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('starts a new run when the search space changes', async () => {
    const study = await createStudy({ sampler: new CmaEsSampler({ seed: 2, warnIndependentSampling: false }) });
    await study.optimize((t) => sphere([t.suggestFloat('x', -5, 5), t.suggestFloat('y', -5, 5)]), { nTrials: 30 });
    const before = await states(study);
    expect(before.every((s) => s.names.join() === 'x,y')).toBe(true);
    // y's range changes: it leaves the intersection space; CMA-ES goes on in 1-D on x.
    await study.optimize((t) => sphere([t.suggestFloat('x', -5, 5)]) + 1e-3 * t.suggestInt('y', 0, 10), { nTrials: 40 });
    const after = await states(study);
    const change = after.find((s) => s.reason === 'space')!;
    expect(change).toMatchObject({ gen: before.length, names: ['x'], restart: 0 });
    expect(after.slice(change.gen).every((s) => s.names.join() === 'x')).toBe(true);
    expect(after.length).toBeGreaterThan(change.gen + 2);
    for (const t of study.trials.slice(30)) expect(Number.isInteger(t.params['y'])).toBe(true);
    const run1d = latestFull(await study.storage.getStudySystemAttrs(study.studyId))!.run;
    expect(run1d.n).toBe(1);
    expect(Math.abs(run1d.mean[0]! - 0.5)).toBeLessThan(0.02); // x = 0 sits at the centre of [-5, 5]
  });

  it('tells an enqueued trial at the point it was evaluated, not at its CMA proposal', async () => {
    const sampler = new CmaEsSampler({ seed: 6 });
    const study = await createStudy({ sampler });
    const obj = floats(2, -5, 5, sphere);
    await study.optimize(obj, { nTrials: 3 });
    await study.enqueueTrial({ x0: 4, x1: -4 });
    await study.optimize(obj, { nTrials: 20 });
    const fixed = study.trials[3]!;
    expect(fixed.params).toEqual({ x0: 4, x1: -4 });
    const proposal = fixed.systemAttrs[X_ATTR] as number[];
    expect(proposal).toHaveLength(2);
    const st = (await states(study)).find((s) => s.gen === fixed.systemAttrs[GENERATION_ATTR])!;
    const told = (sampler as unknown as { toldVector(...a: unknown[]): number[] }).toldVector(
      { ...latestFull(await study.storage.getStudySystemAttrs(study.studyId))!.run, A: [1, 1] },
      fixed,
      st.names,
      st.names.map((n) => fixed.distributions[n]),
    );
    expect(told).toEqual([0.9, 0.1]);
    const plain = study.trials[4]!;
    expect((sampler as unknown as { toldVector(...a: unknown[]): number[] }).toldVector(
      latestFull(await study.storage.getStudySystemAttrs(study.studyId))!.run,
      plain,
      st.names,
      st.names.map((n) => plain.distributions[n]),
    )).toEqual(plain.systemAttrs[X_ATTR]);
  });

  it('uses PRUNED trials with considerPrunedTrials', async () => {
    const count = async (considerPrunedTrials: boolean): Promise<number> => {
      const study = await createStudy({ sampler: new CmaEsSampler({ seed: 0, considerPrunedTrials }) });
      await study.optimize((t) => {
        const v = floats(2, -5, 5, sphere)(t);
        t.report(v, 0);
        if (t.number % 2 === 1) throw new TrialPruned();
        return v;
      }, { nTrials: 60 });
      expect(study.trials.filter((t) => t.state === TrialState.PRUNED)).toHaveLength(30);
      return (await states(study)).length;
    };
    expect(await count(true)).toBeGreaterThan(await count(false));
  });
});
