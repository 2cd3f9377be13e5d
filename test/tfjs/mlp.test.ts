/**
 * The pruning callback and the MLP helpers with real TensorFlow.js (wasm here, cpu where wasm cannot
 * load) on a small slice of the digits data: 2-layer MLPs, a few epochs each.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStudy, InvalidArgumentError, RandomSampler, TrialPruned, TrialState, type Pruner } from '../../src/index.js';
import type { FrozenTrial } from '../../src/trial/index.js';
import {
  buildMlp,
  disposeModel,
  evaluate,
  loadTf,
  MonitorKeyError,
  mlpObjective,
  mlpParamsFrom,
  pruningCallback,
  SeededDropout,
  stratifiedSplit,
  suggestMlpParams,
  trainAndEvaluate,
  type MlpParams,
  type TfModule,
  type TrainData,
} from '../../src/tfjs/index.js';
import { tempDir } from '../helpers.js';
import { digitsSplits } from './digits.js';

/** Prunes once a trial reported at `step` or later; counts the questions it was asked. */
class PruneFrom implements Pruner {
  asked = 0;
  constructor(private readonly step: number) {}
  prune(_study: unknown, trial: FrozenTrial): boolean {
    this.asked++;
    return [...trial.intermediateValues.keys()].some((s) => s >= this.step);
  }
}

const SMALL: MlpParams = { layers: 2, units: 16, learningRate: 0.01, dropout: 0.1, batchSize: 32, activation: 'relu' };

let tf: TfModule;
let data: TrainData;
const dir = tempDir();

beforeAll(async () => {
  tf = (await loadTf()).tf;
  const digits = digitsSplits();
  data = digits.data;
  return digits.dispose;
});

describe('stratifiedSplit', () => {
  it('keeps every class in proportion, uses every row once and is seeded', () => {
    const labels = Array.from({ length: 200 }, (_, i) => i % 4);
    const s = stratifiedSplit(labels, { valid: 0.2, test: 0.1 }, 3);
    expect([s.train.length, s.valid.length, s.test.length]).toEqual([140, 40, 20]);
    expect([...s.train, ...s.valid, ...s.test].sort((a, b) => a - b)).toEqual([...labels.keys()]);
    for (let c = 0; c < 4; c++) expect(s.valid.filter((i) => labels[i] === c)).toHaveLength(10);
    expect(stratifiedSplit(labels, { valid: 0.2, test: 0.1 }, 3)).toEqual(s);
    expect(stratifiedSplit(labels, { valid: 0.2, test: 0.1 }, 4)).not.toEqual(s);
    expect(() => stratifiedSplit(labels, { valid: 0.6, test: 0.4 })).toThrow(/valid \+ test < 1/);
  });
});

describe('pruningCallback', () => {
  it('reports the monitored metric at every epoch and does not stop an unpruned trial', async () => {
    const study = await createStudy({ storage: `sqlite:${join(dir, 'report.db')}`, direction: 'maximize' });
    const trial = await study.ask();
    const { model } = buildMlp(SMALL, { inputDim: 64, nClasses: 10, seed: 1 });
    const cb = pruningCallback(trial, { monitor: 'val_acc' });
    const h = await model.fit(data.train.x, data.train.y, { epochs: 3, batchSize: 32, validationData: [data.valid.x, data.valid.y], callbacks: [cb] });
    disposeModel(model);
    expect(() => cb.throwIfPruned()).not.toThrow();
    expect([cb.epochsRun, cb.pruned, cb.prunedAtEpoch]).toEqual([3, false, null]);
    const accs = h.history['val_acc'] as number[];
    expect([...trial.intermediateValues]).toEqual(accs.map((v, i) => [i, v]));
    expect(cb.lastValue).toBe(accs[2]);
    const stored = await study.tell(trial, accs[2]!);
    expect([...stored.intermediateValues.keys()]).toEqual([0, 1, 2]);
  });

  it('stops training when the pruner prunes: fewer epochs run than asked, then TrialPruned', async () => {
    const pruner = new PruneFrom(1);
    const study = await createStudy({ direction: 'maximize', pruner });
    const trial = await study.ask();
    const { model } = buildMlp(SMALL, { inputDim: 64, nClasses: 10 });
    const cb = pruningCallback(trial, { monitor: 'val_loss' });
    const h = await model.fit(data.train.x, data.train.y, { epochs: 10, batchSize: 32, validationData: [data.valid.x, data.valid.y], callbacks: [cb] });
    disposeModel(model);
    expect(h.epoch).toEqual([0, 1]);
    expect([cb.epochsRun, cb.pruned, cb.prunedAtEpoch, pruner.asked]).toEqual([2, true, 1, 2]);
    expect(() => cb.throwIfPruned()).toThrow(TrialPruned);
    expect(() => cb.throwIfPruned()).toThrow(/^Trial 0 pruned at epoch 1 \(val_loss = \d/);
    const stored = await study.tell(trial, 'PRUNED');
    expect(stored.state).toBe(TrialState.PRUNED);
    expect([...stored.intermediateValues.keys()]).toEqual([0, 1]);
  });

  it('names the missing key and the keys present, and leaves the model usable', async () => {
    const study = await createStudy();
    const trial = await study.ask();
    const { model } = buildMlp(SMALL, { inputDim: 64, nClasses: 10 });
    const fit = (monitor: string, validation: boolean) =>
      model.fit(data.train.x, data.train.y, {
        epochs: 2,
        ...(validation ? { validationData: [data.valid.x, data.valid.y] as [typeof data.valid.x, typeof data.valid.y] } : {}),
        callbacks: [pruningCallback(trial, { monitor })],
      });
    const err = await fit('val_accuracy', true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonitorKeyError);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as MonitorKeyError).monitor).toBe('val_accuracy');
    expect([...(err as MonitorKeyError).available].sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
    expect((err as Error).message).toMatch(/^The monitored metric "val_accuracy" is not in the epoch logs; available: .*"val_acc"/);
    await expect(fit('val_acc', false)).rejects.toThrow(/available: "loss", "acc" \(validation metrics need `validationData`/);
    const h = await model.fit(data.train.x, data.train.y, { epochs: 1 }); // fit() was not left half-open
    expect(h.epoch).toEqual([0]);
    disposeModel(model);
    expect(() => pruningCallback(trial, {} as never)).toThrow(/monitor/);
    expect(() => pruningCallback(trial, { monitor: 'acc', patience: 2 } as never)).toThrow(/patience/);
  });

  it('stops a diverged trial (non-finite metric) as pruned without reporting it', async () => {
    const study = await createStudy();
    const trial = await study.ask();
    const { model } = buildMlp(SMALL, { inputDim: 64, nClasses: 10 });
    const cb = pruningCallback(trial, { monitor: 'val_loss' });
    cb.setModel(model);
    await cb.onEpochEnd(0, { val_loss: 2.5 });
    await cb.onEpochEnd(1, { val_loss: tf.scalar(NaN) });
    expect(model.stopTraining).toBe(true);
    expect([...trial.intermediateValues]).toEqual([[0, 2.5]]);
    expect(() => cb.throwIfPruned()).toThrow(/val_loss became NaN at epoch 1/);
    disposeModel(model);
  });
});

describe('MLP helpers', () => {
  it('suggests the documented space and builds the model it describes', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 5 }) });
    const trial = await study.ask();
    const { model, params } = buildMlp(trial, { inputDim: 64, nClasses: 10, space: { layers: [2, 2], activation: ['tanh'] } });
    expect(Object.keys(trial.params).sort()).toEqual(['activation', 'batchSize', 'dropout', 'layers', 'learningRate', 'units']);
    expect(trial.params).toEqual(params);
    expect(params.layers).toBe(2);
    expect(params.activation).toBe('tanh');
    expect(params.units).toBeGreaterThanOrEqual(16);
    expect(params.units).toBeLessThanOrEqual(256);
    expect(trial.distributions['learningRate']).toMatchObject({ type: 'float', log: true, low: 1e-4, high: 0.1 });
    const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
    expect(dense.map((l) => (l.getConfig() as { units: number }).units)).toEqual([params.units, params.units, 10]);
    expect(model.layers.filter((l) => l.getClassName() === 'Dropout')).toHaveLength(params.dropout > 0 ? 2 : 0);
    disposeModel(model);
    // With a seed the dropout layers are SeededDropout (reproducible masks).
    const seeded = buildMlp(params, { inputDim: 64, nClasses: 10, seed: 1 }).model;
    expect(seeded.layers.filter((l) => l instanceof SeededDropout)).toHaveLength(params.dropout > 0 ? 2 : 0);
    disposeModel(seeded);
    expect(() => suggestMlpParams(trial, { unit: [1, 2] } as never)).toThrow(/unit/);
  });

  it('draws a fresh dropout mask for every batch, also with a seed; a seed reproduces the masks', () => {
    const masksOf = (seed: number | undefined) => {
      const { model } = buildMlp({ ...SMALL, layers: 1, dropout: 0.5 }, { inputDim: 64, nClasses: 10, ...(seed === undefined ? {} : { seed }) });
      const drop = model.layers.find((l) => ['Dropout', 'SeededDropout'].includes(l.getClassName()))!;
      const masks = tf.tidy(() => [0, 1, 2].map(() => Array.from((drop.apply(tf.ones([4, 16]), { training: true }) as typeof data.train.x).dataSync()).join()));
      // Inference passes the input through unchanged.
      const inference = tf.tidy(() => Array.from((drop.apply(tf.ones([2, 16]), { training: false }) as typeof data.train.x).dataSync()));
      disposeModel(model);
      expect(inference.every((v) => v === 1)).toBe(true);
      return masks;
    };
    for (const seed of [undefined, 4]) expect(new Set(masksOf(seed)).size).toBe(3);
    expect(masksOf(4)).toEqual(masksOf(4));
    expect(masksOf(5)).not.toEqual(masksOf(4));
    expect(() => new SeededDropout({ rate: 1, seed: 0 })).toThrow(/rate/);
    expect(() => new SeededDropout({ rate: 0.5, seed: -1 })).toThrow(/seed/);
  });

  it('seeded training is reproducible (weights, dropout, batch order); another seed trains differently', async () => {
    const before = tf.memory().numTensors;
    const train = async (seed: number) => {
      const { model, params } = buildMlp({ ...SMALL, dropout: 0.3 }, { inputDim: 64, nClasses: 10, seed });
      try {
        return (await trainAndEvaluate(model, data, { epochs: 3, batchSize: params.batchSize, seed })).history;
      } finally {
        disposeModel(model);
      }
    };
    const a = await train(11);
    expect(a['val_acc']).toHaveLength(3);
    expect(await train(11)).toEqual(a);
    expect((await train(12))['loss']).not.toEqual(a['loss']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('seeded training with a pruned trial stops at the same step as unseeded training, then TrialPruned', async () => {
    const pruner = new PruneFrom(1);
    const study = await createStudy({ direction: 'maximize', pruner });
    const trial = await study.ask();
    const { model } = buildMlp(SMALL, { inputDim: 64, nClasses: 10, seed: 2 });
    const err = await trainAndEvaluate(model, data, { epochs: 10, trial, seed: 2 }).catch((e: unknown) => e);
    disposeModel(model);
    expect(err).toBeInstanceOf(TrialPruned);
    expect([...trial.intermediateValues.keys()]).toEqual([0, 1]);
    expect(pruner.asked).toBe(2);
    const other = buildMlp(SMALL, { inputDim: 64, nClasses: 10 }).model;
    await expect(trainAndEvaluate(other, data, { epochs: 1, seed: -3 })).rejects.toThrow(/seed/);
    disposeModel(other);
  });

  it('trains, evaluates on the test split and frees every tensor it made', async () => {
    const before = tf.memory().numTensors;
    const { model, params } = buildMlp(SMALL, { inputDim: 64, nClasses: 10, seed: 3 });
    const r = await trainAndEvaluate(model, data, { epochs: 3, batchSize: params.batchSize });
    expect(r.epochsRun).toBe(3);
    expect(r.history['val_acc']).toHaveLength(3);
    expect(r.value).toBe(r.history['val_acc']![2]);
    expect(r.valid.accuracy).toBe(r.value);
    expect(r.test!.accuracy).toBeGreaterThan(0.3); // 3 epochs on 200 digits: well above 10 % chance
    expect(await evaluate(model, data.test!, params.batchSize)).toEqual(r.test);
    disposeModel(model);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs a study end to end: complete and pruned trials, best parameters retrain, no leak', async () => {
    const before = tf.memory().numTensors;
    const pruner = new PruneFrom(2);
    const study = await createStudy({ storage: `sqlite:${join(dir, 'study.db')}`, direction: 'maximize', sampler: new RandomSampler({ seed: 2 }), pruner });
    const trained: number[] = [];
    // The first trial runs alone with a pruner that never fires (epochs ≤ 2); the second is pruned.
    await study.optimize(mlpObjective(data, { epochs: 2, space: { layers: [1, 2], units: [8, 32] }, onTrained: (t) => trained.push(t.number) }), { nTrials: 1 });
    await study.optimize(mlpObjective(data, { epochs: 4, space: { layers: [1, 2], units: [8, 32] } }), { nTrials: 1 });
    const [a, b] = study.trials;
    expect(a!.state).toBe(TrialState.COMPLETE);
    expect(trained).toEqual([0]);
    expect(a!.values![0]).toBe(a!.intermediateValues.get(1));
    expect(b!.state).toBe(TrialState.PRUNED);
    expect([...b!.intermediateValues.keys()]).toEqual([0, 1, 2]);
    expect(tf.memory().numTensors).toBe(before);
    const { model } = buildMlp(mlpParamsFrom(study.bestParams), { inputDim: 64, nClasses: 10 });
    expect(model.layers.filter((l) => l.getClassName() === 'Dense')).toHaveLength((study.bestParams['layers'] as number) + 1);
    disposeModel(model);
    expect(() => mlpParamsFrom({ ...study.bestParams, activation: 'swish' })).toThrow(/params.activation/);
    expect(() => mlpParamsFrom({ ...study.bestParams, dropout: 1 })).toThrow(/params.dropout/);
  });
});
