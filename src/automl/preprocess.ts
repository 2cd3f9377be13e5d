/**
 * The fitted feature pipeline: table columns → a numeric matrix every learner can read. Per column,
 * in order: imputation (numbers: mean or median; labels: the most frequent level or a level of its
 * own), encoding (labels: one-hot, levels past `maxLevels` pooled as "other", or ordinal codes), scaling
 * (standard: zero mean, unit variance, computed on the training rows only) and an optional feature
 * selection. All statistics come from the rows given to fitPreprocessor, so fitting it on a training
 * fold leaks nothing from the validation or test rows. The state is plain JSON (toJSON/loadPreprocessor).
 */
import { InvalidArgumentError } from '../errors.js';
import { integer, invalid, nonNegativeNumber, oneOf, options } from '../validate.js';
import { column, tableFromRows } from './data.js';
import type { Matrix, Table, Task } from './types.js';

export interface PreprocessConfig {
  /** Default 'median' (robust to the outliers that mean imputation drags in). */
  numericImpute?: 'mean' | 'median';
  /** Default 'missing': a level of its own, so that "was missing" stays visible to the model. */
  categoricalImpute?: 'most_frequent' | 'missing';
  /** Default 'standard'. */
  scaling?: 'standard' | 'none';
  /** Default 'onehot'. */
  encoding?: 'onehot' | 'ordinal';
  /** One-hot levels kept per column, most frequent first; the rest share an "other" column. Default 20. */
  maxLevels?: number;
  /** Default none. 'variance': drop outputs whose training variance is <= threshold; 'topk': keep the k best by univariate score. */
  selection?: { kind: 'variance'; threshold: number } | { kind: 'topk'; k: number } | null;
}

type Resolved = Required<Omit<PreprocessConfig, 'selection'>> & { selection: PreprocessConfig['selection'] | null };

const DEFAULTS: Resolved = { numericImpute: 'median', categoricalImpute: 'missing', scaling: 'standard', encoding: 'onehot', maxLevels: 20, selection: null };
const CONFIG_KEYS = Object.keys(DEFAULTS);

/** Level names reserved for pooled rare levels and for missing values. */
export const OTHER_LEVEL = '__other__';
export const MISSING_LEVEL = '__missing__';

/** One input column's fitted state. */
type FeatureState =
  | { name: string; kind: 'numeric'; fill: number; mean: number; scale: number }
  | { name: string; kind: 'categorical'; levels: string[]; fill: string; encoding: 'onehot' | 'ordinal'; mean: number; scale: number };

interface PreprocessorJSON {
  format: 'tunable.preprocessor';
  version: 1;
  config: Resolved;
  features: FeatureState[];
  /** Output columns kept by selection (indices into the encoded columns), or null for all. */
  selected: number[] | null;
}

export interface Preprocessor {
  /** The input columns the pipeline reads. */
  readonly inputs: readonly string[];
  /** Names of the (d) output columns ("age", "color=red", "color=__other__"). */
  readonly outputNames: readonly string[];
  /** Rows → (n, d) row-major matrix without missing values. Unseen labels map to "other" (or to no level). */
  transform(data: Table | readonly Record<string, unknown>[]): Matrix;
  toJSON(): PreprocessorJSON;
}

/**
 * Fits the pipeline on `table` restricted to `rows` (all rows when omitted). `y` (one per fitted row)
 * and `task` are needed only for 'topk' selection.
 */
export function fitPreprocessor(
  table: Table,
  features: readonly string[],
  config?: PreprocessConfig,
  fit: { rows?: Int32Array; y?: Float64Array; task?: Task } = {},
): Preprocessor {
  const cfg = resolve(config);
  if (features.length === 0) throw new InvalidArgumentError('Expected at least one feature column for `features` but received none');
  const rows = fit.rows ?? Int32Array.from({ length: table.nRows }, (_, i) => i);
  const states: FeatureState[] = features.map((name) => {
    const col = column(table, name, 'feature column');
    if (col.kind === 'numeric') {
      const present: number[] = [];
      for (const r of rows) if (!Number.isNaN(col.values[r]!)) present.push(col.values[r]!);
      const fill = present.length === 0 ? 0 : cfg.numericImpute === 'mean' ? mean(present) : median(present);
      return { name, kind: 'numeric', fill, mean: 0, scale: 1 };
    }
    const counts = new Map<string, number>();
    let missing = 0;
    for (const r of rows) {
      const v = col.values[r];
      if (v === null || v === undefined) missing++;
      else counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    // Most frequent first; ties by label so the order does not depend on row order.
    const byCount = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([l]) => l);
    const fill = cfg.categoricalImpute === 'missing' ? MISSING_LEVEL : (byCount[0] ?? MISSING_LEVEL);
    let levels = byCount;
    if (cfg.encoding === 'onehot' && levels.length > cfg.maxLevels) levels = [...levels.slice(0, cfg.maxLevels), OTHER_LEVEL];
    if (fill === MISSING_LEVEL && (missing > 0 || cfg.categoricalImpute === 'missing')) levels = [...levels, MISSING_LEVEL];
    return { name, kind: 'categorical', levels, fill, encoding: cfg.encoding, mean: 0, scale: 1 };
  });
  // Scaling statistics come from the encoded training rows (ordinal codes and numbers alike; one-hot columns stay 0/1).
  const unscaled = encode(table, states, rows, null);
  if (cfg.scaling === 'standard') {
    let j = 0;
    for (const s of states) {
      if (s.kind === 'categorical' && s.encoding === 'onehot') {
        j += s.levels.length;
        continue;
      }
      const [m, sd] = columnMoments(unscaled, j++);
      s.mean = m;
      s.scale = sd > 0 ? sd : 1; // a constant column stays constant (0) instead of dividing by zero
    }
  }
  const full = encode(table, states, rows, null);
  const selected = cfg.selection == null ? null : select(full, cfg.selection, fit.y, fit.task);
  return build(cfg, states, selected);
}

/** Rebuilds a pipeline from `toJSON()` output. */
export function loadPreprocessor(json: unknown): Preprocessor {
  const j = json as Partial<PreprocessorJSON> | null;
  if (j === null || typeof j !== 'object' || j.format !== 'tunable.preprocessor') throw invalid('json', 'a saved preprocessor (format "tunable.preprocessor")', json);
  if (j.version !== 1) throw invalid('json.version', 'version 1', j.version);
  if (!Array.isArray(j.features)) throw invalid('json.features', 'an array', j.features);
  return build(resolve(j.config), j.features, j.selected ?? null);
}

function build(cfg: Resolved, states: FeatureState[], selected: number[] | null): Preprocessor {
  const names = states.flatMap((s) => (s.kind === 'categorical' && s.encoding === 'onehot' ? s.levels.map((l) => `${s.name}=${l}`) : [s.name]));
  return {
    inputs: states.map((s) => s.name),
    outputNames: selected === null ? names : selected.map((i) => names[i]!),
    transform(data) {
      const table = Array.isArray(data) ? tableFromRows(data) : (data as Table);
      return encode(table, states, Int32Array.from({ length: table.nRows }, (_, i) => i), selected);
    },
    toJSON: () => ({ format: 'tunable.preprocessor', version: 1, config: cfg, features: states.map((s) => ({ ...s })), selected }),
  };
}

function resolve(config: unknown): Resolved {
  const c = { ...DEFAULTS, ...options<PreprocessConfig>('preprocess config', config, CONFIG_KEYS) };
  oneOf('numericImpute', c.numericImpute, ['mean', 'median']);
  oneOf('categoricalImpute', c.categoricalImpute, ['most_frequent', 'missing']);
  oneOf('scaling', c.scaling, ['standard', 'none']);
  oneOf('encoding', c.encoding, ['onehot', 'ordinal']);
  integer('maxLevels', c.maxLevels, 1);
  const sel = c.selection;
  if (sel != null) {
    if (sel.kind === 'variance') nonNegativeNumber('selection.threshold', sel.threshold);
    else if (sel.kind === 'topk') integer('selection.k', sel.k, 1);
    else throw invalid('selection.kind', 'one of "variance", "topk"', (sel as { kind: unknown }).kind);
  }
  return { ...c, selection: sel ?? null };
}

/** Encodes `rows` of `table`: (rows.length, d) row-major, then keeps the `selected` columns. */
function encode(table: Table, states: readonly FeatureState[], rows: Int32Array, selected: readonly number[] | null): Matrix {
  const width = states.reduce((w, s) => w + (s.kind === 'categorical' && s.encoding === 'onehot' ? s.levels.length : 1), 0);
  const n = rows.length;
  const data = new Float64Array(n * width);
  let j0 = 0;
  for (const s of states) {
    const col = column(table, s.name, 'feature column');
    if (s.kind === 'numeric') {
      for (let i = 0; i < n; i++) {
        let v = numericCell(col, rows[i]!, s.name);
        if (Number.isNaN(v)) v = s.fill;
        data[i * width + j0] = (v - s.mean) / s.scale;
      }
      j0++;
      continue;
    }
    const index = new Map(s.levels.map((l, c) => [l, c]));
    const other = index.get(OTHER_LEVEL);
    for (let i = 0; i < n; i++) {
      const label = labelCell(col, rows[i]!) ?? s.fill;
      const c = index.get(label) ?? other; // an unseen label: "other" when pooled, else no level at all
      if (s.encoding === 'onehot') {
        if (c !== undefined) data[i * width + j0 + c] = 1;
      } else {
        data[i * width + j0] = ((c ?? -1) - s.mean) / s.scale;
      }
    }
    j0 += s.encoding === 'onehot' ? s.levels.length : 1;
  }
  if (selected === null) return { data, n, d: width };
  const d = selected.length;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) out[i * d + k] = data[i * width + selected[k]!]!;
  return { data: out, n, d };
}

/** A numeric feature's value; a prediction table may carry it as labels ("3.5"), which are parsed. */
function numericCell(col: Table['columns'][number], r: number, name: string): number {
  if (col.kind === 'numeric') return col.values[r]!;
  const v = col.values[r];
  if (v === null || v === undefined) return NaN;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) {
    throw new InvalidArgumentError(`Column ${JSON.stringify(name)} was numeric when the model was fitted but row ${r} holds ${JSON.stringify(v)}`);
  }
  return x;
}

function labelCell(col: Table['columns'][number], r: number): string | null {
  if (col.kind === 'categorical') return col.values[r] ?? null;
  const v = col.values[r]!;
  return Number.isNaN(v) ? null : String(v);
}

/** The output columns kept by `selection`, scored on the fitted rows. */
function select(X: Matrix, selection: NonNullable<PreprocessConfig['selection']>, y: Float64Array | undefined, task: Task | undefined): number[] {
  const all = Array.from({ length: X.d }, (_, j) => j);
  if (selection.kind === 'variance') {
    const kept = all.filter((j) => columnMoments(X, j)[1] ** 2 > selection.threshold);
    if (kept.length === 0) throw new InvalidArgumentError(`Variance threshold ${selection.threshold} removes every feature`);
    return kept;
  }
  if (y === undefined || task === undefined) throw new InvalidArgumentError("Feature selection 'topk' needs the targets: pass `y` and `task` to fitPreprocessor");
  if (y.length !== X.n) throw invalid('y', `${X.n} targets (one per fitted row)`, y);
  const scores = all.map((j) => univariateScore(X, j, y, task));
  return all
    .sort((a, b) => scores[b]! - scores[a]! || a - b)
    .slice(0, selection.k)
    .sort((a, b) => a - b);
}

/**
 * Classification: the ANOVA F statistic of the column across classes; regression: the squared
 * correlation with y. Both rank a column by how much of its spread the target explains.
 */
function univariateScore(X: Matrix, j: number, y: Float64Array, task: Task): number {
  const n = X.n;
  const [m, sd] = columnMoments(X, j);
  if (!(sd > 0)) return 0;
  if (task === 'regression') {
    let ym = 0;
    for (const v of y) ym += v;
    ym /= n;
    let sxy = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      sxy += (X.data[i * X.d + j]! - m) * (y[i]! - ym);
      syy += (y[i]! - ym) ** 2;
    }
    return syy > 0 ? (sxy * sxy) / (n * sd * sd * syy) : 0;
  }
  const sums = new Map<number, [number, number]>();
  for (let i = 0; i < n; i++) {
    const s = sums.get(y[i]!) ?? [0, 0];
    s[0] += X.data[i * X.d + j]!;
    s[1]++;
    sums.set(y[i]!, s);
  }
  let between = 0;
  for (const [sum, cnt] of sums.values()) between += cnt * (sum / cnt - m) ** 2;
  const within = n * sd * sd - between;
  const k = sums.size;
  if (k < 2) return 0;
  return within > 0 ? between / (k - 1) / (within / (n - k)) : Infinity;
}

/** Mean and population standard deviation of column j. */
function columnMoments(X: Matrix, j: number): [number, number] {
  let m = 0;
  for (let i = 0; i < X.n; i++) m += X.data[i * X.d + j]!;
  m /= X.n;
  let v = 0;
  for (let i = 0; i < X.n; i++) v += (X.data[i * X.d + j]! - m) ** 2;
  return [m, Math.sqrt(v / X.n)];
}

function mean(a: readonly number[]): number {
  return a.reduce((s, v) => s + v, 0) / a.length;
}

function median(a: number[]): number {
  const s = Float64Array.from(a).sort();
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}
