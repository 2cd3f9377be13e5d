/**
 * The synthetic test problems of bench/reference/functions.py (minimisation), with the same
 * domains, known minima and evaluation budgets, so tunable's samplers optimise exactly what Optuna's
 * reference runs optimised. Keep the two in step: the regret table compares against those runs.
 */

export interface Problem {
  readonly name: string;
  readonly fn: (x: readonly number[]) => number;
  /** [low, high] per dimension; parameters are named x0, x1, … as in optuna_regret.py. */
  readonly bounds: readonly (readonly [number, number])[];
  /** The known global minimum value (as printed in functions.py, so regrets match Optuna's). */
  readonly fmin: number;
  /** Evaluations per run. */
  readonly budget: number;
}

export function branin(x: readonly number[]): number {
  const [x1 = NaN, x2 = NaN] = x;
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

// (4, 6) row-major: A and P of the Hartmann-6 function; ALPHA per row.
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => 1e-4 * v));
const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];

export function hartmann6(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += H6_A[i]![j]! * ((x[j] ?? NaN) - H6_P[i]![j]!) ** 2;
    s += H6_ALPHA[i]! * Math.exp(-inner);
  }
  return -s;
}

export function ackley(x: readonly number[]): number {
  const d = x.length;
  let sq = 0;
  let cos = 0;
  for (const v of x) {
    sq += v * v;
    cos += Math.cos(2 * Math.PI * v);
  }
  return -20 * Math.exp(-0.2 * Math.sqrt(sq / d)) - Math.exp(cos / d) + 20 + Math.E;
}

export function rosenbrock(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return s;
}

const box = (d: number, lo: number, hi: number): [number, number][] => Array.from({ length: d }, () => [lo, hi]);

export const PROBLEMS: readonly Problem[] = [
  { name: 'branin', fn: branin, bounds: [[-5, 10], [0, 15]], fmin: 0.397887, budget: 60 },
  { name: 'hartmann6', fn: hartmann6, bounds: box(6, 0, 1), fmin: -3.32237, budget: 100 },
  { name: 'ackley5', fn: ackley, bounds: box(5, -32.768, 32.768), fmin: 0, budget: 100 },
  { name: 'rosenbrock4', fn: rosenbrock, bounds: box(4, -5, 10), fmin: 0, budget: 100 },
];
