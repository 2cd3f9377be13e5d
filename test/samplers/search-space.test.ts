import { describe, expect, it } from 'vitest';
import { categoricalDistribution, floatDistribution, intDistribution, type Distribution } from '../../src/distributions/index.js';
import { UnknownOptionError } from '../../src/errors.js';
import { groupDecomposedSearchSpace, intersectionSearchSpace } from '../../src/samplers/search-space.js';
import { createStudy, RandomSampler } from '../../src/index.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';
import { fakeTrial } from './view.js';

const X = floatDistribution(0, 1);
const Y = intDistribution(1, 10);
const C = categoricalDistribution(['a', 'b']);

let n = 0;
function trial(distributions: Record<string, Distribution>, state: TrialState = TrialState.COMPLETE): FrozenTrial {
  return fakeTrial(n++, {}, { state, distributions });
}

describe('intersectionSearchSpace', () => {
  it('is empty without considered trials', () => {
    expect(intersectionSearchSpace([])).toEqual({});
    expect(intersectionSearchSpace([trial({ x: X }, TrialState.RUNNING), trial({ x: X }, TrialState.FAIL)])).toEqual({});
  });

  it('keeps the parameters every COMPLETE trial has, in sorted name order', () => {
    const s = intersectionSearchSpace([trial({ y: Y, x: X, c: C }), trial({ x: X, y: Y }), trial({ y: Y, x: X, z: X })]);
    expect(s).toEqual({ x: X, y: Y });
    expect(Object.keys(s)).toEqual(['x', 'y']);
  });

  it('ignores RUNNING, WAITING and FAIL trials; PRUNED only with includePruned', () => {
    const trials = [
      trial({ x: X, y: Y }),
      trial({ x: X }, TrialState.PRUNED),
      trial({}, TrialState.RUNNING),
      trial({}, TrialState.WAITING),
      trial({ y: Y }, TrialState.FAIL),
    ];
    expect(intersectionSearchSpace(trials)).toEqual({ x: X, y: Y });
    expect(intersectionSearchSpace(trials, { includePruned: false })).toEqual({ x: X, y: Y });
    expect(intersectionSearchSpace(trials, { includePruned: true })).toEqual({ x: X });
  });

  it('drops a parameter whose distribution changed (equal copies are the same distribution)', () => {
    const s = intersectionSearchSpace([trial({ x: X, y: Y }), trial({ x: floatDistribution(0, 2), y: intDistribution(1, 10) })]);
    expect(s).toEqual({ y: Y });
  });

  it('validates its options', () => {
    expect(() => intersectionSearchSpace([], { includePrune: true } as never)).toThrow(UnknownOptionError);
    expect(() => intersectionSearchSpace([], { includePruned: 1 } as never)).toThrow('Expected a boolean for `includePruned` but received 1');
  });
});

describe('groupDecomposedSearchSpace', () => {
  it('splits a conditional space into the groups that appear together', () => {
    // kind=svm → C, gamma; kind=tree → depth; lr always.
    const trials = [
      trial({ kind: C, lr: X, svmC: X, gamma: X }),
      trial({ kind: C, lr: X, depth: Y }),
      trial({ kind: C, lr: X, gamma: X, svmC: X }),
    ];
    expect(groupDecomposedSearchSpace(trials)).toEqual([{ depth: Y }, { gamma: X, svmC: X }, { kind: C, lr: X }]);
  });

  it('gives one group for a fixed space and none without trials', () => {
    expect(groupDecomposedSearchSpace([trial({ b: Y, a: X }), trial({ a: X, b: Y })])).toEqual([{ a: X, b: Y }]);
    expect(groupDecomposedSearchSpace([])).toEqual([]);
  });

  it('is the coarsest partition: every trial holds each group entirely or not at all', () => {
    const sets = [['a', 'b'], ['a', 'b', 'c', 'd'], ['c', 'd'], ['a', 'b', 'e'], ['c', 'd', 'f'], ['e']];
    const trials = sets.map((s) => trial(Object.fromEntries(s.map((k) => [k, X]))));
    const groups = groupDecomposedSearchSpace(trials).map((g) => Object.keys(g));
    expect(groups).toEqual([['a', 'b'], ['c', 'd'], ['e'], ['f']]);
    for (const s of sets) for (const g of groups) expect([0, g.length]).toContain(g.filter((k) => s.includes(k)).length);
  });

  it('considers PRUNED trials with includePruned; leaves out parameters whose distribution changed', () => {
    const trials = [trial({ a: X, b: X }), trial({ a: X }, TrialState.PRUNED), trial({ a: X, b: X, c: X }, TrialState.RUNNING)];
    expect(groupDecomposedSearchSpace(trials)).toEqual([{ a: X, b: X }]);
    expect(groupDecomposedSearchSpace(trials, { includePruned: true })).toEqual([{ a: X }, { b: X }]);
    const changed = [trial({ a: X, b: X }), trial({ a: floatDistribution(0, 3), b: X })];
    expect(groupDecomposedSearchSpace(changed)).toEqual([{ b: X }]);
  });

  it('works on the trials of a real study', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 3 }) });
    await study.optimize(
      (t) => {
        const k = t.suggestCategorical('k', ['x', 'y']);
        return k === 'x' ? t.suggestFloat('x', 0, 1) : t.suggestInt('y', 0, 5);
      },
      { nTrials: 20 },
    );
    const groups = groupDecomposedSearchSpace(await study.getTrials());
    expect(groups.map((g) => Object.keys(g))).toEqual([['k'], ['x'], ['y']]);
    expect(intersectionSearchSpace(await study.getTrials())).toEqual({ k: categoricalDistribution(['x', 'y']) });
  });
});
