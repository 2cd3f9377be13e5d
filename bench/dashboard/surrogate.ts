/**
 * Surrogate explorer redraw time in the test browser (test/browser.ts: headless Chromium with its
 * flags, so WebGL2 is SwiftShader's software renderer unless the machine gives Chromium a GPU), for
 * both gpu.js modes (WebGL2 and CPU), seeded studies of n ∈ {100, 200, 500} trials on 5 parameters
 * and G × G grids, G ∈ {32, 64, 128}; n = 500 at 128 × 128 is the case the dashboard's issue names.
 *
 * Per case: one warm-up redraw (the one that setting the mode and grid causes; it compiles the
 * kernels), then as many as fit in about
 * CASE_BUDGET_MS (at least 1, at most MAX_REPS); medians reported. Two times per redraw, from the
 * start of the redraw: the mean heat map drawn (what a moving slider waits for), and the sd heat map
 * drawn too (the complete redraw). The sd's cost is G²·n² multiply-adds (G²·n²/2 in the triangular
 * product, the same again to form and square its rows), printed per row.
 *
 *   npm run bench:dashboard            (both benchmarks)
 *   node --import tsx bench/dashboard/surrogate.ts
 *
 * Prints a markdown table; writes nothing else.
 */
import { cpus, loadavg } from 'node:os';
import { startDashboard } from '../../src/dashboard/index.js';
import { setLogLevel } from '../../src/util/log.js';
import { ensureWebBuild, launchBrowser } from '../../test/browser.js';
import { seedStudy, tempDb } from '../../test/dashboard/seed.js';

const NS = [100, 200, 500] as const;
const GS = [32, 64, 128] as const;
const MODES = ['webgl2', 'cpu'] as const;
const CASE_BUDGET_MS = 4000;
const MAX_REPS = 7;
/** The interactive target: a redraw within this many milliseconds. */
const TARGET_MS = 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Row {
  mode: string;
  n: number;
  d: number;
  G: number;
  m: number;
  mean: number;
  full: number;
  reps: number;
}

setLogLevel('warning');
ensureWebBuild();
const started = Date.now();
const db = tempDb('tunable-bench-surrogate-');
const rows: Row[] = [];
let renderer = 'none';
let chromium = '';
try {
  // Study i + 1 has NS[i] trials.
  for (const n of NS) await seedStudy(db.url, `bench-surrogate-${n}`, n, 3, {}, false);
  const dash = await startDashboard({ storage: db.url, port: 0 });
  const browser = await launchBrowser();
  chromium = browser.version();
  try {
    for (let s = 0; s < NS.length; s++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${dash.url.replace(/\/$/, '')}/#/study/${s + 1}`);
      await page.evaluate(() => window.__tunable.ready);
      const ok = await page.evaluate(() => window.__tunable.surrogate!.ready);
      if (!ok.ok) throw new Error(`surrogate: ${ok.error}`);
      for (const mode of MODES) {
        for (const G of GS) {
          const r = await page.evaluate(async ([mode, G, budget, maxReps]) => {
            const h = window.__tunable.surrogate!;
            // Mode and grid set together: the two requests collapse into one redraw, the warm-up.
            if (h.requestedMode !== mode) void h.setMode(mode);
            const warm = await h.setGrid(G);
            const reps = Math.max(1, Math.min(maxReps, Math.floor(budget / Math.max(1, warm))));
            const full: number[] = [];
            const mean: number[] = [];
            for (let i = 0; i < reps; i++) {
              full.push(await h.redraw());
              mean.push(h.lastMeanMs!);
            }
            return { full, mean, mode: h.mode, renderer: h.renderer, n: h.model!.n, d: h.model!.d, m: h.grid!.mean.length };
          }, [mode, G, CASE_BUDGET_MS, MAX_REPS] as const);
          renderer = r.renderer ?? 'none';
          const row = { mode: r.mode ?? mode, n: r.n, d: r.d, G, m: r.m, mean: median(r.mean), full: median(r.full), reps: r.full.length };
          rows.push(row);
          console.error(`${row.mode} n=${row.n} G=${G}: mean ${row.mean.toFixed(0)} ms, full ${row.full.toFixed(0)} ms (${row.reps} reps)`);
        }
      }
      await page.close();
    }
  } finally {
    await browser.close();
    await dash.close();
  }
} finally {
  db.remove();
}
const yes = (ms: number) => (ms <= TARGET_MS ? 'yes' : 'no');
console.log(`\nSurrogate explorer redraw (median ms; one warm-up, then up to ${MAX_REPS} redraws within ~${CASE_BUDGET_MS / 1000} s per case)`);
console.log(`${new Date().toISOString().slice(0, 10)}; Chromium ${chromium} (test/browser.ts flags); GL renderer: ${renderer}; ` +
  `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg()[1]!.toFixed(1)} (5 min: other work on the machine slows every time); ` +
  `run ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
console.log(`| gpu.js mode | n | d | grid | G²·n² | mean redraw ms | full redraw ms | redraws | mean ≤ ${TARGET_MS} ms | full ≤ ${TARGET_MS} ms |`);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const cost = r.m * r.n * r.n;
  console.log(
    `| ${r.mode} | ${r.n} | ${r.d} | ${r.G} × ${r.G} | ${cost.toExponential(1)} | ${r.mean.toFixed(0)} | ${r.full.toFixed(0)} | ${r.reps} | ${yes(r.mean)} | ${yes(r.full)} |`,
  );
}
