/**
 * The surrogate explorer's model: the Gaussian process a GPSampler with default options would fit to
 * a study now, as JSON a browser evaluates by itself (posterior-reference.ts holds the formulas).
 *
 * Same as the sampler (src/samplers/gp/): the search space is the intersection of the COMPLETE trials'
 * parameters less single-valued ones, sorted by name (`gpSpace`), encoded into [0, 1]^d by `Encoding`;
 * values are sign-flipped for a minimised objective, warped and standardised by `fitValueTransform` (the sampler's transformValues) with
 * the default output warping; the kernel, the random restarts and the backend are `resolveOptions({})`'s.
 * PRUNED trials are left out, as the sampler leaves them by default.
 * Different: no warm start from the sampler's last hyperparameters (the fit depends on the trials
 * alone), and the fit's seed is fixed (SURROGATE_FIT_SEED), so one study state gives one surrogate.
 * Another objective of a multi-objective study may be modelled the same way (the sampler itself is
 * single-objective).
 */
import type { Distribution } from '../distributions/index.js';
import { engine } from '../engine/index.js';
import type { GP } from '../engine/gp.js';
import { InvalidStateError } from '../errors.js';
import { Encoding, gpSpace } from '../samplers/gp/encode.js';
import { fitValueTransform } from '../samplers/gp/model.js';
import { resolveOptions, type ResolvedOptions } from '../samplers/gp/options.js';
import { MAX_GP_DIMS } from '../samplers/gp/sampler.js';
import { intersectionSearchSpace } from '../samplers/search-space.js';
import { TrialState, type FrozenTrial, type StudyDirection } from '../trial/index.js';
import { integer } from '../validate.js';
import type { SurrogateJSON, SurrogateScale } from './posterior-reference.js';

export type { SurrogateJSON, SurrogateScale } from './posterior-reference.js';

/** The seed of the fit's random restarts. */
export const SURROGATE_FIT_SEED = 0;
/**
 * The most observations the explorer models. A fit costs O(n³) per likelihood evaluation and the
 * browser evaluates O(n²) per grid point; past a few thousand trials neither is interactive.
 */
export const MAX_SURROGATE_TRIALS = 2000;
/** Trials needed for a model: one point says nothing about how the objective varies. */
export const MIN_SURROGATE_TRIALS = 2;

let defaults: ResolvedOptions | null = null;

/** The GPSampler's defaults (resolved once: it also builds a default independent sampler). */
function samplerDefaults(): ResolvedOptions {
  return (defaults ??= resolveOptions({}));
}

/** The transform's constants for `values` (signed: larger is better), so the browser can map the GP's scale back. */
export function transformScale(values: readonly number[], warping: ResolvedOptions['outputWarping'], sign: 1 | -1): SurrogateScale {
  return { sign, ...fitValueTransform(values, warping).transform };
}

/**
 * Fits the surrogate of objective `objective` to the study's trials. The caller owns the returned GP
 * (`gp.dispose()` releases it). Throws InvalidArgumentError for an objective index out of range and
 * InvalidStateError when there is nothing to model: fewer than MIN_SURROGATE_TRIALS COMPLETE trials
 * with a finite value, no parameter every COMPLETE trial has (with one distribution and more than one
 * value), more than MAX_GP_DIMS such parameters, or more than MAX_SURROGATE_TRIALS trials.
 */
export async function fitSurrogate(
  trials: readonly FrozenTrial[],
  directions: readonly StudyDirection[],
  objective = 0,
): Promise<{ json: SurrogateJSON; gp: GP }> {
  integer('objective', objective, 0, directions.length - 1);
  const o = samplerDefaults();
  const sign = directions[objective] === 'maximize' ? 1 : -1;
  const complete = trials.filter((t) => t.state === TrialState.COMPLETE);
  const space: Record<string, Distribution> = gpSpace(intersectionSearchSpace(complete));
  const enc = new Encoding(space);
  const X: number[] = [];
  const values: number[] = [];
  const numbers: number[] = [];
  for (const t of complete) {
    const v = t.values?.[objective];
    const x = v !== undefined && Number.isFinite(v) ? enc.encodeTrial(t) : null;
    if (x === null) continue;
    X.push(...x);
    values.push(sign * v!);
    numbers.push(t.number);
  }
  const n = values.length;
  if (n < MIN_SURROGATE_TRIALS) {
    throw new InvalidStateError(`The surrogate needs at least ${MIN_SURROGATE_TRIALS} COMPLETE trials with a value for objective ${objective}; the study has ${n}`);
  }
  if (enc.d === 0) {
    throw new InvalidStateError(
      'The surrogate has no parameter to model: none is present with one distribution and more than one possible value in every COMPLETE trial',
    );
  }
  if (enc.d > MAX_GP_DIMS) {
    throw new InvalidStateError(`The surrogate models at most ${MAX_GP_DIMS} parameters; the COMPLETE trials share ${enc.d}`);
  }
  if (n > MAX_SURROGATE_TRIALS) {
    throw new InvalidStateError(`The surrogate models at most ${MAX_SURROGATE_TRIALS} trials; the study has ${n} COMPLETE trials`);
  }
  const { y, transform } = fitValueTransform(values, o.outputWarping);
  const gp = await engine.fitGP({
    X: Float64Array.from(X),
    d: enc.d,
    y,
    kernel: o.kernel,
    restarts: o.fitRestarts,
    seed: SURROGATE_FIT_SEED,
    backend: o.backend,
    ...(enc.categorical.length > 0 ? { categorical: enc.categorical } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
  });
  const h = gp.hyperparameters;
  const json: SurrogateJSON = {
    objective,
    kernel: gp.kernel,
    names: [...enc.names],
    distributions: space,
    d: enc.d,
    categoricalDims: enc.categorical.map((c) => (typeof c === 'number' ? c : c.dim)),
    n,
    X,
    y: Array.from(y),
    trialNumbers: numbers,
    hyperparameters: { lengthscales: [...h.lengthscales], outputscale: h.outputscale, noise: h.noise, mean: h.mean },
    jitter: gp.fitInfo.jitter,
    toObjective: { sign, ...transform },
  };
  return { json, gp };
}
