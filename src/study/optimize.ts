/**
 * The optimize loop: `concurrency` async workers in this process, each repeatedly ask → objective →
 * tell, until `nTrials` trials were started, `timeout` seconds passed, the study was stopped, or the
 * sampler ran out of points. An objective error fails its trial (reason recorded) and, unless `catch`
 * matches it, stops the loop after the running trials finish and is re-thrown. An ArchitectureError is
 * the trial's own parameters at fault (a network that cannot be built from them), not the objective's
 * code: it fails its trial and the search goes on, as if `catch` named it.
 *
 * What always holds when the returned promise settles: no trial started by this call is left RUNNING
 * by it. An objective still unsettled `gracePeriod` seconds after the timeout — or after `signal` was
 * aborted — has its trial failed (the objective's later result is ignored). Every running trial beats
 * (`ask()` starts the beats, see storage/base.ts `Heartbeats`; SQLite and PostgreSQL beat from a worker
 * thread, so a synchronous objective that blocks the event loop keeps its trial alive). A trial failed
 * under its worker meanwhile (judged stale by another process) keeps that outcome: its late result is
 * reported in a warning, and the loop goes on.
 */
import { distributionFrom, type Distribution } from '../distributions/index.js';
import { ArchitectureError, InvalidArgumentError, SearchSpaceExhaustedError, TrialFinishedError, TrialPruned } from '../errors.js';
import { warnOnce } from '../util/warn.js';
import { boolean, describe, integer, invalid, nonNegativeNumber, options, positiveNumber, string } from '../validate.js';
import type { Study } from './study.js';
import type { Trial } from './trial.js';
import type { FrozenTrial } from '../trial/index.js';
import { ProgressBar, reportFinished } from './progress.js';

export type ObjectiveResult = number | readonly number[];
export type Objective = (trial: Trial) => ObjectiveResult | Promise<ObjectiveResult>;
export type ErrorClass = abstract new (...args: never[]) => unknown;
export type OptimizeCallback = (study: Study, trial: FrozenTrial) => void | Promise<void>;

/** Upper bound of `concurrency`: async workers of one process (more only queue on the same event loop). */
export const MAX_CONCURRENCY = 4096;
/** Seconds an objective may run past `timeout` before its trial is failed. */
export const DEFAULT_GRACE_PERIOD_S = 60;

export interface OptimizeOptions {
  /** Number of trials to run in this call (all workers together). Unbounded when omitted with a timeout. */
  nTrials?: number;
  /** Stop starting trials after this many seconds. */
  timeout?: number;
  /**
   * Seconds after `timeout` (or after `signal` is aborted) that running objectives may take to finish
   * (default 60). Past it their trials are failed with the reason recorded, and optimize() returns.
   */
  gracePeriod?: number;
  /**
   * Stops the loop when aborted: no trial starts after it, running objectives get `gracePeriod` seconds
   * to finish, then their trials are failed with `signal.reason` (when a string) as the reason, and
   * optimize() returns normally. A worker's SIGTERM handler aborts it.
   */
  signal?: AbortSignal;
  /**
   * Parameters suggested at `ask()` (define-and-run, see `study.ask(distributions)`): stored before the
   * objective runs, so pending-aware samplers of other workers see them at once. The objective reads
   * them with the same `trial.suggest…` calls or `trial.params`.
   */
  searchSpace?: Readonly<Record<string, Distribution>>;
  /** Trials run at once in this process (async objectives overlap). Default 1, at most 4096. */
  concurrency?: number;
  /** Errors that fail their trial but do not stop the study: classes, or a predicate (ArchitectureError always). */
  catch?: readonly ErrorClass[] | ((error: unknown) => boolean);
  /** Called after each trial is stored, in completion order. */
  callbacks?: readonly OptimizeCallback[];
  /**
   * Draw a progress bar on stderr when it is a TTY. Without one, each finished trial is a log line at
   * level `info` (`setLogLevel`, `TUNABLE_LOG`).
   */
  showProgressBar?: boolean;
}

interface Resolved {
  nTrials: number;
  deadline: number;
  /** ms since the epoch after which running objectives are abandoned. */
  hardDeadline: number;
  /** Workers to start: `concurrency`, but never more than there are trials to run. */
  workers: number;
  graceMs: number;
  signal: AbortSignal | null;
  searchSpace: Readonly<Record<string, Distribution>> | undefined;
  isCaught: (e: unknown) => boolean;
  callbacks: readonly OptimizeCallback[];
  showProgressBar: boolean;
}

function resolve(opts: OptimizeOptions | undefined): Resolved {
  const o = options<OptimizeOptions>('optimize options', opts, [
    'nTrials', 'timeout', 'gracePeriod', 'concurrency', 'catch', 'callbacks', 'showProgressBar', 'signal', 'searchSpace',
  ]);
  const nTrials = o.nTrials === undefined ? Infinity : integer('nTrials', o.nTrials, 0);
  const timeout = o.timeout === undefined ? Infinity : positiveNumber('timeout', o.timeout);
  if (nTrials === Infinity && timeout === Infinity && o.signal === undefined) {
    throw new InvalidArgumentError('Pass `nTrials`, `timeout` or `signal` to optimize(); with none it would never end');
  }
  const grace = o.gracePeriod === undefined ? DEFAULT_GRACE_PERIOD_S : nonNegativeNumber('gracePeriod', o.gracePeriod);
  const concurrency = o.concurrency === undefined ? 1 : integer('concurrency', o.concurrency, 1, MAX_CONCURRENCY);
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
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalid('signal', 'an AbortSignal', o.signal);
  let searchSpace: Record<string, Distribution> | undefined;
  if (o.searchSpace !== undefined) {
    if (o.searchSpace === null || typeof o.searchSpace !== 'object' || Array.isArray(o.searchSpace)) {
      throw invalid('searchSpace', 'an object of distributions', o.searchSpace);
    }
    searchSpace = Object.fromEntries(
      Object.entries(o.searchSpace).map(([name, d]) => [string('searchSpace key', name), distributionFrom(`searchSpace.${name}`, d)]),
    );
  }
  const deadline = timeout === Infinity ? Infinity : Date.now() + timeout * 1000;
  return {
    nTrials,
    deadline,
    hardDeadline: deadline + grace * 1000,
    workers: Math.min(concurrency, nTrials),
    graceMs: grace * 1000,
    signal: o.signal ?? null,
    searchSpace,
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

/** The longest delay setTimeout keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How the objective's call ended. */
type Outcome = { kind: 'returned'; value: unknown } | { kind: 'threw'; error: unknown } | { kind: 'abandoned'; reason: string };

/**
 * The moment running objectives are given up: `gracePeriod` after the timeout or after the abort,
 * whichever comes first. One timer for the whole loop; `dispose()` clears it.
 */
class GiveUp {
  readonly reason: Promise<string>;
  private resolve!: (reason: string) => void;
  private at = Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    this.reason = new Promise<string>((resolve) => (this.resolve = resolve));
  }

  /** Gives up at `when` (ms since the epoch) with `reason`, unless an earlier moment is already set. */
  schedule(when: number, reason: string): void {
    if (when >= this.at) return;
    this.at = when;
    clearTimeout(this.timer);
    this.arm(reason);
  }

  /** setTimeout holds at most 2^31 − 1 ms (24.8 days): a later moment is reached in steps. */
  private arm(reason: string): void {
    const wait = this.at - Date.now();
    this.timer = wait > MAX_TIMER_MS
      ? setTimeout(() => this.arm(reason), MAX_TIMER_MS)
      : setTimeout(() => this.resolve(reason), Math.max(0, wait));
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

/**
 * Runs the objective until it settles or the loop gives up on it (its promise keeps running, and
 * whatever it settles to later is swallowed so it cannot surface as an unhandled rejection).
 */
async function runObjective(objective: Objective, trial: Trial, giveUp: GiveUp): Promise<Outcome> {
  let settled: Promise<Outcome>;
  try {
    settled = Promise.resolve(objective(trial)).then(
      (value): Outcome => ({ kind: 'returned', value }),
      (error: unknown): Outcome => ({ kind: 'threw', error }),
    );
  } catch (error) {
    return { kind: 'threw', error };
  }
  return Promise.race([settled, giveUp.reason.then((reason): Outcome => ({ kind: 'abandoned', reason }))]);
}

export async function optimize(study: Study, objective: Objective, opts?: OptimizeOptions): Promise<void> {
  if (typeof objective !== 'function') throw invalid('objective', 'a function', objective);
  const r = resolve(opts);
  study.resetStop();
  const bar = r.showProgressBar ? new ProgressBar(r.nTrials, r.deadline) : null;
  const giveUp = new GiveUp();
  if (r.hardDeadline !== Infinity) {
    giveUp.schedule(r.hardDeadline, `optimize() timed out: the objective had not returned ${r.graceMs / 1000} s after the timeout (gracePeriod)`);
  }
  const onAbort = (): void => {
    const reason = r.signal?.reason;
    giveUp.schedule(
      Date.now() + r.graceMs,
      typeof reason === 'string' && reason.length > 0
        ? reason
        : `optimize() was stopped (signal aborted) and the objective had not returned ${r.graceMs / 1000} s later (gracePeriod)`,
    );
  };
  if (r.signal?.aborted) onAbort();
  r.signal?.addEventListener('abort', onAbort, { once: true });
  let started = 0;
  let firstError: { error: unknown } | null = null;

  /** Tells the result; a trial that another process failed meanwhile keeps that state. */
  const finish = async (trial: Trial, tell: () => Promise<FrozenTrial>, late: string): Promise<FrozenTrial> => {
    try {
      return await tell();
    } catch (err) {
      if (!(err instanceof TrialFinishedError)) throw err;
      warnOnce(
        'TUNABLE_TRIAL_FINISHED_ELSEWHERE',
        `Trial ${trial.number} of study ${JSON.stringify(study.studyName)} was finished by another worker while its ` +
          `objective ran (failed as stale?); its result (${late}) was not recorded`,
        `finished-elsewhere:${study.studyName}:${trial.number}`,
      );
      return study.storage.getTrial(trial.trialId);
    }
  };

  const runOne = async (): Promise<void> => {
    let trial: Trial;
    try {
      trial = await study.ask(r.searchSpace);
    } catch (err) {
      if (!(err instanceof TrialFinishedError)) throw err;
      // Failed as stale by another worker while ask() was still proposing (a long proposal under load):
      // that trial is over, the loop is not.
      warnOnce(
        'TUNABLE_TRIAL_FINISHED_ELSEWHERE',
        `A trial of study ${JSON.stringify(study.studyName)} was finished by another worker before ask() handed it out ` +
          `(failed as stale?): ${err.message}`,
        `finished-elsewhere:${study.studyName}:${err.message}`,
      );
      return;
    }
    let frozen: FrozenTrial;
    let rethrow: { error: unknown } | null = null;
    try {
      const out = await runObjective(objective, trial, giveUp);
      if (out.kind === 'abandoned') {
        frozen = await finish(trial, () => study.tell(trial, 'FAIL', { failReason: out.reason }), 'none yet');
      } else if (out.kind === 'returned') {
        const v = out.value;
        frozen = isResult(v)
          ? await finish(trial, () => study.tell(trial, v), describe(v))
          : await finish(trial, () => study.tell(trial, 'FAIL', { failReason: `The objective returned ${describe(v)}, not a number` }), describe(v));
      } else if (out.error instanceof TrialPruned) {
        frozen = await finish(trial, () => study.tell(trial, 'PRUNED'), 'pruned');
      } else {
        frozen = await finish(trial, () => study.tell(trial, 'FAIL', { failReason: reasonOf(out.error) }), 'an error');
        if (!(out.error instanceof ArchitectureError) && !r.isCaught(out.error)) rethrow = { error: out.error };
      }
    } finally {
      study.stopBeating(trial.trialId);  // told, or the tell failed: either way this loop is done with it
    }
    for (const cb of r.callbacks) await cb(study, frozen);
    reportFinished(study, frozen, bar);
    if (rethrow !== null) throw rethrow.error;
  };

  const worker = async (): Promise<void> => {
    while (!study.stopped && !(r.signal?.aborted ?? false) && firstError === null && started < r.nTrials && Date.now() < r.deadline) {
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
    await Promise.all(Array.from({ length: r.workers }, worker));
  } finally {
    bar?.done();
    giveUp.dispose();
    r.signal?.removeEventListener('abort', onAbort);
    await study.refresh();
  }
  if (firstError !== null) throw (firstError as { error: unknown }).error;
}
