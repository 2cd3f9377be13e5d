/**
 * The bilevel problem: inner weights w (the model's variables) minimise the training loss
 *   L_T(w, λ) = loss(y, f(x; w)) [through the user's trainingLoss hook] + Σ_g λ_g / 2 · ‖w_g‖²,
 * and the hyperparameters λ are judged by the validation loss L_V(w) = loss(yVal, f(xVal; w)) (the plain
 * loss: no penalty, no hook). Everything the hypergradient methods need is here: gradients in w, and
 * the mixed second-order product (Hv, (∂²L_T/∂λ∂w) v) by double backprop.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../instance.js';
import type { LossName, Network } from './network.js';
import type { Layout } from './space.js';

type Tensor = tfTypes.Tensor;

/** Training rows (x, y) and validation rows (xVal, yVal): (n, d) features, (n, k) targets (one-hot for cross-entropy). */
export interface HyperData {
  readonly x: tfTypes.Tensor2D;
  readonly y: tfTypes.Tensor2D;
  readonly xVal: tfTypes.Tensor2D;
  readonly yVal: tfTypes.Tensor2D;
}

export interface TrainingLossArgs {
  /** (n, k) targets of the batch. */
  readonly yTrue: tfTypes.Tensor2D;
  /** (n, k) model output (the last activation applied). */
  readonly yPred: tfTypes.Tensor2D;
  /** The plain mean loss of the batch (`loss`). */
  readonly base: tfTypes.Scalar;
  /** The weight tensors, per dense layer its kernel then its bias. */
  readonly weights: readonly Tensor[];
  /** The custom hyperparameters (`hyperparameters.custom`) as scalars. */
  readonly hp: Readonly<Record<string, tfTypes.Scalar>>;
  readonly tf: TfModule;
}

/** Returns the training loss of a batch; must be twice differentiable in the weights (see docs). */
export type TrainingLossHook = (args: TrainingLossArgs) => tfTypes.Scalar;

export class Problem {
  /** λ in its natural domain, laid out as `layout.entries`. */
  readonly values: Float64Array;
  learningRate: number;

  constructor(
    readonly tf: TfModule,
    readonly net: Network,
    readonly layout: Layout,
    readonly data: HyperData,
    readonly lossName: LossName,
    readonly hook: TrainingLossHook | null,
  ) {
    this.values = Float64Array.from(layout.entries, (e) => e.init);
    this.learningRate = layout.learningRate.init;
  }

  /** (m,) λ as a tensor; the caller disposes it. */
  lambda(): tfTypes.Tensor1D {
    return this.tf.tensor1d(Float32Array.from(this.values));
  }

  weights(): Tensor[] {
    return [...this.net.variables];
  }

  /** L_T(weights, λ) on (x, y). */
  trainingLoss(weights: readonly Tensor[], lambda: tfTypes.Tensor1D, x: Tensor, y: Tensor): tfTypes.Scalar {
    const tf = this.tf;
    const { loss: base, logits } = this.net.loss(this.lossName, weights, x, y);
    let total: tfTypes.Scalar = base;
    if (this.hook !== null) {
      const hp: Record<string, tfTypes.Scalar> = {};
      for (const [name, i] of Object.entries(this.layout.custom)) hp[name] = tf.reshape(tf.slice(lambda, [i], [1]), []) as tfTypes.Scalar;
      const last = this.net.layers[this.net.layers.length - 1]!;
      const yPred = this.net.ops.activate(last.activation, logits) as tfTypes.Tensor2D;
      total = this.hook({ yTrue: y as tfTypes.Tensor2D, yPred, base, weights, hp, tf });
    }
    const penalties: Tensor[] = [];
    this.layout.decay.forEach((map, v) => {
      if (map === null) return;
      const decay = tf.reshape(tf.slice(lambda, [map.start], [map.count]), map.shape as number[]);
      penalties.push(tf.sum(tf.mul(decay, tf.square(weights[v]!))));
    });
    if (penalties.length > 0) total = tf.add(total, tf.mul(0.5, tf.addN(penalties))) as tfTypes.Scalar;
    return total;
  }

  /** L_V of `weights` (default: the model's variables). */
  valLoss(weights: readonly Tensor[] = this.net.variables): number {
    const v = this.tf.tidy(() => this.net.loss(this.lossName, weights, this.data.xVal, this.data.yVal).loss);
    const out = v.dataSync()[0]!;
    v.dispose();
    return out;
  }

  /** ∇_w L_V at `weights`. */
  valGradient(weights: readonly Tensor[]): Tensor[] {
    const { xVal, yVal } = this.data;
    return this.tf.grads((...w: Tensor[]) => this.net.loss(this.lossName, w, xVal, yVal).loss)(weights as Tensor[]);
  }

  /** ∇_w L_T at `weights` on (x, y), and the loss. */
  gradient(weights: readonly Tensor[], lambda: tfTypes.Tensor1D, x: Tensor, y: Tensor): { grads: Tensor[]; value: tfTypes.Scalar } {
    const { value, grads } = this.tf.valueAndGrads((...w: Tensor[]) => this.trainingLoss(w, lambda, x, y))(weights as Tensor[]);
    return { grads, value: value as tfTypes.Scalar };
  }

  /**
   * The Hessian–vector product H v = ∇²_w L_T v and the mixed product (∂²L_T/∂λ∂w) v, both at `weights`
   * on (x, y), by differentiating ⟨∇_w L_T, v⟩ once more in (w, λ).
   */
  mixed(weights: readonly Tensor[], lambda: tfTypes.Tensor1D, x: Tensor, y: Tensor, v: readonly Tensor[]): { hv: Tensor[]; jv: tfTypes.Tensor1D } {
    const tf = this.tf;
    const n = weights.length;
    const f = (...args: Tensor[]): tfTypes.Scalar => {
      const w = args.slice(0, n);
      const lam = args[n] as tfTypes.Tensor1D;
      const g = tf.grads((...wi: Tensor[]) => this.trainingLoss(wi, lam, x, y))(w);
      const dot = tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, v[i]!))));
      // tf.grads refuses an argument the output does not depend on; λ entries that never reach the loss
      // get an exact zero through this term instead (and are reported as such by the caller).
      return tf.add(dot, tf.mul(0, tf.sum(lam))) as tfTypes.Scalar;
    };
    const out = tf.grads(f)([...weights, lambda] as Tensor[]);
    return { hv: out.slice(0, n), jv: out[n] as tfTypes.Tensor1D };
  }

  /** (rows) of the training set, or all of it when `rows` is null. */
  rows(rows: Int32Array | null): { x: Tensor; y: Tensor } {
    if (rows === null) return { x: this.data.x, y: this.data.y };
    const idx = this.tf.tensor1d(rows, 'int32');
    const out = { x: this.tf.gather(this.data.x, idx), y: this.tf.gather(this.data.y, idx) };
    idx.dispose();
    return out;
  }
}

/** ⟨a, b⟩ over lists of tensors, as a number. */
export function dotAll(tf: TfModule, a: readonly Tensor[], b: readonly Tensor[]): number {
  const s = tf.tidy(() => tf.addN(a.map((ai, i) => tf.sum(tf.mul(ai, b[i]!)))));
  const v = s.dataSync()[0]!;
  s.dispose();
  return v;
}
