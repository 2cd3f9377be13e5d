/**
 * Parallel coordinates: one line per COMPLETE trial across its parameters and the objective, coloured
 * by the objective (darkest: best). Categorical parameters get category axes, log parameters log axes.
 *
 * Trials lacking one of the drawn parameters (a search space that changed) are left out; by default
 * the axes are the parameters every COMPLETE trial has.
 */
import type { EChartsOption } from 'echarts';
import type { StudyJSON, TrialJSON } from '../../trial/json.js';
import { invalid } from '../../validate.js';
import {
  BASE, COLORS, SAMPLE_SEED, checkOptions, commonParamNames, completeTrials, emptyOption, extent, isMinimize, logAxisLabel, objectiveIndex,
  objectiveName, paramAxis, paramName, paramNames, paramValue, sample, title, type ParamAxis,
} from './common.js';

export interface ParallelOptions {
  readonly objective?: number;
  /** The parameters to draw, in this order; by default those every COMPLETE trial has, sorted. */
  readonly params?: readonly string[];
}

/**
 * At most this many lines are drawn: past a few thousand, lines cover the axes solidly and ECharts
 * slows to seconds per redraw. A larger study shows the PARALLEL_KEEP_BEST best trials and a seeded
 * uniform sample of the rest; the title says how many of how many.
 */
export const PARALLEL_MAX_LINES = 3000;
/** The best trials always drawn when a study is capped: the region a user wants to read. */
export const PARALLEL_KEEP_BEST = 500;

const WHAT = 'Parallel coordinates';

export function parallelOption(study: StudyJSON, opts: ParallelOptions = {}): EChartsOption {
  const o = checkOptions<ParallelOptions>('parallelOption options', opts, ['objective', 'params']);
  const k = objectiveIndex(study, o.objective);
  const all = completeTrials(study);
  let names: string[];
  if (o.params === undefined) {
    names = commonParamNames(all);
  } else {
    if (!Array.isArray(o.params)) throw invalid('params', 'an array of parameter names', o.params);
    const known = paramNames(study);
    names = o.params.map((p, i) => paramName(study, `params[${i}]`, p, known));
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw invalid('params', 'distinct parameter names', dup);
  }
  if (all.length === 0) return emptyOption(study, WHAT, 'no complete trials yet');
  const axes = names.map((n) => paramAxis(study, n));
  const name = objectiveName(study, k);
  const minimize = isMinimize(study, k);

  // (m, d + 2) rows: the d parameter values on their axes, the objective value, the trial number.
  const rows: number[][] = [];
  for (const t of all) {
    const row = rowOf(t, axes, k);
    if (row !== null) rows.push(row);
  }
  if (rows.length === 0) return emptyOption(study, WHAT, 'no complete trial has all of the parameters');
  const d = axes.length;
  const better = (a: number[], b: number[]) => (minimize ? a[d]! - b[d]! : b[d]! - a[d]!);
  let shown = rows;
  let note: string | undefined;
  if (rows.length > PARALLEL_MAX_LINES) {
    // The PARALLEL_KEEP_BEST-th best value from a native numeric sort (a comparator sort of the rows
    // costs several times more at 50,000 trials); ties at the threshold go in trial order.
    const keys = Float64Array.from(rows, (r) => (minimize ? r[d]! : -r[d]!));
    const threshold = Float64Array.from(keys).sort()[PARALLEL_KEEP_BEST - 1]!;
    let below = 0;
    for (const k of keys) if (k < threshold) below++;
    let ties = PARALLEL_KEEP_BEST - below;
    const best: number[][] = [];
    const others: number[][] = [];
    rows.forEach((r, i) => {
      const k = keys[i]!;
      if (k < threshold || (k === threshold && ties-- > 0)) best.push(r);
      else others.push(r);
    });
    const rest = sample(others, PARALLEL_MAX_LINES - PARALLEL_KEEP_BEST, SAMPLE_SEED);
    shown = [...rest, ...best];
    note = `${PARALLEL_MAX_LINES} of ${rows.length} trials: the ${PARALLEL_KEEP_BEST} best and a random sample of the rest`;
  }
  // The best lines last, so they are drawn on top.
  shown = [...shown].sort((a, b) => better(b, a));
  const [vlo, vhi] = extent(shown.map((r) => r[d]!));
  const parallelAxis = [
    ...axes.map((a, i) => axisEntry(a, i)),
    { dim: d, name, type: 'value' as const, scale: true, nameTextStyle: { fontWeight: 'bold' as const } },
  ];
  return {
    ...BASE,
    title: title(study, WHAT, note ?? (study.directions.length > 1 ? name : undefined)),
    tooltip: { trigger: 'item' },
    parallel: { left: 60, right: 160, top: 110, bottom: 40 },
    parallelAxis,
    visualMap: {
      type: 'continuous',
      dimension: d,
      min: vlo,
      max: vhi,
      // Darkest for the best value: reversed for minimisation.
      inRange: { color: minimize ? [...COLORS.scale].reverse() : [...COLORS.scale] },
      right: 10,
      top: 'middle',
      calculable: true,
      text: [name, ''],
    },
    series: [
      {
        id: 'lines',
        name: 'Trials',
        type: 'parallel',
        lineStyle: { width: 1, opacity: shown.length > 500 ? 0.4 : 0.8 },
        // [params..., value, trial number]: the last dimension has no axis and shows in the tooltip.
        data: shown.map((r) => ({ name: `Trial ${r[d + 1]}`, value: r.slice(0, d + 1) })),
        progressive: 1000,
      },
    ],
  };
}

function rowOf(t: TrialJSON, axes: readonly ParamAxis[], k: number): number[] | null {
  const row: number[] = [];
  for (const a of axes) {
    const v = paramValue(t, a);
    if (v === null) return null;
    row.push(v);
  }
  row.push(t.values![k]!, t.number);
  return row;
}

function axisEntry(a: ParamAxis, dim: number): Record<string, unknown> {
  if (a.kind === 'category') return { dim, name: a.name, type: 'category', data: [...a.labels] };
  if (a.kind === 'log') return { dim, name: a.name, type: 'log', min: a.low, max: a.high, axisLabel: { formatter: logAxisLabel } };
  return { dim, name: a.name, type: 'value', min: a.low, max: a.high };
}
