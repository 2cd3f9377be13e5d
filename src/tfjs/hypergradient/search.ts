/**
 * hypergradientSearch(): one training run whose hyperparameters move by their hypergradients while the
 * weights train (warm-started, as in Lorraine et al. 2020), instead of many trainings at fixed values.
 *
 * Inner loop: minibatch steps of a tf.train optimiser on L_T(w, λ) over the model's own variables, the
 * batch order seeded. Every `hyperEvery` steps one outer step: the hypergradient of L_V ('implicit' at
 * the current weights; 'unrolled' through the chunk's last K steps, which it takes itself), then Adam
 * on log λ (or λ / (high − low)), clipped to the bounds. The learning rate, when tuned, moves at every
 * step by the online rule ('online', 'implicit') or by its unrolled hypergradient ('unrolled').
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { Rng } from '../../util/rng.js';
import { implicitHypergradient, unrolledHypergradient, type Hypergradient } from './hypergrads.js';
import { networkOf } from './network.js';
import { OnlineLearningRate } from './online.js';
import { resolveOptions, type HypergradientSearchOptions, type ResolvedOptions } from './options.js';
import { Problem } from './problem.js';
import { fromUnit, layoutFor, toUnit, unitScale, type HyperEntry } from './space.js';

export interface HypergradientHistoryEntry {
  readonly epoch: number;
  /** Inner steps taken so far. */
  readonly step: number;
  /** Mean training loss (L_T) of the epoch's optimiser steps (the unrolled method's own K steps are not in it). */
  readonly trainLoss: number;
  /** L_V after the epoch. */
  readonly valLoss: number;
  /** Every hyperparameter after the epoch, by name. */
  readonly hyperparameters: Readonly<Record<string, number>>;
}

export interface HypergradientSearchResult {
  /** Final values by name: "learningRate", "weightDecay" | "weightDecay/<layer>" | "weightDecay/<layer>/<kernel|bias|unitJ>", custom names. */
  readonly hyperparameters: Readonly<Record<string, number>>;
  /** L_V of the final weights. */
  readonly valLoss: number;
  readonly history: readonly HypergradientHistoryEntry[];
  /** Outer steps taken, and skipped because a hypergradient was not finite (NaN or ±Infinity). */
  readonly hyperSteps: number;
  readonly skippedSteps: number;
  /** The trained model, with `keepModel: true` (dispose it), else null. */
  readonly model: tfTypes.LayersModel | null;
}

/** Adam on the unit coordinates of the tuned entries. */
class OuterAdam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(n: number, private readonly lr: number) {
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
  }
  step(u: Float64Array, g: Float64Array): void {
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    for (let i = 0; i < u.length; i++) {
      this.m[i] = b1 * this.m[i]! + (1 - b1) * g[i]!;
      this.v[i] = b2 * this.v[i]! + (1 - b2) * g[i]! * g[i]!;
      const mh = this.m[i]! / (1 - b1 ** this.t);
      const vh = this.v[i]! / (1 - b2 ** this.t);
      u[i] = u[i]! - (this.lr * mh) / (Math.sqrt(vh) + 1e-12);
    }
  }
}

export async function hypergradientSearch(opts: HypergradientSearchOptions): Promise<HypergradientSearchResult> {
  const o = resolveOptions(opts);
  return run(o);
}

async function run(o: ResolvedOptions): Promise<HypergradientSearchResult> {
  const tf = o.tf;
  const model = o.buildModel(tf, { seed: o.seed });
  let optimizer: tfTypes.Optimizer | null = null;
  let online: OnlineLearningRate | null = null;
  try {
    const net = networkOf(tf, model, o.loss);
    const layout = layoutFor(o.hyperparameters, net, o.optimizer === 'sgd' ? 0.1 : 0.001);
    const p = new Problem(tf, net, layout, o.data, o.loss, o.trainingLoss);
    const lrEntry = layout.learningRate;
    optimizer = o.optimizer === 'sgd' ? tf.train.sgd(p.learningRate) : tf.train.adam(p.learningRate);
    if (lrEntry.tuned && o.method !== 'unrolled') {
      online = new OnlineLearningRate(optimizer, { tf, beta: o.onlineBeta, low: lrEntry.low, high: lrEntry.high });
    }
    // Outer coordinates: the tuned entries of λ, then the learning rate when 'unrolled' tunes it.
    const tunedIdx = layout.entries.flatMap((e, i) => (e.tuned ? [i] : []));
    const outerLr = o.method === 'unrolled' && lrEntry.tuned;
    const outerEntries: HyperEntry[] = [...tunedIdx.map((i) => layout.entries[i]!), ...(outerLr ? [lrEntry] : [])];
    const adam = new OuterAdam(outerEntries.length, o.hyperLearningRate);

    const n = o.data.x.shape[0];
    const stepsPerEpoch = Math.ceil(n / o.batchSize);
    const totalSteps = o.epochs * stepsPerEpoch;
    const hyperEvery = o.hyperEvery ?? stepsPerEpoch;
    const K = Math.min(o.unrollSteps, hyperEvery);
    const rng = new Rng(o.seed);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const batchAt = (step: number): Int32Array => {
      const pos = step % stepsPerEpoch;
      if (pos === 0) {
        for (let i = n - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
      }
      return order.slice(pos * o.batchSize, Math.min(n, (pos + 1) * o.batchSize));
    };

    const names = net.variables.map((v) => v.name);
    let lambda = p.lambda();
    const snapshot = (): Record<string, number> => {
      const out: Record<string, number> = { learningRate: online?.learningRate ?? p.learningRate };
      layout.entries.forEach((e, i) => (out[e.name] = p.values[i]!));
      return out;
    };
    const history: HypergradientHistoryEntry[] = [];
    let hyperSteps = 0;
    let skippedSteps = 0;
    let warned = false;
    let epochLoss = 0;
    let epochBatches = 0;

    const innerStep = (rows: Int32Array): void => {
      const { x, y } = p.rows(rows);
      const { grads, value } = tf.tidy(() => p.gradient(p.weights(), lambda, x, y));
      tf.dispose([x, y]);
      epochLoss += value.dataSync()[0]!;
      epochBatches++;
      value.dispose();
      const named: tfTypes.NamedTensorMap = {};
      names.forEach((name, i) => (named[name] = grads[i]!));
      if (online !== null) online.step(named);
      else optimizer!.applyGradients(named);
      tf.dispose(grads);
    };

    const outerStep = (h: Hypergradient): void => {
      const g = new Float64Array(outerEntries.length);
      tunedIdx.forEach((i, k) => (g[k] = h.gradient[i]!));
      if (outerLr) g[tunedIdx.length] = h.learningRate;
      if (!warned) {
        warned = true;
        const zero = outerEntries.filter((_, k) => g[k] === 0).map((e) => JSON.stringify(e.name));
        if (zero.length > 0) {
          const shown = zero.length > 5 ? `${zero.slice(0, 5).join(', ')} and ${zero.length - 5} more` : zero.join(', ');
          o.onWarning(`hypergradientSearch: the hypergradient of ${shown} is exactly 0: the validation loss does not depend on ${zero.length > 1 ? 'them' : 'it'} through the training loss, so ${zero.length > 1 ? 'they stay' : 'it stays'} at the initial value`);
        }
      }
      if (!g.every(Number.isFinite)) {
        skippedSteps++;
        return;
      }
      hyperSteps++;
      const cur = outerEntries.map((e, k) => (k < tunedIdx.length ? p.values[tunedIdx[k]!]! : p.learningRate));
      const u = Float64Array.from(outerEntries, (e, k) => toUnit(e, cur[k]!));
      const gu = Float64Array.from(g, (gk, k) => gk * unitScale(outerEntries[k]!, cur[k]!));
      adam.step(u, gu);
      outerEntries.forEach((e, k) => {
        const v = fromUnit(e, u[k]!);
        if (k < tunedIdx.length) p.values[tunedIdx[k]!] = v;
        else p.learningRate = v;
      });
      lambda.dispose();
      lambda = p.lambda();
      if (o.method === 'unrolled' && o.optimizer === 'sgd') (optimizer as tfTypes.SGDOptimizer).setLearningRate(p.learningRate);
    };

    let step = 0;
    let eta = NaN;
    while (step < totalSteps) {
      const chunk = Math.min(hyperEvery, totalSteps - step);
      // Yield between chunks so that timers and I/O of the process are served during a long search.
      await new Promise((resolve) => setImmediate(resolve));
      const tunesHere = outerEntries.length > 0 && o.method !== 'online' && chunk === hyperEvery;
      const plain = tunesHere && o.method === 'unrolled' ? chunk - K : chunk;
      for (let s = 0; s < plain; s++) {
        innerStep(batchAt(step));
        step++;
        catchUp();
      }
      if (!tunesHere) continue;
      if (o.method === 'unrolled') {
        const batches: Int32Array[] = [];
        for (let s = 0; s < K; s++) batches.push(batchAt(step + s));
        const h = unrolledHypergradient(p, { batches });
        step += K;
        outerStep(h);
        catchUp();
      } else {
        const rows = n <= o.hvpBatchSize ? null : Int32Array.from(rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, o.hvpBatchSize));
        p.learningRate = online?.learningRate ?? p.learningRate;
        // η = 1/λ_max(H) by power iteration every 10th outer step; the curvature drifts slowly.
        const fresh = hyperSteps + skippedSteps;
        const h = implicitHypergradient(p, { neumannSteps: o.neumannSteps, rows, ...(fresh % 10 === 0 || !(eta > 0) ? {} : { neumannScale: eta }) });
        eta = h.neumannScale ?? NaN;
        outerStep(h);
      }
    }
    function catchUp(): void {
      while (step >= stepsPerEpoch * (history.length + 1)) endEpoch();
    }
    function endEpoch(): void {
      history.push({ epoch: history.length + 1, step, trainLoss: epochBatches > 0 ? epochLoss / epochBatches : NaN, valLoss: p.valLoss(), hyperparameters: snapshot() });
      epochLoss = 0;
      epochBatches = 0;
    }
    lambda.dispose();
    if (online !== null) p.learningRate = online.learningRate;
    return { hyperparameters: snapshot(), valLoss: p.valLoss(), history, hyperSteps, skippedSteps: skippedSteps + (online?.skippedSteps ?? 0), model: o.keepModel ? model : null };
  } finally {
    online?.dispose();
    optimizer?.dispose();
    if (!o.keepModel) model.dispose();
  }
}
