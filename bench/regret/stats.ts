/** Summary statistics and number formatting shared by the regret benches, matching the Python reference. */
// The pruners' percentile is numpy.percentile's default (linear), the method of optuna_regret.py.
import { percentile } from '../../src/pruners/common.js';

export const median = (sample: readonly number[]): number => percentile(sample, 50);

export interface Quartiles {
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
}

export const quartiles = (sample: readonly number[]): Quartiles => ({
  q1: percentile(sample, 25),
  median: percentile(sample, 50),
  q3: percentile(sample, 75),
});

/** Python's `f'{x:.3g}'`, so our cells read like the reference table's (1.12e+03, 0.0682, 54). */
export function g3(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const [mant, e] = x.toExponential(2).split('e') as [string, string];
  const exp = Number(e);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 3) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(x.toFixed(2 - exp));
}

export const cell = (q: Quartiles): string => `${g3(q.median)} [${g3(q.q1)}, ${g3(q.q3)}]`;
