/**
 * `tunable worker`: runs the objective a module exports on an existing study, trial after trial, until
 * `--n-trials`, `--timeout`, a signal, or a sampler with nothing left to propose. Any number of workers,
 * on one machine or many, feed one study through a shared storage (SQLite on one machine, PostgreSQL
 * across machines). The module format is in ./objective-module.ts; docs/workers.md has the whole story.
 */
import { hostname } from 'node:os';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { Storage } from '../storage/base.js';
import { createStorage } from '../storage/index.js';
import type { Objective } from '../study/optimize.js';
import { RetryFailedTrial } from '../study/retry.js';
import { DEFAULT_HEARTBEAT_MS, loadStudy, type Study } from '../study/study.js';
import { log } from '../util/log.js';
import { optionalInteger, optionalSeconds, required, text, type Flags } from './args.js';
import type { Command, Context } from './command.js';
import { loadObjectiveModule, type ObjectiveModule } from './objective-module.js';
import { existing } from './storage-url.js';
import { exitSoonAfter, signalExitCode, watchStopSignals, type StopSignal } from './stop-signals.js';
import { WorkerTally } from './worker-tally.js';

/**
 * Seconds a running objective may take to finish after the first SIGINT or SIGTERM, or after
 * `--timeout`. Under the 30 s a Kubernetes pod gets between SIGTERM and SIGKILL, so the failure of an
 * objective that overruns is still recorded.
 */
export const DEFAULT_GRACE_PERIOD_S = 25;
/** Times the parameters of a trial whose worker died (failed as stale) are run again, per lineage. */
export const DEFAULT_MAX_RETRY = 1;
/** Bound of `--timeout` and `--grace-period` (11.6 days): their sum stays within what a Node timer can wait. */
const MAX_SECONDS = 1_000_000;
/** After a second signal: how long failing the running trials may take before the process ends regardless. */
const FORCED_STOP_MS = 5_000;
/** How long the process may take to end by itself once the command is done, before it is ended. */
const LINGER_MS = 1_000;

export const WORKER_HELP = `Usage: tunable worker --study-name NAME [--storage URL] [--n-trials N] [--timeout S]
                      [--grace-period S] [--max-retry N] [--heartbeat-interval S] MODULE

Runs the objective that MODULE (a .mjs or .js file, relative to the current directory) exports on the
existing study NAME, one trial at a time, until stopped. Start as many workers as you like, on one
machine or many: they share the study through --storage (sqlite:PATH on one machine, postgresql://…).
The study must exist first: tunable create-study --study-name NAME [--direction maximize].

MODULE exports:
  objective    (trial) => number | number[] | Promise<…>     (or as the default export)
  searchSpace  optional { name: {type: "float", low, high, log?, step?} | {type: "int", …} |
               {type: "categorical", choices} }: suggested when the trial starts; read trial.params
  sampler      optional: a Sampler, or a function returning one (default: the study default sampler)

Options:
  --n-trials N       trials this worker runs (default: no limit)
  --timeout S        start no trial after S seconds (default: no limit)
  --grace-period S   seconds a running objective may take to finish after --timeout or the first
                     SIGINT/SIGTERM; past it its trial is failed with the reason (default ${DEFAULT_GRACE_PERIOD_S})
  --max-retry N      times the parameters of a trial whose worker died are run again (default ${DEFAULT_MAX_RETRY}; 0: never)
  --heartbeat-interval S
                     seconds between a running trial's heartbeats (default ${DEFAULT_HEARTBEAT_MS / 1000}); a trial silent for
                     twice as long is failed as stale by the next worker that asks for one

An objective that throws fails its trial (the reason is recorded) and the worker goes on.
Signals: the first SIGINT or SIGTERM starts no new trial and lets the running one finish within the
grace period; a second one fails the running trial at once.
One log line per finished trial on stderr (TUNABLE_LOG=info, the default); a summary line on stdout.

Exit status:
  0         done: --n-trials reached, --timeout, the first SIGINT/SIGTERM, or nothing left to sample
  1         the operation failed (study or database not found, storage error, module failed to load)
  2         bad usage or input (bad option, the module exports no objective or a bad searchSpace/sampler)
  130, 143  stopped by a second SIGINT (130) or SIGTERM (143); the running trial was failed`;

interface WorkerOptions {
  readonly studyName: string;
  readonly module: string;
  /** undefined: no limit. */
  readonly nTrials: number | undefined;
  /** Seconds; undefined: no limit. */
  readonly timeout: number | undefined;
  readonly gracePeriod: number;
  readonly maxRetry: number;
  /** ms */
  readonly heartbeatIntervalMs: number;
}

function workerOptions(flags: Flags): WorkerOptions {
  const studyName = required(flags, 'study-name');
  const module = text(flags, 'module');
  if (module === undefined) throw new InvalidArgumentError('Missing the objective module: tunable worker --study-name NAME [options] MODULE');
  return {
    studyName,
    module,
    nTrials: optionalInteger(flags, 'n-trials', 1),
    timeout: optionalSeconds(flags, 'timeout', { zero: false, max: MAX_SECONDS }),
    gracePeriod: optionalSeconds(flags, 'grace-period', { zero: true, max: MAX_SECONDS }) ?? DEFAULT_GRACE_PERIOD_S,
    maxRetry: optionalInteger(flags, 'max-retry', 0) ?? DEFAULT_MAX_RETRY,
    heartbeatIntervalMs: (optionalSeconds(flags, 'heartbeat-interval', { zero: false, max: MAX_SECONDS }) ?? DEFAULT_HEARTBEAT_MS / 1000) * 1000,
  };
}

async function openStudy(storage: Storage, o: WorkerOptions, mod: ObjectiveModule): Promise<Study> {
  try {
    return await loadStudy({
      studyName: o.studyName,
      storage,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      ...(mod.sampler === undefined ? {} : { sampler: mod.sampler }),
      ...(o.maxRetry === 0 ? {} : { failedTrialCallback: new RetryFailedTrial({ maxRetry: o.maxRetry }) }),
    });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    throw new NotFoundError(`${err.message} in ${storage.url}: a worker runs an existing study (\`tunable create-study\` creates one)`);
  }
}

/** Why the worker stopped, for the summary line. */
function stopReason(o: WorkerOptions, tally: WorkerTally, signal: StopSignal | null, startedAt: number): string {
  if (signal !== null) return `stopped by ${signal}`;
  if (o.nTrials !== undefined && tally.finished >= o.nTrials) return '--n-trials reached';
  if (o.timeout !== undefined && Date.now() - startedAt >= o.timeout * 1000) return '--timeout reached';
  return 'the sampler has nothing left to propose';
}

function trialList(tally: WorkerTally): string {
  const numbers = [...tally.running.keys()];
  return numbers.length === 1 ? `trial ${numbers[0]}` : `trials ${numbers.join(', ')}`;
}

/** Fails the trials whose objective is running, with the reason; bounded by FORCED_STOP_MS. */
async function failRunning(study: Study, tally: WorkerTally, signal: StopSignal): Promise<void> {
  const failReason = `worker received a second ${signal}; the objective was stopped before it finished`;
  const fails = [...tally.running.values()].map(async (trial) => {
    try {
      await study.tell(trial, 'FAIL', { failReason });
      tally.failed++;
    } catch {
      // Finished meanwhile (it returned, or its grace period ran out): that outcome stands.
    }
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(fails), new Promise((resolve) => (timer = setTimeout(resolve, FORCED_STOP_MS)))]);
  clearTimeout(timer);
}

/** Runs the trials; resolves to the exit code once the summary is printed. */
async function work(study: Study, mod: ObjectiveModule, o: WorkerOptions, out: (line: string) => void): Promise<number> {
  const tally = new WorkerTally();
  const startedAt = Date.now();
  const stop = new AbortController();
  /** The signals received: the first stops gently, a second at once. */
  const received: { first: StopSignal | null; second: StopSignal | null } = { first: null, second: null };
  let stoppedNow!: (failing: Promise<void>) => void;
  const secondSignal = new Promise<void>((resolve) => (stoppedNow = resolve));

  const objective: Objective = async (trial) => {
    tally.running.set(trial.number, trial);
    try {
      return await mod.objective(trial);
    } finally {
      tally.running.delete(trial.number);
    }
  };

  const unwatch = watchStopSignals({
    first: (signal) => {
      received.first = signal;
      const running = tally.running.size === 0
        ? 'no trial is running'
        : `letting ${trialList(tally)} finish (grace period ${o.gracePeriod} s; a second signal fails it at once)`;
      log('info', `stopping on ${signal}: ${running}`);
      stop.abort(`worker received ${signal}; the objective did not finish within the grace period (${o.gracePeriod} s)`);
    },
    second: (signal) => {
      received.second = signal;
      if (tally.running.size > 0) log('info', `stopping now on a second ${signal}: failing ${trialList(tally)}`);
      stoppedNow(failRunning(study, tally, signal));
    },
  });

  // optimize() needs a bound; a worker without one runs until a signal or the sampler stops it.
  const nTrials = o.nTrials ?? (o.timeout === undefined ? Number.MAX_SAFE_INTEGER : undefined);
  const optimizing = study.optimize(objective, {
    ...(nTrials === undefined ? {} : { nTrials }),
    ...(o.timeout === undefined ? {} : { timeout: o.timeout }),
    ...(mod.searchSpace === undefined ? {} : { searchSpace: mod.searchSpace }),
    gracePeriod: o.gracePeriod,
    signal: stop.signal,
    catch: () => true,
    callbacks: [tally.record],
  });
  optimizing.catch(() => undefined);  // after a second signal its outcome no longer matters
  try {
    await Promise.race([optimizing, secondSignal]);
  } catch (err) {
    if (received.second === null) throw err;
    await secondSignal;
  } finally {
    unwatch();
  }
  const forcedBy = received.second;
  const reason = forcedBy === null ? stopReason(o, tally, received.first, startedAt) : `stopped by a second ${forcedBy}`;
  out(`tunable worker: ${tally.summary()} on study ${JSON.stringify(study.studyName)} (${study.storage.url}); ${reason}`);
  return forcedBy === null ? 0 : signalExitCode(forcedBy);
}

/** Loads the module and the study, runs the trials; the storage is closed unless a second signal cut the run short. */
async function runWorker(o: WorkerOptions, ctx: Context): Promise<number> {
  const mod = await loadObjectiveModule(o.module);
  const storage = createStorage(existing(ctx.storage));
  const study = await openStudy(storage, o, mod);
  const space = mod.searchSpace === undefined ? 'define-by-run' : `define-and-run (${Object.keys(mod.searchSpace).join(', ')})`;
  const limit = o.nTrials === undefined ? 'no trial limit' : `up to ${o.nTrials} trials`;
  log('info', `worker ${hostname()}/${process.pid} on study ${JSON.stringify(o.studyName)} (${storage.url}): ${study.sampler.constructor.name}, ${space}, ${limit}`);
  const code = await work(study, mod, o, ctx.out);
  if (code === 0) await storage.close();
  return code;
}

export const worker: Command = {
  flags: ['study-name', 'n-trials', 'timeout', 'grace-period', 'max-retry', 'heartbeat-interval', 'module'],
  help: WORKER_HELP,
  async run(flags, ctx) {
    const o = workerOptions(flags);
    try {
      return await runWorker(o, ctx);
    } finally {
      // What the module keeps open (a timer, a connection, an objective given up on) does not hold the
      // process once the worker is done, whether it succeeded or failed.
      exitSoonAfter(LINGER_MS);
    }
  },
};
