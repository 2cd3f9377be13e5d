/** The public shapes of the gradient-boosting learner (src/gbdt/index.ts). */
import type { Matrix } from '../automl/types.js';

export type GBDTTask = 'regression' | 'binary' | 'multiclass';

/** A design matrix: a Matrix ((n, d) row-major Float64Array) or rows of numbers; NaN = missing. */
export type MatrixInput = Matrix | ArrayLike<number>[];

/** fitGBDT's options; defaults (GBDT_DEFAULTS, src/gbdt/options.ts) as scikit-learn's HistGradientBoosting*. */
export interface FitGBDTOptions {
  X: MatrixInput;
  /** regression: targets; classification: class labels 0..k−1. */
  y: Float64Array | number[];
  task: GBDTTask;
  /** Classes of a multiclass task (default: max(y) + 1); binary: 2. */
  nClasses?: number;
  learningRate?: number; // 0.1
  maxIter?: number; // 100 (boosting iterations; multiclass grows k trees per iteration)
  maxLeafNodes?: number; // 31
  maxDepth?: number | null; // null: no limit
  minSamplesLeaf?: number; // 20
  l2Regularization?: number; // 0
  maxBins?: number; // 255 (non-missing bins per feature; missing values have their own)
  earlyStopping?: 'auto' | boolean; // 'auto': on when n > 10000
  validationFraction?: number; // 0.1 (stratified for classification)
  nIterNoChange?: number; // 10
  tol?: number; // 1e-7
  /** Columns holding category codes (integers >= 0 or NaN); split as ordered codes. */
  categorical?: number[];
  sampleWeight?: Float64Array | number[];
  seed?: number; // 0
  threads?: number; // every core
}

export interface PredictGBDTOptions {
  threads?: number;
}
