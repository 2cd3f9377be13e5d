/**
 * Transfer sources: finished studies whose trials inform a new (target) study.
 *
 * A source is read once (`loadSources`) into its COMPLETE single-objective trials; samplers then see it
 * through the target's parameters:
 * - `mapSource`: the source's trials as points of the target's unit cube (the GP's Encoding), mapped
 *   through their external VALUES, never their internal or unit coordinates — a learning rate of 1e-3
 *   means the same in a source searched over [1e-5, 1e-1] and in a target searched over [1e-4, 1];
 * - `bestConfigurations`: the best source configurations (external values) to start the target with.
 *
 * Direction rule: every study's objective is oriented by its own direction, "larger is better" after
 * the sign flip of a minimised objective. A source that maximises accuracy transfers to a target that
 * minimises error: both rank their good configurations first. Whether a source's ranking fits the
 * target at all is for the sampler to judge (RGPE's ranking weights; TPE's decaying prior weight).
 */
import { contains, snap, toInternal, type Distribution, type ParamValue } from '../distributions/index.js';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { Encoding } from '../samplers/gp/encode.js';
import type { Storage } from '../storage/base.js';
import { createStorage, isStorage } from '../storage/index.js';
import type { StudyJSON, TrialJSON } from '../trial/json.js';
import { TrialState, type FrozenTrial, type StudyDirection } from '../trial/index.js';
import { dict } from '../util/dict.js';
import { warnOnce } from '../util/warn.js';
import { describe, invalid, string } from '../validate.js';

/** A loaded study, as `createStudy`/`loadStudy` return it (only what transfer reads). */
export interface TransferStudy {
  readonly studyName: string;
  readonly directions: readonly StudyDirection[];
  getTrials(options?: { states?: readonly TrialState[] }): Promise<FrozenTrial[]>;
}

/** Where to load a source: a storage URL (opened and closed here) or an open Storage (left open). */
export interface TransferStorageRef {
  readonly storage: string | Storage;
  readonly studyName: string;
}

/** A source: a loaded Study, a StudyJSON (src/trial/json.ts), or where to load one. */
export type TransferSource = TransferStudy | StudyJSON | TransferStorageRef;

export interface LoadedSource {
  /** The study's name, for warnings. */
  readonly name: string;
  readonly direction: StudyDirection;
  /** COMPLETE trials with a finite single value, in trial-number order. */
  readonly trials: readonly FrozenTrial[];
}

/** A source in the target's encoding (see `mapSource`). */
export interface MappedSource {
  readonly name: string;
  /** Ascending target columns the source has. */
  readonly dims: readonly number[];
  /** (n, dims.length) row-major, in [0, 1]. */
  readonly X: Float64Array;
  /** (n) larger is better: the value times the sign of the SOURCE's direction. */
  readonly y: readonly number[];
  /** (n) external values of those trials under the target's distributions, for the `dims` parameters. */
  readonly params: readonly Record<string, ParamValue>[];
}

/** The warning code of a source that shares no parameter with the target. */
export const NO_OVERLAP_CODE = 'TUNABLE_TRANSFER_NO_OVERLAP';

/**
 * Loads and validates every source once. `sources` must be an array; an entry that is none of the
 * accepted shapes, a multi-objective source, or a study its storage lacks is an InvalidArgumentError
 * naming `${argName}[i]` and the value. A storage given as a URL is opened and closed here.
 */
export async function loadSources(sources: unknown, argName = 'transferFrom'): Promise<LoadedSource[]> {
  if (!Array.isArray(sources)) throw invalid(argName, 'an array of transfer sources (Study, StudyJSON or { storage, studyName })', sources);
  const out: LoadedSource[] = [];
  for (let i = 0; i < sources.length; i++) out.push(await loadSource(sources[i], `${argName}[${i}]`));
  return out;
}

/** Checks the shape of `sources` without reading anything (for a constructor's synchronous checks). */
export function checkSources(sources: unknown, argName = 'transferFrom'): readonly TransferSource[] {
  if (!Array.isArray(sources)) throw invalid(argName, 'an array of transfer sources (Study, StudyJSON or { storage, studyName })', sources);
  sources.forEach((s, i) => {
    const name = `${argName}[${i}]`;
    const kind = sourceKind(s, name);
    // A source already in memory shows its objectives now; one in a storage only once it is read.
    if (kind === 'study') singleObjective(name, (s as TransferStudy).studyName, (s as TransferStudy).directions);
    if (kind === 'json') singleObjective(name, (s as StudyJSON).name, (s as StudyJSON).directions);
  });
  return sources as TransferSource[];
}

type Kind = 'study' | 'json' | 'storage';

function sourceKind(s: unknown, name: string): Kind {
  if (s !== null && typeof s === 'object' && !Array.isArray(s)) {
    const o = s as Record<string, unknown>;
    if (typeof o['getTrials'] === 'function' && typeof o['studyName'] === 'string' && Array.isArray(o['directions'])) return 'study';
    if (Array.isArray(o['trials']) && typeof o['name'] === 'string' && Array.isArray(o['directions'])) return 'json';
    if ('storage' in o && 'studyName' in o) {
      string(`${name}.studyName`, o['studyName']);
      const st = o['storage'];
      if (typeof st !== 'string' && !isStorage(st)) throw invalid(`${name}.storage`, 'a storage URL or a Storage instance', st);
      return 'storage';
    }
  }
  throw invalid(name, 'a Study, a StudyJSON or { storage, studyName }', s);
}

async function loadSource(s: unknown, name: string): Promise<LoadedSource> {
  const kind = sourceKind(s, name);
  if (kind === 'json') {
    const j = s as StudyJSON;
    return loaded(name, j.name, j.directions, j.trials.filter((t) => t.state === 'COMPLETE').map((t, k) => frozenFromJSON(t, `${name}.trials[${k}]`)));
  }
  if (kind === 'study') {
    const st = s as TransferStudy;
    return loaded(name, st.studyName, st.directions, await st.getTrials({ states: [TrialState.COMPLETE] }));
  }
  const ref = s as TransferStorageRef;
  let storage: Storage;
  try {
    storage = createStorage(ref.storage);
  } catch (err) {
    // The factory names its own argument (`storage`); say whose it is.
    if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`${name}.storage: ${err.message}`);
    throw err;
  }
  try {
    let studyId: number;
    try {
      studyId = await storage.getStudyIdFromName(ref.studyName);
    } catch (err) {
      if (err instanceof NotFoundError) throw invalid(`${name}.studyName`, 'the name of a study in the storage', ref.studyName);
      throw err;
    }
    const directions = await storage.getStudyDirections(studyId);
    return loaded(name, ref.studyName, directions, await storage.getAllTrials(studyId, [TrialState.COMPLETE]));
  } finally {
    if (typeof ref.storage === 'string') await storage.close();
  }
}

function singleObjective(argName: string, studyName: string, directions: readonly StudyDirection[]): StudyDirection {
  if (directions.length !== 1) {
    throw new InvalidArgumentError(
      `Expected a single-objective study for \`${argName}\` but received study ${describe(studyName)} with ${directions.length} objectives`,
    );
  }
  const direction = directions[0]!;
  if (direction !== 'minimize' && direction !== 'maximize') throw invalid(`${argName}.directions[0]`, '"minimize" or "maximize"', direction);
  return direction;
}

function loaded(argName: string, studyName: string, directions: readonly StudyDirection[], trials: readonly FrozenTrial[]): LoadedSource {
  const direction = singleObjective(argName, studyName, directions);
  const kept = trials.filter((t) => t.state === TrialState.COMPLETE && t.values !== null && t.values.length === 1 && Number.isFinite(t.values[0]));
  kept.sort((a, b) => a.number - b.number);
  return Object.freeze({ name: studyName, direction, trials: Object.freeze(kept) });
}

/** A COMPLETE trial of a StudyJSON as a FrozenTrial (only what transfer reads is checked). */
function frozenFromJSON(t: TrialJSON, name: string): FrozenTrial {
  if (t.params === null || typeof t.params !== 'object' || Array.isArray(t.params)) throw invalid(`${name}.params`, 'an object of parameter values', t.params);
  return {
    trialId: t.trialId,
    number: t.number,
    state: TrialState.COMPLETE,
    values: t.values,
    params: t.params,
    internalParams: t.internalParams ?? {},
    distributions: t.distributions ?? {},
    userAttrs: t.userAttrs ?? {},
    systemAttrs: t.systemAttrs ?? {},
    intermediateValues: new Map(t.intermediate ?? []),
    datetimeStart: t.start === null ? null : new Date(t.start),
    datetimeComplete: t.complete === null ? null : new Date(t.complete),
  };
}

/** +1 where larger values are better, −1 where smaller are: the sign that orients a study's values. */
export function orientation(direction: StudyDirection): 1 | -1 {
  return direction === 'maximize' ? 1 : -1;
}

/**
 * An external source value as an internal value of the target's `dist`, or NaN where it has none: a
 * number outside [low, high] or a choice the target lacks. A number inside the range is snapped to the
 * target's grid (an int target takes a source's 2.7 as 3): the grid is the target's discretisation of
 * the same quantity, so the nearest level is what the source's value means there.
 */
export function mapValue(dist: Distribution, value: unknown): number {
  if (dist.type === 'categorical') return contains(dist, value) ? toInternal(dist, value) : NaN;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < dist.low || value > dist.high) return NaN;
  return snap(dist, value);
}

/**
 * A source in the target's encoding. A target column is the source's when the source holds that
 * parameter in at least half of its trials (a parameter of a few conditional trials would otherwise
 * drop most of them); trials lacking one of those columns, or holding a value the target cannot take
 * (see `mapValue`), are dropped. Parameters only the source has are ignored. null when no column is
 * shared or fewer than 2 trials remain (nothing to rank).
 */
export function mapSource(src: LoadedSource, enc: Encoding): MappedSource | null {
  const n = src.trials.length;
  const dims: number[] = [];
  for (let j = 0; j < enc.d; j++) {
    const name = enc.names[j]!;
    let count = 0;
    for (const t of src.trials) if (Object.prototype.hasOwnProperty.call(t.params, name)) count++;
    if (count > 0 && 2 * count >= n) dims.push(j);
  }
  if (dims.length === 0) return null;
  const sign = orientation(src.direction);
  const rows: number[] = [];
  const y: number[] = [];
  const params: Record<string, ParamValue>[] = [];
  trials: for (const t of src.trials) {
    const row: number[] = [];
    const p = dict<ParamValue>();
    for (const j of dims) {
      const name = enc.names[j]!;
      const dist = enc.dists[j]!;
      const v = mapValue(dist, Object.prototype.hasOwnProperty.call(t.params, name) ? t.params[name] : undefined);
      if (Number.isNaN(v)) continue trials;
      row.push(enc.encodeValue(j, v));
      p[name] = dist.type === 'categorical' ? dist.choices[v]! : v;
    }
    rows.push(...row);
    y.push(sign * t.values![0]!);
    params.push(p);
  }
  if (y.length < 2) return null;
  return Object.freeze({ name: src.name, dims: Object.freeze(dims), X: Float64Array.from(rows), y: Object.freeze(y), params: Object.freeze(params) });
}

/** A source's trials, best first by its own direction (ties: the earlier trial first). */
export function rankedTrials(src: LoadedSource): FrozenTrial[] {
  const sign = orientation(src.direction);
  return [...src.trials].sort((a, b) => sign * (b.values![0]! - a.values![0]!) || a.number - b.number);
}

/**
 * The best `n` configurations across sources (external values as the sources hold them), taken
 * round-robin by rank: the best of each source, then the second best of each, and so on, so no single
 * source fills the start. Deduplicated against each other and `exclude` (the target's tried and waiting
 * configurations): two configurations are the same when they agree on every parameter both hold, the
 * comparison the target makes after mapping — a target trial holds only the target's parameters, so a
 * source's extra parameters never make an already tried configuration new.
 */
export function bestConfigurations(
  sources: readonly LoadedSource[],
  n: number,
  exclude: readonly Readonly<Record<string, ParamValue>>[] = [],
): Record<string, ParamValue>[] {
  return startConfigurations(sources, n, exclude).map((c) => c.params);
}

/** A start configuration and the name of the source it comes from. */
export interface StartConfiguration {
  readonly params: Record<string, ParamValue>;
  readonly source: string;
}

/** `bestConfigurations` with each configuration's source. */
export function startConfigurations(
  sources: readonly LoadedSource[],
  n: number,
  exclude: readonly Readonly<Record<string, ParamValue>>[] = [],
): StartConfiguration[] {
  const ranked = sources.map(rankedTrials);
  const next = new Array<number>(ranked.length).fill(0);
  const taken: Readonly<Record<string, unknown>>[] = [...exclude];
  const out: StartConfiguration[] = [];
  for (let live = true; live && out.length < n; ) {
    live = false;
    for (let s = 0; s < ranked.length && out.length < n; s++) {
      const trials = ranked[s]!;
      while (next[s]! < trials.length) {
        const p = trials[next[s]!++]!.params;
        if (Object.keys(p).length === 0 || taken.some((q) => sameConfiguration(p, q))) continue;
        const params = dict<ParamValue>(p);
        out.push({ params, source: sources[s]!.name });
        taken.push(params);
        break;
      }
      if (next[s]! < trials.length) live = true;
    }
  }
  return out;
}

/** Whether `a` and `b` agree on every parameter both hold (and share at least one). */
export function sameConfiguration(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  let shared = 0;
  for (const k of Object.keys(a)) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) continue;
    if (a[k] !== b[k]) return false;
    shared++;
  }
  return shared > 0;
}

/** One TunableWarning per source that shares no parameter with the target: it is ignored. */
export function warnNoOverlap(src: { readonly name: string }, sampler: string): void {
  warnOnce(
    NO_OVERLAP_CODE,
    `${sampler}: transfer source ${JSON.stringify(src.name)} shares no parameter with the target study and is ignored`,
    `${NO_OVERLAP_CODE}:${sampler}:${src.name}`,
  );
}
