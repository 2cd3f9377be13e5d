/** Pareto front of COMPLETE trials under the study's directions. */
import type { FrozenTrial, StudyDirection } from '../trial/index.js';

/** True when `a` is at least as good as `b` in every objective and better in one. */
export function dominates(a: readonly number[], b: readonly number[], directions: readonly StudyDirection[]): boolean {
  let better = false;
  for (let i = 0; i < directions.length; i++) {
    const sign = directions[i] === 'minimize' ? 1 : -1;
    const da = sign * a[i]!;
    const db = sign * b[i]!;
    if (da > db) return false;
    if (da < db) better = true;
  }
  return better;
}

/** O(n² m); fine for the few thousand trials of a study. Ordered by trial number. */
export function paretoFront(trials: readonly FrozenTrial[], directions: readonly StudyDirection[]): FrozenTrial[] {
  return trials.filter((t) => !trials.some((u) => u !== t && dominates(u.values!, t.values!, directions)));
}
