/**
 * The hypergradients against central finite differences of the validation loss, on a softmax
 * regression small enough to train to convergence in float32 (60 rows, 4 features, 3 classes); the
 * online learning-rate rule's direction; the twice-differentiable ops against differences of their
 * gradients; and that nothing leaks tensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTf, type TfModule } from '../../src/tfjs/index.js';
import { hypergradient, type HyperData, type Problem } from '../../src/tfjs/hypergradient/index.js';
import { opsFor, type Activation } from '../../src/tfjs/hypergradient/ops.js';
import { Rng } from '../../src/util/rng.js';

let tf: TfModule;
let data: HyperData;

/** Seeded 3-class data: class means apart, noise 1. */
function synthetic(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 4);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = rng.normal() + (j === y[i] ? 1.2 : 0);
  }
  return { x, y };
}

beforeAll(async () => {
  tf = (await loadTf()).tf;
  const tr = synthetic(60, 1);
  const va = synthetic(45, 2);
  data = {
    x: tf.tensor2d(tr.x, [60, 4]),
    y: tf.oneHot(tf.tensor1d(tr.y, 'int32'), 3).toFloat() as HyperData['y'],
    xVal: tf.tensor2d(va.x, [45, 4]),
    yVal: tf.oneHot(tf.tensor1d(va.y, 'int32'), 3).toFloat() as HyperData['y'],
  };
});
afterAll(() => tf.dispose([data.x, data.y, data.xVal, data.yVal]));

function softmaxRegression(): ReturnType<TfModule['sequential']> {
  return tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) })] });
}

/** λ: decay of the kernel and of the bias, and a label-smoothing weight through the trainingLoss hook. */
function problemOf(model: ReturnType<TfModule['sequential']>): Problem {
  return hypergradient.problem({
    tf,
    model,
    data,
    hyperparameters: {
      weightDecay: { init: 0.05, low: 1e-4, high: 1, per: 'variable', bias: true },
      custom: { smoothing: { init: 0.1, low: 0, high: 0.5, log: false } },
    },
    trainingLoss: ({ yTrue, yPred, hp, tf }) =>
      tf.neg(tf.mean(tf.sum(tf.mul(tf.add(tf.mul(yTrue, tf.sub(1, hp['smoothing']!)), tf.div(hp['smoothing']!, 3)), tf.log(yPred)), 1))),
  });
}

/** Full-batch gradient descent on L_T from the model's current weights. */
function train(p: Problem, steps: number, lr: number): void {
  const lambda = p.lambda();
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      const { grads } = p.gradient(p.weights(), lambda, data.x, data.y);
      p.net.variables.forEach((v, i) => v.assign(tf.sub(v, tf.mul(lr, grads[i]!))));
    });
  }
  lambda.dispose();
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

describe('implicit hypergradient', () => {
  it('matches central differences of the converged validation loss within 1e-2', () => {
    const before = tf.memory().numTensors;
    const model = softmaxRegression();
    const start = model.getWeights().map((t) => t.clone());
    const p = problemOf(model);
    const STEPS = 1500;
    train(p, STEPS, 1);
    const h = hypergradient.implicit(p, { neumannSteps: 400 });
    // Differences: retrain from the same start for λ_i ± δ_i.
    const fd = new Float64Array(p.values.length);
    const base = Float64Array.from(p.values);
    p.values.forEach((_, i) => {
      const d = i === 2 ? 0.01 : base[i]! * 0.05;
      const at = (v: number): number => {
        p.values.set(base);
        p.values[i] = v;
        model.setWeights(start);
        train(p, STEPS, 1);
        return p.valLoss();
      };
      fd[i] = (at(base[i]! + d) - at(base[i]! - d)) / (2 * d);
    });
    p.values.set(base);
    const err = relErr(h.gradient, fd);
    console.log(`implicit vs central differences: relative error ${err.toExponential(2)} (hypergradient ${[...h.gradient].map((g) => g.toFixed(5))}, differences ${[...fd].map((g) => g.toFixed(5))})`);
    expect(err).toBeLessThan(1e-2);
    // The decays are not at their optimum here: the hypergradient is not trivially zero.
    expect(Math.max(...fd.map(Math.abs))).toBeGreaterThan(1e-3);
    tf.dispose(start);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('unrolled hypergradient', () => {
  it('matches central differences through K SGD steps, learning rate included, within 2e-3', () => {
    const before = tf.memory().numTensors;
    const model = softmaxRegression();
    const start = model.getWeights().map((t) => t.clone());
    const p = problemOf(model);
    p.learningRate = 0.5;
    const K = 25;
    const h = hypergradient.unrolled(p, { steps: K });
    const after = p.valLoss();
    expect(after).toBeCloseTo(h.valLoss, 6);
    const base = Float64Array.from(p.values);
    const at = (set: () => void): number => {
      p.values.set(base);
      p.learningRate = 0.5;
      set();
      model.setWeights(start);
      train(p, K, p.learningRate);
      return p.valLoss();
    };
    const fd = new Float64Array(base.length + 1);
    base.forEach((b, i) => {
      const d = i === 2 ? 0.02 : b * 0.1;
      fd[i] = (at(() => (p.values[i] = b + d)) - at(() => (p.values[i] = b - d))) / (2 * d);
    });
    fd[base.length] = (at(() => (p.learningRate = 0.5 + 0.01)) - at(() => (p.learningRate = 0.5 - 0.01))) / 0.02;
    const ours = [...h.gradient, h.learningRate];
    const err = relErr(ours, fd);
    console.log(`unrolled (K=${K}) vs central differences: relative error ${err.toExponential(2)} (hypergradient ${ours.map((g) => g.toFixed(5))}, differences ${[...fd].map((g) => g.toFixed(5))})`);
    expect(err).toBeLessThan(2e-3);
    tf.dispose(start);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('twice-differentiable ops', () => {
  it.each(['relu', 'elu', 'softplus', 'sigmoid', 'tanh', 'linear'] as Activation[])('%s: Hessian–vector product of a 2-layer softmax net matches differences of gradients', (act) => {
    const before = tf.memory().numTensors;
    const ops = opsFor(tf);
    const err = tf.tidy(() => {
      const x = tf.randomNormal([6, 3], 0, 1, 'float32', 1);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1, 0], 'int32'), 4).toFloat();
      const W1 = tf.randomNormal([3, 5], 0, 1, 'float32', 2);
      const W2 = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
      const v = tf.randomNormal([3, 5], 0, 1, 'float32', 4);
      const f = (w: tfTensor) => tf.neg(tf.mean(tf.sum(tf.mul(y, ops.logSoftmax(tf.matMul(ops.activate(act, tf.matMul(x, w)), W2) as never)), 1))) as never;
      const g = (w: tfTensor) => tf.grad(f)(w);
      const hv = tf.grad((w: tfTensor) => tf.sum(tf.mul(g(w), v)) as never)(W1);
      const e = 1e-2;
      const fd = tf.div(tf.sub(g(tf.add(W1, tf.mul(v, e))), g(tf.sub(W1, tf.mul(v, e)))), 2 * e);
      return tf.div(tf.norm(tf.sub(hv, fd)), tf.norm(fd)).dataSync()[0]!;
    });
    expect(err).toBeLessThan(5e-3);
    expect(tf.memory().numTensors).toBe(before);
  });
});
type tfTensor = ReturnType<TfModule['tensor']>;

describe('online learning rate', () => {
  /** Minimises ½‖w − 1‖² · c with sgd at rate lr for `steps`; returns the rate after. */
  function adapt(lr: number, c: number, steps: number, make: (lr: number) => ReturnType<TfModule['train']['sgd']> | ReturnType<TfModule['train']['adam']>): { rate: number; skipped: number } {
    const zeros = tf.zeros([10]);
    const w = tf.variable(zeros);
    zeros.dispose();
    const opt = make(lr);
    const online = hypergradient.onlineLearningRate(opt, { tf, beta: 0.05 });
    for (let s = 0; s < steps; s++) {
      const grads = tf.tidy(() => ({ [w.name]: tf.mul(c, tf.sub(w, 1)) }));
      online.step(grads);
      tf.dispose(Object.values(grads));
    }
    const out = { rate: online.learningRate, skipped: online.skippedSteps };
    online.dispose();
    opt.dispose();
    w.dispose();
    return out;
  }

  it('raises a rate that is too small and lowers one that oscillates (sgd and adam)', () => {
    const before = tf.memory().numTensors;
    const small = adapt(1e-3, 1, 20, (lr) => tf.train.sgd(lr));
    expect(small.rate).toBeGreaterThan(1e-3 * Math.exp(0.05 * 19 * 0.9));
    // c·lr = 1.9: each step overshoots and flips the sign of w − 1, until the rate is below 1/c.
    const big = adapt(1.9, 1, 20, (lr) => tf.train.sgd(lr));
    expect(big.rate).toBeLessThan(1.2);
    expect(tf.memory().numTensors).toBe(before);
    // (tf.train.adam itself keeps a tensor or two after dispose() in tfjs 4.22, so no count below.)
    const adamSmall = adapt(1e-3, 1, 20, (lr) => tf.train.adam(lr));
    expect(adamSmall.rate).toBeGreaterThan(1e-3 * Math.exp(0.5));
    const adamBig = adapt(3, 1, 30, (lr) => tf.train.adam(lr));
    expect(adamBig.rate).toBeLessThan(3);
  });

  it('skips and counts a non-finite hypergradient, leaving the rate', () => {
    const zeros = tf.zeros([2]);
    const w = tf.variable(zeros);
    zeros.dispose();
    const opt = tf.train.sgd(0.1);
    const online = hypergradient.onlineLearningRate(opt, { tf });
    const g1 = tf.tensor1d([1, 1]);
    const g2 = tf.tensor1d([NaN, 1]);
    online.step({ [w.name]: g1 });
    online.step({ [w.name]: g2 });
    expect(online.skippedSteps).toBe(1);
    expect(online.learningRate).toBe(0.1);
    tf.dispose([g1, g2, w]);
    online.dispose();
    opt.dispose();
  });
});
