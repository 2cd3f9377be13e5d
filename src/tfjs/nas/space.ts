/**
 * Search spaces and architectures of the NAS helpers: what the user declares (SequentialSpace,
 * CellSpace), the validated frozen form the builders read, and the architectures (plain JSON) a trial's
 * choices turn into. An architecture holds everything needed to rebuild its model
 * (`nas.fromArchitecture`), so it is what is stored on a trial (`nas:architecture`) and what DARTS returns.
 *
 * Conventions shared by both spaces: a fixed value (a number, a one-element list) is not suggested, so a
 * trial's parameters are only the choices that vary; a list is a categorical choice; a `[low, high]`
 * pair of `depth`/`cells` and a `{ low, high, log? }` of `units` are integer ranges (inclusive).
 */
import { InvalidArgumentError } from '../../errors.js';
import { describe, finiteNumber, integer, invalid, oneOf, options } from '../../validate.js';

export type NasActivation = 'relu' | 'elu' | 'tanh' | 'sigmoid' | 'selu' | 'softplus' | 'linear';
export const ACTIVATIONS: readonly NasActivation[] = ['relu', 'elu', 'tanh', 'sigmoid', 'selu', 'softplus', 'linear'];
export type OutputActivation = 'softmax' | 'sigmoid' | 'linear';
export type Normalization = 'none' | 'batch' | 'layer';
export const NORMALIZATIONS: readonly Normalization[] = ['none', 'batch', 'layer'];
/** Layer kinds of the sequential space; conv1d treats the features of a row as a sequence of 1 channel. */
export type LayerKind = 'dense' | 'conv1d';
export const LAYER_KINDS: readonly LayerKind[] = ['dense', 'conv1d'];
/**
 * Operations on a cell's edges; every one maps (batch, width) to (batch, width). `linear` is a dense layer
 * without activation, `dense-<act>` one with, `identity` the skip connection, `zero` no edge at all.
 */
export type CellOp = 'zero' | 'identity' | 'linear' | 'dense-relu' | 'dense-tanh' | 'dense-elu' | 'dense-sigmoid';
export const CELL_OPS: readonly CellOp[] = ['zero', 'identity', 'linear', 'dense-relu', 'dense-tanh', 'dense-elu', 'dense-sigmoid'];

/** An integer range, inclusive; `log` samples on a log scale. */
export interface IntRange {
  readonly low: number;
  readonly high: number;
  readonly log?: boolean;
}

export interface OutputSpec {
  /** Output units: classes for softmax, 1 for a binary sigmoid or a regression. */
  readonly units: number;
  /** Default 'softmax' with 2 units or more, 'sigmoid' with one. */
  readonly activation?: OutputActivation;
}

export interface SequentialSpace {
  /** Shape of one example: `[features]`. */
  readonly inputShape: readonly number[];
  readonly output: OutputSpec;
  /** Hidden layers: a number, or `[min, max]` (parameter `nas:depth`). Default [1, 3]. */
  readonly depth?: number | readonly [number, number];
  /** Kind of each layer (`nas:l<i>:kind`). Default ['dense']. */
  readonly kinds?: readonly LayerKind[];
  /** Units (dense) or filters (conv1d) of each layer (`nas:l<i>:units`): choices or a range. Default [16, 32, 64, 128]. */
  readonly units?: number | readonly number[] | IntRange;
  /** Kernel size of a conv1d layer (`nas:l<i>:kernel`). Default [3]. */
  readonly kernelSize?: number | readonly number[];
  /** Padding of conv1d layers. Default 'same'. */
  readonly padding?: 'same' | 'valid';
  /** Activation of each layer (`nas:l<i>:activation`). Default ['relu', 'elu', 'tanh']. */
  readonly activations?: readonly NasActivation[];
  /** Normalisation after each layer (`nas:l<i>:norm`). Default ['none']. */
  readonly normalization?: readonly Normalization[];
  /** Dropout after each layer: a rate, or `[low, high]` searched (`nas:l<i>:dropout`). Default 0. */
  readonly dropout?: number | readonly [number, number];
  /**
   * Residual connection around each layer: false (default), true, or 'search' (`nas:l<i>:skip`). The
   * layer's input is added to its output, through a projection without bias when their widths differ.
   */
  readonly skip?: boolean | 'search';
  /** Architectures with more parameters are refused with an ArchitectureError. Default: no limit. */
  readonly maxParams?: number;
}

export interface CellSpace {
  /** Shape of one example: `[features]`. */
  readonly inputShape: readonly number[];
  readonly output: OutputSpec;
  /** Intermediate nodes B of a cell. Default 3. */
  readonly nodes?: number;
  /** Incoming edges of each node (fewer for the first nodes, which have fewer predecessors). Default 2. */
  readonly inputsPerNode?: number;
  /** Operations an edge chooses from (`nas:n<j>:op<m>`). Default: zero, identity, linear, dense-relu, dense-tanh. */
  readonly ops?: readonly CellOp[];
  /** Width C of every node: a number or choices (`nas:width`). Default 32. */
  readonly width?: number | readonly number[];
  /** Cells N stacked (same structure, own weights): a number or `[min, max]` (`nas:cells`). Default 2. */
  readonly cells?: number | readonly [number, number];
  /** Architectures with more parameters are refused with an ArchitectureError. Default: no limit. */
  readonly maxParams?: number;
}

/** An integer choice resolved: fixed, categorical, or a range. */
export type IntChoice =
  | { readonly type: 'fixed'; readonly value: number }
  | { readonly type: 'choices'; readonly values: readonly number[] }
  | { readonly type: 'range'; readonly low: number; readonly high: number; readonly log: boolean };

export interface ResolvedOutput {
  readonly units: number;
  readonly activation: OutputActivation;
}

export interface ResolvedSequentialSpace {
  readonly inputDim: number;
  readonly output: ResolvedOutput;
  readonly depth: IntChoice;
  readonly kinds: readonly LayerKind[];
  readonly units: IntChoice;
  readonly kernelSize: IntChoice;
  readonly padding: 'same' | 'valid';
  readonly activations: readonly NasActivation[];
  readonly normalization: readonly Normalization[];
  readonly dropout: readonly [number, number];
  readonly skip: boolean | 'search';
  readonly maxParams: number;
}

export interface ResolvedCellSpace {
  readonly inputDim: number;
  readonly output: ResolvedOutput;
  readonly nodes: number;
  readonly inputsPerNode: number;
  readonly ops: readonly CellOp[];
  readonly width: IntChoice;
  readonly cells: IntChoice;
  readonly maxParams: number;
}

/** One hidden layer of a sequential architecture. */
export interface LayerSpec {
  readonly kind: LayerKind;
  /** Units of a dense layer, filters of a conv1d layer. */
  readonly units: number;
  /** conv1d only. */
  readonly kernelSize?: number;
  readonly activation: NasActivation;
  readonly norm: Normalization;
  readonly dropout: number;
  readonly skip: boolean;
}

export interface SequentialArchitecture {
  readonly type: 'sequential';
  readonly inputShape: readonly number[];
  readonly output: ResolvedOutput;
  readonly padding: 'same' | 'valid';
  readonly layers: readonly LayerSpec[];
}

/** Intermediate node j (1-based; node 0 is the cell's input): its edges, input node and op each. */
export interface CellNode {
  /** Source node of each edge, each < j. */
  readonly inputs: readonly number[];
  readonly ops: readonly CellOp[];
}

export interface CellArchitecture {
  readonly type: 'cell';
  readonly inputShape: readonly number[];
  readonly output: ResolvedOutput;
  readonly width: number;
  readonly cells: number;
  /** nodes[j - 1] is node j. */
  readonly nodes: readonly CellNode[];
}

export type Architecture = SequentialArchitecture | CellArchitecture;

const SEQUENTIAL_KEYS = ['inputShape', 'output', 'depth', 'kinds', 'units', 'kernelSize', 'padding', 'activations', 'normalization', 'dropout', 'skip', 'maxParams'];
const CELL_KEYS = ['inputShape', 'output', 'nodes', 'inputsPerNode', 'ops', 'width', 'cells', 'maxParams'];

export function resolveSequentialSpace(space: SequentialSpace): ResolvedSequentialSpace {
  const s = options<SequentialSpace>('sequential space', space, SEQUENTIAL_KEYS);
  const dropout = s.dropout ?? 0;
  let dropoutRange: readonly [number, number];
  if (typeof dropout === 'number') dropoutRange = [rate('space.dropout', dropout), rate('space.dropout', dropout)];
  else {
    const [lo, hi] = pair('space.dropout', dropout);
    dropoutRange = [rate('space.dropout[0]', lo), rate('space.dropout[1]', hi)];
    if (lo > hi) throw invalid('space.dropout', '[low, high] with low <= high', dropout);
  }
  if (s.skip !== undefined && s.skip !== true && s.skip !== false && s.skip !== 'search') throw invalid('space.skip', 'true, false or "search"', s.skip);
  return Object.freeze({
    inputDim: inputDim(s.inputShape),
    output: resolveOutput(s.output),
    depth: rangeOrFixed('space.depth', s.depth ?? [1, 3], 0),
    kinds: list('space.kinds', s.kinds ?? ['dense'], LAYER_KINDS),
    units: intChoice('space.units', s.units ?? [16, 32, 64, 128], 1),
    kernelSize: intChoice('space.kernelSize', s.kernelSize ?? 3, 1),
    padding: oneOf('space.padding', s.padding ?? 'same', ['same', 'valid'] as const),
    activations: list('space.activations', s.activations ?? ['relu', 'elu', 'tanh'], ACTIVATIONS),
    normalization: list('space.normalization', s.normalization ?? ['none'], NORMALIZATIONS),
    dropout: dropoutRange,
    skip: s.skip ?? false,
    maxParams: s.maxParams === undefined ? Infinity : integer('space.maxParams', s.maxParams, 1),
  });
}

export function resolveCellSpace(space: CellSpace): ResolvedCellSpace {
  const s = options<CellSpace>('cell space', space, CELL_KEYS);
  return Object.freeze({
    inputDim: inputDim(s.inputShape),
    output: resolveOutput(s.output),
    nodes: integer('space.nodes', s.nodes ?? 3, 1, 16),
    inputsPerNode: integer('space.inputsPerNode', s.inputsPerNode ?? 2, 1, 16),
    ops: list('space.ops', s.ops ?? ['zero', 'identity', 'linear', 'dense-relu', 'dense-tanh'], CELL_OPS),
    width: intChoice('space.width', s.width ?? 32, 1),
    cells: rangeOrFixed('space.cells', s.cells ?? 2, 1),
    maxParams: s.maxParams === undefined ? Infinity : integer('space.maxParams', s.maxParams, 1),
  });
}

function inputDim(shape: unknown): number {
  if (!Array.isArray(shape) || shape.length !== 1) throw invalid('space.inputShape', '[features] (one dimension: tabular rows)', shape);
  return integer('space.inputShape[0]', shape[0], 1);
}

function resolveOutput(output: unknown): ResolvedOutput {
  const o = options<OutputSpec>('space.output', output, ['units', 'activation']);
  if (output === undefined) throw invalid('space.output', '{ units, activation? }', output);
  const units = integer('space.output.units', o.units, 1);
  const activation = oneOf('space.output.activation', o.activation ?? (units > 1 ? 'softmax' : 'sigmoid'), ['softmax', 'sigmoid', 'linear'] as const);
  if (activation === 'softmax' && units < 2) throw invalid('space.output.units', 'at least 2 units with a softmax output', units);
  return Object.freeze({ units, activation });
}

/** A number (fixed), or `[min, max]` (an integer range). */
function rangeOrFixed(name: string, v: unknown, min: number): IntChoice {
  if (typeof v === 'number') return { type: 'fixed', value: integer(name, v, min) };
  const [lo, hi] = pair(name, v);
  integer(`${name}[0]`, lo, min);
  integer(`${name}[1]`, hi, min);
  if (lo > hi) throw invalid(name, '[min, max] with min <= max', v);
  return lo === hi ? { type: 'fixed', value: lo } : { type: 'range', low: lo, high: hi, log: false };
}

/** A number (fixed), a list of choices, or `{ low, high, log? }`. */
function intChoice(name: string, v: unknown, min: number): IntChoice {
  if (typeof v === 'number') return { type: 'fixed', value: integer(name, v, min) };
  if (Array.isArray(v)) {
    if (v.length === 0) throw invalid(name, 'a non-empty list of integers', v);
    const values = v.map((x, i) => integer(`${name}[${i}]`, x, min));
    if (new Set(values).size !== values.length) throw new InvalidArgumentError(`Expected distinct values for \`${name}\` but received [${values.join(', ')}]`);
    return values.length === 1 ? { type: 'fixed', value: values[0]! } : { type: 'choices', values: Object.freeze(values) };
  }
  const r = options<IntRange>(name, v, ['low', 'high', 'log']);
  if (v === undefined) throw invalid(name, 'a number, a list or { low, high, log? }', v);
  const low = integer(`${name}.low`, r.low, min);
  const high = integer(`${name}.high`, r.high, low);
  if (r.log !== undefined && typeof r.log !== 'boolean') throw invalid(`${name}.log`, 'a boolean', r.log);
  return low === high ? { type: 'fixed', value: low } : { type: 'range', low, high, log: r.log ?? false };
}

function list<T extends string>(name: string, v: unknown, allowed: readonly T[]): readonly T[] {
  if (!Array.isArray(v) || v.length === 0) throw invalid(name, 'a non-empty list', v);
  const out = v.map((x, i) => oneOf(`${name}[${i}]`, x, allowed));
  if (new Set(out).size !== out.length) throw new InvalidArgumentError(`Expected distinct values for \`${name}\` but received ${out.map((x) => JSON.stringify(x)).join(', ')}`);
  return Object.freeze(out);
}

function pair(name: string, v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw invalid(name, 'a number or [low, high]', v);
  return [finiteNumber(`${name}[0]`, v[0]), finiteNumber(`${name}[1]`, v[1])];
}

export function rate(name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw invalid(name, 'a number in [0, 1)', v);
  return v;
}

/** Checks an architecture handed in by the user (e.g. read back from a trial's `nas:architecture`). */
export function checkArchitecture(a: unknown): Architecture {
  if (a === null || typeof a !== 'object') throw invalid('architecture', 'an architecture object', a);
  const arch = a as Record<string, unknown>;
  const type = oneOf('architecture.type', arch['type'], ['sequential', 'cell'] as const);
  inputDim(arch['inputShape']);
  resolveOutput(arch['output']);
  if (type === 'sequential') {
    oneOf('architecture.padding', arch['padding'], ['same', 'valid'] as const);
    if (!Array.isArray(arch['layers'])) throw invalid('architecture.layers', 'an array of layers', arch['layers']);
    (arch['layers'] as unknown[]).forEach((l, i) => {
      const n = `architecture.layers[${i}]`;
      const layer = options<LayerSpec>(n, l, ['kind', 'units', 'kernelSize', 'activation', 'norm', 'dropout', 'skip']);
      const kind = oneOf(`${n}.kind`, layer.kind, LAYER_KINDS);
      integer(`${n}.units`, layer.units, 1);
      if (kind === 'conv1d') integer(`${n}.kernelSize`, layer.kernelSize, 1);
      oneOf(`${n}.activation`, layer.activation, ACTIVATIONS);
      oneOf(`${n}.norm`, layer.norm, NORMALIZATIONS);
      rate(`${n}.dropout`, layer.dropout);
      if (typeof layer.skip !== 'boolean') throw invalid(`${n}.skip`, 'a boolean', layer.skip);
    });
  } else {
    integer('architecture.width', arch['width'], 1);
    integer('architecture.cells', arch['cells'], 1);
    if (!Array.isArray(arch['nodes']) || arch['nodes'].length === 0) throw invalid('architecture.nodes', 'a non-empty array of nodes', arch['nodes']);
    (arch['nodes'] as unknown[]).forEach((nd, k) => {
      const n = `architecture.nodes[${k}]`;
      const node = options<CellNode>(n, nd, ['inputs', 'ops']);
      if (!Array.isArray(node.inputs) || !Array.isArray(node.ops) || node.inputs.length !== node.ops.length || node.ops.length === 0) {
        throw new InvalidArgumentError(`Expected \`${n}\` to have as many inputs as ops (at least one) but received inputs ${describe(node.inputs)}, ops ${describe(node.ops)}`);
      }
      node.inputs.forEach((x, m) => integer(`${n}.inputs[${m}]`, x, 0, k));
      node.ops.forEach((x, m) => oneOf(`${n}.ops[${m}]`, x, CELL_OPS));
    });
  }
  return a as Architecture;
}
