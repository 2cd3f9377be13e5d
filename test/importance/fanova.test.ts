import { describe as suite, expect, it } from 'vitest';
import type { Distribution, ParamValue } from '../../src/distributions/index.js';
import { InvalidArgumentError, UnknownOptionError } from '../../src/errors.js';
import { decomposeTree } from '../../src/importance/fanova.js';
import { fitForest, predictTree, SeededRandom, type Tree } from '../../src/importance/forest.js';
import { fitLimit, MAX_FIT_TRIALS, MAX_FIT_VALUES, MIN_FIT_TRIALS, paramImportances } from '../../src/importance/index.js';
import type { StudyJSON, TrialJSON, TrialStateName } from '../../src/trial/json.js';
import { thrown } from '../helpers.js';

const F = (low: number, high: number, log = false): Distribution => ({ type: 'float', low, high, log, step: null });

interface Row {
  params: Record<string, ParamValue>;
  dists: Record<string, Distribution>;
  values: number[] | null;
  state?: TrialStateName;
}

function study(rows: Row[], directions: ('minimize' | 'maximize')[] = ['minimize']): StudyJSON {
  const trials: TrialJSON[] = rows.map((r, i) => {
    const internal: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.params)) {
      const d = r.dists[k]!;
      internal[k] = d.type === 'categorical' ? d.choices.indexOf(v as string) : (v as number);
    }
    return {
      trialId: i,
      number: i,
      state: r.state ?? 'COMPLETE',
      values: r.values,
      params: r.params,
      internalParams: internal,
      distributions: r.dists,
      userAttrs: {},
      systemAttrs: {},
      intermediate: [],
      start: null,
      complete: null,
    };
  });
  return { studyId: 1, name: 'imp', directions: directions as StudyJSON['directions'], userAttrs: {}, trials };
}

/** n trials of 6 floats in [-1, 1]; the objective depends on x0 and x1 (and x2..x5 by a trace). */
function twoOfSix(n: number, seed: number): StudyJSON {
  const rng = new SeededRandom(seed);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: 6 }, () => -1 + 2 * rng.random());
    const params: Record<string, number> = {};
    const dists: Record<string, Distribution> = {};
    x.forEach((v, j) => {
      params[`x${j}`] = v;
      dists[`x${j}`] = F(-1, 1);
    });
    const value = x[0]! ** 2 + 0.5 * x[1]! + 0.01 * (x[2]! + x[3]! + x[4]! + x[5]!);
    rows.push({ params, dists, values: [value] });
  }
  return study(rows);
}

const names = (r: ReturnType<typeof paramImportances>): string[] => r.importances.map((e) => e.name);

suite('paramImportances', () => {
  it.each([0, 1, 2])('ranks the two parameters the objective depends on first (seed %i)', (seed) => {
    const r = paramImportances(twoOfSix(300, 10 + seed), { seed });
    expect(r.method).toBe('fanova');
    expect(r.nTrials).toBe(300);
    expect(r.importances).toHaveLength(6);
    expect(new Set(names(r).slice(0, 2))).toEqual(new Set(['x0', 'x1']));
    // x0² over [-1, 1] has variance 4/45, 0.5·x1 has 1/12: together nearly all of it.
    expect(r.importances[0]!.importance + r.importances[1]!.importance).toBeGreaterThan(0.9);
    const sum = r.importances.reduce((a, e) => a + e.importance, 0);
    expect(sum).toBeCloseTo(1, 12);
    for (let i = 1; i < 6; i++) expect(r.importances[i - 1]!.importance).toBeGreaterThanOrEqual(r.importances[i]!.importance);
  });

  it('ranks a categorical that matters first, among floats, a log float and an int', () => {
    const rng = new SeededRandom(7);
    const choices = ['a', 'b', 'c', 'd'];
    const effect: Record<string, number> = { a: 0, b: 2, c: -1, d: 1 };
    const dists: Record<string, Distribution> = {
      kind: { type: 'categorical', choices },
      lr: F(1e-4, 1e-1, true),
      layers: { type: 'int', low: 1, high: 8, log: false, step: 1 },
      u: F(0, 1),
      v: F(0, 1),
    };
    const rows: Row[] = [];
    for (let i = 0; i < 300; i++) {
      const kind = choices[rng.int(4)]!;
      const lr = Math.exp(Math.log(1e-4) + rng.random() * Math.log(1e3));
      const layers = 1 + rng.int(8);
      const u = rng.random();
      const v = rng.random();
      rows.push({ params: { kind, lr, layers, u, v }, dists, values: [effect[kind]! + 0.3 * u + 0.02 * layers + 0.01 * v] });
    }
    const r = paramImportances(study(rows), { seed: 3 });
    expect(names(r)[0]).toBe('kind');
    expect(names(r)[1]).toBe('u');
    expect(r.importances[0]!.importance).toBeGreaterThan(0.8);
  });

  it('is deterministic for a seed', () => {
    const s = twoOfSix(200, 5);
    const a = paramImportances(s, { seed: 42 });
    const b = paramImportances(s, { seed: 42 });
    expect(b).toEqual(a);
    expect(paramImportances(s)).toEqual(paramImportances(s, { seed: 0 }));
    const c = paramImportances(s, { seed: 43 });
    expect(c.importances.map((e) => e.importance)).not.toEqual(a.importances.map((e) => e.importance));
  });

  it('uses complete trials and the parameters every one of them has with one distribution', () => {
    const base = twoOfSix(60, 3);
    const trials = base.trials.map((t, i) => {
      const params: Record<string, ParamValue> = { ...t.params };
      const dists: Record<string, Distribution> = { ...t.distributions };
      const internal: Record<string, number> = { ...t.internalParams };
      if (i % 2 === 0) {
        // conditional: only in some trials
        params.extra = 0.5;
        internal.extra = 0.5;
        dists.extra = F(0, 1);
      }
      // a range that changes between trials
      params.moving = 0.5;
      internal.moving = 0.5;
      dists.moving = F(0, i < 30 ? 1 : 2);
      // a single value
      params.fixed = 3;
      internal.fixed = 3;
      dists.fixed = F(3, 3);
      return { ...t, params, internalParams: internal, distributions: dists };
    });
    const extraRunning: TrialJSON = { ...trials[0]!, number: 60, state: 'RUNNING', values: null };
    const extraPruned: TrialJSON = { ...trials[1]!, number: 61, state: 'PRUNED', values: [100] };
    const r = paramImportances({ ...base, trials: [...trials, extraRunning, extraPruned] });
    expect(r.nTrials).toBe(60);
    expect(names(r).sort()).toEqual(['x0', 'x1', 'x2', 'x3', 'x4', 'x5']);

    // Named parameters: the trials holding them all; a conditional one is allowed.
    const only = paramImportances({ ...base, trials }, { params: ['x1', 'extra'] });
    expect(only.nTrials).toBe(30);
    expect(names(only)).toEqual(['x1', 'extra']);
    const one = paramImportances({ ...base, trials }, { params: ['x0', 'fixed'] });
    expect(one.importances).toEqual([{ name: 'x0', importance: 1 }]);
    expect(paramImportances({ ...base, trials }, { params: [] }).importances).toEqual([]);
  });

  it('gives a lone parameter importance 1, and equal shares when the objective is constant', () => {
    const rows: Row[] = Array.from({ length: 10 }, (_, i) => ({ params: { a: i / 10 }, dists: { a: F(0, 1) }, values: [i] }));
    expect(paramImportances(study(rows))).toEqual({ method: 'fanova', nTrials: 10, importances: [{ name: 'a', importance: 1 }] });
    const flat: Row[] = Array.from({ length: 10 }, (_, i) => ({
      params: { a: i / 10, b: 1 - i / 10 },
      dists: { a: F(0, 1), b: F(0, 1) },
      values: [5],
    }));
    expect(paramImportances(study(flat)).importances.map((e) => e.importance)).toEqual([0.5, 0.5]);
    const single = [flat[0]!];
    expect(paramImportances(study(single)).importances.map((e) => e.importance)).toEqual([0.5, 0.5]);
  });

  it('explains the objective it is asked about', () => {
    const rng = new SeededRandom(11);
    const dists = { p: F(0, 1), q: F(0, 1), r: F(0, 1) };
    const rows: Row[] = Array.from({ length: 200 }, () => {
      const p = rng.random();
      const q = rng.random();
      const r = rng.random();
      return { params: { p, q, r }, dists, values: [p + 0.01 * r, q + 0.01 * r] };
    });
    const s = study(rows, ['minimize', 'minimize']);
    expect(names(paramImportances(s))[0]).toBe('p');
    expect(names(paramImportances(s, { objective: 1 }))[0]).toBe('q');
  });

  it('fits a seeded subsample of at most MAX_FIT_TRIALS trials (fewer with many columns)', () => {
    const r = paramImportances(twoOfSix(MAX_FIT_TRIALS + 500, 1));
    expect(r.nTrials).toBe(MAX_FIT_TRIALS);
    expect(new Set(names(r).slice(0, 2))).toEqual(new Set(['x0', 'x1']));
    expect(fitLimit(6)).toBe(MAX_FIT_TRIALS);
    expect(fitLimit(15)).toBe(Math.floor(MAX_FIT_VALUES / 15));
    expect(fitLimit(1e6)).toBe(MIN_FIT_TRIALS);
    const base = twoOfSix(MAX_FIT_TRIALS, 2);
    const choices = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const cat: Distribution = { type: 'categorical', choices };
    const trials = base.trials.map((t, i) => ({
      ...t,
      params: { ...t.params, cat: choices[i % 10]! },
      internalParams: { ...t.internalParams, cat: i % 10 },
      distributions: { ...t.distributions, cat },
    }));
    // 6 floats and 10 choices: 16 columns.
    expect(paramImportances({ ...base, trials }).nTrials).toBe(Math.floor(MAX_FIT_VALUES / 16));
  });
});

suite('paramImportances: invalid arguments', () => {
  const s = twoOfSix(20, 1);
  const message = (f: () => unknown): string => {
    const e = thrown(f);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return (e as Error).message;
  };

  it('refuses an objective out of range', () => {
    expect(message(() => paramImportances(s, { objective: 1 }))).toBe('Expected an integer in [0, 0] for `objective` but received 1');
    expect(message(() => paramImportances(s, { objective: -1 }))).toBe('Expected an integer in [0, 0] for `objective` but received -1');
    expect(message(() => paramImportances(s, { objective: 0.5 }))).toBe('Expected an integer for `objective` but received 0.5');
  });

  it('refuses a seed that is not an integer', () => {
    expect(message(() => paramImportances(s, { seed: 1.5 }))).toBe('Expected an integer for `seed` but received 1.5');
    expect(message(() => paramImportances(s, { seed: NaN }))).toBe('Expected an integer for `seed` but received NaN');
  });

  it('refuses unknown parameter names and repeated ones', () => {
    expect(message(() => paramImportances(s, { params: ['x0', 'x9'] }))).toBe(
      'Expected the name of a parameter of a complete trial (one of ["x0","x1","x2","x3","x4","x5"]) for `params[1]` but received "x9"',
    );
    expect(message(() => paramImportances(s, { params: ['x0', 'x0'] }))).toBe('Expected distinct names in `params` but "x0" appears twice');
    expect(message(() => paramImportances(s, { params: 'x0' as unknown as string[] }))).toBe(
      'Expected an array of parameter names for `params` but received "x0"',
    );
  });

  it('refuses a misspelled option', () => {
    const e = thrown(() => paramImportances(s, { sed: 1 } as never));
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect((e as Error).message).toBe(
      'Unknown option `sed` in `opts` (did you mean `seed`?); allowed options are `objective`, `params`, `seed`',
    );
  });

  it('refuses a study without complete trials', () => {
    const none = { ...s, trials: s.trials.slice(0, 3).map((t) => ({ ...t, state: 'FAIL' as const, values: null })) };
    expect(message(() => paramImportances(none))).toBe(
      'Expected a study with at least one complete trial for `study` but received "imp" with 3 trials and none complete',
    );
    expect(message(() => paramImportances({ ...s, trials: [] }))).toBe(
      'Expected a study with at least one complete trial for `study` but received "imp" with 0 trials and none complete',
    );
  });
});

/**
 * The marginal as Optuna's `_FanovaTree` defines it, by brute force: for every cell of the product of
 * the group's split values, walk the tree (both children where the split is on another column) and
 * average the leaves reached, each weighted by its volume outside the group; then the cell-size
 * weighted variance of those averages.
 */
function referenceDecomposition(tree: Tree, bounds: number[], groups: number[][]): { variance: number; marginals: number[] } {
  const c = bounds.length / 2;
  const leaves: { value: number; lo: number[]; hi: number[] }[] = [];
  const walk = (node: number, lo: number[], hi: number[]): void => {
    const f = tree.feature[node]!;
    if (f < 0) {
      leaves.push({ value: tree.value[node]!, lo: [...lo], hi: [...hi] });
      return;
    }
    const t = tree.threshold[node]!;
    walk(tree.left[node]!, lo, hi.map((h, j) => (j === f ? t : h)));
    walk(tree.right[node]!, lo.map((l, j) => (j === f ? t : l)), hi);
  };
  const lo0 = Array.from({ length: c }, (_, j) => bounds[2 * j]!);
  const hi0 = Array.from({ length: c }, (_, j) => bounds[2 * j + 1]!);
  walk(0, lo0, hi0);
  const vol = (l: { lo: number[]; hi: number[] }, cols: number[]): number => cols.reduce((p, j) => p * (l.hi[j]! - l.lo[j]!), 1);
  const all = Array.from({ length: c }, (_, j) => j);
  const wv = (values: number[], weights: number[]): number => {
    const w = weights.reduce((a, b) => a + b, 0);
    const m = values.reduce((a, v, i) => a + v * weights[i]!, 0) / w;
    return values.reduce((a, v, i) => a + weights[i]! * (v - m) ** 2, 0) / w;
  };
  const variance = wv(
    leaves.map((l) => l.value),
    leaves.map((l) => vol(l, all)),
  );
  const marginals = groups.map((cols) => {
    const splits = cols.map((j) => {
      const ts = new Set<number>();
      for (let node = 0; node < tree.nodeCount; node++) if (tree.feature[node] === j) ts.add(tree.threshold[node]!);
      return [lo0[j]!, ...[...ts].sort((a, b) => a - b), hi0[j]!];
    });
    const values: number[] = [];
    const weights: number[] = [];
    const visit = (k: number, mid: number[], size: number): void => {
      if (k === cols.length) {
        const reached = leaves.filter((l) => cols.every((j, i) => l.lo[j]! <= mid[i]! && mid[i]! <= l.hi[j]!));
        const w = reached.map((l) => vol(l, all) / vol(l, cols));
        values.push(reached.reduce((a, l, i) => a + l.value * w[i]!, 0) / w.reduce((a, b) => a + b, 0));
        weights.push(size);
        return;
      }
      const e = splits[k]!;
      for (let i = 0; i + 1 < e.length; i++) visit(k + 1, [...mid, (e[i]! + e[i + 1]!) / 2], size * (e[i + 1]! - e[i]!));
    };
    visit(0, [], 1);
    return wv(values, weights);
  });
  return { variance, marginals };
}

suite('forest and decomposition', () => {
  // 3 numeric columns with different ranges, then a one-hot categorical of 4 choices (columns 3..6).
  const bounds = [-2, 3, 0, 10, 1, 100, 0, 1, 0, 1, 0, 1, 0, 1];
  const groups = [[0], [1], [2], [3, 4, 5, 6]];
  const rng = new SeededRandom(99);
  const n = 120;
  const d = 7;
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = -2 + 5 * rng.random();
    const b = rng.int(11);
    const cc = 1 + 99 * rng.random();
    const k = rng.int(4);
    X.set([a, b, cc, 0, 0, 0, 0], i * d);
    X[i * d + 3 + k] = 1;
    y[i] = 1000 + a * a + 0.3 * b + [0, 2, -1, 1][k]! + 0.01 * Math.log(cc) + (a > 0 ? b * 0.1 : 0);
  }
  const trees = fitForest(X, y, n, d, { nTrees: 4, maxDepth: 64, minSamplesSplit: 2, minSamplesLeaf: 1, seed: 5 });

  it('grows trees that fit their bootstrap samples exactly', () => {
    // Every distinct training row is a leaf of its own or shares a leaf with equal targets, so each
    // tree reproduces y on the rows it saw; overall most rows are reproduced by most trees.
    let exact = 0;
    for (const t of trees) for (let i = 0; i < n; i++) if (Math.abs(predictTree(t, X.subarray(i * d, i * d + d)) - y[i]!) < 1e-9) exact++;
    expect(exact / (trees.length * n)).toBeGreaterThan(0.55);
  });

  it('matches the brute-force marginals of Optuna\'s definition', () => {
    for (const t of trees) {
      const ref = referenceDecomposition(t, bounds, groups);
      for (const maxGrid of [4096, 0]) {
        const got = decomposeTree(t, Float64Array.from(bounds), groups, maxGrid);
        expect(got.variance).toBeCloseTo(ref.variance, 9);
        for (let g = 0; g < groups.length; g++) {
          expect(Math.abs(got.marginals[g]! - ref.marginals[g]!)).toBeLessThan(1e-9 * Math.max(1, ref.variance));
        }
      }
    }
  });
});
