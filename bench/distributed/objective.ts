/**
 * The objective of the distributed runs (chaos.ts, test/storage/postgres-load.test.ts): six parameters,
 * an async body, a value that anyone can recompute from the stored params (`valueOf`).
 * Also an objective module for `tunable worker` (exports `objective` and `searchSpace`).
 *
 * Environment:
 *   CHAOS_DELAY_MS   "lo-hi": each call sleeps a uniform lo..hi ms (default: one macrotask, no sleep)
 * stdout: "start <number>" when a call begins, so a process that is killed leaves its running trial behind.
 */
import type { Distribution } from '../../src/distributions/index.js';
import type { Trial } from '../../src/study/trial.js';

const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;

/** Suggested at ask() by workers that pass it (define-and-run); the objective suggests the same names. */
export const searchSpace: Record<string, Distribution> = {
  x0: { type: 'float', low: -5, high: 5, log: false, step: null },
  x1: { type: 'float', low: -5, high: 5, log: false, step: null },
  x2: { type: 'float', low: -5, high: 5, log: false, step: null },
  lr: { type: 'float', low: 1e-5, high: 1, log: true, step: null },
  layers: { type: 'int', low: 1, high: 8, log: false, step: 1 },
  optimizer: { type: 'categorical', choices: [...OPTIMIZERS] },
};

/** The objective value of a parameter set, in one fixed order of operations (so it recomputes bit-exactly). */
export function valueOf(p: Readonly<Record<string, unknown>>): number {
  const x = [p['x0'], p['x1'], p['x2']] as number[];
  const lr = p['lr'] as number;
  const layers = p['layers'] as number;
  const opt = OPTIMIZERS.indexOf(p['optimizer'] as (typeof OPTIMIZERS)[number]);
  if (x.some((v) => typeof v !== 'number') || typeof lr !== 'number' || typeof layers !== 'number' || opt < 0) return NaN;
  return (x[0]! - 1) ** 2 + (x[1]! + 2) ** 2 + x[2]! ** 2 + Math.log10(lr) ** 2 / 10 + (layers - 3) ** 2 / 4 + opt / 2;
}

function delayMs(): number {
  const spec = process.env['CHAOS_DELAY_MS'];
  if (spec === undefined || spec === '') return -1;
  const [lo, hi] = spec.split('-').map(Number) as [number, number?];
  return lo + Math.random() * ((hi ?? lo) - lo);
}

export async function objective(trial: Trial): Promise<number> {
  const params = {
    x0: trial.suggestFloat('x0', -5, 5),
    x1: trial.suggestFloat('x1', -5, 5),
    x2: trial.suggestFloat('x2', -5, 5),
    lr: trial.suggestFloat('lr', 1e-5, 1, { log: true }),
    layers: trial.suggestInt('layers', 1, 8),
    optimizer: trial.suggestCategorical('optimizer', OPTIMIZERS),
  };
  process.stdout.write(`start ${trial.number}\n`);
  const ms = delayMs();
  await new Promise((r) => (ms < 0 ? setImmediate(r) : setTimeout(r, ms)));
  return valueOf(params);
}
