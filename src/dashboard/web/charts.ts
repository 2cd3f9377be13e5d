/**
 * ECharts on the page: one instance per chart div (stable ids the tests read with
 * `echarts.getInstanceByDom`), resized with the window, and an error note in place of a chart whose
 * builder refused its input (say a log axis over negative values).
 */
import type { EChartsOption } from 'echarts';
import { BarChart, HeatmapChart, LineChart, ParallelChart, ScatterChart } from 'echarts/charts';
import {
  AxisPointerComponent, DataZoomComponent, DatasetComponent, GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent,
  ParallelComponent, TitleComponent, TooltipComponent, VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

// Only what the builders of src/plot/options and the surrogate's heat maps use, not the whole of
// ECharts. NOTE: a chart type or component missing here is silently left out of the chart (the
// production build has no warning for it): register it here when a builder starts using one.
echarts.use([
  BarChart, HeatmapChart, LineChart, ParallelChart, ScatterChart,
  AxisPointerComponent, DataZoomComponent, DatasetComponent, GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent,
  ParallelComponent, TitleComponent, TooltipComponent, VisualMapComponent,
  CanvasRenderer,
]);
import { h, replace } from './dom.js';

export { echarts };

export interface ChartBox {
  readonly root: HTMLElement;
  readonly el: HTMLDivElement;
  /** The instance, once drawn (initialised on the first draw, when the div is in the document). */
  readonly chart: echarts.ECharts | null;
  /** Draws the builder's option; a thrown error is shown as text under the chart instead. */
  draw(build: () => EChartsOption): boolean;
  /**
   * Settles once the last draw is on screen: ECharts renders a large series over several frames
   * (progressive rendering) and says `finished` when the last is painted; at most SETTLE_MS.
   */
  settled(): Promise<void>;
  dispose(): void;
}

const live = new Set<echarts.ECharts>();

/** The longest wait for ECharts' `finished` after a draw (a chart that never says it must not hold the page). */
const SETTLE_MS = 3000;
let resizeBound = false;

export function chartBox(id: string, opts: { height?: number } = {}): ChartBox {
  const el = h('div', { id, class: 'chart' });
  el.style.height = `${opts.height ?? 380}px`;
  const note = h('p', { class: 'note error', attrs: { role: 'status' } });
  note.hidden = true;
  const root = h('div', { class: 'chart-wrap' }, el, note);
  let chart: echarts.ECharts | null = null;
  let settled: Promise<void> = Promise.resolve();
  if (!resizeBound) {
    resizeBound = true;
    // Debounced: a resize redraws every chart, seconds of work for a 50,000-trial study.
    let timer: ReturnType<typeof setTimeout> | null = null;
    window.addEventListener('resize', () => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        for (const c of live) c.resize();
      }, 200);
    });
  }
  return {
    root,
    el,
    get chart() {
      return chart;
    },
    draw(build) {
      try {
        const option = build();
        if (chart === null) {
          chart = echarts.init(el, null, { renderer: 'canvas' });
          live.add(chart);
        }
        const c = chart;
        // Listening before setOption: a small chart finishes within it.
        settled = new Promise<void>((done) => {
          const timer = setTimeout(finish, SETTLE_MS);
          function finish() {
            clearTimeout(timer);
            c.off('finished', finish);
            done();
          }
          c.on('finished', finish);
        });
        chart.setOption(option, { notMerge: true, lazyUpdate: false });
        note.hidden = true;
        return true;
      } catch (e) {
        settled = Promise.resolve();
        chart?.clear();
        replace(note, e instanceof Error ? e.message : String(e));
        note.hidden = false;
        return false;
      }
    },
    settled: () => settled,
    dispose() {
      if (chart === null) return;
      live.delete(chart);
      chart.dispose();
      chart = null;
    },
  };
}
