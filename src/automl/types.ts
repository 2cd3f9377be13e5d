/**
 * Shapes shared by the AutoML modules: the task, the numeric design matrix every learner reads, the
 * fitted-model contract every learner returns, and the learner contract the search drives.
 */
import type { Trial } from '../study/trial.js';

export type Task = 'binary' | 'multiclass' | 'regression';

/** A numeric design matrix: (n, d) row-major float64; NaN = missing. */
export interface Matrix {
  readonly data: Float64Array;
  readonly n: number;
  readonly d: number;
}

/** What every learner's fitted model offers. */
export interface FittedModel {
  /** regression: (n) predictions; binary: (n) P(class 1); multiclass: (n, k) row-major probabilities. */
  predict(X: Matrix): Promise<Float64Array>;
  /** JSON-serialisable state (numbers as numbers; big arrays as plain number arrays or base64 float64). */
  toJSON(): unknown;
  dispose?(): void;
}

/** A learner's hyperparameters as suggested by the trial, keyed without the family prefix. */
export type LearnerConfig = Readonly<Record<string, string | number | boolean>>;

export interface FitOptions {
  /**
   * The fidelity, a fraction in (0, 1]: the share of the learner's full iterations or epochs to run,
   * so that a multi-fidelity search can judge a configuration cheaply before paying for all of it.
   */
  readonly budget?: number;
  /** Seeds every random choice the learner makes (initial weights, dropout, bootstrap). */
  readonly seed: number;
  /** Number of classes for classification (labels are 0..k-1); inferred from y when absent. */
  readonly nClasses?: number;
}

/** One model family the search can choose. */
export interface Learner {
  /** Unique, also the prefix of the trial's parameter names ('linear' → 'linear.C'). */
  readonly name: string;
  readonly family: string;
  /** Tasks the learner handles. */
  readonly tasks: readonly Task[];
  /** Suggests the learner's hyperparameters, each named `${prefix}.${param}` (prefix defaults to name). */
  space(trial: Trial, prefix?: string): LearnerConfig;
  /** The configuration used when no search is run (the learner's own defaults). */
  defaults(task: Task): LearnerConfig;
  /** y: (n) float64 targets; class indices 0..k-1 for classification. */
  fit(X: Matrix, y: Float64Array, task: Task, config: LearnerConfig, opts: FitOptions): Promise<FittedModel>;
  /** Rebuilds a fitted model from its `toJSON()` output. */
  load(json: unknown): Promise<FittedModel>;
  /**
   * Why the learner cannot fit here (an optional dependency missing: tfjs, the native addon), or null
   * when it can; absent: always available.
   */
  unavailable?(): Promise<string | null>;
}

/** A column of a table as read: numbers (NaN = missing) or category labels (null = missing). */
export type Column =
  | { readonly name: string; readonly kind: 'numeric'; readonly values: Float64Array }
  | { readonly name: string; readonly kind: 'categorical'; readonly values: readonly (string | null)[] };

/** A table as read from a CSV file or JSON rows: every column has `nRows` values. */
export interface Table {
  readonly columns: readonly Column[];
  readonly nRows: number;
}
