/**
 * Hypergradients for the continuous hyperparameters of a tfjs training loop: the learning rate, weight
 * decay (global, per layer, per variable, per output unit) and the user's own differentiable scalars.
 *
 *   hypergradientSearch({ data, buildModel, hyperparameters, epochs, method: 'implicit' })
 *   hypergradient.search(...)            the same
 *   hypergradient.problem({ model, data, hyperparameters })  → a Problem over a model's weights
 *   hypergradient.implicit(problem, { neumannSteps })        → dL_V/dλ at the current weights
 *   hypergradient.unrolled(problem, { steps })               → K SGD steps and dL_V/d(λ, α) through them
 *   hypergradient.onlineLearningRate(optimizer, { beta })    → Baydin et al.'s rule around a tf.train optimiser
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { invalid, oneOf, options } from '../../validate.js';
import { tfFor, type TfModule } from '../instance.js';
import { implicitHypergradient, unrolledHypergradient } from './hypergrads.js';
import { networkOf, type LossName } from './network.js';
import { OnlineLearningRate, type OnlineLearningRateOptions } from './online.js';
import { checkData } from './options.js';
import { Problem, type HyperData, type TrainingLossHook } from './problem.js';
import { hypergradientSearch } from './search.js';
import { checkSpace, layoutFor, type HyperparameterSpace } from './space.js';

export interface ProblemOptions {
  readonly tf?: TfModule;
  /** A model of dense layers; its variables are the inner weights (the problem reads and writes them). */
  readonly model: tfTypes.LayersModel;
  readonly data: HyperData;
  readonly hyperparameters: HyperparameterSpace;
  readonly loss?: LossName;
  readonly trainingLoss?: TrainingLossHook;
}

/** A Problem over `model`'s weights: λ in `problem.values` (natural domain), names in `problem.layout.entries`. */
export function createProblem(opts: ProblemOptions): Problem {
  const o = options<ProblemOptions>('hypergradient.problem options', opts, ['tf', 'model', 'data', 'hyperparameters', 'loss', 'trainingLoss']);
  const tf = tfFor('hypergradient.problem', o.tf);
  if (o.model === undefined || typeof (o.model as { getClassName?: unknown }).getClassName !== 'function') throw invalid('model', 'a tf.LayersModel', o.model);
  if (o.trainingLoss !== undefined && typeof o.trainingLoss !== 'function') throw invalid('trainingLoss', 'a function', o.trainingLoss);
  const loss = o.loss === undefined ? 'categoricalCrossentropy' : oneOf('loss', o.loss, ['categoricalCrossentropy', 'meanSquaredError'] as const);
  const net = networkOf(tf, o.model, loss);
  const layout = layoutFor(checkSpace(o.hyperparameters), net, 0.1);
  return new Problem(tf, net, layout, checkData(tf, o.data), loss, o.trainingLoss ?? null);
}

export const hypergradient = Object.freeze({
  search: hypergradientSearch,
  problem: createProblem,
  implicit: implicitHypergradient,
  unrolled: unrolledHypergradient,
  onlineLearningRate: (optimizer: tfTypes.Optimizer, opts?: OnlineLearningRateOptions) => new OnlineLearningRate(optimizer, opts),
  OnlineLearningRate,
});

export { hypergradientSearch, type HypergradientSearchResult, type HypergradientHistoryEntry } from './search.js';
export type { HypergradientSearchOptions, HypergradientMethod, BuildModelContext } from './options.js';
export type { HyperparameterSpace, HyperRange, WeightDecayRange, DecayScope } from './space.js';
export type { HyperData, TrainingLossArgs, TrainingLossHook } from './problem.js';
export type { ImplicitOptions, UnrolledOptions, Hypergradient } from './hypergrads.js';
export type { LossName } from './network.js';
export { Problem, OnlineLearningRate, type OnlineLearningRateOptions };
