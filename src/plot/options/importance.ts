/**
 * Hyperparameter importance: one horizontal bar per parameter, the most important on top, from an
 * `ImportanceResult` (fANOVA, src/importance/). The bars' data are the importances as given (summing
 * to 1); the label on each bar shows it to three decimals.
 *
 * Series `id: 'importance'`: data `[importance, name, label]`, least important first (ECharts draws a
 * category y axis bottom-up); `label` is the importance as text, three decimals (a template cannot round).
 */
import type { EChartsOption } from 'echarts';
import type { ImportanceResult } from '../../importance/index.js';
import { invalid, string } from '../../validate.js';
import { BASE, COLORS, checkOptions } from './common.js';

export interface ImportanceChartOptions {
  /** Shown under the title. */
  readonly studyName?: string;
  /** Which objective the importances explain, for the subtitle ("Objective 1"). */
  readonly objectiveName?: string;
}

const WHAT = 'Hyperparameter importance';

export function importanceOption(result: ImportanceResult, opts: ImportanceChartOptions = {}): EChartsOption {
  const o = checkOptions<ImportanceChartOptions>('importanceOption options', opts, ['studyName', 'objectiveName']);
  if (result === null || typeof result !== 'object' || !Array.isArray(result.importances)) {
    throw invalid('result', 'an ImportanceResult ({ method, nTrials, importances })', result);
  }
  const rows = result.importances.map((r, i) => {
    if (r === null || typeof r !== 'object' || typeof r.importance !== 'number' || !Number.isFinite(r.importance)) {
      throw invalid(`result.importances[${i}]`, 'a { name, importance } with a finite importance', r);
    }
    return { name: string(`result.importances[${i}].name`, r.name), importance: r.importance };
  });
  const parts = [
    o.studyName === undefined ? undefined : `Study ${o.studyName}`,
    o.objectiveName,
    `${result.method === 'fanova' ? 'fANOVA' : String(result.method)} on ${result.nTrials} trial${result.nTrials === 1 ? '' : 's'}`,
  ].filter((p): p is string => p !== undefined);
  const ordered = [...rows].sort((a, b) => a.importance - b.importance);
  return {
    ...BASE,
    title: { text: rows.length === 0 ? `${WHAT}: no parameters to assess` : WHAT, subtext: parts.join(' — '), left: 'center' },
    grid: { top: 80, left: 20, right: 60, bottom: 50, containLabel: true },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'value', name: 'Importance', nameLocation: 'middle', nameGap: 30, min: 0 },
    yAxis: { type: 'category', data: ordered.map((r) => r.name) },
    series: [
      {
        id: 'importance',
        name: 'Importance',
        type: 'bar',
        encode: { x: 0, y: 1 },
        data: ordered.map((r) => [r.importance, r.name, r.importance.toFixed(3)]),
        barMaxWidth: 40,
        itemStyle: { color: COLORS.points },
        label: { show: true, position: 'right', formatter: '{@[2]}' },
      },
    ],
  };
}
