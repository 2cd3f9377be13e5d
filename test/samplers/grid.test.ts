import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { categoricalDistribution, floatDistribution, intDistribution } from '../../src/distributions/index.js';
import { InvalidArgumentError, UnknownOptionError } from '../../src/errors.js';
import { createStudy, GridSampler, type Trial } from '../../src/index.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { tempDir } from '../helpers.js';
import { fakeTrial, makeView } from './view.js';

const SPACE = { x: [-1, 0, 1, 2], act: ['relu', 'tanh', null], flag: [true, false] } as const;
const SIZE = 4 * 3 * 2;

const objective = (trial: Trial): number => {
  const x = trial.suggestFloat('x', -1, 2);
  const act = trial.suggestCategorical('act', ['relu', 'tanh', null]);
  const flag = trial.suggestCategorical('flag', [true, false]);
  return x * x + (act === 'relu' ? 0 : 1) + (flag ? 0 : 0.5);
};

const key = (p: Readonly<Record<string, unknown>>): string => JSON.stringify([p['x'], p['act'], p['flag']]);
const ALL = new Set(SPACE.x.flatMap((x) => SPACE.act.flatMap((a) => SPACE.flag.map((f) => JSON.stringify([x, a, f])))));

function expectEveryCombinationOnce(trials: readonly { params: Readonly<Record<string, unknown>>; systemAttrs: Readonly<Record<string, unknown>> }[]): void {
  expect(trials).toHaveLength(SIZE);
  const keys = trials.map((t) => key(t.params));
  expect(new Set(keys).size).toBe(SIZE);
  expect(new Set(keys)).toEqual(ALL);
  expect(new Set(trials.map((t) => t.systemAttrs['gridId']))).toEqual(new Set(Array.from({ length: SIZE }, (_, i) => i)));
}

describe('GridSampler (unit)', () => {
  it('enumerates the grid: sorted names, last name fastest', () => {
    const g = new GridSampler(SPACE, { seed: 0 });
    expect(g.gridSize).toBe(SIZE);
    expect(g.paramNames).toEqual(['act', 'flag', 'x']);
    expect(g.point(0)).toEqual({ act: 'relu', flag: true, x: -1 });
    expect(g.point(1)).toEqual({ act: 'relu', flag: true, x: 0 });
    expect(g.point(4)).toEqual({ act: 'relu', flag: false, x: -1 });
    expect(g.point(SIZE - 1)).toEqual({ act: null, flag: false, x: 2 });
    expect(() => g.point(SIZE)).toThrow('Expected an integer in [0, 23] for `gridId` but received 24');
  });

  it('claims every id once in a seeded order, then returns null', async () => {
    const order = async (seed: number): Promise<number[]> => {
      const g = new GridSampler(SPACE, { seed });
      const view = await makeView();
      const ids: number[] = [];
      for (;;) {
        const r = await g.reserveTrial(view);
        if (r === null) break;
        ids.push(r['gridId'] as number);
      }
      expect(await g.reserveTrial(view)).toBeNull();
      return ids;
    };
    const a = await order(5);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: SIZE }, (_, i) => i));
    expect(await order(5)).toEqual(a);
    expect(await order(6)).not.toEqual(a);
    expect(a).not.toEqual([...a].sort((x, y) => x - y));
  });

  it('skips ids claimed by another sampler on the same study, and keeps studies apart', async () => {
    const storage = new MemoryStorage();
    const v1 = await makeView(storage, 'shared');
    const v2 = await makeView(storage, 'shared');
    const other = await makeView(storage, 'other');
    const g1 = new GridSampler(SPACE, { seed: 1 });
    const g2 = new GridSampler(SPACE, { seed: 1 });
    const ids: number[] = [];
    for (let i = 0; i < SIZE; i++) {
      const r = await (i % 2 === 0 ? g1 : g2).reserveTrial(i % 2 === 0 ? v1 : v2);
      ids.push(r!['gridId'] as number);
    }
    expect(new Set(ids).size).toBe(SIZE);
    expect(await g1.reserveTrial(v1)).toBeNull();
    expect(await g2.reserveTrial(v2)).toBeNull();
    // The same sampler instance on another study starts afresh.
    expect(await g1.reserveTrial(other)).not.toBeNull();
    const attrs = await storage.getStudySystemAttrs(v1.studyId);
    expect(attrs['grid:space']).toEqual([['act', ['relu', 'tanh', null]], ['flag', [true, false]], ['x', [-1, 0, 1, 2]]]);
    expect(Object.keys(attrs).filter((k) => /^grid:\d+$/.test(k))).toHaveLength(SIZE);
  });

  it('claims distinct ids under concurrent reserveTrial calls', async () => {
    const view = await makeView();
    const g = new GridSampler(SPACE, { seed: 3 });
    const rs = await Promise.all(Array.from({ length: SIZE + 6 }, () => g.reserveTrial(view)));
    const ids = rs.filter((r) => r !== null).map((r) => r!['gridId']);
    expect(ids).toHaveLength(SIZE);
    expect(new Set(ids).size).toBe(SIZE);
  });

  it('accepts the same grid in another key order, refuses a different grid on the same study', async () => {
    const storage = new MemoryStorage();
    const view = await makeView(storage, 's');
    await new GridSampler(SPACE, { seed: 1 }).reserveTrial(view);
    const reordered = { flag: [true, false], x: [-1, 0, 1, 2], act: ['relu', 'tanh', null] };
    expect(await new GridSampler(reordered, { seed: 2 }).reserveTrial(view)).not.toBeNull();
    const other = new GridSampler({ x: [-1, 0, 1] }, { seed: 1 });
    const err = await other.reserveTrial(view).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe(
      'The study "s" already runs a different grid ({"act":["relu","tanh",null],"flag":[true,false],"x":[-1,0,1,2]}) than this GridSampler\'s ({"x":[-1,0,1]}); use a new study for a new grid',
    );
    // Still refused on the next ask, and nothing was claimed by it.
    await expect(other.reserveTrial(view)).rejects.toThrow(InvalidArgumentError);
    const attrs = await storage.getStudySystemAttrs(view.studyId);
    expect(Object.keys(attrs).filter((k) => /^grid:\d+$/.test(k))).toHaveLength(2);
  });

  it('samples the grid value of the trial, internal for categoricals', async () => {
    const g = new GridSampler(SPACE, { seed: 0 });
    const view = await makeView();
    const t = fakeTrial(0, { gridId: SIZE - 1 }); // act: null, flag: false, x: 2
    expect(g.sampleIndependent(view, t, 'x', floatDistribution(-1, 2))).toBe(2);
    expect(g.sampleIndependent(view, t, 'x', intDistribution(-5, 5))).toBe(2);
    expect(g.sampleIndependent(view, t, 'act', categoricalDistribution(['relu', 'tanh', null]))).toBe(2);
    expect(g.sampleIndependent(view, t, 'act', categoricalDistribution([null, 'x']))).toBe(0);
    expect(g.sampleIndependent(view, t, 'flag', categoricalDistribution([true, false]))).toBe(1);
    expect(await g.inferRelativeSearchSpace()).toEqual({});
    expect(await g.sampleRelative()).toEqual({});
  });

  it('throws naming the parameter for a param outside the grid or a value outside the distribution', async () => {
    const g = new GridSampler(SPACE, { seed: 0 });
    const view = await makeView();
    const t = fakeTrial(0, { gridId: SIZE - 1 }); // x = 2
    expect(() => g.sampleIndependent(view, t, 'y', floatDistribution(0, 1))).toThrow(
      new InvalidArgumentError('The parameter "y" is not in the grid of the GridSampler (grid parameters: "act", "flag", "x")'),
    );
    expect(() => g.sampleIndependent(view, t, 'x', floatDistribution(-1, 1))).toThrow(
      new InvalidArgumentError('The grid value 2 of parameter "x" is not in the distribution asked (float in [-1, 1])'),
    );
    expect(() => g.sampleIndependent(view, t, 'x', intDistribution(0, 9, false, 3))).toThrow(
      'The grid value 2 of parameter "x" is not in the distribution asked (int in [0, 9] (step 3))',
    );
    expect(() => g.sampleIndependent(view, t, 'x', floatDistribution(1, 10, true))).not.toThrow();
    expect(() => g.sampleIndependent(view, t, 'act', categoricalDistribution(['relu', 'tanh']))).toThrow(
      'The grid value null of parameter "act" is not in the distribution asked (categorical with choices ["relu","tanh"])',
    );
    expect(() => g.sampleIndependent(view, fakeTrial(1, { gridId: 99 }), 'x', floatDistribution(-1, 2))).toThrow(
      'Expected trial 1 to own a grid point id in [0, 23] but its `gridId` is 99',
    );
  });

  it('gives a trial without a grid point (enqueued) a seeded random grid value the distribution accepts', async () => {
    const g = new GridSampler(SPACE, { seed: 4 });
    const view = await makeView();
    const seen = new Set<number>();
    for (let n = 0; n < 50; n++) {
      const v = g.sampleIndependent(view, fakeTrial(n), 'x', floatDistribution(0, 5));
      expect([0, 1, 2]).toContain(v);
      expect(g.sampleIndependent(view, fakeTrial(n), 'x', floatDistribution(0, 5))).toBe(v);
      seen.add(v);
    }
    expect(seen).toEqual(new Set([0, 1, 2]));
    expect(() => g.sampleIndependent(view, fakeTrial(0), 'x', floatDistribution(5, 6))).toThrow(
      'None of the grid values [-1,0,1,2] of parameter "x" is in the distribution asked (float in [5, 6])',
    );
  });

  it('validates the search space and options', () => {
    const bad = (space: unknown, opts?: unknown): (() => GridSampler) => () => new GridSampler(space as never, opts as never);
    expect(bad(null)).toThrow(new InvalidArgumentError('Expected an object mapping parameter names to arrays of values for `searchSpace` but received null'));
    expect(bad([[1, 2]])).toThrow('Expected an object mapping parameter names to arrays of values for `searchSpace` but received an array of length 1');
    expect(bad({})).toThrow('Expected at least one parameter for `searchSpace` but received an object (Object)');
    expect(bad({ x: [] })).toThrow('Expected a non-empty array of values for `searchSpace.x` but received an array of length 0');
    expect(bad({ x: 3 })).toThrow('Expected a non-empty array of values for `searchSpace.x` but received 3');
    expect(bad({ x: [1, NaN] })).toThrow('Expected a string, finite number, boolean or null for `searchSpace.x[1]` but received NaN');
    expect(bad({ x: [1, Infinity] })).toThrow('Expected a string, finite number, boolean or null for `searchSpace.x[1]` but received Infinity');
    expect(bad({ x: [1, undefined] })).toThrow('Expected a string, finite number, boolean or null for `searchSpace.x[1]` but received undefined');
    expect(bad({ x: [1, {}] })).toThrow('Expected a string, finite number, boolean or null for `searchSpace.x[1]` but received an object (Object)');
    expect(bad({ x: [1, 2, 1] })).toThrow(new InvalidArgumentError('Expected distinct values in `searchSpace.x` but 1 appears twice'));
    expect(bad({ x: ['a', 'a'] })).toThrow('Expected distinct values in `searchSpace.x` but "a" appears twice');
    expect(bad({ x: [1] }, { sead: 1 })).toThrow(UnknownOptionError);
    expect(bad({ x: [1] }, { sead: 1 })).toThrow('Unknown option `sead` in `GridSampler options` (did you mean `seed`?); allowed options are `seed`');
    expect(bad({ x: [1] }, { seed: -2 })).toThrow('Expected an integer >= 0 for `seed` but received -2');
    // A one-point grid is fine; mixed value types are fine.
    expect(new GridSampler({ x: [1] }).gridSize).toBe(1);
    expect(new GridSampler({ x: [1, '1', true, null] }).gridSize).toBe(4);
  });
});

describe('GridSampler in studies', () => {
  it('covers every combination exactly once sequentially, then stops', async () => {
    const study = await createStudy({ sampler: new GridSampler(SPACE, { seed: 1 }) });
    await study.optimize(objective, { nTrials: SIZE + 10 });
    expectEveryCombinationOnce(study.trials);
    // Exhausted: a further optimize runs nothing.
    await study.optimize(objective, { nTrials: 5 });
    expect(study.trials).toHaveLength(SIZE);
  });

  it('is reproducible by seed', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const study = await createStudy({ sampler: new GridSampler(SPACE, { seed }) });
      await study.optimize(objective, { nTrials: 8 });
      return study.trials.map((t) => key(t.params));
    };
    const a = await run(21);
    expect(await run(21)).toEqual(a);
    expect(await run(22)).not.toEqual(a);
  });

  it('covers every combination exactly once with concurrency 4', async () => {
    const study = await createStudy({ sampler: new GridSampler(SPACE, { seed: 2 }) });
    await study.optimize(
      async (trial) => {
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        return objective(trial);
      },
      { nTrials: SIZE * 3, concurrency: 4 },
    );
    expectEveryCombinationOnce(study.trials);
  });

  it('covers every combination exactly once with 3 studies sharing one SQLite file', async () => {
    const path = join(tempDir(), 'grid.db');
    const studies = await Promise.all(
      [1, 2, 3].map(async (i) => {
        // Staggered creation through loadIfExists; two samplers share a seed, one differs.
        await new Promise((r) => setTimeout(r, i * 3));
        return createStudy({ storage: `sqlite:${path}`, studyName: 'shared-grid', loadIfExists: true, sampler: new GridSampler(SPACE, { seed: i === 3 ? 1 : i }) });
      }),
    );
    await Promise.all(
      studies.map((s) =>
        s.optimize(
          async (trial) => {
            await new Promise((r) => setTimeout(r, 1));
            return objective(trial);
          },
          { nTrials: SIZE, concurrency: 2 },
        ),
      ),
    );
    const check = await createStudy({ storage: `sqlite:${path}`, studyName: 'shared-grid', loadIfExists: true });
    expectEveryCombinationOnce(check.trials);
    expect(check.trials.every((t) => t.state === 'COMPLETE')).toBe(true);
  });

  it('refuses a different grid on a stored study', async () => {
    const storage = new MemoryStorage();
    const first = await createStudy({ storage, studyName: 'g', sampler: new GridSampler({ x: [1, 2] }) });
    await first.optimize((t) => t.suggestInt('x', 0, 5), { nTrials: 1 });
    const second = await createStudy({ storage, studyName: 'g', loadIfExists: true, sampler: new GridSampler({ x: [1, 2, 3] }) });
    await expect(second.optimize((t) => t.suggestInt('x', 0, 5), { nTrials: 1 })).rejects.toThrow(
      'The study "g" already runs a different grid ({"x":[1,2]}) than this GridSampler\'s ({"x":[1,2,3]}); use a new study for a new grid',
    );
  });

  it('runs the grid around enqueued trials, which take grid values', async () => {
    const study = await createStudy({ sampler: new GridSampler(SPACE, { seed: 3 }) });
    await study.enqueueTrial({ x: 1 });
    await study.optimize(objective, { nTrials: 100 });
    expect(study.trials).toHaveLength(SIZE + 1);
    const enq = study.trials[0]!;
    expect(enq.params['x']).toBe(1);
    expect(enq.systemAttrs['gridId']).toBeUndefined();
    expect(SPACE.act).toContain(enq.params['act']);
    expectEveryCombinationOnce(study.trials.slice(1));
  });

  it('names the parameter that is not in the grid', async () => {
    const study = await createStudy({ sampler: new GridSampler({ x: [1, 2] }) });
    await expect(study.optimize((t) => t.suggestFloat('y', 0, 1), { nTrials: 1 })).rejects.toThrow(
      'The parameter "y" is not in the grid of the GridSampler (grid parameters: "x")',
    );
  });
});

describe('GridSampler across processes', () => {
  it('3 processes on one SQLite study run each of the 40 points exactly once', async () => {
    const url = `sqlite:${join(tempDir(), 'grid-mp.db')}`;
    const worker = join(import.meta.dirname, 'fixtures', 'grid-worker.ts');
    const runs = [7, 7, 8].map((seed) => {
      const child = spawn(process.execPath, ['--import', 'tsx', worker, url, 'mp-grid', String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<[number, string]>((resolve) => child.on('exit', (code) => resolve([code ?? 1, out])));
    });
    const results = await Promise.all(runs);
    expect(results.map(([c]) => c), results.map(([, o]) => o).join('\n')).toEqual([0, 0, 0]);
    const study = await createStudy({ storage: url, studyName: 'mp-grid', loadIfExists: true });
    const trials = study.trials;
    expect(trials).toHaveLength(40);
    expect(new Set(trials.map((t) => `${String(t.params['x'])}${String(t.params['y'])}`)).size).toBe(40);
    expect(trials.every((t) => t.state === 'COMPLETE')).toBe(true);
  });
});
