/**
 * Contour of the objective over two parameters: a heat map on a grid, the observed trials on top.
 *
 * The grid: CONTOUR_GRID × CONTOUR_GRID cells over the parameters' ranges (uniform in log space for log
 * parameters), one cell per choice on a categorical axis. A cell holding observed trials shows the mean
 * of their values (binning, exact where there is data); an empty cell shows the inverse-distance-weighted
 * average (power 2) of the CONTOUR_NEIGHBOURS nearest non-empty cells, distances measured between the
 * empty cell's centre and the observations' mean position in each of those cells, both axes scaled to
 * [0, 1]. Binning first makes the cost independent of the number of trials past the one pass over them.
 *
 * Series read by tests and the page: `id: 'contour'` (heat map, `[xCell, yCell, value]` per cell) and
 * `id: 'points'` (`[x, y, value, trialNumber]` per COMPLETE trial with both parameters; x, y are the
 * parameter values, or the choice's index on a categorical axis).
 */
import type { EChartsOption } from 'echarts';
import type { StudyJSON } from '../../trial/json.js';
import { InvalidArgumentError } from '../../errors.js';
import { invalid } from '../../validate.js';
import {
  BASE, COLORS, SCATTER_LARGE_THRESHOLD, checkOptions, completeTrials, scatterScale, emptyOption, extent, isMinimize, logAxisLabel,
  objectiveIndex, objectiveName, paramAxis, paramName, paramNames, paramValue, title, type ParamAxis,
} from './common.js';

export interface ContourOptions {
  readonly x: string;
  readonly y: string;
  readonly objective?: number;
}

/** Cells per numeric axis: fine enough to follow a valley, coarse enough that 1,600 cells stay cheap. */
export const CONTOUR_GRID = 40;
/** Non-empty cells an empty cell averages over. */
export const CONTOUR_NEIGHBOURS = 8;

/** One axis of the grid: how many cells and where a value falls, in cell units ([0, cells)). */
interface GridAxis {
  readonly cells: number;
  readonly labels: string[];
  readonly position: (v: number) => number;
  readonly axis: ParamAxis;
  readonly range: [number, number];
}

function gridAxis(axis: ParamAxis): GridAxis {
  if (axis.kind === 'category') {
    return { cells: axis.labels.length, labels: [...axis.labels], position: (v) => v + 0.5, axis, range: [0, axis.labels.length - 1] };
  }
  let [lo, hi] = [axis.low, axis.high];
  if (!(hi > lo)) [lo, hi] = axis.kind === 'log' ? [lo / 2, hi * 2] : extent([lo]);
  const f = axis.kind === 'log' ? Math.log : (v: number) => v;
  const flo = f(lo);
  const span = f(hi) - flo;
  const cells = CONTOUR_GRID;
  const inv = axis.kind === 'log' ? Math.exp : (v: number) => v;
  const labels = Array.from({ length: cells }, (_, i) => String(Number(inv(flo + ((i + 0.5) / cells) * span).toPrecision(4))));
  return { cells, labels, position: (v) => ((f(v) - flo) / span) * cells, axis, range: [lo, hi] };
}

export function contourOption(study: StudyJSON, opts: ContourOptions): EChartsOption {
  const o = checkOptions<ContourOptions>('contourOption options', opts, ['x', 'y', 'objective']);
  if (o.x === undefined || o.y === undefined) throw new InvalidArgumentError('Missing `x` or `y`: a contour needs two parameters');
  const known = paramNames(study);
  const xName = paramName(study, 'x', o.x, known);
  const yName = paramName(study, 'y', o.y, known);
  if (xName === yName) throw invalid('y', `a parameter other than \`x\` (${JSON.stringify(xName)})`, yName);
  const k = objectiveIndex(study, o.objective);
  const what = `Contour: ${xName} × ${yName}`;
  const trials = completeTrials(study);
  if (trials.length === 0) return emptyOption(study, what, 'no complete trials yet');
  const gx = gridAxis(paramAxis(study, xName));
  const gy = gridAxis(paramAxis(study, yName));

  const points: [number, number, number, number][] = [];  // (n, 4): [x, y, value, trial number]
  for (const t of trials) {
    const x = paramValue(t, gx.axis);
    const y = paramValue(t, gy.axis);
    if (x !== null && y !== null) points.push([x, y, t.values![k]!, t.number]);
  }
  if (points.length === 0) return emptyOption(study, what, `no complete trial has both ${JSON.stringify(xName)} and ${JSON.stringify(yName)}`);

  const heat = interpolate(points, gx, gy);
  const [vlo, vhi] = extent(heat.map((c) => c[2]));
  const name = objectiveName(study, k);
  const minimize = isMinimize(study, k);
  const large = points.length > SCATTER_LARGE_THRESHOLD;
  return {
    ...BASE,
    title: title(study, what, study.directions.length > 1 ? name : undefined),
    tooltip: { trigger: 'item' },
    grid: { top: 80, left: 80, right: 120, bottom: 60 },
    // Axes 0 carry the heat map's cells (category axes, as ECharts requires); axes 1 the points, in
    // parameter units over the same extent, so cell i of n spans [i/n, (i+1)/n] of either.
    xAxis: [heatAxis(gx, 'x'), pointAxis(gx, 'x')],
    yAxis: [heatAxis(gy, 'y'), pointAxis(gy, 'y')],
    visualMap: {
      type: 'continuous',
      seriesIndex: 0,
      dimension: 2,
      min: vlo,
      max: vhi,
      inRange: { color: minimize ? [...COLORS.scale].reverse() : [...COLORS.scale] },
      text: [name, ''],
      right: 10,
      top: 'middle',
      calculable: true,
    },
    series: [
      {
        id: 'contour',
        name,
        type: 'heatmap',
        xAxisIndex: 0,
        yAxisIndex: 0,
        data: heat,
        tooltip: { show: false },
        silent: true,
      },
      {
        id: 'points',
        name: 'Trials',
        type: 'scatter',
        xAxisIndex: 1,
        yAxisIndex: 1,
        dimensions: [
          { name: 'x', displayName: xName },
          { name: 'y', displayName: yName },
          { name: 'value', displayName: name },
          { name: 'trial', displayName: 'Trial' },
        ],
        data: points,
        symbolSize: large ? 2 : 6,
        // `large` mode fills each point and draws no border: dark and translucent there, to show density.
        itemStyle: large ? { color: 'rgba(40, 40, 40, 0.4)' } : { color: '#ffffff', borderColor: '#333333', borderWidth: 1 },
        ...scatterScale(large),
        z: 3,
      },
    ],
  };
}

function heatAxis(g: GridAxis, dim: 'x' | 'y'): Record<string, unknown> {
  const categorical = g.axis.kind === 'category';
  return {
    type: 'category',
    data: g.labels,
    show: categorical,
    name: categorical ? g.axis.name : undefined,
    nameLocation: 'middle',
    nameGap: dim === 'x' ? 30 : 60,
    splitArea: { show: false },
  };
}

function pointAxis(g: GridAxis, dim: 'x' | 'y'): Record<string, unknown> {
  const position = dim === 'x' ? 'bottom' : 'left';
  if (g.axis.kind === 'category') return { type: 'category', data: g.labels, show: false, position };
  const common = { name: g.axis.name, nameLocation: 'middle', nameGap: dim === 'x' ? 30 : 60, splitLine: { show: false }, position };
  if (g.axis.kind === 'log') return { ...common, type: 'log', min: g.range[0], max: g.range[1], axisLabel: { formatter: logAxisLabel } };
  return { ...common, type: 'value', min: g.range[0], max: g.range[1] };
}

/** The heat map's cells, `[xCell, yCell, value]` for every cell of the (nx, ny) grid. */
function interpolate(points: readonly (readonly [number, number, number, number])[], gx: GridAxis, gy: GridAxis): [number, number, number][] {
  const nx = gx.cells;
  const ny = gy.cells;
  const sum = new Float64Array(nx * ny);
  const count = new Float64Array(nx * ny);
  const px = new Float64Array(nx * ny);  // sum of positions in [0, 1], for each cell's centroid
  const py = new Float64Array(nx * ny);
  for (const [x, y, v] of points) {
    const u = Math.min(Math.max(gx.position(x), 0), nx - 1e-9);
    const w = Math.min(Math.max(gy.position(y), 0), ny - 1e-9);
    const c = Math.floor(w) * nx + Math.floor(u);
    sum[c] = sum[c]! + v;
    count[c] = count[c]! + 1;
    px[c] = px[c]! + u / nx;
    py[c] = py[c]! + w / ny;
  }
  const filled: number[] = [];
  for (let c = 0; c < nx * ny; c++) if (count[c]! > 0) filled.push(c);
  const cx = filled.map((c) => px[c]! / count[c]!);
  const cy = filled.map((c) => py[c]! / count[c]!);
  const mean = filled.map((c) => sum[c]! / count[c]!);
  const kk = Math.min(CONTOUR_NEIGHBOURS, filled.length);
  const nearD = new Float64Array(kk);  // the kk smallest squared distances, ascending
  const nearI = new Int32Array(kk);
  const cells: [number, number, number][] = [];
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const c = j * nx + i;
      if (count[c]! > 0) {
        cells.push([i, j, sum[c]! / count[c]!]);
        continue;
      }
      const x0 = (i + 0.5) / nx;
      const y0 = (j + 0.5) / ny;
      nearD.fill(Infinity);
      for (let b = 0; b < filled.length; b++) {
        const d = (cx[b]! - x0) ** 2 + (cy[b]! - y0) ** 2;
        if (d >= nearD[kk - 1]!) continue;
        let s = kk - 1;
        while (s > 0 && nearD[s - 1]! > d) {
          nearD[s] = nearD[s - 1]!;
          nearI[s] = nearI[s - 1]!;
          s--;
        }
        nearD[s] = d;
        nearI[s] = b;
      }
      let num = 0;
      let den = 0;
      for (let s = 0; s < kk; s++) {
        const wgt = 1 / Math.max(nearD[s]!, 1e-12);
        num += wgt * mean[nearI[s]!]!;
        den += wgt;
      }
      cells.push([i, j, num / den]);
    }
  }
  return cells;
}
