/**
 * The GP's view of a search space: parameters ↔ points of the unit cube [0, 1]^d the engine models.
 *
 * - float: `toUnit` (log parameters on the log scale, so the kernel sees relative changes);
 * - int and stepped float: `toUnit` too (the centre of the value's cell), declared to the acquisition
 *   search as an integer dimension with exactly those values, so it only proposes legal levels; above
 *   MAX_LEVELS levels the dimension is left continuous and decoding snaps to the grid;
 * - categorical with k >= 2 choices: choice i ↦ i/(k-1), declared to the engine as categorical (Hamming
 *   distance in the kernel, enumeration in the acquisition search);
 * - single-valued distributions never reach the GP: they carry no information (see `gpSpace`).
 */
import { cardinality, distributionsEqual, fromUnit, isSingle, toUnit, type Distribution } from '../../distributions/index.js';
import type { CategoricalSpec, IntegerSpec } from '../../engine/types.js';
import type { FrozenTrial } from '../../trial/index.js';

/** Above this many levels an int/stepped dimension is searched as continuous (enumeration lists would be huge). */
const MAX_LEVELS = 4096;

/** The parameters of `space` the GP can model (all but single-valued ones), in sorted name order. */
export function gpSpace(space: Record<string, Distribution>): Record<string, Distribution> {
  const out: Record<string, Distribution> = {};
  for (const name of Object.keys(space).sort()) if (!isSingle(space[name]!)) out[name] = space[name]!;
  return out;
}

/** A stable key of a search space: a warm start is reused only on the same space. */
export function spaceKey(space: Record<string, Distribution>): string {
  return JSON.stringify(Object.entries(space));
}

export class Encoding {
  readonly names: readonly string[];
  readonly dists: readonly Distribution[];
  readonly d: number;
  /** Categorical specs for `fitGP` (dim, number of choices). */
  readonly categorical: CategoricalSpec[] = [];
  /** Integer specs for `maximizeAcquisition` (dim, legal encoded values). */
  readonly integer: IntegerSpec[] = [];

  constructor(space: Record<string, Distribution>) {
    this.names = Object.keys(space);
    this.dists = this.names.map((n) => space[n]!);
    this.d = this.names.length;
    this.dists.forEach((dist, dim) => {
      const k = cardinality(dist);
      if (dist.type === 'categorical') this.categorical.push({ dim, choices: k });
      else if (Number.isFinite(k) && k <= MAX_LEVELS) {
        const step = dist.type === 'int' ? dist.step : dist.step!;
        const values = Array.from({ length: k }, (_, i) => clamp01(toUnit(dist, dist.low + i * step)));
        this.integer.push({ dim, values });
      }
    });
  }

  /** One internal value → its coordinate. */
  encodeValue(dim: number, internal: number): number {
    const dist = this.dists[dim]!;
    if (dist.type === 'categorical') return internal / (dist.choices.length - 1);
    return clamp01(toUnit(dist, internal));
  }

  /**
   * A trial's point, or null when it lacks a parameter or holds it under another distribution (a
   * value from before a search-space change is not comparable).
   */
  encodeTrial(t: FrozenTrial): number[] | null {
    return this.encodeParams(t.internalParams, t.distributions);
  }

  encodeParams(params: Readonly<Record<string, number>>, dists?: Readonly<Record<string, Distribution>>): number[] | null {
    const x: number[] = [];
    for (let j = 0; j < this.d; j++) {
      const name = this.names[j]!;
      const v = params[name];
      if (v === undefined || !Number.isFinite(v)) return null;
      const td = dists?.[name];
      if (td !== undefined && td !== this.dists[j] && !distributionsEqual(td, this.dists[j]!)) return null;
      x.push(this.encodeValue(j, v));
    }
    return x;
  }

  /** A point of the cube → internal values (snapped to legal values). */
  decode(x: ArrayLike<number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (let j = 0; j < this.d; j++) {
      const dist = this.dists[j]!;
      const u = clamp01(x[j]!);
      out[this.names[j]!] = dist.type === 'categorical' ? Math.round(u * (dist.choices.length - 1)) : fromUnit(dist, u);
    }
    return out;
  }

  /** A uniform point of the cube (a Sobol' point) → internal values, each value owning an equal cell. */
  decodeUniform(u: ArrayLike<number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (let j = 0; j < this.d; j++) out[this.names[j]!] = fromUnit(this.dists[j]!, u[j]!);
    return out;
  }
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
