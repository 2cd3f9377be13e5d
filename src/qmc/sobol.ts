/**
 * Sobol' low-discrepancy sequence (Joe & Kuo 2008 direction numbers, up to SOBOL_MAX_DIMS = 1024
 * dimensions, 32-bit digits), in Gray-code order like SciPy's `scipy.stats.qmc.Sobol`.
 *
 * - Unscrambled, the points equal `scipy.stats.qmc.Sobol(d, scramble=False).random(n)` exactly
 *   (SciPy uses 30 bits; the first 2^30 points are identical).
 * - Scrambled (the default, like SciPy's `scramble=True`): a random linear matrix scramble (LMS: a
 *   lower-triangular binary matrix with unit diagonal per dimension, applied to the direction numbers)
 *   followed by a random digital shift. Both keep the (t, m, s)-net structure: every aligned block of
 *   2^m points has exactly one point in each interval [k/2^m, (k+1)/2^m) of each coordinate.
 *   The scramble of dimension j depends only on (seed, j), so engines of different dimension built
 *   with the same seed agree on their common leading coordinates.
 *
 * Points are in [0, 1). Point i is reachable in O(d * 32) through `at(i)`; `next()` walks the Gray code
 * in O(d) per point.
 */
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { boolean, integer, options as checkOptions } from '../validate.js';
import { SOBOL_MAX_DIMS, SOBOL_POLY, SOBOL_VINIT, SOBOL_VINIT_WIDTH } from './sobol-directions.js';

export { SOBOL_MAX_DIMS };

/** Number of binary digits of each coordinate; the sequence has 2^BITS points. */
export const SOBOL_BITS = 32;
const MAX_POINTS = 2 ** SOBOL_BITS;
const SCALE = 2 ** -SOBOL_BITS;

export interface SobolOptions {
  /** LMS + digital-shift scrambling (default true). */
  readonly scramble?: boolean;
  /** Seed of the scrambling; drawn at random when absent. Ignored without scrambling. */
  readonly seed?: number;
}

/** Unscrambled direction numbers: row j holds the BITS direction numbers of dimension j, MSB-aligned. */
function directionNumbers(d: number): Uint32Array {
  const v = new Uint32Array(d * SOBOL_BITS);
  const m = new Array<number>(SOBOL_BITS);
  for (let j = 0; j < d; j++) {
    if (j === 0) {
      m.fill(1);
    } else {
      const p = SOBOL_POLY[j]!;
      const deg = 31 - Math.clz32(p);
      for (let k = 0; k < deg; k++) m[k] = SOBOL_VINIT[j * SOBOL_VINIT_WIDTH + k]!;
      // Bratley & Fox recurrence (as SciPy's initialize_v).
      for (let k = deg; k < SOBOL_BITS; k++) {
        let nv = m[k - deg]!;
        let pow2 = 1;
        for (let i = 0; i < deg; i++) {
          pow2 *= 2;
          if ((p >>> (deg - 1 - i)) & 1) nv = (nv ^ (pow2 * m[k - i - 1]!)) >>> 0;
        }
        m[k] = nv;
      }
    }
    for (let k = 0; k < SOBOL_BITS; k++) v[j * SOBOL_BITS + k] = (m[k]! * 2 ** (SOBOL_BITS - 1 - k)) >>> 0;
  }
  return v;
}

function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** A 32-bit seed for dimension `j` of a scramble seeded with `seed`. */
function dimensionSeed(seed: number, j: number): number {
  let h = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= Math.imul(j + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Scrambles the direction numbers in place (LMS) and returns the digital shifts. */
function scramble(v: Uint32Array, d: number, seed: number): Uint32Array {
  const shift = new Uint32Array(d);
  const rows = new Uint32Array(SOBOL_BITS);
  for (let j = 0; j < d; j++) {
    const rng = new Rng(dimensionSeed(seed, j));
    // Row k gives output digit k (bit 31-k): the diagonal input digit plus a random subset of the
    // more significant input digits, so the map on the first m digits is a bijection for every m.
    for (let k = 0; k < SOBOL_BITS; k++) {
      const p = SOBOL_BITS - 1 - k;
      const higher = p === 31 ? 0 : ~((2 ** (p + 1) - 1) | 0);
      rows[k] = ((rng.nextU32() & higher) | (1 << p)) >>> 0;
    }
    for (let b = 0; b < SOBOL_BITS; b++) {
      const x = v[j * SOBOL_BITS + b]!;
      let out = 0;
      for (let k = 0; k < SOBOL_BITS; k++) if (parity(rows[k]! & x)) out |= 1 << (SOBOL_BITS - 1 - k);
      v[j * SOBOL_BITS + b] = out >>> 0;
    }
    shift[j] = rng.nextU32();
  }
  return shift;
}

export class Sobol {
  /** Dimension. */
  readonly d: number;
  readonly scrambled: boolean;
  /** Scrambling seed (null when unscrambled). */
  readonly seed: number | null;
  private readonly v: Uint32Array;
  private readonly shift: Uint32Array;
  private readonly quasi: Uint32Array;
  private idx = 0;

  constructor(d: number, options?: SobolOptions) {
    integer('d', d, 1, SOBOL_MAX_DIMS);
    const o = checkOptions<SobolOptions>('options', options, ['scramble', 'seed']);
    this.d = d;
    this.scrambled = o.scramble === undefined ? true : boolean('scramble', o.scramble);
    this.v = directionNumbers(d);
    if (this.scrambled) {
      const seed = o.seed === undefined ? new Rng().nextU32() : integer('seed', o.seed, 0);
      this.seed = seed;
      this.shift = scramble(this.v, d, seed);
    } else {
      if (o.seed !== undefined) integer('seed', o.seed, 0);
      this.seed = null;
      this.shift = new Uint32Array(d);
    }
    this.quasi = Uint32Array.from(this.shift);
  }

  /** Index of the point the next `next()` returns (= number of points consumed so far). */
  get index(): number {
    return this.idx;
  }

  /** The point of index `i` (0 <= i < 2^32), without moving the generator. */
  at(i: number, out: Float64Array = new Float64Array(this.d)): Float64Array {
    integer('index', i, 0, MAX_POINTS - 1);
    if (out.length !== this.d) throw new InvalidArgumentError(`Expected a Float64Array of length ${this.d} for \`out\` but received length ${out.length}`);
    const g = (i ^ Math.floor(i / 2)) >>> 0;
    for (let j = 0; j < this.d; j++) {
      let x = this.shift[j]!;
      const base = j * SOBOL_BITS;
      for (let b = 0, gg = g; gg !== 0; b++, gg >>>= 1) if (gg & 1) x ^= this.v[base + b]!;
      out[j] = (x >>> 0) * SCALE;
    }
    return out;
  }

  /** The next point (length d, coordinates in [0, 1)). */
  next(): Float64Array {
    if (this.idx >= MAX_POINTS) throw new InvalidStateError(`The Sobol' sequence is exhausted after 2^${SOBOL_BITS} points`);
    const out = new Float64Array(this.d);
    for (let j = 0; j < this.d; j++) out[j] = this.quasi[j]! * SCALE;
    this.idx++;
    if (this.idx < MAX_POINTS) {
      // gray(i) ^ gray(i - 1) has a single bit: the lowest set bit of i.
      const low = this.idx & -this.idx;
      const b = 31 - Math.clz32(low === 0 ? 1 : low);
      for (let j = 0; j < this.d; j++) this.quasi[j] = (this.quasi[j]! ^ this.v[j * SOBOL_BITS + b]!) >>> 0;
    }
    return out;
  }

  /** The next `n` points, one Float64Array per point. */
  draw(n: number): Float64Array[] {
    integer('n', n, 0, MAX_POINTS - this.idx);
    const out: Float64Array[] = [];
    for (let i = 0; i < n; i++) out.push(this.next());
    return out;
  }

  /** Skips `n` points (the next point is then the one of index `index + n`). */
  fastForward(n: number): this {
    integer('n', n, 0, MAX_POINTS - this.idx);
    this.idx += n;
    if (this.idx < MAX_POINTS) {
      const g = (this.idx ^ Math.floor(this.idx / 2)) >>> 0;
      for (let j = 0; j < this.d; j++) {
        let x = this.shift[j]!;
        for (let b = 0, gg = g; gg !== 0; b++, gg >>>= 1) if (gg & 1) x ^= this.v[j * SOBOL_BITS + b]!;
        this.quasi[j] = x >>> 0;
      }
    }
    return this;
  }

  /** Back to the first point (same scramble). */
  reset(): this {
    this.idx = 0;
    this.quasi.set(this.shift);
    return this;
  }
}
