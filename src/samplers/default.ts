/**
 * The sampler a study gets when none is given.
 *
 * NOTE: chosen on the evidence of bench/regret (bench/RESULTS.md, "Sampler regret"): on all four reference
 * problems the GPSampler's median simple regret is far below every other sampler's, tunable's and
 * Optuna's (e.g. Ackley-5: 2.55 against 6.2 for the best Optuna sampler), at ~20–60 ms per suggestion up
 * to 300 trials. It needs the native engine and one objective; otherwise TPE, the best of the rest on
 * average and cheap at any history size, is used. For studies of well over 1000 trials, or cheap
 * objectives where sampler time dominates, pass `new TPESampler()` explicitly (see the README).
 */
import { engine } from '../engine/index.js';
import type { StudyDirection } from '../trial/index.js';
import type { Sampler } from './base.js';
import { GPSampler } from './gp/index.js';
import { TPESampler } from './tpe/index.js';

export function defaultSampler(directions: readonly StudyDirection[], seed?: number): Sampler {
  const opts = seed === undefined ? {} : { seed };
  if (directions.length === 1 && engine.backends().length > 0) return new GPSampler(opts);
  return new TPESampler(opts);
}
