/**
 * Large results are Float64Arrays made before the computation and filled in place by the worker
 * (native/addon OutArray): each call gets its own arrays, right at every row, whatever runs
 * concurrently or happens to the input afterwards. And a model fitted with `debug: { profile: true }`
 * prints the host split of every call (native/addon/worker.hpp).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { engine } from '../../src/engine/index.js';
import { backendRows, lcg, maxAbsDiff, randomData } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

// (m, d) row-major points in [0, 1)
function points(m: number, d: number, seed: number): Float64Array {
  const r = lcg(seed);
  return Float64Array.from({ length: m * d }, () => r());
}

describe.each(backendRows())('results filled in place (%s)', (backend) => {
  const skip = backend === 'none';
  const d = 3;
  // 2^17 rows × 3 = 393216 doubles: above the addon's pooling threshold (2^17 doubles) and its slicing.
  const m = 1 << 17;

  it.skipIf(skip)('concurrent large predicts on one model: separate arrays, each equal to small-batch predicts', async () => {
    const { X, y } = randomData(40, d, 3);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu' | 'cuda', seed: 0 });
    try {
      const A = points(m, d, 1);
      const B = points(m, d, 2);
      const calls = [gp.predict(A), gp.predict(B), gp.predict(A.subarray(0, 4096 * d), { gradient: true })] as const;
      A.fill(0.5); // while the calls run: each copied its points before it returned
      const [pa, pb, ga] = await Promise.all(calls);
      expect(pa.mean).toBeInstanceOf(Float64Array);
      expect(pa.mean).toHaveLength(m);
      expect(pa.variance).toHaveLength(m);
      expect(pa.mean.buffer).not.toBe(pb.mean.buffer);
      expect(pa.mean.buffer).not.toBe(pa.variance.buffer);
      expect(ga.meanGradient).toHaveLength(4096 * d);
      expect(ga.varianceGradient).toHaveLength(4096 * d);
      for (const [r, seed] of [[pa, 1], [pb, 2]] as const) {
        const fresh = points(m, d, seed);
        for (const at of [0, 65536, m - 1000]) {
          const small = await gp.predict(fresh.subarray(at * d, (at + 1000) * d));
          expect(maxAbsDiff(r.mean.subarray(at, at + 1000), small.mean)).toBeLessThan(1e-12);
          expect(maxAbsDiff(r.variance.subarray(at, at + 1000), small.variance)).toBeLessThan(1e-12);
        }
      }
      const small = await gp.predict(points(m, d, 1).subarray(0, 10 * d), { gradient: true });
      expect(maxAbsDiff(ga.meanGradient!.subarray(0, 10 * d), small.meanGradient!)).toBeLessThan(1e-12);
      expect(maxAbsDiff(ga.varianceGradient!.subarray(0, 10 * d), small.varianceGradient!)).toBeLessThan(1e-12);
    } finally {
      gp.dispose();
    }
  });

  it.skipIf(skip)('large acquisition values and gradients equal small-batch ones', async () => {
    const { X, y } = randomData(40, d, 4);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu' | 'cuda', seed: 0 });
    try {
      const A = points(m, d, 5);
      const big = await gp.acquisition(A, { gradient: true });
      expect(big.value).toHaveLength(m);
      expect(big.gradient).toHaveLength(m * d);
      const at = m - 500;
      const small = await gp.acquisition(A.subarray(at * d), { gradient: true });
      expect(maxAbsDiff(big.value.subarray(at), small.value)).toBeLessThan(1e-12);
      expect(maxAbsDiff(big.gradient!.subarray(at * d), small.gradient!)).toBeLessThan(1e-12);
    } finally {
      gp.dispose();
    }
  });

  it.skipIf(skip)('debug.profile prints one host split per call; false or absent, nothing (nor does the environment switch it on)', () => {
    const run = (profile: 'on' | 'off' | 'absent') => {
      // The former environment switch is set in every run: it must have no effect any more.
      const env = { ...process.env, TUNABLE_PROFILE: '1' };
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'profile-child.ts'), backend, profile], { cwd: repoRoot, env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('done');
      return r.stderr.split('\n').filter((l) => /^(fit|predict|acquisition|maximize|thompson): /.test(l));
    };
    const lines = run('on');
    const shape = /^(fit|predict|acquisition|maximize|thompson): arguments [\d.]+ ms, queue [\d.]+ ms, compute [\d.]+ ms, back to the main thread [\d.]+ ms, results [\d.]+ ms$/;
    for (const l of lines) expect(l).toMatch(shape);
    const kinds = new Set(lines.map((l) => l.split(':')[0]));
    expect([...kinds].sort()).toEqual(['acquisition', 'fit', 'maximize', 'predict', 'thompson']);
    expect(run('absent')).toEqual([]);
    expect(run('off')).toEqual([]);
  }, 60_000);
});
