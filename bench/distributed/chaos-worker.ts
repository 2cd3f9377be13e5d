/**
 * One worker process of a distributed study: loadStudy + optimize with the objective of ./objective.ts.
 *
 *   node --import tsx bench/distributed/chaos-worker.ts --storage URL --study-name NAME --n-trials N
 *        [--heartbeat-ms 10000] [--max-retry 1] [--seed S] [--define-by-run] [--grace-period 60]
 *
 * stdout, one line per event (pipes are written synchronously, so a SIGKILL loses no line already written):
 *   ready                          the study is loaded
 *   start <number>                 the objective began (objective.ts)
 *   done <number> <STATE> <value>  the trial was stored (value "-" when none); STATE FAIL with a value
 *                                  never happens: a trial failed under its worker reports "-"
 *   stale <number>                 this worker's sweep failed another worker's trial as stale …
 *   retried <number>               … and the callback for it returned (its retry was enqueued with the failure)
 *   finished <count>               optimize() returned after <count> trials
 * SIGTERM stops starting trials; the running objective finishes within the grace period, then exit 0.
 * Any error: its message on stderr, exit 1.
 */
import { parseArgs } from 'node:util';
import { RandomSampler } from '../../src/samplers/random.js';
import { loadStudy, RetryFailedTrial, type FailedTrialCallback } from '../../src/study/index.js';
import { objective, searchSpace } from './objective.js';

const { values: a } = parseArgs({
  options: {
    storage: { type: 'string' },
    'study-name': { type: 'string' },
    'n-trials': { type: 'string' },
    'heartbeat-ms': { type: 'string', default: '10000' },
    'max-retry': { type: 'string', default: '1' },
    seed: { type: 'string' },
    'define-by-run': { type: 'boolean', default: false },
    'grace-period': { type: 'string', default: '60' },
  },
});
if (a.storage === undefined || a['study-name'] === undefined || a['n-trials'] === undefined) {
  process.stderr.write('usage: chaos-worker.ts --storage URL --study-name NAME --n-trials N [...]\n');
  process.exit(2);
}

/**
 * RetryFailedTrial's policy (the storage enqueues the retry in the transaction that fails the trial),
 * saying when the callback for a trial this worker failed starts and ends.
 */
const retry = new RetryFailedTrial({ maxRetry: Number(a['max-retry']) });
const loggedRetry: FailedTrialCallback = {
  retry: retry.retry,
  async onStaleTrial(study, trial) {
    process.stdout.write(`stale ${trial.number}\n`);
    await retry.onStaleTrial(study, trial);
    process.stdout.write(`retried ${trial.number}\n`);
  },
};

const stop = new AbortController();
process.on('SIGTERM', () => stop.abort('worker stopped (SIGTERM)'));

try {
  const study = await loadStudy({
    storage: a.storage,
    studyName: a['study-name'],
    sampler: new RandomSampler(a.seed === undefined ? {} : { seed: Number(a.seed) }),
    heartbeatIntervalMs: Number(a['heartbeat-ms']),
    failedTrialCallback: loggedRetry,
  });
  process.stdout.write('ready\n');
  let count = 0;
  await study.optimize(objective, {
    nTrials: Number(a['n-trials']),
    signal: stop.signal,
    gracePeriod: Number(a['grace-period']),
    ...(a['define-by-run'] ? {} : { searchSpace }),
    callbacks: [
      (_s, t) => {
        count++;
        process.stdout.write(`done ${t.number} ${t.state} ${t.values?.[0] ?? '-'}\n`);
      },
    ],
  });
  process.stdout.write(`finished ${count}\n`);
  await study.storage.close();
  process.exit(0);
} catch (err) {
  process.stderr.write(`worker error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
