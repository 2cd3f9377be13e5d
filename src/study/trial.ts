/**
 * The trial handed to an objective: define-by-run parameter suggestions, intermediate reports,
 * pruning and user attributes. Suggestions are synchronous; their storage writes are issued at once
 * and awaited before the trial is told (a failed write surfaces there, never as an unhandled rejection).
 */
import {
  categoricalDistribution,
  contains,
  distributionFrom,
  distributionsEqual,
  floatDistribution,
  intDistribution,
  isSingle,
  toExternal,
  toInternal,
  type CategoricalChoice,
  type Distribution,
  type ParamValue,
} from '../distributions/index.js';
import { InvalidArgumentError, InvalidStateError, ParameterConflictError, TrialFinishedError } from '../errors.js';
import type { Pruner } from '../pruners/base.js';
import type { Sampler, StudyView } from '../samplers/base.js';
import type { Storage } from '../storage/base.js';
import { dict, get, has } from '../util/dict.js';
import { describe, finiteNumber, integer, invalid, jsonValue, options, string } from '../validate.js';
import { TrialState, type FrozenTrial } from '../trial/index.js';

export interface SuggestFloatOptions {
  /** Sample on a log scale (low > 0). */
  log?: boolean;
  /** Values low, low + step, ..., high; step must divide high - low. */
  step?: number | null;
}

export interface SuggestIntOptions {
  log?: boolean;
  step?: number;
}

/** What a trial needs from its study (kept narrow so tests can build one from real parts). */
export interface TrialContext {
  readonly view: StudyView;
  readonly storage: Storage;
  readonly sampler: Sampler;
  readonly pruner: Pruner;
}

export class Trial {
  readonly number: number;
  readonly trialId: number;
  private readonly ctx: TrialContext;
  private snapshot: FrozenTrial;
  private readonly relative: Record<string, number>;
  private readonly relativeSpace: Record<string, Distribution>;
  private readonly fixed: Record<string, unknown>;
  /** `fixedParamsSoft`: a fixed value the distribution does not contain is sampled instead of refused. */
  private readonly fixedSoft: boolean;
  // Keyed by the user's names: records without a prototype (see util/dict.ts).
  private readonly paramsMap = dict<ParamValue>();
  private readonly distributionsMap = dict<Distribution>();
  private readonly userAttrsMap = dict<unknown>();
  private readonly reported = new Map<number, number>();
  /**
   * Storage writes issued by suggest/report/setUserAttr and not yet stored, in issue order. A write
   * leaves the queue only once it succeeded, so one that failed (a full disk, a busy database) is
   * retried by the next flush instead of being lost or poisoning the trial.
   */
  private readonly pending: Write[] = [];
  private writes: Promise<void> = Promise.resolve();
  private writeError: unknown = undefined;
  private finished = false;

  /** @internal built by Study.ask() */
  constructor(
    ctx: TrialContext,
    snapshot: FrozenTrial,
    relative: Record<string, number>,
    relativeSpace: Record<string, Distribution>,
  ) {
    this.ctx = ctx;
    this.snapshot = snapshot;
    this.number = snapshot.number;
    this.trialId = snapshot.trialId;
    this.relative = dict(relative);
    this.relativeSpace = dict(relativeSpace);
    const fixed = get(snapshot.systemAttrs, 'fixedParams');
    this.fixed = dict(fixed !== null && typeof fixed === 'object' ? (fixed as Record<string, unknown>) : {});
    this.fixedSoft = get(snapshot.systemAttrs, 'fixedParamsSoft') === true;
    Object.assign(this.paramsMap, snapshot.params);
    Object.assign(this.distributionsMap, snapshot.distributions);
    Object.assign(this.userAttrsMap, snapshot.userAttrs);
    for (const [step, value] of snapshot.intermediateValues) this.reported.set(step, value);
  }

  /** Parameters suggested so far (external values). */
  get params(): Readonly<Record<string, ParamValue>> {
    return dict(this.paramsMap);
  }

  get distributions(): Readonly<Record<string, Distribution>> {
    return dict(this.distributionsMap);
  }

  get userAttrs(): Readonly<Record<string, unknown>> {
    return dict(this.userAttrsMap);
  }

  get intermediateValues(): ReadonlyMap<number, number> {
    return new Map(this.reported);
  }

  /** Parameters fixed for this trial by `study.enqueueTrial`. */
  get fixedParams(): Readonly<Record<string, unknown>> {
    return this.fixed;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  suggestFloat(name: string, low: number, high: number, opts?: SuggestFloatOptions): number {
    const o = options<SuggestFloatOptions>('options', opts, ['log', 'step']);
    return this.suggest(name, floatDistribution(low, high, o.log ?? false, o.step ?? null)) as number;
  }

  suggestInt(name: string, low: number, high: number, opts?: SuggestIntOptions): number {
    const o = options<SuggestIntOptions>('options', opts, ['log', 'step']);
    return this.suggest(name, intDistribution(low, high, o.log ?? false, o.step ?? 1)) as number;
  }

  suggestCategorical<T extends CategoricalChoice>(name: string, choices: readonly T[]): T {
    return this.suggest(name, categoricalDistribution(choices)) as T;
  }

  /** Suggests a parameter from a distribution object (see floatDistribution & co). */
  suggestDistribution(name: string, distribution: Distribution): ParamValue {
    return this.suggest(name, distributionFrom('distribution', distribution));
  }

  /** Records an intermediate objective value at `step` (an integer >= 0), for pruners. */
  report(value: number, step: number): void {
    this.assertRunning('report');
    finiteNumber('value', value);
    integer('step', step, 0, Number.MAX_SAFE_INTEGER);
    if (this.reported.has(step)) {
      throw new InvalidArgumentError(
        `Trial ${this.number} already reported a value at step ${step} (${this.reported.get(step)}); received ${describe(value)} again`,
      );
    }
    this.reported.set(step, value);
    this.enqueueWrite(() => this.ctx.storage.setTrialIntermediateValue(this.trialId, step, value));
  }

  /** Asks the study's pruner whether to stop this trial now. */
  async shouldPrune(): Promise<boolean> {
    this.assertRunning('shouldPrune');
    await this.flush();
    const snap = await this.ctx.storage.getTrial(this.trialId);
    return this.ctx.pruner.prune(this.ctx.view, snap);
  }

  /**
   * Sets a user attribute: JSON that reads back equal (see `jsonValue`: NaN, Infinity, Maps, Dates and
   * the like are refused here, before anything is queued, so a bad value never blocks the trial's tell).
   */
  setUserAttr(key: string, value: unknown): void {
    this.assertRunning('setUserAttr');
    string('key', key);
    jsonValue(`user attribute ${JSON.stringify(key)}`, value);
    this.userAttrsMap[key] = value;
    this.enqueueWrite(() => this.ctx.storage.setTrialUserAttr(this.trialId, key, value));
  }

  /**
   * @internal Stores every write issued so far, retrying those that failed before; throws the error of
   * the first one that fails now (the rest stay queued for the next flush).
   */
  async flush(): Promise<void> {
    await this.writes;
    if (this.writeError === undefined) return;
    if (this.writeError instanceof TrialFinishedError) throw this.writeError;  // finished elsewhere: final
    this.writeError = undefined;
    this.writes = this.writes.then(() => this.drain());
    await this.writes;
    if (this.writeError !== undefined) throw this.writeError;
  }

  /** @internal Forgets the writes not yet stored (a trial failed with them unstored); returns how many. */
  dropPendingWrites(): number {
    const n = this.pending.length;
    this.pending.length = 0;
    this.writeError = undefined;
    return n;
  }

  /**
   * @internal Whether this trial was handed out by `view`'s study: the same study id in the same
   * storage — the same instance, or one at the same persistent location (two handles on one SQLite file).
   */
  belongsTo(view: StudyView): boolean {
    const mine = this.ctx.view.storage;
    const theirs = view.storage;
    const sameStore = mine === theirs || (mine.url === theirs.url && isShared(mine.url));
    return sameStore && this.ctx.view.studyId === view.studyId;
  }

  /** @internal The name of the study that handed this trial out, for messages. */
  get studyName(): string {
    return this.ctx.view.studyName;
  }

  /** @internal Marks the trial finished (no more suggest, report or attributes) while it is told. */
  markFinished(): void {
    this.finished = true;
  }

  /** @internal Undoes markFinished when the tell failed and storage still has the trial RUNNING. */
  reopen(): void {
    this.finished = false;
  }

  private suggest(name: string, dist: Distribution): ParamValue {
    string('name', name);
    this.assertRunning(`suggest ${JSON.stringify(name)}`);
    const known = get(this.distributionsMap, name);
    if (known !== undefined) {
      if (!distributionsEqual(known, dist)) {
        throw new ParameterConflictError(
          `Parameter ${JSON.stringify(name)} was already suggested in trial ${this.number} as ${JSON.stringify(known)}; ` +
            `it cannot be redefined as ${JSON.stringify(dist)}`,
        );
      }
      return this.paramsMap[name] as ParamValue;
    }
    const internal = this.pick(name, dist);
    const value = toExternal(dist, internal);
    this.paramsMap[name] = value;
    this.distributionsMap[name] = dist;
    this.pending.push({ param: { name, internal, distribution: dist } });
    this.writes = this.writes.then(() => this.drain());
    return value;
  }

  private pick(name: string, dist: Distribution): number {
    if (has(this.fixed, name)) {
      const v = this.fixed[name];
      if (contains(dist, v)) return toInternal(dist, v, name);
      if (!this.fixedSoft) throw invalid(`enqueued parameter ${JSON.stringify(name)}`, `a value of ${JSON.stringify(dist)}`, v);
      // Soft: sampled below as if it had not been fixed.
    }
    if (isSingle(dist)) return dist.type === 'categorical' ? 0 : dist.low;
    const rel = get(this.relative, name);
    const relDist = get(this.relativeSpace, name);
    if (rel !== undefined && relDist !== undefined && distributionsEqual(relDist, dist)) {
      if (!contains(dist, toExternal(dist, rel))) {
        throw new InvalidStateError(`Sampler proposed ${describe(rel)} for ${JSON.stringify(name)} (relative sample), outside ${JSON.stringify(dist)}`);
      }
      return rel;
    }
    const internal = this.ctx.sampler.sampleIndependent(this.ctx.view, this.snapshot, name, dist);
    const external = toExternal(dist, internal);
    if (!contains(dist, external)) {
      throw new InvalidStateError(`Sampler returned ${describe(internal)} for ${JSON.stringify(name)}, outside ${JSON.stringify(dist)}`);
    }
    return internal;
  }

  private assertRunning(what: string): void {
    if (this.finished) throw new InvalidStateError(`Cannot ${what}: trial ${this.number} is already finished`);
  }

  private enqueueWrite(run: () => Promise<void>): void {
    this.pending.push({ run });
    this.writes = this.writes.then(() => this.drain());
  }

  /**
   * Stores queued writes in order, stopping at the first failure (kept in `writeError`, never rejected).
   * Parameters queued one after another go in one `setTrialParams` call where the storage has it (one
   * round trip to a server instead of one per parameter); all of them are stored, or none.
   */
  private async drain(): Promise<void> {
    const storage = this.ctx.storage;
    while (this.pending.length > 0 && this.writeError === undefined) {
      let params = 0;
      if (storage.setTrialParams !== undefined) while (params < this.pending.length && 'param' in this.pending[params]!) params++;
      try {
        if (params > 1) {
          const batch = this.pending.slice(0, params).map((w) => (w as ParamWrite).param);
          await storage.setTrialParams!(this.trialId, batch);
          this.pending.splice(0, params);
        } else {
          const w = this.pending[0]!;
          await ('param' in w ? storage.setTrialParam(this.trialId, w.param.name, w.param.internal, w.param.distribution) : w.run());
          this.pending.shift();
        }
      } catch (err) {
        this.writeError = err;
      }
    }
  }
}

/** A queued storage write: a parameter (batched with its neighbours), or any other write. */
type ParamWrite = { readonly param: { readonly name: string; readonly internal: number; readonly distribution: Distribution } };
type Write = ParamWrite | { readonly run: () => Promise<void> };

export { TrialState };

/** A storage URL that names one place every handle shares (not a private in-memory store). */
function isShared(url: string): boolean {
  return !url.startsWith('memory:') && url !== 'sqlite::memory:';
}
