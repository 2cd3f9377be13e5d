/**
 * The dashboard's page in a real Chromium (test/browser.ts), served by startDashboard over a seeded
 * SQLite study: what a person sees — the studies list, the charts' data (read from the ECharts
 * options), the contour's redraw on a new choice, live updates without reload, the trial table, text
 * that holds markup shown as text. Screenshots go to os.tmpdir()/tunable-dashboard-shots/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { RandomSampler } from '../../src/samplers/random.js';
import { createStorage } from '../../src/storage/index.js';
import { createStudy } from '../../src/study/study.js';
import { TrialState } from '../../src/trial/index.js';
import { floatDistribution } from '../../src/distributions/index.js';
import { setLogLevel } from '../../src/util/log.js';
import { collectErrors, ensureWebBuild, launchBrowser, shotsDir } from '../browser.js';
import { seedStudy, tempDb, type TempDb } from './seed.js';

const XSS_NAME = '<script>window.__xss=1;alert(1)</script>';
const XSS_ATTR = '<script>window.__xss=2;alert(1)</script><img src=x onerror="window.__xss=3">';

interface Ctx {
  db: TempDb;
  dash: Dashboard;
  browser: Browser;
  page: Page;
  errors: string[];
  dialogs: string[];
}

let open: Ctx | null = null;

beforeAll(() => {
  setLogLevel('warning');
  ensureWebBuild();
}, 120_000);

afterEach(async () => {
  if (!open) return;
  const c = open;
  open = null;
  await c.browser.close();
  await c.dash.close();
  c.db.remove();
});

async function setUp(seed: (url: string) => Promise<void>): Promise<Ctx> {
  const db = tempDb();
  await seed(db.url);
  const dash = await startDashboard({ storage: db.url, port: 0, pollMs: 200 });
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = collectErrors(page);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  open = { db, dash, browser, page, errors, dialogs };
  return open;
}

async function goto(c: Ctx, hash: string): Promise<void> {
  await c.page.goto(`${c.dash.url.replace(/\/$/, '')}/${hash}`);
  await c.page.evaluate(() => window.__tunable.ready);
}

async function shot(c: Ctx, name: string): Promise<void> {
  const path = join(shotsDir(), `${name}.png`);
  await c.page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** A series' data of the chart in `#id`, by series id. */
function seriesData(page: Page, id: string, series: string): Promise<unknown[] | null> {
  return page.evaluate(
    ([id, series]) => {
      const el = document.getElementById(id!);
      const chart = el && window.__tunable.echarts.getInstanceByDom(el);
      if (!chart) return null;
      const opt = chart.getOption() as { series?: { id?: string; data?: unknown[] }[] };
      const s = opt.series?.find((x) => x.id === series);
      return s?.data ? JSON.parse(JSON.stringify(s.data)) : null;
    },
    [id, series] as const,
  );
}

/** Page errors other than the favicon's 404. */
function realErrors(c: Ctx): string[] {
  return c.errors.filter((e) => !/Failed to load resource: .*404/.test(e));
}

describe('dashboard page (Chromium)', () => {
  it('lists the studies with their trials by state and best value', async () => {
    const c = await setUp(async (url) => {
      await seedStudy(url, 'branin', 24, 1);
      await seedStudy(url, 'second', 10, 2);
    });
    await goto(c, '');
    const rows = await c.page.$$eval('#studies-table tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')),
    );
    expect(rows.map((r) => r[0])).toEqual(['branin', 'second']);
    expect(rows[0]![1]).toBe('minimize');
    // seedStudy prunes trials 3, 10 and 17 of 24
    expect(rows[0]![2]).toContain('COMPLETE 21');
    expect(rows[0]![2]).toContain('PRUNED 3');
    const storage = createStorage(c.db.url);
    try {
      const summaries = await storage.getAllStudies();
      const best = summaries.find((s) => s.studyName === 'branin')!.bestTrial!;
      expect(rows[0]![3]).toContain(`(trial ${best.number})`);
    } finally {
      await storage.close();
    }
    await shot(c, 'studies');
    // The link opens the study page.
    await c.page.click('#studies-table a.study-link >> nth=0');
    await c.page.waitForFunction(() => window.__tunable.route.startsWith('/study/'));
    await c.page.evaluate(() => window.__tunable.ready);
    expect(await c.page.textContent('#study-name')).toBe('branin');
    expect(realErrors(c)).toEqual([]);
  });

  it('draws the history chart with one point per complete trial, holding the stored values', async () => {
    const c = await setUp((url) => seedStudy(url, 'branin', 30, 3).then(() => {}));
    await goto(c, '#/study/1');
    const storage = createStorage(c.db.url);
    let expected: [number, number][];
    try {
      const trials = await storage.getAllTrials(1, [TrialState.COMPLETE]);
      expected = trials.map((t) => [t.number, t.values![0]!] as [number, number]).sort((a, b) => a[0] - b[0]);
    } finally {
      await storage.close();
    }
    const values = (await seriesData(c.page, 'chart-history', 'values')) as [number, number][];
    expect(values).toEqual(expected);
    // Best so far: non-increasing (minimised), ending at the best value.
    const best = (await seriesData(c.page, 'chart-history', 'best')) as [number, number][];
    expect(best.at(-1)![1]).toBe(Math.min(...expected.map((e) => e[1])));
    // The charts in view are drawn once the page is ready, the others after (as they scroll into view
    // or when the page is idle); importance last.
    await c.page.evaluate(() => window.__tunable.drawn);
    for (const id of ['chart-history', 'chart-parallel', 'chart-slice', 'chart-contour', 'chart-intermediate']) {
      expect(await c.page.evaluate((id) => window.__tunable.echarts.getInstanceByDom(document.getElementById(id)!) !== undefined, id)).toBe(true);
    }
    await c.page.evaluate(() => window.__tunable.importanceReady);
    const bars = await c.page.evaluate(() => {
      const chart = window.__tunable.echarts.getInstanceByDom(document.getElementById('chart-importance')!);
      return chart ? (chart.getOption() as { series: unknown[] }).series.length : 0;
    });
    expect(bars).toBeGreaterThan(0);
    // The log-scale toggle redraws with a log axis.
    await c.page.check('#history-log');
    const yType = await c.page.evaluate(() => {
      const chart = window.__tunable.echarts.getInstanceByDom(document.getElementById('chart-history')!)!;
      return (chart.getOption() as { yAxis: { type: string }[] }).yAxis[0]!.type;
    });
    expect(yType).toBe('log');
    // The explorer's chunk is imported after ready: its hooks appear then.
    await c.page.waitForFunction(() => window.__tunable.surrogate !== null);
    await c.page.evaluate(() => window.__tunable.surrogate!.ready);
    await shot(c, 'study');
    expect(realErrors(c)).toEqual([]);
  });

  it('redraws the contour for the two parameters chosen', async () => {
    const c = await setUp((url) => seedStudy(url, 'branin', 30, 4).then(() => {}));
    await goto(c, '#/study/1');
    const storage = createStorage(c.db.url);
    const trials = await storage.getAllTrials(1, [TrialState.COMPLETE]).finally(() => storage.close());
    await c.page.evaluate(() => window.__tunable.drawn);
    const before = (await seriesData(c.page, 'chart-contour', 'points')) as number[][];
    await c.page.selectOption('#contour-x', 'lr');
    await c.page.selectOption('#contour-y', 'layers');
    // The redraw is synchronous on `change`; polled anyway so a slower machine does not flake.
    const byNumber = new Map(trials.map((t) => [t.number, t]));
    const matches = (pts: number[][] | null) =>
      pts !== null && pts.length > 0 && pts.every(([x, , , n]) => Math.abs(x! - (byNumber.get(n!)!.params['lr'] as number)) < 1e-12);
    for (let i = 0; i < 50 && !matches((await seriesData(c.page, 'chart-contour', 'points')) as number[][]); i++) await c.page.waitForTimeout(100);
    const after = (await seriesData(c.page, 'chart-contour', 'points')) as number[][];
    expect(after).not.toEqual(before);
    // [x, y, value, trialNumber]: x and y are now each trial's lr and layers.
    expect(after.length).toBe(trials.length);
    for (const [x, y, , number] of after) {
      const t = byNumber.get(number!)!;
      expect(x).toBeCloseTo(t.params['lr'] as number, 12);
      expect(y).toBe(t.params['layers']);
    }
    const cells = (await seriesData(c.page, 'chart-contour', 'contour')) as unknown[];
    expect(cells.length).toBeGreaterThan(0);
    await shot(c, 'contour-lr-layers');
  });

  it('shows a trial added through another storage within 2 s, without reloading', async () => {
    const c = await setUp((url) => seedStudy(url, 'branin', 12, 5).then(() => {}));
    await goto(c, '#/study/1');
    await c.page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 42));
    const before = (await seriesData(c.page, 'chart-history', 'values')) as [number, number][];
    // Another storage object on the same file adds a COMPLETE trial.
    const other = createStorage(c.db.url);
    let number: number;
    const value = 0.125;
    try {
      const t = await other.createTrial(1);
      number = t.number;
      await other.setTrialParam(t.trialId, 'x', 1.5, floatDistribution(-5, 10));
      await other.setTrialState(t.trialId, TrialState.COMPLETE, [value]);
    } finally {
      await other.close();
    }
    const added = Date.now();
    await c.page.waitForFunction(
      (n) => {
        const chart = window.__tunable.echarts.getInstanceByDom(document.getElementById('chart-history')!)!;
        const s = (chart.getOption() as { series: { id: string; data: [number, number][] }[] }).series.find((x) => x.id === 'values')!;
        return s.data.some((p) => p[0] === n);
      },
      number,
      { timeout: 2000, polling: 50 },
    );
    const elapsed = Date.now() - added;
    console.log(`live update shown after ${elapsed} ms`);
    expect(elapsed).toBeLessThanOrEqual(2000);
    const after = (await seriesData(c.page, 'chart-history', 'values')) as [number, number][];
    expect(after).toEqual([...before, [number, value]]);
    expect(await c.page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(42);
    // The table shows it too (sorted by number: last page, last row).
    await c.page.waitForSelector(`#trials-table tr[data-number="${number}"]`, { timeout: 2000 });
    await shot(c, 'live-update');
  });

  it('sorts and filters the trial table', async () => {
    const c = await setUp((url) => seedStudy(url, 'branin', 70, 6).then(() => {}));
    await goto(c, '#/study/1');
    const numbers = () => c.page.$$eval('#trials-table tbody tr', (trs) => trs.map((tr) => Number(tr.getAttribute('data-number'))));
    // One page of 50 rows of 70, in number order.
    expect(await numbers()).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await c.page.textContent('#trials-page-info')).toContain('of 70');
    // Sort by value: ascending, the best (smallest) first; again: descending.
    await c.page.click('#trials-table th button[data-key="value:0"]');
    const storage = createStorage(c.db.url);
    const all0 = await storage.getAllTrials(1).finally(() => storage.close());
    // Every trial with a value sorts by it (a PRUNED trial carries its last reported value).
    const sorted = all0.filter((t) => t.values !== null).sort((a, b) => a.values![0]! - b.values![0]! || a.number - b.number);
    expect((await numbers()).slice(0, 5)).toEqual(sorted.slice(0, 5).map((t) => t.number));
    await c.page.click('#trials-table th button[data-key="value:0"]');
    expect((await numbers())[0]).toBe(sorted.at(-1)!.number);
    // State filter.
    await c.page.selectOption('#filter-state', 'PRUNED');
    const states = await c.page.$$eval('#trials-table tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-state')));
    expect(states.length).toBe(10);
    expect(new Set(states)).toEqual(new Set(['PRUNED']));
    // Parameter range filter: x in [0, 5], in number order again.
    await c.page.selectOption('#filter-state', 'ALL');
    await c.page.click('#trials-table th button[data-key="number"]');
    await c.page.selectOption('#filter-param', 'x');
    await c.page.fill('#filter-low', '0');
    await c.page.fill('#filter-high', '5');
    const all = await createStorage(c.db.url);
    const trials = await all.getAllTrials(1).finally(() => all.close());
    const inRange = trials.filter((t) => (t.params['x'] as number) >= 0 && (t.params['x'] as number) <= 5).map((t) => t.number);
    expect(await numbers()).toEqual(inRange.slice(0, 50));
    // Parameters, values, duration and attributes are text cells.
    const headers = await c.page.$$eval('#trials-table thead th', (ths) => ths.map((th) => th.textContent ?? ''));
    for (const h of ['Number', 'State', 'Duration', 'x', 'lr', 'act', 'User attributes', 'System attributes']) {
      expect(headers.some((t) => t.startsWith(h))).toBe(true);
    }
    await shot(c, 'table');
  });

  it('draws a two-objective study: objective chooser, Pareto front', async () => {
    const c = await setUp(async (url) => {
      const study = await createStudy({ storage: url, studyName: 'two', directions: ['minimize', 'maximize'], sampler: new RandomSampler({ seed: 8 }) });
      await study.optimize((t) => {
        const x = t.suggestFloat('x', 0, 1);
        const y = t.suggestFloat('y', 0, 1);
        return [x * x + y, Math.sin(3 * x) + y * y];
      }, { nTrials: 25 });
    });
    await goto(c, '#/study/1');
    const storage = createStorage(c.db.url);
    const trials = await storage.getAllTrials(1, [TrialState.COMPLETE]).finally(() => storage.close());
    const expected = (k: number) => trials.map((t) => [t.number, t.values![k]!]);
    expect(await seriesData(c.page, 'chart-history', 'values')).toEqual(expected(0));
    await c.page.selectOption('#objective-select', '1');
    expect(await seriesData(c.page, 'chart-history', 'values')).toEqual(expected(1));
    await c.page.evaluate(() => window.__tunable.drawn);
    const pareto = await c.page.evaluate(() => {
      const chart = window.__tunable.echarts.getInstanceByDom(document.getElementById('chart-pareto')!);
      return chart ? (chart.getOption() as { series: unknown[] }).series.length : 0;
    });
    expect(pareto).toBeGreaterThan(0);
    await c.page.evaluate(() => window.__tunable.importanceReady);
    await shot(c, 'two-objectives');
    expect(realErrors(c)).toEqual([]);
  });

  it('renders a study name and a user attribute holding markup as text, running nothing', async () => {
    const c = await setUp((url) => seedStudy(url, XSS_NAME, 8, 7, { payload: XSS_ATTR }).then(() => {}));
    await goto(c, '');
    expect(await c.page.textContent('#studies-table a.study-link')).toBe(XSS_NAME);
    await goto(c, '#/study/1');
    expect(await c.page.textContent('#study-name')).toBe(XSS_NAME);
    // The attribute is visible as text in the table; no element came from it.
    const attrs = await c.page.$$eval('#trials-table td.attrs', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(attrs.some((t) => t.includes(`payload: ${XSS_ATTR}`))).toBe(true);
    expect(await c.page.$$eval('#app script, #app img', (els) => els.length)).toBe(0);
    await c.page.evaluate(() => window.__tunable.importanceReady);
    // The explorer's chunk is imported after ready: its hooks appear then.
    await c.page.waitForFunction(() => window.__tunable.surrogate !== null);
    await c.page.evaluate(() => window.__tunable.surrogate!.ready);
    await c.page.waitForTimeout(300);
    expect(await c.page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(c.dialogs).toEqual([]);
    await shot(c, 'xss');
  });
});
