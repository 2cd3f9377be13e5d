/**
 * Intermediate values: each trial's learning curve, `(step, value)` as reported with trial.report(),
 * one series per trial state so the legend names them: COMPLETE solid, PRUNED red and dashed, RUNNING
 * and FAIL grey. The curves of one state share one line series, separated by gaps (a `'-'` point),
 * which keeps a study of thousands of curves at a handful of series.
 *
 * Series `id`s: `complete`, `pruned`, `running`, `fail` (only those with curves); data points are
 * `[step, value, trialNumber]`, gaps `['-', '-', '-']`.
 */
import type { EChartsOption } from 'echarts';
import type { StudyJSON, TrialJSON, TrialStateName } from '../../trial/json.js';
import { BASE, COLORS, SAMPLE_SEED, checkOptions, emptyOption, sample, title } from './common.js';

/**
 * At most this many curves are drawn: past it, lines merge into a band and redraws slow down. A larger
 * study shows every curve's trial state in proportion: a seeded uniform sample of the trials with
 * intermediate values (so the share of pruned curves stays what it is); the title says how many.
 */
export const INTERMEDIATE_MAX_CURVES = 1000;
/**
 * At most this many points per curve: a longer curve keeps its first and last step and evenly spaced
 * steps between (a curve of 100,000 steps otherwise costs as much as 100,000 trials).
 */
export const INTERMEDIATE_MAX_POINTS = 200;

export type IntermediateOptions = Record<string, never>;

const WHAT = 'Intermediate values';

const STATES: { state: TrialStateName; id: string; name: string; color: string; dashed: boolean }[] = [
  { state: 'COMPLETE', id: 'complete', name: 'Complete', color: COLORS.complete, dashed: false },
  { state: 'PRUNED', id: 'pruned', name: 'Pruned', color: COLORS.pruned, dashed: true },
  { state: 'RUNNING', id: 'running', name: 'Running', color: COLORS.other, dashed: false },
  { state: 'FAIL', id: 'fail', name: 'Failed', color: COLORS.other, dashed: true },
];

/** Curves of more points than this in all are drawn without symbols (hence without tooltips). */
const SYMBOL_LIMIT = 5000;

type Point = [number, number, number] | ['-', '-', '-'];

export function intermediateOption(study: StudyJSON, opts: IntermediateOptions = {}): EChartsOption {
  checkOptions('intermediateOption options', opts, []);
  const withCurves = study.trials.filter((t) => t.intermediate.length > 0 && STATES.some((s) => s.state === t.state));
  if (withCurves.length === 0) return emptyOption(study, WHAT, 'no trial has reported intermediate values');
  let shown: TrialJSON[] = withCurves;
  let note: string | undefined;
  if (withCurves.length > INTERMEDIATE_MAX_CURVES) {
    shown = sample(withCurves, INTERMEDIATE_MAX_CURVES, SAMPLE_SEED);
    note = `${INTERMEDIATE_MAX_CURVES} of ${withCurves.length} curves, a random sample`;
  }
  const total = shown.reduce((n, t) => n + Math.min(t.intermediate.length, INTERMEDIATE_MAX_POINTS), 0);
  const series: Record<string, unknown>[] = [];
  for (const s of STATES) {
    const data: Point[] = [];
    for (const t of shown) {
      if (t.state !== s.state) continue;
      if (data.length > 0) data.push(['-', '-', '-']);
      for (const [step, v] of thin(t.intermediate)) data.push([step, v, t.number]);
    }
    if (data.length === 0) continue;
    series.push({
      id: s.id,
      name: s.name,
      type: 'line',
      data,
      dimensions: [{ name: 'step', displayName: 'Step' }, { name: 'value', displayName: 'Intermediate value' }, { name: 'trial', displayName: 'Trial' }],
      encode: { x: 0, y: 1, tooltip: [2, 0, 1] },
      connectNulls: false,
      // Symbols carry the tooltips (trial, step, value); past a few thousand points they cost more than they tell.
      showSymbol: total <= SYMBOL_LIMIT,
      symbolSize: 3,
      lineStyle: { color: s.color, width: 1, opacity: shown.length > 100 ? 0.5 : 0.9, type: s.dashed ? 'dashed' : 'solid' },
      itemStyle: { color: s.color },
      emphasis: { disabled: true },
    });
  }
  return {
    ...BASE,
    title: title(study, WHAT, note),
    legend: { data: series.map((s) => s['name'] as string), top: 58 },
    grid: { top: 100, left: 70, right: 40, bottom: 60 },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'value', name: 'Step', nameLocation: 'middle', nameGap: 30, scale: true },
    yAxis: { type: 'value', name: 'Intermediate value', nameLocation: 'middle', nameGap: 50, scale: true },
    series: series as NonNullable<EChartsOption['series']>,
  };
}

/** A curve's `(m, 2)` pairs, thinned to at most INTERMEDIATE_MAX_POINTS (first and last kept). */
function thin(curve: readonly (readonly [number, number])[]): readonly (readonly [number, number])[] {
  if (curve.length <= INTERMEDIATE_MAX_POINTS) return curve;
  const out: (readonly [number, number])[] = [];
  const stride = (curve.length - 1) / (INTERMEDIATE_MAX_POINTS - 1);
  for (let i = 0; i < INTERMEDIATE_MAX_POINTS; i++) out.push(curve[Math.round(i * stride)]!);
  return out;
}
