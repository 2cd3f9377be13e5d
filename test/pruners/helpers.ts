/** Helpers for the pruner suites: storages to run over, and trials driven step by step by hand. */
import { MemoryStorage, type Storage, type Study, type Trial } from '../../src/index.js';
import { storageUrls } from '../helpers.js';

/** A storage factory per implementation; memory gives an instance so that a second Study can share it. */
export const storages: [string, () => string | Storage][] = storageUrls().map(([name, url]) => [
  name,
  name === 'memory' ? () => new MemoryStorage() : url,
]);

/** Reports `values` at steps 0, 1, 2, ... (or at the given steps) without asking the pruner. */
export function reportAll(trial: Trial, values: readonly number[] | ReadonlyMap<number, number>): void {
  const entries = values instanceof Map ? [...values] : (values as readonly number[]).map((v, i) => [i, v] as const);
  for (const [step, v] of entries) trial.report(v, step);
}

/** A COMPLETE trial whose intermediate values are `values` (steps 0..n-1) and final value the last one. */
export async function completedTrial(study: Study, values: readonly number[]): Promise<void> {
  const t = await study.ask();
  reportAll(t, values);
  await study.tell(t, values[values.length - 1] ?? 0);
}

/** Reports `value` at `step` and returns the pruner's verdict. */
export async function reportAndCheck(trial: Trial, value: number, step: number): Promise<boolean> {
  trial.report(value, step);
  return trial.shouldPrune();
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
