/**
 * The observations TPE learns from, read once per trial at ask() time, and their split into the
 * "good" group (below: l(x)) and the rest (above: g(x)).
 *
 * Ranking (single objective; minimisation after flipping the sign of maximised values), best first:
 * 1. COMPLETE trials by value;
 * 2. PRUNED trials, those that got further first (higher last step), then by their last reported value;
 *    a PRUNED trial that reported nothing comes after every one that did (Optuna's rule);
 * 3. RUNNING trials (only with the constant liar): always in the bad group, as if they were the worst,
 *    so concurrent workers are pushed away from points already being evaluated. They do not count
 *    towards the startup trials or gamma.
 * FAIL and WAITING trials are ignored; so is the trial being sampled.
 *
 * Multi-objective studies (a documented simplification of Optuna's MOTPE): COMPLETE trials only, the
 * good group is filled by non-domination rank; the rank that does not fit entirely is cut by the sum of
 * each trial's per-objective ranks within that front (a scale-free stand-in for Optuna's hypervolume
 * subset selection); the good group is weighted like the bad one rather than by hypervolume contribution.
 */
import type { Distribution } from '../../distributions/index.js';
import { TrialState, type FrozenTrial, type StudyDirection } from '../../trial/index.js';
import { callGamma, type GammaFunction } from './defaults.js';

export interface History {
  /** Usable trials, oldest first. */
  readonly trials: readonly FrozenTrial[];
  /** 1 where trials[i] is in the good group. */
  readonly below: Uint8Array;
  /** COMPLETE (+ PRUNED, single-objective) trials: what the startup count and gamma see. */
  readonly nFinished: number;
  /** Group-decomposed relative spaces (group mode), fixed at ask() time for this trial. */
  groups: Record<string, Distribution>[] | null;
}

export function buildHistory(
  all: readonly FrozenTrial[],
  directions: readonly StudyDirection[],
  currentTrialId: number,
  gamma: GammaFunction,
): History {
  const multi = directions.length > 1;
  const trials: FrozenTrial[] = [];
  for (const t of all) {
    if (t.trialId === currentTrialId) continue;
    if (t.state === TrialState.COMPLETE) {
      if (t.values !== null && t.values.length === directions.length) trials.push(t);
    } else if (t.state === TrialState.PRUNED || t.state === TrialState.RUNNING) {
      if (!multi) trials.push(t);
    }
  }
  // Storages return trials by number; sort only if one did not.
  for (let i = 1; i < trials.length; i++) {
    if (trials[i - 1]!.number > trials[i]!.number) {
      trials.sort((a, b) => a.number - b.number);
      break;
    }
  }
  const n = trials.length;
  let nFinished = 0;
  for (const t of trials) if (t.state !== TrialState.RUNNING) nFinished++;
  const nBelow = callGamma(gamma, nFinished);
  const below = new Uint8Array(n);
  const best = multi ? multiObjectiveOrder(trials, directions) : singleObjectiveOrder(trials, directions[0]!);
  for (let r = 0; r < nBelow; r++) below[best[r]!] = 1;
  return { trials, below, nFinished, groups: null };
}

/** Trial indices, best first (RUNNING last). */
function singleObjectiveOrder(trials: readonly FrozenTrial[], direction: StudyDirection): Uint32Array {
  const n = trials.length;
  const sign = direction === 'minimize' ? 1 : -1;
  // Lexicographic key (stage, value): COMPLETE (−∞, v); PRUNED (−last step, v) or (1, 0); RUNNING (+∞, +∞).
  const stage = new Float64Array(n);
  const value = new Float64Array(n);
  trials.forEach((t, i) => {
    if (t.state === TrialState.COMPLETE) {
      stage[i] = -Infinity;
      value[i] = sign * t.values![0]!;
    } else if (t.state === TrialState.PRUNED) {
      let step = -1;
      let v = 0;
      for (const [s, x] of t.intermediateValues) if (s > step) [step, v] = [s, x];
      stage[i] = step < 0 ? 1 : -step;
      value[i] = step < 0 ? 0 : sign * v;
    } else {
      stage[i] = Infinity;
      value[i] = Infinity;
    }
  });
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => stage[a]! - stage[b]! || value[a]! - value[b]! || a - b);
}

function multiObjectiveOrder(trials: readonly FrozenTrial[], directions: readonly StudyDirection[]): Uint32Array {
  const n = trials.length;
  const m = directions.length;
  const v = new Float64Array(n * m);
  trials.forEach((t, i) => directions.forEach((d, j) => (v[i * m + j] = (d === 'minimize' ? 1 : -1) * t.values![j]!)));
  const dominates = (a: number, b: number): boolean => {
    let strictly = false;
    for (let j = 0; j < m; j++) {
      if (v[a * m + j]! > v[b * m + j]!) return false;
      if (v[a * m + j]! < v[b * m + j]!) strictly = true;
    }
    return strictly;
  };
  // Non-dominated sorting, O(n²·m): count each trial's dominators, peel fronts off by decrementing.
  const count = new Int32Array(n);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (a !== b && dominates(a, b)) count[b]!++;
  const rank = new Int32Array(n).fill(-1);
  let front: number[] = [];
  for (let i = 0; i < n; i++) if (count[i] === 0) front.push(i);
  for (let r = 0; front.length > 0; r++) {
    const next: number[] = [];
    for (const a of front) rank[a] = r;
    for (const a of front) {
      for (let b = 0; b < n; b++) if (rank[b] === -1 && dominates(a, b) && --count[b]! === 0) next.push(b);
    }
    front = next;
  }
  // Within a front: the sum of per-objective ordinal ranks among the front's members.
  const tie = new Float64Array(n);
  for (let j = 0; j < m; j++) {
    const byJ = Array.from({ length: n }, (_, i) => i).sort((a, b) => rank[a]! - rank[b]! || v[a * m + j]! - v[b * m + j]! || a - b);
    let start = 0;
    for (let p = 0; p < n; p++) {
      if (p > 0 && rank[byJ[p]!] !== rank[byJ[p - 1]!]) start = p;
      tie[byJ[p]!]! += p - start;
    }
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => rank[a]! - rank[b]! || tie[a]! - tie[b]! || a - b);
}
