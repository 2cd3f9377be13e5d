/**
 * The DARTS supernet of a cell space, as a functional forward pass over tf.Variables (no layers, so the
 * architecture weights α and the network weights w are plain variables that tf.variableGrads
 * differentiates separately).
 *
 * Shapes: x (n, d); stem W (d, C); in every cell, node j = 1..B receives an edge from every earlier node
 * i < j (E = B(B+1)/2 edges, numbered node by node: (1,0), (2,0), (2,1), (3,0), ...); each edge is the
 * mixed op Σ_o softmax(α_e)_o · op_o(h_i) with its own (C, C) weights per parametric op; the cell's output
 * is the mean of its B nodes; the head maps (n, C) to (n, units) logits. α (E, ops) is shared by the N
 * stacked cells, as DARTS shares one normal cell's α.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { Rng } from '../../util/rng.js';
import type { TfModule } from '../instance.js';
import type { CellOp, OutputActivation } from './space.js';

export interface Edge {
  /** Destination node (1-based). */
  readonly node: number;
  /** Source node (0 = the cell's input). */
  readonly input: number;
}

interface Dense {
  readonly w: tfTypes.Variable; // (in, out)
  readonly b: tfTypes.Variable; // (out)
}

export interface Supernet {
  readonly edges: readonly Edge[];
  readonly ops: readonly CellOp[];
  /** (E, ops) architecture logits. */
  readonly alpha: tfTypes.Variable;
  /** Every network weight (stem, edges, head); not α. */
  readonly weights: readonly tfTypes.Variable[];
  /** (n, d) → (n, units) logits (before the output activation). Call inside tidy(). */
  forward(x: tfTypes.Tensor2D): tfTypes.Tensor2D;
  /** The loss that matches the output activation, on logits: mean over the batch. Call inside tidy(). */
  loss(x: tfTypes.Tensor2D, y: tfTypes.Tensor2D): tfTypes.Scalar;
  dispose(): void;
}

export interface SupernetConfig {
  readonly inputDim: number;
  readonly units: number;
  readonly activation: OutputActivation;
  readonly width: number;
  readonly cells: number;
  readonly nodes: number;
  readonly ops: readonly CellOp[];
  readonly seed: number;
}

const PARAMETRIC = new Set<CellOp>(['linear', 'dense-relu', 'dense-tanh', 'dense-elu', 'dense-sigmoid']);

export function createSupernet(tf: TfModule, c: SupernetConfig): Supernet {
  const rng = new Rng(c.seed);
  // A variable keeps its own handle on the initial values: the tensor they were made in is freed here.
  const variable = (init: tfTypes.Tensor): tfTypes.Variable => {
    const v = tf.variable(init);
    init.dispose();
    return v;
  };
  const made: tfTypes.Variable[] = [];
  // Glorot-uniform kernels and zero biases, drawn from the seed so the search is reproducible.
  const dense = (fanIn: number, fanOut: number): Dense => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const values = Float32Array.from({ length: fanIn * fanOut }, () => rng.uniform(-limit, limit));
    const d = { w: variable(tf.tensor2d(values, [fanIn, fanOut])), b: variable(tf.zeros([fanOut])) };
    made.push(d.w, d.b);
    return d;
  };
  const edges: Edge[] = [];
  for (let j = 1; j <= c.nodes; j++) for (let i = 0; i < j; i++) edges.push({ node: j, input: i });
  const stem = dense(c.inputDim, c.width);
  // cellOps[cell][edge][op]: the weights of each parametric op (undefined for identity and zero).
  const cellOps = Array.from({ length: c.cells }, () => edges.map(() => c.ops.map((op) => (PARAMETRIC.has(op) ? dense(c.width, c.width) : undefined))));
  const head = dense(c.width, c.units);
  const alphaInit = Float32Array.from({ length: edges.length * c.ops.length }, () => 1e-3 * rng.normal());
  const alpha = variable(tf.tensor2d(alphaInit, [edges.length, c.ops.length]));

  const apply = (op: CellOp, h: tfTypes.Tensor2D, d: Dense | undefined): tfTypes.Tensor2D | null => {
    if (op === 'zero') return null;
    if (op === 'identity') return h;
    const z = tf.add(tf.matMul(h, d!.w), d!.b) as tfTypes.Tensor2D;
    switch (op) {
      case 'dense-relu':
        return tf.relu(z);
      case 'dense-tanh':
        return tf.tanh(z);
      case 'dense-elu':
        return tf.elu(z);
      case 'dense-sigmoid':
        return tf.sigmoid(z);
      default:
        return z;
    }
  };

  const forward = (x: tfTypes.Tensor2D): tfTypes.Tensor2D => {
    // (E, ops) mixing weights; each term slices its (1, 1) weight, which broadcasts over (n, C). Not
    // unstack(): its gradient fails when an output (the zero op's weight) takes no part in the loss.
    const mix = tf.softmax(alpha);
    let h = tf.add(tf.matMul(x, stem.w), stem.b) as tfTypes.Tensor2D;
    for (let cl = 0; cl < c.cells; cl++) {
      const values: tfTypes.Tensor2D[] = [h];
      let e = 0;
      for (let j = 1; j <= c.nodes; j++) {
        let node: tfTypes.Tensor2D | null = null;
        for (let i = 0; i < j; i++, e++) {
          c.ops.forEach((op, o) => {
            const out = apply(op, values[i]!, cellOps[cl]![e]![o]);
            if (out === null) return;
            const term = tf.mul(out, tf.slice(mix, [e, o], [1, 1])) as tfTypes.Tensor2D;
            node = node === null ? term : (tf.add(node, term) as tfTypes.Tensor2D);
          });
        }
        values.push(node ?? (tf.zerosLike(h) as tfTypes.Tensor2D));
      }
      h = tf.div(tf.addN(values.slice(1)), c.nodes) as tfTypes.Tensor2D;
    }
    return tf.add(tf.matMul(h, head.w), head.b) as tfTypes.Tensor2D;
  };

  const loss = (x: tfTypes.Tensor2D, y: tfTypes.Tensor2D): tfTypes.Scalar => {
    const logits = forward(x);
    if (c.activation === 'softmax') return tf.losses.softmaxCrossEntropy(y, logits) as tfTypes.Scalar;
    if (c.activation === 'sigmoid') return tf.losses.sigmoidCrossEntropy(y, logits) as tfTypes.Scalar;
    return tf.losses.meanSquaredError(y, logits) as tfTypes.Scalar;
  };

  return {
    edges,
    ops: c.ops,
    alpha,
    weights: made,
    forward,
    loss,
    dispose: () => {
      for (const v of made) v.dispose();
      alpha.dispose();
    },
  };
}
