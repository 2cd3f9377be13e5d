/**
 * The surrogate the dashboard sends: its posterior, evaluated in plain float64 TypeScript from the JSON
 * alone (src/dashboard/posterior-reference.ts), agrees with the engine's `gp.predict`; its data and
 * transform are the GPSampler's; its errors are typed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { factorSurrogate, posteriorCpu, toObjectiveValue, type SurrogateJSON } from '../../src/dashboard/posterior-reference.js';
import { fitSurrogate, transformScale } from '../../src/dashboard/surrogate.js';
import type { GP } from '../../src/engine/gp.js';
import { engine } from '../../src/engine/index.js';
import { InvalidArgumentError, InvalidStateError } from '../../src/errors.js';
import { Encoding, gpSpace } from '../../src/samplers/gp/encode.js';
import { transformValues } from '../../src/samplers/gp/model.js';
import { RandomSampler } from '../../src/samplers/random.js';
import { createStudy, type Study } from '../../src/study/study.js';
import { TrialState } from '../../src/trial/index.js';
import type { Trial } from '../../src/study/trial.js';

const gps: GP[] = [];
afterEach(() => {
  for (const gp of gps.splice(0)) gp.dispose();
});

async function study(direction: 'minimize' | 'maximize', n: number, objective: (t: Trial) => number, seed = 1): Promise<Study> {
  const s = await createStudy({ storage: 'memory:', direction, sampler: new RandomSampler({ seed }) });
  await s.optimize(objective, { nTrials: n });
  return s;
}

/** Continuous, log, int and categorical parameters. */
const mixed = (t: Trial): number => {
  const x = t.suggestFloat('x', -2, 2);
  const lr = t.suggestFloat('lr', 1e-4, 1, { log: true });
  const k = t.suggestInt('k', 1, 8);
  const c = t.suggestCategorical('c', ['a', 'b', 'c']);
  return (x - 0.5) ** 2 + (Math.log10(lr) + 2) ** 2 + 0.1 * (k - 3) ** 2 + (c === 'b' ? 0 : 1) + 0.05 * Math.sin(7 * x);
};

/** Random points of the cube; categorical coordinates on their choices (i / (k - 1)), as the browser draws them. */
function points(s: SurrogateJSON, m: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const rand = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const p = new Float64Array(m * s.d);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < s.d; j++) {
      const dist = s.distributions[s.names[j]!]!;
      if (dist.type === 'categorical') {
        const k = dist.choices.length;
        p[i * s.d + j] = Math.floor(rand() * k) / (k - 1);
      } else {
        p[i * s.d + j] = rand();
      }
    }
  }
  return p;
}

/** |a − b| <= 1e-8 · max(|b|, floor): relative, with a floor at the model's own scale for values near 0. */
function close(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!);
    const tol = 1e-8 * Math.max(Math.abs(b[i]!), floor);
    if (!(err <= tol)) expect.fail(`point ${i}: ${a[i]} against the engine's ${b[i]} (error ${err}, tolerance ${tol})`);
  }
}

async function checkAgainstEngine(json: SurrogateJSON, gp: GP, seed: number): Promise<void> {
  const ref = factorSurrogate(JSON.parse(JSON.stringify(json)) as SurrogateJSON);
  const at = new Float64Array([...points(json, 40, seed), ...json.X.slice(0, 3 * json.d)]);
  const engine = await gp.predict(at);
  const mine = posteriorCpu(ref, at);
  const sf2 = json.hyperparameters.outputscale;
  close(mine.mean, engine.mean, Math.sqrt(sf2));
  close(mine.variance, engine.variance, sf2);
}

describe('the posterior from the JSON', () => {
  it('agrees with gp.predict (matern52) to 1e-8 relative on continuous, log, int and categorical parameters', async () => {
    const s = await study('minimize', 30, mixed);
    const { json, gp } = await fitSurrogate(s.trials, s.directions);
    gps.push(gp);
    expect(json.kernel).toBe('matern52');
    expect(json.names).toEqual(['c', 'k', 'lr', 'x']);
    expect(json.categoricalDims).toEqual([0]);
    expect(json.n).toBe(30);
    expect(json.X).toHaveLength(30 * 4);
    await checkAgainstEngine(json, gp, 7);
  });

  it('agrees with an RBF fit of the same data as well', async () => {
    const s = await study('maximize', 20, mixed, 4);
    const { json, gp } = await fitSurrogate(s.trials, s.directions);
    gps.push(gp);
    const rbf = await engine.fitGP({
      X: Float64Array.from(json.X), d: json.d, y: json.y as number[], kernel: 'rbf', seed: 0,
      categorical: json.categoricalDims.map((dim) => {
        const dist = json.distributions[json.names[dim]!]!;
        return { dim, choices: dist.type === 'categorical' ? dist.choices.length : 0 };
      }),
    });
    gps.push(rbf);
    const h = rbf.hyperparameters;
    await checkAgainstEngine({ ...json, kernel: 'rbf', hyperparameters: { ...h }, jitter: rbf.fitInfo.jitter }, rbf, 3);
  });
});

describe('fitSurrogate', () => {
  it('models what the GPSampler would: its encoding, its value transform, its search space', async () => {
    const s = await study('minimize', 12, mixed, 3);
    const { json, gp } = await fitSurrogate(s.trials, s.directions);
    gps.push(gp);
    const complete = s.trials.filter((t) => t.state === TrialState.COMPLETE);
    const enc = new Encoding(gpSpace(complete[0]!.distributions));
    expect(json.X).toEqual(complete.flatMap((t) => enc.encodeTrial(t)!));
    expect(json.y).toEqual(Array.from(transformValues(complete.map((t) => -t.values![0]!), 'log')));
    expect(json.trialNumbers).toEqual(complete.map((t) => t.number));
    expect(json.toObjective.sign).toBe(-1);
  });

  it('maps the GP scale back to the objective: each target to its trial value', async () => {
    for (const direction of ['minimize', 'maximize'] as const) {
      const s = await study(direction, 15, mixed, 5);
      const { json, gp } = await fitSurrogate(s.trials, s.directions);
      gps.push(gp);
      const values = s.trials.map((t) => t.values![0]!);
      json.y.forEach((y, i) => expect(toObjectiveValue(json.toObjective, y)).toBeCloseTo(values[i]!, 9));
    }
  });

  it('reproduces transformValues with its scale constants, warped or not, huge values too', () => {
    const cases: [number[], 'log' | 'none'][] = [
      [[3, -1, 0.5, 2, 2, -7], 'log'],
      [[3, -1, 0.5, 2], 'none'],
      [[1, 2], 'log'],
      [[4, 4, 4], 'log'],
      [[1e200, -3e200, 2e150, 0], 'log'],
    ];
    for (const [values, warping] of cases) {
      const y = transformValues(values, warping);
      const scale = transformScale(values, warping, 1);
      // Relative to the largest |value|: the round trip is exact to rounding on the scale of the data.
      const largest = Math.max(...values.map(Math.abs));
      y.forEach((v, i) => expect(Math.abs(toObjectiveValue(scale, v) - values[i]!) / largest).toBeLessThan(1e-12));
    }
  });

  it('agrees with the engine on an integer-only and a log-only space, and on a maximised second objective', async () => {
    const s = await createStudy({ storage: 'memory:', directions: ['minimize', 'maximize'], sampler: new RandomSampler({ seed: 2 }) });
    await s.optimize((t) => {
      const n = t.suggestInt('n', 1, 64, { log: true });
      const m = t.suggestInt('m', 0, 10, { step: 2 });
      const a = t.suggestFloat('a', 1e-3, 10, { log: true });
      return [Math.log(n) + m, Math.sin(a) - 0.1 * m];
    }, { nTrials: 25 });
    const { json, gp } = await fitSurrogate(s.trials, s.directions, 1);
    gps.push(gp);
    expect(json.objective).toBe(1);
    expect(json.toObjective.sign).toBe(1);
    expect(json.categoricalDims).toEqual([]);
    await checkAgainstEngine(json, gp, 11);
  });

  it('is deterministic: the same trials give the same hyperparameters', async () => {
    const s = await study('minimize', 15, mixed, 9);
    const a = await fitSurrogate(s.trials, s.directions);
    const b = await fitSurrogate(s.trials, s.directions);
    gps.push(a.gp, b.gp);
    expect(a.json).toEqual(b.json);
  });

  it('throws typed errors: too few trials, nothing to model, objective out of range', async () => {
    const one = await study('minimize', 1, mixed);
    await expect(fitSurrogate(one.trials, one.directions)).rejects.toThrow(
      new InvalidStateError('The surrogate needs at least 2 COMPLETE trials with a value for objective 0; the study has 1'),
    );
    const none = await study('minimize', 4, () => 1);
    await expect(fitSurrogate(none.trials, none.directions)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(fitSurrogate(none.trials, none.directions)).rejects.toThrow(/no parameter to model/);
    const s = await study('minimize', 4, mixed);
    await expect(fitSurrogate(s.trials, s.directions, 1)).rejects.toThrow(
      new InvalidArgumentError('Expected an integer in [0, 0] for `objective` but received 1'),
    );
  });
});
