/**
 * Where the CMA-ES sampler keeps its solver state (internal): in the study's system attributes, one
 * record per generation under `cma:state:<gen>`, so that every worker and every later process sharing
 * the storage continues the same search.
 *
 * - `gen` is a study-wide generation index: it increases by one with every update, IPOP restart or
 *   search-space change, so a trial's `cma:generation` attribute names exactly one state.
 * - A new generation is published with the storage's atomic `setStudySystemAttrIfAbsent`: when two
 *   workers both complete the population of generation g and compute g + 1, the first write wins and
 *   the other adopts it, so all workers sample from the same distribution.
 * - Superseded states are compacted to their summary (no solver vectors): a study of thousands of
 *   trials keeps a short history (popsize, σ, restarts per generation) without its attributes growing
 *   by n² numbers per generation.
 */
import type { Storage } from '../../storage/base.js';
import type { CmaRun } from './solver.js';

export const STATE_PREFIX = 'cma:state:';
/** Trial system attribute: the generation whose distribution the trial was sampled from. */
export const GENERATION_ATTR = 'cma:generation';
/** Trial system attribute: the raw CMA vector (unit cube, before encoding) the trial was sampled at. */
export const X_ATTR = 'cma:x';

/** Why a state exists: the first one, an update, an IPOP restart, or a new search space. */
export type StateReason = 'init' | 'update' | 'ipop' | 'space';

/** One stored generation (JSON). `run` is absent once compacted. */
export interface CmaState {
  readonly version: 1;
  readonly gen: number;
  readonly reason: StateReason;
  /** IPOP restarts since this search space was first used. */
  readonly restart: number;
  /** Why the previous run was stopped (for reason 'ipop'). */
  readonly stopReason?: string;
  /** The parameters, in coordinate order, and the canonical key of their distributions. */
  readonly names: readonly string[];
  readonly space: string;
  readonly popsize: number;
  readonly sigma: number;
  readonly run?: CmaRun;
}

/** A state that still has its solver vectors. */
export type FullState = CmaState & { readonly run: CmaRun };

export function stateKey(gen: number): string {
  return `${STATE_PREFIX}${gen}`;
}

function isNumArray(v: unknown, n: number): boolean {
  return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** The stored value as a state, or null when it is not one this version understands. */
export function parseState(v: unknown): CmaState | null {
  if (v === null || typeof v !== 'object') return null;
  const s = v as Partial<CmaState>;
  if (s.version !== 1 || typeof s.gen !== 'number' || !Array.isArray(s.names) || typeof s.space !== 'string') return null;
  if (s.run !== undefined) {
    const r = s.run as Partial<CmaRun>;
    const n = s.names.length;
    const ok =
      r.n === n &&
      typeof r.popsize === 'number' &&
      typeof r.sigma === 'number' &&
      isNumArray(r.mean, n) &&
      isNumArray(r.B, n * n) &&
      isNumArray(r.D, n) &&
      isNumArray(r.pSigma, n) &&
      isNumArray(r.pc, n) &&
      isNumArray(r.A, n) &&
      Array.isArray(r.funHist);
    if (!ok) return null;
  }
  return s as CmaState;
}

/** Every stored state, by generation. */
export function allStates(attrs: Readonly<Record<string, unknown>>): CmaState[] {
  const out: CmaState[] = [];
  for (const [k, v] of Object.entries(attrs)) {
    if (!k.startsWith(STATE_PREFIX)) continue;
    const s = parseState(v);
    if (s !== null) out.push(s);
  }
  return out.sort((a, b) => a.gen - b.gen);
}

/** The newest state that still has its solver vectors, or null. */
export function latestFull(attrs: Readonly<Record<string, unknown>>): FullState | null {
  const states = allStates(attrs);
  for (let i = states.length - 1; i >= 0; i--) if (states[i]!.run !== undefined) return states[i] as FullState;
  return null;
}

/** A state's summary (what is kept of old generations). */
export function compact(s: CmaState): CmaState {
  const { run: _run, ...rest } = s;
  return rest;
}

/**
 * Publishes `state` (computed from `prev`, the generation before it) unless its generation is taken;
 * returns the state now in force — `state` itself, or the newest one stored by whoever was first.
 * The publisher compacts `prev`: nobody reads a superseded state's vectors again (readers always take
 * the newest full state).
 */
export async function publish(storage: Storage, studyId: number, state: FullState, prev: CmaState | null): Promise<FullState> {
  if (await storage.setStudySystemAttrIfAbsent(studyId, stateKey(state.gen), state)) {
    if (prev !== null && prev.run !== undefined) await storage.setStudySystemAttr(studyId, stateKey(prev.gen), compact(prev));
    return state;
  }
  const stored = latestFull(await storage.getStudySystemAttrs(studyId));
  return stored !== null && stored.gen >= state.gen ? stored : state;
}
