/**
 * A fitted gradient-boosting model: its trees held here (flat typed arrays, native/gbdt/gbdt.hpp's
 * layout), predictions computed by the addon, and a JSON form that reads back to identical predictions
 * (JSON numbers round-trip float64 exactly).
 */
import type { FittedModel, Matrix } from '../automl/types.js';
import { InvalidArgumentError } from '../errors.js';
import { callNative, loadAddon, type NativeGBDTModel } from '../native/binding.js';
import { integer, invalid, options } from '../validate.js';
import { designMatrix, threadsOption } from './options.js';
import type { GBDTTask, MatrixInput, PredictGBDTOptions } from './types.js';

export const GBDT_FORMAT = 'tunable.gbdt';
export const GBDT_FORMAT_VERSION = 1;

/** The JSON form of a model (GBDTModel.toJSON). Node arrays are indexed by node, trees laid end to end. */
export interface GBDTModelJSON {
  format: typeof GBDT_FORMAT;
  version: number;
  task: GBDTTask;
  nClasses: number; // 1 for regression
  nFeatures: number;
  nIter: number;
  categorical: number[];
  baseline: number[]; // (outputs)
  treeOffsets: number[]; // (trees + 1)
  feature: number[]; // (nodes) −1 = leaf
  threshold: number[];
  missingLeft: number[]; // 0 | 1
  left: number[];
  right: number[];
  value: number[];
  gain: number[];
  count: number[];
  trainLoss: number[]; // (nIter + 1)
  validationLoss: number[]; // (nIter + 1), or empty without early stopping
}

export interface GBDTState extends NativeGBDTModel {
  gain: Float64Array; // (nodes)
  count: Float64Array; // (nodes)
}

const NODE_KEYS = ['feature', 'threshold', 'missingLeft', 'left', 'right', 'value', 'gain', 'count'] as const;

export class GBDTModel implements FittedModel {
  /** @internal built by fitGBDT and fromJSON. */
  constructor(
    readonly task: GBDTTask,
    /** Classes (2 for binary), 1 for regression. */
    readonly nClasses: number,
    /** Boosting iterations run (fewer than maxIter when early stopping ended the fit). */
    readonly nIter: number,
    readonly categorical: readonly number[],
    private readonly state: GBDTState,
    /** The mean training loss before any tree, then after each iteration (nIter + 1). */
    readonly trainLoss: readonly number[],
    /** The same on the validation split (nIter + 1); empty without early stopping. */
    readonly validationLoss: readonly number[],
  ) {}

  get nFeatures(): number {
    return this.state.nFeatures;
  }

  /** Trees in the model (nIter, or nIter · k for multiclass). */
  get nTrees(): number {
    return this.state.treeOffsets.length - 1;
  }

  /** Raw scores: (n) for regression and binary (the log-odds), (n, k) row-major for multiclass. */
  async predictRaw(X: Matrix | MatrixInput, opts?: PredictGBDTOptions): Promise<Float64Array> {
    const m = designMatrix('X', X, this.state.nFeatures);
    const threads = threadsOption('threads', options<PredictGBDTOptions>('predict', opts, ['threads']).threads);
    const addon = loadAddon();
    return callNative(() => addon.gbdtPredict(this.state, m.data, threads));
  }

  /** regression: (n) predictions; binary: (n) P(class 1); multiclass: (n, k) row-major probabilities. */
  async predict(X: Matrix | MatrixInput, opts?: PredictGBDTOptions): Promise<Float64Array> {
    const raw = await this.predictRaw(X, opts);
    if (this.task === 'regression') return raw;
    if (this.task === 'binary') return raw.map((z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))));
    const k = this.nClasses;
    for (let i = 0; i < raw.length; i += k) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, raw[i + c]!);
      let s = 0;
      for (let c = 0; c < k; c++) s += raw[i + c] = Math.exp(raw[i + c]! - max);
      for (let c = 0; c < k; c++) raw[i + c]! /= s;
    }
    return raw;
  }

  /** Class labels (classification): the most probable class of each row. */
  async predictClass(X: Matrix | MatrixInput, opts?: PredictGBDTOptions): Promise<Int32Array> {
    if (this.task === 'regression') throw new InvalidArgumentError('predictClass applies to classification models only');
    const p = await this.predict(X, opts);
    if (this.task === 'binary') return Int32Array.from(p, (q) => (q > 0.5 ? 1 : 0));
    const k = this.nClasses;
    const out = new Int32Array(p.length / k);
    for (let i = 0; i < out.length; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
      out[i] = best;
    }
    return out;
  }

  /** (d) each feature's share of the total split gain (sums to 1; all 0 when no tree splits). */
  featureImportances(): Float64Array {
    const out = new Float64Array(this.state.nFeatures);
    const { feature, gain } = this.state;
    let total = 0;
    for (let i = 0; i < feature.length; i++) {
      const f = feature[i]!;
      if (f >= 0) {
        out[f]! += gain[i]!;
        total += gain[i]!;
      }
    }
    if (total > 0) for (let j = 0; j < out.length; j++) out[j]! /= total;
    return out;
  }

  toJSON(): GBDTModelJSON {
    const s = this.state;
    return {
      format: GBDT_FORMAT,
      version: GBDT_FORMAT_VERSION,
      task: this.task,
      nClasses: this.nClasses,
      nFeatures: s.nFeatures,
      nIter: this.nIter,
      categorical: [...this.categorical],
      baseline: Array.from(s.baseline),
      treeOffsets: Array.from(s.treeOffsets),
      feature: Array.from(s.feature),
      threshold: Array.from(s.threshold),
      missingLeft: Array.from(s.missingLeft),
      left: Array.from(s.left),
      right: Array.from(s.right),
      value: Array.from(s.value),
      gain: Array.from(s.gain),
      count: Array.from(s.count),
      trainLoss: [...this.trainLoss],
      validationLoss: [...this.validationLoss],
    };
  }

  /** A model from its toJSON() form (checked: shapes, indices, every tree walk ends at a leaf). */
  static fromJSON(json: unknown): GBDTModel {
    const o = options<GBDTModelJSON>('json', json, [
      'format', 'version', 'task', 'nClasses', 'nFeatures', 'nIter', 'categorical', 'baseline', 'treeOffsets',
      ...NODE_KEYS, 'trainLoss', 'validationLoss',
    ]);
    if (json === undefined) throw invalid('json', 'a GBDT model in its JSON form', json);
    if (o.format !== GBDT_FORMAT) throw invalid('json.format', `"${GBDT_FORMAT}"`, o.format);
    if (o.version !== GBDT_FORMAT_VERSION) throw invalid('json.version', `${GBDT_FORMAT_VERSION}`, o.version);
    const task = o.task;
    if (task !== 'regression' && task !== 'binary' && task !== 'multiclass') throw invalid('json.task', '"regression", "binary" or "multiclass"', task);
    const nClasses = integer('json.nClasses', o.nClasses, task === 'regression' ? 1 : 2, task === 'multiclass' ? 1 << 20 : task === 'binary' ? 2 : 1);
    const nFeatures = integer('json.nFeatures', o.nFeatures, 1);
    const nIter = integer('json.nIter', o.nIter, 0);
    const nums = (key: string, v: unknown, length?: number): Float64Array => {
      if (!Array.isArray(v) || (length !== undefined && v.length !== length)) {
        throw invalid(`json.${key}`, length === undefined ? 'an array of numbers' : `an array of ${length} numbers`, v);
      }
      return Float64Array.from(v, (x: unknown, i) => {
        if (typeof x !== 'number' || !Number.isFinite(x)) throw invalid(`json.${key}[${i}]`, 'a finite number', x);
        return x;
      });
    };
    const outputs = task === 'multiclass' ? nClasses : 1;
    const treeOffsets = nums('treeOffsets', o.treeOffsets);
    const nodes = treeOffsets[treeOffsets.length - 1] ?? -1;
    if (treeOffsets.length !== nIter * outputs + 1 || treeOffsets[0] !== 0) {
      throw invalid('json.treeOffsets', `${nIter * outputs + 1} offsets from 0 (nIter · outputs trees)`, o.treeOffsets);
    }
    const node = Object.fromEntries(NODE_KEYS.map((k) => [k, nums(k, o[k], nodes)])) as Record<(typeof NODE_KEYS)[number], Float64Array>;
    // The addon checks the same (native/gbdt/boost.cpp, check_model); here it is an error naming the node.
    for (let t = 0; t + 1 < treeOffsets.length; t++) {
      const b = treeOffsets[t]!;
      const e = treeOffsets[t + 1]!;
      if (!(e > b)) throw invalid(`json.treeOffsets[${t + 1}]`, `an offset above ${b} (every tree has a node)`, e);
      for (let i = b; i < e; i++) {
        const f = node.feature[i]!;
        if (f === -1) continue;
        integer(`json.feature[${i}]`, f, -1, nFeatures - 1);
        for (const side of ['left', 'right'] as const) integer(`json.${side}[${i}]`, node[side][i], i - b + 1, e - b - 1);
      }
    }
    const categorical = Array.isArray(o.categorical) ? o.categorical.map((c: unknown, i) => integer(`json.categorical[${i}]`, c, 0, nFeatures - 1)) : [];
    const state: GBDTState = {
      nFeatures,
      outputs,
      baseline: nums('baseline', o.baseline, outputs),
      treeOffsets,
      ...node,
    };
    return new GBDTModel(task, nClasses, nIter, categorical, state, Array.from(nums('trainLoss', o.trainLoss)), Array.from(nums('validationLoss', o.validationLoss)));
  }
}
