/**
 * tunable's fANOVA against Optuna 3.1's default evaluator, run by /usr/bin/python3 (Debian's
 * python3-optuna and python3-sklearn; CI has them). Two checks: on one shared study both rank the same
 * two parameters first; and on trees fitted by tunable, Optuna's `_FanovaTree` computes the same
 * variances as tunable's decomposition (the method is the same, only the forests' random draws differ).
 */
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Distribution, ParamValue } from '../../src/distributions/index.js';
import { decomposeTree } from '../../src/importance/fanova.js';
import { fitForest, SeededRandom } from '../../src/importance/forest.js';
import { paramImportances } from '../../src/importance/index.js';
import type { StudyJSON, TrialJSON } from '../../src/trial/json.js';
import { tempDir } from '../helpers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'optuna_importances.py');

// Asynchronous: a long synchronous spawn would block the test worker's event loop.
function python(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${PYTHON} ${SCRIPT} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/**
 * 200 trials of five parameters with clearly different effects: x (a quadratic, the largest), opt (a
 * categorical, second), lr (log scale; Optuna's fANOVA works on the raw scale, where most of the range
 * is its flat end), units (an int with a step, small) and z (a trace).
 */
function sharedStudy(): StudyJSON {
  const rng = new SeededRandom(2024);
  const choices = ['sgd', 'adam', 'rmsprop'];
  const optEffect = [0, -1.5, -0.5];
  const dists: Record<string, Distribution> = {
    x: { type: 'float', low: -5, high: 5, log: false, step: null },
    lr: { type: 'float', low: 1e-5, high: 1e-1, log: true, step: null },
    units: { type: 'int', low: 16, high: 256, log: false, step: 16 },
    opt: { type: 'categorical', choices },
    z: { type: 'float', low: 0, high: 1, log: false, step: null },
  };
  const trials: TrialJSON[] = [];
  for (let i = 0; i < 200; i++) {
    const x = -5 + 10 * rng.random();
    const lr = Math.exp(Math.log(1e-5) + rng.random() * Math.log(1e4));
    const units = 16 + 16 * rng.int(16);
    const k = rng.int(3);
    const z = rng.random();
    const value = 3 * (x / 5) ** 2 + optEffect[k]! + 0.25 * (Math.log10(lr) + 3) + 0.002 * units + 0.05 * z;
    const params: Record<string, ParamValue> = { x, lr, units, opt: choices[k]!, z };
    trials.push({
      trialId: i,
      number: i,
      state: 'COMPLETE',
      values: [value],
      params,
      internalParams: { x, lr, units, opt: k, z },
      distributions: dists,
      userAttrs: {},
      systemAttrs: {},
      intermediate: [],
      start: null,
      complete: null,
    });
  }
  return { studyId: 1, name: 'shared', directions: ['minimize'], userAttrs: {}, trials };
}

describe('against Optuna 3.1 (FanovaImportanceEvaluator)', () => {
  const dir = tempDir('tunable-importance-');

  beforeAll(() => {
    const probe = spawnSync(PYTHON, ['-c', 'import optuna, sklearn; print(optuna.__version__)'], { encoding: 'utf8' });
    if (probe.error !== undefined || probe.status !== 0) {
      throw new Error(
        `${PYTHON} cannot import optuna and sklearn, which this test compares against ` +
          `(Debian: apt-get install python3-optuna python3-sklearn): ${probe.error?.message ?? probe.stderr}`,
      );
    }
    console.log(`Optuna ${probe.stdout.trim()} at ${PYTHON}`);
  });

  it('ranks the same two parameters first on the shared study', async () => {
    const study = sharedStudy();
    const file = join(dir, 'shared-study.json');
    writeFileSync(file, JSON.stringify(study));
    const theirs = ((await python(['study', file, '0'])) as { importances: [string, number][] }).importances;
    const ours = paramImportances(study, { seed: 0 }).importances;
    const show = (list: [string, number][]): string => list.map(([n, v]) => `${n} ${v.toFixed(4)}`).join(', ');
    console.log(`tunable: ${show(ours.map((e) => [e.name, e.importance]))}`);
    console.log(`optuna:  ${show(theirs)}`);
    expect(theirs).toHaveLength(ours.length);
    const top = (names: string[]): string[] => names.slice(0, 2);
    expect(top(ours.map((e) => e.name))).toEqual(top(theirs.map(([n]) => n)));
    // x and opt carry most of the variance in both; their shares agree to a few hundredths.
    for (const [name, v] of theirs.slice(0, 2)) {
      expect(Math.abs(ours.find((e) => e.name === name)!.importance - v)).toBeLessThan(0.1);
    }
  }, 300_000);

  it("computes the same tree variances as Optuna's _FanovaTree on the same trees", async () => {
    // Columns: two numeric ones with unequal ranges, then a one-hot categorical of 3 choices.
    const bounds = [-2, 3, 1, 100, 0, 1, 0, 1, 0, 1];
    const groups = [[0], [1], [2, 3, 4]];
    const rng = new SeededRandom(8);
    const n = 80;
    const d = 5;
    const X = new Float64Array(n * d);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = -2 + 5 * rng.random();
      const b = 1 + 99 * rng.random();
      const k = rng.int(3);
      X.set([a, b, 0, 0, 0], i * d);
      X[i * d + 2 + k] = 1;
      y[i] = a * a + 0.01 * b + [0, 1, -1][k]! + (k === 1 ? 0.5 * a : 0);
    }
    const trees = fitForest(X, y, n, d, { nTrees: 3, maxDepth: 64, minSamplesSplit: 2, minSamplesLeaf: 1, seed: 1 });
    const file = join(dir, 'trees.json');
    writeFileSync(
      file,
      JSON.stringify({
        bounds,
        groups,
        trees: trees.map((t) => ({
          feature: [...t.feature],
          threshold: [...t.threshold],
          left: [...t.left],
          right: [...t.right],
          value: [...t.value],
        })),
      }),
    );
    const theirs = (await python(['trees', file])) as { variance: number; marginals: number[] }[];
    trees.forEach((t, i) => {
      const ours = decomposeTree(t, Float64Array.from(bounds), groups);
      const ref = theirs[i]!;
      expect(ours.variance).toBeCloseTo(ref.variance, 9);
      groups.forEach((_, g) => expect(Math.abs(ours.marginals[g]! - ref.marginals[g]!)).toBeLessThan(1e-9 * ref.variance));
    });
  }, 120_000);
});
