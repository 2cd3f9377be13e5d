/**
 * Mutation of one parameter value (internal), on internal values:
 * - categorical: another choice, uniformly (the NAS-style "replace this op by a different one");
 * - int and float: a Gaussian step of `LOCAL_SD` in the parameter's unit interval (log scale for log
 *   parameters, so a learning rate moves by a factor, not by an amount), reflected at the ends — a
 *   local move, which suits ordered values better than a uniform redraw.
 * A mutation always changes a parameter that has more than one value: steps that round back to the
 * same value are redrawn, and after a few tries an adjacent value is taken.
 */
import { cardinality, fromUnit, toUnit, type Distribution } from '../../distributions/index.js';
import type { Rng } from '../../util/rng.js';

/** Standard deviation of a numeric mutation step, as a fraction of the (log-)range. */
export const LOCAL_SD = 0.1;
const TRIES = 16;

function reflect(u: number): number {
  let v = u;
  // A few reflections cover any step of a few standard deviations.
  for (let i = 0; i < 4 && (v < 0 || v > 1); i++) v = v < 0 ? -v : 2 - v;
  return Math.min(1, Math.max(0, v));
}

/** A value of `d` different from `current` (internal values); `current` itself when `d` has one value. */
export function mutateValue(d: Distribution, current: number, rng: Rng): number {
  const k = cardinality(d);
  if (k <= 1) return current;
  if (d.type === 'categorical') {
    const j = rng.int(k - 1);
    return j >= current ? j + 1 : j;
  }
  const u = toUnit(d, current);
  for (let i = 0; i < TRIES; i++) {
    const v = fromUnit(d, reflect(u + LOCAL_SD * rng.normal()));
    if (v !== current) return v;
  }
  // A discrete value whose cell is wide next to the step: move to a neighbour.
  const step = d.type === 'int' ? d.step : (d.step ?? 0);
  const up = current + step <= d.high;
  const down = current - step >= d.low;
  const goUp = up && (!down || rng.random() < 0.5);
  return fromUnit(d, toUnit(d, goUp ? current + step : current - step));
}
