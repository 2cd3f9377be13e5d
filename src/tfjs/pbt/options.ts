/**
 * The options of populationBasedTraining(), checked once into a frozen object; nothing downstream
 * checks them again.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../../errors.js';
import { resolveSeed } from '../../samplers/seed.js';
import { Study } from '../../study/study.js';
import type { Trial } from '../../study/trial.js';
import type { StudyDirection } from '../../trial/index.js';
import { boolean, integer, invalid, options } from '../../validate.js';
import { tfFor, type TfModule } from '../instance.js';
import { folderCheckpointStore } from './folder-store.js';
import { checkSpace, type Hyperparameters, type Space } from './space.js';
import { isCheckpointStore, type CheckpointStore } from './store.js';

/** What `buildModel` is told besides the hyperparameters. */
export interface PbtBuildContext {
  /** The member (slot of the population, 0-based) the model is for. */
  readonly member: number;
  /** A seed for the weight initialisers; the same for every build of one member's trial. */
  readonly seed: number;
  readonly tf: TfModule;
}

/** What the train callback gets for one interval of one member. */
export interface PbtTrainContext {
  /** Built by `buildModel(hyperparameters)` (so a new learning rate is in its optimizer), weights loaded. */
  readonly model: tfTypes.LayersModel;
  readonly hyperparameters: Hyperparameters;
  /** Train epochs [from, to): `model.fit(x, y, { initialEpoch: from, epochs: to })`. */
  readonly from: number;
  readonly to: number;
  /** to - from. */
  readonly epochs: number;
  readonly member: number;
  /** The member's current trial (its intermediate values are the reports). */
  readonly trial: Trial;
  /** A seed for this interval's shuffling or dropout; fixed by the PBT seed, the member and the interval. */
  readonly seed: number;
  readonly tf: TfModule;
  /** Records a score for epoch `epoch` (from <= epoch < to) as the trial's intermediate value. */
  report(value: number, epoch: number): void;
}

export interface PopulationBasedTrainingOptions {
  study: Study;
  /** Members trained side by side (>= 2). */
  population: number;
  /** Total epochs of every member. */
  epochs: number;
  /** Epochs between two exploit/explore steps. */
  interval: number;
  hyperparameters: Readonly<Record<string, unknown>>;
  buildModel: (hp: Hyperparameters, ctx: PbtBuildContext) => tfTypes.LayersModel | Promise<tfTypes.LayersModel>;
  /** Trains `ctx.model` for epochs [from, to) and returns the member's score (the study's direction). */
  train: (ctx: PbtTrainContext) => number | Promise<number>;
  /** Fraction of the population that copies the top fraction as large (0 < quantile <= 0.5; 0.25). */
  quantile?: number;
  /** Factors a number may be multiplied by in explore (default [0.8, 1.2]). */
  perturbFactors?: readonly number[];
  /** Probability of drawing a hyperparameter afresh instead of perturbing it (default 0.25). */
  resampleProbability?: number;
  /** A store, or a folder path (kept); default a temp folder removed at the end. */
  checkpoints?: CheckpointStore | string;
  seed?: number;
  /** Members training at once (default: the whole population). */
  concurrency?: number;
  /** Member crashes tolerated in all before giving up (default: the population size). */
  maxFailures?: number;
  /** Checkpoint and restore the optimizer's state (Adam's moments) with the weights (default true). */
  optimizerState?: boolean;
  tf?: TfModule;
}

export interface ResolvedPbtOptions {
  readonly study: Study;
  readonly direction: StudyDirection;
  readonly population: number;
  readonly epochs: number;
  readonly interval: number;
  readonly space: Space;
  readonly buildModel: PopulationBasedTrainingOptions['buildModel'];
  readonly train: PopulationBasedTrainingOptions['train'];
  readonly quantile: number;
  readonly perturbFactors: readonly number[];
  readonly resampleProbability: number;
  readonly store: CheckpointStore;
  /** Whether the store was made here (and is closed at the end). */
  readonly ownStore: boolean;
  readonly seed: number;
  readonly concurrency: number;
  readonly maxFailures: number;
  readonly optimizerState: boolean;
  readonly tf: TfModule;
}

const ALLOWED = [
  'study', 'population', 'epochs', 'interval', 'hyperparameters', 'buildModel', 'train', 'quantile', 'perturbFactors',
  'resampleProbability', 'checkpoints', 'seed', 'concurrency', 'maxFailures', 'optimizerState', 'tf',
];

function fn<T>(name: string, value: unknown): T {
  if (typeof value !== 'function') throw invalid(name, 'a function', value);
  return value as T;
}

export function resolvePbtOptions(opts: unknown): ResolvedPbtOptions {
  if (opts === undefined) throw invalid('populationBasedTraining options', 'an options object', opts);
  const o = options<PopulationBasedTrainingOptions>('populationBasedTraining options', opts, ALLOWED);
  if (!(o.study instanceof Study)) throw invalid('study', 'a Study (await createStudy(...))', o.study);
  if (o.study.directions.length !== 1) {
    throw new InvalidArgumentError(`Expected a single-objective study for \`study\` but received one with ${o.study.directions.length} directions`);
  }
  const population = integer('population', o.population, 2);
  const epochs = integer('epochs', o.epochs, 1);
  const interval = integer('interval', o.interval, 1, epochs);
  const space = checkSpace(o.hyperparameters);
  const quantile = o.quantile ?? 0.25;
  if (typeof quantile !== 'number' || !(quantile > 0 && quantile <= 0.5)) throw invalid('quantile', 'a number in (0, 0.5]', quantile);
  const factors = o.perturbFactors ?? [0.8, 1.2];
  if (!Array.isArray(factors) || factors.length === 0) throw invalid('perturbFactors', 'a non-empty array of positive numbers', factors);
  factors.forEach((f, i) => {
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) throw invalid(`perturbFactors[${i}]`, 'a positive finite number', f);
  });
  const resample = o.resampleProbability ?? 0.25;
  if (typeof resample !== 'number' || !(resample >= 0 && resample <= 1)) throw invalid('resampleProbability', 'a number in [0, 1]', resample);
  if (o.checkpoints !== undefined && typeof o.checkpoints !== 'string' && !isCheckpointStore(o.checkpoints)) {
    throw invalid('checkpoints', 'a CheckpointStore ({ save, load, delete }) or a folder path', o.checkpoints);
  }
  const buildModel = fn<PopulationBasedTrainingOptions['buildModel']>('buildModel', o.buildModel);
  const train = fn<PopulationBasedTrainingOptions['train']>('train', o.train);
  const seed = resolveSeed(o.seed);
  const concurrency = o.concurrency === undefined ? population : integer('concurrency', o.concurrency, 1);
  const maxFailures = o.maxFailures === undefined ? population : integer('maxFailures', o.maxFailures, 0);
  const optimizerState = o.optimizerState === undefined ? true : boolean('optimizerState', o.optimizerState);
  const tf = tfFor('populationBasedTraining', o.tf);
  // Last, once nothing else can throw: the default store makes a temp folder.
  const ownStore = o.checkpoints === undefined;
  const store: CheckpointStore =
    o.checkpoints === undefined ? folderCheckpointStore() : typeof o.checkpoints === 'string' ? folderCheckpointStore(o.checkpoints) : o.checkpoints;
  return Object.freeze({
    study: o.study,
    direction: o.study.direction,
    population,
    epochs,
    interval,
    space,
    buildModel,
    train,
    quantile,
    perturbFactors: Object.freeze([...factors]),
    resampleProbability: resample,
    store,
    ownStore,
    seed,
    concurrency,
    maxFailures,
    optimizerState,
    tf,
  });
}
