/** Small real data for the AutoML tests: breast-cancer rows (a subset) and a seeded regression table. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.js';

export const BREAST_CANCER = join(import.meta.dirname, '..', '..', 'examples', 'data', 'breast_cancer.csv');

/** The first `n` rows of the breast-cancer data (30 numeric columns, target `benign` 0/1) as row objects. */
export function breastCancerRows(n: number): Record<string, number>[] {
  const [header, ...lines] = readFileSync(BREAST_CANCER, 'utf8').trim().split(/\r?\n/);
  const names = header!.split(',');
  // Every other row from the start keeps both classes (the file is not shuffled).
  return lines.filter((_, i) => i % 2 === 0).slice(0, n).map((l) => Object.fromEntries(l.split(',').map((v, j) => [names[j]!, Number(v)])));
}

/**
 * y = 3·x1 − 2·x2 + (2 if colour is "red") + noise, with a tenth of x2 and of colour missing: numbers,
 * a label column and missing values in one table.
 */
export function regressionRows(n: number, seed = 1): Record<string, number | string | null>[] {
  const rng = new Rng(seed);
  const colours = ['red', 'green', 'blue'];
  return Array.from({ length: n }, () => {
    const x1 = rng.uniform(-1, 1);
    const x2 = rng.uniform(-1, 1);
    const colour = colours[rng.int(3)]!;
    const y = 3 * x1 - 2 * x2 + (colour === 'red' ? 2 : 0) + 0.1 * rng.normal();
    return { x1, x2: rng.random() < 0.1 ? null : x2, colour: rng.random() < 0.1 ? null : colour, y };
  });
}
