/**
 * Ensemble selection (Caruana, Niculescu-Mizil, Crew & Ksikes, ICML 2004): greedy forward selection,
 * with replacement, of models whose averaged out-of-fold predictions score best. Selecting a model
 * again raises its weight, so the result is a weighted average with weights in multiples of 1/rounds.
 * It needs only the predictions each pipeline already made during cross-validation: no extra fits.
 */
import { InvalidArgumentError } from '../errors.js';
import { better, METRICS, type MetricName } from './metrics.js';
import type { Task } from './types.js';

/** Rounds of greedy selection (Caruana et al. found the score flattens well before 50 on their sets). */
export const ENSEMBLE_ROUNDS = 50;

export interface EnsembleMember {
  /** Index into the candidates passed to `selectEnsemble`. */
  readonly index: number;
  /** Share of the rounds that picked this candidate; the weights sum to 1. */
  readonly weight: number;
}

export interface EnsembleSelection {
  readonly members: readonly EnsembleMember[];
  /** The metric on the out-of-fold rows of the weighted average. */
  readonly score: number;
}

/**
 * Picks candidates greedily, with replacement, for `rounds` rounds and keeps the round that scored best
 * (early rounds can beat later ones: the selection overfits the out-of-fold rows as it goes on).
 *
 * @param candidates each (n · width) out-of-fold predictions in the FittedModel layout, width = k for
 *   multiclass, 1 otherwise
 * @param y (n) targets or class indices
 */
export function selectEnsemble(
  candidates: readonly Float64Array[],
  y: Float64Array,
  task: Task,
  metric: MetricName,
  k: number,
  rounds = ENSEMBLE_ROUNDS,
): EnsembleSelection {
  if (candidates.length === 0) throw new InvalidArgumentError('Expected at least one candidate for `candidates` but received none');
  const m = METRICS[metric];
  const len = candidates[0]!.length;
  for (const [i, c] of candidates.entries()) {
    if (c.length !== len) throw new InvalidArgumentError(`Expected ${len} predictions for \`candidates[${i}]\` but received ${c.length}`);
  }
  const kk = task === 'multiclass' ? k : task === 'binary' ? 2 : 1;
  const sum = new Float64Array(len); // (n · width) running sum of the selected predictions
  const trial = new Float64Array(len);
  const counts = new Array<number>(candidates.length).fill(0);
  let bestScore = NaN;
  let bestCounts: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    let pick = -1;
    let pickScore = NaN;
    for (let c = 0; c < candidates.length; c++) {
      const pred = candidates[c]!;
      for (let i = 0; i < len; i++) trial[i] = (sum[i]! + pred[i]!) / r;
      const s = m.compute(y, trial, kk);
      // Ties keep the earlier (better-ranked) candidate, so equal models do not dilute the leader.
      if (pick < 0 || better(m.direction, s, pickScore)) [pick, pickScore] = [c, s];
    }
    const chosen = candidates[pick]!;
    for (let i = 0; i < len; i++) sum[i]! += chosen[i]!;
    counts[pick]!++;
    if (Number.isNaN(bestScore) || better(m.direction, pickScore, bestScore)) {
      bestScore = pickScore;
      bestCounts = [...counts];
    }
  }
  const total = bestCounts.reduce((a, b) => a + b, 0);
  const members = bestCounts.flatMap((count, index) => (count > 0 ? [{ index, weight: count / total }] : []));
  return { members, score: bestScore };
}

/** The weighted average of member predictions, each (n · width) in the same layout. */
export function blend(preds: readonly Float64Array[], weights: readonly number[]): Float64Array {
  const out = new Float64Array(preds[0]!.length);
  preds.forEach((p, m) => {
    const w = weights[m]!;
    for (let i = 0; i < out.length; i++) out[i]! += w * p[i]!;
  });
  return out;
}
