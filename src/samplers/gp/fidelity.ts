/**
 * Multi-fidelity data for the GPSampler (`multiFidelity`): one GP over (x, budget), the budget being
 * the step of an intermediate value, mapped to b = log(step / min) / log(max / min) in [0, 1].
 *
 * Every trial contributes what it reported: a COMPLETE trial its final value at b = 1 and its
 * intermediate values below the full budget; a PRUNED or RUNNING trial its intermediate values. A
 * learning curve's neighbouring steps say nearly the same thing, so each curve is thinned to steps at
 * least `MIN_GAP` apart in b (the last step always kept). The proposal maximises the acquisition at
 * b = 1 (the budget dimension pinned there), with the incumbent taken among the full-budget values:
 * pruned trials' short curves shape the model without standing in for finished trainings.
 */
import { invalid, options, positiveNumber } from '../../validate.js';
import { TrialState, type FrozenTrial } from '../../trial/index.js';
import type { Encoding } from './encode.js';

export interface MultiFidelityOptions {
  /** The full budget: the step of a finished training (a pruner's maxResource). Default: the largest step any trial reported. */
  readonly maxResource?: number;
  /** The smallest budget (a pruner's minResource; default 1): the step mapped to b = 0. */
  readonly minResource?: number;
}

export interface ResolvedFidelity {
  readonly maxResource: number | undefined;
  readonly minResource: number;
}

/** Smallest distance in b between two kept steps of one learning curve. */
export const MIN_GAP = 0.1;

export function resolveFidelity(v: unknown): ResolvedFidelity | null {
  if (v === undefined || v === false) return null;
  if (v === true) return { maxResource: undefined, minResource: 1 };
  const o = options<MultiFidelityOptions>('multiFidelity', v, ['maxResource', 'minResource']);
  const minResource = o.minResource === undefined ? 1 : positiveNumber('multiFidelity.minResource', o.minResource);
  const maxResource = o.maxResource === undefined ? undefined : positiveNumber('multiFidelity.maxResource', o.maxResource);
  if (maxResource !== undefined && maxResource <= minResource) {
    throw invalid('multiFidelity.maxResource', `a number above minResource (${minResource})`, maxResource);
  }
  return { maxResource, minResource };
}

export interface FidelityData {
  /** (n, d + 1) row-major: the encoded point, then b. */
  readonly X: number[];
  /** Values, larger is better. */
  readonly values: number[];
  /** Indices into `values` of the observations at b = 1 (finished trainings). */
  readonly full: number[];
  /** Trials that contributed at least one observation. */
  readonly trials: number;
}

/** The budget position of `step`. */
export function budgetOf(step: number, min: number, max: number): number {
  if (!(max > min)) return 1;
  const b = Math.log(Math.max(step, min) / min) / Math.log(max / min);
  return Math.min(1, Math.max(0, b));
}

/** The full budget in use: the option, else the largest step reported (1 when none). */
export function fullBudget(f: ResolvedFidelity, trials: readonly FrozenTrial[]): number {
  if (f.maxResource !== undefined) return f.maxResource;
  let max = 0;
  for (const t of trials) for (const s of t.intermediateValues.keys()) if (s > max) max = s;
  return Math.max(max, f.minResource * 2, 1);
}

/**
 * The observations of `trials` (COMPLETE, PRUNED, RUNNING; others ignored) on the encoding's space.
 * `sign` turns values into larger-is-better.
 */
export function fidelityData(trials: readonly FrozenTrial[], enc: Encoding, sign: number, f: ResolvedFidelity): FidelityData {
  const max = fullBudget(f, trials);
  const X: number[] = [];
  const values: number[] = [];
  const full: number[] = [];
  let count = 0;
  const add = (x: readonly number[], b: number, v: number): void => {
    if (b >= 1) full.push(values.length);
    X.push(...x, b);
    values.push(sign * v);
  };
  for (const t of trials) {
    if (t.state !== TrialState.COMPLETE && t.state !== TrialState.PRUNED && t.state !== TrialState.RUNNING) continue;
    const x = enc.encodeTrial(t);
    if (x === null) continue;
    const before = values.length;
    const final = t.state === TrialState.COMPLETE ? t.values?.[0] : undefined;
    if (final !== undefined && Number.isFinite(final)) add(x, 1, final);
    // The curve below the full budget (a COMPLETE trial's value at the full budget is its final value).
    const steps = [...t.intermediateValues.entries()]
      .filter(([s, v]) => Number.isFinite(v) && (final === undefined || budgetOf(s, f.minResource, max) < 1))
      .sort((a, b) => a[0] - b[0]);
    let last = final !== undefined ? 1 : Infinity;
    for (let i = steps.length - 1; i >= 0; i--) {
      const [s, v] = steps[i]!;
      const b = budgetOf(s, f.minResource, max);
      if (last - b < MIN_GAP && last !== Infinity) continue;
      add(x, b, v);
      last = b;
    }
    if (values.length > before) count++;
  }
  return { X, values, full, trials: count };
}
