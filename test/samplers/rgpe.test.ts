/** RGPE's ranking weights and the leave-one-out predictions they judge the target's model by (src/samplers/gp/rgpe.ts). */
import { describe, expect, it } from 'vitest';
import { engine } from '../../src/index.js';
import { leaveOneOut, rankingWeights, type JointPosterior } from '../../src/samplers/gp/rgpe.js';
import { Rng } from '../../src/util/rng.js';

/** A source posterior that is sure of `mean` (tiny independent variances). */
function sure(mean: number[], sd = 1e-3): JointPosterior {
  const n = mean.length;
  const covariance = new Float64Array(n * n);
  for (let i = 0; i < n; i++) covariance[i * n + i] = sd * sd;
  return { mean, covariance };
}

const y = [0.1, 0.9, -0.4, 1.6, 0.3, -1.2, 0.7, 2.1, -0.8, 0.0];
/** A target model that predicts its points badly on leave-one-out: mean 0, unit variance. */
const vagueTarget = { mean: new Float64Array(y.length), variance: new Float64Array(y.length).fill(1) };

describe('rankingWeights', () => {
  it('trusts a source that ranks the target trials as they are, and not a reversed or unrelated one', () => {
    const rng = new Rng(1);
    const noise = new Rng(7);
    const related = sure(y.map((v) => 3 * v + 10));
    const reversed = sure(y.map((v) => -v));
    const unrelated = sure(y.map(() => noise.normal()));
    const { weights, medianLoss } = rankingWeights(y, [reversed, unrelated, related], vagueTarget, 256, rng);
    expect(weights[2]).toBe(1);
    expect(weights[0]).toBe(0);
    expect(weights[1]).toBe(0);
    expect(medianLoss[2]).toBe(0);
    expect(medianLoss[0]).toBe(1);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('gives a reversed source no weight even when the target model is no better than a coin (weight dilution)', () => {
    const reversed = sure(y.map((v) => -v), 0.5);
    const { weights } = rankingWeights(y, [reversed], vagueTarget, 512, new Rng(3));
    expect(weights[0]).toBe(0);
    expect(weights[1]).toBe(1);
  });

  it('gives a tie with the target to the target, and splits ties among sources at random', () => {
    // One trial: nothing is ordered, every loss is 0.
    const one = rankingWeights([0.5], [sure([1]), sure([2])], { mean: [0], variance: [1] }, 3000, new Rng(5)).weights;
    expect(Array.from(one)).toEqual([0, 0, 1]);
    // Two sources that order every pair right, a target that orders them wrong: the sources share the draws.
    const reversedTarget = { mean: y.map((v) => -v), variance: new Float64Array(y.length).fill(1e-6) };
    const two = rankingWeights(y, [sure(y), sure(y.map((v) => 2 * v))], reversedTarget, 3000, new Rng(6)).weights;
    expect(two[0]).toBeGreaterThan(0.45);
    expect(two[1]).toBeGreaterThan(0.45);
    expect(two[2]).toBe(0);
  });

  it('is reproducible for a seed', () => {
    const src = [sure(y.map((v) => v + 0.5), 0.8)];
    const a = rankingWeights(y, src, vagueTarget, 200, new Rng(11)).weights;
    const b = rankingWeights(y, src, vagueTarget, 200, new Rng(11)).weights;
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('leaveOneOut', () => {
  it('equals refitting without each point at the same hyperparameters', async () => {
    const rng = new Rng(2);
    const n = 12;
    const X = Array.from({ length: n }, () => [rng.random(), rng.random()]);
    const ys = X.map(([a, b]) => Math.sin(6 * a!) + b! * b! + 0.05 * rng.normal());
    const gp = await engine.fitGP({ X, y: ys, seed: 0, restarts: 2 });
    try {
      const own = await gp.predict(X);
      const loo = leaveOneOut(ys, own.mean, own.variance, gp.hyperparameters.noise);
      for (const i of [0, 5, 11]) {
        const rest = X.filter((_, k) => k !== i);
        const restY = ys.filter((_, k) => k !== i);
        const alone = await engine.fitGP({ X: rest, y: restY, warmStart: gp.hyperparameters, fixed: true });
        try {
          const p = await alone.predict([X[i]!]);
          expect(loo.mean[i]).toBeCloseTo(p.mean[0]!, 6);
          // The leave-one-out predictive of y_i includes the observation noise.
          expect(loo.variance[i]).toBeCloseTo(p.variance[0]! + gp.hyperparameters.noise, 6);
        } finally {
          alone.dispose();
        }
      }
    } finally {
      gp.dispose();
    }
  });
});
