/**
 * Twice-differentiable building blocks for the second-order parts (Hessian–vector products by double
 * backprop).
 *
 * NOTE: in tfjs 4.x a kernel whose gradient reads its saved *output* (Exp, Tanh, Sigmoid, Softmax, the
 * built-in cross-entropies) gives a silently wrong second derivative: the saved output is a clone the
 * outer tape cannot reach, so those terms are dropped (measured against central differences: relative
 * errors of 0.2–0.8). Max and the comparison ops have no gradient at all. So everything here is made of
 * kernels whose gradients read their inputs only (MatMul, Add, Mul, Div, Log, Relu, Softplus, Square,
 * Sum, Mean, Gather), plus an exp whose custom gradient recomputes exp from the saved *input*.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../instance.js';

type Tensor = tfTypes.Tensor;

/** The activations a dense layer may have here, by their Keras names. */
export const ACTIVATIONS = ['linear', 'relu', 'elu', 'softplus', 'sigmoid', 'tanh', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface Ops {
  exp(x: Tensor): Tensor;
  /** log-softmax over the last axis of (n, k) logits; the row max is a constant shift (no gradient). */
  logSoftmax(z: tfTypes.Tensor2D): tfTypes.Tensor2D;
  activate(name: Activation, x: Tensor): Tensor;
}

const cache = new WeakMap<object, Ops>();

/** The ops of one tfjs instance (a custom gradient belongs to the instance that made it). */
export function opsFor(tf: TfModule): Ops {
  const hit = cache.get(tf);
  if (hit !== undefined) return hit;
  // exp whose gradient is dy · exp(x) recomputed from the saved input, so it can be differentiated again.
  const exp: (x: Tensor) => Tensor = tf.customGrad(((x: Tensor, save: (t: Tensor[]) => void) => {
    save([x]);
    return { value: tf.exp(x), gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(dy, exp(saved[0]!)) };
  }) as unknown as Parameters<TfModule['customGrad']>[0]) as unknown as (x: Tensor) => Tensor;
  const sigmoid = (x: Tensor): Tensor => tf.div(1, tf.add(1, exp(tf.neg(x))));
  const ops: Ops = {
    exp,
    logSoftmax(z) {
      const n = z.shape[0];
      // The shift cancels exactly in value and derivatives; reading it back keeps it off the tape
      // (tf.max's gradient needs Equal's, which tfjs does not have).
      const shift = tf.tidy(() => tf.max(z, 1, true).dataSync());
      const m = tf.tensor2d(shift as Float32Array, [n, 1]);
      const lse = tf.add(tf.log(tf.sum(exp(tf.sub(z, m)), 1, true)), m);
      return tf.sub(z, lse) as tfTypes.Tensor2D;
    },
    activate(name, x) {
      switch (name) {
        case 'linear':
          return x;
        case 'relu':
          return tf.relu(x);
        case 'softplus':
          return tf.softplus(x);
        case 'sigmoid':
          return sigmoid(x);
        case 'tanh':
          return tf.sub(tf.mul(2, sigmoid(tf.mul(2, x))), 1);
        case 'elu':
          // x for x > 0, exp(x) − 1 otherwise, written with relu so no comparison op is on the tape.
          return tf.sub(tf.add(tf.relu(x), exp(tf.neg(tf.relu(tf.neg(x))))), 1);
        case 'softmax':
          return exp(ops.logSoftmax(x as tfTypes.Tensor2D));
      }
    },
  };
  cache.set(tf, ops);
  return ops;
}
