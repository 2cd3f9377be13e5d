/**
 * One GP step: transform the objective values, fit the engine's GP (warm-started), maximise the
 * acquisition with the running trials as pending points, return the proposal.
 */
import { engine } from '../../engine/index.js';
import { warnOnce } from '../../util/warn.js';
import type { GP } from '../../engine/gp.js';
import type { FantasyName, Hyperparameters } from '../../engine/types.js';
import type { Encoding } from './encode.js';
import type { ResolvedOptions } from './options.js';

/**
 * What the running trials are fantasised at: the kriging believer (the posterior mean). Against the
 * constant liar at the smallest or the largest value, 32 workers on hartmann6 reached a median regret of
 * 0.004–0.013 against 0.54–0.65 and 0.77–0.78 (bench/distributed/batch.ts; sampler.ts's header).
 */
export const PENDING_FANTASY: FantasyName = 'mean';

/** Above this |value| transformValues rescales first: squares of 1e100 stay far from overflow. */
const HUGE_VALUE = 1e100;

/**
 * Values (larger is better) → the targets the GP is fitted to, standardised (mean 0, sd 1).
 *
 * With 'log' warping, each value's gap to the best, g = max − v (>= 0), becomes log(1 + g / s) with s
 * the median positive gap. Near the best (g << s) this is linear, so the shape of the optimum's basin is
 * kept; far away it grows only logarithmically, so a handful of terrible trials (Rosenbrock's corners,
 * Branin's ridges) no longer stretch the standardised scale until everything good looks flat. The
 * transform is monotone, so the ranking of trials — and the incumbent — are unchanged.
 *
 * Values near the ends of float64 (|v| ~ 1e300) would overflow the gaps, sums and squares below: they are
 * first divided by the largest |v| (monotone too).
 */
export function transformValues(values: readonly number[], warping: ResolvedOptions['outputWarping']): Float64Array {
  return fitValueTransform(values, warping).y;
}

/** The constants of one transformValues call: what maps the GP's scale back to values (the dashboard's surrogate). */
export interface ValueTransform {
  /** Values were divided by this first (their largest |value| above HUGE_VALUE; otherwise 1). */
  readonly divisor: number;
  /** 'log' where the gaps to the best were compressed (g → log(1 + g / gapScale)); 'none' otherwise. */
  readonly warping: 'log' | 'none';
  /** The largest divided value; with 'log' warping, the warped scale's 0. */
  readonly best: number;
  /** The median positive gap to the best with 'log' warping; 1 otherwise. */
  readonly gapScale: number;
  /** Standardisation: y = (warped − mean) / sd. */
  readonly mean: number;
  readonly sd: number;
}

/** transformValues, with the constants it used. */
export function fitValueTransform(values: readonly number[], warping: ResolvedOptions['outputWarping']): { y: Float64Array; transform: ValueTransform } {
  const n = values.length;
  const y = Float64Array.from(values);
  let largest = 0;
  for (const v of y) largest = Math.max(largest, Math.abs(v));
  const divisor = largest > HUGE_VALUE ? largest : 1;
  if (divisor !== 1) for (let i = 0; i < n; i++) y[i] = y[i]! / divisor;
  let max = -Infinity;
  for (const v of y) max = Math.max(max, v);
  let gapScale = 1;
  let warped = false;
  if (warping === 'log' && n >= 3) {
    const gaps = Array.from(y, (v) => max - v).filter((g) => g > 0).sort((a, b) => a - b);
    const s = gaps.length > 0 ? gaps[(gaps.length - 1) >> 1]! : 0;
    if (s > 0 && Number.isFinite(s)) {
      for (let i = 0; i < n; i++) y[i] = -Math.log1p((max - y[i]!) / s);
      gapScale = s;
      warped = true;
    }
  }
  let mean = 0;
  for (const v of y) mean += v;
  mean /= n;
  let variance = 0;
  for (const v of y) variance += (v - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(variance / (n - 1)) : 0;
  // Constant values (or a single one): centred only; the engine copes with a zero-variance target.
  const scale = sd > 0 && Number.isFinite(sd) ? sd : 1;
  for (let i = 0; i < n; i++) y[i] = (y[i]! - mean) / scale;
  return { y, transform: { divisor, warping: warped ? 'log' : 'none', best: max, gapScale, mean, sd: scale } };
}

export interface StepInput {
  /** The GP's input space: its dimension, categorical and integer dimensions (an Encoding, or one with a budget column). */
  readonly enc: Pick<Encoding, 'd' | 'categorical' | 'integer'>;
  /** The incumbent of LogEI (transformed scale); default: the largest of `y`. */
  readonly best?: number;
  /** Encoded points of the trials with values, (n, d) row-major. */
  readonly X: Float64Array;
  /** Their transformed values. */
  readonly y: Float64Array;
  /** Encoded points of the RUNNING trials, (q, d) row-major. */
  readonly pending: Float64Array;
  readonly warm: Hyperparameters | undefined;
  readonly fitSeed: number;
  readonly acqSeed: number;
  readonly o: ResolvedOptions;
}

export interface StepOutput {
  readonly x: Float64Array;
  readonly hyperparameters: Hyperparameters;
}

/**
 * One step on the sampler's backend. With 'auto' on a CUDA device, a step the device has no room for
 * (fitGP already falls back by itself; this catches the acquisition search: fantasies, raw samples) is
 * run again, whole and with the same seeds, on the CPU backend.
 */
export async function gpStep(s: StepInput): Promise<StepOutput> {
  return onBackend(s.o.backend, (backend) => stepOn(s, backend));
}

/** `run` on `backend`; with 'auto', once more on the CPU when the CUDA device ran out of memory (see gpStep). */
export async function onBackend<T>(backend: ResolvedOptions['backend'], run: (backend: ResolvedOptions['backend']) => Promise<T>): Promise<T> {
  try {
    return await run(backend);
  } catch (e) {
    if (backend !== 'auto' || !engine.isDeviceOutOfMemory(e)) throw e;
    warnOnce('TUNABLE_CUDA_OUT_OF_MEMORY', `GPSampler (backend 'auto'): the CUDA device ran out of memory (${(e as Error).message}); this step ran on the CPU backend instead`, 'GPSampler step: TUNABLE_CUDA_OUT_OF_MEMORY');
    return run('cpu');
  }
}

/** The step's GP, fitted to (X, y) from the warm start with the sampler's budget; the caller disposes it. */
export function fitStepModel(s: Omit<StepInput, 'best' | 'pending' | 'acqSeed'>, backend: ResolvedOptions['backend']): Promise<GP> {
  const { enc, o } = s;
  return engine.fitGP({
    X: s.X,
    d: enc.d,
    y: s.y,
    kernel: o.kernel,
    restarts: o.fitRestarts,
    seed: s.fitSeed,
    backend,
    ...(enc.categorical.length > 0 ? { categorical: enc.categorical } : {}),
    ...(s.warm !== undefined ? { warmStart: s.warm } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
  });
}

async function stepOn(s: StepInput, backend: ResolvedOptions['backend']): Promise<StepOutput> {
  const { enc, o } = s;
  const gp = await fitStepModel(s, backend);
  try {
    const r = await gp.maximizeAcquisition({
      acquisition: o.acquisition,
      ...(o.acquisition === 'ucb' ? { beta: o.beta } : {}),
      ...(s.best !== undefined ? { best: s.best } : {}),
      ...(s.pending.length > 0 ? { pending: s.pending, fantasy: PENDING_FANTASY } : {}),
      rawSamples: o.rawSamples,
      restarts: o.restarts,
      seed: s.acqSeed,
      ...(enc.integer.length > 0 ? { integer: enc.integer } : {}),
    });
    return { x: r.x, hyperparameters: gp.hyperparameters };
  } finally {
    gp.dispose();
  }
}
