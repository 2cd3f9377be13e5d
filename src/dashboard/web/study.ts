/**
 * A study's page (`#/study/<id>`): the study fetched once (in columns, `?form=columns`), then kept
 * current by merging the trial deltas of `/api/studies/<id>/events` (redrawn at most every REDRAW_MS),
 * the charts built by src/plot/options, importance and the surrogate loaded after the rest so the page
 * is usable first. The surrogate explorer (surrogate.ts with gpu.js, about half of the page's script) is
 * a separate chunk, imported once the page is ready: its download and parse do not delay the charts.
 *
 * Drawing is progressive: on a 50,000-trial study each chart takes a few hundred milliseconds. The
 * page is ready (interactive) once the charts in the window and the table's first page are drawn, one
 * per task, the charts' frames painted and the main thread idle; the charts below are drawn as they
 * scroll into view or, one per idle period, after that. A chart whose data changed while out of view is
 * marked and redrawn the same way.
 */
import type { EChartsOption } from 'echarts';
import {
  contourOption, historyOption, importanceOption, intermediateOption, parallelOption, paretoOption, sliceOption,
} from '../../plot/options/index.js';
import type { StudyJSON, TrialJSON, TrialStateName } from '../../trial/json.js';
import { api, events, type StudyTimings } from './api.js';
import { chartBox, type ChartBox } from './charts.js';
import { h, labelled, replace, select } from './dom.js';
import type { View } from './studies.js';
import type { SurrogateExplorer, SurrogateHooks } from './surrogate.js';
import { trialTable } from './table.js';

/** Live updates are merged at once but drawn at most this often (the target is within 2 s of a trial); see drawCost. */
const REDRAW_MS = 300;
/** Importance is recomputed on the server: at most this often while trials arrive. */
const IMPORTANCE_MS = 5000;
/** How much of a chart must show in the window for it to count as in view (px). */
const VISIBLE_PX = 100;
/** A chart out of view waits for an idle period, or at most this long (ms), before it is drawn. */
const IDLE_TIMEOUT_MS = 2000;

/** Runs `f` when the main thread is idle (or after `timeout` ms); returns the cancel function. */
function whenIdle(f: () => void, timeout = IDLE_TIMEOUT_MS): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(() => f(), { timeout });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(f, 50);
  return () => clearTimeout(id);
}

/** A task boundary: what is queued (input, paint) runs before the caller goes on. */
const nextTask = () => new Promise<void>((r) => setTimeout(r, 0));

/**
 * Whether `el` shows in the window: VISIBLE_PX of it, or half of it if smaller (a chart whose top few
 * pixels peek above the fold waits for the idle period or the scroll).
 */
function inView(el: HTMLElement): boolean {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || r.right <= 0 || r.left >= window.innerWidth) return false;
  return Math.min(r.bottom, window.innerHeight) - Math.max(r.top, 0) >= Math.min(VISIBLE_PX, r.height / 2);
}

/** One thing the page draws: a chart, or the table. */
interface Part {
  readonly name: string;
  readonly el: HTMLElement;
  readonly box: ChartBox | null;
  readonly draw: () => void;
  /** Its data or options changed since it was last drawn. */
  dirty: boolean;
  /** Not to be drawn yet: its data is still on its way. */
  held: boolean;
}

export interface StudyView extends View {
  /** Settles when importance is drawn (or its failure shown). */
  readonly importanceReady: Promise<void>;
  /** The surrogate explorer's hooks once its chunk is loaded (after `ready`); null before. */
  readonly surrogate: SurrogateHooks | null;
  /** The study as the page holds it now (trials merged from the event stream). */
  current(): StudyJSON | null;
  /**
   * `start`: performance.now() when the view asked for the study; `fetch` (the response, requested
   * earlier by api.ts, and its JSON parse), `expand` (the columns to TrialJSON), each part's last draw,
   * and on the first load `frames` (the charts' progressive frames after their draws) and `idle` (the
   * wait for an idle period after them), in milliseconds.
   */
  readonly drawMs: Record<string, number>;
  /** Settles once every chart has been drawn after the first load (those out of view included). */
  readonly drawn: Promise<void>;
}

function section(id: string, title: string, ...body: (HTMLElement | null)[]): HTMLElement {
  return h('section', { class: 'card', id }, h('h2', null, title), ...body);
}

export function studyView(studyId: number): StudyView {
  const root = h('div', { class: 'page', id: 'study-page' });
  const header = h('header', { class: 'study-header' });
  const body = h('div', { class: 'sections' });
  const status = h('p', { class: 'note', id: 'study-status' }, 'Loading…');
  root.append(h('p', null, h('a', { attrs: { href: '#/' } }, '← Studies')), header, status, body);

  let study: StudyJSON | null = null;
  let trials: TrialJSON[] = [];
  const index = new Map<number, number>();  // trialId → position in `trials`
  let objective = 0;
  let log = false;
  let sliceParam = '';
  let contourX = '';
  let contourY = '';
  let paretoPair: [number, number] = [0, 1];
  let params: string[] = [];
  let disposed = false;

  const boxes: ChartBox[] = [];
  const box = (id: string, height?: number) => {
    const b = chartBox(id, height === undefined ? {} : { height });
    boxes.push(b);
    return b;
  };
  const history = box('chart-history');
  const parallel = box('chart-parallel', 420);
  const slice = box('chart-slice');
  const contour = box('chart-contour', 440);
  const intermediate = box('chart-intermediate');
  const pareto = box('chart-pareto', 420);
  const importance = box('chart-importance');
  const table = trialTable();
  // The explorer's place on the page; filled when its chunk is loaded (loadExplorer).
  const explorerSlot = h('div', { class: 'surrogate-slot' }, h('p', { class: 'note' }, 'Loading the surrogate explorer…'));
  let explorer: SurrogateExplorer | null = null;
  let explorerLoading: Promise<SurrogateExplorer | null> | null = null;
  /**
   * Imports the explorer's chunk (once) and puts the explorer on the page; it reads `?gpu=` from the
   * address itself (surrogate.ts, parseModeChoice). Null when the view is gone or the chunk failed.
   */
  function loadExplorer(): Promise<SurrogateExplorer | null> {
    explorerLoading ??= import('./surrogate.js').then(
      (m) => {
        if (disposed) return null;
        explorer = m.surrogateExplorer(studyId);
        replace(explorerSlot, explorer.root);
        return explorer;
      },
      (e: unknown) => {
        replace(explorerSlot, h('p', { class: 'note' }, `Could not load the surrogate explorer: ${e instanceof Error ? e.message : String(e)}`));
        return null;
      },
    );
    return explorerLoading;
  }

  const historyControls = h('div', { class: 'controls' });
  const sliceControls = h('div', { class: 'controls' });
  const contourControls = h('div', { class: 'controls' });
  const paretoControls = h('div', { class: 'controls' });
  const importanceStatus = h('p', { class: 'note', id: 'importance-status' }, 'Computing importance…');

  const snapshot = (): StudyJSON => ({ ...study!, trials });

  /** Each distinct `distributions` object once: the trials of a study loaded in columns share a few. */
  function distinctDistributions(s: StudyJSON): Set<TrialJSON['distributions']> {
    const seen = new Set<TrialJSON['distributions']>();
    for (const t of s.trials) seen.add(t.distributions);
    return seen;
  }

  function paramList(s: StudyJSON): string[] {
    const names = new Set<string>();
    for (const ds of distinctDistributions(s)) for (const n of Object.keys(ds)) names.add(n);
    return [...names].sort();
  }

  function renderHeader(s: StudyJSON) {
    const counts: Record<TrialStateName, number> = { COMPLETE: 0, PRUNED: 0, FAIL: 0, RUNNING: 0, WAITING: 0 };
    for (const t of s.trials) counts[t.state] += 1;
    const attrs = Object.keys(s.userAttrs).sort();
    replace(
      header,
      h('h1', { id: 'study-name' }, s.name),
      h('p', { class: 'meta' }, `Directions: ${s.directions.join(', ')} · ${s.trials.length} trials · `, ...Object.entries(counts).filter(([, c]) => c > 0).map(([st, c]) => h('span', { class: `state state-${st.toLowerCase()}` }, `${st} ${c}`))),
      attrs.length === 0 ? null : h('p', { class: 'meta' }, 'User attributes: ', ...attrs.map((k) => h('code', null, `${k}: ${typeof s.userAttrs[k] === 'string' ? s.userAttrs[k] : JSON.stringify(s.userAttrs[k])}`))),
    );
  }

  function renderControls(s: StudyJSON) {
    const objChoices = s.directions.map((d, i) => [String(i), `Objective ${i} (${d})`] as const);
    const logBox = h('input', { id: 'history-log', attrs: { type: 'checkbox' } });
    logBox.checked = log;
    logBox.addEventListener('change', () => {
      log = logBox.checked;
      drawNow('history');
    });
    replace(
      historyControls,
      s.directions.length > 1
        ? labelled('Objective', select(objChoices, String(objective), (v) => {
            objective = Number(v);
            redraw('history');
            void loadImportance(true);
            // Not loaded yet: the load after the import reads the objective then.
            void explorer?.load(objective);
          }, { id: 'objective-select' }))
        : null,
      h('label', { class: 'control' }, logBox, h('span', null, 'Log scale')),
    );
    const pChoices = params.map((p) => [p, p] as const);
    replace(sliceControls, params.length > 0 ? labelled('Parameter', select(pChoices, sliceParam, (v) => {
      sliceParam = v;
      drawNow('slice');
    }, { id: 'slice-param' })) : null);
    replace(
      contourControls,
      params.length > 1 ? labelled('x', select(pChoices, contourX, (v) => {
        contourX = v;
        drawNow('contour');
      }, { id: 'contour-x' })) : null,
      params.length > 1 ? labelled('y', select(pChoices, contourY, (v) => {
        contourY = v;
        drawNow('contour');
      }, { id: 'contour-y' })) : null,
    );
    replace(
      paretoControls,
      s.directions.length > 2 ? labelled('x', select(objChoices, String(paretoPair[0]), (v) => {
        paretoPair = [Number(v), paretoPair[1]];
        drawNow('pareto');
      }, { id: 'pareto-x' })) : null,
      s.directions.length > 2 ? labelled('y', select(objChoices, String(paretoPair[1]), (v) => {
        paretoPair = [paretoPair[0], Number(v)];
        drawNow('pareto');
      }, { id: 'pareto-y' })) : null,
    );
  }

  const empty = (what: string, why: string): EChartsOption => ({ title: { text: what, subtext: why, left: 'center' }, series: [] });

  function drawHistory() {
    history.draw(() => historyOption(snapshot(), { objective, log }));
  }
  function drawSlice() {
    slice.draw(() => (sliceParam === '' ? empty('Slice', 'no parameters yet') : sliceOption(snapshot(), { param: sliceParam, objective })));
  }
  function drawContour() {
    contour.draw(() =>
      contourX === '' || contourY === '' || contourX === contourY
        ? empty('Contour', params.length < 2 ? 'needs two parameters' : 'choose two different parameters')
        : contourOption(snapshot(), { x: contourX, y: contourY, objective }),
    );
  }
  function drawPareto() {
    if (study && study.directions.length > 1) pareto.draw(() => paretoOption(snapshot(), { objectives: paretoPair }));
  }
  /** Milliseconds of each part's last draw (read by bench/dashboard/scale.ts). */
  const drawMs: Record<string, number> = {};
  /** In page order; made once the study is in (pareto only for several objectives). */
  let parts: Part[] = [];
  /** The first load is drawn (ready): from then on `pump` draws what is marked. */
  let loaded = false;
  /** Milliseconds spent drawing since the last live redraw began (its cost, for the throttle). */
  let cycleCost = 0;
  let resolveDrawn: () => void = () => {};
  const drawn = new Promise<void>((r) => (resolveDrawn = r));
  const part = (name: string, el: HTMLElement, b: ChartBox | null, draw: () => void): Part => ({ name, el, box: b, draw, dirty: true, held: false });
  /** Marked (dirty), not held, and in view if `visible`. */
  const due = (p: Part, visible: boolean) => p.dirty && !p.held && (!visible || inView(p.el));
  function makeParts(multi: boolean): Part[] {
    return [
      part('history', history.root, history, drawHistory),
      part('parallel', parallel.root, parallel, () => parallel.draw(() => parallelOption(snapshot(), { objective }))),
      part('slice', slice.root, slice, drawSlice),
      part('contour', contour.root, contour, drawContour),
      { ...part('intermediate', intermediate.root, intermediate, () => intermediate.draw(() => intermediateOption(snapshot()))), held: true },
      ...(multi ? [part('pareto', pareto.root, pareto, drawPareto)] : []),
      part('table', table.root, null, () => table.update(snapshot())),
    ];
  }
  function drawPart(p: Part) {
    p.dirty = false;
    const t = performance.now();
    p.draw();
    const ms = performance.now() - t;
    drawMs[p.name] = ms;
    cycleCost += ms;
  }
  /** Draws the named part now (its control changed: it is in view). */
  function drawNow(name: string) {
    const p = parts.find((q) => q.name === name);
    if (p && !p.held) drawPart(p);
  }
  /**
   * Marks every part for a redraw and draws those in view now (`first` before them, in view or not: its
   * control changed); the others follow through `pump`.
   */
  function redraw(first?: string) {
    for (const p of parts) p.dirty = true;
    if (first !== undefined) drawNow(first);
    for (const p of parts) if (due(p, true)) drawPart(p);
    pump();
  }

  // The parts left to draw, one per task: those in view first (a task each), then the others one per
  // idle period. Scrolling one into view moves it to the front.
  let cancelPump: (() => void) | null = null;
  function pump() {
    if (!loaded || disposed || cancelPump !== null) return;
    const next = () => {
      cancelPump = null;
      if (disposed) return;
      const p = parts.find((q) => due(q, true)) ?? parts.find((q) => due(q, false));
      if (p) drawPart(p);
      pump();
    };
    if (parts.some((q) => due(q, true))) {
      const id = setTimeout(next, 0);
      cancelPump = () => clearTimeout(id);
    } else if (parts.some((q) => due(q, false))) {
      cancelPump = whenIdle(next);
    } else if (!parts.some((q) => q.held)) {
      resolveDrawn();
    }
  }
  const observer = typeof IntersectionObserver === 'function'
    ? new IntersectionObserver((entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        // A marked chart scrolled into view: draw it at the next task rather than the next idle period.
        if (cancelPump !== null && parts.some((q) => due(q, true))) {
          cancelPump();
          cancelPump = null;
        }
        pump();
      })
    : null;

  /**
   * The first draw: the table's first page and the charts in view, one per task (the page paints and
   * answers input between them), then their progressive frames; resolves once the main thread is idle.
   */
  async function drawFirst() {
    for (const p of parts) {
      if (p.held || (p.name !== 'table' && !inView(p.el))) continue;
      drawPart(p);
      await nextTask();
      if (disposed) return;
    }
    let t = performance.now();
    await Promise.all(parts.filter((p) => p.box !== null && !p.dirty).map((p) => p.box!.settled()));
    drawMs['frames'] = performance.now() - t;
    t = performance.now();
    await new Promise<void>((r) => whenIdle(r));
    drawMs['idle'] = performance.now() - t;
    if (disposed) return;
    for (const p of parts) observer?.observe(p.el);
    loaded = true;
  }

  /**
   * The intermediate values, which the study's columns leave out (half of their size on a study of a
   * few steps per trial): fetched once the page is ready, set on the trials of the first load (a trial
   * since replaced by a live update has its own), then the chart is drawn.
   */
  async function loadIntermediate(fromColumns: ReadonlySet<TrialJSON>): Promise<void> {
    const p = parts.find((q) => q.name === 'intermediate')!;
    try {
      const r = await api.intermediate(studyId);
      if (disposed) return;
      const byId = new Map<number, readonly (readonly [number, number])[]>();
      r.trialId.forEach((id, i) => byId.set(id, r.intermediate[i]!));
      for (const t of trials) {
        const values = byId.get(t.trialId);
        // The page's own records, made by studyFromColumns: set in place rather than copied.
        if (values !== undefined && fromColumns.has(t)) (t as { intermediate: TrialJSON['intermediate'] }).intermediate = values;
      }
    } catch (e) {
      console.error('Intermediate values not loaded', e);
    }
    p.held = false;
    p.dirty = true;
    pump();
  }

  // Importance: after everything else; again while trials arrive, at most every IMPORTANCE_MS.
  let importanceLoaded = 0;
  let importanceTimer: ReturnType<typeof setTimeout> | null = null;
  let resolveImportance: () => void = () => {};
  const importanceReady = new Promise<void>((r) => (resolveImportance = r));
  async function loadImportance(now = false): Promise<void> {
    if (disposed) return;
    const wait = now ? 0 : Math.max(0, importanceLoaded + IMPORTANCE_MS - Date.now());
    if (importanceTimer !== null) {
      if (!now) return;
      clearTimeout(importanceTimer);
    }
    importanceTimer = setTimeout(async () => {
      importanceTimer = null;
      importanceLoaded = Date.now();
      try {
        const r = await api.importance(studyId, objective);
        if (disposed) return;
        importance.draw(() => importanceOption(r));
        importanceStatus.textContent = `fANOVA on ${r.nTrials} complete trials.`;
      } catch (e) {
        importanceStatus.textContent = `No importance yet: ${e instanceof Error ? e.message : String(e)}`;
      }
      resolveImportance();
    }, wait);
  }

  // Trial deltas: merged into `trials` as they come, drawn on the next tick of the throttle.
  let redrawTimer: ReturnType<typeof setTimeout> | null = null;
  let lastDraw = 0;
  // A large study's redraw takes a while (about 2 s at 50,000 trials): the page then redraws at most
  // every other such interval, leaving the rest to input.
  let drawCost = 0;
  function merge(delta: readonly TrialJSON[]) {
    if (!study) return;
    let reorder = false;
    for (const t of delta) {
      const i = index.get(t.trialId);
      if (i === undefined) {
        if (trials.length > 0 && trials[trials.length - 1]!.number > t.number) reorder = true;
        index.set(t.trialId, trials.length);
        trials.push(t);
      } else {
        trials[i] = t;
      }
    }
    if (reorder) {
      trials.sort((a, b) => a.number - b.number);
      index.clear();
      trials.forEach((t, i) => index.set(t.trialId, i));
    }
    // A new array: the builders and the table see one consistent snapshot.
    trials = trials.slice();
    if (redrawTimer !== null) return;
    redrawTimer = setTimeout(() => {
      redrawTimer = null;
      lastDraw = Date.now();
      const t0 = performance.now();
      if (disposed || !study) return;
      const s = snapshot();
      const before = params.join('\u0000');
      params = paramList(s);
      if (params.join('\u0000') !== before) {
        pickDefaults(s);
        renderControls(s);
      }
      renderHeader(s);
      cycleCost = 0;
      redraw();
      // The parts in view, drawn now; those marked for later add their cost as they are drawn.
      drawCost = Math.max(cycleCost, performance.now() - t0);
      void loadImportance();
    }, Math.max(0, lastDraw + Math.max(REDRAW_MS, 2 * drawCost) - Date.now()));
  }

  /** Numeric parameters first: a contour over two categorical axes has a handful of cells. */
  function pickDefaults(s: StudyJSON) {
    const categorical = new Set<string>();
    for (const ds of distinctDistributions(s)) for (const [n, d] of Object.entries(ds)) if (d.type === 'categorical') categorical.add(n);
    const ordered = [...params.filter((p) => !categorical.has(p)), ...params.filter((p) => categorical.has(p))];
    if (!params.includes(sliceParam)) sliceParam = ordered[0] ?? '';
    if (!params.includes(contourX)) contourX = ordered[0] ?? '';
    if (!params.includes(contourY) || contourY === contourX) contourY = ordered.find((p) => p !== contourX) ?? '';
  }

  // Subscribing before the fetch: deltas that arrive meanwhile are merged once the study is in.
  const pending: TrialJSON[] = [];
  const unsubscribe = events.trials(studyId, (d) => {
    if (study) merge(d.trials);
    else pending.push(...d.trials);
  });

  const ready = (async () => {
    try {
      drawMs['start'] = performance.now();
      const timings: StudyTimings = { fetch: 0, expand: 0 };
      const s = await api.study(studyId, timings);
      drawMs['fetch'] = timings.fetch;
      drawMs['expand'] = timings.expand;
      if (disposed) return;
      study = s;
      trials = [...s.trials];
      trials.forEach((t, i) => index.set(t.trialId, i));
      document.title = `${s.name} — tunable dashboard`;
      params = paramList(s);
      pickDefaults(s);
      renderHeader(s);
      status.hidden = true;
      const multi = s.directions.length > 1;
      replace(
        body,
        section('section-history', 'Optimization history', historyControls, history.root),
        section('section-parallel', 'Parallel coordinates', parallel.root),
        h('div', { class: 'pair' },
          section('section-slice', 'Slice', sliceControls, slice.root),
          section('section-contour', 'Contour', contourControls, contour.root)),
        h('div', { class: 'pair' },
          section('section-intermediate', 'Intermediate values', intermediate.root),
          multi ? section('section-pareto', 'Pareto front', paretoControls, pareto.root) : section('section-importance', 'Hyperparameter importance', importanceStatus, importance.root)),
        multi ? section('section-importance', 'Hyperparameter importance', importanceStatus, importance.root) : null,
        section('section-trials', 'Trials', table.root),
        section('section-surrogate', 'Surrogate explorer (Gaussian process)', explorerSlot),
      );
      renderControls(s);
      parts = makeParts(multi);
      const fromColumns = new Set(trials);
      drawMs['prepare'] = performance.now() - drawMs['start'] - drawMs['fetch'] - drawMs['expand'];
      await drawFirst();
      if (disposed) return;
      pump();
      void loadIntermediate(fromColumns);
      if (pending.length > 0) merge(pending.splice(0));
    } catch (e) {
      status.textContent = `Could not load study ${studyId}: ${e instanceof Error ? e.message : String(e)}`;
      throw e;
    }
  })();
  // The page is interactive first; then importance and the surrogate's model.
  void ready.then(
    () => {
      void loadImportance(true);
      void loadExplorer().then((e) => e?.load(objective));
    },
    () => {},
  );

  return {
    root,
    ready,
    importanceReady,
    get surrogate() {
      return explorer?.hooks ?? null;
    },
    current: () => (study ? snapshot() : null),
    drawMs,
    drawn,
    dispose() {
      disposed = true;
      unsubscribe();
      cancelPump?.();
      observer?.disconnect();
      if (redrawTimer !== null) clearTimeout(redrawTimer);
      if (importanceTimer !== null) clearTimeout(importanceTimer);
      for (const b of boxes) b.dispose();
      explorer?.dispose();
    },
  };
}
