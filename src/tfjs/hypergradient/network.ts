/**
 * A functional view of a stack of dense layers: the model's own variables, and a forward pass that takes
 * the weight tensors as arguments, so that gradients, Hessian–vector products and unrolled steps are
 * ordinary functions of the weights. Training writes back into the model's variables, so the model the
 * user built is the model that was trained.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../../errors.js';
import type { TfModule } from '../instance.js';
import { ACTIVATIONS, opsFor, type Activation, type Ops } from './ops.js';

type Tensor = tfTypes.Tensor;

export interface DenseLayer {
  readonly name: string;
  readonly activation: Activation;
  readonly inDim: number;
  readonly outDim: number;
  /** Indices into Network.variables: the (inDim, outDim) kernel and the (outDim,) bias, or null without one. */
  readonly kernel: number;
  readonly bias: number | null;
}

export type LossName = 'categoricalCrossentropy' | 'meanSquaredError';

export interface Network {
  readonly layers: readonly DenseLayer[];
  /** The model's variables: per layer its kernel then its bias. */
  readonly variables: readonly tfTypes.Variable[];
  /** Names of the variables: "<layer>/kernel", "<layer>/bias". */
  readonly variableNames: readonly string[];
  /** Last layer's pre-activation, (n, outDim), for `weights` laid out as `variables`. */
  logits(weights: readonly Tensor[], x: Tensor): tfTypes.Tensor2D;
  /** The model's output (last activation applied). */
  output(weights: readonly Tensor[], x: Tensor): tfTypes.Tensor2D;
  /** Mean loss of `weights` on (x, y), and the logits it was computed from. */
  loss(name: LossName, weights: readonly Tensor[], x: Tensor, y: Tensor): { loss: tfTypes.Scalar; logits: tfTypes.Tensor2D };
  readonly ops: Ops;
}

/** Reads a `tf.LayersModel` made of dense layers (an MLP) into a Network; anything else is refused. */
export function networkOf(tf: TfModule, model: tfTypes.LayersModel, loss: LossName): Network {
  const layers: DenseLayer[] = [];
  const variables: tfTypes.Variable[] = [];
  const variableNames: string[] = [];
  model.layers.forEach((layer, i) => {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') return;
    if (cls !== 'Dense') {
      throw new InvalidArgumentError(
        `Expected a model of dense layers for \`buildModel()\` but layer ${i} (${JSON.stringify(layer.name)}) is a ${cls}`,
      );
    }
    const config = layer.getConfig() as { activation?: unknown; useBias?: unknown; units?: unknown };
    const activation = typeof config.activation === 'string' ? config.activation : 'linear';
    if (!(ACTIVATIONS as readonly string[]).includes(activation)) {
      throw new InvalidArgumentError(
        `Expected one of ${ACTIVATIONS.map((a) => JSON.stringify(a)).join(', ')} for the activation of layer ${JSON.stringify(layer.name)} but received ${JSON.stringify(activation)}`,
      );
    }
    if (!layer.trainable) throw new InvalidArgumentError(`Expected trainable dense layers for \`buildModel()\` but layer ${JSON.stringify(layer.name)} is frozen`);
    const weights = layer.weights;
    const kernelVar = weights[0]!.read() as tfTypes.Variable;
    const [inDim, outDim] = kernelVar.shape as [number, number];
    const kernel = variables.push(kernelVar) - 1;
    variableNames.push(`${layer.name}/kernel`);
    let bias: number | null = null;
    if (weights.length > 1) {
      bias = variables.push(weights[1]!.read() as tfTypes.Variable) - 1;
      variableNames.push(`${layer.name}/bias`);
    }
    layers.push({ name: layer.name, activation: activation as Activation, inDim, outDim, kernel, bias });
  });
  if (layers.length === 0) throw new InvalidArgumentError('Expected a model of dense layers for `buildModel()` but it has none');
  for (let l = 0; l < layers.length - 1; l++) {
    if (layers[l]!.activation === 'softmax') {
      throw new InvalidArgumentError(`Expected softmax on the last layer only but layer ${JSON.stringify(layers[l]!.name)} has it`);
    }
  }
  const last = layers[layers.length - 1]!;
  if (loss === 'categoricalCrossentropy' && last.activation !== 'softmax') {
    throw new InvalidArgumentError(
      `Expected a softmax last layer for \`loss\` "categoricalCrossentropy" but layer ${JSON.stringify(last.name)} has ${JSON.stringify(last.activation)}`,
    );
  }
  const ops = opsFor(tf);

  const logits = (weights: readonly Tensor[], x: Tensor): tfTypes.Tensor2D => {
    let h = x;
    layers.forEach((layer, l) => {
      let z = tf.matMul(h as tfTypes.Tensor2D, weights[layer.kernel] as tfTypes.Tensor2D) as Tensor;
      if (layer.bias !== null) z = tf.add(z, weights[layer.bias]!);
      h = l === layers.length - 1 ? z : ops.activate(layer.activation, z);
    });
    return h as tfTypes.Tensor2D;
  };
  return {
    layers,
    variables,
    variableNames,
    ops,
    logits,
    output: (weights, x) => ops.activate(last.activation, logits(weights, x)) as tfTypes.Tensor2D,
    loss(name, weights, x, y) {
      const z = logits(weights, x);
      if (name === 'categoricalCrossentropy') {
        // (n, k) one-hot y; mean over rows of −Σ y log softmax(z).
        return { loss: tf.neg(tf.mean(tf.sum(tf.mul(y, ops.logSoftmax(z)), 1))) as tfTypes.Scalar, logits: z };
      }
      return { loss: tf.mean(tf.square(tf.sub(ops.activate(last.activation, z), y))) as tfTypes.Scalar, logits: z };
    },
  };
}
