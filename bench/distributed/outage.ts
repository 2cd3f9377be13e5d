/**
 * Scenarios b and c: the server restarted, or stopped for 10 s, while a fleet runs its --n-trials. Every
 * worker must reconnect and exit 0 having delivered its --n-trials COMPLETE, with exactly
 * workers × n-trials trials stored. `none` runs the same fleet without a fault (a control).
 */
import { TrialState } from '../../src/trial/index.js';
import { isStale } from './audit.js';
import { sleep } from './fleet.js';
import { pgctl } from './server.js';
import { alive, CLI_HEARTBEAT_MS, completed, exitProblems, onFreshStudy, progress, row, until, type Row } from './scenario.js';

const B = { workers: 16, nTrials: 40, delay: '50-150', at: 0.35 };
const PARTITION_MS = 10_000;

export type Outage = 'none' | 'restart' | 'partition';
const TITLE: Record<Outage, [tag: string, title: string]> = {
  none: ['n', 'control: no fault'],
  restart: ['b', 'b. server restart'],
  partition: ['c', 'c. partition'],
};

/** b and c; 'none' runs the same fleet without a fault, as a control for wall time and throughput. */
export async function outage(kind: Outage, workerKind: 'script' | 'cli', heartbeatMs: number): Promise<Row> {
  const [tag, title] = TITLE[kind];
  // `tunable worker` has no heartbeat option: it beats at the library default.
  const beat = workerKind === 'cli' ? CLI_HEARTBEAT_MS : heartbeatMs;
  return onFreshStudy(`${tag}_${workerKind}_${beat}`, async (study, spawn) => {
    const t0 = Date.now();
    const ws = Array.from({ length: B.workers }, () => spawn({ kind: workerKind, nTrials: B.nTrials, heartbeatMs, delay: B.delay }));
    const total = B.workers * B.nTrials;
    const extra: string[] = [];
    if (!(await until(() => completed(ws) >= B.at * total || ws.every((w) => !alive(w)), 120_000))) extra.push('no progress before the outage');
    let down = 0;
    let tDown = Infinity;
    if (kind !== 'none') {
      progress(`${tag}: ${completed(ws)}/${total} complete, taking the server down (${kind})`);
      tDown = Date.now();
      try {
        if (kind === 'restart') await pgctl('restart');
        else {
          await pgctl('stop');
          await sleep(PARTITION_MS);
        }
      } finally {
        if (kind === 'partition') await pgctl('start');
        down = Date.now() - tDown;
      }
      progress(`${tag}: server back after ${down} ms`);
    }
    if (!(await until(() => ws.every((w) => !alive(w)), 240_000))) extra.push('workers still running 240 s after the outage');
    extra.push(...(await exitProblems(ws)));
    const trials = await study.storage.getAllTrials(study.studyId);
    if (trials.length !== total) extra.push(`${trials.length} trials stored, not ${B.workers} × ${B.nTrials} = ${total}`);
    const short = ws.map((w) => [w.id, [...w.done.values()].filter((d) => d.state === 'COMPLETE').length]).filter(([, ok]) => ok !== B.nTrials);
    if (short.length > 0) {
      extra.push(`${short.length} of ${B.workers} workers delivered fewer than ${B.nTrials} COMPLETE (worker: COMPLETE): ${short.map(([id, ok]) => `${id}: ${ok}`).join(', ')}`);
    }
    const bad = trials.filter((t) => t.state !== TrialState.COMPLETE);
    if (bad.length > 0) extra.push(`not COMPLETE: ${bad.slice(0, 8).map((t) => `${t.number} ${t.state}`).join(', ')}`);
    // No worker died here: every stale FAIL is a live worker's trial. When was it judged stale?
    const stale = trials.filter(isStale);
    const early = stale.filter((t) => (t.datetimeComplete?.getTime() ?? 0) < tDown).map((t) => t.number);
    const late = stale.filter((t) => (t.datetimeComplete?.getTime() ?? 0) >= tDown).map((t) => t.number);
    const when = stale.length === 0 ? [] : [`stale FAILs of live workers: ${early.length} before the outage [${early.join(', ')}], ${late.length} after it [${late.join(', ')}]`];
    const fault = kind === 'none' ? 'none' : kind === 'restart' ? `restart, ${(down / 1000).toFixed(1)} s` : `stopped ${PARTITION_MS / 1000} s (${(down / 1000).toFixed(1)} s down)`;
    return row(title, `${B.workers} (${workerKind === 'cli' ? '`tunable worker`' : 'script'})`, beat, fault, trials, ws, t0, extra, [
      `${workerKind === 'cli' ? 'default sampler (GPSampler: each proposal under the study sample lock)' : 'random sampler'}, objective ${B.delay} ms, --n-trials ${B.nTrials} each${kind === 'none' ? '' : `, outage at ${B.at * 100}% done`}`,
      ...when,
    ]);
  });
}
