/**
 * The proposal of a RUNNING trial, as the constant liar sees it before the trial has stored its
 * parameters.
 *
 * A define-by-run objective stores a parameter only when it suggests it, after `ask()` has returned
 * (and released the study's `sample` lock), so workers asking at once would not see each other's
 * points. With the constant liar, TPESampler therefore samples the parameters it expects at ask() time
 * (the relative sample) and stores them on the trial in the system attribute `tpe:proposal`:
 *
 *   { [name]: external value }        e.g. { "x": 0.25, "activation": "relu" }
 *
 * External values (like `enqueueTrial`'s fixed parameters) are plain JSON and are read back under
 * whatever distribution is being sampled: a value that is not legal there is ignored. A parameter the
 * trial has stored itself always wins over its proposal.
 */
import { contains, toExternal, toInternal, type Distribution, type ParamValue } from '../../distributions/index.js';
import { TrialState, type FrozenTrial } from '../../trial/index.js';
import type { StudyView } from '../base.js';
import { dict, get } from '../../util/dict.js';

/** Trial system attribute holding the relative sample (external values) a RUNNING trial was given. */
export const PROPOSAL_ATTR = 'tpe:proposal';

/** Stores `params` (internal values of `space`) as `trial`'s proposal; nothing when there are none. */
export async function storeProposal(study: StudyView, trial: FrozenTrial, params: Readonly<Record<string, number>>,
  space: Readonly<Record<string, Distribution>>): Promise<void> {
  const out = dict<ParamValue>();
  for (const name of Object.keys(params)) {
    const d = get(space, name);
    if (d !== undefined) out[name] = toExternal(d, params[name]!);
  }
  if (Object.keys(out).length > 0) await study.storage.setTrialSystemAttr(trial.trialId, PROPOSAL_ATTR, out);
}

/**
 * The internal value under `dist` of the proposal of a RUNNING trial `t` for `name`, or NaN when `t`
 * is not running, has no (legal) proposal for it.
 */
export function proposedValue(t: FrozenTrial, name: string, dist: Distribution): number {
  if (t.state !== TrialState.RUNNING) return NaN;
  const p = get(t.systemAttrs, PROPOSAL_ATTR);
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return NaN;
  const v = get(p as Record<string, unknown>, name);
  return v !== undefined && contains(dist, v) ? toInternal(dist, v) : NaN;
}
