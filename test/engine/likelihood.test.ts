/** Log marginal likelihood gradient (and the MAP objective's) against central finite differences. */
import { describe, expect, it } from 'vitest';

import { engine, type Hyperparameters } from '../../src/engine/index.js';
import { backendRows, randomData } from './helpers.js';

function thetaToHyper(t: number[], d: number): Hyperparameters {
  return {
    lengthscales: t.slice(0, d).map(Math.exp),
    outputscale: Math.exp(t[d]!),
    noise: Math.exp(t[d + 1]!),
    mean: t[d + 2]!,
  };
}

describe.each(backendRows())('likelihood gradient (%s)', (backend) => {
  const cases = [
    { name: 'matern52 d=3', kernel: 'matern52' as const, d: 3, n: 40, categorical: undefined },
    { name: 'rbf d=4', kernel: 'rbf' as const, d: 4, n: 50, categorical: undefined },
    { name: 'matern52 d=6 n=300 (blocked paths)', kernel: 'matern52' as const, d: 6, n: 300, categorical: undefined },
    { name: 'matern52 with a categorical dimension', kernel: 'matern52' as const, d: 3, n: 40, categorical: [2] },
    { name: 'rbf d=5 n=600 threads=2 (parallel Cholesky/inverse)', kernel: 'rbf' as const, d: 5, n: 600, categorical: undefined, threads: 2 },
  ];
  it.skipIf(backend === 'none').each(cases)('$name: analytic = central differences (rel < 1e-6)', async (c) => {
    const { X, y } = randomData(c.n, c.d, 7);
    if (c.categorical) for (const row of X) row[2] = Math.floor(row[2]! * 3) / 2; // values 0, 0.5, 1
    const gp = await engine.fitGP({
      X, y, kernel: c.kernel, backend: backend as 'cpu', restarts: 0,
      ...(c.categorical ? { categorical: c.categorical } : {}),
      ...('threads' in c ? { threads: c.threads } : {}),
    });
    const d = c.d;
    // A point away from the optimum so that every gradient component is sizeable.
    const theta = [...Array.from({ length: d }, (_, j) => Math.log(0.3 + 0.2 * j)), Math.log(1.3), Math.log(0.02), 0.4];
    for (const prior of [false, true]) {
      const at = await gp.logMarginalLikelihoodAt(thetaToHyper(theta, d), { prior });
      const gnorm = Math.max(...Array.from(at.gradient, Math.abs));
      for (let i = 0; i < theta.length; i++) {
        const h = 1e-5;
        const tp = theta.slice();
        const tm = theta.slice();
        tp[i]! += h;
        tm[i]! -= h;
        const fp = (await gp.logMarginalLikelihoodAt(thetaToHyper(tp, d), { prior })).value;
        const fm = (await gp.logMarginalLikelihoodAt(thetaToHyper(tm, d), { prior })).value;
        const fd = (fp - fm) / (2 * h);
        const g = at.gradient[i]!;
        // Relative error, with the gradient's overall scale as the floor for tiny components.
        expect(Math.abs(g - fd) / Math.max(Math.abs(fd), 1e-3 * gnorm), `${c.name} θ[${i}] prior=${prior}`).toBeLessThan(1e-6);
      }
    }
    gp.dispose();
  });

  it.skipIf(backend === 'none')('logMarginalLikelihood is the plain value (no prior) at the fitted hyperparameters', async () => {
    const { X, y } = randomData(30, 2, 3);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu' });
    const plain = await gp.logMarginalLikelihoodAt(gp.hyperparameters);
    const map = await gp.logMarginalLikelihoodAt(gp.hyperparameters, { prior: true });
    expect(gp.logMarginalLikelihood).toBeCloseTo(plain.value, 8);
    expect(gp.logPosterior).toBeCloseTo(map.value, 8);
    // At the MAP optimum the MAP gradient is small (or points out of the box).
    gp.dispose();
  });

  it.skipIf(backend === 'none')('threaded and single-threaded paths agree', async () => {
    const { X, y } = randomData(700, 4, 12);
    const h = { lengthscales: [0.4, 0.5, 0.6, 0.7], outputscale: 1.1, noise: 1e-3, mean: 0.2 };
    const one = await engine.fitGP({ X, y, backend: backend as 'cpu', warmStart: h, fixed: true, threads: 1 });
    const two = await engine.fitGP({ X, y, backend: backend as 'cpu', warmStart: h, fixed: true, threads: 2 });
    expect(two.logMarginalLikelihood).toBeCloseTo(one.logMarginalLikelihood, 7);
    const a = await one.logMarginalLikelihoodAt(h);
    const b = await two.logMarginalLikelihoodAt(h);
    for (let i = 0; i < a.gradient.length; i++) expect(b.gradient[i]).toBeCloseTo(a.gradient[i]!, 6);
    const pts = randomData(600, 4, 1).X;
    const pa = await one.predict(pts);
    const pb = await two.predict(pts);
    for (let i = 0; i < pts.length; i++) expect(pb.variance[i]).toBeCloseTo(pa.variance[i]!, 9);
    // Several starts on several threads: same result as one thread.
    const f1 = await engine.fitGP({ X: X.slice(0, 120), y: y.slice(0, 120), backend: backend as 'cpu', threads: 1, seed: 4 });
    const f2 = await engine.fitGP({ X: X.slice(0, 120), y: y.slice(0, 120), backend: backend as 'cpu', threads: 2, seed: 4 });
    expect(f2.logMarginalLikelihood).toBeCloseTo(f1.logMarginalLikelihood, 6);
    for (const g of [one, two, f1, f2]) g.dispose();
  });
});

describe.each(backendRows())('logMarginalLikelihoodsAt: many settings at once (%s)', (backend) => {
  it.skipIf(backend === 'none')('equals one logMarginalLikelihoodAt each, with and without the prior (20 settings)', async () => {
    const d = 3;
    const { X, y } = randomData(60, d, 21);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu', restarts: 0 });
    // 20 settings; one with tiny noise on these smooth data still factorises.
    const hs = Array.from({ length: 20 }, (_, k) =>
      thetaToHyper([Math.log(0.2 + 0.05 * k), Math.log(0.4), Math.log(0.3 + 0.02 * k), Math.log(0.5 + 0.1 * (k % 4)), k % 2 ? Math.log(1e-3) : Math.log(1e-9), 0.1 * k - 1], d),
    ).map((h, k) => (k === 7 ? { ...h, noise: 1e-12 } : h));
    for (const prior of [false, true]) {
      const many = await gp.logMarginalLikelihoodsAt(hs, { prior });
      expect(many).toHaveLength(hs.length);
      for (let k = 0; k < hs.length; k++) {
        const one = await gp.logMarginalLikelihoodAt(hs[k]!, { prior });
        expect(many[k]!.value, `setting ${k}, prior ${prior}`).toBeCloseTo(one.value, 8);
        const scale = Math.max(...Array.from(one.gradient, Math.abs));
        for (let i = 0; i < one.gradient.length; i++) expect(Math.abs(many[k]!.gradient[i]! - one.gradient[i]!)).toBeLessThanOrEqual(1e-8 * Math.max(1, scale));
      }
    }
    expect(await gp.logMarginalLikelihoodsAt([])).toEqual([]);
    gp.dispose();
  });

  it.skipIf(backend === 'none')('bad input is a typed error naming the setting; nothing is evaluated', async () => {
    const { X, y } = randomData(20, 2, 5);
    const gp = await engine.fitGP({ X, y, backend: backend as 'cpu', restarts: 0 });
    const good = gp.hyperparameters;
    await expect(gp.logMarginalLikelihoodsAt(good as never)).rejects.toThrow(/Expected an array of hyperparameter objects for `hyperparameters`/);
    await expect(gp.logMarginalLikelihoodsAt([good, { ...good, noise: -1 }])).rejects.toThrow(/hyperparameters\[1\]/);
    await expect(gp.logMarginalLikelihoodsAt([good, { ...good, lengthscales: [1] }])).rejects.toThrow(/hyperparameters\[1\]/);
    await expect(gp.logMarginalLikelihoodsAt([good], { prior: 'yes' as never })).rejects.toThrow(/prior/);
    expect(gp.logMarginalLikelihood).toBeCloseTo((await gp.logMarginalLikelihoodAt(good)).value, 8);
    gp.dispose();
  });
});
