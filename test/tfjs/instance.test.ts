/**
 * The instance tunable/tfjs works with is the caller's: `loadTf({ tf })`, `useTf(tf)` and
 * `pruningCallback(trial, { tf })` keep exactly the object passed, the callback subclasses that
 * instance's Callback, and nothing else is loaded (no "already registered" warnings). A file of its
 * own: useTf changes the process-wide choice.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStudy, InvalidArgumentError } from '../../src/index.js';
import { buildMlp, disposeModel, loadTf, PruningCallback, pruningCallback, SeededDropout, useTf } from '../../src/tfjs/index.js';

const warnings: string[] = [];
beforeEach(() => {
  warnings.length = 0;
  for (const level of ['warn', 'log', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
  }
});
afterEach(() => vi.restoreAllMocks());

describe('the caller’s TensorFlow.js instance', () => {
  it('loadTf({ tf }) activates the backend on that very instance and returns it', async () => {
    // Anything the loader is asked for would be a package imported besides the caller's instance.
    const imported: string[] = [];
    const loaded = await loadTf({ tf, candidates: ['cpu'], importModule: (s) => (imported.push(s), import(s)) });
    expect(loaded.tf).toBe(tf);
    expect(tf.getBackend()).toBe('cpu');
    expect(imported).toEqual([]);
    // From now on the helpers use it too: the callback is an instance of this tf's Callback class.
    const study = await createStudy();
    const cb = pruningCallback(await study.ask(), { monitor: 'loss' });
    expect(cb).toBeInstanceOf(tf.Callback);
    expect(cb).toBeInstanceOf(PruningCallback);
  });

  it('pruningCallback(trial, { tf }) subclasses that instance and reports every epoch of its fit()', async () => {
    const study = await createStudy();
    const trial = await study.ask();
    const cb = pruningCallback(trial, { monitor: 'loss', tf });
    expect(Object.getPrototypeOf(Object.getPrototypeOf(cb)).constructor).toBe(tf.Callback);
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const [x, y] = [tf.tensor2d([[0, 1], [1, 0], [1, 1]]), tf.tensor2d([[1], [2], [3]])];
    await model.fit(x, y, { epochs: 3, callbacks: [cb], verbose: 0 });
    expect(cb.epochsRun).toBe(3);
    expect([...trial.intermediateValues.keys()]).toEqual([0, 1, 2]);
    tf.dispose([x, y]);
    disposeModel(model);
    expect(warnings.filter((w) => /already (been )?(registered|set)/i.test(w))).toEqual([]);
  });

  it('useTf(tf) returns the instance, and the MLP helpers build with it', async () => {
    expect(useTf(tf)).toBe(tf);
    expect((await loadTf()).tf).toBe(tf); // the default load keeps the chosen instance
    const { model } = buildMlp({ layers: 1, units: 4, learningRate: 0.01, dropout: 0.2, batchSize: 8, activation: 'relu' }, { inputDim: 3, nClasses: 2, seed: 1 });
    expect(model).toBeInstanceOf(tf.Sequential);
    const dropout = model.layers.find((l) => l instanceof SeededDropout)!;
    expect(dropout).toBeInstanceOf(tf.layers.Layer);
    expect(tf.serialization.SerializationMap.getMap().classNameMap['SeededDropout']?.[0]).toBe(dropout.constructor);
    disposeModel(model);
  });

  it('rejects a value that is not TensorFlow.js, naming the argument', async () => {
    await expect(loadTf({ tf: {} as typeof tf })).rejects.toThrow(InvalidArgumentError);
    await expect(loadTf({ tf: {} as typeof tf })).rejects.toThrow(/TensorFlow\.js namespace.*for `tf` but received an object/);
    expect(() => useTf(42 as never)).toThrow(/`tf`.*received 42/);
    const trial = await (await createStudy()).ask();
    expect(() => pruningCallback(trial, { monitor: 'loss', tf: { setBackend: () => true } as never })).toThrow(/`tf`/);
  });
});
