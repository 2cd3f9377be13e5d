/**
 * The registry of learners the search chooses among, in the order a report lists them. A learner
 * appears here once; `learner(name)` and `learnersFor(task)` are the only lookups.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { Learner, Task } from '../types.js';
import { forestLearner } from './forest.js';
import { knnLearner } from './knn.js';
import { linearLearner } from './linear.js';
import { mlpLearner } from './mlp.js';

export { LinearModel, fitLogistic, fitRidge, linearLearner } from './linear.js';
export { KnnModel, knnLearner, type KnnParams } from './knn.js';
export { MlpModel, mlpLearner } from './mlp.js';
export { ForestModel, forestLearner } from './forest.js';

export const LEARNERS: readonly Learner[] = [linearLearner, knnLearner, forestLearner, mlpLearner];

/** The learner named `name`, or a typed error naming the known ones. */
export function learner(name: string, registry: readonly Learner[] = LEARNERS): Learner {
  const found = registry.find((l) => l.name === name);
  if (found === undefined) {
    throw new InvalidArgumentError(`Unknown learner ${JSON.stringify(name)}; known learners are ${registry.map((l) => JSON.stringify(l.name)).join(', ')}`);
  }
  return found;
}

export function learnersFor(task: Task, registry: readonly Learner[] = LEARNERS): Learner[] {
  return registry.filter((l) => l.tasks.includes(task));
}
