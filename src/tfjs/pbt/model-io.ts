/**
 * A LayersModel's weights (and its optimizer's state) to checkpoint artifacts and back.
 *
 * Why not `model.save(handler, { includeOptimizer: true })`: it leaks the optimizer's `iter` scalar on
 * every call (tfjs 4.22 never disposes the tensor getWeights() makes), and PBT saves once per member
 * per interval. So the topology comes from a plain save() and the optimizer's weights are encoded here.
 *
 * Loading goes by position, not by name: every build of a model names its variables anew (dense_Dense3
 * in one build, dense_Dense7 in the next), but `buildModel(hp)` builds the same layers in the same order.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../../errors.js';
import type { TfModule } from '../instance.js';
import { weightBytes, type CheckpointArtifacts } from './store.js';

type WeightSpec = tfTypes.io.WeightsManifestEntry;

/** Encodes the model's weights, then (with `optimizerState`) its optimizer's, into one artifacts object. */
export async function saveModel(tf: TfModule, model: tfTypes.LayersModel, optimizerState: boolean): Promise<CheckpointArtifacts> {
  let artifacts: CheckpointArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const out = artifacts as CheckpointArtifacts | null;
  if (out === null) throw new InvalidArgumentError('model.save() handed no artifacts to the save handler');
  const optimizer = model.optimizer as tfTypes.Optimizer | undefined;
  if (!optimizerState || optimizer === undefined || optimizer === null) return out;
  const named = await optimizer.getWeights();
  try {
    const { data, specs } = await tf.io.encodeWeights(named, 'optimizer');
    out.weightSpecs = [...(out.weightSpecs ?? []), ...specs];
    out.weightData = tf.io.concatenateArrayBuffers([weightBytes(out), weightBytes({ weightData: data })]);
    const config = (model as unknown as { getTrainingConfig?: () => tfTypes.io.TrainingConfig }).getTrainingConfig?.();
    if (config !== undefined) out.trainingConfig = config;
  } finally {
    // getWeights() makes the `iter` scalar afresh; the moments are the optimizer's own variables.
    for (const w of named) if (w.name === 'iter') w.tensor.dispose();
  }
  return out;
}

const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** The tensors of `specs` cut from `data` in order (names may repeat; uint8/float16 quantisation aside). */
function decode(tf: TfModule, data: ArrayBuffer, specs: readonly WeightSpec[]): { spec: WeightSpec; tensor: tfTypes.Tensor }[] {
  const out: { spec: WeightSpec; tensor: tfTypes.Tensor }[] = [];
  let at = 0;
  try {
    for (const spec of specs) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const width = BYTES[spec.dtype];
      if (width === undefined || spec.quantization !== undefined) {
        throw new InvalidArgumentError(`Checkpoint weight ${JSON.stringify(spec.name)} has dtype ${spec.dtype}${spec.quantization ? ' (quantised)' : ''}, which cannot be loaded here`);
      }
      const bytes = data.slice(at, at + size * width);
      at += size * width;
      const values = spec.dtype === 'float32' ? new Float32Array(bytes) : spec.dtype === 'int32' ? new Int32Array(bytes) : new Uint8Array(bytes);
      out.push({ spec, tensor: tf.tensor(values, spec.shape, spec.dtype as 'float32' | 'int32' | 'bool') });
    }
    if (at !== data.byteLength) throw new InvalidArgumentError(`Checkpoint weight data has ${data.byteLength} bytes but its specs describe ${at}`);
  } catch (err) {
    for (const w of out) w.tensor.dispose();
    throw err;
  }
  return out;
}

/**
 * Sets `model`'s weights (and, when the checkpoint has them and `optimizerState`, its optimizer's state)
 * from `artifacts`. The model must have the same weights in the same order and shapes as the one saved.
 */
export async function loadIntoModel(tf: TfModule, model: tfTypes.LayersModel, artifacts: CheckpointArtifacts, optimizerState: boolean): Promise<void> {
  const all = decode(tf, weightBytes(artifacts), artifacts.weightSpecs ?? []);
  try {
    const own = all.filter((w) => w.spec.group !== 'optimizer');
    const opt = all.filter((w) => w.spec.group === 'optimizer');
    const targets = model.weights;
    if (own.length !== targets.length) {
      throw new InvalidArgumentError(
        `The checkpoint has ${own.length} weight tensor(s) but the model built for it has ${targets.length}: ` +
          '`buildModel(hp)` must build the same layers whatever the hyperparameters',
      );
    }
    own.forEach((w, i) => {
      const target = targets[i]!;
      if (w.tensor.shape.join(',') !== target.shape.join(',')) {
        throw new InvalidArgumentError(
          `Checkpoint weight ${i} (${JSON.stringify(w.spec.name)}) has shape [${w.tensor.shape}] but the model's ${JSON.stringify(target.originalName)} has [${target.shape}]: ` +
            '`buildModel(hp)` must build the same layers whatever the hyperparameters',
        );
      }
    });
    model.setWeights(own.map((w) => w.tensor));
    const optimizer = model.optimizer as tfTypes.Optimizer | undefined;
    if (optimizerState && opt.length > 0 && optimizer !== undefined && optimizer !== null) {
      // setWeights() makes variables of (shares the data of) the tensors given; they are disposed below,
      // which only drops our reference.
      await optimizer.setWeights(opt.map((w) => ({ name: w.spec.name, tensor: w.tensor })));
    }
  } finally {
    for (const w of all) w.tensor.dispose();
  }
}
