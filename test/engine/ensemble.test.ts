/** The weighted GP ensemble (RGPE): its posterior, its acquisition maximiser, and their argument checks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InvalidArgumentError, InvalidStateError, UnknownOptionError } from '../../src/errors.js';
import { engine, type EnsembleMember, type GP } from '../../src/engine/index.js';
import { ndtr } from '../../src/samplers/tpe/normal.js';
import { backendRows, lcg, randomData } from './helpers.js';

/** LogEI of a Gaussian (μ, σ²) against `best`, directly (accurate for the z > −5 a maximiser sees). */
function logEI(mu: number, variance: number, best: number): number {
  const s = Math.sqrt(Math.max(variance, 1e-24));
  const z = (mu - best) / s;
  const h = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI) + z * ndtr(z);
  return Math.log(h) + Math.log(s);
}

/** The ensemble's posterior at X (rows of d) from each member's gp.predict on its columns, in TypeScript. */
async function combined(members: EnsembleMember[], X: number[][]): Promise<{ mean: number[]; variance: number[] }> {
  const mean = X.map(() => 0);
  const variance = X.map(() => 0);
  for (const m of members) {
    const cols = m.dims ?? Array.from({ length: m.gp.d }, (_, j) => j);
    const p = await m.gp.predict(X.map((x) => cols.map((c) => x[c]!)));
    X.forEach((_, a) => {
      mean[a]! += m.weight * p.mean[a]!;
      variance[a]! += m.weight * m.weight * p.variance[a]!;
    });
  }
  return { mean, variance };
}

const argmax = (y: number[]) => y.reduce((b, v, i) => (v > y[b]! ? i : b), 0);

describe.each(backendRows())('ensemble (%s)', (backend) => {
  const skip = backend === 'none';
  const be = backend as 'cpu';
  const target = randomData(18, 3, 7, (x) => Math.sin(5 * x[0]!) + x[1]! * x[2]!);
  const source = randomData(30, 3, 8, (x) => Math.sin(5 * x[0]! + 0.2) + 0.8 * x[1]! * x[2]!);
  // A source that only has columns 2 and 0 of the ensemble, in that order.
  const partial = randomData(25, 2, 9, (x) => x[0]! - Math.cos(4 * x[1]!));
  let tgp: GP;
  let sgp: GP;
  let pgp: GP;
  let members: EnsembleMember[];
  const best = Math.max(...target.y);

  beforeAll(async () => {
    if (skip) return;
    tgp = await engine.fitGP({ X: target.X, y: target.y, backend: be });
    sgp = await engine.fitGP({ X: source.X, y: source.y, backend: be });
    pgp = await engine.fitGP({ X: partial.X, y: partial.y, backend: be });
    members = [
      { gp: tgp, weight: 0.5, pending: true },
      { gp: sgp, weight: 0.3 },
      { gp: pgp, weight: 0.2, dims: [2, 0] },
    ];
  });
  afterAll(() => {
    if (skip) return;
    for (const g of [tgp, sgp, pgp]) g.dispose();
  });

  it.skipIf(skip || backend === 'cuda')('one member of weight 1 gives gp.maximizeAcquisition exactly (same seed and options)', async () => {
    const incumbent = target.X[argmax(target.y)]!;
    for (const acquisition of ['logei', 'ei', 'ucb'] as const) {
      const opts = { acquisition, best, rawSamples: 128, restarts: 5, seed: 3 };
      const a = await tgp.maximizeAcquisition(opts);
      const b = await engine.maximizeEnsembleAcquisition({ ...opts, members: [{ gp: tgp, weight: 1 }], d: 3, incumbent });
      expect(Array.from(b.x), acquisition).toEqual(Array.from(a.x));
      expect(b.value).toBe(a.value);
    }
    // With pending points (kriging believer) as well.
    const pending = [[0.2, 0.4, 0.6], Array.from((await tgp.maximizeAcquisition({ best, seed: 1 })).x)];
    const a = await tgp.maximizeAcquisition({ best, pending, seed: 2, rawSamples: 256 });
    const b = await engine.maximizeEnsembleAcquisition({ members: [{ gp: tgp, weight: 1, pending: true }], d: 3, best, pending, seed: 2, rawSamples: 256, incumbent });
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
    expect(b.value).toBe(a.value);
  });

  it.skipIf(skip || backend === 'cuda')('mixed columns: one member of weight 1 gives gp.maximizeAcquisition exactly', async () => {
    const r = lcg(4);
    const X = target.X.map((x) => [Math.floor(r() * 3) / 2, x[1]!, x[2]!]);
    const y = X.map((x) => (x[0] === 0.5 ? 1 : 0) + Math.sin(4 * x[1]!) - x[2]!);
    const gp = await engine.fitGP({ X, y, backend: be, categorical: [{ dim: 0, choices: 3 }] });
    const opts = { best: Math.max(...y), rawSamples: 64, restarts: 4, seed: 5, integer: [{ dim: 2, levels: 6 }] };
    const a = await gp.maximizeAcquisition(opts);
    const b = await engine.maximizeEnsembleAcquisition({
      ...opts, members: [{ gp, weight: 1 }], d: 3, categorical: [{ dim: 0, choices: 3 }], incumbent: X[argmax(y)]!,
    });
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
    expect(b.value).toBe(a.value);
    gp.dispose();
  });

  it.skipIf(skip)('predictEnsemble equals the weighted combination of the members\' gp.predict', async () => {
    const r = lcg(12);
    const X = Array.from({ length: 40 }, () => [r(), r(), r()]);
    const p = await engine.predictEnsemble(members, X);
    const c = await combined(members, X);
    X.forEach((_, a) => {
      expect(p.mean[a]).toBeCloseTo(c.mean[a]!, 12);
      expect(p.variance[a]).toBeCloseTo(c.variance[a]!, 12);
    });
    // A Float64Array with d from the members.
    const q = await engine.predictEnsemble(members, Float64Array.from(X.flat()));
    expect(Array.from(q.mean)).toEqual(Array.from(p.mean));
    expect((await engine.predictEnsemble(members, [])).mean.length).toBe(0);
  });

  it.skipIf(skip)('a member that sees a subset of the columns is constant along the others', async () => {
    const only = [{ gp: pgp, weight: 0.7, dims: [2, 0] }];
    const X = [[0.3, 0.1, 0.8], [0.3, 0.9, 0.8], [0.3, 0.5, 0.8]];
    const p = await engine.predictEnsemble(only, X, { d: 3 });
    expect(p.mean[1]).toBe(p.mean[0]);
    expect(p.mean[2]).toBe(p.mean[0]);
    expect(p.variance[1]).toBe(p.variance[0]);
    const own = await pgp.predict([[0.8, 0.3]]);
    expect(p.mean[0]).toBeCloseTo(0.7 * own.mean[0]!, 12);
    expect(p.variance[0]).toBeCloseTo(0.49 * own.variance[0]!, 12);
    // Its maximiser leaves column 1 where the search put it, but the value does not depend on it.
    const m = await engine.maximizeEnsembleAcquisition({ members: only, d: 3, best: 0.7 * Math.max(...partial.y), rawSamples: 64 });
    const moved = Array.from(m.x);
    moved[1] = 1 - moved[1]!;
    const [v0, v1] = (await combined(only, [Array.from(m.x), moved])).mean;
    expect(v1).toBe(v0);
  });

  it.skipIf(skip)('the returned value is the LogEI of the combined posterior, and beats 2000 random points', async () => {
    const res = await engine.maximizeEnsembleAcquisition({ members, d: 3, best, seed: 7 });
    expect(res.warnings).toEqual([]);
    for (const v of res.x) expect(v >= 0 && v <= 1).toBe(true);
    const at = await combined(members, [Array.from(res.x)]);
    expect(res.value).toBeCloseTo(logEI(at.mean[0]!, at.variance[0]!, best), 6);
    const r = lcg(99);
    const R = Array.from({ length: 2000 }, () => [r(), r(), r()]);
    const c = await combined(members, R);
    const top = Math.max(...R.map((_, a) => logEI(c.mean[a]!, c.variance[a]!, best)));
    expect(res.value).toBeGreaterThanOrEqual(top - 1e-9);
    // Reproducible.
    const again = await engine.maximizeEnsembleAcquisition({ members, d: 3, best, seed: 7 });
    expect(Array.from(again.x)).toEqual(Array.from(res.x));
  });

  it.skipIf(skip)('categorical and integer columns come back on their grids', async () => {
    const res = await engine.maximizeEnsembleAcquisition({
      members, d: 3, best, rawSamples: 128, categorical: [{ dim: 0, choices: 3 }], integer: [{ dim: 2, levels: 5 }],
      incumbent: [0.37, 0.5, 0.61],
    });
    expect([0, 0.5, 1]).toContain(res.x[0]);
    expect([0, 0.25, 0.5, 0.75, 1]).toContain(res.x[2]);
    const at = await combined(members, [Array.from(res.x)]);
    expect(res.value).toBeCloseTo(logEI(at.mean[0]!, at.variance[0]!, best), 6);
    // No grid point in a fine sweep of the continuous column beats it.
    const sweep: number[][] = [];
    for (const c0 of [0, 0.5, 1]) for (const c2 of [0, 0.25, 0.5, 0.75, 1]) for (let i = 0; i <= 50; i++) sweep.push([c0, i / 50, c2]);
    const s = await combined(members, sweep);
    const top = Math.max(...sweep.map((_, a) => logEI(s.mean[a]!, s.variance[a]!, best)));
    expect(res.value).toBeGreaterThanOrEqual(top - 1e-9);
  });

  it.skipIf(skip)('pending points on the pending member lower the acquisition there', async () => {
    const first = await engine.maximizeEnsembleAcquisition({ members, d: 3, best, seed: 2 });
    const x0 = Array.from(first.x);
    const next = await engine.maximizeEnsembleAcquisition({ members, d: 3, best, seed: 2, pending: [x0] });
    expect(next.value).toBeLessThan(first.value);
    const dist = Math.hypot(...x0.map((v, j) => v - next.x[j]!));
    expect(dist).toBeGreaterThan(1e-3);
    // Maximised around the pending point alone (one raw sample, its start there), the acquisition is
    // below what it was at that point.
    const local = await engine.maximizeEnsembleAcquisition({ members, d: 3, best, pending: [x0], rawSamples: 1, restarts: 1, maxIterations: 1 });
    expect(local.value).toBeLessThan(first.value);
  });

  it.skipIf(skip)('the members stay usable: concurrent calls in either order, and dispose() during a call', async () => {
    const swapped = [members[2]!, members[0]!, members[1]!];
    const calls = await Promise.all([
      engine.maximizeEnsembleAcquisition({ members, d: 3, best, rawSamples: 64 }),
      engine.maximizeEnsembleAcquisition({ members: swapped, d: 3, best, rawSamples: 64 }),
      // The same model twice: locked once.
      engine.predictEnsemble([{ gp: tgp, weight: 0.5 }, { gp: tgp, weight: 0.5 }], [[0.5, 0.5, 0.5]]),
      tgp.predict([[0.5, 0.5, 0.5]]),
    ]);
    expect(calls[0].x.length).toBe(3);
    expect(calls[2].mean[0]).toBeCloseTo(calls[3].mean[0]!, 12);
    const extra = await engine.fitGP({ X: target.X, y: target.y, backend: be });
    const running = engine.maximizeEnsembleAcquisition({ members: [{ gp: extra, weight: 1 }], d: 3, best, rawSamples: 64 });
    extra.dispose();
    expect((await running).x.length).toBe(3);
  });

  it.skipIf(skip)('invalid arguments: typed errors naming the argument', async () => {
    const ok = { members, d: 3, best };
    const bad = async (o: object, cls: new (...a: never[]) => Error, msg: string) => {
      await expect(engine.maximizeEnsembleAcquisition({ ...ok, ...o } as never)).rejects.toThrow(cls);
      await expect(engine.maximizeEnsembleAcquisition({ ...ok, ...o } as never)).rejects.toThrow(msg);
    };
    const m = (i: number, patch: object) => members.map((x, k) => (k === i ? { ...x, ...patch } : x));
    await bad({ members: m(1, { weight: -1 }) }, InvalidArgumentError, 'Expected a non-negative finite number for `members[1].weight` but received -1');
    await bad({ members: m(1, { weight: NaN }) }, InvalidArgumentError, 'Expected a non-negative finite number for `members[1].weight` but received NaN');
    await bad({ members: m(2, { dims: [3, 0] }) }, InvalidArgumentError, 'Expected an integer in [0, 2] for `members[2].dims[0]` but received 3');
    await bad({ members: m(2, { dims: [0, 0] }) }, InvalidArgumentError, 'Column 0 appears twice in `members[2].dims`');
    await bad({ members: m(2, { dims: [0, 1, 2] }) }, InvalidArgumentError, "Expected 2 column indices (the GP's d) for `members[2].dims` but received an array of length 3");
    await bad({ members: m(2, { dims: undefined }) }, InvalidArgumentError, 'Expected a GP of d = 3 for `members[2].gp` (or `members[2].dims` naming its columns) but received one of d = 2');
    await bad({ members: m(0, { gp: {} }) }, InvalidArgumentError, 'Expected a GP (engine.fitGP) for `members[0].gp` but received an object (Object)');
    await bad({ members: m(1, { wieght: 1 }) }, UnknownOptionError, 'Unknown option `wieght` in `members[1]` (did you mean `weight`?)');
    await bad({ members: [] }, InvalidArgumentError, 'Expected a non-empty array of { gp, weight, dims?, pending? } for `members` but received an array of length 0');
    await bad({ members: members.map((x) => ({ ...x, weight: 0 })) }, InvalidArgumentError, 'Expected at least one positive weight in `members` but every weight is 0');
    await bad({ members: m(1, { pending: true }) }, InvalidArgumentError, 'At most one member may hold the pending points, but `members[0].pending` and `members[1].pending` are both true');
    await bad({ members: [{ gp: pgp, weight: 1, dims: [0, 1], pending: true }] }, InvalidArgumentError, 'Expected false for a member that sees 2 of the 3 columns (the pending member sees them all) for `members[0].pending` but received true');
    await bad({ members: m(0, { pending: false }), pending: [[0.1, 0.2, 0.3]] }, InvalidArgumentError, '`pending` points need a member that holds them');
    await bad({ pending: [[0.1, 0.2, 1.5]] }, InvalidArgumentError, 'Expected a number in [0, 1] for `pending[0][2]` but received 1.5');
    await bad({ best: undefined }, InvalidArgumentError, 'Expected a finite number for `best` but received undefined');
    await bad({ d: 0 }, InvalidArgumentError, 'Expected an integer in [1, 1024] for `d` but received 0');
    await bad({ incumbent: [0.1, 0.2] }, InvalidArgumentError, 'Expected an array of length 3 for `incumbent` but received an array of length 2');
    await bad({ incumbent: [0.1, 0.2, -0.5] }, InvalidArgumentError, 'Expected a number in [0, 1] for `incumbent[2]` but received -0.5');
    await bad({ categorical: [1] }, InvalidArgumentError, 'Expected an object { dim, choices } for `categorical[0]` but received 1');
    await bad({ categorical: [{ dim: 0, choices: 3 }], integer: [{ dim: 0, levels: 3 }] }, InvalidArgumentError, 'Dimension 0 is categorical and cannot also be in `integer`');
    await bad({ rawSample: 3 }, UnknownOptionError, 'Unknown option `rawSample` in `options` (did you mean `rawSamples`?)');
    // UCB needs no incumbent value.
    expect((await engine.maximizeEnsembleAcquisition({ members, d: 3, acquisition: 'ucb', rawSamples: 32 })).x.length).toBe(3);

    await expect(engine.predictEnsemble(m(1, { weight: -1 }), [[0.5, 0.5, 0.5]])).rejects.toThrow('`members[1].weight`');
    await expect(engine.predictEnsemble([members[2]!], new Float64Array(6))).rejects.toThrow(
      "Expected the ensemble's number of columns (Xc is a Float64Array and every member has `dims`) for `options.d` but received undefined",
    );
    await expect(engine.predictEnsemble(members, [[0.5, 0.5]])).rejects.toThrow(
      'Expected a GP of d = 2 for `members[0].gp` (or `members[0].dims` naming its columns) but received one of d = 3',
    );

    const gone = await engine.fitGP({ X: target.X, y: target.y, backend: be });
    gone.dispose();
    const withGone = [members[0]!, { gp: gone, weight: 1 }];
    await expect(engine.maximizeEnsembleAcquisition({ members: withGone, d: 3, best })).rejects.toThrow(InvalidStateError);
    await expect(engine.maximizeEnsembleAcquisition({ members: withGone, d: 3, best })).rejects.toThrow('The GP of `members[1].gp` was disposed');
    await expect(engine.predictEnsemble(withGone, [[0.5, 0.5, 0.5]])).rejects.toThrow(InvalidStateError);
  });
});
