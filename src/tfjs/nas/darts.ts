/**
 * First-order DARTS (Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR 2019) on a
 * cell space: the supernet (supernet.ts) mixes every candidate op on every edge with softmax(α); each
 * step takes an Adam step on α against a validation batch (with α's L2 decay), then one on the network
 * weights against a training batch — the first-order approximation, which treats the weights as
 * constant in α's gradient. At the end each node keeps its top-k inputs by their strongest non-zero op,
 * with that op; the discrete architecture (the same format as `nas.cell`'s) is built and retrained from
 * scratch. Everything random (initial weights, α, batch order) is drawn from `seed`.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../../errors.js';
import { Rng } from '../../util/rng.js';
import { integer, invalid, nonNegativeNumber, options, positiveNumber } from '../../validate.js';
import { tfFor, type TfModule } from '../instance.js';
import { disposeModel } from '../mlp.js';
import { buildCell, lossFor } from './build.js';
import { cost, type ModelCost } from './cost.js';
import { resolveCellSpace, type CellArchitecture, type CellNode, type CellOp, type CellSpace } from './space.js';
import { createSupernet, type Supernet } from './supernet.js';

export interface DartsData {
  /** (n, d) training features and (n, units) targets (one-hot for softmax). */
  readonly x: tfTypes.Tensor2D;
  readonly y: tfTypes.Tensor2D;
  /** Validation split: α is trained on it, and it is the retrained model's validation data. */
  readonly xVal: tfTypes.Tensor2D;
  readonly yVal: tfTypes.Tensor2D;
}

export interface DartsOptions {
  tf?: TfModule;
  data: DartsData;
  /** A cell space with a fixed `width` and `cells` (DARTS searches the cell's wiring and ops). */
  space: CellSpace;
  /** Search epochs (passes over the training split; α sees as many validation batches). */
  epochs: number;
  /** Epochs of the discrete model's retraining. Default `epochs`. */
  retrainEpochs?: number;
  /** Default 0. */
  seed?: number;
  /** Default 64. */
  batchSize?: number;
  /** Adam's learning rate for the weights (search and retraining). Default 0.01. */
  learningRate?: number;
  /** Adam's learning rate for α. Default 3e-3 (the paper's 3e-4 is for 50 CIFAR epochs). */
  archLearningRate?: number;
  /** L2 decay of α. Default 1e-3. */
  archWeightDecay?: number;
  /**
   * First search epochs that train the weights only (α fixed). Default 0. Without them α is judged on
   * untrained ops, which favours the parameter-free ones (identity) — a known bias of DARTS.
   */
  warmupEpochs?: number;
}

export interface DartsEpoch {
  readonly epoch: number;
  /** Mean training loss of the epoch's weight steps. */
  readonly trainLoss: number;
  /** Supernet loss on the whole validation split after the epoch. */
  readonly valLoss: number;
  /** Mean entropy (nats) of the edges' softmax(α): log(ops) at the start, lower as edges decide. */
  readonly alphaEntropy: number;
}

export interface RetrainEpoch {
  readonly epoch: number;
  readonly loss: number;
  readonly valLoss: number;
  /** Validation accuracy, for softmax and sigmoid outputs. */
  readonly valAccuracy?: number;
}

export interface DartsResult {
  readonly architecture: CellArchitecture;
  /** The discrete model, compiled (Adam, the output's loss) and retrained; dispose with disposeModel(). */
  readonly model: tfTypes.LayersModel;
  /** One entry per search epoch. */
  readonly history: readonly DartsEpoch[];
  readonly retrainHistory: readonly RetrainEpoch[];
  /** softmax(α) of every edge at the end: `{ node, input, weights: { op: weight } }`. */
  readonly alphas: readonly { readonly node: number; readonly input: number; readonly weights: Readonly<Record<string, number>> }[];
  readonly cost: ModelCost;
  readonly seconds: { readonly search: number; readonly retrain: number };
}

const KEYS = ['tf', 'data', 'space', 'epochs', 'retrainEpochs', 'seed', 'batchSize', 'learningRate', 'archLearningRate', 'archWeightDecay', 'warmupEpochs'];

export async function darts(opts: DartsOptions): Promise<DartsResult> {
  const o = options<DartsOptions>('nas.darts options', opts, KEYS);
  const tf = tfFor('nas.darts', o.tf);
  const space = resolveCellSpace(o.space as CellSpace);
  if (space.width.type !== 'fixed') throw invalid('space.width', 'one number in nas.darts (DARTS searches the wiring and ops, not the width)', o.space?.width);
  if (space.cells.type !== 'fixed') throw invalid('space.cells', 'one number in nas.darts (DARTS searches the wiring and ops, not the depth)', o.space?.cells);
  if (!space.ops.some((op) => op !== 'zero')) throw invalid('space.ops', 'at least one op other than "zero"', o.space?.ops);
  const epochs = integer('epochs', o.epochs, 1);
  const c = Object.freeze({
    epochs,
    retrainEpochs: integer('retrainEpochs', o.retrainEpochs ?? epochs, 0),
    seed: integer('seed', o.seed ?? 0, 0),
    batchSize: integer('batchSize', o.batchSize ?? 64, 1),
    learningRate: positiveNumber('learningRate', o.learningRate ?? 0.01),
    archLearningRate: positiveNumber('archLearningRate', o.archLearningRate ?? 3e-3),
    archWeightDecay: nonNegativeNumber('archWeightDecay', o.archWeightDecay ?? 1e-3),
    warmupEpochs: integer('warmupEpochs', o.warmupEpochs ?? 0, 0, epochs - 1),
  });
  const data = checkData(o.data, space.inputDim, space.output.units);
  const width = space.width.value;
  const cells = space.cells.value;

  const started = performance.now();
  const net = createSupernet(tf, { inputDim: space.inputDim, units: space.output.units, activation: space.output.activation, width, cells, nodes: space.nodes, ops: space.ops, seed: c.seed });
  const wOpt = tf.train.adam(c.learningRate);
  const aOpt = tf.train.adam(c.archLearningRate);
  const rng = new Rng(c.seed + 1);
  const history: DartsEpoch[] = [];
  let alphas: number[][];
  try {
    const n = data.x.shape[0];
    const nVal = data.xVal.shape[0];
    let valOrder = rng.shuffle(Int32Array.from({ length: nVal }, (_, i) => i));
    let valPos = 0;
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
      let sum = 0;
      let steps = 0;
      for (let start = 0; start < n; start += c.batchSize) {
        const idx = order.subarray(start, Math.min(n, start + c.batchSize));
        // The validation batch cycles through a permutation of the validation rows, redrawn per pass.
        if (valPos + idx.length > nVal) {
          valOrder = rng.shuffle(valOrder);
          valPos = 0;
        }
        const vIdx = valOrder.subarray(valPos, Math.min(nVal, valPos + idx.length));
        valPos += vIdx.length;
        if (epoch >= c.warmupEpochs) archStep(tf, net, aOpt, data.xVal, data.yVal, vIdx, c.archWeightDecay);
        sum += weightStep(tf, net, wOpt, data.x, data.y, idx);
        steps++;
      }
      const valLoss = tf.tidy(() => net.loss(data.xVal, data.yVal).dataSync()[0]!);
      const probs = softmaxRows(tf, net);
      history.push(Object.freeze({ epoch, trainLoss: sum / steps, valLoss, alphaEntropy: meanEntropy(probs) }));
    }
    alphas = softmaxRows(tf, net);
  } finally {
    net.dispose();
    wOpt.dispose();
    aOpt.dispose();
  }
  const searchSeconds = (performance.now() - started) / 1000;
  const nodes = discretise(alphas, net.edges, space.ops, space.nodes, space.inputsPerNode);
  const architecture: CellArchitecture = { type: 'cell', inputShape: [space.inputDim], output: space.output, width, cells, nodes };

  const retrainStarted = performance.now();
  const model = buildCell(architecture, { tf, seed: c.seed });
  let retrainHistory: RetrainEpoch[];
  try {
    const classification = space.output.activation !== 'linear';
    model.compile({ optimizer: tf.train.adam(c.learningRate), loss: lossFor(space.output.activation), ...(classification ? { metrics: ['accuracy'] } : {}) });
    retrainHistory = await retrain(tf, model, data, c.retrainEpochs, c.batchSize, rng, classification);
  } catch (err) {
    disposeModel(model);
    throw err;
  }
  return Object.freeze({
    architecture,
    model,
    history: Object.freeze(history),
    retrainHistory: Object.freeze(retrainHistory),
    alphas: Object.freeze(net.edges.map((e, k) => ({ node: e.node, input: e.input, weights: Object.fromEntries(space.ops.map((op, o) => [op, alphas[k]![o]!])) }))),
    cost: cost(model),
    seconds: { search: searchSeconds, retrain: (performance.now() - retrainStarted) / 1000 },
  });
}

function gather(tf: TfModule, t: tfTypes.Tensor2D, idx: Int32Array): tfTypes.Tensor2D {
  return tf.gather(t, tf.tensor1d(idx, 'int32')) as tfTypes.Tensor2D;
}

/** One Adam step on α against a validation batch (weights held constant: first-order DARTS). */
function archStep(tf: TfModule, net: Supernet, opt: tfTypes.Optimizer, x: tfTypes.Tensor2D, y: tfTypes.Tensor2D, idx: Int32Array, decay: number): void {
  tf.tidy(() => {
    const xb = gather(tf, x, idx);
    const yb = gather(tf, y, idx);
    const { grads } = tf.variableGrads(() => tf.add(net.loss(xb, yb), tf.mul(decay / 2, tf.sum(tf.square(net.alpha)))) as tfTypes.Scalar, [net.alpha]);
    opt.applyGradients(grads);
  });
}

/** One Adam step on the network weights against a training batch; returns the batch loss. */
function weightStep(tf: TfModule, net: Supernet, opt: tfTypes.Optimizer, x: tfTypes.Tensor2D, y: tfTypes.Tensor2D, idx: Int32Array): number {
  return tf.tidy(() => {
    const xb = gather(tf, x, idx);
    const yb = gather(tf, y, idx);
    const { value, grads } = tf.variableGrads(() => net.loss(xb, yb), [...net.weights]);
    opt.applyGradients(grads);
    return value.dataSync()[0]!;
  });
}

/** softmax(α) as rows [edge][op]. */
function softmaxRows(tf: TfModule, net: Supernet): number[][] {
  const flat = tf.tidy(() => tf.softmax(net.alpha).dataSync());
  const k = net.ops.length;
  return net.edges.map((_, e) => Array.from(flat.subarray(e * k, (e + 1) * k)));
}

function meanEntropy(rows: readonly number[][]): number {
  const h = rows.map((r) => -r.reduce((a, p) => a + (p > 0 ? p * Math.log(p) : 0), 0));
  return h.reduce((a, b) => a + b, 0) / h.length;
}

/**
 * DARTS' discretisation: each edge's strength is its strongest non-zero op's weight; node j keeps its
 * min(k, j) strongest incoming edges (distinct sources, ties to the lower source), each with that op.
 */
export function discretise(alphas: readonly (readonly number[])[], edges: readonly { node: number; input: number }[], ops: readonly CellOp[], nodes: number, k: number): CellNode[] {
  const out: CellNode[] = [];
  for (let j = 1; j <= nodes; j++) {
    const candidates = edges
      .map((e, idx) => ({ e, row: alphas[idx]! }))
      .filter(({ e }) => e.node === j)
      .map(({ e, row }) => {
        let best = -1;
        row.forEach((w, o) => {
          if (ops[o] !== 'zero' && (best < 0 || w > row[best]!)) best = o;
        });
        return { input: e.input, op: ops[best]!, strength: row[best]! };
      })
      .sort((a, b) => b.strength - a.strength || a.input - b.input)
      .slice(0, Math.min(k, j))
      .sort((a, b) => a.input - b.input);
    out.push({ inputs: candidates.map((c) => c.input), ops: candidates.map((c) => c.op) });
  }
  return out;
}

async function retrain(
  tf: TfModule,
  model: tfTypes.LayersModel,
  data: DartsData,
  epochs: number,
  batchSize: number,
  rng: Rng,
  classification: boolean,
): Promise<RetrainEpoch[]> {
  const out: RetrainEpoch[] = [];
  const n = data.x.shape[0];
  for (let e = 0; e < epochs; e++) {
    // fit()'s own shuffling cannot be seeded: each epoch trains on a seeded permutation, unshuffled.
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const [xs, ys] = tf.tidy(() => [gather(tf, data.x, order), gather(tf, data.y, order)]);
    try {
      const h = await model.fit(xs!, ys!, { epochs: 1, batchSize, shuffle: false, verbose: 0, validationData: [data.xVal, data.yVal] });
      const last = (k: string): number | undefined => {
        const v = h.history[k]?.[0];
        return typeof v === 'number' ? v : v === undefined ? undefined : v.dataSync()[0];
      };
      const acc = last('val_acc');
      out.push(Object.freeze({ epoch: e, loss: last('loss') ?? NaN, valLoss: last('val_loss') ?? NaN, ...(classification && acc !== undefined ? { valAccuracy: acc } : {}) }));
    } finally {
      xs!.dispose();
      ys!.dispose();
    }
  }
  return out;
}

function checkData(d: unknown, inputDim: number, units: number): DartsData {
  const o = options<DartsData>('data', d, ['x', 'y', 'xVal', 'yVal']);
  if (d === undefined) throw invalid('data', '{ x, y, xVal, yVal } tensors', d);
  const rank2 = (name: string, t: unknown, cols: number): tfTypes.Tensor2D => {
    const shape = (t as { shape?: unknown } | null)?.shape;
    if (!Array.isArray(shape) || shape.length !== 2 || (t as { isDisposed?: boolean }).isDisposed === true) throw invalid(`data.${name}`, `a 2-D tensor (rows, ${cols})`, t);
    if (shape[1] !== cols) throw new InvalidArgumentError(`Expected \`data.${name}\` to have ${cols} columns but received shape [${shape.join(', ')}]`);
    return t as tfTypes.Tensor2D;
  };
  const x = rank2('x', o.x, inputDim);
  const y = rank2('y', o.y, units);
  const xVal = rank2('xVal', o.xVal, inputDim);
  const yVal = rank2('yVal', o.yVal, units);
  if (x.shape[0] !== y.shape[0]) throw new InvalidArgumentError(`Expected \`data.x\` and \`data.y\` to have as many rows but received ${x.shape[0]} and ${y.shape[0]}`);
  if (xVal.shape[0] !== yVal.shape[0]) throw new InvalidArgumentError(`Expected \`data.xVal\` and \`data.yVal\` to have as many rows but received ${xVal.shape[0]} and ${yVal.shape[0]}`);
  return { x, y, xVal, yVal };
}
