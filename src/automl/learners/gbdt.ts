/**
 * The histogram gradient-boosting learner (src/gbdt/, native) behind the AutoML `Learner` contract.
 * Boosting iterations are the fidelity: a budget b runs round(b · maxIter) trees, so a pruner judges a
 * configuration on its first trees before paying for all of them. Missing values (NaN) need no
 * imputation: each split learns which side they go to.
 */
import { fitGBDT, GBDTModel } from '../../gbdt/index.js';
import { addonAvailable } from '../../native/binding.js';
import type { Trial } from '../../study/trial.js';
import type { FitOptions, FittedModel, Learner, LearnerConfig, Matrix, Task } from '../types.js';

/**
 * Ranges of the search, as the HistGradientBoosting tuning studies use them (learning rate and leaves on
 * a log scale). `maxIter` tops at 300: with the learning rate searched down to 0.02, fewer trees leave
 * the slow rates under-fitted, and more cost a time budget of minutes too much per trial.
 */
const SPACE = {
  learningRate: [0.02, 0.3],
  maxIter: [50, 300],
  maxLeafNodes: [4, 64],
  minSamplesLeaf: [2, 64],
  l2Regularization: [1e-6, 10],
} as const;

/** scikit-learn's HistGradientBoosting* defaults, which fitGBDT also applies when an option is absent. */
const DEFAULTS: LearnerConfig = { learningRate: 0.1, maxIter: 100, maxLeafNodes: 31, minSamplesLeaf: 20, l2Regularization: 0 };

function num(config: LearnerConfig, key: string): number {
  const v = config[key];
  return typeof v === 'number' ? v : (DEFAULTS[key] as number);
}

export const gbdtLearner: Learner = {
  name: 'gbdt',
  family: 'gradient boosting',
  tasks: ['binary', 'multiclass', 'regression'],

  space(trial: Trial, prefix = 'gbdt'): LearnerConfig {
    const p = (k: string): string => `${prefix}.${k}`;
    return {
      learningRate: trial.suggestFloat(p('learningRate'), ...SPACE.learningRate, { log: true }),
      maxIter: trial.suggestInt(p('maxIter'), ...SPACE.maxIter, { log: true }),
      maxLeafNodes: trial.suggestInt(p('maxLeafNodes'), ...SPACE.maxLeafNodes, { log: true }),
      minSamplesLeaf: trial.suggestInt(p('minSamplesLeaf'), ...SPACE.minSamplesLeaf, { log: true }),
      l2Regularization: trial.suggestFloat(p('l2Regularization'), ...SPACE.l2Regularization, { log: true }),
    };
  },

  async unavailable(): Promise<string | null> {
    return addonAvailable() ? null : 'the native addon (which holds the gradient-boosting learner) is not built or not loadable here';
  },

  defaults(): LearnerConfig {
    return DEFAULTS;
  },

  async fit(X: Matrix, y: Float64Array, task: Task, config: LearnerConfig, opts: FitOptions): Promise<FittedModel> {
    const budget = opts.budget ?? 1;
    // A binary task has 2 classes even when a fold holds only one of them.
    const nClasses = task === 'regression' ? undefined : task === 'binary' ? 2 : (opts.nClasses ?? classCount(y));
    return fitGBDT({
      X,
      y,
      task,
      ...(nClasses === undefined ? {} : { nClasses }),
      learningRate: num(config, 'learningRate'),
      maxIter: Math.max(1, Math.round(budget * num(config, 'maxIter'))),
      maxLeafNodes: num(config, 'maxLeafNodes'),
      minSamplesLeaf: num(config, 'minSamplesLeaf'),
      l2Regularization: num(config, 'l2Regularization'),
      // NOTE: no early stopping inside the search: the fidelity already caps the trees, and a stop on an
      // inner validation split would make the iteration count (and so the pruner's rungs) noisy.
      earlyStopping: false,
      seed: opts.seed,
    });
  },

  async load(json: unknown): Promise<FittedModel> {
    return GBDTModel.fromJSON(json as Parameters<typeof GBDTModel.fromJSON>[0]);
  },
};

/** k for labels 0..k-1: the largest label + 1. */
function classCount(y: Float64Array): number {
  let k = 0;
  for (const v of y) if (v + 1 > k) k = v + 1;
  return k;
}
