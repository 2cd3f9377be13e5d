/** Public types of the native Gaussian-process engine (`engine` in src/engine/index.ts). */
import type { GP } from './gp.js';

export type Kernel = 'matern52' | 'rbf';
/** `auto` picks `cuda` when this build has it, a device answers and cuBLAS/cuSOLVER load; else `cpu`. */
export type BackendName = 'auto' | 'cpu' | 'cuda';
export type AcquisitionName = 'logei' | 'ei' | 'pi' | 'ucb';
/**
 * The value each pending point is observed at in its fantasy (native/README.md, "Pending points"):
 * - 'mean': the posterior mean there (kriging believer): only the variance collapses, at the point, so
 *   with a confident model the next maximiser sits just beside it;
 * - 'min': the smallest observed y (constant liar, pessimistic): the mean also drops in a neighbourhood
 *   of about a lengthscale, so the next maximiser moves away;
 * - 'max': the largest observed y (constant liar at the incumbent, optimistic): the mean moves towards it
 *   around the point (up, unless the mean there was already above it).
 * The GPSampler uses 'mean': measured against both liars in bench/distributed/batch.ts (see the sampler).
 */
export type FantasyName = 'mean' | 'min' | 'max';

/** Kernel hyperparameters in the units of the data: k = outputscale · k(r) + noise · δ, constant mean. */
export interface Hyperparameters {
  lengthscales: number[];
  outputscale: number;
  noise: number;
  mean: number;
}

/**
 * A categorical dimension: its index (choices = the distinct values seen in X), or the index with
 * the number of choices k (encoded as i/(k-1), i = 0..k-1) or the explicit encoded values.
 */
export type CategoricalSpec = number | { dim: number; choices: number | number[] };

/** An integer dimension for the acquisition optimiser: `levels` values i/(levels-1), or explicit values. */
export type IntegerSpec = { dim: number; levels: number } | { dim: number; values: number[] };

export interface FitGPOptions {
  /** Inputs in [0, 1]^d: rows, or a row-major Float64Array with `d`. */
  X: number[][] | Float64Array;
  /** Number of columns when X is a flat Float64Array. */
  d?: number;
  /** Outputs (larger is better for the acquisition functions), used as given. */
  y: number[] | Float64Array;
  /** Default 'matern52' (Matérn-5/2 with a lengthscale per dimension). */
  kernel?: Kernel;
  /** Random starts besides the warm (or default) start. Default 4. */
  restarts?: number;
  /** Seed of the random starts. Default 0. */
  seed?: number;
  /** Default 'auto' (the chosen one is `gp.backend`). */
  backend?: BackendName;
  /** CUDA only: device-memory cap in bytes for this model (and its fantasy copies); default none. */
  deviceMemoryLimit?: number;
  categorical?: CategoricalSpec[];
  /** Hyperparameters to start from (e.g. the previous fit). */
  warmStart?: Hyperparameters;
  /**
   * `true`: use `warmStart` as it is, no optimisation (evaluation at fixed hyperparameters).
   * An object: hold those hyperparameters at the given values and fit the others.
   */
  fixed?: boolean | Partial<Hyperparameters>;
  /** Threads for this model's heavy calls. Default: 1 for n < 1000, else min(cores, 2, idle cores by the load average) (at least 1). */
  threads?: number;
  /** L-BFGS-B iterations per start; default automatic (fewer for large n). */
  maxIterations?: number;
  /** Noise floor relative to var(y): noise >= noiseFloor · var(y). Default 1e-6. */
  noiseFloor?: number;
  /** Diagnostics and benchmark variants of this model's calls; none changes a result but `memoryCheck`'s failures. */
  debug?: DebugOptions;
}

/**
 * Switches for diagnostics and benchmarks, per model (fitGP's `debug`); every call of the model and of its
 * copies uses them. Defaults: ENGINE_DEFAULTS.debug.
 */
export interface DebugOptions {
  /**
   * Print each call's host split to stderr (fit, predict, acquisition, maximize, thompson: argument
   * conversion, queue, compute, back to the main thread, results) and, on CUDA, each posterior's and
   * acquisition's device split by phase. Default false.
   */
  profile?: boolean;
  /**
   * The fail-fast check of large host allocations against the memory available (native/README.md,
   * "Failing fast"). false: the allocations themselves fail, still as OutOfMemoryError. Default true.
   */
  memoryCheck?: boolean;
  /** CUDA: the posterior's triangular solve, 'blocked' (dgemm on inverted diagonal blocks, default) or 'cublas' (cublasDtrsm). */
  solve?: 'blocked' | 'cublas';
  /** CUDA: rows per block of the blocked solve, 32…1024. Default: the backend's measured 128. */
  solveBlock?: number;
  /** CUDA: multi-start likelihood calls are one batch at n <= batchMaxN (0 = never). Default: the measured 2048. */
  batchMaxN?: number;
  /** CUDA: a batch factorises with potrfBatched at n <= potrfBatchedMaxN (0 = never). Default: the measured 256. */
  potrfBatchedMaxN?: number;
}

export interface PredictOptions {
  /** Also return the (m, m) posterior covariance, row-major. */
  covariance?: boolean;
  /** Also return ∂mean/∂x and ∂variance/∂x, (m, d) row-major. */
  gradient?: boolean;
  /** Mean and variance computed in float32 (screening accuracy, see native/README.md); no gradient/covariance. */
  float32?: boolean;
}

export interface Prediction {
  /** Posterior mean of f, in y's units. */
  mean: Float64Array;
  /** Posterior variance of the latent f (no observation noise). */
  variance: Float64Array;
  covariance?: Float64Array;
  meanGradient?: Float64Array;
  varianceGradient?: Float64Array;
}

export interface AcquisitionOptions {
  /** Default 'logei'. */
  acquisition?: AcquisitionName;
  /** Incumbent for logei/ei/pi. Default max(y). */
  best?: number;
  /** UCB exploration: μ + √β σ. Default 2. */
  beta?: number;
  /** Points still being evaluated: (q, d) rows or a row-major Float64Array. */
  pending?: number[][] | Float64Array;
  /** What each pending point is fantasised at (FantasyName). Default 'mean'. */
  fantasy?: FantasyName;
}

export interface MaximizeOptions extends AcquisitionOptions {
  /** Scrambled-Sobol' raw samples. Default 1024. */
  rawSamples?: number;
  /** L-BFGS-B starts (the incumbent + the best raw samples). Default 10. */
  restarts?: number;
  integer?: IntegerSpec[];
  /** Seed of the Sobol' scramble. Default 0. */
  seed?: number;
  /** L-BFGS-B iterations per start. Default 200. */
  maxIterations?: number;
  /**
   * Score the raw samples in float32 (kernel block, factor and triangular solve; sums in float64).
   * Only the ranking of the raw samples is affected: the starts are optimised and the returned value
   * computed in float64. Accuracy: see native/README.md. Default false.
   */
  float32?: boolean;
}

export interface ThompsonOptions {
  /** Proposals (distinct points, e.g. one per idle worker). */
  q: number;
  /** Scrambled-Sobol' candidate points; each proposal is a joint posterior sample's argmax over them. Default 1024 on the CPU, 8192 on CUDA. */
  candidates?: number;
  /** Seed of the candidates and the samples. Default 0. */
  seed?: number;
  /** Points still being evaluated (kriging-believer fantasies). */
  pending?: number[][] | Float64Array;
  integer?: IntegerSpec[];
}

export interface ThompsonResult {
  /** (q, d) row-major proposals. */
  x: Float64Array;
  /** (q) the maximum of each joint sample. */
  values: Float64Array;
  /** Added to the candidates' posterior covariance (relative escalation, as in fitting). */
  jitter: number;
  warnings: string[];
}

export interface AcquisitionValues {
  value: Float64Array;
  /** (m, d) row-major when asked for. */
  gradient?: Float64Array;
}

export interface MaximizeResult {
  x: Float64Array;
  value: number;
  warnings: string[];
}

export interface LikelihoodAt {
  value: number;
  /** Gradient in θ = [log ℓ_1..log ℓ_d, log outputscale, log noise, mean]. */
  gradient: Float64Array;
}

export interface FitInfo {
  starts: number;
  optimized: number;
  iterations: number;
  evaluations: number;
  batchedCalls: number;
  jitter: number;
  /**
   * Wall time of the fit as the caller sees it: building the native model (uploading the data, on CUDA),
   * the optimisation, and, under backend 'auto', a refit on the CPU after the device ran out of memory.
   */
  milliseconds: number;
}

/**
 * One model of a weighted GP ensemble (RGPE transfer learning: a GP per source study plus the target's
 * own). The ensemble's posterior is μ = Σ weight·μ_i, σ² = Σ weight²·σ_i² (native/core/ensemble.hpp).
 */
export interface EnsembleMember {
  /** A fitted GP (any backend); the call does not dispose it. */
  gp: GP;
  /** Finite, >= 0; used as given (not normalised). At least one member's is > 0. */
  weight: number;
  /**
   * The ensemble's columns this GP models, in the GP's own column order (gp.d === dims.length): the
   * GP's column j is the ensemble's column dims[j], and the other columns do not move it. Default:
   * every column in order (gp.d === d).
   */
  dims?: number[];
  /**
   * The `pending` points are fantasised in this member (kriging believer: observed at its posterior
   * mean). At most one member; it must see every column.
   */
  pending?: boolean;
}

export interface MaximizeEnsembleOptions {
  members: EnsembleMember[];
  /** The ensemble's number of columns. */
  d: number;
  /** Default 'logei'. */
  acquisition?: AcquisitionName;
  /** The incumbent (on the members' scale): required for logei, ei and pi. */
  best?: number;
  /** UCB exploration: μ + √β σ. Default 2. */
  beta?: number;
  /** Points still being evaluated, (q, d) rows or a row-major Float64Array: fantasised in the pending member. */
  pending?: number[][] | Float64Array;
  /** Scrambled-Sobol' raw samples. Default 1024 (131072 when every member is on CUDA). */
  rawSamples?: number;
  /** L-BFGS-B starts (the incumbent, if given, + the best raw samples). Default 10 (64 on CUDA). */
  restarts?: number;
  /** Seed of the Sobol' scramble. Default 0. */
  seed?: number;
  /** L-BFGS-B iterations per start. Default 200. */
  maxIterations?: number;
  /** Integer columns of the ensemble. */
  integer?: IntegerSpec[];
  /** Categorical columns of the ensemble: choice i is encoded i/(choices − 1); every choice is enumerated. */
  categorical?: Array<{ dim: number; choices: number }>;
  /** (d) an extra start, e.g. the best target point; snapped to the integer and categorical grids. */
  incumbent?: number[] | Float64Array;
}

export interface EnsemblePrediction {
  /** (m) Σ weight·μ_i. */
  mean: Float64Array;
  /** (m) Σ weight²·σ_i² (latent, no noise). */
  variance: Float64Array;
}
