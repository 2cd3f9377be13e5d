/**
 * A 50,000-trial study's page: the time from navigation to the study page being interactive, and the
 * server's `/api/studies/:id` JSON in both forms (size, time). Seeded SQLite study in a temporary
 * folder, the test browser (test/browser.ts). Median of RUNS page loads; the first load is a warm-up for
 * the server's caches and the browser's disk cache of the bundle.
 *
 * Interactive (`window.__tunable.ready`): the charts in the first viewport (1400×1000) drawn and their
 * progressive frames painted (ECharts' `finished`), the table's first page shown, and then an idle
 * period (requestIdleCallback): no task running or queued. The charts below the fold are drawn after
 * that, one per idle period (or when scrolled into view): `drawn` is when the last one is, and the
 * longest task between ready and drawn is reported (each is one chart's draw: the page answers input
 * between them, not during one).
 *
 *   npm run bench:dashboard            (both benchmarks)
 *   node --import tsx bench/dashboard/scale.ts [trials]
 *
 * Prints a markdown table; a screenshot goes to os.tmpdir()/tunable-dashboard-shots/scale.png.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startDashboard } from '../../src/dashboard/index.js';
import { setLogLevel } from '../../src/util/log.js';
import { ensureWebBuild, launchBrowser, shotsDir } from '../../test/browser.js';
import { seedLargeStudy, tempDb } from '../../test/dashboard/seed.js';

const TRIALS = Number(process.argv[2] ?? 50_000);
const RUNS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

setLogLevel('warning');
ensureWebBuild();
const db = tempDb('tunable-bench-scale-');
try {
  const t0 = Date.now();
  await seedLargeStudy(db.url, 'bench-scale', TRIALS, 5);
  const seedMs = Date.now() - t0;
  const dash = await startDashboard({ storage: db.url, port: 0 });
  const base = dash.url.replace(/\/$/, '');
  const browser = await launchBrowser();
  try {
    // The server: the study's JSON in each form, RUNS + 1 fetches (the first one warm-up).
    const server: Record<string, { ms: number[]; bytes: number }> = {};
    for (const [form, query] of [['full', ''], ['columns', '?form=columns']] as const) {
      const r = (server[form] = { ms: [] as number[], bytes: 0 });
      for (let i = 0; i <= RUNS; i++) {
        const t = performance.now();
        const res = await fetch(`${base}/api/studies/1${query}`);
        const body = await res.arrayBuffer();
        if (i > 0) r.ms.push(performance.now() - t);
        r.bytes = body.byteLength;
      }
    }
    // The page: navigation → interactive, RUNS + 1 loads in one tab (the first one warm-up).
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // Long tasks (over 50 ms) from the start of each load, with their start and duration.
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: [number, number][] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push([e.startTime, e.duration]);
      }).observe({ type: 'longtask', buffered: true });
    });
    const wall: number[] = [];
    let parts: Record<string, number> = {};
    let later: Record<string, number> = {};
    const inPage: number[] = [];
    const drawnAt: number[] = [];
    const longestAfter: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      await page.goto('about:blank');
      const t = performance.now();
      await page.goto(`${base}/#/study/1`);
      // The parts as they are when ready settles: the charts drawn later (idle periods) come after.
      const atReady = await page.evaluate(() => window.__tunable.ready.then(() => ({ ...window.__tunable.timings.parts })));
      const w = performance.now() - t;
      const r = await page.evaluate(() => window.__tunable.timings.ready);
      await page.evaluate(() => window.__tunable.drawn);
      const after = await page.evaluate(() => ({
        drawn: window.__tunable.timings.drawn,
        parts: { ...window.__tunable.timings.parts },
        tasks: (window as unknown as { __longTasks: [number, number][] }).__longTasks,
      }));
      if (i > 0) {
        wall.push(w);
        inPage.push(r ?? NaN);
        drawnAt.push(after.drawn ?? NaN);
        const ready = r ?? 0;
        // A task that started before ready and ran past it would break the definition: counted too.
        longestAfter.push(Math.max(0, ...after.tasks.filter(([s, d]) => s + d > ready).map(([, d]) => d)));
        parts = atReady;
        later = Object.fromEntries(Object.entries(after.parts).filter(([k]) => !(k in atReady)));
      }
    }
    const shot = join(shotsDir(), 'scale.png');
    await page.evaluate(() => window.__tunable.importanceReady);
    // ECharts draws 50,000 points progressively, over a few frames after setOption.
    await page.waitForTimeout(2000);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`\nA ${TRIALS}-trial study (seeded in ${(seedMs / 1000).toFixed(0)} s), median of ${RUNS} after a warm-up`);
    console.log(`Chromium ${browser.version()}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}); screenshot ${shot}\n`);
    const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
    console.log(
      `/api/studies/:id: full ${mib(server['full']!.bytes)} in ${median(server['full']!.ms).toFixed(0)} ms; ` +
        `?form=columns ${mib(server['columns']!.bytes)} in ${median(server['columns']!.ms).toFixed(0)} ms (fetch and read in Node)`,
    );
    // start: navigation start → the study's fetch (the page and its bundle loaded, the view built).
    console.log(`Parts before ready, last load (ms): ${Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
    console.log(`Parts after ready (below the fold), last load (ms): ${Object.entries(later).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}\n`);
    console.log('| trials | navigation → interactive ms (test driver) | navigation start → ready ms (in page) | → every chart drawn ms (in page) | longest task after ready ms |');
    console.log('|---|---|---|---|---|');
    console.log(
      `| ${TRIALS} | ${median(wall).toFixed(0)} | ${median(inPage).toFixed(0)} | ${median(drawnAt).toFixed(0)} | ${median(longestAfter).toFixed(0)} |`,
    );
  } finally {
    await browser.close();
    await dash.close();
  }
} finally {
  db.remove();
}
