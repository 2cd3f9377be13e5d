/**
 * The dashboard page: a hash router over two views, the studies list (`#/`) and a study
 * (`#/study/<id>`). `?gpu=webgl|cpu|auto` in the address chooses where the surrogate explorer's gpu.js
 * kernels run (WebGL2, gpu.js's CPU mode, or chosen from the renderer: the default); the explorer reads
 * it itself (surrogate.ts, parseModeChoice), so this module names neither it nor gpu.js, which stay in
 * the explorer's chunk, loaded after the page is ready.
 *
 * `window.__tunable` is the page's test surface: the ECharts module (so a test can read a chart's
 * option with `getInstanceByDom`), `ready` (the current view shows its data; a study page is
 * interactive: the charts in the window drawn and painted, the table's first page shown, the main
 * thread idle), `drawn` (a study page's other charts drawn too, but importance), `importanceReady`,
 * `surrogate` (surrogate.ts, SurrogateHooks; null until the explorer's chunk is loaded, after `ready`)
 * and `timings`.
 */
// First: it requests the study of the address while the rest of the script is evaluated.
import './api.js';
import './styles.css';
import { echarts } from './charts.js';
import { replace } from './dom.js';
import { studiesView, type View } from './studies.js';
import type { SurrogateHooks } from './surrogate.js';
import { studyView, type StudyView } from './study.js';

interface TestSurface {
  echarts: typeof echarts;
  ready: Promise<void>;
  drawn: Promise<void>;
  importanceReady: Promise<void>;
  readonly surrogate: SurrogateHooks | null;
  route: string;
  /**
   * performance.now() at the last navigation, when its view became ready and when every chart was
   * drawn; a study page's parts (ms, study.ts drawMs).
   */
  timings: { navigation: number; ready: number | null; drawn: number | null; parts: Record<string, number> };
}

declare global {
  interface Window {
    __tunable: TestSurface;
  }
}

const app = document.getElementById('app') ?? document.body;

let view: View | null = null;
let study: StudyView | null = null;

const surface: TestSurface = {
  echarts,
  ready: Promise.resolve(),
  drawn: Promise.resolve(),
  importanceReady: Promise.resolve(),
  // The study view's explorer, once its chunk is loaded.
  get surrogate() {
    return study?.surrogate ?? null;
  },
  route: '',
  timings: { navigation: 0, ready: null, drawn: null, parts: {} },
};
window.__tunable = surface;

function route(): void {
  view?.dispose();
  view = null;
  study = null;
  const hash = location.hash.replace(/^#/, '') || '/';
  surface.route = hash;
  surface.timings = { navigation: performance.now(), ready: null, drawn: null, parts: {} };
  const m = /^\/study\/(\d+)\/?$/.exec(hash);
  if (m) {
    const v = studyView(Number(m[1]));
    view = v;
    study = v;
    surface.importanceReady = v.importanceReady;
    surface.drawn = v.drawn;
    surface.timings.parts = v.drawMs;
  } else {
    view = studiesView();
    surface.importanceReady = Promise.resolve();
    surface.drawn = Promise.resolve();
    document.title = 'Studies — tunable dashboard';
  }
  replace(app, view.root);
  const timings = surface.timings;
  surface.ready = view.ready.then(() => {
    timings.ready = performance.now();
  });
  void surface.drawn.then(() => {
    timings.drawn = performance.now();
  });
  // A failed load is shown on the page; the promise stays for tests to inspect.
  surface.ready.catch(() => {});
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', route);
route();
