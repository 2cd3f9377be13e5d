/**
 * Posterior and likelihood at fixed hyperparameters against the independent float64 references in
 * test/fixtures/gp/*.json (scripts/make_gp_fixtures.py, scikit-learn). Fixtures with fields this
 * engine does not know are skipped with the reason.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { engine, type Hyperparameters } from '../../src/engine/index.js';
import { backendRows, maxAbs, maxAbsDiff } from './helpers.js';

interface Fixture {
  name: string;
  kernel: 'matern52' | 'rbf';
  d: number;
  X: number[][];
  y: number[];
  hyperparameters: Hyperparameters;
  Xtest: number[][];
  mean: number[];
  variance: number[];
  covariance: number[][];
  logMarginalLikelihood: number;
  categorical?: number[];
  [key: string]: unknown;
}

const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'gp');
const KNOWN = new Set([
  'name', 'kernel', 'd', 'X', 'y', 'hyperparameters', 'Xtest', 'mean', 'variance', 'covariance',
  'logMarginalLikelihood', 'categorical', 'notes', 'referenceError',
]);
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
const fixtures: Array<[string, Fixture, string | null]> = files.map((f) => {
  const fx = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Fixture;
  const unknown = Object.keys(fx).filter((k) => !KNOWN.has(k));
  const bad = fx.kernel !== 'matern52' && fx.kernel !== 'rbf' ? `kernel ${String(fx.kernel)}` : null;
  const reason = bad ?? (unknown.length ? `unsupported fields: ${unknown.join(', ')}` : null);
  return [fx.name ?? f, fx, reason];
});

describe('sklearn fixtures', () => {
  it('are present, and most of them are ones this engine runs', () => {
    // Without them the comparisons below silently become zero tests.
    expect(fixtures.length).toBeGreaterThan(0);
    const skipped = fixtures.filter(([, , reason]) => reason !== null).map(([name, , reason]) => `${name} (${reason})`);
    expect(skipped.length, `skipped: ${skipped.join(', ')}`).toBeLessThan(fixtures.length / 2);
  });
});

describe.each(backendRows())('sklearn fixtures at fixed hyperparameters (%s)', (backend) => {
  for (const [name, fx, reason] of fixtures) {
    it.skipIf(backend === 'none' || reason !== null)(`${name}${reason ? ` (skipped: ${reason})` : ''}`, async () => {
      const gp = await engine.fitGP({
        X: fx.X, y: fx.y, kernel: fx.kernel, backend: backend as 'cpu', warmStart: fx.hyperparameters, fixed: true,
        ...(fx.categorical ? { categorical: fx.categorical } : {}),
      });
      const scale = fx.hyperparameters.outputscale;
      // float64 floor of ill-conditioned fixtures: cond(K)·eps, recorded in the notes.
      const cond = Number(/cond\(K \+ noise I\) = ([0-9.]+(?:e[+-]?[0-9]+)?)/.exec(String(fx['notes'] ?? ''))?.[1] ?? 1e3);
      const tol = Math.max(1e-9, 50 * cond * 2.2e-16);
      expect(gp.warnings).toEqual([]);
      expect(Math.abs(gp.logMarginalLikelihood - fx.logMarginalLikelihood)).toBeLessThan(tol * Math.max(1, Math.abs(fx.logMarginalLikelihood)));
      const p = await gp.predict(fx.Xtest, { covariance: true });
      expect(maxAbsDiff(p.mean, fx.mean)).toBeLessThan(tol * Math.max(1, maxAbs(fx.mean)));
      expect(maxAbsDiff(p.variance, fx.variance)).toBeLessThan(tol * scale);
      expect(maxAbsDiff(p.covariance!, fx.covariance.flat())).toBeLessThan(tol * scale);
      gp.dispose();
    });
  }
});
