/**
 * ECharts option builders over a `StudyJSON`: the charts of `tunable plot` and of the dashboard's page.
 * Pure and browser-safe (no Node or DOM imports); each returns a plain, JSON-serialisable option.
 *
 * Every builder refuses bad arguments with an InvalidArgumentError (an unknown parameter, an objective
 * index out of range, a Pareto front of one objective, a log axis over non-positive values) and returns
 * an empty chart whose subtitle says why for a study with nothing to draw yet (no COMPLETE trial).
 */
export { historyOption, type HistoryOptions } from './history.js';
export { parallelOption, PARALLEL_KEEP_BEST, PARALLEL_MAX_LINES, type ParallelOptions } from './parallel.js';
export { sliceOption, type SliceOptions } from './slice.js';
export { contourOption, CONTOUR_GRID, CONTOUR_NEIGHBOURS, type ContourOptions } from './contour.js';
export { intermediateOption, INTERMEDIATE_MAX_CURVES, INTERMEDIATE_MAX_POINTS, type IntermediateOptions } from './intermediate.js';
export { paretoOption, nonDominated, type ParetoOptions } from './pareto.js';
export { importanceOption, type ImportanceChartOptions } from './importance.js';
export { completeTrials, objectiveName, paramNames, SCATTER_LARGE_THRESHOLD, PROGRESSIVE_CHUNK } from './common.js';
