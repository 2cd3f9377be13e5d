/**
 * The optimize loop: `concurrency` async workers in this process, each repeatedly ask → objective →
 * tell, until `nTrials` trials were started, `timeout` seconds passed, the study was stopped, or the
 * sampler ran out of points. An objective error fails its trial (reason recorded) and, unless `catch`
 * matches it, stops the loop after the running trials finish and is re-thrown.
 */
import { InvalidArgumentError, SearchSpaceExhaustedError, TrialPruned } from '../errors.js';
import { describe, integer, invalid, options, positiveNumber, boolean } from '../validate.js';
import type { Study } from './study.js';
import type { Trial } from './trial.js';
import type { FrozenTrial } from './types.js';
import { ProgressBar } from './progress.js';

export type ObjectiveResult = number | readonly number[];
export type Objective = (trial: Trial) => ObjectiveResult | Promise<ObjectiveResult>;
export type ErrorClass = abstract new (...args: never[]) => unknown;
export type OptimizeCallback = (study: Study, trial: FrozenTrial) => void | Promise<void>;

export interface OptimizeOptions {
  /** Number of trials to run in this call (all workers together). Unbounded when omitted with a timeout. */
  nTrials?: number;
  /** Stop starting trials after this many seconds. */
  timeout?: number;
  /** Trials run at once in this process (async objectives overlap). Default 1. */
  concurrency?: number;
  /** Errors that fail their trial but do not stop the study: classes, or a predicate. */
  catch?: readonly ErrorClass[] | ((error: unknown) => boolean);
  /** Called after each trial is stored, in completion order. */
  callbacks?: readonly OptimizeCallback[];
  /** Draw a progress bar on stderr when it is a TTY. */
  showProgressBar?: boolean;
}

interface Resolved {
  nTrials: number;
  deadline: number;
  concurrency: number;
  isCaught: (e: unknown) => boolean;
  callbacks: readonly OptimizeCallback[];
  showProgressBar: boolean;
}

function resolve(opts: OptimizeOptions | undefined): Resolved {
  const o = options<OptimizeOptions>('optimize options', opts, ['nTrials', 'timeout', 'concurrency', 'catch', 'callbacks', 'showProgressBar']);
  const nTrials = o.nTrials === undefined ? Infinity : integer('nTrials', o.nTrials, 0);
  const timeout = o.timeout === undefined ? Infinity : positiveNumber('timeout', o.timeout);
  if (nTrials === Infinity && timeout === Infinity) {
    throw new InvalidArgumentError('Pass `nTrials` or `timeout` to optimize(); with neither it would never end');
  }
  const concurrency = o.concurrency === undefined ? 1 : integer('concurrency', o.concurrency, 1);
  let isCaught: (e: unknown) => boolean = () => false;
  if (typeof o.catch === 'function') isCaught = o.catch;
  else if (Array.isArray(o.catch)) {
    o.catch.forEach((c, i) => {
      if (typeof c !== 'function') throw invalid(`catch[${i}]`, 'an error class', c);
    });
    const classes = o.catch as readonly ErrorClass[];
    isCaught = (e) => classes.some((c) => e instanceof c);
  } else if (o.catch !== undefined) throw invalid('catch', 'an array of error classes or a predicate', o.catch);
  const callbacks = o.callbacks ?? [];
  if (!Array.isArray(callbacks)) throw invalid('callbacks', 'an array of functions', callbacks);
  callbacks.forEach((c, i) => {
    if (typeof c !== 'function') throw invalid(`callbacks[${i}]`, 'a function', c);
  });
  return {
    nTrials,
    deadline: timeout === Infinity ? Infinity : Date.now() + timeout * 1000,
    concurrency,
    isCaught,
    callbacks,
    showProgressBar: o.showProgressBar === undefined ? false : boolean('showProgressBar', o.showProgressBar),
  };
}

function isResult(v: unknown): v is ObjectiveResult {
  return typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
}

function reasonOf(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return `Thrown value: ${describe(err)}`;
}

export async function optimize(study: Study, objective: Objective, opts?: OptimizeOptions): Promise<void> {
  if (typeof objective !== 'function') throw invalid('objective', 'a function', objective);
  const r = resolve(opts);
  study.resetStop();
  const persistent = !study.storage.url.startsWith('memory:');
  const bar = r.showProgressBar ? new ProgressBar(r.nTrials, r.deadline) : null;
  let started = 0;
  let firstError: { error: unknown } | null = null;

  const runOne = async (): Promise<void> => {
    const trial = await study.ask();
    const heartbeat = persistent
      ? setInterval(() => void study.storage.recordHeartbeat(trial.trialId).catch(() => undefined), study.heartbeatIntervalMs)
      : null;
    heartbeat?.unref();
    let frozen: FrozenTrial;
    let rethrow: { error: unknown } | null = null;
    try {
      let result: unknown;
      let thrown: { error: unknown } | null = null;
      try {
        result = await objective(trial);
      } catch (error) {
        thrown = { error };
      }
      if (thrown === null) {
        frozen = isResult(result)
          ? await study.tell(trial, result)
          : await study.tell(trial, 'FAIL', { failReason: `The objective returned ${describe(result)}, not a number` });
      } else if (thrown.error instanceof TrialPruned) {
        frozen = await study.tell(trial, 'PRUNED');
      } else {
        frozen = await study.tell(trial, 'FAIL', { failReason: reasonOf(thrown.error) });
        if (!r.isCaught(thrown.error)) rethrow = thrown;
      }
    } finally {
      if (heartbeat !== null) clearInterval(heartbeat);
    }
    for (const cb of r.callbacks) await cb(study, frozen);
    bar?.tick(study, frozen);
    if (rethrow !== null) throw rethrow.error;
  };

  const worker = async (): Promise<void> => {
    while (!study.stopped && firstError === null && started < r.nTrials && Date.now() < r.deadline) {
      started++;
      try {
        await runOne();
      } catch (error) {
        if (!(error instanceof SearchSpaceExhaustedError)) firstError ??= { error };
        return;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: r.concurrency }, worker));
  } finally {
    bar?.done();
    await study.refresh();
  }
  if (firstError !== null) throw (firstError as { error: unknown }).error;
}
