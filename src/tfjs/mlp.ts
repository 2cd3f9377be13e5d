/**
 * Multi-layer perceptrons for classification, built from a trial's parameters: the search space, the
 * model, training with the pruning callback, evaluation, and a ready-made objective.
 *
 * The space is the same for every trial (one `units` for all hidden layers rather than one per
 * layer), so samplers that model the joint space (multivariate TPE, GP) see every parameter in every
 * trial. Parameter names: layers, units, learningRate, dropout, batchSize, activation.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors.js';
import type { ParamValue } from '../distributions/index.js';
import type { Trial } from '../study/trial.js';
import { Rng } from '../util/rng.js';
import { integer, invalid, oneOf, options, positiveNumber, string } from '../validate.js';
import { pruningCallback } from './callback.js';
import type { Split } from './data.js';
import { tfFor, whenTfChosen, type TfModule } from './instance.js';

export type MlpActivation = 'relu' | 'elu' | 'tanh' | 'sigmoid' | 'selu' | 'softplus';
const ACTIVATIONS: readonly MlpActivation[] = ['relu', 'elu', 'tanh', 'sigmoid', 'selu', 'softplus'];

/** Ranges of the search space; every bound is inclusive. */
export interface MlpSpace {
  /** Hidden layers. Default [1, 3]. */
  layers?: readonly [number, number];
  /** Units of every hidden layer, on a log scale. Default [16, 256]. */
  units?: readonly [number, number];
  /** Adam's learning rate, on a log scale. Default [1e-4, 1e-1]. */
  learningRate?: readonly [number, number];
  /** Dropout rate after each hidden layer. Default [0, 0.5]. */
  dropout?: readonly [number, number];
  /** Default [16, 32, 64, 128]. */
  batchSize?: readonly number[];
  /** Default ['relu', 'elu', 'tanh']. */
  activation?: readonly MlpActivation[];
}

export interface MlpParams {
  readonly layers: number;
  readonly units: number;
  readonly learningRate: number;
  readonly dropout: number;
  readonly batchSize: number;
  readonly activation: MlpActivation;
}

const SPACE_KEYS = ['layers', 'units', 'learningRate', 'dropout', 'batchSize', 'activation'] as const;

/** Suggests the MLP's hyperparameters from the trial. */
export function suggestMlpParams(trial: Trial, space: MlpSpace = {}): MlpParams {
  const s = options<MlpSpace>('MLP space', space, SPACE_KEYS);
  const [lLo, lHi] = s.layers ?? [1, 3];
  const [uLo, uHi] = s.units ?? [16, 256];
  const [rLo, rHi] = s.learningRate ?? [1e-4, 1e-1];
  const [dLo, dHi] = s.dropout ?? [0, 0.5];
  return {
    layers: trial.suggestInt('layers', lLo, lHi),
    units: trial.suggestInt('units', uLo, uHi, { log: true }),
    learningRate: trial.suggestFloat('learningRate', rLo, rHi, { log: true }),
    dropout: trial.suggestFloat('dropout', dLo, dHi),
    batchSize: trial.suggestCategorical('batchSize', s.batchSize ?? [16, 32, 64, 128]),
    activation: trial.suggestCategorical('activation', s.activation ?? ['relu', 'elu', 'tanh']),
  };
}

/** Checks and types stored parameters (e.g. `study.bestParams`) to retrain the best model. */
export function mlpParamsFrom(params: Readonly<Record<string, ParamValue>>): MlpParams {
  const p = params as Record<string, unknown>;
  return {
    layers: integer('params.layers', p['layers'], 0),
    units: integer('params.units', p['units'], 1),
    learningRate: positiveNumber('params.learningRate', p['learningRate']),
    dropout: rate('params.dropout', p['dropout']),
    batchSize: integer('params.batchSize', p['batchSize'], 1),
    activation: oneOf('params.activation', p['activation'], ACTIVATIONS),
  };
}

export interface BuildMlpOptions {
  /** Features per sample. */
  inputDim: number;
  /** Classes; the output is a softmax over them. */
  nClasses: number;
  /** The search space when building from a trial. */
  space?: MlpSpace;
  /**
   * Seeds the weight initialisers and the dropout masks (a `SeededDropout` layer: a new mask every batch,
   * drawn from seed + a call counter). With `trainAndEvaluate({ seed })` for the batch order, training is
   * then reproducible: the same parameters and seed give the same weights and history on one backend.
   */
  seed?: number;
}

/**
 * Dropout whose masks are reproducible. tfjs's own dropout layer takes a seed but re-creates its generator
 * from it on every call, so a seeded `tf.layers.dropout` applies the same mask to every batch (one fixed
 * thinned network); this layer seeds each training call with seed + its call count instead. Inference
 * (training false) passes the input through, as tfjs's layer does.
 *
 * `new SeededDropout({ rate, seed, name?, tf? })` makes a layer of the given tfjs instance (default: the
 * one of useTf()/loadTf(), else the project's): a layer must subclass the `Layer` of the copy whose model
 * it joins, so the class is made once per copy and registered for serialization there.
 */
export interface SeededDropout extends tfTypes.layers.Layer {
  readonly rate: number;
  readonly seed: number;
}

export interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
  tf?: TfModule;
}

export interface SeededDropoutConstructor {
  new (args: SeededDropoutArgs): SeededDropout;
  readonly className: 'SeededDropout';
  [Symbol.hasInstance](value: unknown): boolean;
}

type DropoutClass = new (args: { rate: number; seed: number; name?: string }) => SeededDropout;

/** One subclass per tfjs copy, keyed by that copy's Layer class. */
const dropoutClasses = new WeakMap<object, DropoutClass>();
const dropouts = new WeakSet<object>();

function dropoutClass(tf: TfModule): DropoutClass {
  const cached = dropoutClasses.get(tf.layers.Layer);
  if (cached !== undefined) return cached;
  class Impl extends tf.layers.Layer implements SeededDropout {
    static readonly className = 'SeededDropout';
    readonly rate: number;
    readonly seed: number;
    private calls = 0;

    constructor(args: { rate: number; seed: number; name?: string }) {
      super(args.name === undefined ? {} : { name: args.name });
      this.rate = rate('rate', args.rate);
      this.seed = integer('seed', args.seed, 0);
      this.supportsMasking = true;
      dropouts.add(this);
    }

    override computeOutputShape(inputShape: tfTypes.Shape | tfTypes.Shape[]): tfTypes.Shape | tfTypes.Shape[] {
      return inputShape;
    }

    override call(inputs: tfTypes.Tensor | tfTypes.Tensor[], kwargs: Record<string, unknown>): tfTypes.Tensor {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (kwargs['training'] !== true || this.rate === 0) return x;
      const seed = this.seed + 1_000_003 * this.calls++;
      return tf.tidy(() => tf.dropout(x, this.rate, undefined, seed));
    }

    override getConfig(): tfTypes.serialization.ConfigDict {
      return { ...super.getConfig(), rate: this.rate, seed: this.seed };
    }
  }
  Object.defineProperty(Impl, 'name', { value: 'SeededDropout' });
  tf.serialization.registerClass(Impl);
  dropoutClasses.set(tf.layers.Layer, Impl);
  return Impl;
}

// Registered as soon as an instance is chosen, so that loadLayersModel() of a saved model with
// SeededDropout layers works before any model was built in this process.
whenTfChosen(dropoutClass);

// A function, not a class: the base class is only known once the tfjs instance is (a constructor that
// returns an object makes `new` yield that object).
export const SeededDropout = function SeededDropout(args: SeededDropoutArgs): SeededDropout {
  const { tf, ...rest } = args ?? ({} as SeededDropoutArgs);
  return new (dropoutClass(tfFor('SeededDropout', tf)))(rest);
} as unknown as SeededDropoutConstructor;
Object.defineProperties(SeededDropout, {
  className: { value: 'SeededDropout' },
  [Symbol.hasInstance]: { value: (value: unknown) => typeof value === 'object' && value !== null && dropouts.has(value) },
});

/**
 * Builds and compiles an MLP (Adam, categorical cross-entropy, accuracy) from a trial — suggesting
 * its parameters — or from parameters. The caller owns the model: free it with `disposeModel(model)`.
 */
export function buildMlp(source: Trial | MlpParams, opts: BuildMlpOptions): { model: tfTypes.Sequential; params: MlpParams } {
  const o = options<BuildMlpOptions>('buildMlp options', opts, ['inputDim', 'nClasses', 'space', 'seed']);
  const inputDim = integer('inputDim', o.inputDim, 1);
  const nClasses = integer('nClasses', o.nClasses, 2);
  const params = isTrial(source) ? suggestMlpParams(source, o.space) : mlpParamsFrom(source as unknown as Record<string, ParamValue>);
  const seed = o.seed === undefined ? undefined : integer('seed', o.seed, 0);
  const tf = tfFor('buildMlp');
  const init = (k: number) => tf.initializers.glorotUniform(seed === undefined ? {} : { seed: seed + k });
  const model = tf.sequential();
  for (let i = 0; i < params.layers; i++) {
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [inputDim] } : {}),
        units: params.units,
        activation: params.activation,
        kernelInitializer: init(i),
      }),
    );
    if (params.dropout > 0) {
      model.add(seed === undefined ? tf.layers.dropout({ rate: params.dropout }) : new SeededDropout({ rate: params.dropout, seed: seed * 7919 + 101 + i, tf }));
    }
  }
  model.add(
    tf.layers.dense({ ...(params.layers === 0 ? { inputShape: [inputDim] } : {}), units: nClasses, activation: 'softmax', kernelInitializer: init(params.layers) }),
  );
  model.compile({ optimizer: tf.train.adam(params.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return { model, params };
}

export interface TrainData {
  readonly train: Split;
  readonly valid: Split;
  /** Evaluated once after training when given. */
  readonly test?: Split;
}

export interface TrainOptions {
  epochs: number;
  /** Default 32. */
  batchSize?: number;
  /** With a trial, every epoch is reported and the trial may be pruned (TrialPruned is thrown after fit). */
  trial?: Trial;
  /** The epoch-log key reported and returned as `value`. Default "val_acc". */
  monitor?: string;
  /** tfjs fit verbosity (0 = silent, the default). */
  verbose?: 0 | 1;
  /**
   * Seeds the order of the training examples: each epoch draws its permutation from this seed and trains
   * on it with fit()'s own (unseedable) shuffling off. Without it, fit() shuffles at random. Combine with
   * `buildMlp({ seed })` for reproducible training.
   */
  seed?: number;
}

export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
}

export interface TrainResult {
  /** The monitored metric at the last epoch: what the objective returns. */
  readonly value: number;
  readonly epochsRun: number;
  /** Per-metric values of every epoch run (loss, acc, val_loss, val_acc). */
  readonly history: Readonly<Record<string, readonly number[]>>;
  readonly valid: Evaluation;
  readonly test?: Evaluation;
  readonly seconds: number;
}

/**
 * Trains `model` on `data.train`, validating on `data.valid` every epoch. With `opts.trial`, a pruning
 * callback reports the monitored metric each epoch; when the pruner stops training this throws
 * TrialPruned after fit() has returned (the model is left to the caller to dispose, so use finally).
 */
export async function trainAndEvaluate(model: tfTypes.LayersModel, data: TrainData, opts: TrainOptions): Promise<TrainResult> {
  const o = options<TrainOptions>('trainAndEvaluate options', opts, ['epochs', 'batchSize', 'trial', 'monitor', 'verbose', 'seed']);
  const epochs = integer('epochs', o.epochs, 1);
  const batchSize = integer('batchSize', o.batchSize ?? 32, 1);
  const monitor = string('monitor', o.monitor ?? 'val_acc');
  const seed = o.seed === undefined ? undefined : integer('seed', o.seed, 0);
  const tf = tfFor('trainAndEvaluate');
  const started = performance.now();
  const cb = o.trial === undefined ? undefined : pruningCallback(o.trial, { monitor, tf });
  const fitArgs = {
    batchSize,
    validationData: [data.valid.x, data.valid.y] as [tfTypes.Tensor, tfTypes.Tensor],
    verbose: o.verbose ?? 0,
    ...(cb === undefined ? {} : { callbacks: [cb] }),
  };
  const history: Record<string, number[]> = {};
  const append = async (h: tfTypes.History): Promise<void> => {
    for (const [k, v] of Object.entries(h.history)) {
      const values = await Promise.all(v.map(async (x) => (typeof x === 'number' ? x : ((await x.data())[0] as number))));
      (history[k] ??= []).push(...values);
    }
  };
  if (seed === undefined) {
    await append(await model.fit(data.train.x, data.train.y, { ...fitArgs, epochs }));
  } else {
    // One fit() per epoch on a seeded permutation of the training rows; epoch indices continue
    // (initialEpoch), so the pruning callback reports the same steps as a single fit() would.
    const rng = new Rng(seed);
    const n = data.train.x.shape[0];
    for (let e = 0; e < epochs; e++) {
      const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
      const [xs, ys] = tf.tidy(() => {
        const idx = tf.tensor1d(order, 'int32');
        return [tf.gather(data.train.x, idx), tf.gather(data.train.y, idx)];
      });
      try {
        await append(await model.fit(xs, ys, { ...fitArgs, epochs: e + 1, initialEpoch: e, shuffle: false }));
      } finally {
        xs.dispose();
        ys.dispose();
      }
      if (cb?.pruned) break;
    }
  }
  cb?.throwIfPruned();
  const series = history[monitor];
  if (series === undefined || series.length === 0) {
    throw new InvalidArgumentError(`The monitored metric ${JSON.stringify(monitor)} is not in the history; available: ${Object.keys(history).join(', ')}`);
  }
  const last = (k: string) => history[k]?.[history[k]!.length - 1] ?? NaN;
  const result: TrainResult = {
    value: series[series.length - 1]!,
    epochsRun: series.length,
    history,
    valid: { loss: last('val_loss'), accuracy: last('val_acc') },
    ...(data.test === undefined ? {} : { test: await evaluate(model, data.test, batchSize) }),
    seconds: (performance.now() - started) / 1000,
  };
  return result;
}

/** Loss and accuracy of `model` on `split` (tensors are read back and freed). */
export async function evaluate(model: tfTypes.LayersModel, split: Split, batchSize = 128): Promise<Evaluation> {
  const out = model.evaluate(split.x, split.y, { batchSize });
  const scalars = Array.isArray(out) ? out : [out];
  try {
    const [loss, accuracy] = await Promise.all(scalars.map(async (s) => (await s.data())[0]!));
    return { loss: loss!, accuracy: accuracy ?? NaN };
  } finally {
    for (const s of scalars) s.dispose();
  }
}

export interface MlpObjectiveOptions extends Omit<BuildMlpOptions, 'inputDim' | 'nClasses'> {
  /** Epochs of a trial that is never pruned (the maximum resource). */
  epochs: number;
  /** Default "val_acc" (maximise it: `createStudy({ direction: 'maximize' })`). */
  monitor?: string;
  /** Features and classes; default: read from the tensors of `data.train`. */
  inputDim?: number;
  nClasses?: number;
  /** Called after each trial trained to the end (logging). */
  onTrained?: (trial: Trial, result: TrainResult, params: MlpParams) => void;
}

/**
 * The whole objective: suggest → build → train with pruning → return the monitored metric of the last
 * epoch. The model is always disposed; tensors in `data` stay owned by the caller.
 */
export function mlpObjective(data: TrainData, opts: MlpObjectiveOptions): (trial: Trial) => Promise<number> {
  const o = options<MlpObjectiveOptions>('mlpObjective options', opts, ['epochs', 'monitor', 'inputDim', 'nClasses', 'space', 'seed', 'onTrained']);
  const epochs = integer('epochs', o.epochs, 1);
  const inputDim = o.inputDim ?? data.train.x.shape[1];
  const nClasses = o.nClasses ?? data.train.y.shape[1];
  return async (trial) => {
    const { model, params } = buildMlp(trial, {
      inputDim,
      nClasses,
      ...(o.space === undefined ? {} : { space: o.space }),
      ...(o.seed === undefined ? {} : { seed: o.seed }),
    });
    try {
      const result = await trainAndEvaluate(model, data, {
        epochs,
        batchSize: params.batchSize,
        trial,
        ...(o.monitor === undefined ? {} : { monitor: o.monitor }),
        ...(o.seed === undefined ? {} : { seed: o.seed }),
      });
      o.onTrained?.(trial, result, params);
      return result.value;
    } finally {
      disposeModel(model);
    }
  };
}

/**
 * Frees a compiled model and its optimizer. `model.dispose()` alone keeps an optimizer that was passed
 * to compile() as an object (as buildMlp does, to set the learning rate): Adam's moment estimates
 * would leak two tensors per weight on every trial.
 */
export function disposeModel(model: tfTypes.LayersModel): void {
  const optimizer = model.optimizer;
  model.dispose();
  optimizer?.dispose();
}

function rate(name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw invalid(name, 'a number in [0, 1)', v);
  return v;
}

function isTrial(x: unknown): x is Trial {
  return x !== null && typeof x === 'object' && typeof (x as Trial).suggestFloat === 'function';
}
