/**
 * The surrogate explorer in a real Chromium: the posterior the page computes with gpu.js (WebGL2 and
 * gpu.js's CPU mode, each forced: 'auto' picks CPU under the test browser's software renderer) agrees
 * with the engine's `gp.predict` on the same model (fitSurrogate in Node, the same function the server calls), at the page's own grid points and at the
 * training points, where the sd is smallest.
 *
 * Agreement, float32 on the GPU against float64 in the engine, within TOL = 1e-4 relative:
 *   mean      |μ_page − μ_engine| ≤ TOL · max(|μ_engine|, σ_f)
 *   variance  |σ²_page − σ²_engine| ≤ TOL · σ_f²
 * with σ_f² the GP's output scale, its prior variance. The variance is measured against σ_f², not
 * against itself: near the data σ² falls to the noise level (down to ~1e-6 σ_f²), where a float32
 * difference σ_f² − ‖L⁻¹k‖² keeps an absolute error of a few ulps of σ_f² and no relative bound on σ²
 * itself can hold. The sd's error follows: |Δσ| ≤ |Δσ²| / (σ_page + σ_engine).
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fitSurrogate, startDashboard, type Dashboard, type SurrogateJSON } from '../../src/dashboard/index.js';
import type { GP } from '../../src/engine/gp.js';
import { createStorage } from '../../src/storage/index.js';
import { setLogLevel } from '../../src/util/log.js';
import { collectErrors, ensureWebBuild, launchBrowser, shotsDir } from '../browser.js';
import { seedStudy, tempDb, type TempDb } from './seed.js';

const TOL = 1e-4;

interface Ctx {
  db: TempDb;
  dash: Dashboard;
  browser: Browser;
  page: Page;
  errors: string[];
  gp: GP | null;
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
  c.gp?.dispose();
  await c.browser.close();
  await c.dash.close();
  c.db.remove();
});

async function setUp(n: number, query = ''): Promise<Ctx & { model: SurrogateJSON; gp: GP }> {
  const db = tempDb();
  await seedStudy(db.url, 'surrogate', n, 11);
  const dash = await startDashboard({ storage: db.url, port: 0 });
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = collectErrors(page);
  open = { db, dash, browser, page, errors, gp: null };
  // The engine's model, fitted in Node to the same trials.
  const storage = createStorage(db.url);
  try {
    const trials = await storage.getAllTrials(1);
    const directions = await storage.getStudyDirections(1);
    const { json, gp } = await fitSurrogate(trials, directions, 0);
    open.gp = gp;
    await page.goto(`${dash.url.replace(/\/$/, '')}/${query}#/study/1`);
    await page.evaluate(() => window.__tunable.ready);
    // The explorer is a chunk of its own, imported once the page is ready.
    await page.waitForFunction(() => window.__tunable.surrogate !== null);
    const r = await page.evaluate(() => window.__tunable.surrogate!.ready);
    expect(r).toEqual({ ok: true });
    return { ...open, model: json, gp };
  } finally {
    await storage.close();
  }
}

interface Agreement {
  meanErr: number;
  varErr: number;
  sdErr: number;
  m: number;
}

/** The largest errors, each relative to the scale in the header, over the m points. */
async function compare(gp: GP, model: SurrogateJSON, points: number[], page: { mean: number[]; variance: number[] }): Promise<Agreement> {
  const e = await gp.predict(Float64Array.from(points));
  const sf2 = model.hyperparameters.outputscale;
  const sf = Math.sqrt(sf2);
  let meanErr = 0;
  let varErr = 0;
  let sdErr = 0;
  for (let i = 0; i < e.mean.length; i++) {
    meanErr = Math.max(meanErr, Math.abs(page.mean[i]! - e.mean[i]!) / Math.max(Math.abs(e.mean[i]!), sf));
    varErr = Math.max(varErr, Math.abs(page.variance[i]! - e.variance[i]!) / sf2);
    sdErr = Math.max(sdErr, Math.abs(Math.sqrt(page.variance[i]!) - Math.sqrt(e.variance[i]!)) / sf);
  }
  expect(page.mean.length).toBe(e.mean.length);
  return { meanErr, varErr, sdErr, m: e.mean.length };
}

async function checkAgreement(c: Ctx & { model: SurrogateJSON; gp: GP }, label: string): Promise<void> {
  const { page, model, gp } = c;
  // The page's model is the engine's (same trials, same fit).
  const pageModel = (await page.evaluate(() => window.__tunable.surrogate!.model)) as SurrogateJSON;
  expect(pageModel.names).toEqual(model.names);
  expect(pageModel.X).toEqual(model.X);
  expect(pageModel.y).toEqual(model.y);
  expect(pageModel.hyperparameters).toEqual(model.hyperparameters);
  // 1. The grid the page drew.
  const grid = (await page.evaluate(() => window.__tunable.surrogate!.grid))!;
  expect(grid.points.length).toBe(grid.mean.length * model.d);
  const a = await compare(gp, model, grid.points, grid);
  // 2. The training points themselves (sd near its smallest) and points between them.
  const extra: number[] = [...model.X];
  for (let i = 0; i + 1 < model.n; i++) {
    for (let j = 0; j < model.d; j++) {
      const u = model.X[i * model.d + j]!;
      const v = model.X[(i + 1) * model.d + j]!;
      extra.push(model.categoricalDims.includes(j) ? u : (u + v) / 2);
    }
  }
  const atData = (await page.evaluate((p) => window.__tunable.surrogate!.evaluate(p), extra));
  const b = await compare(gp, model, extra, atData);
  const mode = await page.evaluate(() => window.__tunable.surrogate!.mode);
  console.log(
    `${label}: gpu.js mode ${mode}; grid ${a.m} points: mean ${a.meanErr.toExponential(2)}, variance ${a.varErr.toExponential(2)}, sd ${a.sdErr.toExponential(2)}; ` +
      `data and midpoints ${b.m}: mean ${b.meanErr.toExponential(2)}, variance ${b.varErr.toExponential(2)}, sd ${b.sdErr.toExponential(2)} (relative, see header)`,
  );
  for (const r of [a, b]) {
    expect(r.meanErr).toBeLessThanOrEqual(TOL);
    expect(r.varErr).toBeLessThanOrEqual(TOL);
  }
  // The float64 reference on the page agrees with the engine to float64 rounding.
  const ref = (await page.evaluate((p) => window.__tunable.surrogate!.evaluateCpu(p), extra));
  const r = await compare(gp, model, extra, ref);
  expect(r.meanErr).toBeLessThanOrEqual(1e-9);
  expect(r.varErr).toBeLessThanOrEqual(1e-9);
}

describe('surrogate explorer (Chromium, gpu.js)', () => {
  it('agrees with the engine’s predict on the WebGL2 path (?gpu=webgl)', async () => {
    const c = await setUp(40, '?gpu=webgl');
    const { page } = c;
    const info = await page.evaluate(() => {
      const s = window.__tunable.surrogate!;
      return { requested: s.requestedMode, chosen: s.chosenMode, mode: s.mode, renderer: s.renderer };
    });
    console.log(`renderer: ${info.renderer ?? 'none (no WebGL2)'}`);
    // Forced: WebGL2 even on a software renderer (SwiftShader's, with --disable-gpu).
    expect(info.requested).toBe('webgl2');
    expect(info.chosen).toBe('webgl2');
    expect(info.mode).toBe(info.renderer === null ? 'cpu' : 'webgl2');
    expect(await page.locator('#surrogate-compute').inputValue()).toBe('webgl2');
    await checkAgreement(c, 'webgl2 (forced)');
    const shot = join(shotsDir(), 'surrogate.png');
    await page.locator('#section-surrogate').screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
    expect(c.errors.filter((e) => !/Failed to load resource: .*404/.test(e))).toEqual([]);
  });

  it('auto mode: gpu.js CPU under a software WebGL renderer, and says so; the Compute menu forces a mode', async () => {
    const c = await setUp(30);
    const { page } = c;
    const info = await page.evaluate(() => {
      const s = window.__tunable.surrogate!;
      return { requested: s.requestedMode, chosen: s.chosenMode, mode: s.mode, reason: s.modeReason, renderer: s.renderer };
    });
    console.log(`auto: ${JSON.stringify(info)}`);
    expect(info.requested).toBe('auto');
    // Headless Chromium with --disable-gpu renders WebGL with SwiftShader, a software rasteriser.
    expect(info.renderer).toMatch(/SwiftShader/i);
    expect(info.chosen).toBe('cpu');
    expect(info.mode).toBe('cpu');
    expect(info.reason).toMatch(/software rasteriser/);
    const note = await page.locator('#surrogate-mode').textContent();
    expect(note).toContain('gpu.js mode: cpu');
    expect(note).toContain('software rasteriser');
    expect(note).toContain(info.renderer!);
    expect(await page.locator('#surrogate-compute').inputValue()).toBe('auto');
    expect(await page.locator('#surrogate-compute option[value="auto"]').textContent()).toBe('Auto (CPU)');
    // Forced from the menu: WebGL2, then back to auto.
    await page.selectOption('#surrogate-compute', 'webgl2');
    await page.waitForFunction(() => window.__tunable.surrogate!.mode === 'webgl2' && !window.__tunable.surrogate!.sdStale);
    expect(await page.locator('#surrogate-mode').textContent()).toContain('gpu.js mode: webgl2 (forced');
    await checkAgreement(c, 'webgl2 (menu)');
    await page.selectOption('#surrogate-compute', 'auto');
    await page.waitForFunction(() => window.__tunable.surrogate!.mode === 'cpu' && !window.__tunable.surrogate!.sdStale);
    expect(await page.evaluate(() => window.__tunable.surrogate!.requestedMode)).toBe('auto');
  });

  it('agrees with the engine’s predict in gpu.js CPU mode (?gpu=cpu)', async () => {
    const c = await setUp(40, '?gpu=cpu');
    expect(await c.page.evaluate(() => window.__tunable.surrogate!.mode)).toBe('cpu');
    await checkAgreement(c, 'cpu mode');
    const shot = join(shotsDir(), 'surrogate-cpu.png');
    await c.page.locator('#section-surrogate').screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
  });

  it('redraws the heat maps when the axes, a slider or the grid change', async () => {
    const c = await setUp(30);
    const { page } = c;
    const surface = () =>
      page.evaluate(() => {
        const chart = window.__tunable.echarts.getInstanceByDom(document.getElementById('chart-surrogate-mean')!)!;
        const s = (chart.getOption() as { series: { id: string; data: number[][] }[] }).series;
        return { cells: s.find((x) => x.id === 'surface')!.data, points: s.find((x) => x.id === 'points')!.data };
      });
    const before = await surface();
    const grid0 = (await page.evaluate(() => window.__tunable.surrogate!.grid))!;
    // Observed points are drawn on top: one per trial of the model.
    expect(before.points.length).toBe(c.model.n);
    // New axes from the selects.
    const others = c.model.names.filter((n) => n !== grid0.x && n !== grid0.y && !c.model.categoricalDims.includes(c.model.names.indexOf(n)));
    await page.selectOption('#surrogate-x', others[0]!);
    await page.waitForFunction((x) => window.__tunable.surrogate!.grid?.x === x, others[0]!);
    const afterAxes = await surface();
    expect(afterAxes.cells).not.toEqual(before.cells);
    // A slider of a held parameter: moved, the grid's values change.
    const held = c.model.names.find((n) => n !== others[0] && n !== grid0.y && !c.model.categoricalDims.includes(c.model.names.indexOf(n)))!;
    const meanBefore = (await page.evaluate(() => window.__tunable.surrogate!.grid!.mean));
    await page.$eval(`#surrogate-sliders input[data-param="${held}"]`, (el) => {
      const input = el as HTMLInputElement;
      input.value = Number(input.value) > 0.5 ? '0.05' : '0.95';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction((m0) => {
      const g = window.__tunable.surrogate!.grid!;
      return g.mean.some((v, i) => v !== m0[i]);
    }, meanBefore);
    // The grid size: 32 × 32 cells.
    await page.selectOption('#surrogate-grid', '32');
    await page.waitForFunction(() => window.__tunable.surrogate!.grid?.G === 32);
    const g32 = (await page.evaluate(() => window.__tunable.surrogate!.grid))!;
    expect(g32.mean.length).toBe(32 * 32);
    expect((await surface()).cells.length).toBe(32 * 32);
    await checkAgreement(c, 'after redraws');

    // The mean is drawn before the sd: with the sd held back, a slider move redraws the mean at once
    // and marks the sd chart as showing an earlier position; a second move abandons the stale sd.
    const sdSubtext = () =>
      page.evaluate(() => {
        const chart = window.__tunable.echarts.getInstanceByDom(document.getElementById('chart-surrogate-sd')!)!;
        return String((chart.getOption() as { title: { subtext?: string }[] }).title[0]!.subtext ?? '');
      });
    const move = (v: string) =>
      page.$eval(`#surrogate-sliders input[data-param="${held}"]`, (el, value) => {
        const input = el as HTMLInputElement;
        input.value = value;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }, v);
    const j = c.model.names.indexOf(held);
    const complete = (await page.evaluate(() => window.__tunable.surrogate!.grid))!;
    const counts0 = await page.evaluate(() => ({ ...window.__tunable.surrogate!.counts }));
    expect(await sdSubtext()).toBe('');
    await page.evaluate(() => (window.__tunable.surrogate!.holdSd = true));
    await move('0.3');
    await page.waitForFunction((n) => window.__tunable.surrogate!.counts.mean > n, counts0.mean);
    expect(await page.evaluate(() => window.__tunable.surrogate!.sdStale)).toBe(true);
    expect(await sdSubtext()).toMatch(/^updating…/);
    // The complete grid (mean and sd together) is still the earlier one.
    expect((await page.evaluate(() => window.__tunable.surrogate!.grid))!.points).toEqual(complete.points);
    await move('0.7');
    await page.waitForFunction((n) => window.__tunable.surrogate!.counts.mean > n + 1, counts0.mean);
    expect(await sdSubtext()).toMatch(/^updating…/);
    await page.evaluate(() => (window.__tunable.surrogate!.holdSd = false));
    await page.waitForFunction(() => !window.__tunable.surrogate!.sdStale);
    const counts1 = await page.evaluate(() => ({ ...window.__tunable.surrogate!.counts }));
    expect(counts1.sd).toBe(counts0.sd + 1);
    expect(counts1.sdAbandoned).toBeGreaterThanOrEqual(counts0.sdAbandoned + 1);
    expect(await sdSubtext()).toBe('');
    const latest = (await page.evaluate(() => window.__tunable.surrogate!.grid))!;
    expect(latest.points[j]).toBe(0.7);
    await checkAgreement(c, 'after a held sd');
  });
});
