/**
 * Architectures → tf.LayersModel, with the functional API (skip connections and cell DAGs are not
 * sequential). The model is not compiled: the caller picks the optimizer (`lossFor(output)` gives the
 * loss that matches the output activation).
 *
 * Layer names say where a layer comes from, so a model can be read back against its architecture
 * (and cost() reports per layer): sequential `l<i>_dense`, `l<i>_conv1d`, `l<i>_norm`, `l<i>_act`,
 * `l<i>_proj`, `l<i>_add`, `l<i>_dropout`; cells `stem`, `c<c>_n<j>_e<m>_<op>`, `c<c>_n<j>_sum`,
 * `c<c>_out`; and `head` for the output layer.
 *
 * Choices that cannot be built throw ArchitectureError naming the parameter (`nas:l1:kernel`, ...):
 * checked before tfjs is asked where the rule is known (a kernel longer than its input, a cell with no
 * path from input to output), and any error tfjs raises while building a layer is wrapped the same way.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { ArchitectureError } from '../../errors.js';
import { SeededDropout } from '../mlp.js';
import type { TfModule } from '../instance.js';
import type { CellArchitecture, CellOp, OutputActivation, SequentialArchitecture } from './space.js';

export interface BuildOptions {
  readonly tf: TfModule;
  /** Seeds the initialisers (and dropout masks) so the same architecture and seed give the same weights. */
  readonly seed?: number;
}

type Sym = tfTypes.SymbolicTensor;
type Init = ReturnType<TfModule['initializers']['glorotUniform']>;

/** The tfjs loss that matches an output activation. */
export function lossFor(activation: OutputActivation): 'categoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError' {
  return activation === 'softmax' ? 'categoricalCrossentropy' : activation === 'sigmoid' ? 'binaryCrossentropy' : 'meanSquaredError';
}

/** Runs `f` (building one layer); an error tfjs raises becomes an ArchitectureError naming `choice`. */
function guard<T>(choice: string, value: unknown, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ArchitectureError) throw err;
    const cause = err instanceof Error ? err.message : String(err);
    throw new ArchitectureError(choice, value, `The architecture cannot be built: ${choice} = ${JSON.stringify(value)} was refused by TensorFlow.js: ${cause}`);
  }
}

function initializer(tf: TfModule, seed: number | undefined, k: number): Init {
  return tf.initializers.glorotUniform(seed === undefined ? {} : { seed: seed * 1009 + k });
}

/**
 * Refuses a conv1d kernel longer than the steps that reach it (padding "valid"), before any layer holds
 * weights: steps are the features for a conv1d on a (batch, width) tensor, else the previous conv's output.
 */
function checkKernels(arch: SequentialArchitecture): void {
  let width = arch.inputShape[0]!;
  let steps: number | null = null;
  arch.layers.forEach((l, i) => {
    if (l.kind === 'dense') {
      steps = null;
      width = l.units;
      return;
    }
    const s = steps ?? width;
    const k = l.kernelSize ?? 1;
    if (arch.padding === 'valid' && k > s) {
      throw new ArchitectureError(`nas:l${i}:kernel`, k, `The architecture cannot be built: nas:l${i}:kernel = ${k} is longer than the ${s} steps that reach layer ${i} (padding "valid")`);
    }
    steps = arch.padding === 'valid' ? s - k + 1 : s;
  });
}

/** Runs a build; when it throws, the layers made so far (which hold weights once applied) are freed. */
function freeingOnError<T>(build: (made: tfTypes.layers.Layer[]) => T): T {
  const made: tfTypes.layers.Layer[] = [];
  try {
    return build(made);
  } catch (err) {
    for (const layer of made) {
      try {
        layer.dispose();
      } catch {
        // Never applied: holds no weights.
      }
    }
    throw err;
  }
}

export function buildSequential(arch: SequentialArchitecture, o: BuildOptions): tfTypes.LayersModel {
  checkKernels(arch);
  return freeingOnError((made) => sequentialGraph(arch, o, made));
}

function sequentialGraph(arch: SequentialArchitecture, o: BuildOptions, made: tfTypes.layers.Layer[]): tfTypes.LayersModel {
  const { tf: tf0, seed } = o;
  const tf = tracking(tf0, made);
  const input = tf.input({ shape: [...arch.inputShape], name: 'input' });
  // (batch, width) while `seq` is false; (batch, steps, channels) after a conv1d layer.
  let x: Sym = input;
  let seq = false;
  arch.layers.forEach((l, i) => {
    const p = `nas:l${i}:`;
    let from: Sym;
    if (l.kind === 'conv1d') {
      from = seq ? x : guard(`${p}kind`, l.kind, () => tf.layers.reshape({ targetShape: [x.shape[1]!, 1], name: `l${i}_reshape` }).apply(x) as Sym);
    } else {
      from = seq ? (tf.layers.flatten({ name: `l${i}_flatten` }).apply(x) as Sym) : x;
    }
    const init = initializer(tf, seed, i);
    const act = l.norm === 'none' ? l.activation : 'linear';
    let y = guard(`${p}units`, l.units, () =>
      l.kind === 'dense'
        ? (tf.layers.dense({ units: l.units, activation: act, kernelInitializer: init, name: `l${i}_dense` }).apply(from) as Sym)
        : (tf.layers
            .conv1d({ filters: l.units, kernelSize: l.kernelSize ?? 1, padding: arch.padding, activation: act, kernelInitializer: init, name: `l${i}_conv1d` })
            .apply(from) as Sym),
    );
    if (l.norm !== 'none') {
      const norm = l.norm === 'batch' ? tf.layers.batchNormalization({ name: `l${i}_norm` }) : tf.layers.layerNormalization({ name: `l${i}_norm` });
      y = guard(`${p}norm`, l.norm, () => norm.apply(y) as Sym);
      y = tf.layers.activation({ activation: l.activation, name: `l${i}_act` }).apply(y) as Sym;
    }
    if (l.skip) {
      const width = (s: Sym) => s.shape[s.shape.length - 1];
      let shortcut = from;
      // A projection (no bias: it only matches widths; the layer has its own) when the widths differ,
      // or, for a conv1d layer with padding "valid", when its output is shorter than its input.
      const shorter = l.kind === 'conv1d' && y.shape[1] !== from.shape[1];
      if (width(from) !== width(y) || shorter) {
        shortcut = guard(`${p}skip`, true, () =>
          l.kind === 'dense'
            ? (tf.layers.dense({ units: l.units, useBias: false, kernelInitializer: initializer(tf, seed, 500 + i), name: `l${i}_proj` }).apply(from) as Sym)
            : (tf.layers
                .conv1d({
                  filters: l.units,
                  kernelSize: shorter ? (l.kernelSize ?? 1) : 1,
                  padding: arch.padding,
                  useBias: false,
                  kernelInitializer: initializer(tf, seed, 500 + i),
                  name: `l${i}_proj`,
                })
                .apply(from) as Sym),
        );
      }
      y = guard(`${p}skip`, true, () => tf.layers.add({ name: `l${i}_add` }).apply([y, shortcut]) as Sym);
    }
    if (l.dropout > 0) {
      const drop = seed === undefined ? tf.layers.dropout({ rate: l.dropout, name: `l${i}_dropout` }) : new SeededDropout({ rate: l.dropout, seed: seed * 7919 + 101 + i, name: `l${i}_dropout`, tf: tf0 });
      made.push(drop);
      y = drop.apply(y) as Sym;
    }
    x = y;
    seq = l.kind === 'conv1d';
  });
  if (seq) x = tf.layers.flatten({ name: 'flatten' }).apply(x) as Sym;
  const out = tf.layers
    .dense({ units: arch.output.units, activation: arch.output.activation, kernelInitializer: initializer(tf, seed, 1000), name: 'head' })
    .apply(x) as Sym;
  return tf.model({ inputs: input, outputs: out, name: 'nas_sequential' });
}

/**
 * Which intermediate nodes carry a signal: node 0 (the cell's input) does; node j does when one of its
 * edges has an op other than zero from a live node. Node j's index in the result is j.
 */
export function liveNodes(arch: CellArchitecture): boolean[] {
  const live = [true];
  arch.nodes.forEach((node) => live.push(node.ops.some((op, m) => op !== 'zero' && live[node.inputs[m]!] === true)));
  return live;
}

export function buildCell(arch: CellArchitecture, o: BuildOptions): tfTypes.LayersModel {
  return freeingOnError((made) => cellGraph(arch, o, made));
}

function cellGraph(arch: CellArchitecture, o: BuildOptions, made: tfTypes.layers.Layer[]): tfTypes.LayersModel {
  const { tf: tf0, seed } = o;
  const tf = tracking(tf0, made);
  const live = liveNodes(arch);
  if (!live.slice(1).some(Boolean)) {
    const zeros = arch.nodes.flatMap((n, k) => n.ops.map((op, m) => ({ op, name: `nas:n${k + 1}:op${m}` })));
    throw new ArchitectureError(
      zeros[0]!.name,
      'zero',
      `The architecture cannot be built: no path through the cell avoids a zero op (${zeros.map((z) => `${z.name} = "${z.op}"`).join(', ')}), so its output would not depend on its input`,
    );
  }
  const input = tf.input({ shape: [...arch.inputShape], name: 'input' });
  let k = 0;
  // (batch, width): the stem maps the features to the cells' width.
  let h = guard('nas:width', arch.width, () =>
    tf.layers.dense({ units: arch.width, kernelInitializer: initializer(tf, seed, k++), name: 'stem' }).apply(input) as Sym,
  );
  for (let c = 0; c < arch.cells; c++) {
    const values: (Sym | null)[] = [h];
    arch.nodes.forEach((node, idx) => {
      const j = idx + 1;
      const terms: Sym[] = [];
      node.ops.forEach((op, m) => {
        const src = values[node.inputs[m]!];
        if (op === 'zero' || src === null || src === undefined) return;
        terms.push(applyOp(tf, op, src, arch.width, `c${c}_n${j}_e${m}_${op}`, initializer(tf, seed, k++)));
      });
      values.push(terms.length === 0 ? null : terms.length === 1 ? terms[0]! : (tf.layers.add({ name: `c${c}_n${j}_sum` }).apply(terms) as Sym));
    });
    const outs = values.slice(1).filter((v): v is Sym => v !== null);
    // The mean of the live intermediate nodes (DARTS concatenates them; a mean keeps the width fixed).
    h = outs.length === 1 ? outs[0]! : (tf.layers.average({ name: `c${c}_out` }).apply(outs) as Sym);
  }
  const out = tf.layers
    .dense({ units: arch.output.units, activation: arch.output.activation, kernelInitializer: initializer(tf, seed, 1000), name: 'head' })
    .apply(h) as Sym;
  return tf.model({ inputs: input, outputs: out, name: 'nas_cell' });
}

/**
 * One edge's op on (batch, width) → (batch, width). Identity is a linear Activation layer (no weights)
 * rather than the input itself: a merge layer given one symbolic tensor twice (node 0 + identity of
 * node 0) has tfjs's executor free that tensor before its second use ("Tensor is disposed" in fit()).
 */
function applyOp(tf: TfModule, op: Exclude<CellOp, 'zero'> | CellOp, x: Sym, width: number, name: string, init: Init): Sym {
  if (op === 'identity') return tf.layers.activation({ activation: 'linear', name }).apply(x) as Sym;
  const activation = op === 'linear' ? 'linear' : (op.slice('dense-'.length) as 'relu' | 'tanh' | 'elu' | 'sigmoid');
  return tf.layers.dense({ units: width, activation, kernelInitializer: init, name }).apply(x) as Sym;
}

/**
 * The instance with `tf.layers.*` factories that also append each layer they make to `made` (so a build
 * that fails half-way can free them); everything else is the instance itself.
 */
function tracking(tf: TfModule, made: tfTypes.layers.Layer[]): TfModule {
  const layers = new Proxy(tf.layers, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      // Only the factories (dense, add, ...): classes such as Layer must stay themselves.
      if (typeof v !== 'function' || typeof key !== 'string' || !/^[a-z]/.test(key)) return v;
      return (...args: unknown[]) => {
        const layer = (v as (...a: unknown[]) => unknown).apply(target, args);
        made.push(layer as tfTypes.layers.Layer);
        return layer;
      };
    },
  });
  return new Proxy(tf, { get: (target, key, receiver) => (key === 'layers' ? layers : Reflect.get(target, key, receiver)) });
}
