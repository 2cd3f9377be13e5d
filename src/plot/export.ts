/**
 * Static plots of a study: `plot(kind, source, options)` builds the chart's ECharts option
 * (./options/) and renders it as a standalone HTML page, an SVG (ECharts' server-side rendering, no
 * browser) or a PNG (that SVG rasterised by resvg). Node only.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import type { EChartsOption } from 'echarts';
import { InvalidArgumentError, IOError } from '../errors.js';
import { paramImportances } from '../importance/index.js';
import type { Storage } from '../storage/base.js';
import { loadStudy, type Study } from '../study/study.js';
import { trialToJSON, type StudyJSON } from '../trial/json.js';
import { ioReason } from '../util/io-reason.js';
import { integer, invalid, oneOf, options as checkOptions, string } from '../validate.js';
import { completeTrials, emptyOption } from './options/common.js';
import {
  contourOption, historyOption, importanceOption, intermediateOption, objectiveName, paretoOption, parallelOption, sliceOption,
} from './options/index.js';

/**
 * ECharts and resvg, loaded on first use: every `tunable` command imports this module, and importing
 * ECharts' ES modules costs about a second of start-up; its single-file CommonJS build a fifth of that.
 */
const requireHere = createRequire(import.meta.url);
let echartsModule: typeof import('echarts') | null = null;
let resvgModule: typeof import('@resvg/resvg-js') | null = null;
const echartsLib = () => (echartsModule ??= requireHere('echarts') as typeof import('echarts'));
const resvgLib = () => (resvgModule ??= requireHere('@resvg/resvg-js') as typeof import('@resvg/resvg-js'));

export const PLOT_KINDS = ['history', 'importance', 'parallel', 'contour', 'slice', 'intermediate', 'pareto'] as const;
export type PlotKind = (typeof PLOT_KINDS)[number];

export const PLOT_FORMATS = ['html', 'svg', 'png'] as const;
export type PlotFormat = (typeof PLOT_FORMATS)[number];

/** A loaded study, or where to load one from (a storage URL is opened and closed again here). */
export type PlotSource = Study | { readonly storage: string | Storage; readonly studyName: string };

export interface PlotOptions {
  /** Objective index (history, importance, parallel, contour, slice); 0 by default. */
  readonly objective?: number;
  /** Log y axis (history). */
  readonly log?: boolean;
  /** Parameters: the axes of parallel, the parameters assessed by importance. */
  readonly params?: readonly string[];
  /** The parameter of a slice. */
  readonly param?: string;
  /** The two parameters of a contour. */
  readonly x?: string;
  readonly y?: string;
  /** The two objectives of a Pareto front; [0, 1] by default. */
  readonly objectives?: readonly [number, number];
  /** Seed of the importance forest (0 by default). */
  readonly seed?: number;
  /** A file to write; its extension (.html, .svg, .png) picks the format unless `format` is given. */
  readonly out?: string;
  /** The format: from `out`'s extension, else 'svg'. */
  readonly format?: PlotFormat;
  /** Pixels; 900 × 600 by default. HTML pages fill the window when these are not given. */
  readonly width?: number;
  readonly height?: number;
}

/** The options each kind takes, besides the output options every kind takes. */
const KIND_OPTIONS: Record<PlotKind, readonly (keyof PlotOptions)[]> = {
  history: ['objective', 'log'],
  importance: ['objective', 'params', 'seed'],
  parallel: ['objective', 'params'],
  contour: ['objective', 'x', 'y'],
  slice: ['objective', 'param'],
  intermediate: [],
  pareto: ['objectives'],
};
const OUTPUT_OPTIONS: readonly (keyof PlotOptions)[] = ['out', 'format', 'width', 'height'];

export const DEFAULT_WIDTH = 900;
export const DEFAULT_HEIGHT = 600;
/** Bounds on `width` and `height`: a PNG past 8192² pixels is hundreds of megabytes. */
export const MIN_SIZE = 100;
export const MAX_SIZE = 8192;

interface Resolved {
  readonly kind: PlotKind;
  readonly format: PlotFormat;
  readonly out: string | undefined;
  readonly width: number;
  readonly height: number;
  readonly sized: boolean;
  readonly chart: Omit<PlotOptions, 'out' | 'format' | 'width' | 'height'>;
}

/** Checks everything that can be checked before the study is read: kind, option names, format, sizes. */
export function resolvePlotOptions(kind: unknown, opts: unknown): Resolved {
  const k = oneOf('kind', kind, PLOT_KINDS);
  const o = checkOptions<PlotOptions>(`plot options for ${JSON.stringify(k)}`, opts, [...KIND_OPTIONS[k], ...OUTPUT_OPTIONS]);
  const out = o.out === undefined ? undefined : string('out', o.out);
  let format: PlotFormat | undefined = o.format === undefined ? undefined : oneOf('format', o.format, PLOT_FORMATS);
  if (out !== undefined) {
    const ext = extname(out).slice(1).toLowerCase();
    if (!(PLOT_FORMATS as readonly string[]).includes(ext)) {
      throw invalid('out', 'a file name ending in .html, .svg or .png', out);
    }
    if (format !== undefined && format !== ext) {
      throw new InvalidArgumentError(`Expected \`format\` to match the extension of \`out\` (${JSON.stringify(ext)}) but received ${JSON.stringify(format)}`);
    }
    format = ext as PlotFormat;
  }
  const width = o.width === undefined ? DEFAULT_WIDTH : integer('width', o.width, MIN_SIZE, MAX_SIZE);
  const height = o.height === undefined ? DEFAULT_HEIGHT : integer('height', o.height, MIN_SIZE, MAX_SIZE);
  if (k === 'slice' && o.param === undefined) throw new InvalidArgumentError('Missing `param`: a slice draws the objective against one parameter');
  if (k === 'contour' && (o.x === undefined || o.y === undefined)) throw new InvalidArgumentError('Missing `x` or `y`: a contour needs two parameters');
  const { out: _o, format: _f, width: _w, height: _h, ...chart } = o;
  return { kind: k, format: format ?? 'svg', out, width, height, sized: o.width !== undefined || o.height !== undefined, chart };
}

/**
 * Renders one chart of a study. Resolves to the HTML or SVG text, or the PNG bytes, and writes them to
 * `out` when given (whole or not at all: a temporary file next to it, renamed into place).
 */
export async function plot(kind: PlotKind, source: PlotSource, opts: PlotOptions = {}): Promise<string | Buffer> {
  const r = resolvePlotOptions(kind, opts);
  const study = await readStudy(source);
  const option = buildOption(r.kind, study, r.chart);
  const data = render(option, r, study.name);
  if (r.out !== undefined) writeAtomically(r.out, data);
  return data;
}

/** The chart's ECharts option for a study already read. */
export function buildOption(kind: PlotKind, study: StudyJSON, o: Resolved['chart']): EChartsOption {
  switch (kind) {
    case 'history':
      return historyOption(study, pick(o, ['objective', 'log']));
    case 'parallel':
      return parallelOption(study, pick(o, ['objective', 'params']));
    case 'slice':
      return sliceOption(study, { param: o.param!, ...pick(o, ['objective']) });
    case 'contour':
      return contourOption(study, { x: o.x!, y: o.y!, ...pick(o, ['objective']) });
    case 'intermediate':
      return intermediateOption(study);
    case 'pareto':
      return paretoOption(study, pick(o, ['objectives']));
    case 'importance': {
      const objective = o.objective ?? 0;
      // Checked here too, so a bad index reads the same whether or not the study has complete trials.
      integer('objective', objective, 0, study.directions.length - 1);
      if (completeTrials(study).length === 0) return emptyOption(study, 'Hyperparameter importance', 'no complete trials yet');
      const result = paramImportances(study, pick(o, ['objective', 'params', 'seed']));
      return importanceOption(result, { studyName: study.name, objectiveName: objectiveName(study, objective) });
    }
  }
}

/** The options present in `o` among `keys` (exactOptionalPropertyTypes: absent, never undefined). */
function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (o[key] !== undefined) out[key] = o[key];
  return out as Pick<T, K>;
}

async function readStudy(source: PlotSource): Promise<StudyJSON> {
  if (source === null || typeof source !== 'object') throw invalid('source', 'a Study or { storage, studyName }', source);
  if ('getTrials' in source && typeof source.getTrials === 'function') return studyJSON(source);
  const s = checkOptions<{ storage: string | Storage; studyName: string }>('source', source, ['storage', 'studyName']);
  if (s.storage === undefined) throw new InvalidArgumentError('Missing `source.storage`: a storage URL or Storage');
  const studyName = string('source.studyName', s.studyName);
  const study = await loadStudy({ studyName, storage: s.storage });
  try {
    return await studyJSON(study);
  } finally {
    if (typeof s.storage === 'string') await study.storage.close();
  }
}

async function studyJSON(study: Study): Promise<StudyJSON> {
  const [trials, userAttrs] = await Promise.all([study.getTrials(), study.getUserAttrs()]);
  return { studyId: study.studyId, name: study.studyName, directions: [...study.directions], userAttrs, trials: trials.map(trialToJSON) };
}

function render(option: EChartsOption, r: Resolved, studyName: string): string | Buffer {
  if (r.format === 'html') return htmlPage(option, studyName, r.sized ? { width: r.width, height: r.height } : null);
  const svg = renderSVG(option, r.width, r.height);
  return r.format === 'svg' ? svg : renderPNG(svg);
}

/**
 * The option as an SVG document, by ECharts' server-side rendering. Progressive rendering is turned off
 * (it draws a large series over several frames, and a server render has only the first).
 */
export function renderSVG(option: EChartsOption, width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT): string {
  const chart = echartsLib().init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(staticOption(option));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function staticOption(option: EChartsOption): EChartsOption {
  const series = option.series === undefined ? [] : Array.isArray(option.series) ? option.series : [option.series];
  return {
    ...option,
    animation: false,
    backgroundColor: option.backgroundColor ?? '#ffffff',
    series: series.map((s) => ({ ...s, progressive: 0 }) as typeof s),
  };
}

/**
 * Rasterises an SVG of ours with resvg. Text uses the system's fonts (the usual font directories):
 * ECharts asks for `sans-serif`, which is mapped to DejaVu Sans, and where that is not installed resvg
 * falls back to another installed font. On a system without any font the PNG is drawn without its text
 * (titles, axis names, labels), the marks unchanged; the SVG and HTML formats leave fonts to the viewer.
 */
export function renderPNG(svg: string): Buffer {
  const resvg = new (resvgLib().Resvg)(svg, {
    font: { loadSystemFonts: true, sansSerifFamily: SANS_SERIF, defaultFontFamily: SANS_SERIF },
    background: '#ffffff',
  });
  return resvg.render().asPng();
}

/** ECharts' `sans-serif` in PNGs: common on Linux; elsewhere resvg's fallback picks an installed font. */
const SANS_SERIF = 'DejaVu Sans';

let echartsSource: string | null = null;

/** ECharts' browser build from the installed `echarts` package, inlined into HTML pages (no CDN). */
function echartsScript(): string {
  echartsSource ??= readFileSync(requireHere.resolve('echarts/dist/echarts.min'), 'utf8');
  // A "</script" or "<!--" inside would end or confuse the script element; the build has neither, and
  // a later one that did would break every page, so it is refused loudly.
  if (/<\/script|<!--/i.test(echartsSource)) throw new IOError('echarts.min.js holds "</script" or "<!--" and cannot be inlined');
  return echartsSource;
}

/** `value` as JSON that cannot end or confuse an HTML script element (no <, >, & or line separators). */
export function scriptJSON(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHTML(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A standalone page: ECharts inlined, the option as escaped JSON, nothing loaded from elsewhere. */
export function htmlPage(option: EChartsOption, studyName: string, size: { width: number; height: number } | null): string {
  const box = size === null ? 'width:100vw;height:100vh' : `width:${size.width}px;height:${size.height}px`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHTML(`${chartTitle(option)} — ${studyName}`)}</title>
<style>html,body{margin:0;padding:0}#chart{${box}}</style>
</head>
<body>
<div id="chart"></div>
<script>${echartsScript()}</script>
<script>
(function () {
  var option = ${scriptJSON(option)};
  // Log axes' label formatter (a function, which JSON drops): as logAxisLabel in ./options/common.ts.
  ['xAxis', 'yAxis', 'parallelAxis'].forEach(function (key) {
    [].concat(option[key] || []).forEach(function (axis) {
      if (axis.type === 'log') axis.axisLabel = Object.assign({}, axis.axisLabel, { formatter: function (v) { return String(Number(v.toPrecision(6))); } });
    });
  });
  var chart = echarts.init(document.getElementById('chart'));
  chart.setOption(option);
  window.addEventListener('resize', function () { chart.resize(); });
})();
</script>
</body>
</html>
`;
}

function chartTitle(option: EChartsOption): string {
  const t = Array.isArray(option.title) ? option.title[0] : option.title;
  return typeof t?.text === 'string' ? t.text : 'tunable';
}

/** Writes `data` to a temporary file beside `path` and renames it there: never a partial file. */
function writeAtomically(path: string, data: string | Buffer): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    // The temporary file is written first: ENOENT there means the folder is missing.
    throw new IOError(`Cannot write \`out\` file ${JSON.stringify(path)}: ${ioReason(err, { ENOENT: 'no such directory' })}`, { cause: err });
  }
}
