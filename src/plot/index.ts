/**
 * `tunable/plot`: charts of a study as HTML, SVG or PNG files (`plot`), and the ECharts option builders
 * behind them, which run in a browser as well.
 *
 * ```ts
 * import { plot } from 'tunable/plot';
 * await plot('history', { storage: 'sqlite:./tunable.db', studyName: 'demo' }, { out: 'history.svg', log: true });
 * ```
 */
export {
  plot, renderSVG, renderPNG, htmlPage, PLOT_KINDS, PLOT_FORMATS, DEFAULT_WIDTH, DEFAULT_HEIGHT, MIN_SIZE, MAX_SIZE,
  type PlotKind, type PlotFormat, type PlotOptions, type PlotSource,
} from './export.js';
export * from './options/index.js';
