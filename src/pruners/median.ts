/** MedianPruner: the median stopping rule (prune a trial worse than the median at the same step). */
import { PercentilePruner, type PercentilePrunerOptions } from './percentile.js';

export class MedianPruner extends PercentilePruner {
  constructor(opts?: PercentilePrunerOptions) {
    super(50, opts);
  }
}
