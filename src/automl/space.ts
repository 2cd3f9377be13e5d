/**
 * The AutoML search space: one conditional space (CASH: combined algorithm selection and
 * hyperparameter optimisation) over the learner, the preprocessing that suits it and the learner's own
 * hyperparameters. A trial first picks `learner`; everything after is asked only of the trials that
 * need it, so each learner's parameters form a group that TPE's `group` mode models jointly.
 *
 * Parameter names: `learner`; `prep.numericImpute`, `prep.categoricalImpute`, `prep.encoding` (only
 * when the data have categorical columns), `prep.scaling` (learners that are not trees),
 * `prep.selection`, `prep.topk` (a fraction of the encoded columns); `<learner>.<param>` (the learner's).
 */
import type { Trial } from '../study/trial.js';
import type { PreprocessConfig } from './preprocess.js';
import type { Learner, LearnerConfig } from './types.js';

/** A pipeline as the search describes it: JSON, stored with its trial (user attribute `pipeline`). */
export interface PipelineSpec {
  readonly learner: string;
  readonly preprocess: PreprocessConfig;
  readonly config: LearnerConfig;
}

/** What the space needs to know about the data. */
export interface DataShape {
  readonly hasCategorical: boolean;
  /** Encoded widths (columns after one-hot or ordinal encoding) of the feature columns. */
  readonly width: { readonly onehot: number; readonly ordinal: number };
}

/**
 * Learners whose `fit` reads `budget` (trees, epochs): judged at each fidelity of FIDELITIES by the
 * pruner. The others cost the same at any budget and are fitted once, at full budget, unpruned.
 */
export const MULTI_FIDELITY = new Set(['gbdt', 'mlp', 'forest']);

/**
 * Budget fractions at which a multi-fidelity pipeline is scored, and the step each is reported at
 * (budget × FIDELITY_STEPS): η = 3 rungs of Hyperband (minResource 1, maxResource 9).
 */
export const FIDELITIES = [1 / 9, 1 / 3, 1] as const;
export const FIDELITY_STEPS = 9;

/** Trees split on thresholds: scaling changes nothing, and one-hot columns only dilute their splits. */
const TREES = new Set(['gbdt', 'forest']);

/** Feature selection is tried only with at least this many encoded columns; with fewer it can only hurt. */
const MIN_WIDTH_FOR_SELECTION = 8;

export function suggestPipeline(trial: Trial, learners: readonly Learner[], shape: DataShape): PipelineSpec {
  const name = trial.suggestCategorical('learner', learners.map((l) => l.name));
  const learner = learners.find((l) => l.name === name)!;
  const preprocess: { -readonly [K in keyof PreprocessConfig]: PreprocessConfig[K] } = {
    numericImpute: trial.suggestCategorical('prep.numericImpute', ['median', 'mean']),
  };
  if (shape.hasCategorical) {
    preprocess.categoricalImpute = trial.suggestCategorical('prep.categoricalImpute', ['missing', 'most_frequent']);
    preprocess.encoding = TREES.has(name) ? 'ordinal' : trial.suggestCategorical('prep.encoding', ['onehot', 'ordinal']);
  } else {
    preprocess.encoding = 'onehot';
  }
  preprocess.scaling = TREES.has(name) ? 'none' : trial.suggestCategorical('prep.scaling', ['standard', 'none']);
  const width = shape.width[preprocess.encoding];
  if (width >= MIN_WIDTH_FOR_SELECTION) {
    const selection = trial.suggestCategorical('prep.selection', ['none', 'topk']);
    if (selection === 'topk') {
      const fraction = trial.suggestFloat('prep.topk', 0.2, 1);
      preprocess.selection = { kind: 'topk', k: Math.max(1, Math.round(fraction * width)) };
    }
  }
  return { learner: name, preprocess, config: learner.space(trial, name) };
}

/**
 * The preprocessing of the first trials: what a user would set up by hand (median imputation, missing
 * labels as a level of their own, one-hot encoding, standard scaling, every column).
 */
const DEFAULT_PREPROCESSING = {
  'prep.numericImpute': 'median',
  'prep.categoricalImpute': 'missing',
  'prep.encoding': 'onehot',
  'prep.scaling': 'standard',
  'prep.selection': 'none',
} as const;

/**
 * Parameters that start a fresh study: each learner's own defaults on the default preprocessing, so the
 * first trials are the baselines a user would try by hand (a value a trial never asks for, or one
 * outside the searched range, is ignored or sampled instead).
 */
export function defaultTrials(learners: readonly Learner[], task: Parameters<Learner['defaults']>[0]): Record<string, string | number | boolean>[] {
  return learners.map((l) => {
    const params: Record<string, string | number | boolean> = { learner: l.name, ...DEFAULT_PREPROCESSING };
    for (const [k, v] of Object.entries(l.defaults(task))) params[`${l.name}.${k}`] = v;
    return params;
  });
}
