/**
 * Scenario a: workers SIGKILLed at random moments, a replacement started after each, until enough kills
 * and enough trials complete. A killed worker's running trial must be failed as stale by a survivor's
 * sweep and retried exactly once (audit.ts); no live worker's trial may be failed as stale.
 */
import { retryHistory } from '../../src/study/retry.js';
import { TrialState } from '../../src/trial/index.js';
import { isStale } from './audit.js';
import { kill, sleep, type WorkerProc } from './fleet.js';
import { alive, completed, exitProblems, HEARTBEAT_MS, onFreshStudy, progress, rand, row, until, type Row } from './scenario.js';

const A = { workers: 12, kills: 24, target: 1000, delay: '50-300' };

export async function sigkill(): Promise<Row> {
  return onFreshStudy('a', async (study, spawn) => {
    const t0 = Date.now();
    const ws: WorkerProc[] = [];
    const start = () => ws.push(spawn({ kind: 'script', nTrials: 1_000_000, heartbeatMs: HEARTBEAT_MS, delay: A.delay }));
    for (let i = 0; i < A.workers; i++) start();
    const extra: string[] = [];
    let kills = 0;
    let lastKill = 0;
    const crashed = new Set<WorkerProc>();
    while (kills < A.kills || completed(ws) < A.target) {
      if (Date.now() - t0 > 300_000) {
        extra.push(`gave up after 300 s: ${kills} kills, ${completed(ws)} trials complete`);
        break;
      }
      await sleep(rand(250, 1000));
      // A worker that died by itself is reported (exitProblems below) and replaced; the run goes on.
      for (const w of ws.filter((x) => !x.killed && !alive(x) && !crashed.has(x))) {
        crashed.add(w);
        progress(`a: worker ${w.id} died by itself: ${w.error ?? 'no error line'}`);
        start();
      }
      if (kills >= A.kills) continue;
      // Victims are workers past their start-up (one trial begun at least), at a random moment of their loop.
      const live = ws.filter((w) => !w.killed && w.started.length > 0 && alive(w));
      if (live.length === 0) continue;
      kill(live[Math.floor(Math.random() * live.length)]!);
      kills++;
      lastKill = Date.now();
      start();
      progress(`a: kill ${kills}/${A.kills}, ${completed(ws)}/${A.target} complete`);
    }
    // Drain: the last victims' trials are judged stale (2 beats) and their retries run, then the rest stops.
    await sleep(Math.max(0, lastKill + 3 * HEARTBEAT_MS - Date.now()));
    const victims = ws.filter((w) => w.killed).map((w) => w.running()).filter((n) => n !== null);
    const settled = async () => {
      const open = await study.storage.getAllTrials(study.studyId, [TrialState.WAITING, TrialState.RUNNING]);
      return open.every((t) => t.state === TrialState.RUNNING && !victims.includes(t.number));
    };
    // Twice, a stale threshold apart: a victim killed inside ask() left a trial no line names.
    const drained = (await until(settled, 30_000, 250)) && (await sleep(4 * HEARTBEAT_MS), await until(settled, 10_000, 250));
    if (!drained) extra.push('stale or WAITING trials still open 30 s after the last kill');
    // A worker still starting up would die of SIGTERM before its handler is installed.
    await until(() => ws.every((w) => w.killed || !alive(w) || w.ready), 30_000);
    for (const w of ws) if (!w.killed && alive(w)) w.child.kill('SIGTERM');
    extra.push(...(await exitProblems(ws)));
    const trials = await study.storage.getAllTrials(study.studyId);

    // Each victim's running trial: FAIL as stale (and retried, audited), or COMPLETE when the kill came
    // after its tell was stored but before the worker printed it.
    const byNumber = new Map(trials.map((t) => [t.number, t]));
    let failedAsStale = 0;
    let storedBeforeKill = 0;
    let inAsk = 0;
    for (const w of ws.filter((x) => x.killed)) {
      const n = w.running();
      if (n === null) {
        inAsk++;
        continue;
      }
      const t = byNumber.get(n);
      if (t !== undefined && isStale(t)) failedAsStale++;
      else if (t?.state === TrialState.COMPLETE) storedBeforeKill++;
      else extra.push(`killed worker ${w.id}'s trial ${n} is ${t?.state ?? 'missing'}, not a stale FAIL`);
    }
    // A stale trial must belong to a killed worker (or to none: a worker killed inside ask()).
    for (const t of trials.filter(isStale)) {
      const owner = ws.find((w) => w.started.includes(t.number));
      if (owner !== undefined && !owner.killed) extra.push(`trial ${t.number} of live worker ${owner.id} was failed as stale`);
    }
    // A stale trial left without its retry: was its sweeper killed between failing it and re-enqueueing it?
    const retried = new Set(trials.map((t) => t.systemAttrs['retriedFrom']));
    for (const t of trials.filter((x) => isStale(x) && retryHistory(x).length === 0 && !retried.has(x.number))) {
      const sweeper = ws.find((w) => w.swept.includes(t.number));
      const how = sweeper === undefined ? 'no worker reported sweeping it'
        : `worker ${sweeper.id} failed it as stale and ${sweeper.retried.includes(t.number) ? 'its retry callback returned' : sweeper.killed ? 'was killed before its retry callback returned' : 'its retry callback never returned'}`;
      extra.push(`trial ${t.number} has no retry: ${how}`);
    }
    return row('a. SIGKILL', `${A.workers} at a time, ${ws.length} started`, HEARTBEAT_MS, `${kills} × SIGKILL`, trials, ws, t0, extra, [
      `objective ${A.delay} ms, target ${A.target} complete`,
      `victims: ${failedAsStale} killed mid-objective (trial failed as stale), ${storedBeforeKill} killed after their trial was stored, ${inAsk} killed between trials (in ask or tell)`,
    ]);
  });
}
