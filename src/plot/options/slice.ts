/**
 * Slice: the objective against one parameter, one point per COMPLETE trial that has it, coloured by
 * trial number (late trials darker) up to SCATTER_LARGE_THRESHOLD points; past that the points draw
 * in ECharts' `large` mode in one colour. Log parameters get a log x axis, categorical ones a category
 * axis. One parameter per chart: the page and `tunable plot slice --param` draw the one asked for.
 *
 * Series `id: 'points'` holds `[paramValue, value, trialNumber]` (paramValue: the choice's index on a
 * category axis).
 */
import type { EChartsOption } from 'echarts';
import type { StudyJSON } from '../../trial/json.js';
import { InvalidArgumentError } from '../../errors.js';
import {
  BASE, COLORS, SCATTER_LARGE_THRESHOLD, axisFor, checkOptions, completeTrials, scatterScale, emptyOption, objectiveIndex,
  objectiveName, paramAxis, paramName, paramValue, title,
} from './common.js';

export interface SliceOptions {
  /** The parameter on the x axis. */
  readonly param: string;
  readonly objective?: number;
}

export function sliceOption(study: StudyJSON, opts: SliceOptions): EChartsOption {
  const o = checkOptions<SliceOptions>('sliceOption options', opts, ['param', 'objective']);
  if (o.param === undefined) throw new InvalidArgumentError('Missing `param`: the parameter to draw the objective against');
  const param = paramName(study, 'param', o.param);
  const k = objectiveIndex(study, o.objective);
  const what = `Slice: ${param}`;
  const trials = completeTrials(study);
  if (trials.length === 0) return emptyOption(study, what, 'no complete trials yet');
  const axis = paramAxis(study, param);
  const points: [number, number, number][] = [];  // (n, 3): [param value, objective value, trial number]
  for (const t of trials) {
    const x = paramValue(t, axis);
    if (x !== null) points.push([x, t.values![k]!, t.number]);
  }
  if (points.length === 0) return emptyOption(study, what, `no complete trial has ${JSON.stringify(param)}`);
  const name = objectiveName(study, k);
  const large = points.length > SCATTER_LARGE_THRESHOLD;
  const first = points[0]![2];
  const last = points[points.length - 1]![2];
  return {
    ...BASE,
    title: title(study, what, study.directions.length > 1 ? name : undefined),
    grid: { top: 80, left: 70, right: large ? 40 : 110, bottom: 60 },
    tooltip: { trigger: 'item' },
    xAxis: axisFor(axis, axis.kind === 'category' ? {} : { min: axis.low, max: axis.high }),
    yAxis: { type: 'value', name, nameLocation: 'middle', nameGap: 50, scale: true },
    ...(large
      ? {}
      : {
          visualMap: {
            type: 'continuous',
            dimension: 2,
            min: first,
            max: first === last ? first + 1 : last,
            inRange: { color: [COLORS.scale[1], COLORS.scale[4]] },
            text: ['Trial', ''],
            right: 10,
            top: 'middle',
          },
        }),
    series: [
      {
        id: 'points',
        name,
        type: 'scatter',
        // Dimension ids fixed, the user's names only displayed: a parameter named "Trial" cannot collide.
        dimensions: [{ name: 'x', displayName: param }, { name: 'y', displayName: name }, { name: 'trial', displayName: 'Trial' }],
        data: points,
        symbolSize: large ? 3 : 7,
        itemStyle: { color: COLORS.points, opacity: 0.8 },
        ...scatterScale(large),
      },
    ],
  };
}
