/** TPE internals: normal-distribution maths, Parzen estimator, history ranking, default rules. */
import { describe, expect, it } from 'vitest';
import { categoricalDistribution, contains, floatDistribution, intDistribution, toExternal, type Distribution } from '../../src/distributions/index.js';
import { Rng } from '../../src/util/rng.js';
import { defaultGamma, defaultWeights } from '../../src/samplers/tpe/defaults.js';
import { buildHistory } from '../../src/samplers/tpe/history.js';
import { erfc, logErfc, logGaussMass, logNdtr, ndtr } from '../../src/samplers/tpe/normal.js';
import { ParzenEstimator, type ParzenOptions } from '../../src/samplers/tpe/parzen.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';

// From test/samplers/fixtures/tpe_erfc_cheb.py (mpmath, 40 digits).
const LOG_ERFC: [number, number][] = [
  [-3, 0.6931361352504468], [-0.5, 0.41903914777555956], [0, 0.0], [0.3, -0.3984300514400853], [1, -1.8496055099332482],
  [2.5, -7.806815272727264], [6, -38.37756117322339], [27, -732.8688865078974], [300, -90006.27615297306],
];
const LOG_MASS: [number, number, number][] = [
  [-1, 1, -0.38171514630212605], [-40, -39.5, -784.720879106624], [39.5, 40, -784.720879106624], [-0.1, 0.05, -2.817307581092755],
  [2, 2.000001, -16.734450091168945], [-8, -7.9, -34.797001820199945], [-1e9, -3, -6.607726221510349],
];

describe('normal maths', () => {
  it('log erfc and log Gaussian masses match mpmath to ~1e-12 relative, far tails included', () => {
    for (const [z, want] of LOG_ERFC) expect(Math.abs(logErfc(z) - want), `z=${z}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
    for (const [a, b, want] of LOG_MASS) {
      expect(Math.abs(logGaussMass(a, b) - want), `[${a}, ${b}]`).toBeLessThanOrEqual(2e-9 * Math.max(1, Math.abs(want)));
    }
    expect(erfc(0)).toBe(1);
    expect(erfc(1)).toBeCloseTo(0.15729920705028513, 15);
    expect(ndtr(0)).toBe(0.5);
    expect(ndtr(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(logNdtr(-50)).toBeCloseTo(-1254.8313611394199, 9); // far below double underflow of Φ itself
    expect(Math.abs(logGaussMass(-Infinity, Infinity))).toBe(0);
    expect(logGaussMass(1, 1)).toBe(-Infinity);
  });
});

const OPTS: ParzenOptions = { considerPrior: true, priorWeight: 1, considerMagicClip: true, considerEndpoints: false, multivariate: false, weights: defaultWeights };

describe('ParzenEstimator', () => {
  const dists: Distribution[] = [
    floatDistribution(-5, 5),
    floatDistribution(1e-5, 1, true),
    floatDistribution(0, 1, false, 0.25),
    intDistribution(1, 10),
    intDistribution(0, 100, false, 10),
    intDistribution(1, 1000, true),
    categoricalDistribution(['a', 'b', 'c']),
  ];

  it('samples legal values for every kind of distribution, univariate and joint', () => {
    const rng = new Rng(5);
    const obsRow = [0.5, 1e-3, 0.75, 3, 40, 20, 1];
    for (const multivariate of [false, true]) {
      // Joint over all seven dimensions.
      const obs = new Float64Array(4 * dists.length);
      for (let i = 0; i < 4; i++) obsRow.forEach((v, j) => (obs[i * dists.length + j] = v));
      const pe = new ParzenEstimator(dists, obs, 4, { ...OPTS, multivariate });
      const out = new Float64Array(500 * dists.length);
      pe.sample(rng, 500, out);
      for (let i = 0; i < 500; i++) {
        dists.forEach((d, j) => expect(contains(d, toExternal(d, out[i * dists.length + j]!)), `${JSON.stringify(d)} ${out[i * dists.length + j]}`).toBe(true));
      }
      const lp = new Float64Array(500);
      pe.logPdf(out, 500, lp);
      expect(lp.every((v) => Number.isFinite(v))).toBe(true);
    }
  });

  it('concentrates near the observations and its grid probabilities sum to 1', () => {
    const d = intDistribution(0, 20);
    const obs = Float64Array.from([10, 10, 11, 9, 10]);
    const pe = new ParzenEstimator([d], obs, 5, OPTS);
    const xs = Float64Array.from({ length: 21 }, (_, i) => i);
    const lp = new Float64Array(21);
    pe.logPdf(xs, 21, lp);
    expect(lp.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 10);
    expect(Math.max(...lp)).toBe(lp[10]);
    expect(lp[10]!).toBeGreaterThan(lp[0]! + 1);
    // A categorical estimator: probabilities over the choices sum to 1, the observed choice most likely.
    const c = new ParzenEstimator([categoricalDistribution(['x', 'y', 'z'])], Float64Array.from([2, 2, 0]), 3, OPTS);
    const cp = new Float64Array(3);
    c.logPdf(Float64Array.from([0, 1, 2]), 3, cp);
    expect(cp.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 12);
    expect(cp[2]!).toBeGreaterThan(cp[0]!);
    expect(cp[0]!).toBeGreaterThan(cp[1]!);
  });

  it('works with no observations (the prior alone) and with a one-choice categorical', () => {
    const pe = new ParzenEstimator([floatDistribution(0, 1)], new Float64Array(0), 0, { ...OPTS, considerPrior: false });
    expect(pe.nComponents).toBe(1);
    const out = new Float64Array(10);
    pe.sample(new Rng(1), 10, out);
    expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
    const one = new ParzenEstimator([categoricalDistribution(['only'])], Float64Array.from([0, 0]), 2, OPTS);
    const s = new Float64Array(5);
    one.sample(new Rng(2), 5, s);
    expect([...s]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('default rules', () => {
  it('gamma and weights are Optuna 3.1 defaults', () => {
    expect([0, 1, 10, 11, 100, 250, 251, 1000].map(defaultGamma)).toEqual([0, 1, 1, 2, 10, 25, 25, 25]);
    expect([...defaultWeights(0)]).toEqual([]);
    expect([...defaultWeights(25)]).toEqual(new Array(25).fill(1));
    const w = defaultWeights(30);
    expect(w[0]).toBeCloseTo(1 / 30, 15);
    expect(w[4]).toBe(1);
    expect(w[1]! - w[0]!).toBeCloseTo((1 - 1 / 30) / 4, 15);
    expect([...w.slice(5)]).toEqual(new Array(25).fill(1));
    expect([...defaultWeights(26)]).toEqual([1 / 26, ...new Array(25).fill(1)]);
  });
});

function t(number: number, state: TrialState, value: number | null, intermediate: [number, number][] = []): FrozenTrial {
  return {
    trialId: 100 + number, number, state, values: value === null ? null : [value], params: {}, internalParams: {}, distributions: {},
    userAttrs: {}, systemAttrs: {}, intermediateValues: new Map(intermediate), datetimeStart: null, datetimeComplete: null,
  };
}

describe('history ranking', () => {
  const trials = [
    t(0, TrialState.COMPLETE, 5),
    t(1, TrialState.PRUNED, null, [[0, -100], [3, 1]]), // got to step 3
    t(2, TrialState.RUNNING, null),
    t(3, TrialState.COMPLETE, 2),
    t(4, TrialState.PRUNED, null), // reported nothing
    t(5, TrialState.PRUNED, null, [[1, 0]]),
    t(6, TrialState.FAIL, null),
    t(7, TrialState.COMPLETE, 9),
  ];
  const best = (gamma: number, dir: 'minimize' | 'maximize' = 'minimize', current = -1) => {
    const h = buildHistory(trials, [dir], current, () => gamma);
    return h.trials.filter((_, i) => h.below[i] === 1).map((x) => x.number);
  };

  it('ranks COMPLETE by value, then PRUNED by last step and value, never RUNNING; FAIL ignored', () => {
    const h = buildHistory(trials, ['minimize'], -1, () => 0);
    expect(h.trials.map((x) => x.number)).toEqual([0, 1, 2, 3, 4, 5, 7]);
    expect(h.nFinished).toBe(6);
    expect(best(1)).toEqual([3]);
    expect(best(3)).toEqual([0, 3, 7]);
    expect(best(4)).toEqual([0, 1, 3, 7]); // step 3 beats step 1
    expect(best(5)).toEqual([0, 1, 3, 5, 7]);
    expect(best(6)).toEqual([0, 1, 3, 4, 5, 7]);
    expect(best(99)).toEqual([0, 1, 3, 4, 5, 7]); // clamped: RUNNING never good
    expect(best(1, 'maximize')).toEqual([7]);
    // The trial being sampled is left out.
    expect(buildHistory(trials, ['minimize'], 103, () => 1).trials.map((x) => x.number)).toEqual([0, 1, 2, 4, 5, 7]);
  });

  it('multi-objective: COMPLETE trials only, good group by non-domination rank', () => {
    const mo = (number: number, a: number, b: number): FrozenTrial => ({ ...t(number, TrialState.COMPLETE, null), values: [a, b] });
    const trialsMo = [mo(0, 1, 5), mo(1, 2, 2), mo(2, 5, 1), mo(3, 3, 3), mo(4, 6, 6), t(5, TrialState.PRUNED, null, [[1, 0]])];
    const h = buildHistory(trialsMo, ['minimize', 'minimize'], -1, () => 3);
    expect(h.trials.map((x) => x.number)).toEqual([0, 1, 2, 3, 4]);
    expect(h.trials.filter((_, i) => h.below[i] === 1).map((x) => x.number)).toEqual([0, 1, 2]);
    const h4 = buildHistory(trialsMo, ['minimize', 'minimize'], -1, () => 4);
    expect(h4.trials.filter((_, i) => h4.below[i] === 1).map((x) => x.number)).toEqual([0, 1, 2, 3]);
  });
});
