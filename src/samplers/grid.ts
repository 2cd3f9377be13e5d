/**
 * GridSampler: runs every combination of a grid exactly once, in a seeded random order.
 *
 * Exactly-once holds across concurrent workers and across processes sharing a storage: before a trial
 * is created, `reserveTrial` claims a grid point id with the storage's atomic
 * `setStudySystemAttrIfAbsent(studyId, 'grid:<id>', true)`, trying ids in the seeded order and skipping
 * those it knows are taken; the id becomes the trial's system attribute `gridId`, and
 * `sampleIndependent` returns that point's value of each parameter. When every id is taken,
 * `reserveTrial` returns null: the grid is exhausted and the study stops.
 *
 * - The grid definition (parameter names sorted, values in the given order) is stored in the study's
 *   system attribute `grid:space` on first use; a GridSampler with a different grid on the same study
 *   is refused with an InvalidArgumentError.
 * - A point is claimed once, whatever becomes of its trial: a FAILed or PRUNED trial is not retried,
 *   and a process that dies between the claim and the trial's creation loses that point.
 * - Trials that own no grid point (enqueued trials, which are claimed without `reserveTrial`): a
 *   parameter they do not fix takes a grid value of that parameter drawn at random (seeded by trial
 *   number and name) among those the asked distribution contains. They do not consume a grid point.
 * - Asking a parameter that is not in the grid, or a distribution that does not contain the grid's
 *   value, throws InvalidArgumentError naming the parameter.
 */
import { contains, toInternal, type CategoricalChoice, type Distribution } from '../distributions/index.js';
import { InvalidArgumentError } from '../errors.js';
import type { Storage } from '../storage/base.js';
import type { FrozenTrial } from '../trial/index.js';
import { describe, invalid, options } from '../validate.js';
import type { Sampler, StudyView } from './base.js';
import { Rng } from '../util/rng.js';
import { paramRng, resolveSeed } from './seed.js';
import { dict } from '../util/dict.js';

export type GridValue = CategoricalChoice;
export type GridSearchSpace = Readonly<Record<string, readonly GridValue[]>>;

export interface GridSamplerOptions {
  /** Seed of the order in which the grid is visited (an integer >= 0); random when absent. */
  readonly seed?: number;
}

/** Study system attribute holding the grid definition. */
export const GRID_SPACE_KEY = 'grid:space';
/** Prefix of the study system attributes that mark a grid point as claimed ('grid:<id>'). */
export const GRID_CLAIM_PREFIX = 'grid:';

const TAG = 3;

/** A seeded random permutation of [0, n), generated lazily (Fisher–Yates with a sparse swap map). */
class LazyPermutation {
  private readonly displaced = new Map<number, number>();
  private readonly order: number[] = [];
  private readonly rng: Rng;

  constructor(
    private readonly n: number,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  at(p: number): number {
    while (this.order.length <= p) {
      const i = this.order.length;
      const j = i + this.rng.int(this.n - i);
      const vi = this.displaced.get(i) ?? i;
      const vj = this.displaced.get(j) ?? j;
      this.displaced.set(j, vi);
      this.displaced.delete(i);
      this.order.push(vj);
    }
    return this.order[p]!;
  }
}

interface GridState {
  readonly perm: LazyPermutation;
  /** Positions of the permutation below it are known taken. */
  cursor: number;
  /** Ids known taken (by anyone) or being claimed by a worker of this process. */
  readonly taken: Set<number>;
}

function formatDistribution(d: Distribution): string {
  if (d.type === 'categorical') return `categorical with choices ${JSON.stringify(d.choices)}`;
  const extras = [d.log ? 'log' : '', d.step !== null && !(d.type === 'int' && d.step === 1) ? `step ${d.step}` : ''].filter(Boolean);
  return `${d.type} in [${d.low}, ${d.high}]${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`;
}

function truncate(s: string, max = 200): string {
  return s.length > max ? s.slice(0, max - 3) + '...' : s;
}

export class GridSampler implements Sampler {
  /** The seed in use (drawn at random when none was given). */
  readonly seed: number;
  /** Number of grid points (combinations). */
  readonly gridSize: number;
  /** Parameter names, sorted. */
  readonly paramNames: readonly string[];
  private readonly values: readonly (readonly GridValue[])[];
  private readonly strides: readonly number[];
  private readonly indexOf: ReadonlyMap<string, number>;
  /** [name, values] pairs, names sorted: what the study stores under `grid:space`. */
  private readonly canonical: readonly [string, readonly GridValue[]][];
  private readonly states = new WeakMap<Storage, Map<number, Promise<GridState>>>();

  constructor(searchSpace: GridSearchSpace, opts?: GridSamplerOptions) {
    if (searchSpace === null || typeof searchSpace !== 'object' || Array.isArray(searchSpace)) {
      throw invalid('searchSpace', 'an object mapping parameter names to arrays of values', searchSpace);
    }
    const o = options<GridSamplerOptions>('GridSampler options', opts, ['seed']);
    this.seed = resolveSeed(o.seed);
    const names = Object.keys(searchSpace).sort();
    if (names.length === 0) throw invalid('searchSpace', 'at least one parameter', searchSpace);
    const canonical: [string, GridValue[]][] = [];
    for (const name of names) {
      const vals: unknown = searchSpace[name];
      const what = `searchSpace.${name}`;
      if (!Array.isArray(vals) || vals.length === 0) throw invalid(what, 'a non-empty array of values', vals);
      const seen = new Set<string>();
      for (let i = 0; i < vals.length; i++) {
        const v: unknown = vals[i];
        const ok = v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
        if (!ok) throw invalid(`${what}[${i}]`, 'a string, finite number, boolean or null', v);
        const key = JSON.stringify(v);
        if (seen.has(key)) throw new InvalidArgumentError(`Expected distinct values in \`${what}\` but ${key} appears twice`);
        seen.add(key);
      }
      canonical.push([name, [...(vals as GridValue[])]]);
    }
    let size = 1;
    const strides = new Array<number>(names.length);
    for (let k = names.length - 1; k >= 0; k--) {
      strides[k] = size;
      size *= canonical[k]![1].length;
    }
    if (size > Number.MAX_SAFE_INTEGER) throw invalid('searchSpace', `a grid of at most ${Number.MAX_SAFE_INTEGER} points`, searchSpace);
    this.gridSize = size;
    this.strides = strides;
    this.paramNames = Object.freeze(names);
    this.values = canonical.map(([, v]) => Object.freeze(v));
    this.indexOf = new Map(names.map((n, k) => [n, k]));
    this.canonical = canonical;
  }

  /** The grid point of id `gridId` (0 <= gridId < gridSize), as external values by parameter name. */
  point(gridId: number): Record<string, GridValue> {
    if (!Number.isInteger(gridId) || gridId < 0 || gridId >= this.gridSize) {
      throw invalid('gridId', `an integer in [0, ${this.gridSize - 1}]`, gridId);
    }
    const out = dict<GridValue>();
    this.paramNames.forEach((name, k) => (out[name] = this.valueAt(gridId, k)));
    return out;
  }

  private valueAt(gridId: number, k: number): GridValue {
    const vals = this.values[k]!;
    return vals[Math.floor(gridId / this.strides[k]!) % vals.length]!;
  }

  async reserveTrial(study: StudyView): Promise<Record<string, unknown> | null> {
    const st = await this.state(study);
    for (let p = st.cursor; p < this.gridSize; p++) {
      const id = st.perm.at(p);
      if (st.taken.has(id)) continue;
      st.taken.add(id); // other workers of this process skip it while we try
      let claimed: boolean;
      try {
        claimed = await study.storage.setStudySystemAttrIfAbsent(study.studyId, GRID_CLAIM_PREFIX + id, true);
      } catch (err) {
        st.taken.delete(id);
        throw err;
      }
      this.advance(st);
      if (claimed) return { gridId: id };
    }
    this.advance(st);
    return null;
  }

  private advance(st: GridState): void {
    while (st.cursor < this.gridSize && st.taken.has(st.perm.at(st.cursor))) st.cursor++;
  }

  private state(study: StudyView): Promise<GridState> {
    let byStudy = this.states.get(study.storage);
    if (byStudy === undefined) {
      byStudy = new Map();
      this.states.set(study.storage, byStudy);
    }
    let st = byStudy.get(study.studyId);
    if (st === undefined) {
      const created = this.initState(study);
      byStudy.set(study.studyId, created);
      const map = byStudy;
      created.catch(() => {
        if (map.get(study.studyId) === created) map.delete(study.studyId);
      });
      st = created;
    }
    return st;
  }

  private async initState(study: StudyView): Promise<GridState> {
    const { storage, studyId } = study;
    if (!(await storage.setStudySystemAttrIfAbsent(studyId, GRID_SPACE_KEY, this.canonical))) {
      const stored = (await storage.getStudySystemAttrs(studyId))[GRID_SPACE_KEY];
      if (JSON.stringify(stored) !== JSON.stringify(this.canonical)) {
        const show = (c: unknown): string =>
          Array.isArray(c) ? truncate(JSON.stringify(Object.fromEntries(c as [string, unknown][]))) : truncate(JSON.stringify(c) ?? String(c));
        throw new InvalidArgumentError(
          `The study ${JSON.stringify(study.studyName)} already runs a different grid (${show(stored)}) than this GridSampler's (${show(this.canonical)}); use a new study for a new grid`,
        );
      }
    }
    return { perm: new LazyPermutation(this.gridSize, this.seed), cursor: 0, taken: new Set() };
  }

  async inferRelativeSearchSpace(): Promise<Record<string, Distribution>> {
    return {};
  }

  async sampleRelative(): Promise<Record<string, number>> {
    return {};
  }

  sampleIndependent(_study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    const k = this.indexOf.get(name);
    if (k === undefined) {
      throw new InvalidArgumentError(
        `The parameter ${JSON.stringify(name)} is not in the grid of the GridSampler (grid parameters: ${this.paramNames.map((n) => JSON.stringify(n)).join(', ')})`,
      );
    }
    const gridId = trial.systemAttrs['gridId'];
    let value: GridValue;
    if (gridId === undefined) {
      // A trial without a grid point (enqueued): a random grid value the distribution accepts.
      const allowed = this.values[k]!.filter((v) => contains(distribution, v));
      if (allowed.length === 0) {
        throw new InvalidArgumentError(
          `None of the grid values ${truncate(JSON.stringify(this.values[k]))} of parameter ${JSON.stringify(name)} is in the distribution asked (${formatDistribution(distribution)})`,
        );
      }
      value = allowed[paramRng(this.seed, TAG, trial.number, name).int(allowed.length)]!;
    } else {
      if (typeof gridId !== 'number' || !Number.isInteger(gridId) || gridId < 0 || gridId >= this.gridSize) {
        throw new InvalidArgumentError(`Expected trial ${trial.number} to own a grid point id in [0, ${this.gridSize - 1}] but its \`gridId\` is ${describe(gridId)}`);
      }
      value = this.valueAt(gridId, k);
      if (!contains(distribution, value)) {
        throw new InvalidArgumentError(
          `The grid value ${describe(value)} of parameter ${JSON.stringify(name)} is not in the distribution asked (${formatDistribution(distribution)})`,
        );
      }
    }
    return toInternal(distribution, value, name);
  }
}
