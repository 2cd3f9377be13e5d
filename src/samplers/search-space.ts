/**
 * Search spaces inferred from a study's history, shared by the samplers that sample several parameters
 * jointly (multivariate TPE, GP, CMA-ES).
 *
 * Both functions take trials as the storage returns them and look only at the *finished, useful* ones:
 * COMPLETE trials, and PRUNED trials with `includePruned` (default false). RUNNING, WAITING and FAIL
 * trials never shape a search space (a running trial may not have suggested everything yet; a failed one
 * may have failed because of its parameters).
 *
 * A parameter seen with two different distributions (its range or choices changed between trials) is
 * left out of both results: its values are not comparable, so a joint model cannot use it; samplers
 * then sample it independently.
 */
import { distributionsEqual, type Distribution } from '../distributions/index.js';
import { TrialState, type FrozenTrial } from '../trial/index.js';
import { boolean, options } from '../validate.js';
import { dict } from '../util/dict.js';

export interface SearchSpaceOptions {
  /** Count PRUNED trials as well as COMPLETE ones (default false). */
  readonly includePruned?: boolean;
}

function considered(opts: SearchSpaceOptions | undefined): (t: FrozenTrial) => boolean {
  const o = options<SearchSpaceOptions>('search space options', opts, ['includePruned']);
  const pruned = o.includePruned === undefined ? false : boolean('includePruned', o.includePruned);
  return (t) => t.state === TrialState.COMPLETE || (pruned && t.state === TrialState.PRUNED);
}

function same(a: Distribution, b: Distribution): boolean {
  // Storages hand out one canonical object per distribution, so identity settles most comparisons.
  return a === b || distributionsEqual(a, b);
}

function sortedRecord(entries: Iterable<[string, Distribution]>): Record<string, Distribution> {
  const out = dict<Distribution>();
  for (const [k, v] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v;
  return out;
}

/**
 * The parameters every considered trial has, with the same distribution in all of them, keyed in sorted
 * name order. Empty when no trial is considered.
 */
export function intersectionSearchSpace(trials: readonly FrozenTrial[], opts?: SearchSpaceOptions): Record<string, Distribution> {
  const use = considered(opts);
  let space: Map<string, Distribution> | null = null;
  for (const t of trials) {
    if (!use(t)) continue;
    if (space === null) {
      space = new Map(Object.entries(t.distributions));
      continue;
    }
    for (const [name, d] of space) {
      const other = t.distributions[name];
      if (other === undefined || !same(d, other)) space.delete(name);
    }
    if (space.size === 0) break;
  }
  return space === null ? {} : sortedRecord(space);
}

/**
 * The coarsest partition of the parameters seen in the considered trials into groups such that every
 * considered trial has each group entirely or not at all — for conditional search spaces, the sets of
 * parameters that always appear together (params of one branch, say). Each group maps names (sorted) to
 * distributions; the groups are ordered by their first name. Parameters whose distribution changed
 * between trials are in no group.
 */
export function groupDecomposedSearchSpace(trials: readonly FrozenTrial[], opts?: SearchSpaceOptions): Record<string, Distribution>[] {
  const use = considered(opts);
  // Two parameters share a group iff exactly the same trials contain them. Refine trial by trial: the
  // members of an old group present in this trial move to a new group, the absent ones stay.
  const groupOf = new Map<string, number>();
  const dist = new Map<string, Distribution>();
  const conflicted = new Set<string>();
  let nextId = 0;
  for (const t of trials) {
    if (!use(t)) continue;
    const moved = new Map<number, number>();
    for (const name in t.distributions) {
      const d = t.distributions[name]!;
      const known = dist.get(name);
      if (known === undefined) dist.set(name, d);
      else if (!same(known, d)) conflicted.add(name);
      const old = groupOf.get(name) ?? -1;
      let id = moved.get(old);
      if (id === undefined) moved.set(old, (id = nextId++));
      groupOf.set(name, id);
    }
  }
  const groups = new Map<number, [string, Distribution][]>();
  for (const [name, id] of groupOf) {
    if (conflicted.has(name)) continue;
    let g = groups.get(id);
    if (g === undefined) groups.set(id, (g = []));
    g.push([name, dist.get(name)!]);
  }
  return [...groups.values()].map((g) => sortedRecord(g)).sort((a, b) => {
    const ka = Object.keys(a)[0]!;
    const kb = Object.keys(b)[0]!;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
