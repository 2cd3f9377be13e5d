/**
 * What the dashboard's API answers, read from a storage and cached per study. Read-only: only the
 * storage's getters are called.
 *
 * Each study's trials are held as JSON (TrialJSON and its serialised text) with a version that grows
 * whenever a trial is added or changes; the live events, the importance and the surrogate caches all key
 * on that version. A refresh is one `getAllTrials` call, cheap on every storage: each keeps the
 * snapshots it has read and reads only the trials changed since (storage/common.ts's TrialIndex), and
 * returns the same FrozenTrial object for an unchanged trial, so a refresh serialises only the trials
 * whose snapshot is new, and compares that text with the last.
 */
import { InvalidArgumentError, InvalidStateError, NotFoundError } from '../errors.js';
import { paramImportances } from '../importance/index.js';
import type { Storage } from '../storage/base.js';
import type { FrozenTrial, StudyDirection, StudySummary } from '../trial/index.js';
import { INTERMEDIATE_MAX_POINTS } from '../plot/options/intermediate.js';
import {
  intermediateColumns, summaryToJSON, trialsToColumns, trialToJSON, type StudySummaryJSON, type TrialJSON,
} from '../trial/json.js';
import { fitSurrogate } from './surrogate.js';

interface Entry {
  frozen: FrozenTrial;
  json: TrialJSON;
  /** JSON.stringify(json): what was last sent, and the body's building block. */
  key: string;
  /** The study version at which this trial last changed. */
  version: number;
}

/** One study's trials as JSON, brought up to date by `refresh`. */
export class StudyTrials {
  readonly studyId: number;
  /** Grows by one at each refresh that found a new or changed trial. */
  version = 0;
  private readonly storage: Storage;
  private readonly byId = new Map<number, Entry>();
  /** In trial-number order. */
  private ordered: Entry[] = [];
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** The trials' JSON text at `version` (a large study's text is tens of megabytes: built once per version). */
  private text: { readonly version: number; readonly value: string } | null = null;
  /** The trials' columns (TrialColumnsJSON) as text at `version`. */
  private columns: { readonly version: number; readonly value: string } | null = null;
  /** The trials' intermediate values (IntermediateColumnsJSON) as text at `version`. */
  private intermediate: { readonly version: number; readonly value: string } | null = null;

  constructor(storage: Storage, studyId: number) {
    this.storage = storage;
    this.studyId = studyId;
  }

  /**
   * Reads the study's trials. Calls made while one read runs share the next read (which starts after
   * it), so every caller sees the storage as it was at some moment after its call, and at most two
   * reads per study are ever under way. Throws NotFoundError for a deleted or unknown study.
   */
  refresh(): Promise<void> {
    if (this.running === null) {
      this.running = this.read().finally(() => (this.running = null));
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.refresh();
      });
    return this.queued;
  }

  private async read(): Promise<void> {
    const trials = await this.storage.getAllTrials(this.studyId);
    const next = this.version + 1;
    let changed = false;
    const ordered: Entry[] = [];
    for (const t of trials) {
      let e = this.byId.get(t.trialId);
      if (e === undefined || e.frozen !== t) {
        const json = trialToJSON(t);
        const key = JSON.stringify(json);
        if (e === undefined) {
          e = { frozen: t, json, key, version: next };
          this.byId.set(t.trialId, e);
          changed = true;
        } else {
          e.frozen = t;
          if (e.key !== key) {
            e.json = json;
            e.key = key;
            e.version = next;
            changed = true;
          }
        }
      }
      ordered.push(e);
    }
    this.ordered = ordered;
    if (changed) this.version = next;
  }

  /** The trials as last read, in number order. */
  frozen(): FrozenTrial[] {
    return this.ordered.map((e) => e.frozen);
  }

  json(): TrialJSON[] {
    return this.ordered.map((e) => e.json);
  }

  /** `[trial, …]` as JSON text, built from the cached texts. */
  trialsText(): string {
    if (this.text === null || this.text.version !== this.version) {
      this.text = { version: this.version, value: `[${this.ordered.map((e) => e.key).join(',')}]` };
    }
    return this.text.value;
  }

  /**
   * The trials as `TrialColumnsJSON` text without their intermediate values (`intermediateText` has
   * them), built once per version.
   */
  columnsText(): string {
    if (this.columns === null || this.columns.version !== this.version) {
      this.columns = { version: this.version, value: JSON.stringify(trialsToColumns(this.json(), 0)) };
    }
    return this.columns.value;
  }

  /**
   * The trials' intermediate values as `IntermediateColumnsJSON` text, built once per version; each
   * curve capped at what the intermediate-values chart draws of it (INTERMEDIATE_MAX_POINTS, the same
   * points).
   */
  intermediateText(): string {
    if (this.intermediate === null || this.intermediate.version !== this.version) {
      this.intermediate = { version: this.version, value: JSON.stringify(intermediateColumns(this.json(), INTERMEDIATE_MAX_POINTS)) };
    }
    return this.intermediate.value;
  }

  /** The JSON texts of the trials added or changed after `version`, in number order. */
  changedSince(version: number): string[] {
    if (version >= this.version) return [];
    return this.ordered.filter((e) => e.version > version).map((e) => e.key);
  }
}

/** A cached answer for one study version. */
interface Cached {
  readonly version: number;
  readonly body: Promise<string>;
}

export interface StudyMeta {
  readonly name: string;
  readonly directions: readonly StudyDirection[];
}

/**
 * The `objective` query parameter: absent → 0, otherwise decimal digits naming an objective of the
 * study. Throws InvalidArgumentError.
 */
export function objectiveParam(raw: string | null, directions: readonly StudyDirection[]): number {
  const max = directions.length - 1;
  const v = raw === null ? 0 : /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(v >= 0 && v <= max)) {
    throw new InvalidArgumentError(`Expected an integer in [0, ${max}] for \`objective\` but received ${JSON.stringify(raw)}`);
  }
  return v;
}

export type StudyForm = 'full' | 'columns';

/** The `form` query parameter of a study: absent or `full` → StudyJSON, `columns` → StudyColumnsJSON. */
export function studyFormParam(raw: string | null): StudyForm {
  if (raw === null || raw === 'full') return 'full';
  if (raw === 'columns') return 'columns';
  throw new InvalidArgumentError(`Expected "full" or "columns" for \`form\` but received ${JSON.stringify(raw)}`);
}

/** A study id from a URL path segment: decimal digits, a safe integer. Throws InvalidArgumentError. */
export function studyIdParam(raw: string): number {
  const v = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`Expected an integer study id for \`studyId\` but received ${JSON.stringify(raw)}`);
  return v;
}

/** The API's answers as JSON text, with the caches they share. */
export class DashboardData {
  readonly storage: Storage;
  private readonly studies = new Map<number, StudyTrials>();
  /** Names and directions never change once a study exists. */
  private readonly meta = new Map<number, StudyMeta>();
  private readonly summaries = new Map<number, { version: number; json: StudySummaryJSON }>();
  private readonly importances = new Map<string, Cached>();
  private readonly surrogates = new Map<string, Cached>();

  constructor(storage: Storage) {
    this.storage = storage;
  }

  /** The study's trials (not read yet: call `refresh`). */
  trials(studyId: number): StudyTrials {
    let t = this.studies.get(studyId);
    if (t === undefined) this.studies.set(studyId, (t = new StudyTrials(this.storage, studyId)));
    return t;
  }

  /** Refreshes the study's trials; a study that is gone is forgotten (and NotFoundError thrown). */
  async refreshed(studyId: number): Promise<StudyTrials> {
    const t = this.trials(studyId);
    try {
      await t.refresh();
    } catch (e) {
      if (e instanceof NotFoundError) this.forget(studyId);
      throw e;
    }
    return t;
  }

  private forget(studyId: number): void {
    this.studies.delete(studyId);
    this.meta.delete(studyId);
    this.summaries.delete(studyId);
    for (const cache of [this.importances, this.surrogates]) {
      for (const key of cache.keys()) if (key.startsWith(`${studyId}:`)) cache.delete(key);
    }
  }

  async studyMeta(studyId: number): Promise<StudyMeta> {
    let m = this.meta.get(studyId);
    if (m === undefined) {
      const [name, directions] = await Promise.all([this.storage.getStudyName(studyId), this.storage.getStudyDirections(studyId)]);
      this.meta.set(studyId, (m = { name, directions }));
    }
    return m;
  }

  /** Every study's summary row, in the storage's order. Studies no longer listed are forgotten. */
  async studySummaries(): Promise<StudySummaryJSON[]> {
    const all: StudySummary[] = await this.storage.getAllStudies();
    const listed = new Set(all.map((s) => s.studyId));
    for (const id of [...this.studies.keys()]) if (!listed.has(id)) this.forget(id);
    const rows = await Promise.all(
      all.map(async (s): Promise<StudySummaryJSON | null> => {
        let t: StudyTrials;
        try {
          t = await this.refreshed(s.studyId);
        } catch (e) {
          if (e instanceof NotFoundError) return null;  // deleted since getAllStudies
          throw e;
        }
        const cached = this.summaries.get(s.studyId);
        if (cached !== undefined && cached.version === t.version) return cached.json;
        const json = summaryToJSON(s, t.frozen());
        this.summaries.set(s.studyId, { version: t.version, json });
        return json;
      }),
    );
    return rows.filter((r): r is StudySummaryJSON => r !== null);
  }

  /**
   * `StudyJSON` (`form` full: the trials' texts are reused, not serialised again) or `StudyColumnsJSON`
   * (`form` columns: the page's compact form, built once per study version) as text.
   */
  async studyText(studyId: number, formRaw: string | null = null): Promise<string> {
    const form = studyFormParam(formRaw);
    const meta = await this.studyMeta(studyId);
    const [t, userAttrs] = await Promise.all([this.refreshed(studyId), this.storage.getStudyUserAttrs(studyId)]);
    const head = JSON.stringify({ studyId, name: meta.name, directions: meta.directions, userAttrs });
    return `${head.slice(0, -1)},"trials":${form === 'columns' ? t.columnsText() : t.trialsText()}}`;
  }

  /** `IntermediateColumnsJSON` as text: every trial's intermediate values, capped (built once per version). */
  async intermediateText(studyId: number): Promise<string> {
    const t = await this.refreshed(studyId);
    return t.intermediateText();
  }

  /** `ImportanceResult` as text, computed once per study version and objective. */
  async importanceText(studyId: number, objectiveRaw: string | null): Promise<string> {
    const meta = await this.studyMeta(studyId);
    const objective = objectiveParam(objectiveRaw, meta.directions);
    const t = await this.refreshed(studyId);
    return this.cached(this.importances, `${studyId}:${objective}`, t.version, async () => {
      const study = { studyId, name: meta.name, directions: meta.directions, userAttrs: {}, trials: t.json() };
      try {
        return JSON.stringify(paramImportances(study, { objective }));
      } catch (e) {
        // The objective was checked above: what is refused now is the study's data (no complete trial
        // yet), a state of the study rather than a bad request.
        if (e instanceof InvalidArgumentError) throw new InvalidStateError(e.message);
        throw e;
      }
    });
  }

  /** `SurrogateJSON` as text, fitted once per study version and objective. */
  async surrogateText(studyId: number, objectiveRaw: string | null): Promise<string> {
    const meta = await this.studyMeta(studyId);
    const objective = objectiveParam(objectiveRaw, meta.directions);
    const t = await this.refreshed(studyId);
    return this.cached(this.surrogates, `${studyId}:${objective}`, t.version, async () => {
      const { json, gp } = await fitSurrogate(t.frozen(), meta.directions, objective);
      gp.dispose();  // the browser evaluates the posterior; the server keeps only the JSON
      return JSON.stringify(json);
    });
  }

  /** One computation per (key, version), shared by concurrent requests; a failure is not kept. */
  private cached(cache: Map<string, Cached>, key: string, version: number, compute: () => Promise<string>): Promise<string> {
    const hit = cache.get(key);
    if (hit !== undefined && hit.version === version) return hit.body;
    const body = compute();
    cache.set(key, { version, body });
    body.catch(() => {
      if (cache.get(key)?.body === body) cache.delete(key);
    });
    return body;
  }
}
