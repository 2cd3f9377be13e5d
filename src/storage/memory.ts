/**
 * In-process storage (`memory:`). Every trial is kept as one frozen FrozenTrial snapshot; a write builds
 * a new snapshot (copying only the record it changes) and replaces the old one, so reads return shared
 * snapshots without copying and callers may keep them forever.
 */
import type { Distribution } from '../distributions/index.js';
import { DuplicatedStudyError, InvalidArgumentError, ParameterConflictError } from '../errors.js';
import { TrialState, isFinished, type FrozenTrial, type StudyDirection, type StudySummary } from '../trial/index.js';
import { dict } from '../util/dict.js';
import type { StaleRetry, Storage, TrialParamWrite, TrialTemplate } from './base.js';
import {
  EMPTY_MAP,
  bestOf,
  canonicalDistribution,
  checkDirections,
  checkFinishedState,
  checkFinite,
  checkId,
  checkInternal,
  checkName,
  checkParamWrites,
  checkStaleMs,
  checkStaleRetry,
  checkStates,
  checkStep,
  checkTemplateRecord,
  checkValues,
  closedError,
  decodeAttr,
  decodeAttrs,
  deepFreeze,
  emptyRecord,
  encodeAttr,
  lineageOf,
  retries,
  retryAttrs,
  sameDistribution,
  staleReason,
  studyNameNotFound,
  studyNotFound,
  trialFinished,
  trialNotFound,
  withKey,
  TrialIndex,
} from './common.js';

interface MemStudy {
  readonly id: number;
  readonly name: string;
  readonly directions: readonly StudyDirection[];
  userAttrs: Readonly<Record<string, unknown>>;
  systemAttrs: Readonly<Record<string, unknown>>;
  /** Snapshots by number and by state. */
  readonly index: TrialIndex;
  /** Trial ids of WAITING trials, oldest first (may hold ids no longer WAITING; skipped lazily). */
  readonly waiting: number[];
}

interface MemTrial {
  readonly studyId: number;
  snapshot: FrozenTrial;
  heartbeat: number | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What a new trial is made of; the rest (id, number, and what is not given here) the storage sets. */
type NewTrial = Pick<FrozenTrial, 'state' | 'params' | 'internalParams' | 'distributions' | 'userAttrs' | 'systemAttrs'> &
  Partial<Pick<FrozenTrial, 'values' | 'intermediateValues' | 'datetimeStart' | 'datetimeComplete'>>;

export class MemoryStorage implements Storage {
  readonly url = 'memory:';
  private readonly studies = new Map<number, MemStudy>();
  private readonly studyIdsByName = new Map<string, number>();
  private readonly trials = new Map<number, MemTrial>();
  private nextStudyId = 1;
  private nextTrialId = 1;
  private closed = false;

  // ---------------------------------------------------------------------------------------------
  // Studies

  async createStudy(studyName: string, directions: readonly StudyDirection[]): Promise<number> {
    this.open();
    const name = checkName('studyName', studyName);
    const dirs = Object.freeze(checkDirections(directions));
    if (this.studyIdsByName.has(name)) throw new DuplicatedStudyError(name);
    const id = this.nextStudyId++;
    this.studies.set(id, { id, name, directions: dirs, userAttrs: emptyRecord(), systemAttrs: emptyRecord(), index: new TrialIndex(), waiting: [] });
    this.studyIdsByName.set(name, id);
    return id;
  }

  async deleteStudy(studyId: number): Promise<void> {
    const s = this.study(studyId);
    for (const t of s.index.all) this.trials.delete(t.trialId);
    this.studies.delete(s.id);
    this.studyIdsByName.delete(s.name);
  }

  async getStudyIdFromName(studyName: string): Promise<number> {
    this.open();
    const name = checkName('studyName', studyName);
    const id = this.studyIdsByName.get(name);
    if (id === undefined) throw studyNameNotFound(name);
    return id;
  }

  async getStudyName(studyId: number): Promise<string> {
    return this.study(studyId).name;
  }

  async getStudyDirections(studyId: number): Promise<StudyDirection[]> {
    return this.study(studyId).directions.slice();
  }

  async getAllStudies(): Promise<StudySummary[]> {
    this.open();
    const out: StudySummary[] = [];
    for (const s of this.studies.values()) {
      let start: Date | null = null;
      for (const t of s.index.all) {
        if (t.datetimeStart !== null && (start === null || t.datetimeStart.getTime() < start.getTime())) start = t.datetimeStart;
      }
      out.push(
        Object.freeze({
          studyId: s.id,
          studyName: s.name,
          directions: s.directions,
          nTrials: s.index.size,
          bestTrial: bestOf(s.index.select([TrialState.COMPLETE]), s.directions),
          datetimeStart: start,
          userAttrs: s.userAttrs,
        }),
      );
    }
    return out;
  }

  async setStudyUserAttr(studyId: number, key: string, value: unknown): Promise<void> {
    const s = this.study(studyId);
    const k = checkName('key', key);
    s.userAttrs = withKey(s.userAttrs, k, decodeAttr(encodeAttr(k, value)));
  }

  async setStudySystemAttr(studyId: number, key: string, value: unknown): Promise<void> {
    const s = this.study(studyId);
    const k = checkName('key', key);
    s.systemAttrs = withKey(s.systemAttrs, k, decodeAttr(encodeAttr(k, value)));
  }

  async setStudySystemAttrIfAbsent(studyId: number, key: string, value: unknown): Promise<boolean> {
    const s = this.study(studyId);
    const k = checkName('key', key);
    const v = decodeAttr(encodeAttr(k, value));
    if (Object.prototype.hasOwnProperty.call(s.systemAttrs, k)) return false;
    s.systemAttrs = withKey(s.systemAttrs, k, v);
    return true;
  }

  async getStudyUserAttrs(studyId: number): Promise<Record<string, unknown>> {
    return dict(this.study(studyId).userAttrs);
  }

  async getStudySystemAttrs(studyId: number): Promise<Record<string, unknown>> {
    return dict(this.study(studyId).systemAttrs);
  }

  // ---------------------------------------------------------------------------------------------
  // Trials

  async createTrial(studyId: number, template?: TrialTemplate): Promise<FrozenTrial> {
    const s = this.study(studyId);
    if (template !== undefined && (template === null || typeof template !== 'object')) {
      throw new InvalidArgumentError(`Expected a trial template object for \`template\` but received ${String(template)}`);
    }
    const rec = checkTemplateRecord(template, s.directions.length, Date.now());
    const params = dict<unknown>();
    const internalParams = dict<number>();
    const distributions = dict<Distribution>();
    if (template?.params !== undefined) {
      if (template.params === null || typeof template.params !== 'object') {
        throw new InvalidArgumentError('Expected an object for `template.params`');
      }
      for (const [name, p] of Object.entries(template.params)) {
        checkName('param name', name);
        if (p === null || typeof p !== 'object') throw new InvalidArgumentError(`Expected { internal, distribution } for \`template.params.${name}\``);
        const d = canonicalDistribution(`template.params.${name}.distribution`, p.distribution);
        params[name] = checkInternal(name, p.internal, d);
        internalParams[name] = p.internal;
        distributions[name] = d;
      }
    }
    return this.insert(s, {
      state: rec.state,
      values: rec.values,
      intermediateValues: rec.intermediate.length === 0 ? EMPTY_MAP : new Map(rec.intermediate),
      datetimeStart: rec.start === null ? null : new Date(rec.start),
      datetimeComplete: rec.complete === null ? null : new Date(rec.complete),
      params: Object.freeze(params) as FrozenTrial['params'],
      internalParams: Object.freeze(internalParams),
      distributions: Object.freeze(distributions),
      userAttrs: decodeAttrs('template.userAttrs', template?.userAttrs),
      systemAttrs: decodeAttrs('template.systemAttrs', template?.systemAttrs),
    });
  }

  async claimWaitingTrial(studyId: number): Promise<FrozenTrial | null> {
    const s = this.study(studyId);
    while (s.waiting.length > 0) {
      const id = s.waiting.shift()!;
      const t = this.trials.get(id);
      if (t === undefined || t.snapshot.state !== TrialState.WAITING) continue;
      this.replace(t, { state: TrialState.RUNNING, datetimeStart: new Date() });
      return t.snapshot;
    }
    return null;
  }

  async setTrialParam(trialId: number, name: string, internal: number, distribution: Distribution): Promise<void> {
    const t = this.writable(trialId);
    const n = checkName('name', name);
    const d = canonicalDistribution('distribution', distribution);
    const external = checkInternal(n, internal, d);
    const snap = t.snapshot;
    const prev = snap.distributions[n];
    if (prev !== undefined && !sameDistribution(prev, d)) {
      throw new ParameterConflictError(`Parameter ${JSON.stringify(n)} of trial ${snap.number} already has a different distribution`);
    }
    this.replace(t, {
      params: withKey(snap.params, n, external),
      internalParams: withKey(snap.internalParams, n, internal),
      distributions: withKey(snap.distributions, n, d),
    });
  }

  async setTrialParams(trialId: number, params: readonly TrialParamWrite[]): Promise<void> {
    const t = this.writable(trialId);
    const rows = checkParamWrites(params);
    const snap = t.snapshot;
    let p = snap.params;
    let ip = snap.internalParams;
    let ds = snap.distributions;
    for (const r of rows) {  // on a copy: a conflict anywhere leaves the trial as it was
      const prev = ds[r.name];
      if (prev !== undefined && !sameDistribution(prev, r.distribution)) {
        throw new ParameterConflictError(`Parameter ${JSON.stringify(r.name)} of trial ${snap.number} already has a different distribution`);
      }
      p = withKey(p, r.name, r.external);
      ip = withKey(ip, r.name, r.internal);
      ds = withKey(ds, r.name, r.distribution);
    }
    if (rows.length > 0) this.replace(t, { params: p, internalParams: ip, distributions: ds });
  }

  async setTrialState(trialId: number, state: TrialState, values?: readonly number[] | null): Promise<void> {
    const t = this.writable(trialId);
    const st = checkFinishedState(state);
    const vals = checkValues(st, values, this.studies.get(t.studyId)!.directions.length);
    this.replace(t, { state: st, values: vals, datetimeComplete: new Date() });
  }

  async setTrialIntermediateValue(trialId: number, step: number, value: number): Promise<void> {
    const t = this.writable(trialId);
    const st = checkStep(step);
    const v = checkFinite('value', value);
    const snap = t.snapshot;
    if (snap.intermediateValues.has(st)) {
      throw new InvalidArgumentError(`Trial ${snap.number} already has an intermediate value at step ${st}`);
    }
    const m = new Map(snap.intermediateValues);
    m.set(st, v);
    this.replace(t, { intermediateValues: m });
  }

  async setTrialUserAttr(trialId: number, key: string, value: unknown): Promise<void> {
    const t = this.writable(trialId);
    const k = checkName('key', key);
    this.replace(t, { userAttrs: withKey(t.snapshot.userAttrs, k, decodeAttr(encodeAttr(k, value))) });
  }

  async setTrialSystemAttr(trialId: number, key: string, value: unknown): Promise<void> {
    const t = this.writable(trialId);
    const k = checkName('key', key);
    this.replace(t, { systemAttrs: withKey(t.snapshot.systemAttrs, k, decodeAttr(encodeAttr(k, value))) });
  }

  async getTrial(trialId: number): Promise<FrozenTrial> {
    return this.trial(trialId).snapshot;
  }

  async getAllTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    const s = this.study(studyId);
    return s.index.select(checkStates(states));
  }

  async getNTrials(studyId: number, states?: readonly TrialState[]): Promise<number> {
    const s = this.study(studyId);
    return s.index.count(checkStates(states));
  }

  async recordHeartbeat(trialId: number): Promise<void> {
    const t = this.writable(trialId);
    t.heartbeat = Date.now();
  }

  async failStaleTrials(studyId: number, olderThanMs: number, retry?: StaleRetry): Promise<number[]> {
    const s = this.study(studyId);
    const ms = checkStaleMs(olderThanMs);
    const policy = checkStaleRetry(retry);
    const now = Date.now();
    const failed: FrozenTrial[] = [];
    for (const number of [...s.index.unfinished].sort((a, b) => a - b)) {
      const snap = s.index.all[number]!;
      if (snap.state !== TrialState.RUNNING) continue;
      const t = this.trials.get(snap.trialId)!;
      const last = t.heartbeat ?? snap.datetimeStart?.getTime() ?? 0;
      if (now - last > ms) {
        this.replace(t, {
          state: TrialState.FAIL,
          datetimeComplete: new Date(now),
          systemAttrs: withKey(snap.systemAttrs, 'failReason', staleReason(last, now, ms)),
        });
        failed.push(t.snapshot);
      }
    }
    // Synchronous from the first check to here: the fails and the retries are one atomic step.
    for (const f of failed) this.enqueueRetry(s, f, policy);
    return failed.map((f) => f.number);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.studies.clear();
    this.studyIdsByName.clear();
    this.trials.clear();
  }

  // ---------------------------------------------------------------------------------------------

  private open(): void {
    if (this.closed) throw closedError(this.url);
  }

  private study(studyId: number): MemStudy {
    this.open();
    const s = this.studies.get(checkId('studyId', studyId));
    if (s === undefined) throw studyNotFound(studyId);
    return s;
  }

  private trial(trialId: number): MemTrial {
    this.open();
    const t = this.trials.get(checkId('trialId', trialId));
    if (t === undefined) throw trialNotFound(trialId);
    return t;
  }

  /** The trial if it may still be written (RUNNING or WAITING). */
  private writable(trialId: number): MemTrial {
    const t = this.trial(trialId);
    if (isFinished(t.snapshot.state)) throw trialFinished(trialId, t.snapshot.number, t.snapshot.state);
    return t;
  }

  /** Stores a new trial with the study's next number (WAITING ones queue for claimWaitingTrial). */
  private insert(s: MemStudy, fields: NewTrial): FrozenTrial {
    const trialId = this.nextTrialId++;
    const snapshot: FrozenTrial = Object.freeze({
      trialId,
      number: s.index.size,
      values: null,
      intermediateValues: EMPTY_MAP,
      datetimeStart: fields.state === TrialState.RUNNING ? new Date() : null,
      datetimeComplete: null,
      ...fields,
    });
    s.index.put(snapshot);
    if (fields.state === TrialState.WAITING) s.waiting.push(trialId);
    this.trials.set(trialId, { studyId: s.id, snapshot, heartbeat: null });
    return snapshot;
  }

  /** Enqueues the retry of a trial just failed as stale, when `policy` retries its lineage. */
  private enqueueRetry(s: MemStudy, failed: FrozenTrial, policy: StaleRetry | undefined): void {
    const lineage = lineageOf(failed.systemAttrs);
    if (!retries(policy, lineage)) return;
    this.insert(s, {
      state: TrialState.WAITING,
      params: failed.params,
      internalParams: failed.internalParams,
      distributions: failed.distributions,
      userAttrs: policy.inheritUserAttrs ? failed.userAttrs : emptyRecord(),
      systemAttrs: deepFreeze(dict<unknown>(retryAttrs(failed.number, lineage))),
    });
  }

  private replace(t: MemTrial, patch: Partial<Mutable<FrozenTrial>>): void {
    const next = Object.freeze({ ...t.snapshot, ...patch });
    t.snapshot = next;
    this.studies.get(t.studyId)!.index.put(next);
  }
}
