/**
 * The CMA-ES search space (internal): of the intersection search space of the finished trials
 * (`samplers/search-space.ts`), the float and int parameters that can take more than one value
 * (categoricals and constants are left to the independent sampler). Names are sorted, so a
 * coordinate index means the same parameter in every process.
 */
import { isSingle, type Distribution, type FloatDistribution, type IntDistribution } from '../../distributions/index.js';
import { dict } from '../../util/dict.js';

export type NumericDistribution = FloatDistribution | IntDistribution;

/** The part of `space` CMA-ES samples: non-constant float and int parameters, sorted by name. */
export function numericPart(space: Readonly<Record<string, Distribution>>): Record<string, NumericDistribution> {
  const out = dict<NumericDistribution>();
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
