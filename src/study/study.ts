/**
 * Studies: create/load/delete, ask/tell, the optimize loop, best trials and export.
 */
import { randomUUID } from 'node:crypto';
import { distributionFrom, type Distribution, type ParamValue } from '../distributions/index.js';
import { InvalidArgumentError, InvalidStateError, NotFoundError, SearchSpaceExhaustedError, TrialFinishedError, TrialPruned } from '../errors.js';
import { NopPruner, type Pruner } from '../pruners/base.js';
import type { Sampler, StudyView } from '../samplers/base.js';
import { defaultSampler } from '../samplers/default.js';
import type { Heartbeats, Storage } from '../storage/base.js';
import { createStorage } from '../storage/index.js';
import { checkStaleRetry } from '../storage/common.js';
import { timerHeartbeats } from '../storage/timer-heartbeat.js';
import { log } from '../util/log.js';
import { describe, invalid, oneOf, options, positiveNumber, string, integer, boolean } from '../validate.js';
import { trialsToRows, rowsToCsv } from './export.js';
import { optimize, type OptimizeOptions, type Objective } from './optimize.js';
import { paretoFront } from './pareto.js';
import { withStudyLock } from './lock.js';
import type { FailedTrialCallback } from './retry.js';
import { Trial } from './trial.js';
import { isFinished, TrialState, type FrozenTrial, type StudyDirection, type StudySummary } from '../trial/index.js';

export interface CreateStudyOptions {
  studyName?: string;
  /** `memory:` (default), `sqlite:./path.db`, or a Storage instance. */
  storage?: string | Storage;
  sampler?: Sampler;
  pruner?: Pruner;
  direction?: StudyDirection;
  directions?: readonly StudyDirection[];
  /** Load the study when one with this name exists instead of throwing DuplicatedStudyError. */
  loadIfExists?: boolean;
  /**
   * How often every running trial this process asked for records a heartbeat (ms, default 10 000); a
   * trial silent for twice as long is stale, and the next ask() of any worker fails it.
   */
  heartbeatIntervalMs?: number;
  /**
   * What becomes of each trial this process fails as stale: e.g. `new RetryFailedTrial({ maxRetry: 1 })`,
   * whose `retry` policy the storage applies in the transaction that fails the trial; `onStaleTrial` is
   * called once per failed trial after that.
   */
  failedTrialCallback?: FailedTrialCallback;
}

export interface LoadStudyOptions {
  studyName: string;
  storage?: string | Storage;
  sampler?: Sampler;
  pruner?: Pruner;
  heartbeatIntervalMs?: number;
  failedTrialCallback?: FailedTrialCallback;
}

/** Second argument of `study.tell`: the objective value(s), or a final state. */
export type TellResult = number | readonly number[] | TrialState | 'COMPLETE' | 'PRUNED' | 'FAIL';

const DIRECTIONS: readonly StudyDirection[] = ['minimize', 'maximize'];
/** Heartbeat interval of running trials (ms) when `heartbeatIntervalMs` is not given. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

function resolveDirections(direction: unknown, directions: unknown): StudyDirection[] {
  if (direction !== undefined && directions !== undefined) {
    throw new InvalidArgumentError('Pass either `direction` or `directions`, not both');
  }
  if (directions !== undefined) {
    if (!Array.isArray(directions) || directions.length === 0) throw invalid('directions', 'a non-empty array of "minimize" | "maximize"', directions);
    return directions.map((d, i) => oneOf(`directions[${i}]`, d, DIRECTIONS));
  }
  return [direction === undefined ? 'minimize' : oneOf('direction', direction, DIRECTIONS)];
}

const SAMPLER_METHODS = ['inferRelativeSearchSpace', 'sampleRelative', 'sampleIndependent'] as const;

/** A sampler given by the user: an object with the Sampler methods (a class instance such as GPSampler). */
function checkSampler(value: unknown): Sampler | undefined {
  if (value === undefined) return undefined;
  const missing = value !== null && typeof value === 'object'
    ? SAMPLER_METHODS.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function')
    : SAMPLER_METHODS;
  if (missing.length > 0) {
    throw invalid('sampler', `a Sampler (new GPSampler(), new TPESampler(), ...; missing ${missing.map((m) => `\`${m}\``).join(', ')})`, value);
  }
  return value as Sampler;
}

function checkPruner(value: unknown): Pruner | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof (value as Record<string, unknown>)['prune'] !== 'function') {
    throw invalid('pruner', 'a Pruner (new MedianPruner(), new HyperbandPruner(), ...) with a `prune` method', value);
  }
  return value as Pruner;
}

function checkFailedTrialCallback(value: unknown): FailedTrialCallback | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof (value as Record<string, unknown>)['onStaleTrial'] !== 'function') {
    throw invalid('failedTrialCallback', 'an object with an `onStaleTrial(study, trial)` method (new RetryFailedTrial(...))', value);
  }
  checkStaleRetry((value as FailedTrialCallback).retry);  // a bad policy is refused now, not at every sweep
  return value as FailedTrialCallback;
}

function heartbeatOption(value: unknown): number {
  return value === undefined ? DEFAULT_HEARTBEAT_MS : positiveNumber('heartbeatIntervalMs', value);
}

export async function createStudy(opts: CreateStudyOptions = {}): Promise<Study> {
  const o = options<CreateStudyOptions>('createStudy options', opts, [
    'studyName', 'storage', 'sampler', 'pruner', 'direction', 'directions', 'loadIfExists', 'heartbeatIntervalMs',
    'failedTrialCallback',
  ]);
  const directions = resolveDirections(o.direction, o.directions);
  const studyName = o.studyName === undefined ? `no-name-${randomUUID()}` : string('studyName', o.studyName);
  const loadIfExists = o.loadIfExists === undefined ? false : boolean('loadIfExists', o.loadIfExists);
  const heartbeatMs = heartbeatOption(o.heartbeatIntervalMs);
  const onStale = checkFailedTrialCallback(o.failedTrialCallback);
  const sampler = checkSampler(o.sampler);
  const pruner = checkPruner(o.pruner);
  const storage = createStorage(o.storage);
  let studyId: number;
  try {
    studyId = await storage.createStudy(studyName, directions);
  } catch (err) {
    if (!(loadIfExists && err instanceof Error && (err as { code?: string }).code === 'ERR_DUPLICATED_STUDY')) throw err;
    studyId = await storage.getStudyIdFromName(studyName);
    const stored = await storage.getStudyDirections(studyId);
    if (o.direction !== undefined || o.directions !== undefined) {
      if (stored.length !== directions.length || stored.some((d, i) => d !== directions[i])) {
        throw new InvalidArgumentError(
          `Study ${JSON.stringify(studyName)} exists with directions ${JSON.stringify(stored)} but ${JSON.stringify(directions)} was asked`,
        );
      }
    }
  }
  const study = new Study(storage, studyId, studyName, await storage.getStudyDirections(studyId), sampler, pruner, heartbeatMs, onStale);
  await study.refresh();
  return study;
}

export async function loadStudy(opts: LoadStudyOptions): Promise<Study> {
  const o = options<LoadStudyOptions>('loadStudy options', opts, [
    'studyName', 'storage', 'sampler', 'pruner', 'heartbeatIntervalMs', 'failedTrialCallback',
  ]);
  const studyName = string('studyName', o.studyName);
  const heartbeatMs = heartbeatOption(o.heartbeatIntervalMs);
  const onStale = checkFailedTrialCallback(o.failedTrialCallback);
  const sampler = checkSampler(o.sampler);
  const pruner = checkPruner(o.pruner);
  const storage = createStorage(o.storage);
  const studyId = await storage.getStudyIdFromName(studyName);
  const study = new Study(storage, studyId, studyName, await storage.getStudyDirections(studyId), sampler, pruner, heartbeatMs, onStale);
  await study.refresh();
  return study;
}

export async function deleteStudy(opts: { studyName: string; storage?: string | Storage }): Promise<void> {
  const o = options<{ studyName: string; storage?: string | Storage }>('deleteStudy options', opts, ['studyName', 'storage']);
  await withStorage(o.storage, async (storage) => storage.deleteStudy(await storage.getStudyIdFromName(string('studyName', o.studyName))));
}

export async function getAllStudySummaries(opts: { storage?: string | Storage } = {}): Promise<StudySummary[]> {
  const o = options<{ storage?: string | Storage }>('getAllStudySummaries options', opts, ['storage']);
  return withStorage(o.storage, (storage) => storage.getAllStudies());
}

/** Runs `f` on the storage; a storage opened here from a URL is closed afterwards. */
async function withStorage<T>(urlOrStorage: string | Storage | undefined, f: (s: Storage) => Promise<T>): Promise<T> {
  const storage = createStorage(urlOrStorage);
  try {
    return await f(storage);
  } finally {
    if (typeof urlOrStorage === 'string') await storage.close();
  }
}

export class Study implements StudyView {
  readonly storage: Storage;
  readonly studyId: number;
  readonly studyName: string;
  readonly directions: readonly StudyDirection[];
  readonly sampler: Sampler;
  readonly pruner: Pruner;
  /** @internal */ readonly heartbeatIntervalMs: number;
  private readonly onStale: FailedTrialCallback | undefined;
  /** Beats for every trial this handle asked for, until it is told (started at the first ask). */
  private heartbeats: Heartbeats | null = null;
  /** When this handle last swept the study for stale trials (ms since the epoch; 0: never). */
  private lastSweep = 0;
  private snapshot: FrozenTrial[] = [];
  private stopRequested = false;
  /** trial number → trial id for the trials this process asked, so tell(number) needs no lookup. */
  private readonly asked = new Map<number, Trial>();

  /** @internal use createStudy / loadStudy */
  constructor(
    storage: Storage,
    studyId: number,
    studyName: string,
    directions: readonly StudyDirection[],
    sampler: Sampler | undefined,
    pruner: Pruner | undefined,
    heartbeatIntervalMs: number,
    onStale?: FailedTrialCallback,
  ) {
    this.storage = storage;
    this.studyId = studyId;
    this.studyName = studyName;
    this.directions = Object.freeze([...directions]);
    this.sampler = sampler ?? defaultSampler(directions);
    this.pruner = pruner ?? new NopPruner();
    this.heartbeatIntervalMs = heartbeatIntervalMs;
    this.onStale = onStale;
  }

  /** The only direction of a single-objective study. */
  get direction(): StudyDirection {
    if (this.directions.length !== 1) throw new InvalidStateError('`direction` is ambiguous for a multi-objective study; use `directions`');
    return this.directions[0]!;
  }

  get isMultiObjective(): boolean {
    return this.directions.length > 1;
  }

  /**
   * Trials as of the last refresh (optimize, ask, tell and refresh() update it). Use `await getTrials()`
   * for the storage's current view, which includes other processes' latest trials.
   */
  get trials(): readonly FrozenTrial[] {
    return this.snapshot;
  }

  async getTrials(opts: { states?: readonly TrialState[] } = {}): Promise<FrozenTrial[]> {
    return this.storage.getAllTrials(this.studyId, opts.states);
  }

  async refresh(): Promise<void> {
    this.snapshot = await this.storage.getAllTrials(this.studyId);
  }

  /** The best COMPLETE trial of a single-objective study (from the last refresh). */
  get bestTrial(): FrozenTrial {
    const dir = this.direction;
    let best: FrozenTrial | null = null;
    for (const t of this.snapshot) {
      if (t.state !== TrialState.COMPLETE || t.values === null) continue;
      const v = t.values[0]!;
      if (best === null || (dir === 'minimize' ? v < best.values![0]! : v > best.values![0]!)) best = t;
    }
    if (best === null) throw new InvalidStateError(`Study ${JSON.stringify(this.studyName)} has no completed trials yet`);
    return best;
  }

  get bestValue(): number {
    return this.bestTrial.values![0]!;
  }

  get bestParams(): Readonly<Record<string, ParamValue>> {
    return this.bestTrial.params;
  }

  /** The Pareto-optimal COMPLETE trials (for one objective: the trials sharing the best value). */
  get bestTrials(): FrozenTrial[] {
    const complete = this.snapshot.filter((t) => t.state === TrialState.COMPLETE && t.values !== null);
    return paretoFront(complete, this.directions);
  }

  stop(): void {
    this.stopRequested = true;
  }

  /** @internal */
  get stopped(): boolean {
    return this.stopRequested;
  }

  /** @internal */
  resetStop(): void {
    this.stopRequested = false;
  }

  async setUserAttr(key: string, value: unknown): Promise<void> {
    await this.storage.setStudyUserAttr(this.studyId, string('key', key), value);
  }

  async getUserAttrs(): Promise<Record<string, unknown>> {
    return this.storage.getStudyUserAttrs(this.studyId);
  }

  /**
   * Adds a WAITING trial whose parameters are fixed to `params` (external values); the next ask()
   * takes it before sampling anything new. Parameters not listed are sampled as usual. With
   * `skipInvalid: true` the values are soft (stored as `fixedParamsSoft: true`): one the objective's
   * distribution does not contain is sampled as usual instead of failing the trial — for values from
   * elsewhere (another study, see src/transfer/) whose ranges need not match this study's.
   */
  async enqueueTrial(
    params: Record<string, ParamValue>,
    opts: { userAttrs?: Record<string, unknown>; skipInvalid?: boolean } = {},
  ): Promise<FrozenTrial> {
    if (params === null || typeof params !== 'object' || Array.isArray(params)) throw invalid('params', 'an object of parameter values', params);
    for (const [k, v] of Object.entries(params)) {
      string('params key', k);
      const ok = v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
      if (!ok) throw invalid(`params.${k}`, 'a finite number, string, boolean or null', v);
    }
    const o = options<{ userAttrs?: Record<string, unknown>; skipInvalid?: boolean }>('enqueueTrial options', opts, ['userAttrs', 'skipInvalid']);
    const soft = o.skipInvalid === undefined ? false : boolean('skipInvalid', o.skipInvalid);
    return this.storage.createTrial(this.studyId, {
      state: TrialState.WAITING,
      systemAttrs: soft ? { fixedParams: { ...params }, fixedParamsSoft: true } : { fixedParams: { ...params } },
      userAttrs: o.userAttrs ?? {},
    });
  }

  /**
   * Starts a trial (an enqueued one first) and samples its relative parameters. With `distributions`,
   * those parameters are suggested (and stored) before the trial is returned — the define-and-run style.
   * The trial beats (see `heartbeatIntervalMs`) until it is told or this process ends. Before the first
   * ask and then at most once per heartbeat interval, stale trials of other workers are failed.
   * With a pending-aware sampler (GP, TPE with the constant liar) the proposal is made and stored under
   * the study's `sample` lock, so workers asking at once see each other's points.
   */
  async ask(distributions?: Readonly<Record<string, Distribution>>): Promise<Trial> {
    if (distributions !== undefined && (distributions === null || typeof distributions !== 'object')) {
      throw invalid('distributions', 'an object of distributions', distributions);
    }
    // Validated before the trial exists, so bad input leaves nothing behind.
    const fixedSpace = Object.entries(distributions ?? {}).map(
      ([name, d]) => [string('distributions key', name), distributionFrom(`distributions.${name}`, d)] as const,
    );
    await this.sweepStaleTrials();
    const start = (): Promise<Trial> => this.startTrial(fixedSpace);
    return this.sampler.usesPending === true ? withStudyLock(this.storage, this.studyId, 'sample', start) : start();
  }

  private async startTrial(fixedSpace: readonly (readonly [string, Distribution])[]): Promise<Trial> {
    let frozen = await this.storage.claimWaitingTrial(this.studyId);
    if (frozen === null) {
      const attrs = this.sampler.reserveTrial ? await this.sampler.reserveTrial(this) : {};
      if (attrs === null) {
        this.stop();
        throw new SearchSpaceExhaustedError(`The sampler of study ${JSON.stringify(this.studyName)} has no parameters left to propose`);
      }
      frozen = await this.storage.createTrial(this.studyId, { systemAttrs: attrs });
    }
    this.beats().add(frozen.trialId);
    try {
      const space = await this.sampler.inferRelativeSearchSpace(this, frozen);
      const relative = Object.keys(space).length > 0 ? await this.sampler.sampleRelative(this, frozen, space) : {};
      const trial = new Trial({ view: this, storage: this.storage, sampler: this.sampler, pruner: this.pruner }, frozen, relative, space);
      for (const [name, d] of fixedSpace) trial.suggestDistribution(name, d);
      await trial.flush();
      this.asked.set(trial.number, trial);
      this.upsertSnapshot(fixedSpace.length > 0 ? await this.storage.getTrial(trial.trialId) : frozen);
      return trial;
    } catch (err) {
      // The trial exists but nobody will run it: fail it now rather than leave a RUNNING orphan.
      this.stopBeating(frozen.trialId);
      await this.storage
        .setTrialSystemAttr(frozen.trialId, 'failReason', `ask() failed before the trial was handed out: ${err instanceof Error ? err.message : String(err)}`)
        .then(() => this.storage.setTrialState(frozen.trialId, TrialState.FAIL))
        .catch(() => undefined);  // the storage itself failing: the stale-trial sweep will fail it
      throw err;
    }
  }

  /** This handle's heartbeats: from the storage's own thread where it has one, else from a timer. */
  private beats(): Heartbeats {
    this.heartbeats ??= this.storage.startHeartbeats?.(this.heartbeatIntervalMs) ?? timerHeartbeats(this.storage, this.heartbeatIntervalMs);
    return this.heartbeats;
  }

  /** @internal Stops the beats of a trial this handle asked for (told, or given up). */
  stopBeating(trialId: number): void {
    this.heartbeats?.remove(trialId);
  }

  /**
   * Fails other workers' stale trials, at most once per heartbeat interval. Only storages that beat from
   * a thread of their own (SQLite files, PostgreSQL) are swept: their live trials beat even while this
   * event loop is blocked, so silence means a dead worker; a storage private to this process has no
   * other workers. A failed sweep is logged and left to the next one.
   */
  private async sweepStaleTrials(): Promise<void> {
    if (this.storage.startHeartbeats === undefined) return;
    const now = Date.now();
    if (now - this.lastSweep < this.heartbeatIntervalMs) return;
    this.lastSweep = now;
    try {
      await this.failStaleTrials();
    } catch (err) {
      log('warning', `Stale-trial sweep of study ${JSON.stringify(this.studyName)} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Finishes a trial: with its objective value(s) it becomes COMPLETE; with a state, PRUNED or FAIL.
   * A non-finite value, or the wrong number of values, fails the trial with the reason recorded in
   * `systemAttrs.failReason` (the study goes on). Returns the stored trial.
   */
  async tell(trialOrNumber: Trial | number, result: TellResult, opts: { failReason?: string } = {}): Promise<FrozenTrial> {
    const o = options<{ failReason?: string }>('tell options', opts, ['failReason']);
    const trial = await this.resolveTrial(trialOrNumber);
    const { state, values, reason } = this.interpret(result, trial);
    let failReason = o.failReason === undefined ? reason : string('failReason', o.failReason, { nonEmpty: false });
    if (trial instanceof Trial) {
      trial.markFinished();
      try {
        await trial.flush();
      } catch (err) {
        if (err instanceof TrialFinishedError) {
          // Finished elsewhere meanwhile (failed as stale by another process): that outcome stands.
          this.stopBeating(trial.trialId);
          await this.refresh();
          throw err;
        }
        if (state !== TrialState.FAIL) {
          trial.reopen();  // still RUNNING in storage: the same tell can be retried
          throw err;
        }
        // Failing a trial must always be possible: its unstored writes go, and the reason says so.
        const dropped = trial.dropPendingWrites();
        failReason = `${failReason ?? 'Failed'} (${dropped} unstored write(s) dropped: ${err instanceof Error ? err.message : String(err)})`;
      }
    }
    try {
      if (state === TrialState.FAIL && failReason !== undefined) {
        await this.storage.setTrialSystemAttr(trial.trialId, 'failReason', failReason);
      }
      await this.storage.setTrialState(trial.trialId, state, values);
    } catch (err) {
      if (err instanceof TrialFinishedError) this.stopBeating(trial.trialId);
      else if (trial instanceof Trial) trial.reopen();
      throw err;
    }
    this.stopBeating(trial.trialId);
    const stored = await this.storage.getTrial(trial.trialId);
    this.asked.delete(stored.number);
    if (this.sampler.afterTrial) await this.sampler.afterTrial(this, stored, state, values);
    this.upsertSnapshot(stored);
    return stored;
  }

  async optimize(objective: Objective, opts?: OptimizeOptions): Promise<void> {
    await optimize(this, objective, opts);
  }

  /**
   * Fails RUNNING trials that have not sent a heartbeat for `olderThanMs` (default: twice the heartbeat
   * interval) — the trials of a process that died. The storage enqueues their retries per
   * `failedTrialCallback.retry` (RetryFailedTrial) in the same transaction, so a sweeper killed at any
   * point leaves no stale trial failed and unretried; then each failed trial is handed to
   * `failedTrialCallback.onStaleTrial` (best effort: not if this process dies first). Returns their
   * numbers. Each stale trial is failed by exactly one caller, whichever worker sweeps first.
   */
  async failStaleTrials(opts: { olderThanMs?: number } = {}): Promise<number[]> {
    const o = options<{ olderThanMs?: number }>('failStaleTrials options', opts, ['olderThanMs']);
    const ms = o.olderThanMs === undefined ? 2 * this.heartbeatIntervalMs : integer('olderThanMs', o.olderThanMs, 0);
    const failed = await this.storage.failStaleTrials(this.studyId, ms, this.onStale?.retry);
    if (failed.length === 0) return failed;
    await this.refresh();
    if (this.onStale !== undefined) {
      for (const number of failed) {
        const trial = this.snapshot.find((t) => t.number === number);
        if (trial !== undefined) await this.onStale.onStaleTrial(this, trial);
      }
    }
    return failed;
  }

  /** Trials as flat rows (number, state, values, params_*, user_attrs_*, times): CSV or JSON text, or the rows. */
  async exportTrials(format?: 'csv' | 'json'): Promise<string>;
  async exportTrials(format: 'rows'): Promise<Record<string, unknown>[]>;
  async exportTrials(format: 'csv' | 'json' | 'rows' = 'json'): Promise<string | Record<string, unknown>[]> {
    const fmt = oneOf('format', format, ['csv', 'json', 'rows']);
    await this.refresh();
    const rows = trialsToRows(this.snapshot, this.directions);
    if (fmt === 'rows') return rows;
    return fmt === 'csv' ? rowsToCsv(rows) : JSON.stringify(rows, null, 2);
  }

  /** @internal */
  upsertSnapshot(t: FrozenTrial): void {
    const i = this.snapshot.findIndex((s) => s.trialId === t.trialId);
    if (i >= 0) {
      const next = this.snapshot.slice();
      next[i] = t;
      this.snapshot = next;
    } else {
      this.snapshot = [...this.snapshot, t].sort((a, b) => a.number - b.number);
    }
  }

  private async resolveTrial(t: Trial | number): Promise<Trial | FrozenTrial> {
    if (t instanceof Trial) {
      if (!t.belongsTo(this)) {
        throw new InvalidArgumentError(
          `Trial ${t.number} belongs to study ${JSON.stringify(t.studyName)}${t.studyName === this.studyName ? ' in another storage' : ''}, ` +
            `not to study ${JSON.stringify(this.studyName)}: tell it through the study that asked for it`,
        );
      }
      if (t.isFinished) throw new InvalidStateError(`Trial ${t.number} is already finished`);
      return t;
    }
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw invalid('trial', 'a Trial or a trial number', t);
    const mine = this.asked.get(t);
    if (mine !== undefined) return mine;
    const all = await this.storage.getAllTrials(this.studyId);
    const found = all.find((x) => x.number === t);
    if (found === undefined) throw new NotFoundError(`Study ${JSON.stringify(this.studyName)} has no trial number ${t}`);
    if (isFinished(found.state)) throw new InvalidStateError(`Trial ${t} is already finished (${found.state})`);
    if (found.state === TrialState.WAITING) throw new InvalidStateError(`Trial ${t} is WAITING: ask() for it before telling`);
    return found;
  }

  private interpret(result: TellResult, trial: Trial | FrozenTrial): { state: TrialState; values: number[] | null; reason?: string } {
    if (typeof result === 'string') {
      const state = oneOf('state', result, ['COMPLETE', 'PRUNED', 'FAIL']) as TrialState;
      if (state === TrialState.COMPLETE) throw new InvalidArgumentError('Telling COMPLETE needs the objective value(s), not the state');
      if (state === TrialState.PRUNED) {
        // A pruned trial keeps its last reported value, so pruners and plots can use it.
        const iv = trial.intermediateValues;
        let last: number | null = null;
        let lastStep = -1;
        for (const [s, v] of iv) if (s > lastStep) [lastStep, last] = [s, v];
        return { state, values: last === null || this.isMultiObjective ? null : [last] };
      }
      return { state, values: null };
    }
    const values = typeof result === 'number' ? [result] : Array.isArray(result) ? [...(result as number[])] : null;
    if (values === null) return { state: TrialState.FAIL, values: null, reason: `The objective returned ${describe(result)}, not a number` };
    if (values.length !== this.directions.length) {
      return {
        state: TrialState.FAIL,
        values: null,
        reason: `The objective returned ${values.length} value(s) but the study has ${this.directions.length} objective(s)`,
      };
    }
    for (const v of values) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        return { state: TrialState.FAIL, values: null, reason: `The objective returned ${describe(v)}, which is not a finite number` };
      }
    }
    return { state: TrialState.COMPLETE, values };
  }
}

export { TrialPruned };
