/**
 * hypergradientSearch() options, checked once into a frozen object.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../../errors.js';
import { boolean, integer, invalid, oneOf, options, positiveNumber } from '../../validate.js';
import { tfFor, type TfModule } from '../instance.js';
import type { LossName } from './network.js';
import type { HyperData, TrainingLossHook } from './problem.js';
import { checkSpace, type HyperparameterSpace } from './space.js';

export type HypergradientMethod = 'online' | 'implicit' | 'unrolled';
export const METHODS: readonly HypergradientMethod[] = ['online', 'implicit', 'unrolled'];

export interface BuildModelContext {
  /** Seed for the weight initialisers (the search's `seed`). */
  readonly seed: number;
}

export interface HypergradientSearchOptions {
  /** Your TensorFlow.js instance (default: useTf()/loadTf()'s, else the project's @tensorflow/tfjs). */
  readonly tf?: TfModule;
  readonly data: HyperData;
  /** Returns a new model of dense layers (an MLP); called once. */
  readonly buildModel: (tf: TfModule, context: BuildModelContext) => tfTypes.LayersModel;
  readonly hyperparameters: HyperparameterSpace;
  /** Training epochs (passes over `data.x`), the budget. */
  readonly epochs: number;
  readonly method: HypergradientMethod;
  /** Seeds the batch order and `buildModel`'s context (default 0). */
  readonly seed?: number;
  /** Default 'categoricalCrossentropy' (softmax last layer, one-hot y); or 'meanSquaredError'. */
  readonly loss?: LossName;
  /** The training loss of a batch from the plain loss, the weights and the custom hyperparameters. */
  readonly trainingLoss?: TrainingLossHook;
  /** The inner tf.train optimiser: 'sgd' (default) or 'adam' (not with 'unrolled', which is exact for SGD steps). */
  readonly optimizer?: 'sgd' | 'adam';
  /** Default 32. */
  readonly batchSize?: number;
  /** Inner steps between two outer (hyperparameter) steps; default one epoch. */
  readonly hyperEvery?: number;
  /** Outer Adam step on log values (or on value / (high − low)); default 0.1. */
  readonly hyperLearningRate?: number;
  /** β of the online learning-rate rule (largest change of log α per step); default 0.02. */
  readonly onlineBeta?: number;
  /** K for 'unrolled' (≤ hyperEvery); default 10. */
  readonly unrollSteps?: number;
  /** Neumann terms for 'implicit'; default 20. */
  readonly neumannSteps?: number;
  /** Training rows drawn for the implicit method's Hessian terms; default 256 (all rows if fewer). */
  readonly hvpBatchSize?: number;
  /** Receives warnings (a hyperparameter the validation loss does not depend on); default process.emitWarning. */
  readonly onWarning?: (message: string) => void;
  /** Return the trained model (yours to dispose) instead of disposing it; default false. */
  readonly keepModel?: boolean;
}

const KEYS = [
  'tf', 'data', 'buildModel', 'hyperparameters', 'epochs', 'method', 'seed', 'loss', 'trainingLoss', 'optimizer', 'batchSize',
  'hyperEvery', 'hyperLearningRate', 'onlineBeta', 'unrollSteps', 'neumannSteps', 'hvpBatchSize', 'onWarning', 'keepModel',
] as const;

export interface ResolvedOptions {
  readonly tf: TfModule;
  readonly data: HyperData;
  readonly buildModel: HypergradientSearchOptions['buildModel'];
  readonly hyperparameters: HyperparameterSpace;
  readonly epochs: number;
  readonly method: HypergradientMethod;
  readonly seed: number;
  readonly loss: LossName;
  readonly trainingLoss: TrainingLossHook | null;
  readonly optimizer: 'sgd' | 'adam';
  readonly batchSize: number;
  readonly hyperEvery: number | null;
  readonly hyperLearningRate: number;
  readonly onlineBeta: number;
  readonly unrollSteps: number;
  readonly neumannSteps: number;
  readonly hvpBatchSize: number;
  readonly onWarning: (message: string) => void;
  readonly keepModel: boolean;
}

function fn<T>(name: string, value: unknown): T {
  if (typeof value !== 'function') throw invalid(name, 'a function', value);
  return value as T;
}

/** `data`: four 2-D tensors of `tf` whose rows and columns match. */
export function checkData(tf: TfModule, value: unknown): HyperData {
  const d = options<HyperData>('data', value, ['x', 'y', 'xVal', 'yVal']);
  if (value === undefined) throw invalid('data', 'an object { x, y, xVal, yVal } of 2-D tensors', value);
  for (const k of ['x', 'y', 'xVal', 'yVal'] as const) {
    const t = d[k];
    if (!(t instanceof tf.Tensor) || t.rank !== 2 || t.isDisposed) throw invalid(`data.${k}`, 'a 2-D tensor of this tf instance', t);
  }
  const { x, y, xVal, yVal } = d as HyperData;
  if (x.shape[0] !== y.shape[0]) throw new InvalidArgumentError(`Expected as many rows in \`data.y\` as in \`data.x\` (${x.shape[0]}) but received ${y.shape[0]}`);
  if (xVal.shape[0] !== yVal.shape[0]) throw new InvalidArgumentError(`Expected as many rows in \`data.yVal\` as in \`data.xVal\` (${xVal.shape[0]}) but received ${yVal.shape[0]}`);
  if (xVal.shape[1] !== x.shape[1]) throw new InvalidArgumentError(`Expected ${x.shape[1]} columns in \`data.xVal\` (as in \`data.x\`) but received ${xVal.shape[1]}`);
  if (yVal.shape[1] !== y.shape[1]) throw new InvalidArgumentError(`Expected ${y.shape[1]} columns in \`data.yVal\` (as in \`data.y\`) but received ${yVal.shape[1]}`);
  return d as HyperData;
}

export function resolveOptions(value: unknown): ResolvedOptions {
  const o = options<HypergradientSearchOptions>('hypergradientSearch options', value, KEYS);
  if (value === undefined) throw invalid('hypergradientSearch options', 'an options object', value);
  const tf = tfFor('hypergradientSearch', o.tf);
  const method = oneOf('method', o.method, METHODS);
  const optimizer = o.optimizer === undefined ? 'sgd' : oneOf('optimizer', o.optimizer, ['sgd', 'adam'] as const);
  if (method === 'unrolled' && optimizer !== 'sgd') throw invalid('optimizer', '"sgd" with method "unrolled" (the unrolled steps are SGD steps)', optimizer);
  const hyperparameters = checkSpace(o.hyperparameters);
  if (method === 'online') {
    const wd = hyperparameters.weightDecay;
    const tunedCustom = Object.entries(hyperparameters.custom ?? {}).find(([, v]) => typeof v === 'object');
    if (typeof wd === 'object') throw invalid('hyperparameters.weightDecay', 'a fixed number with method "online" (it tunes the learning rate only)', wd);
    if (tunedCustom !== undefined) throw invalid(`hyperparameters.custom.${tunedCustom[0]}`, 'a fixed number with method "online" (it tunes the learning rate only)', tunedCustom[1]);
  }
  const hyperEvery = o.hyperEvery === undefined ? null : integer('hyperEvery', o.hyperEvery, 1);
  const unrollSteps = o.unrollSteps === undefined ? 10 : integer('unrollSteps', o.unrollSteps, 1);
  if (method === 'unrolled' && hyperEvery !== null && unrollSteps > hyperEvery) throw invalid('unrollSteps', `an integer <= hyperEvery (${hyperEvery})`, unrollSteps);
  const warn = o.onWarning === undefined ? (m: string) => process.emitWarning(m, { type: 'TunableWarning', code: 'TUNABLE_HYPERGRADIENT_ZERO' }) : fn<(m: string) => void>('onWarning', o.onWarning);
  return Object.freeze({
    tf,
    data: checkData(tf, o.data),
    buildModel: fn<HypergradientSearchOptions['buildModel']>('buildModel', o.buildModel),
    hyperparameters,
    epochs: integer('epochs', o.epochs, 1),
    method,
    seed: o.seed === undefined ? 0 : integer('seed', o.seed, 0),
    loss: o.loss === undefined ? 'categoricalCrossentropy' : oneOf('loss', o.loss, ['categoricalCrossentropy', 'meanSquaredError'] as const),
    trainingLoss: o.trainingLoss === undefined ? null : fn<TrainingLossHook>('trainingLoss', o.trainingLoss),
    optimizer,
    batchSize: o.batchSize === undefined ? 32 : integer('batchSize', o.batchSize, 1),
    hyperEvery,
    hyperLearningRate: o.hyperLearningRate === undefined ? 0.1 : positiveNumber('hyperLearningRate', o.hyperLearningRate),
    onlineBeta: o.onlineBeta === undefined ? 0.02 : positiveNumber('onlineBeta', o.onlineBeta),
    unrollSteps,
    neumannSteps: o.neumannSteps === undefined ? 20 : integer('neumannSteps', o.neumannSteps, 0),
    hvpBatchSize: o.hvpBatchSize === undefined ? 256 : integer('hvpBatchSize', o.hvpBatchSize, 1),
    onWarning: warn,
    keepModel: o.keepModel === undefined ? false : boolean('keepModel', o.keepModel),
  });
}
