/**
 * Random forest (Breiman 2001) and extremely randomised trees (Geurts et al. 2006) over tree.ts:
 * each tree grows on a bootstrap sample (forest) or on every row (extra trees) with a random subset of
 * features per node; predictions average the trees' leaf frequencies or means. Trees are the fidelity:
 * a budget b grows round(b · nTrees), and a forest's error falls smoothly with its size.
 */
import type { Trial } from '../../study/trial.js';
import { Rng } from '../../util/rng.js';
import { invalid } from '../../validate.js';
import type { FitOptions, FittedModel, Learner, LearnerConfig, Matrix, Task } from '../types.js';
import { budgetOf, checkData, checkMatrix, checkSaved, choiceParam, classCount, decodeFloat64, decodeInt32, encodeFloat64, encodeInt32, knownKeys, numberParam } from './common.js';
import { accumulate, growTree, type Tree } from './tree.js';

const FORMAT = 'tunable.forest';
const MAX_FEATURES = ['sqrt', 'log2', 'half', 'all'] as const;
type MaxFeatures = (typeof MAX_FEATURES)[number];
const SPLITTERS = ['best', 'random'] as const;
/** nTrees is the full-budget size, not searched: more trees never hurt accuracy, only time. */
const DEFAULTS = { nTrees: 100, maxFeatures: 'sqrt', minSamplesLeaf: 1, maxDepth: 0, splitter: 'best' } as const;
const KEYS = Object.keys(DEFAULTS);

export class ForestModel implements FittedModel {
  /** width: classes for classification, 1 for regression; d: columns of X at fit time. */
  constructor(
    readonly task: Task,
    readonly d: number,
    readonly width: number,
    readonly trees: readonly Tree[],
  ) {}

  async predict(X: Matrix): Promise<Float64Array> {
    checkMatrix('X', X, this.d);
    const sum = new Float64Array(X.n * this.width); // (n, width)
    for (const tree of this.trees) accumulate(tree, X, this.width, sum);
    for (let t = 0; t < sum.length; t++) sum[t]! /= this.trees.length;
    if (this.task !== 'binary') return sum;
    return Float64Array.from({ length: X.n }, (_, i) => sum[i * 2 + 1]!);
  }

  toJSON(): unknown {
    return {
      format: FORMAT,
      version: 1,
      task: this.task,
      d: this.d,
      width: this.width,
      // A right child is always its left sibling + 1 (tree.ts creates them in pairs), and internal nodes
      // carry no outputs: both are left out, which halves a saved forest.
      trees: this.trees.map((t) => ({
        feature: encodeInt32(t.feature),
        threshold: encodeFloat64(t.threshold),
        left: encodeInt32(t.left),
        leafValue: encodeFloat64(leafValues(t, this.width)),
      })),
    };
  }

  static fromJSON(json: unknown): ForestModel {
    const j = checkSaved(json, FORMAT);
    const raw = j['trees'];
    if (!Array.isArray(raw) || raw.length === 0) throw invalid('json.trees', 'a non-empty array of trees', raw);
    const width = j['width'] as number;
    const trees = raw.map((t: Record<string, unknown>, i): Tree => {
      const at = (k: string) => `json.trees[${i}].${k}`;
      const feature = decodeInt32(at('feature'), t['feature']);
      const threshold = decodeFloat64(at('threshold'), t['threshold']);
      const left = decodeInt32(at('left'), t['left']);
      const leaves = decodeFloat64(at('leafValue'), t['leafValue']);
      const m = feature.length;
      const nLeaves = feature.filter((f) => f < 0).length;
      if (threshold.length !== m || left.length !== m || leaves.length !== nLeaves * width) {
        throw invalid(`json.trees[${i}]`, `node arrays of one length (${m}) and ${nLeaves}·${width} leaf values`, t);
      }
      const value = new Float64Array(m * width);
      let leaf = 0;
      for (let node = 0; node < m; node++) if (feature[node]! < 0) value.set(leaves.subarray(leaf * width, ++leaf * width), node * width);
      return { feature, threshold, left, right: left.map((l) => (l < 0 ? -1 : l + 1)), value };
    });
    return new ForestModel(j['task'] as Task, j['d'] as number, width, trees);
  }
}

export const forestLearner: Learner = {
  name: 'forest',
  family: 'trees',
  tasks: ['binary', 'multiclass', 'regression'],

  space(trial: Trial, prefix = 'forest'): LearnerConfig {
    return {
      maxFeatures: trial.suggestCategorical(`${prefix}.maxFeatures`, MAX_FEATURES),
      minSamplesLeaf: trial.suggestInt(`${prefix}.minSamplesLeaf`, 1, 32, { log: true }),
      splitter: trial.suggestCategorical(`${prefix}.splitter`, SPLITTERS),
    };
  },

  // scikit-learn's defaults: sqrt(d) features per split for classification, all of them for regression.
  defaults: (task: Task) => ({ ...DEFAULTS, maxFeatures: task === 'regression' ? 'all' : 'sqrt' }),

  async fit(X: Matrix, y: Float64Array, task: Task, config: LearnerConfig, opts: FitOptions): Promise<FittedModel> {
    checkData(X, y, task);
    knownKeys(config, KEYS, 'forest');
    const int = (key: 'nTrees' | 'minSamplesLeaf' | 'maxDepth', min: number): number => {
      const v = numberParam(config, key, DEFAULTS[key]);
      if (!(Number.isInteger(v) && v >= min)) throw invalid(`config.${key}`, `an integer >= ${min}`, v);
      return v;
    };
    const nTrees = Math.max(1, Math.round(budgetOf(opts) * int('nTrees', 1)));
    const mf = choiceParam<MaxFeatures>(config, 'maxFeatures', MAX_FEATURES, task === 'regression' ? 'all' : 'sqrt');
    const splitter = choiceParam(config, 'splitter', SPLITTERS, DEFAULTS.splitter);
    const params = { maxFeatures: featureCount(mf, X.d), minSamplesLeaf: int('minSamplesLeaf', 1), maxDepth: int('maxDepth', 0), splitter };
    const width = task === 'regression' ? 1 : classCount(y, opts);
    const master = new Rng(opts.seed);
    const all = Int32Array.from({ length: X.n }, (_, i) => i);
    const trees: Tree[] = [];
    for (let t = 0; t < nTrees; t++) {
      const rng = new Rng(master.fork());
      // Extra trees use every row: their randomness is in the thresholds (as scikit-learn's ExtraTrees).
      const rows = splitter === 'random' ? all : Int32Array.from({ length: X.n }, () => rng.int(X.n));
      trees.push(growTree(X, y, rows, width, params, rng));
      // Yield between trees so a long fit does not hold the event loop (progress, timeouts, signals).
      if (t % 8 === 7) await new Promise((r) => setImmediate(r));
    }
    return new ForestModel(task, X.d, width, trees);
  },

  load: async (json: unknown) => ForestModel.fromJSON(json),
};

/** The outputs of the leaves, in node order: (leaves, width). */
function leafValues(t: Tree, width: number): Float64Array {
  const out: number[] = [];
  for (let node = 0; node < t.feature.length; node++) if (t.feature[node]! < 0) for (let c = 0; c < width; c++) out.push(t.value[node * width + c]!);
  return Float64Array.from(out);
}

function featureCount(mf: MaxFeatures, d: number): number {
  const k = mf === 'sqrt' ? Math.sqrt(d) : mf === 'log2' ? Math.log2(d) : mf === 'half' ? d / 2 : d;
  return Math.min(d, Math.max(1, Math.round(k)));
}
