/**
 * Linear models with an L2 penalty: logistic regression for classification (binary: one sigmoid
 * output; multiclass: a softmax over k outputs), ridge regression for regression. One hyperparameter,
 * C, the inverse regularisation strength, searched on a log scale: logistic minimises
 * C·Σ loss + ½‖w‖² (as scikit-learn's LogisticRegression), ridge uses α = 1/C in ‖y − Xw − b‖² + α‖w‖².
 * Intercepts are not penalised.
 *
 * Logistic regression is fitted by L-BFGS (lbfgs.ts); the budget scales its iterations. Ridge has a
 * closed form (a Cholesky solve of the d × d normal equations), so its fit ignores the budget.
 */
import { NumericalError } from '../../errors.js';
import type { Trial } from '../../study/trial.js';
import { cholesky } from '../../util/cholesky.js';
import { invalid } from '../../validate.js';
import type { FitOptions, FittedModel, Learner, LearnerConfig, Matrix, Task } from '../types.js';
import { budgetOf, checkData, checkMatrix, checkSaved, classCount, decodeFloat64, encodeFloat64, knownKeys, numberParam } from './common.js';
import { lbfgs } from './lbfgs.js';

const FORMAT = 'tunable.linear';
/** C's search range; 1e-4 is all but the intercept, 1e4 is nearly unregularised. */
const C_RANGE = [1e-4, 1e4] as const;
const DEFAULTS = { C: 1, maxIter: 300 } as const;
const KEYS = Object.keys(DEFAULTS);

/**
 * A fitted linear model. W: (k, d) row-major; b: (k). k = 1 for ridge and binary logistic (the logit
 * of class 1), the number of classes for multiclass.
 */
export class LinearModel implements FittedModel {
  constructor(
    readonly task: Task,
    readonly d: number,
    readonly k: number,
    readonly W: Float64Array,
    readonly b: Float64Array,
  ) {}

  async predict(X: Matrix): Promise<Float64Array> {
    checkMatrix('X', X, this.d);
    const Z = scores(X, this.W, this.b, this.k); // (n, k)
    if (this.task === 'regression') return Z;
    if (this.task === 'binary') return Z.map(sigmoid);
    for (let i = 0; i < X.n; i++) softmaxRow(Z, i * this.k, this.k);
    return Z;
  }

  toJSON(): unknown {
    return { format: FORMAT, version: 1, task: this.task, d: this.d, k: this.k, W: encodeFloat64(this.W), b: encodeFloat64(this.b) };
  }

  static fromJSON(json: unknown): LinearModel {
    const j = checkSaved(json, FORMAT);
    const task = j['task'] as Task;
    if (!['binary', 'multiclass', 'regression'].includes(task)) throw invalid('json.task', 'a task', task);
    const d = j['d'] as number;
    const k = j['k'] as number;
    const W = decodeFloat64('json.W', j['W']);
    const b = decodeFloat64('json.b', j['b']);
    if (!(Number.isInteger(d) && Number.isInteger(k) && W.length === d * k && b.length === k)) throw invalid('json', `W of k·d = ${k}·${d} values and b of ${k}`, json);
    return new LinearModel(task, d, k, W, b);
  }
}

export const linearLearner: Learner = {
  name: 'linear',
  family: 'linear',
  tasks: ['binary', 'multiclass', 'regression'],

  space(trial: Trial, prefix = 'linear'): LearnerConfig {
    return { C: trial.suggestFloat(`${prefix}.C`, ...C_RANGE, { log: true }) };
  },

  defaults: () => ({ ...DEFAULTS }),

  async fit(X: Matrix, y: Float64Array, task: Task, config: LearnerConfig, opts: FitOptions): Promise<FittedModel> {
    checkData(X, y, task);
    knownKeys(config, KEYS, 'linear');
    const C = numberParam(config, 'C', DEFAULTS.C);
    if (!(C > 0)) throw invalid('config.C', 'a positive number', C);
    if (task === 'regression') return fitRidge(X, y, 1 / C);
    const maxIter = Math.max(1, Math.round(budgetOf(opts) * numberParam(config, 'maxIter', DEFAULTS.maxIter)));
    const k = classCount(y, opts);
    return fitLogistic(X, y, task === 'binary' ? 1 : k, C, maxIter, task);
  },

  load: async (json: unknown) => LinearModel.fromJSON(json),
};

/**
 * Ridge with an unpenalised intercept: centre X and y, solve (XcᵀXc + αI) w = Xcᵀyc, b = ȳ − x̄ᵀw.
 * The normal equations are d × d, cheap for the tens to hundreds of columns a table gives.
 */
export function fitRidge(X: Matrix, y: Float64Array, alpha: number): LinearModel {
  const { n, d, data } = X;
  const xm = new Float64Array(d);
  let ym = 0;
  for (let i = 0; i < n; i++) {
    ym += y[i]!;
    for (let j = 0; j < d; j++) xm[j]! += data[i * d + j]!;
  }
  ym /= n;
  for (let j = 0; j < d; j++) xm[j]! /= n;
  const A = new Float64Array(d * d); // (d, d) XcᵀXc + αI
  const r = new Float64Array(d); // (d) Xcᵀyc
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j]! - xm[j]!;
    const yc = y[i]! - ym;
    for (let j = 0; j < d; j++) {
      const v = row[j]!;
      if (v === 0) continue;
      r[j]! += v * yc;
      for (let l = 0; l <= j; l++) A[j * d + l]! += v * row[l]!;
    }
  }
  for (let j = 0; j < d; j++) for (let l = 0; l < j; l++) A[l * d + j] = A[j * d + l]!;
  const w = solveSpd(A, r, d, alpha);
  let b = ym;
  for (let j = 0; j < d; j++) b -= xm[j]! * w[j]!;
  return new LinearModel('regression', d, 1, w, Float64Array.of(b));
}

/**
 * Solves (A + αI) w = r by Cholesky. A tiny α on collinear columns can leave the matrix numerically
 * singular; the ridge is then raised tenfold (from a scale relative to A's diagonal) until it factors.
 */
function solveSpd(A: Float64Array, r: Float64Array, d: number, alpha: number): Float64Array {
  let trace = 0;
  for (let j = 0; j < d; j++) trace += A[j * d + j]!;
  let ridge = alpha;
  for (let attempt = 0; attempt < 12; attempt++) {
    const L = Float64Array.from(A);
    for (let j = 0; j < d; j++) L[j * d + j]! += ridge;
    if (cholesky(L, d)) {
      const z = new Float64Array(d); // L z = r, then Lᵀ w = z
      for (let i = 0; i < d; i++) {
        let s = r[i]!;
        for (let k = 0; k < i; k++) s -= L[i * d + k]! * z[k]!;
        z[i] = s / L[i * d + i]!;
      }
      const w = new Float64Array(d);
      for (let i = d - 1; i >= 0; i--) {
        let s = z[i]!;
        for (let k = i + 1; k < d; k++) s -= L[k * d + i]! * w[k]!;
        w[i] = s / L[i * d + i]!;
      }
      return w;
    }
    ridge = Math.max(ridge * 10, 1e-10 * (trace / Math.max(d, 1) || 1));
  }
  throw new NumericalError(`Ridge regression: the normal equations did not factor even with α raised to ${ridge}`);
}

/**
 * Multinomial (k > 1) or binary (k = 1) logistic regression, minimising the mean loss plus
 * ½‖W‖²/(C·n) — scikit-learn's C·Σ loss + ½‖W‖² divided by C·n, so gradients stay O(1) whatever n
 * and C are and L-BFGS's tolerances mean the same thing on every data set.
 */
export function fitLogistic(X: Matrix, y: Float64Array, k: number, C: number, maxIter: number, task: Task): LinearModel {
  const { n, d, data } = X;
  const lambda = 1 / (C * n);
  const P = new Float64Array(n * k); // (n, k) scores, then residuals p − onehot(y)
  const theta0 = new Float64Array(k * d + k); // [W (k, d), b (k)]
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    const W = theta.subarray(0, k * d);
    const b = theta.subarray(k * d);
    P.set(scores(X, W, b, k));
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[i]!;
      if (k === 1) {
        const z = P[i]!;
        // log(1 + e^z) − y·z, written to stay finite for large |z|.
        loss += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - yi * z;
        P[i] = sigmoid(z) - yi;
      } else {
        const o = i * k;
        const lse = logSumExp(P, o, k);
        loss += lse - P[o + yi]!;
        for (let c = 0; c < k; c++) P[o + c] = Math.exp(P[o + c]! - lse) - (c === yi ? 1 : 0);
      }
    }
    grad.fill(0);
    // grad_W = Pᵀ X / n + λW; grad_b = column sums of P / n.
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      for (let c = 0; c < k; c++) {
        const e = P[i * k + c]!;
        if (e === 0) continue;
        const go = c * d;
        for (let j = 0; j < d; j++) grad[go + j]! += e * data[xo + j]!;
        grad[k * d + c]! += e;
      }
    }
    let penalty = 0;
    for (let t = 0; t < k * d; t++) {
      grad[t] = grad[t]! / n + lambda * theta[t]!;
      penalty += theta[t]! * theta[t]!;
    }
    for (let c = 0; c < k; c++) grad[k * d + c]! /= n;
    return loss / n + 0.5 * lambda * penalty;
  };
  const { x } = lbfgs(objective, theta0, { maxIter, gtol: 1e-7 });
  return new LinearModel(task, d, k, x.slice(0, k * d), x.slice(k * d));
}

/** (n, k) row-major X·Wᵀ + b, for X (n, d), W (k, d), b (k). */
function scores(X: Matrix, W: Float64Array, b: Float64Array, k: number): Float64Array {
  const { n, d, data } = X;
  const Z = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    for (let c = 0; c < k; c++) {
      let s = b[c]!;
      const wo = c * d;
      for (let j = 0; j < d; j++) s += data[xo + j]! * W[wo + j]!;
      Z[i * k + c] = s;
    }
  }
  return Z;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function logSumExp(a: Float64Array, o: number, k: number): number {
  let m = -Infinity;
  for (let c = 0; c < k; c++) if (a[o + c]! > m) m = a[o + c]!;
  let s = 0;
  for (let c = 0; c < k; c++) s += Math.exp(a[o + c]! - m);
  return m + Math.log(s);
}

/** Softmax of a[o .. o+k) in place. */
function softmaxRow(a: Float64Array, o: number, k: number): void {
  const lse = logSumExp(a, o, k);
  for (let c = 0; c < k; c++) a[o + c] = Math.exp(a[o + c]! - lse);
}
