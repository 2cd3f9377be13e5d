/**
 * The pruner contract: asked from `trial.shouldPrune()` after the trial reported intermediate values.
 * `trial` is a fresh snapshot from storage, so values reported by other processes are visible.
 * Pruners are stateless across calls or keep their state in storage, so they work with concurrent
 * workers and several processes.
 */
import type { StudyView } from '../trial/index.js';
import type { FrozenTrial } from '../trial/index.js';

export interface Pruner {
  prune(study: StudyView, trial: FrozenTrial): Promise<boolean> | boolean;
}

/** Never prunes. The default. */
export class NopPruner implements Pruner {
  prune(): boolean {
    return false;
  }
}
