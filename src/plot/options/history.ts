/**
 * Optimisation history: each COMPLETE trial's value against its number, and the best value so far.
 *
 * Series read by tests and the page: `id: 'values'` holds `[trialNumber, value]` for every COMPLETE trial
 * (all of them, never sampled: a 50,000-point scatter draws in `large` mode); `id: 'best'` holds
 * `[trialNumber, bestSoFar]` at every COMPLETE trial, drawn as a step line that ECharts downsamples with
 * LTTB to about one point per pixel when there are more points than pixels.
 */
import type { EChartsOption } from 'echarts';
import { boolean, describe } from '../../validate.js';
import type { StudyJSON } from '../../trial/json.js';
import { InvalidArgumentError } from '../../errors.js';
import {
  BASE, COLORS, SCATTER_LARGE_THRESHOLD, checkOptions, completeTrials, scatterScale, emptyOption, isMinimize, logAxisLabel, objectiveIndex,
  objectiveName, title,
} from './common.js';

export interface HistoryOptions {
  /** Which objective (an index into the study's directions); 0 by default. */
  readonly objective?: number;
  /** A log y axis; refused when a value to draw is zero or negative. */
  readonly log?: boolean;
}

const WHAT = 'Optimization history';

export function historyOption(study: StudyJSON, opts: HistoryOptions = {}): EChartsOption {
  const o = checkOptions<HistoryOptions>('historyOption options', opts, ['objective', 'log']);
  const k = objectiveIndex(study, o.objective);
  const log = o.log === undefined ? false : boolean('log', o.log);
  const trials = completeTrials(study);
  if (trials.length === 0) return emptyOption(study, WHAT, 'no complete trials yet');
  const minimize = isMinimize(study, k);
  const values: [number, number][] = new Array(trials.length);  // (n, 2): [trial number, value]
  const best: [number, number][] = new Array(trials.length);  // (n, 2): [trial number, best value so far]
  let b = minimize ? Infinity : -Infinity;
  for (let i = 0; i < trials.length; i++) {
    const t = trials[i]!;
    const v = t.values![k]!;
    if (log && v <= 0) {
      throw new InvalidArgumentError(
        `Expected positive values for \`log\` (a log axis cannot show zero or negative values) but trial ${t.number} has ` +
          `${objectiveName(study, k)} ${describe(v)}`,
      );
    }
    if (minimize ? v < b : v > b) b = v;
    values[i] = [t.number, v];
    best[i] = [t.number, b];
  }
  const name = objectiveName(study, k);
  const large = trials.length > SCATTER_LARGE_THRESHOLD;
  return {
    ...BASE,
    title: title(study, WHAT, study.directions.length > 1 ? name : undefined),
    legend: { data: [name, 'Best value'], top: 58 },
    grid: { top: 100, left: 70, right: 40, bottom: 60 },
    tooltip: { trigger: 'item' },
    dataZoom: [{ type: 'inside', xAxisIndex: 0 }],
    xAxis: { type: 'value', name: 'Trial', nameLocation: 'middle', nameGap: 30, min: 'dataMin', max: 'dataMax' },
    yAxis: log
      ? { type: 'log', name, nameLocation: 'middle', nameGap: 50, axisLabel: { formatter: logAxisLabel } }
      : { type: 'value', name, nameLocation: 'middle', nameGap: 50, scale: true },
    series: [
      {
        id: 'values',
        name,
        type: 'scatter',
        dimensions: ['Trial', name],
        data: values,
        symbolSize: large ? 3 : 6,
        itemStyle: { color: COLORS.points },
        ...scatterScale(large),
      },
      {
        id: 'best',
        name: 'Best value',
        type: 'line',
        step: 'end',
        dimensions: ['Trial', 'Best value'],
        data: best,
        showSymbol: false,
        sampling: 'lttb',
        lineStyle: { color: COLORS.best, width: 2 },
        itemStyle: { color: COLORS.best },
        z: 3,
      },
    ],
  };
}
