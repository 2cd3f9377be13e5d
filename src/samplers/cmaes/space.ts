/**
 * The CMA-ES search space (internal): the intersection search space of the given finished trials —
 * the parameters every one of them has, with the same distribution in all — restricted to float and
 * int parameters that can take more than one value (categoricals and constants are left to the
 * independent sampler). Names are sorted, so a coordinate index means the same parameter in every
 * process.
 *
 * Private to the CMA-ES sampler: the shared `samplers/search-space.ts` did not exist when this was
 * written; both follow Optuna's `intersection_search_space`.
 */
import { distributionsEqual, isSingle, type Distribution, type FloatDistribution, type IntDistribution } from '../../distributions/index.js';
import type { FrozenTrial } from '../../study/types.js';

export type NumericDistribution = FloatDistribution | IntDistribution;

/** Parameters present with one same distribution in every trial of `trials` (sorted by name). */
export function intersectionSearchSpace(trials: readonly FrozenTrial[]): Record<string, Distribution> {
  let space: Map<string, Distribution> | null = null;
  for (const t of trials) {
    if (space === null) {
      space = new Map(Object.entries(t.distributions));
      continue;
    }
    for (const [name, d] of space) {
      const other = t.distributions[name];
      if (other === undefined || !distributionsEqual(other, d)) space.delete(name);
    }
    if (space.size === 0) break;
  }
  const out: Record<string, Distribution> = {};
  if (space === null) return out;
  for (const name of [...space.keys()].sort()) out[name] = space.get(name)!;
  return out;
}

/** The part of `space` CMA-ES samples: non-constant float and int parameters, sorted by name. */
export function numericPart(space: Readonly<Record<string, Distribution>>): Record<string, NumericDistribution> {
  const out: Record<string, NumericDistribution> = {};
  for (const name of Object.keys(space).sort()) {
    const d = space[name]!;
    if (d.type !== 'categorical' && !isSingle(d)) out[name] = d;
  }
  return out;
}

/** A canonical text of a space, to tell whether a stored solver state was built for it. */
export function spaceKey(space: Readonly<Record<string, NumericDistribution>>): string {
  return JSON.stringify(
    Object.keys(space)
      .sort()
      .map((name) => {
        const d = space[name]!;
        return [name, d.type, d.low, d.high, d.log, d.step];
      }),
  );
}

/** Whether a discrete coordinate (int, or float with step): these get the margin treatment. */
export function isDiscrete(d: NumericDistribution): boolean {
  return d.type === 'int' || d.step !== null;
}
