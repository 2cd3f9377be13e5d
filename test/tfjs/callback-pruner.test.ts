/**
 * pruningCallback with a real pruner (README, src/tfjs/README.md): a study with a MedianPruner trains
 * real TensorFlow.js models (wasm here, cpu where wasm cannot load) through `study.optimize`; a model
 * that learns nothing is stopped after its first epoch by the pruner and its trial ends PRUNED, while
 * the same model in a study without a pruner trains every epoch.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createStudy, MedianPruner, NopPruner, TrialState, type Pruner, type Study, type Trial } from '../../src/index.js';
import { buildMlp, disposeModel, loadTf, pruningCallback, type TrainData } from '../../src/tfjs/index.js';
import { digitsSplits } from './digits.js';

const EPOCHS = 6;
let data: TrainData;

beforeAll(async () => {
  await loadTf();
  const digits = digitsSplits();
  data = digits.data;
  return digits.dispose;
});

/** Epochs each trial trained, by trial number. */
type Epochs = Map<number, number>;

/** The README's objective: fit with the callback, throw TrialPruned when it stopped training. */
function objective(epochs: Epochs) {
  return async (trial: Trial): Promise<number> => {
    const learningRate = trial.suggestFloat('learningRate', 1e-7, 1e-1, { log: true });
    const { model } = buildMlp({ layers: 1, units: 32, learningRate, dropout: 0, batchSize: 32, activation: 'relu' }, { inputDim: 64, nClasses: 10, seed: 1 });
    const cb = pruningCallback(trial, { monitor: 'val_loss' });
    try {
      await model.fit(data.train.x, data.train.y, { epochs: EPOCHS, batchSize: 32, validationData: [data.valid.x, data.valid.y], callbacks: [cb], verbose: 0 });
      epochs.set(trial.number, cb.epochsRun);
      cb.throwIfPruned();
      return cb.lastValue!;
    } finally {
      disposeModel(model);
    }
  };
}

/** Two models that learn (lr 0.05), then one that does not (lr 1e-7). */
async function runStudy(pruner: Pruner): Promise<{ study: Study; epochs: Epochs }> {
  const study = await createStudy({ pruner });
  for (const learningRate of [0.05, 0.05, 1e-7]) await study.enqueueTrial({ learningRate });
  const epochs: Epochs = new Map();
  await study.optimize(objective(epochs), { nTrials: 3 });
  return { study, epochs };
}

describe('pruningCallback with a MedianPruner', () => {
  it('stops a model that learns nothing after its first epoch; the trial ends PRUNED', async () => {
    const { study, epochs } = await runStudy(new MedianPruner({ nStartupTrials: 2, nWarmupSteps: 0 }));
    expect(study.trials.map((t) => t.state)).toEqual([TrialState.COMPLETE, TrialState.COMPLETE, TrialState.PRUNED]);
    expect([...epochs]).toEqual([[0, EPOCHS], [1, EPOCHS], [2, 1]]);
    const bad = study.trials[2]!;
    expect([...bad.intermediateValues.keys()]).toEqual([0]);
    // Its loss after one epoch is worse than the median of the two good models at that epoch.
    const good = study.trials.slice(0, 2).map((t) => t.intermediateValues.get(0)!);
    expect(bad.intermediateValues.get(0)!).toBeGreaterThan(Math.max(...good));
  });

  it('without a pruner the same model trains every epoch and completes', async () => {
    const { study, epochs } = await runStudy(new NopPruner());
    expect(study.trials.map((t) => t.state)).toEqual([TrialState.COMPLETE, TrialState.COMPLETE, TrialState.COMPLETE]);
    expect([...epochs]).toEqual([[0, EPOCHS], [1, EPOCHS], [2, EPOCHS]]);
    expect([...study.trials[2]!.intermediateValues.keys()]).toEqual([...Array(EPOCHS).keys()]);
  });
});
