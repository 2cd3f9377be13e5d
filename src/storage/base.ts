/**
 * The storage contract. Every implementation (memory, SQLite, PostgreSQL) passes the same suite
 * (test/storage/contract.test.ts, `describe.each` over storages).
 *
 * Concurrency and ownership:
 * - Any method may be called concurrently, from several async tasks of one process and (for
 *   persistent storages) from several processes at once. Each call is atomic.
 * - `createTrial` assigns `number` atomically: numbers in a study are unique and gap-free (0, 1, 2, ...),
 *   whatever the number of writers.
 * - A RUNNING trial is owned by the worker that created or claimed it: only the owner writes its params,
 *   intermediate values, attributes and final state. Once finished (COMPLETE, PRUNED, FAIL) a trial is
 *   immutable: writes to it throw `TrialFinishedError` and change nothing. A stale RUNNING trial may be
 *   failed by anyone through `failStaleTrials`; its owner's later writes then throw.
 * - Returned records are snapshots (FrozenTrial); the caller may keep them, the storage never mutates them.
 * - Nothing that was stored is lost by a failed call: each write is a transaction.
 * - `close()` releases connections; after it every call throws.
 * Details both implementations share (and the contract suite checks):
 * - WAITING trials are not finished: their params and attrs may be written, and `setTrialState` may
 *   finish them directly. `recordHeartbeat` on a finished trial throws TrialFinishedError.
 * - `setTrialParam` again with the same name overwrites when the distribution is equal and throws
 *   ParameterConflictError when it differs; the internal value must belong to the distribution.
 * - Attributes are JSON (NaN, functions, BigInt refused); the storage keeps its own frozen copy.
 * - Ids are never reused. A trial is stale only when its silence is strictly longer than `olderThanMs`.
 */
import type { Distribution } from '../distributions/index.js';
import type { FrozenTrial, StudyDirection, StudySummary, TrialState } from '../trial/index.js';

/**
 * What a new trial starts with. Params are internal values with their distributions.
 *
 * A template may also describe a trial as it already is elsewhere (an import from another tool): any
 * state, with its values, intermediate values and times. A finished trial created so is immutable from
 * the start, like any other finished trial. Every field is checked before anything is written.
 */
export interface TrialTemplate {
  /**
   * RUNNING (default; datetimeStart = now), WAITING (enqueued; started when claimed), or a finished state
   * (COMPLETE, PRUNED, FAIL: created finished).
   */
  readonly state?: TrialState;
  /** One finite number per objective: required for COMPLETE, allowed for PRUNED and FAIL, null otherwise. */
  readonly values?: readonly number[] | null;
  /** step (integer >= 0) → finite value, as trial.report() would have stored them. */
  readonly intermediateValues?: ReadonlyMap<number, number>;
  /**
   * undefined: now for RUNNING and finished trials, null for WAITING ones (a WAITING trial takes no
   * start). null: no start (a trial finished without running). Millisecond precision.
   */
  readonly datetimeStart?: Date | null;
  /** Finished trials only. undefined: now; null: none recorded. Millisecond precision. */
  readonly datetimeComplete?: Date | null;
  readonly params?: Readonly<Record<string, { readonly internal: number; readonly distribution: Distribution }>>;
  readonly userAttrs?: Readonly<Record<string, unknown>>;
  readonly systemAttrs?: Readonly<Record<string, unknown>>;
}

/**
 * How `failStaleTrials` retries the trials it fails, in the transaction that fails them. For a failed
 * trial whose lineage — its system attr `retryHistory`, an array of trial numbers, oldest first; `[]`
 * when absent — is shorter than `maxRetry`, a WAITING trial is created (the next number) with:
 *   params         the failed trial's stored params (internal values and distributions), as its own
 *   systemAttrs    { retriedFrom: <failed number>, retryHistory: [...lineage, <failed number>] }
 *   userAttrs      the failed trial's, when `inheritUserAttrs`; none otherwise
 */
export interface StaleRetry {
  /** Retries per lineage; null: no limit. */
  readonly maxRetry: number | null;
  readonly inheritUserAttrs: boolean;
}

/** One parameter of a `setTrialParams` call: the internal value with its distribution. */
export interface TrialParamWrite {
  readonly name: string;
  readonly internal: number;
  readonly distribution: Distribution;
}

/**
 * Heartbeats for a set of running trials, sent every interval until removed. Writes that fail are not
 * reported: a missed beat only brings a trial closer to being judged stale.
 */
export interface Heartbeats {
  /** Starts beating for the trial: its start counts as the first beat, the next comes within one interval. */
  add(trialId: number): void;
  remove(trialId: number): void;
  /** Stops every beat and releases what the heartbeats hold (a thread, a connection). */
  close(): Promise<void>;
}

export interface Storage {
  /** Where the data lives, e.g. `memory:` or `sqlite:./tunable.db`. */
  readonly url: string;

  /** Throws DuplicatedStudyError when the name is taken. Returns the new study's id. */
  createStudy(studyName: string, directions: readonly StudyDirection[]): Promise<number>;
  /** Deletes the study and all its trials. Throws NotFoundError for an unknown id. */
  deleteStudy(studyId: number): Promise<void>;
  /** Throws NotFoundError naming the study when there is none. */
  getStudyIdFromName(studyName: string): Promise<number>;
  getStudyName(studyId: number): Promise<string>;
  getStudyDirections(studyId: number): Promise<StudyDirection[]>;
  /** Every study with its trial count and best trial (first objective; null for multi-objective). */
  getAllStudies(): Promise<StudySummary[]>;
  setStudyUserAttr(studyId: number, key: string, value: unknown): Promise<void>;
  setStudySystemAttr(studyId: number, key: string, value: unknown): Promise<void>;
  /**
   * Atomically sets a study system attribute only if the key is absent; true when this call set it.
   * The primitive for claiming a unit of work once across workers (a grid point, a bracket slot).
   */
  setStudySystemAttrIfAbsent(studyId: number, key: string, value: unknown): Promise<boolean>;
  getStudyUserAttrs(studyId: number): Promise<Record<string, unknown>>;
  getStudySystemAttrs(studyId: number): Promise<Record<string, unknown>>;

  /** Creates a trial with the next number. */
  createTrial(studyId: number, template?: TrialTemplate): Promise<FrozenTrial>;
  /** Atomically moves the oldest WAITING trial to RUNNING (datetimeStart = now) and returns it, or null. */
  claimWaitingTrial(studyId: number): Promise<FrozenTrial | null>;
  /** Records one parameter of a RUNNING trial (internal value). Throws TrialFinishedError otherwise. */
  setTrialParam(trialId: number, name: string, internal: number, distribution: Distribution): Promise<void>;
  /**
   * Optional: several `setTrialParam` calls as one, atomically — all stored or none, each with the same
   * checks and errors as alone, in order (a later entry of the same name overwrites an earlier one). A
   * trial's queued parameters go through it in one call (one round trip to a server).
   */
  setTrialParams?(trialId: number, params: readonly TrialParamWrite[]): Promise<void>;
  /**
   * Finishes a RUNNING trial (COMPLETE needs `values`; PRUNED and FAIL may carry them), setting
   * datetimeComplete. Throws TrialFinishedError when the trial is already finished.
   */
  setTrialState(trialId: number, state: TrialState, values?: readonly number[] | null): Promise<void>;
  /** Throws InvalidArgumentError when `step` already has a value, TrialFinishedError when finished. */
  setTrialIntermediateValue(trialId: number, step: number, value: number): Promise<void>;
  setTrialUserAttr(trialId: number, key: string, value: unknown): Promise<void>;
  setTrialSystemAttr(trialId: number, key: string, value: unknown): Promise<void>;
  getTrial(trialId: number): Promise<FrozenTrial>;
  /** The study's trials ordered by number, optionally only those in `states`. */
  getAllTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]>;
  getNTrials(studyId: number, states?: readonly TrialState[]): Promise<number>;

  /** Marks the trial alive now (workers call it periodically while a trial runs). */
  recordHeartbeat(trialId: number): Promise<void>;
  /**
   * Optional: heartbeats sent independently of this thread's event loop (from a worker thread with a
   * connection of its own), so that an objective that blocks the event loop does not go silent. A
   * storage without it gets timer-driven `recordHeartbeat` calls on the event loop (study/heartbeat.ts).
   */
  startHeartbeats?(intervalMs: number): Heartbeats;
  /**
   * Fails (state FAIL, systemAttr `failReason`) every RUNNING trial of the study whose last heartbeat —
   * or start, if it never beat — is older than `olderThanMs`. Returns the numbers of the trials failed.
   * With `retry`, the same transaction also enqueues a retry of each failed trial whose lineage is
   * shorter than `retry.maxRetry` (see StaleRetry), so no crash between the two can leave a stale trial
   * failed but never retried. A server-backed storage may measure silence from its own start when that
   * is later (a server restart gives every trial a fresh threshold).
   */
  failStaleTrials(studyId: number, olderThanMs: number, retry?: StaleRetry): Promise<number[]>;

  /**
   * Optional: runs `fn` while holding the study's lock named `name`; no other holder of the same lock —
   * in this process or, for a shared storage, in any process — runs at the same time. Released when `fn`
   * settles (and, for a server, when the connection holding it dies). `ask()` holds `sample` while a
   * pending-aware sampler proposes and stores its proposal, so workers starting together see each
   * other's points. A storage without it is locked within this process only (study/lock.ts).
   */
  withStudyLock?<T>(studyId: number, name: string, fn: () => Promise<T>): Promise<T>;

  close(): Promise<void>;
}
