/** Acquisition values/gradients, LogEI stability, and the batched maximiser. */
import { describe, expect, it } from 'vitest';

import { engine, type AcquisitionName } from '../../src/engine/index.js';
import { backendRows, lcg, randomData } from './helpers.js';

const ACQS: AcquisitionName[] = ['logei', 'ei', 'pi', 'ucb'];

describe.each(backendRows())('acquisition (%s)', (backend) => {
  const skip = backend === 'none';

  it.skipIf(skip).each(ACQS)('%s: gradient = central differences', async (acquisition) => {
    const { X, y } = randomData(25, 3, 11);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu', restarts: 1 });
    const r = lcg(5);
    const pts = Array.from({ length: 8 }, () => [r(), r(), r()]);
    const a = await gp.acquisition(pts, { acquisition, gradient: true, beta: 3 });
    const h = 1e-6;
    for (let i = 0; i < pts.length; i++) {
      for (let j = 0; j < 3; j++) {
        const p = pts[i]!.slice();
        const m = pts[i]!.slice();
        p[j]! += h;
        m[j]! -= h;
        const v = await gp.acquisition([p, m], { acquisition, beta: 3 });
        const fd = (v.value[0]! - v.value[1]!) / (2 * h);
        const g = a.gradient![i * 3 + j]!;
        expect(Math.abs(g - fd), `${acquisition} point ${i} dim ${j}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
      }
    }
    gp.dispose();
  });

  it.skipIf(skip)('LogEI stays finite and matches log(EI) where EI is representable', async () => {
    const { X, y } = randomData(20, 2, 3);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu' });
    const pts = [[0.5, 0.5], [0.1, 0.9], [0.95, 0.05]];
    for (const best of [Math.max(...y), Math.max(...y) + 1, Math.max(...y) + 50, Math.max(...y) + 1e4]) {
      const lei = await gp.acquisition(pts, { acquisition: 'logei', best, gradient: true });
      const ei = await gp.acquisition(pts, { acquisition: 'ei', best });
      for (let i = 0; i < pts.length; i++) {
        expect(Number.isFinite(lei.value[i])).toBe(true);
        for (let j = 0; j < 2; j++) expect(Number.isFinite(lei.gradient![i * 2 + j])).toBe(true);
        if (ei.value[i]! > 1e-300) expect(lei.value[i]).toBeCloseTo(Math.log(ei.value[i]!), 6);
      }
    }
    gp.dispose();
  });

  it.skipIf(skip).each(ACQS)('%s: the maximiser finds the best point of a dense grid (d = 2)', async (acquisition) => {
    const { X, y } = randomData(15, 2, 21, (x) => Math.sin(6 * x[0]!) * Math.cos(4 * x[1]!));
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu' });
    const G = 120;
    const grid: number[][] = [];
    for (let i = 0; i <= G; i++) for (let j = 0; j <= G; j++) grid.push([i / G, j / G]);
    const vals = (await gp.acquisition(grid, { acquisition })).value;
    const gridBest = Math.max(...vals);
    const res = await gp.maximizeAcquisition({ acquisition, rawSamples: 256, restarts: 8, seed: 1 });
    const check = (await gp.acquisition([Array.from(res.x)], { acquisition })).value[0]!;
    expect(check).toBeCloseTo(res.value, 10);
    expect(res.value).toBeGreaterThanOrEqual(gridBest - 1e-9 * Math.max(1, Math.abs(gridBest)));
    for (const v of res.x) expect(v >= 0 && v <= 1).toBe(true);
    gp.dispose();
  });

  it.skipIf(skip)('reproducible with a seed', async () => {
    const { X, y } = randomData(30, 4, 2);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu', seed: 3 });
    const a = await gp.maximizeAcquisition({ seed: 42, rawSamples: 512 });
    const b = await gp.maximizeAcquisition({ seed: 42, rawSamples: 512 });
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(a.value).toBe(b.value);
    const gp2 = await engine.fitGP({ X, y, backend: backend as 'cpu', seed: 3 });
    expect(gp2.hyperparameters).toEqual(gp.hyperparameters);
    gp.dispose();
    gp2.dispose();
  });

  it.skipIf(skip)('integer and categorical dimensions: results on the grid, best of an exhaustive search', async () => {
    const r = lcg(9);
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 30; i++) {
      const x = [r(), Math.round(r() * 4) / 4, Math.floor(r() * 3) / 2];
      X.push(x);
      y.push(Math.sin(5 * x[0]!) + (x[1]! - 0.5) ** 2 + (x[2] === 0.5 ? 0.7 : 0));
    }
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu', categorical: [{ dim: 2, choices: 3 }] });
    const res = await gp.maximizeAcquisition({ integer: [{ dim: 1, levels: 5 }], seed: 4, rawSamples: 512 });
    expect([0, 0.25, 0.5, 0.75, 1]).toContain(res.x[1]);
    expect([0, 0.5, 1]).toContain(res.x[2]);
    // Exhaustive over the discrete part with a fine grid on the continuous dimension.
    const pts: number[][] = [];
    for (let a = 0; a <= 400; a++) for (const b of [0, 0.25, 0.5, 0.75, 1]) for (const c of [0, 0.5, 1]) pts.push([a / 400, b, c]);
    const best = Math.max(...(await gp.acquisition(pts)).value);
    expect(res.value).toBeGreaterThanOrEqual(best - 1e-6 * Math.max(1, Math.abs(best)));
    gp.dispose();
  });

  it.skipIf(skip)('pending points lower the acquisition around them (fantasies)', async () => {
    const { X, y } = randomData(20, 2, 8);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu' });
    const first = await gp.maximizeAcquisition({ seed: 1 });
    const pending = [Array.from(first.x)];
    const before = (await gp.acquisition(pending)).value[0]!;
    const after = (await gp.acquisition(pending, { pending })).value[0]!;
    expect(after).toBeLessThan(before);
    const second = await gp.maximizeAcquisition({ seed: 1, pending });
    const dist = Math.hypot(second.x[0]! - first.x[0]!, second.x[1]! - first.x[1]!);
    expect(dist).toBeGreaterThan(1e-3);
    gp.dispose();
  });
});
