/**
 * Where a RUNNING trial is, for the GP's pending points (kriging-believer fantasies): its relative
 * sample is stored at ask() in the system attribute `gp:params`,
 *
 *   { [name]: internal value }        e.g. { "lr": 0.001, "optimizer": 1 }
 *
 * and the parameters it stores later, or was enqueued with, take precedence over it.
 */
import { contains, distributionsEqual, toInternal, type Distribution } from '../../distributions/index.js';
import type { FrozenTrial } from '../../trial/index.js';
import { get, has } from '../../util/dict.js';
import type { Encoding } from './encode.js';

/** Trial system attribute: the relative sample (internal values) a trial was given. */
export const PARAMS_ATTR = 'gp:params';

/**
 * A running trial's point in `enc`'s space, parameter by parameter: the value it has stored, else its
 * enqueued value (`fixedParams`), else its relative sample (`gp:params`, stored at ask()). Null when
 * one is missing (another worker's trial that has not proposed or stored it yet: it cannot be a pending
 * point) or the trial holds it under another distribution.
 */
export function runningPoint(enc: Encoding, t: FrozenTrial): number[] | null {
  const proposed = record(t.systemAttrs[PARAMS_ATTR]);
  const fixed = record(t.systemAttrs['fixedParams']);
  const x: number[] = [];
  for (let j = 0; j < enc.d; j++) {
    const name = enc.names[j]!;
    const dist = enc.dists[j]!;
    const td = get(t.distributions, name);
    let v: unknown;
    if (td !== undefined) {
      if (td !== dist && !distributionsEqual(td, dist)) return null;
      v = get(t.internalParams, name);
    } else if (fixed !== null && has(fixed, name) && contains(dist, fixed[name])) {
      v = toInternal(dist, fixed[name]);
    } else {
      v = proposed === null ? undefined : get(proposed, name);
      if (!legalInternal(dist, v)) return null;
    }
    if (typeof v !== 'number') return null;
    x.push(enc.encodeValue(j, v));
  }
  return x;
}

/** Whether `v` is an internal value of `dist` (categorical: a choice's index). */
function legalInternal(dist: Distribution, v: unknown): v is number {
  if (typeof v !== 'number') return false;
  if (dist.type === 'categorical') return Number.isInteger(v) && v >= 0 && v < dist.choices.length;
  return contains(dist, v);
}

/** `v` when it is a plain object (a stored attribute), else null. */
function record(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
