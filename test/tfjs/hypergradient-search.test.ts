/**
 * hypergradientSearch() on the digits fixture (200 training, 100 validation rows): each method lowers
 * the validation loss from a poor start at the same epochs; the per-unit decays; the warnings, the skipped
 * steps, the option errors; the model it returns; no tensor left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnknownOptionError } from '../../src/index.js';
import { loadTf, type TfModule } from '../../src/tfjs/index.js';
import { hypergradient, hypergradientSearch, type HyperData, type HypergradientSearchOptions } from '../../src/tfjs/hypergradient/index.js';
import { digitsSplits } from './digits.js';

let tf: TfModule;
let data: HyperData;
let dispose: () => void;

beforeAll(async () => {
  tf = (await loadTf()).tf;
  const d = digitsSplits();
  data = { x: d.data.train.x, y: d.data.train.y, xVal: d.data.valid.x, yVal: d.data.valid.y };
  dispose = d.dispose;
});
afterAll(() => dispose());

const mlp = (tf: TfModule, { seed }: { seed: number }) =>
  tf.sequential({
    layers: [
      tf.layers.dense({ units: 32, inputShape: [64], activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 10, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });

const base = (): Omit<HypergradientSearchOptions, 'method' | 'hyperparameters'> => ({ tf, data, buildModel: mlp, epochs: 12, seed: 1 });

describe('hypergradientSearch on digits', () => {
  it.each(['implicit', 'unrolled'] as const)('%s: per-layer decays from a too strong 0.3 end lower, and so does the validation loss', async (method) => {
    const before = tf.memory().numTensors;
    const fixed = await hypergradientSearch({ ...base(), method, hyperparameters: { learningRate: 0.1, weightDecay: 0.3 } });
    const tuned = await hypergradientSearch({ ...base(), method, hyperparameters: { learningRate: 0.1, weightDecay: { init: 0.3, low: 1e-5, high: 1, per: 'layer' } } });
    console.log(`${method}: validation loss ${fixed.valLoss.toFixed(4)} at the start values, ${tuned.valLoss.toFixed(4)} tuned (${JSON.stringify(tuned.hyperparameters)})`);
    expect(Object.keys(tuned.hyperparameters)).toEqual(['learningRate', 'weightDecay/hidden', 'weightDecay/out']);
    expect(tuned.hyperparameters['weightDecay/hidden']).toBeLessThan(0.1);
    expect(tuned.valLoss).toBeLessThan(fixed.valLoss - 0.15);
    expect(tuned.hyperSteps).toBe(12);
    expect(tuned.skippedSteps).toBe(0);
    expect(tuned.history).toHaveLength(12);
    expect(tuned.history[11]!.valLoss).toBeCloseTo(tuned.valLoss, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('online: a learning rate that is too small grows, and the validation loss is lower than at the fixed rate', async () => {
    const fixed = await hypergradientSearch({ ...base(), method: 'online', hyperparameters: { learningRate: 0.005 } });
    const tuned = await hypergradientSearch({ ...base(), method: 'online', hyperparameters: { learningRate: { init: 0.005, low: 1e-4, high: 1 } } });
    expect(tuned.hyperparameters['learningRate']).toBeGreaterThan(0.008);
    expect(tuned.valLoss).toBeLessThan(fixed.valLoss);
  });

  it('tunes one decay per output unit (42 here), and returns the trained model with keepModel', async () => {
    const r = await hypergradientSearch({
      ...base(),
      epochs: 3,
      method: 'implicit',
      keepModel: true,
      neumannSteps: 5,
      hyperparameters: { learningRate: 0.1, weightDecay: { init: 0.01, low: 1e-6, high: 1, per: 'unit', bias: true } },
    });
    const names = Object.keys(r.hyperparameters);
    expect(names).toHaveLength(1 + 32 + 10);
    expect(names.slice(0, 3)).toEqual(['learningRate', 'weightDecay/hidden/unit0', 'weightDecay/hidden/unit1']);
    expect(new Set(names.slice(1).map((n) => r.hyperparameters[n])).size).toBeGreaterThan(10);
    const ce = tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(data.yVal, tf.log(r.model!.predict(data.xVal) as ReturnType<TfModule['tensor']>)), 1))).dataSync()[0]!);
    expect(ce).toBeCloseTo(r.valLoss, 4);
    r.model!.dispose();
  });
});

describe('bad input', () => {
  it('warns once about a hyperparameter the validation loss does not depend on', async () => {
    const messages: string[] = [];
    const r = await hypergradientSearch({
      ...base(),
      epochs: 3,
      method: 'unrolled',
      unrollSteps: 3,
      hyperparameters: { learningRate: 0.1, weightDecay: { init: 0.01, low: 1e-5, high: 1 }, custom: { unused: { init: 1, low: 0.1, high: 10 } } },
      trainingLoss: ({ base }) => base,
      onWarning: (m) => messages.push(m),
    });
    expect(messages).toEqual([
      'hypergradientSearch: the hypergradient of "unused" is exactly 0: the validation loss does not depend on it through the training loss, so it stays at the initial value',
    ]);
    expect(r.hyperparameters['unused']).toBe(1);
    expect(r.hyperparameters['weightDecay']).not.toBe(0.01);
  });

  it('without onWarning, warns through process.emitWarning (type TunableWarning)', async () => {
    const seen: Error[] = [];
    const listener = (w: Error) => seen.push(w);
    process.on('warning', listener);
    try {
      await hypergradientSearch({
        ...base(),
        epochs: 2,
        method: 'implicit',
        neumannSteps: 2,
        hyperparameters: { learningRate: 0.1, custom: { unused: { init: 1, low: 0.1, high: 10 } } },
        trainingLoss: ({ base }) => base,
      });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    const ours = seen.filter((w) => w.name === 'TunableWarning');
    expect(ours.map((w) => [w.message, (w as Error & { code?: string }).code])).toEqual([
      [
        'hypergradientSearch: the hypergradient of "unused" is exactly 0: the validation loss does not depend on it through the training loss, so it stays at the initial value',
        'TUNABLE_HYPERGRADIENT_ZERO',
      ],
    ]);
  });

  it('skips and counts outer steps whose hypergradient is not finite', async () => {
    const before = tf.memory().numTensors;
    // d√c/dc is infinite at c = 0, where c starts and stays.
    const r = await hypergradientSearch({
      ...base(),
      epochs: 3,
      method: 'implicit',
      neumannSteps: 2,
      hyperparameters: { learningRate: 0.1, custom: { c: { init: 0, low: 0, high: 1, log: false } } },
      trainingLoss: ({ base, weights, hp, tf }) => tf.add(base, tf.mul(tf.sqrt(hp['c']!), tf.sum(tf.square(weights[0]!)))),
      onWarning: () => {},
    });
    expect(r.skippedSteps).toBe(3);
    expect(r.hyperSteps).toBe(0);
    expect(r.hyperparameters['c']).toBe(0);
    expect(Number.isFinite(r.valLoss)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  const hp = { learningRate: 0.1, weightDecay: { init: 0.01, low: 1e-5, high: 1 } };
  it.each<[string, Record<string, unknown>, string]>([
    ['method', { method: 'newton' }, 'Expected one of "online", "implicit", "unrolled" for `method` but received "newton"'],
    ['epochs', { epochs: 0 }, 'Expected an integer >= 1 for `epochs` but received 0'],
    ['seed', { seed: 1.5 }, 'Expected an integer for `seed` but received 1.5'],
    ['hyperLearningRate', { hyperLearningRate: -1 }, 'Expected a positive finite number for `hyperLearningRate` but received -1'],
    ['optimizer with unrolled', { method: 'unrolled', optimizer: 'adam' }, 'Expected "sgd" with method "unrolled" (the unrolled steps are SGD steps) for `optimizer` but received "adam"'],
    ['unrollSteps', { method: 'unrolled', hyperEvery: 4, unrollSteps: 5 }, 'Expected an integer <= hyperEvery (4) for `unrollSteps` but received 5'],
    ['online with a tuned decay', { method: 'online' }, 'Expected a fixed number with method "online" (it tunes the learning rate only) for `hyperparameters.weightDecay` but received an object (Object)'],
    ['bounds', { hyperparameters: { weightDecay: { init: 0.1, low: 1, high: 0.5 } } }, 'Expected `hyperparameters.weightDecay.low` < `hyperparameters.weightDecay.high` but received low=1, high=0.5'],
    ['init', { hyperparameters: { weightDecay: { init: 2, low: 0.1, high: 1 } } }, 'Expected a number in [0.1, 1] for `hyperparameters.weightDecay.init` but received 2'],
    ['log with low 0', { hyperparameters: { learningRate: { init: 0.1, low: 0, high: 1 } } }, 'Expected a positive number (log scale) for `hyperparameters.learningRate.low` but received 0'],
    ['NaN', { hyperparameters: { learningRate: { init: NaN, low: 0.01, high: 1 } } }, 'Expected a finite number for `hyperparameters.learningRate.init` but received NaN'],
    ['per', { hyperparameters: { weightDecay: { init: 0.1, low: 0.01, high: 1, per: 'neuron' } } }, 'Expected one of "global", "layer", "variable", "unit" for `hyperparameters.weightDecay.per` but received "neuron"'],
    ['buildModel', { buildModel: 3 }, 'Expected a function for `buildModel` but received 3'],
    ['batchSize', { batchSize: 0 }, 'Expected an integer >= 1 for `batchSize` but received 0'],
  ])('%s', async (_name, patch, message) => {
    const opts = { ...base(), method: 'implicit', hyperparameters: hp, ...patch } as unknown as HypergradientSearchOptions;
    await expect(hypergradientSearch(opts)).rejects.toThrow(new InvalidArgumentError(message));
    await expect(hypergradientSearch(opts)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('rejects unknown option names with a hint', async () => {
    const opts = { ...base(), method: 'implicit', hyperparameters: hp, neumanSteps: 5 } as unknown as HypergradientSearchOptions;
    await expect(hypergradientSearch(opts)).rejects.toBeInstanceOf(UnknownOptionError);
    await expect(hypergradientSearch(opts)).rejects.toThrow(/^Unknown option `neumanSteps` in `hypergradientSearch options` \(did you mean `neumannSteps`\?\)/);
    const inner = { ...base(), method: 'implicit', hyperparameters: { learningRate: 0.1, weightdecay: 0.1 } } as unknown as HypergradientSearchOptions;
    await expect(hypergradientSearch(inner)).rejects.toThrow(/^Unknown option `weightdecay` in `hyperparameters` \(did you mean `weightDecay`\?\)/);
  });

  it('rejects mismatched data and models it cannot differentiate, leaving no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const yShort = tf.slice(data.y, [0, 0], [10, 10]) as HyperData['y'];
    await expect(hypergradientSearch({ ...base(), method: 'implicit', hyperparameters: hp, data: { ...data, y: yShort } })).rejects.toThrow(
      new InvalidArgumentError('Expected as many rows in `data.y` as in `data.x` (198) but received 10'),
    );
    yShort.dispose();
    const withDropout = (tf: TfModule) =>
      tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [64], name: 'h' }), tf.layers.dropout({ rate: 0.5, name: 'drop' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
    await expect(hypergradientSearch({ ...base(), method: 'implicit', hyperparameters: hp, buildModel: withDropout })).rejects.toThrow(
      new InvalidArgumentError('Expected a model of dense layers for `buildModel()` but layer 1 ("drop") is a Dropout'),
    );
    const selu = (tf: TfModule) => tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [64], activation: 'selu', name: 'h' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
    await expect(hypergradientSearch({ ...base(), method: 'implicit', hyperparameters: hp, buildModel: selu })).rejects.toThrow(
      new InvalidArgumentError('Expected one of "linear", "relu", "elu", "softplus", "sigmoid", "tanh", "softmax" for the activation of layer "h" but received "selu"'),
    );
    const noSoftmax = (tf: TfModule) => tf.sequential({ layers: [tf.layers.dense({ units: 10, inputShape: [64], name: 'lin' })] });
    await expect(hypergradientSearch({ ...base(), method: 'implicit', hyperparameters: hp, buildModel: noSoftmax })).rejects.toThrow(
      new InvalidArgumentError('Expected a softmax last layer for `loss` "categoricalCrossentropy" but layer "lin" has "linear"'),
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('onlineLearningRate rejects what is not an optimiser', () => {
    expect(() => hypergradient.onlineLearningRate({} as never, { tf })).toThrow(
      new InvalidArgumentError('Expected a tf.train optimiser with a learning rate (sgd, momentum, adam, adamax, rmsprop, adagrad) for `optimizer` but received an object (Object)'),
    );
  });
});

describe('meanSquaredError', () => {
  it('tunes the ridge decay of a linear regression towards a lower validation loss', async () => {
    const before = tf.memory().numTensors;
    // y = x·β + noise with 20 features and 30 training rows: unregularised least squares overfits.
    const [x, y, xVal, yVal] = tf.tidy(() => {
      const beta = tf.randomNormal([20, 1], 0, 0.3, 'float32', 5);
      const mk = (n: number, seed: number) => {
        const xs = tf.randomNormal([n, 20], 0, 1, 'float32', seed);
        return [xs, tf.add(tf.matMul(xs, beta), tf.randomNormal([n, 1], 0, 1, 'float32', seed + 100))];
      };
      return [...mk(30, 1), ...mk(200, 2)];
    }) as HyperData['x'][];
    const linear = (tf: TfModule) => tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [20], kernelInitializer: 'zeros' })] });
    const common = { tf, data: { x: x!, y: y!, xVal: xVal!, yVal: yVal! }, buildModel: linear, epochs: 300, seed: 0, loss: 'meanSquaredError' as const, batchSize: 30, method: 'implicit' as const };
    const fixed = await hypergradientSearch({ ...common, hyperparameters: { learningRate: 0.2, weightDecay: 1e-4 } });
    const tuned = await hypergradientSearch({ ...common, neumannSteps: 50, hyperEvery: 5, hyperparameters: { learningRate: 0.2, weightDecay: { init: 1e-4, low: 1e-5, high: 10 } } });
    console.log(`ridge: validation loss ${fixed.valLoss.toFixed(4)} at λ = 1e-4, ${tuned.valLoss.toFixed(4)} at the tuned λ = ${tuned.hyperparameters['weightDecay']!.toPrecision(3)}`);
    expect(tuned.hyperparameters['weightDecay']).toBeGreaterThan(1e-3);
    expect(tuned.valLoss).toBeLessThan(fixed.valLoss);
    tf.dispose([x!, y!, xVal!, yVal!]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
