/**
 * The hyperparameter space of a population and the two ways PBT moves in it: sampling a fresh value
 * (the initial population, and "resample" in explore) and perturbing a value by a factor.
 *
 * Values are external ones (what `buildModel(hp)` sees); every value returned is a legal value of its
 * distribution (`contains`), so it can be stored as a trial parameter.
 */
import { distributionFrom, fromUnit, snap, toExternal, type Distribution, type ParamValue } from '../../distributions/index.js';
import { invalid } from '../../validate.js';
import type { Rng } from '../../util/rng.js';

export type Hyperparameters = Readonly<Record<string, ParamValue>>;
export type Space = Readonly<Record<string, Distribution>>;

/** How explore changed one hyperparameter: kept, multiplied by `factor`, or drawn afresh. */
export type ExploreStep = { readonly how: 'keep' } | { readonly how: 'perturb'; readonly factor: number } | { readonly how: 'resample' };

/** Checks `{ name: distribution }` (objects as `floatDistribution()` & co make, or plain ones). */
export function checkSpace(value: unknown): Space {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) {
    throw invalid('hyperparameters', 'a non-empty object of distributions ({ learningRate: floatDistribution(1e-4, 1e-1, true) })', value);
  }
  const out: Record<string, Distribution> = {};
  for (const [name, d] of Object.entries(value)) out[name] = distributionFrom(`hyperparameters.${name}`, d);
  return Object.freeze(out);
}

/** A value drawn uniformly (log-uniformly where `log`) from `d`. */
export function sampleValue(d: Distribution, rng: Rng): ParamValue {
  return toExternal(d, fromUnit(d, rng.random()));
}

export function sampleAll(space: Space, rng: Rng): Hyperparameters {
  const out: Record<string, ParamValue> = {};
  for (const [name, d] of Object.entries(space)) out[name] = sampleValue(d, rng);
  return Object.freeze(out);
}

/**
 * Explore (Jaderberg et al. 2017, §3.1): each hyperparameter is drawn afresh with probability
 * `resampleProbability`; otherwise a number is multiplied by one of `factors` (picked uniformly), then
 * clipped to the bounds and rounded to its integer or step grid, and a categorical one is kept.
 * A value of 0 stays 0 under perturbation (a factor cannot move it): give such a range some resampling.
 */
export function explore(
  hp: Hyperparameters,
  space: Space,
  rng: Rng,
  factors: readonly number[],
  resampleProbability: number,
): { hyperparameters: Hyperparameters; steps: Readonly<Record<string, ExploreStep>> } {
  const values: Record<string, ParamValue> = {};
  const steps: Record<string, ExploreStep> = {};
  for (const [name, d] of Object.entries(space)) {
    // Two draws for every parameter whatever happens, so one parameter's outcome never shifts the
    // random stream of the next (a schedule stays comparable when one range changes).
    const u = rng.random();
    const pick = rng.random();
    const current = hp[name] as ParamValue;
    if (u < resampleProbability) {
      values[name] = sampleValue(d, rng);
      steps[name] = { how: 'resample' };
    } else if (d.type === 'categorical') {
      values[name] = current;
      steps[name] = { how: 'keep' };
    } else {
      const factor = factors[Math.min(factors.length - 1, Math.floor(pick * factors.length))]!;
      values[name] = snap(d, (current as number) * factor);
      steps[name] = { how: 'perturb', factor };
    }
  }
  return { hyperparameters: Object.freeze(values), steps: Object.freeze(steps) };
}
