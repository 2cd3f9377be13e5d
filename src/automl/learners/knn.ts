/**
 * k-nearest neighbours by brute force: every query against every stored row. Distances are computed a
 * block of queries at a time; for p = 2 as ‖q‖² + ‖x‖² − 2·q·x, so the inner loop is a dot product over
 * contiguous rows (the costly part, as a small matrix product) rather than a subtraction per pair.
 * Classification averages the neighbours' one-hot labels (weighted), regression their targets.
 *
 * The budget keeps a seeded random share of the training rows: a cheap, noisier view of the same model.
 */
import type { Trial } from '../../study/trial.js';
import { Rng } from '../../util/rng.js';
import { invalid } from '../../validate.js';
import type { FitOptions, FittedModel, Learner, LearnerConfig, Matrix, Task } from '../types.js';
import { budgetOf, checkData, checkMatrix, checkSaved, choiceParam, classCount, decodeFloat64, encodeFloat64, knownKeys, numberParam } from './common.js';

const FORMAT = 'tunable.knn';
const WEIGHTS = ['uniform', 'distance'] as const;
type Weights = (typeof WEIGHTS)[number];
const DEFAULTS = { k: 5, weights: 'uniform', p: 2 } as const;
const KEYS = Object.keys(DEFAULTS);
/**
 * Distances held at once (16 MB of float64): a block of queries × every stored row. Blocks amortise the
 * loop overhead over many queries while bounding memory whatever the training size.
 */
const BLOCK_ENTRIES = 1 << 21;

export interface KnnParams {
  readonly k: number;
  readonly weights: Weights;
  /** Minkowski power: 1 (Manhattan) or 2 (Euclidean). */
  readonly p: 1 | 2;
}

export class KnnModel implements FittedModel {
  /** X: (n, d) stored rows; y: (n) their targets or class indices; nClasses: 1 for regression. */
  constructor(
    readonly task: Task,
    readonly params: KnnParams,
    readonly X: Matrix,
    readonly y: Float64Array,
    readonly nClasses: number,
  ) {}

  async predict(Q: Matrix): Promise<Float64Array> {
    checkMatrix('X', Q, this.X.d);
    const { k: kWanted, weights, p } = this.params;
    const k = Math.min(kWanted, this.X.n);
    const width = this.task === 'multiclass' ? this.nClasses : 1;
    const out = new Float64Array(Q.n * width);
    const norms = p === 2 ? rowNorms(this.X) : null;
    const nearIdx = new Int32Array(k);
    const nearDist = new Float64Array(k);
    const votes = new Float64Array(this.nClasses);
    const block = Math.max(1, Math.floor(BLOCK_ENTRIES / this.X.n));
    for (let q0 = 0; q0 < Q.n; q0 += block) {
      const q1 = Math.min(q0 + block, Q.n);
      const D = distances(Q, q0, q1, this.X, p, norms); // (q1 - q0, n)
      for (let qi = q0; qi < q1; qi++) {
        nearest(D, (qi - q0) * this.X.n, this.X.n, k, nearIdx, nearDist);
        const w = neighbourWeights(nearDist, weights, p);
        if (this.task === 'regression') {
          let s = 0;
          let ws = 0;
          for (let t = 0; t < k; t++) (s += w[t]! * this.y[nearIdx[t]!]!, (ws += w[t]!));
          out[qi] = s / ws;
          continue;
        }
        votes.fill(0);
        let ws = 0;
        for (let t = 0; t < k; t++) (votes[this.y[nearIdx[t]!]!]! += w[t]!, (ws += w[t]!));
        if (this.task === 'binary') out[qi] = votes[1]! / ws;
        else for (let c = 0; c < width; c++) out[qi * width + c] = votes[c]! / ws;
      }
    }
    return out;
  }

  toJSON(): unknown {
    return { format: FORMAT, version: 1, task: this.task, params: this.params, n: this.X.n, d: this.X.d, nClasses: this.nClasses, X: encodeFloat64(this.X.data), y: encodeFloat64(this.y) };
  }

  static fromJSON(json: unknown): KnnModel {
    const j = checkSaved(json, FORMAT);
    const n = j['n'] as number;
    const d = j['d'] as number;
    const data = decodeFloat64('json.X', j['X']);
    const y = decodeFloat64('json.y', j['y']);
    if (data.length !== n * d || y.length !== n) throw invalid('json', `X of n·d = ${n}·${d} values and y of ${n}`, json);
    const p = j['params'] as KnnParams;
    return new KnnModel(j['task'] as Task, { k: p.k, weights: p.weights, p: p.p }, { data, n, d }, y, j['nClasses'] as number);
  }
}

export const knnLearner: Learner = {
  name: 'knn',
  family: 'nearest neighbours',
  tasks: ['binary', 'multiclass', 'regression'],

  space(trial: Trial, prefix = 'knn'): LearnerConfig {
    return {
      k: trial.suggestInt(`${prefix}.k`, 1, 50, { log: true }),
      weights: trial.suggestCategorical(`${prefix}.weights`, WEIGHTS),
      p: trial.suggestCategorical(`${prefix}.p`, [1, 2]),
    };
  },

  defaults: () => ({ ...DEFAULTS }),

  async fit(X: Matrix, y: Float64Array, task: Task, config: LearnerConfig, opts: FitOptions): Promise<FittedModel> {
    checkData(X, y, task);
    knownKeys(config, KEYS, 'knn');
    const k = numberParam(config, 'k', DEFAULTS.k);
    if (!(Number.isInteger(k) && k >= 1)) throw invalid('config.k', 'an integer >= 1', k);
    const p = numberParam(config, 'p', DEFAULTS.p);
    if (p !== 1 && p !== 2) throw invalid('config.p', '1 or 2', p);
    const weights = choiceParam(config, 'weights', WEIGHTS, DEFAULTS.weights);
    const nClasses = task === 'regression' ? 1 : classCount(y, opts);
    const keep = Math.min(X.n, Math.max(k, Math.round(budgetOf(opts) * X.n)));
    const [Xs, ys] = keep === X.n ? [X, y] : subsample(X, y, keep, opts.seed);
    // Copies, so that the model does not change when the caller reuses its buffers.
    return new KnnModel(task, { k, weights, p }, { data: Float64Array.from(Xs.data), n: Xs.n, d: Xs.d }, Float64Array.from(ys), nClasses);
  },

  load: async (json: unknown) => KnnModel.fromJSON(json),
};

function subsample(X: Matrix, y: Float64Array, m: number, seed: number): [Matrix, Float64Array] {
  const order = new Rng(seed).shuffle(Int32Array.from({ length: X.n }, (_, i) => i)).subarray(0, m).sort();
  const data = new Float64Array(m * X.d);
  const ys = new Float64Array(m);
  order.forEach((r, i) => {
    data.set(X.data.subarray(r * X.d, (r + 1) * X.d), i * X.d);
    ys[i] = y[r]!;
  });
  return [{ data, n: m, d: X.d }, ys];
}

function rowNorms(X: Matrix): Float64Array {
  const out = new Float64Array(X.n);
  for (let i = 0; i < X.n; i++) {
    let s = 0;
    for (let j = 0; j < X.d; j++) s += X.data[i * X.d + j]! ** 2;
    out[i] = s;
  }
  return out;
}

/** (q1 − q0, n) row-major: squared Euclidean distances (p = 2, clamped at 0) or Manhattan distances (p = 1). */
function distances(Q: Matrix, q0: number, q1: number, X: Matrix, p: 1 | 2, xNorms: Float64Array | null): Float64Array {
  const { n, d } = X;
  const D = new Float64Array((q1 - q0) * n);
  for (let qi = q0; qi < q1; qi++) {
    const qo = qi * d;
    const row = (qi - q0) * n;
    if (p === 2) {
      let qn = 0;
      for (let j = 0; j < d; j++) qn += Q.data[qo + j]! ** 2;
      for (let r = 0; r < n; r++) {
        const xo = r * d;
        let dotp = 0;
        for (let j = 0; j < d; j++) dotp += Q.data[qo + j]! * X.data[xo + j]!;
        D[row + r] = Math.max(qn + xNorms![r]! - 2 * dotp, 0);
      }
    } else {
      for (let r = 0; r < n; r++) {
        const xo = r * d;
        let s = 0;
        for (let j = 0; j < d; j++) s += Math.abs(Q.data[qo + j]! - X.data[xo + j]!);
        D[row + r] = s;
      }
    }
  }
  return D;
}

/**
 * The k smallest of D[o .. o+n) into (idx, dist), ascending, by insertion into a sorted buffer: O(n·k)
 * worst case but O(n) in practice, as few rows beat the current k-th. Ties keep the lower row index.
 */
function nearest(D: Float64Array, o: number, n: number, k: number, idx: Int32Array, dist: Float64Array): void {
  let filled = 0;
  for (let r = 0; r < n; r++) {
    const v = D[o + r]!;
    if (filled === k && v >= dist[k - 1]!) continue;
    let t = filled < k ? filled++ : k - 1;
    while (t > 0 && dist[t - 1]! > v) {
      dist[t] = dist[t - 1]!;
      idx[t] = idx[t - 1]!;
      t--;
    }
    dist[t] = v;
    idx[t] = r;
  }
}

/**
 * Uniform: 1 each. Distance: 1/distance; when some neighbours coincide with the query (distance 0)
 * only they vote, equally, as in scikit-learn.
 */
function neighbourWeights(dist: Float64Array, weights: Weights, p: 1 | 2): Float64Array {
  const w = new Float64Array(dist.length);
  if (weights === 'uniform') return w.fill(1);
  const exact = dist.some((v) => v === 0);
  for (let t = 0; t < dist.length; t++) {
    const dt = p === 2 ? Math.sqrt(dist[t]!) : dist[t]!;
    w[t] = exact ? (dt === 0 ? 1 : 0) : 1 / dt;
  }
  return w;
}
