/**
 * A multi-layer perceptron trained with TensorFlow.js (loadTf: the fastest backend installed, wasm
 * where libtensorflow is not) and Adam. Epochs are the fidelity: a budget b trains round(b · epochs).
 * Training is seeded: initial weights (glorot seeds), dropout masks (SeededDropout) and the order of
 * the rows in each epoch all derive from `opts.seed`.
 *
 * Once trained, the weights are read back and the tfjs model is freed at once; prediction is a plain
 * float64 forward pass in TypeScript (dropout is the identity at inference). So a fitted model holds no
 * tensors (nothing to leak if dispose() is never called), a saved model loads and predicts without
 * tfjs, and a loaded model predicts exactly what the original did.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Trial } from '../../study/trial.js';
import { loadTf } from '../../tfjs/load.js';
import { disposeModel, SeededDropout } from '../../tfjs/mlp.js';
import { Rng } from '../../util/rng.js';
import { invalid } from '../../validate.js';
import type { FitOptions, FittedModel, Learner, LearnerConfig, Matrix, Task } from '../types.js';
import { budgetOf, checkData, checkMatrix, checkSaved, choiceParam, classCount, decodeFloat64, encodeFloat64, knownKeys, numberParam } from './common.js';

const FORMAT = 'tunable.mlp';
const ACTIVATIONS = ['relu', 'tanh'] as const;
type Activation = (typeof ACTIVATIONS)[number];
/** `epochs` is the full-budget training length, not searched: the budget fraction scales it. */
const DEFAULTS = { layers: 2, units: 64, dropout: 0.1, learningRate: 1e-3, batchSize: 64, activation: 'relu', epochs: 60 } as const;
const KEYS = Object.keys(DEFAULTS);

/** One dense layer: W (inDim, outDim) row-major as tfjs stores a kernel, b (outDim). */
interface Dense {
  readonly W: Float64Array;
  readonly b: Float64Array;
  readonly inDim: number;
  readonly outDim: number;
}

export class MlpModel implements FittedModel {
  /**
   * `layers`: hidden layers then the output layer. `yMean`/`yScale` undo the standardisation of a
   * regression target (0 and 1 otherwise).
   */
  constructor(
    readonly task: Task,
    readonly activation: Activation,
    readonly layers: readonly Dense[],
    readonly yMean: number,
    readonly yScale: number,
  ) {}

  async predict(X: Matrix): Promise<Float64Array> {
    checkMatrix('X', X, this.layers[0]!.inDim);
    let h = X.data;
    let width = X.d;
    this.layers.forEach((layer, li) => {
      const out = new Float64Array(X.n * layer.outDim); // (n, outDim)
      for (let i = 0; i < X.n; i++) {
        const o = i * layer.outDim;
        out.set(layer.b, o);
        for (let j = 0; j < width; j++) {
          const v = h[i * width + j]!;
          if (v === 0) continue;
          const wo = j * layer.outDim;
          for (let u = 0; u < layer.outDim; u++) out[o + u]! += v * layer.W[wo + u]!;
        }
      }
      if (li < this.layers.length - 1) for (let t = 0; t < out.length; t++) out[t] = this.activation === 'relu' ? Math.max(out[t]!, 0) : Math.tanh(out[t]!);
      h = out;
      width = layer.outDim;
    });
    if (this.task === 'regression') return h.map((v) => v * this.yScale + this.yMean);
    if (this.task === 'binary') return h.map((z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))));
    for (let i = 0; i < X.n; i++) {
      let m = -Infinity;
      for (let c = 0; c < width; c++) m = Math.max(m, h[i * width + c]!);
      let s = 0;
      for (let c = 0; c < width; c++) s += h[i * width + c] = Math.exp(h[i * width + c]! - m);
      for (let c = 0; c < width; c++) h[i * width + c]! /= s;
    }
    return h;
  }

  toJSON(): unknown {
    return {
      format: FORMAT,
      version: 1,
      task: this.task,
      activation: this.activation,
      yMean: this.yMean,
      yScale: this.yScale,
      layers: this.layers.map((l) => ({ inDim: l.inDim, outDim: l.outDim, W: encodeFloat64(l.W), b: encodeFloat64(l.b) })),
    };
  }

  static fromJSON(json: unknown): MlpModel {
    const j = checkSaved(json, FORMAT);
    const raw = j['layers'];
    if (!Array.isArray(raw) || raw.length === 0) throw invalid('json.layers', 'a non-empty array of layers', raw);
    const layers = raw.map((l: Record<string, unknown>, i) => {
      const W = decodeFloat64(`json.layers[${i}].W`, l['W']);
      const b = decodeFloat64(`json.layers[${i}].b`, l['b']);
      const inDim = l['inDim'] as number;
      const outDim = l['outDim'] as number;
      if (W.length !== inDim * outDim || b.length !== outDim) throw invalid(`json.layers[${i}]`, `W of ${inDim}·${outDim} values and b of ${outDim}`, l);
      return { W, b, inDim, outDim };
    });
    const activation = j['activation'] as Activation;
    if (!ACTIVATIONS.includes(activation)) throw invalid('json.activation', `one of ${ACTIVATIONS.join(', ')}`, activation);
    return new MlpModel(j['task'] as Task, activation, layers, j['yMean'] as number, j['yScale'] as number);
  }
}

export const mlpLearner: Learner = {
  name: 'mlp',
  family: 'neural network',
  tasks: ['binary', 'multiclass', 'regression'],

  async unavailable(): Promise<string | null> {
    // TensorFlow.js is an optional peer: without it the family is left out rather than failing every trial.
    try {
      await loadTf();
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  },

  space(trial: Trial, prefix = 'mlp'): LearnerConfig {
    return {
      layers: trial.suggestInt(`${prefix}.layers`, 1, 3),
      units: trial.suggestInt(`${prefix}.units`, 16, 256, { log: true }),
      dropout: trial.suggestFloat(`${prefix}.dropout`, 0, 0.5),
      learningRate: trial.suggestFloat(`${prefix}.learningRate`, 1e-4, 1e-1, { log: true }),
      batchSize: trial.suggestCategorical(`${prefix}.batchSize`, [32, 64, 128, 256]),
      activation: trial.suggestCategorical(`${prefix}.activation`, ACTIVATIONS),
    };
  },

  defaults: () => ({ ...DEFAULTS }),

  async fit(X: Matrix, y: Float64Array, task: Task, config: LearnerConfig, opts: FitOptions): Promise<FittedModel> {
    checkData(X, y, task);
    knownKeys(config, KEYS, 'mlp');
    const c = resolveConfig(config);
    const epochs = Math.max(1, Math.round(budgetOf(opts) * c.epochs));
    const outDim = task === 'multiclass' ? classCount(y, opts) : 1;
    let yMean = 0;
    let yScale = 1;
    if (task === 'regression') {
      // Standardised targets keep the MSE gradients O(1), so one learning-rate range suits every data set.
      yMean = y.reduce((s, v) => s + v, 0) / y.length;
      yScale = Math.sqrt(y.reduce((s, v) => s + (v - yMean) ** 2, 0) / y.length) || 1;
    }
    const { tf } = await loadTf();
    const seed = Math.abs(Math.trunc(opts.seed)) % 2 ** 30;
    const model = buildModel(tf, X.d, outDim, task, c, seed);
    try {
      const [xs, ys] = tf.tidy(() => {
        const xt = tf.tensor2d(Float32Array.from(X.data), [X.n, X.d]);
        const yv = task === 'regression' ? y.map((v) => (v - yMean) / yScale) : y;
        const yt = task === 'multiclass' ? tf.oneHot(tf.tensor1d(Int32Array.from(yv), 'int32'), outDim).toFloat() : tf.tensor2d(Float32Array.from(yv), [X.n, 1]);
        return [xt, yt];
      });
      try {
        await trainSeeded(tf, model, xs, ys, epochs, c.batchSize, seed);
      } finally {
        xs.dispose();
        ys.dispose();
      }
      return new MlpModel(task, c.activation, await readLayers(model), yMean, yScale);
    } finally {
      disposeModel(model);
    }
  },

  load: async (json: unknown) => MlpModel.fromJSON(json),
};

interface MlpConfig {
  layers: number;
  units: number;
  dropout: number;
  learningRate: number;
  batchSize: number;
  activation: Activation;
  epochs: number;
}

function resolveConfig(config: LearnerConfig): MlpConfig {
  const int = (key: keyof typeof DEFAULTS, min: number): number => {
    const v = numberParam(config, key, DEFAULTS[key] as number);
    if (!(Number.isInteger(v) && v >= min)) throw invalid(`config.${key}`, `an integer >= ${min}`, v);
    return v;
  };
  const dropout = numberParam(config, 'dropout', DEFAULTS.dropout);
  if (!(dropout >= 0 && dropout < 1)) throw invalid('config.dropout', 'a number in [0, 1)', dropout);
  const learningRate = numberParam(config, 'learningRate', DEFAULTS.learningRate);
  if (!(learningRate > 0)) throw invalid('config.learningRate', 'a positive number', learningRate);
  return {
    layers: int('layers', 0),
    units: int('units', 1),
    dropout,
    learningRate,
    batchSize: int('batchSize', 1),
    activation: choiceParam(config, 'activation', ACTIVATIONS, DEFAULTS.activation),
    epochs: int('epochs', 1),
  };
}

function buildModel(tf: typeof tfTypes, inDim: number, outDim: number, task: Task, c: MlpConfig, seed: number): tfTypes.Sequential {
  const model = tf.sequential();
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  for (let i = 0; i < c.layers; i++) {
    model.add(tf.layers.dense({ ...(i === 0 ? { inputShape: [inDim] } : {}), units: c.units, activation: c.activation, kernelInitializer: init(i) }));
    if (c.dropout > 0) model.add(new SeededDropout({ rate: c.dropout, seed: seed * 7919 + 101 + i, tf }));
  }
  // Linear output: the sigmoid/softmax are applied in the loss (fromLogits-style) and again in predict.
  model.add(tf.layers.dense({ ...(c.layers === 0 ? { inputShape: [inDim] } : {}), units: outDim, kernelInitializer: init(c.layers) }));
  const loss =
    task === 'regression'
      ? 'meanSquaredError'
      : task === 'binary'
        ? (yt: tfTypes.Tensor, logits: tfTypes.Tensor) => tf.losses.sigmoidCrossEntropy(yt, logits)
        : (yt: tfTypes.Tensor, logits: tfTypes.Tensor) => tf.losses.softmaxCrossEntropy(yt, logits);
  model.compile({ optimizer: tf.train.adam(c.learningRate), loss });
  return model;
}

/** Epoch by epoch on a seeded permutation of the rows (fit()'s own shuffling cannot be seeded). */
async function trainSeeded(tf: typeof tfTypes, model: tfTypes.Sequential, xs: tfTypes.Tensor, ys: tfTypes.Tensor, epochs: number, batchSize: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const n = xs.shape[0]!;
  for (let e = 0; e < epochs; e++) {
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const [xe, ye] = tf.tidy(() => {
      const idx = tf.tensor1d(order, 'int32');
      return [tf.gather(xs, idx), tf.gather(ys, idx)];
    });
    try {
      await model.fit(xe, ye, { batchSize, epochs: 1, shuffle: false, verbose: 0 });
    } finally {
      xe.dispose();
      ye.dispose();
    }
  }
}

/** The dense layers' weights, read back as float64. */
async function readLayers(model: tfTypes.Sequential): Promise<Dense[]> {
  const out: Dense[] = [];
  for (const layer of model.layers) {
    const w = layer.getWeights();
    if (w.length !== 2) continue; // dropout layers hold no weights
    const [kernel, bias] = w as [tfTypes.Tensor, tfTypes.Tensor];
    out.push({ W: Float64Array.from(await kernel.data()), b: Float64Array.from(await bias.data()), inDim: kernel.shape[0]!, outDim: kernel.shape[1]! });
  }
  return out;
}
