/**
 * Population-based training (src/tfjs/pbt): the schedule in storage (SQLite, reloaded), exploit copying
 * weights and hyperparameters through the checkpoint store, explore within bounds, failed members
 * replaced, seeded replay, the checkpoint stores, bad input, and no tensor left behind.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudy, InvalidArgumentError, loadStudy, NotFoundError, TrialState, UnknownOptionError } from '../../src/index.js';
import { categoricalDistribution, floatDistribution, intDistribution, snap } from '../../src/distributions/index.js';
import { PopulationFailedError } from '../../src/errors.js';
import { loadTf, type TfModule } from '../../src/tfjs/index.js';
import {
  folderCheckpointStore,
  loadModelCheckpoint,
  memoryCheckpointStore,
  populationBasedTraining,
  saveModelCheckpoint,
  type CheckpointArtifacts,
  type CheckpointStore,
  type PbtTrainContext,
  type ScheduleEntry,
} from '../../src/tfjs/pbt/index.js';
import { explore } from '../../src/tfjs/pbt/space.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir } from '../helpers.js';

/** A tiny regression problem: 32 rows of 4 features, a 4-3-1 network (4 weight tensors) trained by Adam at `lr`. */
interface Tiny {
  x: tfTypes.Tensor2D;
  y: tfTypes.Tensor2D;
  build: (hp: Readonly<Record<string, unknown>>, ctx: { seed: number }) => tfTypes.LayersModel;
  /** Fits epochs [from, to) (no shuffling: deterministic) and returns the training loss. */
  fit: (model: tfTypes.LayersModel, from: number, to: number) => Promise<number>;
  dispose: () => void;
}

function tiny(tf: TfModule): Tiny {
  const rng = new Rng(5);
  const X = Array.from({ length: 32 * 4 }, () => rng.normal());
  const Y = Array.from({ length: 32 }, (_, i) => X[i * 4]! - 2 * X[i * 4 + 1]! + 0.5 * X[i * 4 + 2]! * X[i * 4 + 3]!);
  const x = tf.tensor2d(X, [32, 4]);
  const y = tf.tensor2d(Y, [32, 1]);
  return {
    x,
    y,
    build: (hp, ctx) => {
      const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ units: 3, inputShape: [4], activation: 'tanh', kernelInitializer: init(ctx.seed) }),
          tf.layers.dense({ units: 1, kernelInitializer: init(ctx.seed + 1) }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(hp['lr'] as number), loss: 'meanSquaredError' });
      return model;
    },
    fit: async (model, from, to) => {
      const h = await model.fit(x, y, { batchSize: 8, initialEpoch: from, epochs: to, shuffle: false, verbose: 0 });
      return h.history['loss']![h.history['loss']!.length - 1] as number;
    },
    dispose: () => {
      x.dispose();
      y.dispose();
    },
  };
}

/** Every weight of `model`, flattened, in order. */
function weightsOf(model: tfTypes.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

let tf: TfModule;
let t: Tiny;
const dir = tempDir();
const LR = { lr: floatDistribution(1e-3, 0.3, true) };

beforeAll(async () => {
  tf = (await loadTf()).tf;
  t = tiny(tf);
});
afterAll(() => t.dispose());

/** Options shared by most runs: 4 members, 6 epochs in intervals of 2, a memory store. */
function base(overrides: Record<string, unknown> = {}) {
  return {
    population: 4,
    epochs: 6,
    interval: 2,
    hyperparameters: LR,
    buildModel: t.build,
    train: (ctx: PbtTrainContext) => t.fit(ctx.model, ctx.from, ctx.to),
    checkpoints: memoryCheckpointStore(),
    seed: 11,
    ...overrides,
  };
}

/** Trains the interval and scores the loss after it, which the member's checkpoint must reproduce. */
async function evalTrain(ctx: PbtTrainContext): Promise<number> {
  await t.fit(ctx.model, ctx.from, ctx.to);
  return lossOf(ctx.model);
}

function lossOf(model: tfTypes.LayersModel): number {
  return tf.tidy(() => (model.evaluate(t.x, t.y) as { dataSync(): Float32Array }).dataSync()[0]!);
}

describe('populationBasedTraining: the schedule in storage', () => {
  it('records every member as a trial with its schedule, reloadable from SQLite', async () => {
    const url = `sqlite:${join(dir, 'pbt.db')}`;
    const study = await createStudy({ studyName: 'pbt', storage: url, direction: 'minimize' });
    const result = await populationBasedTraining({ study, ...base() });
    expect(result.members).toHaveLength(4);
    expect(result.epochsTrained).toBe(24);
    expect(study.trials).toHaveLength(4);  // refreshed by the run

    const reloaded = await loadStudy({ studyName: 'pbt', storage: url });
    const trials = reloaded.trials;
    expect(trials.map((x) => x.state)).toEqual(Array(4).fill(TrialState.COMPLETE));
    let exploits = 0;
    for (const trial of trials) {
      const member = result.members.find((m) => m.trial === trial.number)!;
      expect(trial.userAttrs['pbt:member']).toBe(member.member);
      expect(trial.userAttrs['pbt:schedule']).toEqual(result.schedules[trial.number]);
      const schedule = trial.userAttrs['pbt:schedule'] as ScheduleEntry[];
      expect(schedule.map((e) => [e.from, e.to])).toEqual([[0, 2], [2, 4], [4, 6]]);
      expect(schedule[0]!.action).toBe('start');
      expect(schedule[0]!.hyperparameters).toEqual(trial.params);  // the trial's parameters: where it started
      for (const e of schedule.slice(1)) expect(['continue', 'exploit']).toContain(e.action);
      exploits += schedule.filter((e) => e.action === 'exploit').length;
      // One report per epoch: the score at the end of each interval is the report at its last epoch.
      expect([...trial.intermediateValues.keys()].sort((a, b) => a - b)).toEqual([1, 3, 5]);
      expect(trial.intermediateValues.get(5)).toBe(trial.values![0]);
      expect(schedule.map((e) => e.score)).toEqual([1, 3, 5].map((s) => trial.intermediateValues.get(s)));
      expect(trial.values![0]).toBe(member.score);
    }
    // 4 members, quantile 0.25: one member exploits at each of the two barriers.
    expect(exploits).toBe(2);
    expect(result.best.score).toBe(Math.min(...result.members.map((m) => m.score)));
    const config = (await reloaded.getUserAttrs())['pbt:config'] as Record<string, unknown>;
    expect(config).toMatchObject({ population: 4, epochs: 6, interval: 2, quantile: 0.25, seed: 11 });
    await reloaded.storage.close();
    await study.storage.close();
  });

  it('replays the same schedule from the same seed, whatever the concurrency', async () => {
    const a = await populationBasedTraining({ study: await createStudy(), ...base({ concurrency: 4 }) });
    const b = await populationBasedTraining({ study: await createStudy(), ...base({ concurrency: 1 }) });
    expect(b.members.map((m) => m.schedule)).toEqual(a.members.map((m) => m.schedule));
    const c = await populationBasedTraining({ study: await createStudy(), ...base({ seed: 12 }) });
    expect(c.members.map((m) => m.hyperparameters)).not.toEqual(a.members.map((m) => m.hyperparameters));
  });
});

describe('populationBasedTraining: exploit and explore', () => {
  it('an exploiting member starts from the weights and hyperparameters its source ended with', async () => {
    const start = new Map<string, number[][]>();
    const end = new Map<string, number[][]>();
    const lrSeen = new Map<string, number>();
    const result = await populationBasedTraining({
      study: await createStudy(),
      ...base({
        population: 5,
        quantile: 0.4,
        train: async (ctx: PbtTrainContext) => {
          const k = `${ctx.trial.number}@${ctx.from}`;
          start.set(k, weightsOf(ctx.model));
          lrSeen.set(k, (ctx.model.optimizer as unknown as { learningRate: number }).learningRate);
          const loss = await t.fit(ctx.model, ctx.from, ctx.to);
          end.set(`${ctx.trial.number}@${ctx.to}`, weightsOf(ctx.model));
          return loss;
        },
      }),
    });
    let checked = 0;
    for (const m of result.members) {
      for (const e of m.schedule) {
        const k = `${m.trial}@${e.from}`;
        // The optimizer the member trains with has the learning rate of this interval.
        expect(lrSeen.get(k)).toBeCloseTo(e.hyperparameters['lr'] as number, 6);
        if (e.action === 'continue') expect(start.get(k)).toEqual(end.get(k));
        if (e.action !== 'exploit') continue;
        checked++;
        const src = e.source!;
        expect(src.epoch).toBe(e.from);
        expect(start.get(k)).toEqual(end.get(`${src.trial}@${e.from}`));
        expect(start.get(k)).not.toEqual(end.get(k));
        // Hyperparameters: the source's at that barrier, explored.
        const srcEntry = result.schedules[src.trial]!.find((x) => x.to === e.from)!;
        const before = srcEntry.hyperparameters['lr'] as number;
        const step = e.explore!['lr']!;
        if (step.how === 'perturb') {
          expect([0.8, 1.2]).toContain(step.factor);
          expect(e.hyperparameters['lr']).toBe(snap(LR.lr, before * step.factor));
        } else {
          expect(step.how).toBe('resample');
        }
        // The source ranked in the top 40% at that barrier, the member in the bottom 40%.
        const scores = result.members.map((x) => result.schedules[x.trial]!.find((y) => y.to === e.from)!.score!);
        const sorted = [...scores].sort((a, b) => a - b);
        expect(srcEntry.score).toBeLessThanOrEqual(sorted[1]!);
        const own = result.schedules[m.trial]!.find((y) => y.to === e.from)!.score!;
        expect(own).toBeGreaterThanOrEqual(sorted[3]!);
      }
    }
    expect(checked).toBe(4);  // two members at each of the two barriers
  });

  it('explore perturbs within the bounds (ints rounded, log ranges clipped) and resamples or keeps categoricals', () => {
    const space = {
      lr: floatDistribution(1e-4, 1e-1, true),
      units: intDistribution(4, 64),
      decay: floatDistribution(0, 0.5, false, 0.05),
      act: categoricalDistribution(['relu', 'tanh', 'elu']),
    };
    const rng = new Rng(3);
    const hp = { lr: 0.09, units: 60, decay: 0.45, act: 'tanh' };
    let perturbed = 0;
    let resampled = 0;
    for (let i = 0; i < 400; i++) {
      const { hyperparameters: h, steps } = explore(hp, space, rng, [0.5, 1.3], 0.3);
      expect(h['lr']).toBeGreaterThanOrEqual(1e-4);
      expect(h['lr']).toBeLessThanOrEqual(1e-1);
      expect(Number.isInteger(h['units'])).toBe(true);
      expect(h['units']).toBeGreaterThanOrEqual(4);
      expect(h['units']).toBeLessThanOrEqual(64);
      expect(Math.abs((h['decay'] as number) / 0.05 - Math.round((h['decay'] as number) / 0.05))).toBeLessThan(1e-9);
      expect(['relu', 'tanh', 'elu']).toContain(h['act']);
      const s = steps['units']!;
      if (s.how === 'perturb') {
        perturbed++;
        expect(h['units']).toBe(s.factor === 0.5 ? 30 : 64);  // 60 × 1.3 = 78, clipped to 64
        expect(h['lr']).toBe(steps['lr']!.how === 'perturb' ? snap(space.lr, 0.09 * (steps['lr'] as { factor: number }).factor) : h['lr']);
      } else resampled++;
      if (steps['act']!.how === 'keep') expect(h['act']).toBe('tanh');
      else expect(steps['act']!.how).toBe('resample');
    }
    expect(perturbed).toBeGreaterThan(240);
    expect(resampled).toBeGreaterThan(80);
    // Without resampling, a categorical is always kept and a number always perturbed.
    const { hyperparameters, steps } = explore(hp, space, new Rng(1), [2], 0);
    expect(hyperparameters).toEqual({ lr: 0.1, units: 64, decay: 0.5, act: 'tanh' });
    expect(steps['act']).toEqual({ how: 'keep' });
  });
});

describe('populationBasedTraining: failed members', () => {
  it('a member that throws is failed with its reason and a new trial takes its slot from a top member', async () => {
    const study = await createStudy();
    const seenStart = new Map<string, number[][]>();
    const seenEnd = new Map<string, number[][]>();
    const result = await populationBasedTraining({
      study,
      ...base({
        train: async (ctx: PbtTrainContext) => {
          if (ctx.trial.number === 1 && ctx.from === 2) throw new Error('out of memory (simulated)');
          if (ctx.trial.number === 2 && ctx.from === 4) return NaN;
          seenStart.set(`${ctx.trial.number}@${ctx.from}`, weightsOf(ctx.model));
          const loss = await t.fit(ctx.model, ctx.from, ctx.to);
          seenEnd.set(`${ctx.trial.number}@${ctx.to}`, weightsOf(ctx.model));
          return loss;
        },
      }),
    });
    expect(result.members).toHaveLength(4);
    expect(result.failures).toEqual([
      { member: 1, trial: 1, from: 2, to: 4, reason: 'train threw Error: out of memory (simulated)' },
      { member: 2, trial: 2, from: 4, to: 6, reason: 'train returned NaN, not a finite number' },
    ]);
    const trials = study.trials;
    expect(trials.map((x) => x.state)).toEqual(['COMPLETE', 'FAIL', 'FAIL', 'COMPLETE', 'COMPLETE', 'COMPLETE']);
    expect(trials[1]!.systemAttrs['failReason']).toBe(
      'Population-based training: member 1 failed in epochs 2–4: train threw Error: out of memory (simulated)',
    );
    expect((trials[1]!.userAttrs['pbt:schedule'] as ScheduleEntry[]).at(-1)!.error).toBe('train threw Error: out of memory (simulated)');
    // Trial 4 replaced trial 1 in slot 1 and trained epochs 2–6 from a top member's epoch-2 checkpoint.
    const t4 = trials[4]!;
    expect(t4.userAttrs['pbt:member']).toBe(1);
    expect(t4.userAttrs['pbt:replaces']).toBe(1);
    const first = (t4.userAttrs['pbt:schedule'] as ScheduleEntry[])[0]!;
    expect(first).toMatchObject({ from: 2, to: 4, action: 'replaced', replaces: 1 });
    expect(first.source!.epoch).toBe(2);
    expect(seenStart.get('4@2')).toEqual(seenEnd.get(`${first.source!.trial}@2`));
    expect([...t4.intermediateValues.keys()]).toEqual([3, 5]);
    expect(trials[5]!.userAttrs['pbt:replaces']).toBe(2);
    expect(result.members.map((m) => m.trial).sort()).toEqual([0, 3, 4, 5]);
    expect(result.schedules[1]).toBeDefined();  // the failed trials' schedules are kept
  });

  it('a member failing in the first interval is replaced by a fresh one; buildModel errors count as failures', async () => {
    let builds = 0;
    const result = await populationBasedTraining({
      study: await createStudy(),
      ...base({
        buildModel: (hp: Record<string, unknown>, ctx: { seed: number }) => {
          if (builds++ === 2) throw new RangeError('bad layer');
          return t.build(hp, ctx);
        },
      }),
    });
    expect(result.failures).toEqual([{ member: 2, trial: 2, from: 0, to: 2, reason: 'buildModel threw RangeError: bad layer' }]);
    const replacement = result.members[2]!;
    expect(replacement.trial).toBe(4);
    expect(replacement.schedule[0]).toMatchObject({ from: 0, action: 'replaced', source: null, explore: null, replaces: 2 });
  });

  it('stops with PopulationFailedError when every member fails, leaving no trial RUNNING', async () => {
    const study = await createStudy();
    const run = populationBasedTraining({ study, ...base({ train: () => { throw new TypeError('x is undefined'); } }) });
    await expect(run).rejects.toThrow(PopulationFailedError);
    await expect(run).rejects.toThrow(
      'All 4 members of the population failed in epochs 0–2; the first (member 0, trial 0): train threw TypeError: x is undefined',
    );
    expect((await study.getTrials()).map((x) => x.state)).toEqual(Array(4).fill(TrialState.FAIL));
  });

  it('stops once more members failed than maxFailures', async () => {
    const study = await createStudy();
    const run = populationBasedTraining({
      study,
      ...base({ maxFailures: 2, train: (ctx: PbtTrainContext) => (ctx.member === 3 ? Infinity : t.fit(ctx.model, ctx.from, ctx.to)) }),
    });
    await expect(run).rejects.toThrow('3 member failures, more than maxFailures = 2; the last (member 3, trial 5, epochs 0–2): train returned Infinity, not a finite number');
    const states = (await study.getTrials()).map((x) => x.state);
    expect(states.filter((s) => s === TrialState.RUNNING)).toEqual([]);
    expect(states.filter((s) => s === TrialState.FAIL)).toHaveLength(6);  // 3 failures of slot 3, then the 3 others stopped
  });
});

describe('checkpoint stores', () => {
  it('the folder store writes model.json + weights.bin that load back equal, also as a LayersModel', async () => {
    const store = folderCheckpointStore(join(dir, 'ckpt'));
    const model = t.build({ lr: 0.01 }, { seed: 1 });
    await t.fit(model, 0, 1);  // Adam has moments now
    const saved = await saveModelCheckpoint(tf, model, true);
    await store.save('a-1', saved);
    expect(readdirSync(join(dir, 'ckpt', 'a-1')).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await store.load('a-1');
    expect(new Uint8Array(loaded.weightData as ArrayBuffer)).toEqual(new Uint8Array(saved.weightData as ArrayBuffer));
    expect(loaded.weightSpecs).toEqual(saved.weightSpecs);
    expect(loaded.weightSpecs!.filter((s) => s.group === 'optimizer').map((s) => s.name)[0]).toBe('iter');

    const other = t.build({ lr: 0.01 }, { seed: 2 });
    await loadModelCheckpoint(tf, other, loaded, true);
    expect(weightsOf(other)).toEqual(weightsOf(model));
    // The same moments: one more epoch of each gives the same weights.
    await t.fit(model, 1, 2);
    await t.fit(other, 1, 2);
    expect(weightsOf(other)).toEqual(weightsOf(model));
    // tfjs reads the folder as its file:// handler does: model.json through getModelArtifactsForJSON, the
    // manifest's paths relative to it; loadLayersModel restores the optimizer from the `optimizer` group.
    const json = JSON.parse(readFileSync(join(dir, 'ckpt', 'a-1', 'model.json'), 'utf8')) as tfTypes.io.ModelJSON;
    const fromFiles = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const bytes = readFileSync(join(dir, 'ckpt', 'a-1', manifest[0]!.paths[0]!));
      return [manifest.flatMap((g) => g.weights), new Uint8Array(bytes).buffer];
    });
    const viaTf = await tf.loadLayersModel(tf.io.fromMemory(fromFiles));
    expect(viaTf.optimizer).toBeDefined();
    const p = tf.tidy(() => Array.from((viaTf.predict(t.x) as { dataSync(): Float32Array }).dataSync()));
    const before = tf.tidy(() => Array.from((model.predict(t.x) as { dataSync(): Float32Array }).dataSync()));
    expect(p).not.toEqual(before);  // `model` trained one more epoch since the save
    await loadModelCheckpoint(tf, model, loaded, false);
    expect(tf.tidy(() => Array.from((model.predict(t.x) as { dataSync(): Float32Array }).dataSync()))).toEqual(p);

    await store.save('a-1', await saveModelCheckpoint(tf, other, false));  // overwrite in place
    expect((await store.load('a-1')).weightSpecs!.some((s) => s.group === 'optimizer')).toBe(false);
    expect(readdirSync(join(dir, 'ckpt'))).toEqual(['a-1']);  // no temp folder left
    await store.delete('a-1');
    await expect(store.load('a-1')).rejects.toThrow(NotFoundError);
    await store.close();
    expect(existsSync(join(dir, 'ckpt'))).toBe(true);  // a folder given is kept
    for (const m of [model, other, viaTf]) {
      m.optimizer?.dispose();
      m.dispose();
    }
  });

  it('a temp folder store is removed on close; keys that would escape the folder are refused', async () => {
    const store = folderCheckpointStore();
    expect(existsSync(store.dir)).toBe(true);
    await expect(store.save('../x', {})).rejects.toThrow(
      'Expected a checkpoint key of letters, digits, ".", "_" and "-" (at most 200 characters) for `key` but received "../x"',
    );
    await store.close();
    expect(existsSync(store.dir)).toBe(false);
  });

  it('a custom store gets every save, load and delete; final checkpoints stay in a store given', async () => {
    const inner = memoryCheckpointStore();
    const calls: string[] = [];
    const store: CheckpointStore = {
      save: async (key: string, a: CheckpointArtifacts) => {
        calls.push(`save ${key}`);
        await inner.save(key, a);
      },
      load: async (key: string) => {
        calls.push(`load ${key}`);
        return inner.load(key);
      },
      delete: async (key: string) => {
        calls.push(`delete ${key}`);
        await inner.delete(key);
      },
    };
    const result = await populationBasedTraining({ study: await createStudy(), ...base({ checkpoints: store, population: 2, epochs: 4, train: evalTrain }) });
    expect(calls.filter((c) => c.startsWith('save'))).toHaveLength(4);
    expect(calls.filter((c) => c.startsWith('load'))).toHaveLength(2);
    expect(calls.filter((c) => c.startsWith('delete'))).toHaveLength(2);
    expect(inner.keys().sort()).toEqual(result.members.map((m) => m.checkpoint).sort());
    expect(result.best.checkpoint).toMatch(/^trial-\d-epoch-4$/);
    const m = t.build(result.best.hyperparameters, { seed: 0 });
    await loadModelCheckpoint(tf, m, await inner.load(result.best.checkpoint!), true);
    expect(lossOf(m)).toBeCloseTo(result.best.score, 6);
    m.optimizer?.dispose();
    m.dispose();
  });

  it('a folder path keeps each member\'s final checkpoint there, and nothing else', async () => {
    const folder = join(dir, 'run');
    const result = await populationBasedTraining({ study: await createStudy(), ...base({ checkpoints: folder, population: 3, epochs: 4, train: evalTrain }) });
    expect(readdirSync(folder).sort()).toEqual(result.members.map((m) => m.checkpoint).sort());
    const store = folderCheckpointStore(folder);
    const m = t.build(result.best.hyperparameters, { seed: 0 });
    await loadModelCheckpoint(tf, m, await store.load(result.best.checkpoint!), true);
    expect(lossOf(m)).toBeCloseTo(result.best.score, 6);
    m.optimizer?.dispose();
    m.dispose();
  });

  it('a checkpoint that does not fit the model built for it stops the run', async () => {
    let n = 0;
    const run = populationBasedTraining({
      study: await createStudy(),
      ...base({
        buildModel: (hp: Record<string, unknown>, ctx: { seed: number }) => {
          if (n++ < 4) return t.build(hp, ctx);
          const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [4] })] });
          m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
          return m;
        },
      }),
    });
    await expect(run).rejects.toThrow(
      'The checkpoint has 4 weight tensor(s) but the model built for it has 2: `buildModel(hp)` must build the same layers whatever the hyperparameters',
    );
  });
});

describe('populationBasedTraining: bad input', () => {
  it('names the argument and the value', async () => {
    const study = await createStudy();
    const bad = async (o: Record<string, unknown>) => populationBasedTraining({ study, ...base(o) } as never);
    await expect(bad({ population: 1 })).rejects.toThrow('Expected an integer >= 2 for `population` but received 1');
    await expect(bad({ interval: 7 })).rejects.toThrow('Expected an integer in [1, 6] for `interval` but received 7');
    await expect(bad({ quantile: 0.75 })).rejects.toThrow('Expected a number in (0, 0.5] for `quantile` but received 0.75');
    await expect(bad({ perturbFactors: [1.2, -1] })).rejects.toThrow('Expected a positive finite number for `perturbFactors[1]` but received -1');
    await expect(bad({ resampleProbability: NaN })).rejects.toThrow('Expected a number in [0, 1] for `resampleProbability` but received NaN');
    await expect(bad({ hyperparameters: { lr: { type: 'float', low: 1, high: 0.1 } } })).rejects.toThrow(
      'hyperparameters.lr: Expected `low` <= `high` but received low=1, high=0.1',
    );
    await expect(bad({ hyperparameters: {} })).rejects.toThrow(InvalidArgumentError);
    await expect(bad({ checkpoints: 3 })).rejects.toThrow('Expected a CheckpointStore ({ save, load, delete }) or a folder path for `checkpoints` but received 3');
    await expect(bad({ train: 'fit' })).rejects.toThrow('Expected a function for `train` but received "fit"');
    await expect(bad({ study: {} })).rejects.toThrow('Expected a Study (await createStudy(...)) for `study` but received an object (Object)');
    await expect(bad({ intervall: 2 })).rejects.toThrow(UnknownOptionError);
    await expect(bad({ intervall: 2 })).rejects.toThrow(/Unknown option `intervall` in `populationBasedTraining options` \(did you mean `interval`\?\)/);
    const two = await createStudy({ directions: ['minimize', 'maximize'] });
    await expect(populationBasedTraining({ ...base(), study: two } as never)).rejects.toThrow(
      'Expected a single-objective study for `study` but received one with 2 directions',
    );
    expect(study.trials).toHaveLength(0);  // nothing was started
  });

  it('refuses a study with WAITING trials, which its asks would take for members, and leaves it as it was', async () => {
    const study = await createStudy({ studyName: 'queued' });
    await study.enqueueTrial({ lr: 0.5 });
    await study.enqueueTrial({ lr: 0.25 });
    await expect(populationBasedTraining({ study, ...base() } as never)).rejects.toThrow(
      'populationBasedTraining needs a study without WAITING trials, so that its members are the trials it enqueues; study "queued" has 2 (trial 0, 1)',
    );
    expect((await study.getTrials()).map((t) => [t.number, t.state])).toEqual([
      [0, TrialState.WAITING],
      [1, TrialState.WAITING],
    ]);
    expect(Object.keys(await study.getUserAttrs())).toEqual([]);  // no PBT configuration written either
  });

  it('a report outside the interval fails the member with the reason', async () => {
    const result = await populationBasedTraining({
      study: await createStudy(),
      ...base({
        maxFailures: 4,
        train: async (ctx: PbtTrainContext) => {
          if (ctx.trial.number === 0 && ctx.from === 2) ctx.report(1, 4);
          return t.fit(ctx.model, ctx.from, ctx.to);
        },
      }),
    });
    expect(result.failures.map((f) => f.reason)).toEqual(['train threw InvalidArgumentError: Expected an integer in [2, 3] for `epoch` but received 4']);
  });
});

describe('populationBasedTraining: tensors', () => {
  it('leaves no tensor behind (models, optimizers, checkpoints), with a failure on the way', async () => {
    await populationBasedTraining({ study: await createStudy(), ...base({ epochs: 2 }) });  // warm-up: kernels and caches
    const before = tf.memory().numTensors;
    await populationBasedTraining({
      study: await createStudy(),
      ...base({ train: (ctx: PbtTrainContext) => (ctx.trial.number === 2 && ctx.from === 2 ? NaN : t.fit(ctx.model, ctx.from, ctx.to)) }),
    });
    await populationBasedTraining({ study: await createStudy(), ...base({ checkpoints: undefined }) });  // the default folder store
    expect(tf.memory().numTensors).toBe(before);
  });
});
