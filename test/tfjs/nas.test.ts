/**
 * nas.sequential / nas.cell / nas.fromArchitecture / nas.cost with real TensorFlow.js (wasm, else cpu):
 * hand-counted parameters and FLOPs, define-by-run parameters, the built graphs (skip connections,
 * cell wiring), typed errors for architectures that cannot be built (and a study that goes on past
 * them), no tensor left behind, and the samplers searching the space with Hyperband pruning.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ArchitectureError,
  createStudy,
  GPSampler,
  HyperbandPruner,
  RegularizedEvolutionSampler,
  TPESampler,
  TrialState,
  UnknownOptionError,
  type Sampler,
  type Trial,
} from '../../src/index.js';
import { disposeModel, loadTf, pruningCallback, type TfModule, type TrainData } from '../../src/tfjs/index.js';
import { nas, type CellArchitecture, type SequentialArchitecture, type SequentialSpace } from '../../src/tfjs/nas/index.js';
import { digitsSplits } from './digits.js';

let tf: TfModule;
let data: TrainData;

beforeAll(async () => {
  tf = (await loadTf()).tf;
  const digits = digitsSplits();
  data = digits.data;
  return digits.dispose;
});

/** input 10 → dense 8 → dense 4 (batch norm, dropout, skip through an 8→4 projection) → conv1d 2×k3 (layer norm, skip through a 1→2 projection) → 3. */
const SEQ: SequentialArchitecture = {
  type: 'sequential',
  inputShape: [10],
  output: { units: 3, activation: 'softmax' },
  padding: 'same',
  layers: [
    { kind: 'dense', units: 8, activation: 'relu', norm: 'none', dropout: 0, skip: false },
    { kind: 'dense', units: 4, activation: 'relu', norm: 'batch', dropout: 0.1, skip: true },
    { kind: 'conv1d', units: 2, kernelSize: 3, activation: 'relu', norm: 'layer', dropout: 0, skip: true },
  ],
};

/** input 5 → stem 4 → 2 × cell(node 1 = dense-relu(node 0); node 2 = node 0 + linear(node 1); out = mean(1, 2)) → 2. */
const CELL: CellArchitecture = {
  type: 'cell',
  inputShape: [5],
  output: { units: 2, activation: 'softmax' },
  width: 4,
  cells: 2,
  nodes: [
    { inputs: [0], ops: ['dense-relu'] },
    { inputs: [0, 1], ops: ['identity', 'linear'] },
  ],
};

const inbound = (model: { getLayer(name: string): { inboundNodes: { inboundLayers: { name: string }[] }[] } }, name: string): string[] =>
  model.getLayer(name).inboundNodes[0]!.inboundLayers.map((l) => l.name);

async function askWith(params: Record<string, unknown>): Promise<Trial> {
  const study = await createStudy();
  await study.enqueueTrial(params as Record<string, number | string | boolean>);
  return study.ask();
}

describe('nas.cost', () => {
  it('counts the parameters and multiply-adds of a sequential model by hand, and params equal countParams()', () => {
    const model = nas.fromArchitecture(SEQ, { seed: 1 });
    const c = nas.cost(model);
    // Dense 10·8+8, Dense 8·4+4, BatchNorm 4·4 (γ, β, moving mean and variance), projection 8·4,
    // Conv1D 3·1·2+2, LayerNorm 2·2, projection conv 1·1·2, head (4 steps · 2 filters)·3+3.
    expect(c.layers.map((l) => [l.name, l.params, l.flops])).toEqual([
      ['l0_dense', 88, 80],
      ['l1_dense', 36, 32],
      ['l1_norm', 16, 4],
      ['l1_proj', 32, 32],
      ['l2_conv1d', 8, 4 * 3 * 1 * 2],
      ['l2_norm', 4, 4 * 2],
      ['l2_proj', 2, 4 * 1 * 1 * 2],
      ['head', 27, 8 * 3],
    ]);
    expect([c.params, c.trainableParams, c.flops]).toEqual([213, 213 - 8, 212]);
    expect(c.params).toBe(model.countParams());
    expect(c.uncounted).toEqual([]);
    expect(nas.summary(model)).toEqual(c);
    model.dispose();
  });

  it('counts a stacked cell: stem, the two dense edges of each cell, head', () => {
    const model = nas.fromArchitecture(CELL);
    const c = nas.cost(model);
    expect([c.params, c.flops]).toEqual([5 * 4 + 4 + 2 * 2 * (4 * 4 + 4) + 4 * 2 + 2, 5 * 4 + 2 * 2 * 16 + 8]);
    expect(c.params).toBe(model.countParams());
    model.dispose();
  });
});

describe('built graphs', () => {
  it('adds skip connections, through a projection only where the widths differ', () => {
    const model = nas.fromArchitecture({
      ...SEQ,
      layers: [
        { kind: 'dense', units: 8, activation: 'tanh', norm: 'none', dropout: 0, skip: true },
        { kind: 'dense', units: 8, activation: 'relu', norm: 'none', dropout: 0, skip: true },
      ],
    });
    expect(inbound(model, 'l0_add')).toEqual(['l0_dense', 'l0_proj']);
    expect(inbound(model, 'l0_proj')).toEqual(['input']);
    expect(inbound(model, 'l1_add')).toEqual(['l1_dense', 'l0_add']);
    expect(model.layers.map((l) => l.name)).not.toContain('l1_proj');
    expect(inbound(model, 'head')).toEqual(['l1_add']);
    model.dispose();
  });

  it('wires each cell node to the sources it chose and stacks the cells', () => {
    const model = nas.fromArchitecture(CELL);
    expect(inbound(model, 'c0_n1_e0_dense-relu')).toEqual(['stem']);
    expect(inbound(model, 'c0_n2_e1_linear')).toEqual(['c0_n1_e0_dense-relu']);
    expect(inbound(model, 'c0_n2_e0_identity')).toEqual(['stem']);
    expect(inbound(model, 'c0_n2_sum')).toEqual(['c0_n2_e0_identity', 'c0_n2_e1_linear']);
    expect(inbound(model, 'c0_out')).toEqual(['c0_n1_e0_dense-relu', 'c0_n2_sum']);
    expect(inbound(model, 'c1_n1_e0_dense-relu')).toEqual(['c0_out']);
    expect(inbound(model, 'c1_n2_e0_identity')).toEqual(['c0_out']);
    expect(inbound(model, 'c1_n2_sum')).toEqual(['c1_n2_e0_identity', 'c1_n2_e1_linear']);
    expect(inbound(model, 'head')).toEqual(['c1_out']);
    model.dispose();
  });

  it('drops zero edges and nodes fed only by them', () => {
    const model = nas.fromArchitecture({ ...CELL, cells: 1, nodes: [{ inputs: [0], ops: ['zero'] }, { inputs: [0, 1], ops: ['dense-tanh', 'identity'] }] });
    expect(model.layers.map((l) => l.name)).toEqual(['input', 'stem', 'c0_n2_e0_dense-tanh', 'head']);
    model.dispose();
  });

  it('trains a cell that uses one tensor twice (node 0 + identity of node 0, twice in the output mean)', async () => {
    const model = nas.fromArchitecture({
      ...CELL,
      inputShape: [64],
      output: { units: 10, activation: 'softmax' },
      cells: 1,
      nodes: [{ inputs: [0], ops: ['identity'] }, { inputs: [0, 1], ops: ['identity', 'identity'] }, { inputs: [0], ops: ['identity'] }],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(data.train.x, data.train.y, { epochs: 1, batchSize: 64, validationData: [data.valid.x, data.valid.y], verbose: 0 });
    expect(Number.isFinite(h.history['val_loss']![0] as number)).toBe(true);
    disposeModel(model);
  });
});

describe('nas.sequential (define-by-run)', () => {
  const space: SequentialSpace = {
    inputShape: [64],
    output: { units: 10 },
    depth: [1, 3],
    units: [8, 16],
    activations: ['relu', 'tanh'],
    normalization: ['none', 'layer'],
    dropout: [0, 0.3],
    skip: 'search',
  };

  it('suggests layer i only when the depth exceeds i, and records params, FLOPs and the architecture', async () => {
    const trial = await askWith({ 'nas:depth': 1 });
    const model = nas.sequential(trial, space, { seed: 3 });
    expect(Object.keys(trial.params).sort()).toEqual(
      ['nas:depth', 'nas:l0:activation', 'nas:l0:dropout', 'nas:l0:norm', 'nas:l0:skip', 'nas:l0:units'].sort(),
    );
    const c = nas.cost(model);
    expect(trial.userAttrs['nas:params']).toBe(model.countParams());
    expect(trial.userAttrs['nas:flops']).toBe(c.flops);
    const arch = trial.userAttrs['nas:architecture'] as SequentialArchitecture;
    expect(arch.layers).toHaveLength(1);
    expect(arch.layers[0]!.units).toBe(trial.params['nas:l0:units']);
    // The recorded architecture rebuilds the same model.
    const again = nas.fromArchitecture(arch);
    expect(nas.cost(again)).toEqual(c);
    again.dispose();
    model.dispose();

    const deep = await askWith({ 'nas:depth': 3 });
    nas.sequential(deep, space).dispose();
    expect(Object.keys(deep.params).filter((k) => k.startsWith('nas:l2:'))).toHaveLength(5);
  });

  it('does not ask choices with one possible value', async () => {
    const trial = await askWith({});
    nas.sequential(trial, { inputShape: [4], output: { units: 1, activation: 'linear' }, depth: 2, units: 8, activations: ['relu'] }).dispose();
    expect(trial.params).toEqual({});
    expect((trial.userAttrs['nas:architecture'] as SequentialArchitecture).layers.map((l) => l.units)).toEqual([8, 8]);
  });

  it('nas.cell asks the inputs of node 2 on and an op per edge', async () => {
    const trial = await askWith({ 'nas:n2:in0': 0, 'nas:n2:in1': 1, 'nas:n1:op0': 'dense-relu', 'nas:n2:op0': 'identity', 'nas:n2:op1': 'linear' });
    const model = nas.cell(trial, { inputShape: [5], output: { units: 2 }, nodes: 2, width: 4, cells: [1, 2] });
    expect(Object.keys(trial.params).sort()).toEqual(['nas:cells', 'nas:n1:op0', 'nas:n2:in0', 'nas:n2:in1', 'nas:n2:op0', 'nas:n2:op1']);
    const arch = trial.userAttrs['nas:architecture'] as CellArchitecture;
    expect(arch.nodes).toEqual(CELL.nodes);
    expect(trial.userAttrs['nas:params']).toBe(model.countParams());
    model.dispose();
  });
});

describe('architectures that cannot be built', () => {
  const catchArch = (f: () => unknown): ArchitectureError => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(ArchitectureError);
      return err as ArchitectureError;
    }
    throw new Error('no error thrown');
  };

  it('a kernel longer than its input names the kernel choice', () => {
    const e = catchArch(() =>
      nas.fromArchitecture({ ...SEQ, inputShape: [3], padding: 'valid', layers: [{ kind: 'conv1d', units: 2, kernelSize: 5, activation: 'relu', norm: 'none', dropout: 0, skip: false }] }),
    );
    expect([e.code, e.choice, e.value]).toEqual(['ERR_ARCHITECTURE', 'nas:l0:kernel', 5]);
    expect(e.message).toBe('The architecture cannot be built: nas:l0:kernel = 5 is longer than the 3 steps that reach layer 0 (padding "valid")');
  });

  it('a cell whose every path is a zero op names the first op', () => {
    const e = catchArch(() => nas.fromArchitecture({ ...CELL, nodes: [{ inputs: [0], ops: ['zero'] }, { inputs: [0, 1], ops: ['zero', 'dense-relu'] }] }));
    expect(e.message).toBe(
      'The architecture cannot be built: no path through the cell avoids a zero op (nas:n1:op0 = "zero", nas:n2:op0 = "zero", nas:n2:op1 = "dense-relu"), so its output would not depend on its input',
    );
    expect(e.choice).toBe('nas:n1:op0');
  });

  it('more parameters than maxParams names the widest layer, and frees the model', () => {
    const before = tf.memory().numTensors;
    const e = catchArch(() => nas.fromArchitecture(SEQ, { maxParams: 100 }));
    expect(e.message).toBe('The architecture has 213 parameters, more than maxParams = 100 (nas:l0:units = 8)');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a layer tfjs refuses becomes an ArchitectureError naming the choice, and the layers built before it are freed', () => {
    // The user's instance, except that dense layers of 7 units are refused (as tfjs refuses bad configs).
    const layers = { ...tf.layers, dense: (args: { units: number }) => {
      if (args.units === 7) throw new Error('units 7 refused');
      return tf.layers.dense(args);
    } };
    const picky = { ...tf, layers } as unknown as TfModule;
    const before = tf.memory().numTensors;
    const e = catchArch(() =>
      nas.fromArchitecture(
        { ...SEQ, layers: [SEQ.layers[0]!, { kind: 'dense', units: 7, activation: 'relu', norm: 'none', dropout: 0, skip: false }] },
        { tf: picky },
      ),
    );
    expect([e.choice, e.value]).toEqual(['nas:l1:units', 7]);
    expect(e.message).toBe('The architecture cannot be built: nas:l1:units = 7 was refused by TensorFlow.js: units 7 refused');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bad spaces are InvalidArgumentErrors with the usual messages', async () => {
    const trial = await askWith({});
    expect(() => nas.sequential(trial, { inputShape: [4], output: { units: 2 }, dropuot: 0.1 } as unknown as SequentialSpace)).toThrow(UnknownOptionError);
    expect(() => nas.sequential(trial, { inputShape: [4], output: { units: 2 }, dropout: [0, 1.5] })).toThrow(
      'Expected a number in [0, 1) for `space.dropout[1]` but received 1.5',
    );
    expect(() => nas.sequential(trial, { inputShape: [4, 2], output: { units: 2 } })).toThrow(
      'Expected [features] (one dimension: tabular rows) for `space.inputShape` but received an array of length 2',
    );
    expect(() => nas.cell(trial, { inputShape: [4], output: { units: 2 }, ops: ['dense-gelu' as 'linear'] })).toThrow(
      'Expected one of "zero", "identity", "linear", "dense-relu", "dense-tanh", "dense-elu", "dense-sigmoid" for `space.ops[0]` but received "dense-gelu"',
    );
  });

  it('in study.optimize the trial fails with the message and the search goes on', async () => {
    const study = await createStudy({ direction: 'maximize' });
    await study.enqueueTrial({ 'nas:l0:kernel': 5 });
    await study.enqueueTrial({ 'nas:l0:kernel': 2 });
    const space: SequentialSpace = { inputShape: [3], output: { units: 2 }, depth: 1, kinds: ['conv1d'], units: 2, kernelSize: [2, 5], padding: 'valid' };
    await study.optimize(
      (trial) => {
        const model = nas.sequential(trial, space);
        model.dispose();
        return 1;
      },
      { nTrials: 2 },  // no `catch`: an ArchitectureError fails its trial only
    );
    expect(study.trials.map((t) => t.state)).toEqual([TrialState.FAIL, TrialState.COMPLETE]);
    expect(String(study.trials[0]!.systemAttrs['failReason'])).toContain(
      'ArchitectureError: The architecture cannot be built: nas:l0:kernel = 5 is longer than the 3 steps that reach layer 0 (padding "valid")',
    );
    expect(study.trials[1]!.userAttrs['nas:params']).toBe(2 * 1 * 2 + 2 + 2 * 2 * 2 + 2);
  });
});

describe('tensors', () => {
  it('building, costing and refusing architectures leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const trial = await askWith({});
      const m1 = nas.sequential(trial, { inputShape: [6], output: { units: 2 }, kinds: ['dense', 'conv1d'], normalization: ['batch', 'layer'], skip: true, dropout: 0.2 }, { seed: i });
      nas.cost(m1);
      m1.dispose();
      const m2 = nas.cell(await askWith({}), { inputShape: [6], output: { units: 2 }, ops: ['identity', 'dense-relu'] });
      m2.dispose();
      expect(() => nas.fromArchitecture(SEQ, { maxParams: 10 })).toThrow(ArchitectureError);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.each<[string, () => Sampler]>([
  ['RegularizedEvolutionSampler', () => new RegularizedEvolutionSampler({ seed: 1, populationSize: 2, sampleSize: 2 })],
  ['TPESampler', () => new TPESampler({ seed: 1, nStartupTrials: 2 })],
  ['GPSampler', () => new GPSampler({ seed: 1, nStartupTrials: 2, warnIndependentSampling: false })],
])('%s searches nas.sequential with a HyperbandPruner', (name, makeSampler) => {
  it('runs trials that train, report each epoch and record their cost', async () => {
    const study = await createStudy({ direction: 'maximize', sampler: makeSampler(), pruner: new HyperbandPruner({ minResource: 1, maxResource: 3 }) });
    const space: SequentialSpace = { inputShape: [64], output: { units: 10 }, depth: [1, 2], units: [8, 16, 32], activations: ['relu', 'tanh'], skip: 'search' };
    const before = tf.memory().numTensors;
    await study.optimize(
      async (trial) => {
        const model = nas.sequential(trial, space, { seed: 0 });
        model.compile({ optimizer: tf.train.adam(0.01), loss: nas.lossFor('softmax'), metrics: ['accuracy'] });
        const cb = pruningCallback(trial, { monitor: 'val_acc', tf });
        try {
          await model.fit(data.train.x, data.train.y, { epochs: 3, batchSize: 32, validationData: [data.valid.x, data.valid.y], callbacks: [cb], verbose: 0 });
          cb.throwIfPruned();
          return cb.lastValue!;
        } finally {
          disposeModel(model);
        }
      },
      { nTrials: 5 },
    );
    expect(tf.memory().numTensors).toBe(before);
    const done = study.trials.filter((t) => t.state === TrialState.COMPLETE || t.state === TrialState.PRUNED);
    expect(done).toHaveLength(5);
    expect(study.trials.some((t) => t.state === TrialState.COMPLETE)).toBe(true);
    for (const t of done) {
      expect(t.userAttrs['nas:params']).toBeGreaterThan(0);
      expect(t.intermediateValues.size).toBeGreaterThan(0);
      const depth = t.params['nas:depth'] as number;
      expect(Object.keys(t.params).some((k) => k.startsWith(`nas:l${depth}:`))).toBe(false);
    }
    expect(study.bestValue).toBeGreaterThan(0.3);
    // Evolution's children (after its 2 random founders) are mutations of a parent architecture.
    if (name === 'RegularizedEvolutionSampler') expect(study.trials.some((t) => typeof t.systemAttrs['evo:parent'] === 'number')).toBe(true);
  });
});
