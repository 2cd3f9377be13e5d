/**
 * Distributed studies on PostgreSQL under faults: the report for bench/RESULTS.md. Each scenario runs on
 * a fresh schema (dropped afterwards) with RetryFailedTrial({ maxRetry: 1 }) and the objective of
 * ./objective.ts:
 *   a  SIGKILL     workers killed at random moments, a replacement after each (sigkill.ts)
 *   b  restart     `pg_ctlcluster 15 main restart` in the middle of a run (outage.ts): once through
 *                  `tunable worker` (heartbeat 10 s, the default), once with script workers beating every 500 ms
 *   c  partition   the server stopped for 10 s in the middle of a run (outage.ts): heartbeat 10 s, then 500 ms
 * Checks: audit.ts for every scenario, plus each scenario's own (see its file).
 *
 *   node --import tsx bench/distributed/chaos.ts [control] [a] [b] [c]      (default: a b c)
 * `control` runs b's `tunable worker` fleet without a fault (wall time and throughput to compare with).
 * Prints a markdown report on stdout (progress on stderr); exits 1 when a check failed.
 * Needs root (or the postgres user) for pg_ctlcluster; the server is always started again at the end.
 * CHAOS_KEEP_SCHEMAS=1 keeps each scenario's schema for inspection (drop them by hand).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fleet.js';
import { outage } from './outage.js';
import { alive, CLI_HEARTBEAT_MS, everyone, HEARTBEAT_MS, progress, type Row } from './scenario.js';
import { ensureOnline } from './server.js';
import { sigkill } from './sigkill.js';

/** Stale after 20 s: longer than the 10 s partition. */
const LONG_HEARTBEAT_MS = 10_000;

function report(rows: readonly Row[]): string {
  const lines = [
    `### Distributed chaos (PostgreSQL 15, ${new Date().toISOString().slice(0, 10)})`,
    '',
    '`node --import tsx bench/distributed/chaos.ts` — each scenario on a fresh schema, RetryFailedTrial({ maxRetry: 1 });',
    'heartbeat: the interval of the trials\' beats (stale after twice as long). lost: trials a worker saw COMPLETE',
    'that storage does not hold so; duplicated: numbers stored twice plus trials run by two processes.',
    '',
    '| scenario | workers | heartbeat | kills / outage | trials | complete | failed (why) | retried | lost | duplicated | wall | result |',
    '| --- | --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) =>
      `| ${r.scenario} | ${r.workers} | ${r.heartbeat} | ${r.fault} | ${r.trials} | ${r.complete} | ${r.failed} | ${r.retried} | ${r.lost} | ${r.duplicated} | ${r.wallS.toFixed(1)} s | ${r.problems.length === 0 ? 'pass' : '**FAIL**'} |`),
    '',
  ];
  for (const r of rows) {
    lines.push(`- **${r.scenario}**: ${r.notes.join('; ')}`);
    for (const p of r.problems) lines.push(`  - problem: ${p}`);
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const picked = process.argv.slice(2);
  const want = (s: string) => picked.length === 0 || picked.includes(s);
  const cli = existsSync(join(ROOT, 'src/cli/worker.ts'));
  const rows: Row[] = [];
  try {
    await ensureOnline();
    if (picked.includes('control')) rows.push(await outage('none', cli ? 'cli' : 'script', HEARTBEAT_MS));
    if (want('a')) rows.push(await sigkill());
    // b and c twice: with beats outlasting the outage, and with the short beats (stale before it ends).
    if (want('b')) rows.push(await outage('restart', cli ? 'cli' : 'script', CLI_HEARTBEAT_MS));
    if (want('b')) rows.push(await outage('restart', 'script', HEARTBEAT_MS));
    if (want('c')) rows.push(await outage('partition', 'script', LONG_HEARTBEAT_MS));
    if (want('c')) rows.push(await outage('partition', 'script', HEARTBEAT_MS));
  } finally {
    for (const w of everyone) if (alive(w)) w.child.kill('SIGKILL');
    await ensureOnline();
  }
  process.stdout.write(report(rows) + '\n');
  return rows.every((r) => r.problems.length === 0) ? 0 : 1;
}

process.on('SIGINT', () => {
  for (const w of everyone) if (alive(w)) w.child.kill('SIGKILL');
  void ensureOnline().finally(() => process.exit(130));
});

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    progress(`aborted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await ensureOnline().catch(() => undefined);
    process.exit(1);
  },
);
