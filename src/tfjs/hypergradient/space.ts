/**
 * The hyperparameters a search tunes, in their natural domain: the learning rate, weight decay (one
 * global value, one per layer, one per variable or one per output unit) and the user's own scalars.
 * Resolved once against the network into a flat layout: the vector λ of decays and custom scalars that
 * the second-order code differentiates, and for each weight variable which entries of λ decay it.
 */
import { InvalidArgumentError } from '../../errors.js';
import { describe, invalid, options, string } from '../../validate.js';
import type { Network } from './network.js';

export interface HyperRange {
  /** Starting value. */
  readonly init: number;
  readonly low: number;
  readonly high: number;
  /** Steps taken on log(value) (default true; needs low > 0) or on value / (high − low). */
  readonly log?: boolean;
}

/** 'global': one decay; 'layer': one per dense layer; 'variable': one per kernel and bias; 'unit': one per output unit of every layer (its kernel column and, with `bias`, its bias). */
export type DecayScope = 'global' | 'layer' | 'variable' | 'unit';
export const DECAY_SCOPES: readonly DecayScope[] = ['global', 'layer', 'variable', 'unit'];

export interface WeightDecayRange extends HyperRange {
  /** Default 'global'. */
  readonly per?: DecayScope;
  /** Decay the biases too (default false). */
  readonly bias?: boolean;
}

export interface HyperparameterSpace {
  /** A fixed rate, or a range to tune. Default 0.1 (sgd) / 0.001 (adam), fixed. */
  readonly learningRate?: number | HyperRange;
  /** A fixed global decay (λ/2 · ‖w‖² added to the training loss), or a range to tune. Default 0. */
  readonly weightDecay?: number | WeightDecayRange;
  /** The user's differentiable scalars, handed to `trainingLoss` as `hp[name]`: fixed numbers or ranges. */
  readonly custom?: Readonly<Record<string, number | HyperRange>>;
}

export interface HyperEntry {
  readonly name: string;
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly init: number;
  readonly tuned: boolean;
}

/** Which entries of λ decay one weight variable: λ[start, start + count), one (a scalar decay) or one per output unit. */
export interface DecayMap {
  readonly start: number;
  readonly count: number;
  /** Shape the gathered decays take to broadcast over the variable: [] scalar, [1, out] kernel, [out] bias. */
  readonly shape: readonly number[];
}

export interface Layout {
  readonly learningRate: HyperEntry;
  /** λ: decays first, then the custom scalars. */
  readonly entries: readonly HyperEntry[];
  /** Per network variable, or null when it is not decayed. */
  readonly decay: readonly (DecayMap | null)[];
  /** Name of a custom scalar → its index in λ. */
  readonly custom: Readonly<Record<string, number>>;
}

const RANGE_KEYS = ['init', 'low', 'high', 'log'] as const;
const DECAY_KEYS = ['init', 'low', 'high', 'log', 'per', 'bias'] as const;
const SPACE_KEYS = ['learningRate', 'weightDecay', 'custom'] as const;

function range(name: string, value: unknown, keys: readonly string[]): Omit<HyperEntry, 'name'> {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalid(name, 'a non-negative finite number or a range { init, low, high, log? }', value);
    return { low: value, high: value, log: false, init: value, tuned: false };
  }
  const r = options<HyperRange>(name, value, keys);
  const num = (k: 'init' | 'low' | 'high'): number => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${name}.${k}`, 'a finite number', v);
    return v;
  };
  const low = num('low');
  const high = num('high');
  const init = num('init');
  const log = r.log ?? true;
  if (typeof log !== 'boolean') throw invalid(`${name}.log`, 'a boolean', log);
  if (!(low < high)) throw new InvalidArgumentError(`Expected \`${name}.low\` < \`${name}.high\` but received low=${describe(low)}, high=${describe(high)}`);
  if (log && low <= 0) throw invalid(`${name}.low`, 'a positive number (log scale)', low);
  if (init < low || init > high) throw invalid(`${name}.init`, `a number in [${low}, ${high}]`, init);
  return { low, high, log, init, tuned: true };
}

/** Validates the declaration (before any model exists). */
export function checkSpace(value: unknown): HyperparameterSpace {
  const s = options<HyperparameterSpace>('hyperparameters', value, SPACE_KEYS);
  if (value === undefined) throw invalid('hyperparameters', 'an object { learningRate?, weightDecay?, custom? }', value);
  if (s.learningRate !== undefined) {
    const r = range('hyperparameters.learningRate', s.learningRate, RANGE_KEYS);
    if (r.high <= 0) throw invalid('hyperparameters.learningRate', 'a positive rate', s.learningRate);
  }
  if (s.weightDecay !== undefined) {
    range('hyperparameters.weightDecay', s.weightDecay, DECAY_KEYS);
    if (typeof s.weightDecay === 'object') {
      const { per, bias } = s.weightDecay;
      if (per !== undefined && !DECAY_SCOPES.includes(per)) throw invalid('hyperparameters.weightDecay.per', `one of ${DECAY_SCOPES.map((d) => JSON.stringify(d)).join(', ')}`, per);
      if (bias !== undefined && typeof bias !== 'boolean') throw invalid('hyperparameters.weightDecay.bias', 'a boolean', bias);
    }
  }
  if (s.custom !== undefined) {
    if (s.custom === null || typeof s.custom !== 'object' || Array.isArray(s.custom)) throw invalid('hyperparameters.custom', 'an object of name → number or range', s.custom);
    for (const [k, v] of Object.entries(s.custom)) {
      string('hyperparameters.custom key', k);
      if (k === 'learningRate' || k.startsWith('weightDecay')) throw invalid('hyperparameters.custom key', 'a name other than learningRate and weightDecay*', k);
      range(`hyperparameters.custom.${k}`, v, RANGE_KEYS);
    }
  }
  return s;
}

/** The layout of λ for `net`; `defaultRate` when the learning rate is not declared. */
export function layoutFor(space: HyperparameterSpace, net: Network, defaultRate: number): Layout {
  const lr = space.learningRate === undefined ? defaultRate : space.learningRate;
  const learningRate: HyperEntry = { name: 'learningRate', ...range('hyperparameters.learningRate', lr, RANGE_KEYS) };
  const entries: HyperEntry[] = [];
  const decay: (DecayMap | null)[] = net.variables.map(() => null);
  const wd = space.weightDecay ?? 0;
  const base = range('hyperparameters.weightDecay', wd, DECAY_KEYS);
  const per: DecayScope = typeof wd === 'object' ? (wd.per ?? 'global') : 'global';
  const withBias = typeof wd === 'object' ? (wd.bias ?? false) : false;
  const push = (name: string): number => entries.push({ name, ...base }) - 1;
  if (base.tuned || base.init !== 0) {
    const global = per === 'global' ? push('weightDecay') : -1;
    for (const layer of net.layers) {
      const targets: [number, 'kernel' | 'bias'][] = [[layer.kernel, 'kernel']];
      if (withBias && layer.bias !== null) targets.push([layer.bias, 'bias']);
      const layerIndex = per === 'layer' ? push(`weightDecay/${layer.name}`) : -1;
      // A layer's unit decays are contiguous in λ, so a slice (not a gather: wasm has no gradient kernel
      // for it) picks them.
      const units = per === 'unit' ? Array.from({ length: layer.outDim }, (_, j) => push(`weightDecay/${layer.name}/unit${j}`))[0]! : -1;
      for (const [v, kind] of targets) {
        if (units >= 0) decay[v] = { start: units, count: layer.outDim, shape: kind === 'kernel' ? [1, layer.outDim] : [layer.outDim] };
        else {
          const i = per === 'global' ? global : per === 'layer' ? layerIndex : push(`weightDecay/${layer.name}/${kind}`);
          decay[v] = { start: i, count: 1, shape: [] };
        }
      }
    }
  }
  const custom: Record<string, number> = {};
  for (const [k, v] of Object.entries(space.custom ?? {})) custom[k] = entries.push({ name: k, ...range(`hyperparameters.custom.${k}`, v, RANGE_KEYS) }) - 1;
  return { learningRate, entries, decay, custom };
}

/** Coordinates the outer steps are taken in: log(value), or value / (high − low). */
export function toUnit(e: HyperEntry, v: number): number {
  return e.log ? Math.log(v) : v / (e.high - e.low);
}
export function fromUnit(e: HyperEntry, u: number): number {
  const v = e.log ? Math.exp(u) : u * (e.high - e.low);
  return Math.min(e.high, Math.max(e.low, v));
}
/** d value / d unit, to carry a hypergradient in the value's domain to the unit coordinates. */
export function unitScale(e: HyperEntry, v: number): number {
  return e.log ? v : e.high - e.low;
}
