/**
 * Scores of predictions against targets. Predictions have the FittedModel layout: regression (n)
 * values; binary (n) P(class 1); multiclass (n, k) row-major probabilities. Targets are (n) values or
 * class indices 0..k-1.
 *
 * Default metrics: log-loss for classification, RMSE for regression. Log-loss is a proper scoring
 * rule: on a small validation fold accuracy moves in steps of 1/n and ties many configurations, while
 * log-loss still ranks them, and it rewards calibrated probabilities, which the ensemble averages.
 * Pass `metric: 'accuracy'` to select on accuracy instead.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Task } from './types.js';

export type MetricName = 'accuracy' | 'balanced_accuracy' | 'log_loss' | 'roc_auc' | 'rmse' | 'mae' | 'r2';
export type Direction = 'maximize' | 'minimize';

export interface Metric {
  readonly name: MetricName;
  readonly direction: Direction;
  readonly tasks: readonly Task[];
  /** yTrue: (n); pred: (n) or (n, k) row-major as above; k = classes (2 for binary, 1 for regression). */
  compute(yTrue: Float64Array, pred: Float64Array, k: number): number;
}

const CLASSIFICATION: readonly Task[] = ['binary', 'multiclass'];
const REGRESSION: readonly Task[] = ['regression'];

/** Probabilities are clipped to [EPS, 1 - EPS] so that one confident mistake costs ~34.5, not Infinity (as scikit-learn). */
const LOG_LOSS_EPS = 1e-15;

export const METRICS: Readonly<Record<MetricName, Metric>> = {
  accuracy: { name: 'accuracy', direction: 'maximize', tasks: CLASSIFICATION, compute: accuracy },
  balanced_accuracy: { name: 'balanced_accuracy', direction: 'maximize', tasks: CLASSIFICATION, compute: balancedAccuracy },
  log_loss: { name: 'log_loss', direction: 'minimize', tasks: CLASSIFICATION, compute: logLoss },
  roc_auc: { name: 'roc_auc', direction: 'maximize', tasks: CLASSIFICATION, compute: rocAuc },
  rmse: { name: 'rmse', direction: 'minimize', tasks: REGRESSION, compute: (y, p) => Math.sqrt(meanOf(y, p, (e) => e * e)) },
  mae: { name: 'mae', direction: 'minimize', tasks: REGRESSION, compute: (y, p) => meanOf(y, p, Math.abs) },
  r2: { name: 'r2', direction: 'maximize', tasks: REGRESSION, compute: r2 },
};

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function defaultMetric(task: Task): MetricName {
  return task === 'regression' ? 'rmse' : 'log_loss';
}

/** The metric named `name` for `task`, or a typed error naming the valid ones. */
export function metricFor(name: string, task: Task): Metric {
  const m = (METRICS as Record<string, Metric | undefined>)[name];
  const valid = METRIC_NAMES.filter((n) => METRICS[n].tasks.includes(task));
  if (m === undefined) {
    throw new InvalidArgumentError(`Unknown metric ${JSON.stringify(name)}; valid metrics for ${task} are ${valid.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  if (!m.tasks.includes(task)) {
    throw new InvalidArgumentError(`Metric ${JSON.stringify(name)} does not apply to ${task} tasks; valid metrics are ${valid.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  return m;
}

/** Scores `pred` with the metric `name` (k: classes; omitted for regression and binary). */
export function score(name: string, task: Task, yTrue: Float64Array, pred: Float64Array, k = task === 'regression' ? 1 : 2): number {
  const m = metricFor(name, task);
  const width = task === 'multiclass' ? k : 1;
  if (yTrue.length === 0) throw new InvalidArgumentError(`Cannot score ${name} on zero rows`);
  if (pred.length !== yTrue.length * width) {
    throw new InvalidArgumentError(`Expected ${yTrue.length * width} predictions (${yTrue.length} rows x ${width}) for \`pred\` but received ${pred.length}`);
  }
  return m.compute(yTrue, pred, task === 'multiclass' ? k : task === 'binary' ? 2 : 1);
}

/** True when `a` is better than `b` under `direction`. */
export function better(direction: Direction, a: number, b: number): boolean {
  return direction === 'maximize' ? a > b : a < b;
}

/** Predicted class of row i: P >= 0.5 for binary (pred (n)), argmax for multiclass (pred (n, k)). */
export function predictedClass(pred: Float64Array, i: number, k: number): number {
  if (k === 2) return pred[i]! >= 0.5 ? 1 : 0;
  let best = 0;
  for (let c = 1; c < k; c++) if (pred[i * k + c]! > pred[i * k + best]!) best = c;
  return best;
}

/** P(class c) of row i, whatever the layout. */
function probability(pred: Float64Array, i: number, c: number, k: number): number {
  return k === 2 ? (c === 1 ? pred[i]! : 1 - pred[i]!) : pred[i * k + c]!;
}

function accuracy(y: Float64Array, pred: Float64Array, k: number): number {
  let hit = 0;
  for (let i = 0; i < y.length; i++) if (predictedClass(pred, i, k) === y[i]) hit++;
  return hit / y.length;
}

/** Mean recall over the classes present in yTrue (scikit-learn's balanced_accuracy_score). */
function balancedAccuracy(y: Float64Array, pred: Float64Array, k: number): number {
  const total = new Float64Array(k);
  const hit = new Float64Array(k);
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    total[c]!++;
    if (predictedClass(pred, i, k) === c) hit[c]!++;
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) if (total[c]! > 0) (sum += hit[c]! / total[c]!, present++);
  return sum / present;
}

/** Mean negative log-likelihood of the true class; rows are renormalised after clipping (as scikit-learn). */
function logLoss(y: Float64Array, pred: Float64Array, k: number): number {
  let sum = 0;
  const clip = (p: number): number => Math.min(Math.max(p, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
  for (let i = 0; i < y.length; i++) {
    let z = 0;
    for (let c = 0; c < k; c++) z += clip(probability(pred, i, c, k));
    sum -= Math.log(clip(probability(pred, i, y[i]!, k)) / z);
  }
  return sum / y.length;
}

/**
 * Area under the ROC curve: the Mann–Whitney statistic, ties counted half (average ranks). Binary:
 * class 1 against 0. Multiclass: the unweighted mean of each class against the rest (macro one-vs-rest).
 */
function rocAuc(y: Float64Array, pred: Float64Array, k: number): number {
  if (k === 2) return binaryAuc(y, pred, 1, 'class 1');
  const n = y.length;
  const scores = new Float64Array(n);
  let sum = 0;
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) scores[i] = pred[i * k + c]!;
    sum += binaryAuc(y, scores, c, `class ${c}`);
  }
  return sum / k;
}

function binaryAuc(y: Float64Array, scores: Float64Array, positive: number, label: string): number {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const avgRank = (start + end) / 2 + 1; // 1-based ranks, ties share their mean
    for (let t = start; t <= end; t++) if (y[order[t]!] === positive) (rankSumPos += avgRank, nPos++);
    start = end + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) {
    throw new InvalidArgumentError(`ROC AUC is undefined when yTrue has no ${nPos === 0 ? 'positives' : 'negatives'} for ${label}`);
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

function meanOf(y: Float64Array, p: Float64Array, f: (e: number) => number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += f(y[i]! - p[i]!);
  return s / y.length;
}

/** Coefficient of determination; a constant yTrue scores 1 when matched exactly, else 0 (as scikit-learn). */
function r2(y: Float64Array, p: Float64Array): number {
  let mean = 0;
  for (const v of y) mean += v;
  mean /= y.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < y.length; i++) {
    ssRes += (y[i]! - p[i]!) ** 2;
    ssTot += (y[i]! - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}
