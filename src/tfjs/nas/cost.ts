/**
 * Parameters and FLOPs of a built model, per example.
 *
 * FLOPs are multiply-adds (one multiply and one add count once, as in the NAS literature's "FLOPs"/MACs)
 * of one example's forward pass through the layers that hold weights:
 *   Dense       in × units per position (positions: the product of the input's middle dimensions, 1 for
 *               a (batch, features) input)
 *   Conv1D      outSteps × kernel × inChannels × filters
 *   BatchNormalization, LayerNormalization   one per output element (the per-element scale and shift;
 *               batch normalisation folds into it at inference; layer normalisation's statistics are
 *               not counted)
 * Biases, activations, additions, averages, dropout, reshapes: 0. Parameters are every weight,
 * trainable or not (batch normalisation's moving statistics included), equal to `model.countParams()`.
 */
import type * as tfTypes from '@tensorflow/tfjs';

export interface LayerCost {
  readonly name: string;
  readonly className: string;
  readonly params: number;
  readonly flops: number;
}

export interface ModelCost {
  /** Every weight (= model.countParams()). */
  readonly params: number;
  readonly trainableParams: number;
  /** Multiply-adds of one example's forward pass (see the module comment). */
  readonly flops: number;
  /** Layers with parameters or FLOPs, in the model's order. */
  readonly layers: readonly LayerCost[];
  /** Layers with weights whose FLOPs are not modelled here (counted as 0). */
  readonly uncounted: readonly string[];
}

const product = (xs: readonly (number | null)[]): number => xs.reduce<number>((a, b) => a * (b ?? 1), 1);

function shapeOf(s: tfTypes.Shape | tfTypes.Shape[]): tfTypes.Shape {
  return (Array.isArray(s[0]) ? s[0] : s) as tfTypes.Shape;
}

export function cost(model: tfTypes.LayersModel): ModelCost {
  const layers: LayerCost[] = [];
  const uncounted: string[] = [];
  let params = 0;
  let trainable = 0;
  let flops = 0;
  for (const layer of model.layers) {
    const p = layer.countParams();
    const t = layer.trainableWeights.reduce((a, w) => a + product(w.shape), 0);
    const kernel = layer.weights.find((w) => /kernel/.test(w.originalName ?? w.name));
    let f = 0;
    const cls = layer.getClassName();
    if (cls === 'Dense' && kernel !== undefined) {
      const input = layer.input;
      const inShape = (Array.isArray(input) ? input[0]! : input).shape;
      f = product(kernel.shape) * product(inShape.slice(1, -1));
    } else if (cls === 'Conv1D' && kernel !== undefined) {
      const outShape = shapeOf(layer.outputShape);
      f = product(kernel.shape) * (outShape[1] ?? 1);
    } else if (cls === 'BatchNormalization' || cls === 'LayerNormalization') {
      f = product(shapeOf(layer.outputShape).slice(1));
    } else if (p > 0) {
      uncounted.push(layer.name);
    }
    params += p;
    trainable += t;
    flops += f;
    if (p > 0 || f > 0) layers.push(Object.freeze({ name: layer.name, className: cls, params: p, flops: f }));
  }
  return Object.freeze({ params, trainableParams: trainable, flops, layers: Object.freeze(layers), uncounted: Object.freeze(uncounted) });
}
