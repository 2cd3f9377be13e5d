/** Thompson-sampling batch proposals (gp.thompsonProposals) and float32 screening, on every usable backend. */
import { describe, expect, it } from 'vitest';

import { engine } from '../../src/engine/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { backendRows, randomData } from './helpers.js';

describe.each(backendRows())('thompsonProposals (%s)', (backend) => {
  it.skipIf(backend === 'none')('q distinct points in the cube, reproducible, near the optimum, pending respected', async () => {
    const { X, y } = randomData(80, 2, 4, (x) => -((x[0]! - 0.3) ** 2) - (x[1]! - 0.7) ** 2);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu', restarts: 1 });
    const a = await gp.thompsonProposals({ q: 6, candidates: 512, seed: 2 });
    const b = await gp.thompsonProposals({ q: 6, candidates: 512, seed: 2 });
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(a.x.length).toBe(12);
    expect(a.values.length).toBe(6);
    const keys = new Set<string>();
    for (let k = 0; k < 6; k++) {
      const p = [a.x[2 * k]!, a.x[2 * k + 1]!];
      expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(Math.hypot(p[0]! - 0.3, p[1]! - 0.7)).toBeLessThan(0.35);
      keys.add(p.join(','));
    }
    expect(keys.size).toBe(6);
    const c = await gp.thompsonProposals({ q: 6, candidates: 512, seed: 3, pending: [[0.3, 0.7]] });
    expect(c.values.every(Number.isFinite)).toBe(true);
    await expect(gp.thompsonProposals({ q: 10, candidates: 5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    gp.dispose();
  });

  it.skipIf(backend === 'none')('categorical and integer dimensions: proposals lie on their grids', async () => {
    const { X, y } = randomData(50, 3, 8);
    for (const row of X) row[2] = Math.floor(row[2]! * 3) / 2;
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu', restarts: 0, categorical: [2] });
    const r = await gp.thompsonProposals({ q: 5, candidates: 256, seed: 1, integer: [{ dim: 0, levels: 5 }] });
    for (let k = 0; k < 5; k++) {
      expect([0, 0.5, 1]).toContain(r.x[3 * k + 2]);
      expect([0, 0.25, 0.5, 0.75, 1]).toContain(r.x[3 * k]);
    }
    gp.dispose();
  });
});

describe.each(backendRows())('float32 screening (%s)', (backend) => {
  it.skipIf(backend === 'none')('predict float32 ≈ float64; maximisation with float32 raw scoring returns a float64 value', async () => {
    const { X, y } = randomData(300, 4, 5);
    const h = { lengthscales: [0.4, 0.4, 0.4, 0.4], outputscale: 1.5, noise: 1e-4, mean: 0 };
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu', warmStart: h, fixed: true });
    const P = randomData(2000, 4, 6).X;
    const a = await gp.predict(P);
    const b = await gp.predict(P, { float32: true });
    for (let i = 0; i < P.length; i++) {
      expect(Math.abs(a.mean[i]! - b.mean[i]!)).toBeLessThan(1e-4);
      expect(Math.abs(a.variance[i]! - b.variance[i]!)).toBeLessThan(1e-4);
    }
    const m64 = await gp.maximizeAcquisition({ rawSamples: 4096, restarts: 6, seed: 2 });
    const m32 = await gp.maximizeAcquisition({ rawSamples: 4096, restarts: 6, seed: 2, float32: true });
    expect(Math.abs(m32.value - m64.value)).toBeLessThan(1e-6 * Math.max(1, Math.abs(m64.value)));
    const check = await gp.acquisition([Array.from(m32.x)]);
    expect(check.value[0]).toBeCloseTo(m32.value, 10);
    await expect(gp.predict(P, { float32: true, gradient: true })).rejects.toBeInstanceOf(InvalidArgumentError);
    gp.dispose();
  });
});
