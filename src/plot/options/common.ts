/**
 * What every chart builder shares: reading a `StudyJSON` (objectives, parameters, their axes), the
 * checks on builder arguments, and the ECharts pieces they have in common. Pure and browser-safe.
 *
 * Tooltips: every builder leaves `tooltip.formatter` unset. ECharts' default tooltip markup passes
 * series, dimension and data names through its HTML encoder, so names the user chose (studies,
 * parameters, categorical choices) reach the page as text; a formatter function would not survive the
 * JSON of a static HTML export either.
 */
import type { EChartsOption, TitleComponentOption } from 'echarts';
import type { Distribution } from '../../distributions/index.js';
import type { StudyJSON, TrialJSON } from '../../trial/json.js';
import { integer, invalid, options } from '../../validate.js';

/** Rendering off in both: a chart of 50,000 points should appear at once, and SSR has no frames. */
export const BASE: EChartsOption = { animation: false };

/** The colours of every chart: the observed points, the best trials, the pruned curves. */
export const COLORS = {
  points: '#5470c6',
  best: '#ee6666',
  pruned: '#ee6666',
  complete: '#5470c6',
  other: '#9a9a9a',
  /** Light to dark: a continuous scale over objective values, the darkest the best. */
  scale: ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'],
} as const;

/**
 * Above this many points a scatter series draws in ECharts' `large` mode (one path, one style for all
 * points), which keeps 50,000 points interactive; per-point colours (a visualMap) are then dropped.
 */
export const SCATTER_LARGE_THRESHOLD = 5000;

/** Series of more points than this render progressively (in chunks of this size) in the browser. */
export const PROGRESSIVE_CHUNK = 5000;

/** A scatter series' large-data settings: ECharts' `large` mode when asked, progressive rendering above PROGRESSIVE_CHUNK. */
export function scatterScale(large: boolean): { large: boolean; largeThreshold: number; progressive: number } {
  return { large, largeThreshold: SCATTER_LARGE_THRESHOLD, progressive: PROGRESSIVE_CHUNK };
}

export function checkOptions<T extends object>(name: string, value: unknown, allowed: readonly string[]): Partial<T> {
  return options<T>(name, value, allowed);
}

/** The COMPLETE trials with values, in trial-number order. */
export function completeTrials(study: StudyJSON): TrialJSON[] {
  return study.trials.filter((t) => t.state === 'COMPLETE' && t.values !== null && t.values.length === study.directions.length);
}

/** The `objective` option checked against the study: an index into its directions (0 by default). */
export function objectiveIndex(study: StudyJSON, objective: unknown, name = 'objective'): number {
  if (objective === undefined) return 0;
  return integer(name, objective, 0, study.directions.length - 1);
}

/** "Objective value" for one objective; "Objective i" where there are several. */
export function objectiveName(study: StudyJSON, i: number): string {
  return study.directions.length === 1 ? 'Objective value' : `Objective ${i}`;
}

export function isMinimize(study: StudyJSON, i: number): boolean {
  return study.directions[i] === 'minimize';
}

/** A chart's title: what it shows, and the study it shows it for (drawn as text, never as HTML). */
export function title(study: StudyJSON, what: string, note?: string): TitleComponentOption {
  return { text: what, subtext: note === undefined ? `Study ${study.name}` : `Study ${study.name} — ${note}`, left: 'center' };
}

/**
 * The chart for a study that has nothing to show yet (no COMPLETE trial, or none with the parameters
 * asked for): every builder returns this rather than throwing, since a study being watched starts empty.
 */
export function emptyOption(study: StudyJSON, what: string, why: string): EChartsOption {
  return {
    ...BASE,
    title: { text: what, subtext: `Study ${study.name} — ${why}`, left: 'center' },
    xAxis: { show: false },
    yAxis: { show: false },
    series: [],
  };
}

/** One parameter as the charts draw it: its axis kind and, for categorical ones, the choices' labels. */
export interface ParamAxis {
  readonly name: string;
  readonly kind: 'linear' | 'log' | 'category';
  /** Category labels (String of each choice, in the order of the distributions), for `category` only. */
  readonly labels: readonly string[];
  /** The distributions' range in external units (the union over trials); for `category`, [0, labels - 1]. */
  readonly low: number;
  readonly high: number;
}

/** Every parameter name of the study's trials (any state), sorted, so a chart's axes have one order. */
export function paramNames(study: StudyJSON): string[] {
  const names = new Set<string>();
  for (const t of study.trials) for (const n of Object.keys(t.distributions)) names.add(n);
  return [...names].sort();
}

/** The parameter names every COMPLETE trial has (the default axes of a parallel-coordinates chart). */
export function commonParamNames(trials: readonly TrialJSON[]): string[] {
  if (trials.length === 0) return [];
  let common = Object.keys(trials[0]!.distributions);
  for (const t of trials) common = common.filter((n) => Object.hasOwn(t.distributions, n));
  return common.sort();
}

/** `value` checked as one of the study's parameters. */
export function paramName(study: StudyJSON, name: string, value: unknown, known = paramNames(study)): string {
  if (typeof value !== 'string' || !known.includes(value)) {
    const list = known.length === 0 ? 'none yet' : known.map((n) => JSON.stringify(n)).join(', ');
    throw invalid(name, `a parameter of study ${JSON.stringify(study.name)} (${list})`, value);
  }
  return value;
}

/**
 * How a parameter is drawn, from its distributions across the trials (a search space may change from
 * one trial to the next): categorical in any trial makes a category axis over every choice seen; log
 * in the latest trial that has it makes a log axis; the range is the union of the ranges.
 */
export function paramAxis(study: StudyJSON, name: string): ParamAxis {
  const labels: string[] = [];
  let categorical = false;
  let log = false;
  let low = Infinity;
  let high = -Infinity;
  for (const t of study.trials) {
    const d: Distribution | undefined = t.distributions[name];
    if (d === undefined) continue;
    if (d.type === 'categorical') {
      categorical = true;
      for (const c of d.choices) {
        const label = String(c);
        if (!labels.includes(label)) labels.push(label);
      }
    } else {
      log = d.log;
      low = Math.min(low, d.low);
      high = Math.max(high, d.high);
    }
  }
  if (categorical) return { name, kind: 'category', labels, low: 0, high: Math.max(0, labels.length - 1) };
  return { name, kind: log ? 'log' : 'linear', labels: [], low, high };
}

/**
 * A trial's value of a parameter on its axis: the number, or for a category axis the index of the
 * choice's label; null when the trial lacks the parameter (or has a number on a category axis).
 */
export function paramValue(t: TrialJSON, axis: ParamAxis): number | null {
  if (!Object.hasOwn(t.params, axis.name)) return null;
  const v = t.params[axis.name];
  if (axis.kind === 'category') {
    const i = axis.labels.indexOf(String(v));
    return i < 0 ? null : i;
  }
  return typeof v === 'number' ? v : null;
}

/**
 * Labels of log axes: ECharts computes their ticks as powers of 10 in floating point (1e-4 comes out
 * as 0.00009999999999999999); six significant digits read as written. Returns text, never HTML. A
 * function does not survive JSON: the static HTML export puts this one back (see ../export.ts).
 */
export function logAxisLabel(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** An ECharts axis for a parameter (value, log or category); `extra` is merged in. */
export function axisFor(axis: ParamAxis, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { name: axis.name, nameLocation: 'middle', nameGap: 30 };
  if (axis.kind === 'category') return { ...base, type: 'category', data: [...axis.labels], ...extra };
  if (axis.kind === 'log') return { ...base, type: 'log', axisLabel: { formatter: logAxisLabel }, ...extra };
  return { ...base, type: 'value', scale: true, ...extra };
}

/** The range of `values` (a (n,) list), or [0, 1] when empty, widened where all are equal. */
export function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

/**
 * A seeded pseudo-random generator (mulberry32): the same study gives the same sample, so a chart does
 * not change between two renders of unchanged data.
 */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `k` of `items` chosen uniformly at random (seeded), in their original order. */
export function sample<T>(items: readonly T[], k: number, seed: number): T[] {
  if (k >= items.length) return [...items];
  const idx = items.map((_, i) => i);
  const rand = random(seed);
  // Partial Fisher–Yates: the first k slots end up a uniform sample.
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, k).sort((a, b) => a - b).map((i) => items[i]!);
}

/** The seed of every sample the builders draw. */
export const SAMPLE_SEED = 0x7ab1e;

