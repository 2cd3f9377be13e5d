/** Pruners: stop unpromising trials early from their intermediate values. See README.md here. */
export { NopPruner, type Pruner } from './base.js';
export { PercentilePruner, type PercentilePrunerOptions } from './percentile.js';
export { MedianPruner } from './median.js';
export { ThresholdPruner, type ThresholdPrunerOptions } from './threshold.js';
export { SuccessiveHalvingPruner, completedRungKey, type SuccessiveHalvingPrunerOptions } from './successive-halving.js';
export { HyperbandPruner, type BracketLayout, type HyperbandPrunerOptions } from './hyperband.js';
export { trialsAtLargestBudget, historyAtBudget, studyAtLargestBudget, type BudgetObservations } from './fidelity.js';
