/**
 * The demo job behind `tunable demo`: tunes an L2-regularised logistic regression, trained with
 * mini-batch SGD with momentum in plain TypeScript, on the Wisconsin breast-cancer data set
 * (examples/data/breast_cancer.csv, 569 × 30), minimising the validation log-loss. Cheap (a few ms a
 * trial) and real: the objective surface has the usual shape of learning-rate/regularisation tuning.
 */
import { readFileSync } from 'node:fs';
import { Rng } from '../util/rng.js';
import type { Trial } from '../study/trial.js';
import { packageFile } from '../util/paths.js';

export interface Dataset {
  /** (n, d) row-major, standardised with the training split's statistics */
  readonly X: Float64Array;
  readonly y: Uint8Array;
  readonly n: number;
  readonly d: number;
}

export function loadCsv(path: string): { X: number[][]; y: number[]; header: string[] } {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const header = lines[0]!.split(',');
  const X: number[][] = [];
  const y: number[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map(Number);
    y.push(cells.pop()!);
    X.push(cells);
  }
  return { X, y, header };
}

/**
 * The demo's data file, checked to be readable; throws IOError naming it. Call it before creating the
 * demo's study, so that a package without its data leaves no empty study behind.
 */
export function demoDataPath(): string {
  return packageFile('examples', 'data', 'breast_cancer.csv');
}

/** Train/validation split (seeded), standardised by the training split. */
export function breastCancerSplits(seed = 0, validationFraction = 0.3): { train: Dataset; valid: Dataset } {
  const { X, y } = loadCsv(demoDataPath());
  const n = X.length;
  const d = X[0]!.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nValid = Math.round(n * validationFraction);
  const trainIdx = order.slice(nValid);
  const validIdx = order.slice(0, nValid);
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const i of trainIdx) for (let j = 0; j < d; j++) mean[j]! += X[i]![j]! / trainIdx.length;
  for (const i of trainIdx) for (let j = 0; j < d; j++) sd[j]! += (X[i]![j]! - mean[j]!) ** 2 / trainIdx.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const make = (idx: number[]): Dataset => {
    const Xs = new Float64Array(idx.length * d);
    const ys = new Uint8Array(idx.length);
    idx.forEach((src, r) => {
      for (let j = 0; j < d; j++) Xs[r * d + j] = (X[src]![j]! - mean[j]!) / sd[j]!;
      ys[r] = y[src]!;
    });
    return { X: Xs, y: ys, n: idx.length, d };
  };
  return { train: make(trainIdx), valid: make(validIdx) };
}

function logLoss(w: Float64Array, b: number, data: Dataset): number {
  let loss = 0;
  for (let i = 0; i < data.n; i++) {
    let z = b;
    for (let j = 0; j < data.d; j++) z += w[j]! * data.X[i * data.d + j]!;
    // log(1 + e^{-z}) for y=1, log(1 + e^{z}) for y=0, computed stably
    const s = data.y[i] === 1 ? -z : z;
    loss += s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
  }
  return loss / data.n;
}

export interface LogRegParams {
  learningRate: number;
  l2: number;
  momentum: number;
  epochs: number;
  batchSize: number;
}

/** Trains and returns the validation log-loss after each epoch. */
export function trainLogReg(p: LogRegParams, train: Dataset, valid: Dataset, seed = 0, onEpoch?: (epoch: number, loss: number) => boolean): number {
  const { d } = train;
  const w = new Float64Array(d);
  const vw = new Float64Array(d);
  const g = new Float64Array(d);
  let b = 0;
  let vb = 0;
  const rng = new Rng(seed);
  const order = Array.from({ length: train.n }, (_, i) => i);
  let loss = logLoss(w, b, valid);
  for (let epoch = 0; epoch < p.epochs; epoch++) {
    for (let i = train.n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < train.n; start += p.batchSize) {
      const end = Math.min(train.n, start + p.batchSize);
      g.fill(0);
      let gb = 0;
      for (let k = start; k < end; k++) {
        const i = order[k]!;
        let z = b;
        for (let j = 0; j < d; j++) z += w[j]! * train.X[i * d + j]!;
        const err = 1 / (1 + Math.exp(-z)) - train.y[i]!;
        for (let j = 0; j < d; j++) g[j]! += err * train.X[i * d + j]!;
        gb += err;
      }
      const m = end - start;
      for (let j = 0; j < d; j++) {
        vw[j] = p.momentum * vw[j]! - p.learningRate * (g[j]! / m + p.l2 * w[j]!);
        w[j]! += vw[j]!;
      }
      vb = p.momentum * vb - (p.learningRate * gb) / m;
      b += vb;
    }
    loss = logLoss(w, b, valid);
    if (!Number.isFinite(loss)) return loss;
    if (onEpoch && onEpoch(epoch, loss)) return loss;
  }
  return loss;
}

/** The demo objective: suggests the hyperparameters and returns the validation log-loss. */
export function makeDemoObjective(seed = 0): (trial: Trial) => number {
  const { train, valid } = breastCancerSplits(seed);
  return (trial) => {
    const p: LogRegParams = {
      learningRate: trial.suggestFloat('learningRate', 1e-4, 3, { log: true }),
      l2: trial.suggestFloat('l2', 1e-6, 1, { log: true }),
      momentum: trial.suggestFloat('momentum', 0, 0.99),
      epochs: trial.suggestInt('epochs', 1, 40),
      batchSize: trial.suggestCategorical('batchSize', [8, 16, 32, 64, 128]),
    };
    return trainLogReg(p, train, valid, seed, (epoch, loss) => {
      trial.report(loss, epoch);
      return false;
    });
  };
}
