/**
 * The surrogate explorer: the GP a GPSampler would fit (from `/api/studies/<id>/surrogate`), its
 * posterior over a G × G grid of two parameters with the others held at slider values, drawn as two
 * heat maps (mean, sd) with the observed trials on top.
 *
 * Axes: a numeric parameter gets G grid values over its unit interval (the GPSampler's encoding); a
 * categorical one gets one cell per choice (code i / (k − 1)). The mean is drawn on the objective's
 * scale (`toObjectiveValue` undoes the sampler's transform); the sd on the GP's standardised scale
 * (under the log warping an sd has no single objective-scale value).
 *
 * Redraws: the mean (m·n work for m cells and n trials) is computed and drawn first, the sd (m·n²/2)
 * after it in chunks of cells; a newer redraw (a slider still moving) abandons a stale sd between
 * chunks. While the sd chart shows an older position than the mean its subtitle says so ("updating…").
 */
import type { EChartsOption } from 'echarts';
import { fromUnit, type Distribution } from '../../distributions/index.js';
import { toObjectiveValue, type SurrogateJSON } from '../posterior-reference.js';
import { api } from './api.js';
import { chartBox } from './charts.js';
import { h, labelled, replace, select } from './dom.js';
import { formatNumber } from './format.js';
import { factorSurrogate, posteriorCpu, type Factor } from '../posterior-reference.js';
import { chooseMode, glRenderer, gridEvaluator, isSoftwareRenderer, parseModeChoice, type GPUModeName, type GridEvaluator, type ModeChoice } from './posterior.js';

export const GRID_SIZES = [32, 64, 96, 128] as const;
export const DEFAULT_GRID = 64;

export interface PosteriorValues {
  mean: number[];
  variance: number[];
}

/** What the page's tests and benchmarks read and drive (`window.__tunable.surrogate`). */
export interface SurrogateHooks {
  /** Settles when the model is loaded and the first grid drawn (ok: false with the reason otherwise). */
  ready: Promise<{ ok: boolean; error?: string }>;
  model: SurrogateJSON | null;
  /** What was asked for: 'auto' (the default), or a forced mode (the Compute menu, `?gpu=webgl|cpu`). */
  requestedMode: ModeChoice;
  /** The mode chosen for the kernels, and why (chooseMode). */
  chosenMode: GPUModeName | null;
  modeReason: string | null;
  /** The gpu.js mode that ran the last grid. */
  mode: string | null;
  renderer: string | null;
  /** Milliseconds of the last complete redraw: the mean and its chart, then the sd and its chart. */
  lastRedrawMs: number | null;
  /** Milliseconds from the start of the last redraw to its mean chart drawn. */
  lastMeanMs: number | null;
  /** True while the sd chart shows an older grid than the mean chart (its subtitle says "updating…"). */
  sdStale: boolean;
  /** Counts: mean charts drawn, sd charts drawn, sd computations abandoned for a newer redraw. */
  counts: { mean: number; sd: number; sdAbandoned: number };
  /** While true, sd computations wait (lets a test observe the state between the mean and the sd). */
  holdSd: boolean;
  /** The last complete grid: its points (m, d) row-major and the posterior there (GP scale) from the gpu.js kernels; mean and variance always from the same points. */
  grid: { G: number; x: string; y: string; points: number[]; mean: number[]; variance: number[] } | null;
  /** The gpu.js path at arbitrary points (m, d) row-major. */
  evaluate(points: number[]): PosteriorValues;
  /** The float64 reference at the same points. */
  evaluateCpu(points: number[]): PosteriorValues;
  /** Settles when a complete redraw (mean and sd) of the state at the call, or a newer one, is drawn: its milliseconds. */
  redraw(): Promise<number>;
  setGrid(G: number): Promise<number>;
  setAxes(x: string, y: string): Promise<number>;
  /** Sets a held parameter's unit-cube coordinate. */
  setValue(name: string, unit: number): Promise<number>;
  /** Forces a mode, or 'auto'. */
  setMode(choice: ModeChoice): Promise<number>;
}

export interface SurrogateExplorer {
  readonly root: HTMLElement;
  readonly hooks: SurrogateHooks;
  load(objective: number): Promise<void>;
  dispose(): void;
}

interface AxisGrid {
  /** Unit-cube coordinates of the cells. */
  readonly values: number[];
  readonly labels: string[];
}

function axisGrid(dist: Distribution, G: number): AxisGrid {
  if (dist.type === 'categorical') {
    const k = dist.choices.length;
    return { values: dist.choices.map((_, i) => (k > 1 ? i / (k - 1) : 0)), labels: dist.choices.map((c) => String(c)) };
  }
  const values = Array.from({ length: G }, (_, i) => (G > 1 ? i / (G - 1) : 0.5));
  return { values, labels: values.map((u) => short(fromUnit(dist, u))) };
}

/** Axis labels: three significant digits. */
function short(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

/** The unit coordinate → a label: the parameter's value there. */
function unitLabel(dist: Distribution, u: number): string {
  if (dist.type === 'categorical') {
    const k = dist.choices.length;
    return String(dist.choices[Math.round(u * (k - 1))]);
  }
  return formatNumber(fromUnit(dist, u));
}

/** The mode `?gpu=` in the page's address asks for ('webgl', 'webgl2', 'cpu' or 'auto'), else 'auto'. */
function modeFromAddress(): ModeChoice {
  try {
    return parseModeChoice(new URLSearchParams(location.search).get('gpu')) ?? 'auto';
  } catch {
    return 'auto';
  }
}

/** A task boundary without setTimeout's clamping: input events and painting may run in between. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

/** How long the sd computation runs before it lets the page handle input (ms). */
const SD_SLICE_MS = 12;

const MODE_LABELS: Record<ModeChoice, string> = { auto: 'Auto', webgl2: 'gpu.js WebGL2', cpu: 'gpu.js CPU' };

export function surrogateExplorer(studyId: number, initialMode?: ModeChoice): SurrogateExplorer {
  const meanBox = chartBox('chart-surrogate-mean', { height: 420 });
  const sdBox = chartBox('chart-surrogate-sd', { height: 420 });
  const status = h('p', { class: 'note', id: 'surrogate-status' }, 'Loading the model…');
  const modeNote = h('p', { class: 'note', id: 'surrogate-mode' });
  modeNote.hidden = true;
  const controls = h('div', { class: 'controls', id: 'surrogate-controls' });
  const sliders = h('div', { class: 'sliders', id: 'surrogate-sliders' });
  const charts = h('div', { class: 'pair' }, meanBox.root, sdBox.root);
  charts.hidden = true;
  const root = h('div', { class: 'surrogate' }, controls, sliders, status, modeNote, charts);

  let model: SurrogateJSON | null = null;
  let factor: Factor | null = null;
  let evaluator: GridEvaluator | null = null;
  let choice: ModeChoice = initialMode ?? modeFromAddress();
  let G = DEFAULT_GRID;
  // −1: not chosen yet (the model's first load picks them, defaultAxes).
  let xDim = -1;
  let yDim = -1;
  let base: number[] = [];
  let objective = 0;
  let disposed = false;
  let resolveReady: (v: { ok: boolean; error?: string }) => void = () => {};

  const hooks: SurrogateHooks = {
    ready: new Promise((r) => (resolveReady = r)),
    model: null,
    requestedMode: choice,
    chosenMode: null,
    modeReason: null,
    mode: null,
    // Read when the model loads: a WebGL context costs time the page's first draw should not wait for.
    renderer: null,
    lastRedrawMs: null,
    lastMeanMs: null,
    sdStale: false,
    counts: { mean: 0, sd: 0, sdAbandoned: 0 },
    holdSd: false,
    grid: null,
    evaluate(points) {
      if (!evaluator) throw new Error('No surrogate model loaded');
      const r = evaluator.evaluate(Float64Array.from(points));
      hooks.mode = evaluator.ran();
      return { mean: Array.from(r.mean), variance: Array.from(r.variance) };
    },
    evaluateCpu(points) {
      if (!factor) throw new Error('No surrogate model loaded');
      const r = posteriorCpu(factor, Float64Array.from(points));
      return { mean: Array.from(r.mean), variance: Array.from(r.variance) };
    },
    redraw: () => schedule(),
    setGrid(g) {
      G = g;
      renderControls();
      return schedule();
    },
    setAxes(x, y) {
      if (!model) return Promise.reject(new Error('No surrogate model loaded'));
      const xi = model.names.indexOf(x);
      const yi = model.names.indexOf(y);
      if (xi < 0 || yi < 0 || xi === yi) return Promise.reject(new Error(`Expected two different parameters of the model but received ${x}, ${y}`));
      xDim = xi;
      yDim = yi;
      renderControls();
      return schedule();
    },
    setValue(name, unit) {
      if (!model) return Promise.reject(new Error('No surrogate model loaded'));
      const j = model.names.indexOf(name);
      if (j < 0) return Promise.reject(new Error(`Unknown parameter ${name}`));
      base[j] = unit;
      renderControls();
      return schedule();
    },
    setMode(c) {
      choice = c;
      hooks.requestedMode = c;
      rebuildEvaluator();
      renderControls();
      return schedule();
    },
  };

  // Redraw requests are numbered; one loop draws the newest. A request's promise settles once a
  // complete redraw (mean and sd) of that request or a newer one is on screen.
  let requested = 0;
  let completed = 0;
  let looping = false;
  let waiters: { gen: number; resolve: (ms: number) => void; reject: (e: unknown) => void }[] = [];
  /** The request number whose sd is on the sd chart (0: none drawn yet). */
  let sdShown = 0;

  function schedule(): Promise<number> {
    const gen = ++requested;
    const p = new Promise<number>((resolve, reject) => waiters.push({ gen, resolve, reject }));
    if (!looping) void loop();
    return p;
  }

  function settle(upTo: number, ms: number) {
    const done = waiters.filter((w) => w.gen <= upTo);
    waiters = waiters.filter((w) => w.gen > upTo);
    for (const w of done) w.resolve(ms);
  }

  async function loop(): Promise<void> {
    looping = true;
    try {
      while (completed < requested && !disposed) {
        // A task boundary first: the slider's new position is painted before the grid blocks the thread.
        await nextTask();
        if (disposed) break;
        const gen = requested;
        const ms = await drawOnce(gen);
        if (ms === null) {
          hooks.counts.sdAbandoned++;
          continue;
        }
        completed = gen;
        settle(gen, ms);
      }
    } catch (e) {
      const all = waiters;
      waiters = [];
      completed = requested;
      for (const w of all) w.reject(e);
    } finally {
      looping = false;
      if (disposed) {
        const all = waiters;
        waiters = [];
        for (const w of all) w.reject(new Error('The surrogate explorer was closed'));
      } else if (completed < requested) void loop();
    }
  }

  function gridPoints(): { gx: AxisGrid; gy: AxisGrid; points: Float64Array } {
    const m = model!;
    const gx = axisGrid(m.distributions[m.names[xDim]!]!, G);
    const gy = axisGrid(m.distributions[m.names[yDim]!]!, G);
    const d = m.d;
    const points = new Float64Array(gx.values.length * gy.values.length * d);  // (Gy · Gx, d), x fastest
    let p = 0;
    for (const v of gy.values) {
      for (const u of gx.values) {
        for (let j = 0; j < d; j++) points[p * d + j] = base[j]!;
        points[p * d + xDim] = u;
        points[p * d + yDim] = v;
        p++;
      }
    }
    return { gx, gy, points };
  }

  /** Cells of a heat map: [x cell, y cell, value] (m, 3), x fastest. */
  function cells(nx: number, values: Float64Array, f: (v: number) => number): [number, number, number][] {
    const out: [number, number, number][] = new Array(values.length);
    for (let p = 0; p < values.length; p++) out[p] = [p % nx, Math.floor(p / nx), f(values[p]!)];
    return out;
  }

  const SD_TITLE = 'Posterior sd (standardised GP scale)';

  /** Marks the sd chart as showing an older grid than the mean chart (or clears the mark). */
  function markSd(stale: boolean) {
    if (hooks.sdStale === stale) return;
    hooks.sdStale = stale;
    const chart = sdBox.chart;
    if (chart && sdShown > 0) {
      chart.setOption({ title: { text: SD_TITLE, subtext: stale ? 'updating… (shows an earlier position)' : '' } });
    }
  }

  /**
   * One redraw of request `gen`: the mean and its chart, then the sd in chunks, giving way to input
   * every SD_SLICE_MS; null when a newer request arrived before the sd was done (the sd is abandoned).
   */
  async function drawOnce(gen: number): Promise<number | null> {
    if (!model || !evaluator) return 0;
    const m = model;
    const ev = evaluator;
    const t0 = performance.now();
    const { gx, gy, points } = gridPoints();
    const nx = gx.values.length;
    const mean = ev.mean(points);
    hooks.mode = ev.ran();
    const xName = m.names[xDim]!;
    const yName = m.names[yDim]!;
    const pts = observed(gx, gy);
    meanBox.draw(() => heatOption('Posterior mean (objective value)', '', xName, yName, gx, gy, cells(nx, mean, (v) => toObjectiveValue(m.toObjective, v)), pts, m.toObjective.sign === 1));
    hooks.counts.mean++;
    charts.hidden = false;
    if (sdShown === 0) {
      sdBox.draw(() => heatOption(SD_TITLE, 'computing…', xName, yName, gx, gy, [], pts, false));
      hooks.sdStale = true;
    } else markSd(true);
    const meanMs = performance.now() - t0;
    hooks.lastMeanMs = meanMs;
    showStatus(nx, gy.values.length, `mean in ${meanMs.toFixed(0)} ms, sd computing…`);

    const count = mean.length;
    const variance = new Float64Array(count);
    let slice = performance.now();
    for (let a = 0; a < count; a += ev.chunk) {
      if (performance.now() - slice > SD_SLICE_MS || hooks.holdSd) {
        await nextTask();
        while (hooks.holdSd && requested === gen && !disposed) await new Promise((r) => setTimeout(r, 10));
        if (requested !== gen || disposed || evaluator !== ev) return null;
        slice = performance.now();
      }
      ev.variance(points, a, ev.chunk, variance);
    }
    sdBox.draw(() => heatOption(SD_TITLE, '', xName, yName, gx, gy, cells(nx, variance, Math.sqrt), pts, false));
    sdShown = gen;
    hooks.sdStale = false;
    hooks.counts.sd++;
    hooks.mode = ev.ran();
    hooks.grid = { G, x: xName, y: yName, points: Array.from(points), mean: Array.from(mean), variance: Array.from(variance) };
    const ms = performance.now() - t0;
    hooks.lastRedrawMs = ms;
    showStatus(nx, gy.values.length, `mean in ${meanMs.toFixed(0)} ms, mean and sd in ${ms.toFixed(0)} ms`);
    return ms;
  }

  function showStatus(nx: number, ny: number, timing: string) {
    const m = model!;
    status.textContent =
      `${m.n} trials, ${m.d} parameters, ${m.kernel === 'rbf' ? 'RBF' : 'Matérn-5/2'} kernel. Grid ${nx} × ${ny}: ${timing}.`;
    modeNote.textContent =
      `gpu.js mode: ${hooks.mode ?? hooks.chosenMode ?? '?'} (${hooks.modeReason ?? ''}); WebGL renderer: ${hooks.renderer ?? 'none'}.`;
    modeNote.hidden = false;
  }

  /** The observed points in cell units of the two axes: [x, y, trial number]. */
  function observed(gx: AxisGrid, gy: AxisGrid): [number, number, number][] {
    const m = model!;
    const out: [number, number, number][] = [];
    const scale = (g: AxisGrid, dim: number, u: number) =>
      m.categoricalDims.includes(dim) ? Math.round(u * (g.values.length - 1)) : u * (g.values.length - 1);
    for (let i = 0; i < m.n; i++) {
      out.push([scale(gx, xDim, m.X[i * m.d + xDim]!), scale(gy, yDim, m.X[i * m.d + yDim]!), m.trialNumbers[i]!]);
    }
    return out;
  }

  function renderControls() {
    if (!model) return;
    const m = model;
    const choices = m.names.map((n) => [n, n] as const);
    const xSel = select(choices, m.names[xDim]!, (v) => void hooks.setAxes(v, m.names[yDim] === v ? m.names[xDim]! : m.names[yDim]!), { id: 'surrogate-x' });
    const ySel = select(choices, m.names[yDim]!, (v) => void hooks.setAxes(m.names[xDim] === v ? m.names[yDim]! : m.names[xDim]!, v), { id: 'surrogate-y' });
    const gSel = select(GRID_SIZES.map((g) => [String(g), `${g} × ${g}`] as const), String(G), (v) => void hooks.setGrid(Number(v)), { id: 'surrogate-grid' });
    const autoLabel = choice === 'auto' && hooks.chosenMode ? `Auto (${hooks.chosenMode === 'cpu' ? 'CPU' : 'WebGL2'})` : MODE_LABELS.auto;
    const modeSel = select(
      (['auto', 'webgl2', 'cpu'] as const).map((c) => [c, c === 'auto' ? autoLabel : MODE_LABELS[c]] as const),
      choice,
      (v) => void hooks.setMode(parseModeChoice(v) ?? 'auto'),
      { id: 'surrogate-compute' },
    );
    const refit = h('button', { attrs: { type: 'button' }, on: { click: () => void load(objective) } }, 'Refit to the latest trials');
    replace(controls, labelled('x axis', xSel), labelled('y axis', ySel), labelled('Grid', gSel), labelled('Compute', modeSel), refit);
    const rows: HTMLElement[] = [];
    m.names.forEach((name, j) => {
      if (j === xDim || j === yDim) return;
      const dist = m.distributions[name]!;
      if (dist.type === 'categorical') {
        const k = dist.choices.length;
        const current = Math.round(base[j]! * (k - 1));
        const s = select(dist.choices.map((c, i) => [String(i), String(c)] as const), String(current), (v) => {
          base[j] = k > 1 ? Number(v) / (k - 1) : 0;
          void schedule();
        }, { attrs: { 'data-param': name } });
        rows.push(labelled(name, s));
      } else {
        const out = h('output', null, unitLabel(dist, base[j]!));
        const range = h('input', { attrs: { type: 'range', min: '0', max: '1', step: '0.001', 'data-param': name } });
        range.value = String(base[j]);
        range.addEventListener('input', () => {
          base[j] = Number(range.value);
          out.textContent = unitLabel(dist, base[j]!);
          void schedule();
        });
        rows.push(h('label', { class: 'control slider' }, h('span', null, name), range, out));
      }
    });
    replace(sliders, ...rows);
    sliders.hidden = rows.length === 0;
  }

  function rebuildEvaluator() {
    evaluator?.dispose();
    evaluator = null;
    if (!factor) return;
    const { mode, reason } = chooseMode(choice, hooks.renderer);
    hooks.chosenMode = mode;
    hooks.modeReason = reason;
    // On a hardware GPU the sd runs in fewer, larger calls (each one waits for the GPU's result);
    // in software it gives way to input every ~2²⁶ multiply-adds.
    const software = mode === 'cpu' || isSoftwareRenderer(hooks.renderer);
    evaluator = gridEvaluator(factor, mode, { chunkWork: software ? 2 ** 26 : 2 ** 29 });
  }

  async function load(obj: number): Promise<void> {
    objective = obj;
    status.textContent = 'Loading the model…';
    try {
      const m = await api.surrogate(studyId, obj);
      if (disposed) return;
      model = m;
      hooks.model = m;
      factor = factorSurrogate(m);
      hooks.renderer ??= glRenderer();
      rebuildEvaluator();
      if (xDim < 0 || yDim < 0 || xDim >= m.d || yDim >= m.d || xDim === yDim) [xDim, yDim] = defaultAxes(m);
      // The sliders start at the best observed trial (largest y: larger is better on the GP's scale).
      let best = 0;
      for (let i = 1; i < m.n; i++) if (m.y[i]! > m.y[best]!) best = i;
      base = Array.from({ length: m.d }, (_, j) => m.X[best * m.d + j]!);
      renderControls();
      if (m.d < 2) {
        status.textContent = 'The surrogate models a single parameter: the explorer needs two.';
        resolveReady({ ok: false, error: status.textContent });
        return;
      }
      await schedule();
      resolveReady({ ok: true });
    } catch (e) {
      charts.hidden = true;
      replace(controls);
      replace(sliders);
      status.textContent = `No surrogate: ${e instanceof Error ? e.message : String(e)}`;
      resolveReady({ ok: false, error: status.textContent });
    }
  }

  return {
    root,
    hooks,
    load,
    dispose() {
      disposed = true;
      evaluator?.dispose();
      evaluator = null;
      meanBox.dispose();
      sdBox.dispose();
    },
  };
}

/** About eight labels per axis (ECharts would print all 128 of a category axis). */
function labelInterval(cells: number): number {
  return Math.max(0, Math.ceil(cells / 8) - 1);
}

/**
 * The two dimensions the model varies most along: the shortest lengthscales, numeric parameters before
 * categorical ones (a categorical axis has a handful of cells).
 */
function defaultAxes(m: SurrogateJSON): [number, number] {
  const order = m.names
    .map((_, j) => j)
    .sort((a, b) => {
      const ca = m.categoricalDims.includes(a) ? 1 : 0;
      const cb = m.categoricalDims.includes(b) ? 1 : 0;
      return ca - cb || m.hyperparameters.lengthscales[a]! - m.hyperparameters.lengthscales[b]! || a - b;
    });
  return [order[0] ?? 0, order[1] ?? order[0] ?? 0];
}

/**
 * A heat map on category axes (one cell per grid value) and, on an overlaid grid whose value axes span
 * the same cells (−0.5 … cells − 0.5), the observed points: ECharts draws heat maps on category axes only.
 */
function heatOption(
  what: string,
  subtitle: string,
  xName: string,
  yName: string,
  gx: AxisGrid,
  gy: AxisGrid,
  data: [number, number, number][],
  points: [number, number, number][],
  higherIsBetter: boolean,
): EChartsOption {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of data) {
    if (c[2] < lo) lo = c[2];
    if (c[2] > hi) hi = c[2];
  }
  if (!Number.isFinite(lo)) lo = 0;  // no cells yet (the sd while it is first computed)
  if (!(hi > lo)) hi = lo + 1e-12;
  const rect = { left: 70, right: 90, top: 56, bottom: 60 };  // top: room for the title and its subtitle
  const colors = ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'];
  return {
    animation: false,
    title: { text: what, subtext: subtitle, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'item' },
    grid: [rect, rect],
    xAxis: [
      {
        type: 'category', data: gx.labels, name: xName, nameLocation: 'middle', nameGap: 30, gridIndex: 0, splitArea: { show: false },
        axisLabel: { interval: labelInterval(gx.labels.length) }, axisTick: { interval: labelInterval(gx.labels.length) },
      },
      { type: 'value', gridIndex: 1, min: -0.5, max: gx.values.length - 0.5, show: false },
    ],
    yAxis: [
      {
        type: 'category', data: gy.labels, name: yName, nameLocation: 'middle', nameGap: 50, gridIndex: 0, splitArea: { show: false },
        axisLabel: { interval: labelInterval(gy.labels.length) }, axisTick: { interval: labelInterval(gy.labels.length) },
      },
      { type: 'value', gridIndex: 1, min: -0.5, max: gy.values.length - 0.5, show: false },
    ],
    visualMap: {
      type: 'continuous',
      min: lo,
      max: hi,
      seriesIndex: 0,
      calculable: false,
      text: [formatNumber(hi), formatNumber(lo)],
      right: 0,
      top: 'middle',
      itemHeight: 200,
      precision: 3,
      inRange: { color: higherIsBetter ? colors : [...colors].reverse() },
    },
    series: [
      { id: 'surface', type: 'heatmap', xAxisIndex: 0, yAxisIndex: 0, data, progressive: 0 },
      {
        id: 'points',
        name: 'Trials',
        type: 'scatter',
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: points,
        symbolSize: 6,
        itemStyle: { color: '#ffb000', borderColor: '#222', borderWidth: 1 },
        z: 5,
      },
    ],
  };
}
