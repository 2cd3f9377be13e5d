/**
 * Task families for the transfer bench: a target task and its source tasks, built from the reference
 * problems of bench/regret/functions.ts (minimisation). Every family is one question about a source:
 *
 *   shift        3 sources, each the problem with its input shifted by its own small offset (the target
 *                has one too): the optimum moved a little, the landscape the same.
 *   scale        3 sources a·f(x) + b + c·(linear tilt); the target is f: the same landscape on another
 *                scale, the optimum moved a little by the tilt.
 *   dims         the target is f; one source has an extra parameter the function ignores, two lack one
 *                of the target's parameters (held near the target's optimum in the source).
 *   unrelated    two shift sources and one of another problem (Ackley) on the same parameter names.
 *   adversarial  one source: the negated target (its best points are the target's worst).
 *
 * Every random draw comes from (problem, seed, role), not from the family, so tasks that are the same
 * in two families (the shift target and its first two sources, reused by `unrelated`; the plain target
 * of scale, dims and adversarial) are the same objects' keys and are run once.
 */
import { ackley, branin, hartmann6 } from '../regret/functions.js';
import { Rng } from '../../src/util/rng.js';

/** One float parameter, suggested as suggestFloat(name, low, high). */
export interface Param {
  readonly name: string;
  readonly low: number;
  readonly high: number;
}

export interface Task {
  /** Unique among all tasks of a run: studies and results are cached by it. */
  readonly key: string;
  readonly params: readonly Param[];
  /** x: (params.length) in the order of `params`. */
  readonly fn: (x: readonly number[]) => number;
}

export interface TargetTask extends Task {
  /** The minimum over the domain, so that regret = best − fmin. */
  readonly fmin: number;
}

export const FAMILIES = ['shift', 'scale', 'dims', 'unrelated', 'adversarial'] as const;
export type Family = (typeof FAMILIES)[number];

/** The letters, accepted by --families as well as the names. */
export const FAMILY_LETTER: Record<Family, string> = { shift: 'a', scale: 'b', dims: 'c', unrelated: 'd', adversarial: 'e' };

export interface FamilyInstance {
  readonly family: Family;
  readonly target: TargetTask;
  readonly sources: readonly Task[];
}

interface Problem {
  readonly name: string;
  readonly fn: (x: readonly number[]) => number;
  readonly bounds: readonly (readonly [number, number])[];
  // NOTE: the exact minima, not functions.py's 6-digit prints: with transfer, regrets of 1e-6 are
  // reached, which branin's printed 0.397887 (3.6e-7 above the true minimum) would turn negative.
  readonly fmin: number;
  /** One minimiser (bounds.length): the point that `dims` sources hold their missing parameter near. */
  readonly argmin: readonly number[];
  /**
   * How far one minimiser lies from the domain's faces, as a fraction of each range (the smallest over
   * the parameters): shifts stay below it, so a shifted task keeps `fmin` (branin's minimiser at
   * (−π, 12.275) is 1.86 / 15 from x0's low face, 2.73 / 15 from x1's high one; hartmann6's is ≥ 0.15 from every face).
   */
  readonly room: number;
}

const box = (d: number, lo: number, hi: number): [number, number][] => Array.from({ length: d }, () => [lo, hi]);

export const PROBLEMS: readonly Problem[] = [
  { name: 'branin', fn: branin, bounds: [[-5, 10], [0, 15]], fmin: 0.397887357729738, argmin: [Math.PI, 2.275], room: 0.12 },
  {
    name: 'hartmann6', fn: hartmann6, bounds: box(6, 0, 1), fmin: -3.32236801141551,
    argmin: [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], room: 0.15,
  },
];

/** Largest input shift, as a fraction of each parameter's range (below every problem's `room`). */
export const SHIFT = 0.05;
/** Source scale factor a ∈ [A_LOW, A_HIGH]; offset b and tilt c in units of the problem's spread. */
for (const p of PROBLEMS) if (!(SHIFT < p.room)) throw new Error(`${p.name}: a shift of ${SHIFT} of the range could move its minimum out of the domain`);
const A_LOW = 0.5;
const A_HIGH = 2;
const TILT = 0.1;

// FNV-1a over the role's text: a seed per (problem, seed, role) independent of the order tasks are made in.
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export const rngFor = (...role: readonly (string | number)[]): Rng => new Rng(seedOf(role.join('/')));

const paramsOf = (p: Problem): Param[] => p.bounds.map(([low, high], i) => ({ name: `x${i}`, low, high }));

/** The standard deviation of f over 1024 uniform points: the unit of the scale family's offsets and tilts. */
const spreads = new Map<string, number>();
function spread(p: Problem): number {
  let s = spreads.get(p.name);
  if (s === undefined) {
    const rng = rngFor('spread', p.name);
    const ys = Array.from({ length: 1024 }, () => p.fn(p.bounds.map(([lo, hi]) => rng.uniform(lo, hi))));
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    s = Math.sqrt(ys.reduce((a, y) => a + (y - mean) ** 2, 0) / ys.length);
    spreads.set(p.name, s);
  }
  return s;
}

/** Offsets (d), each uniform in ±SHIFT of its parameter's range. */
function shiftOf(p: Problem, ...role: readonly (string | number)[]): number[] {
  const rng = rngFor(p.name, ...role);
  return p.bounds.map(([lo, hi]) => rng.uniform(-SHIFT, SHIFT) * (hi - lo));
}

function shifted(p: Problem, key: string, delta: readonly number[]): Task {
  return { key, params: paramsOf(p), fn: (x) => p.fn(x.map((v, i) => v - delta[i]!)) };
}

const plainTarget = (p: Problem): TargetTask => ({ key: `${p.name}/plain`, params: paramsOf(p), fn: p.fn, fmin: p.fmin });

function shiftTarget(p: Problem, seed: number): TargetTask {
  return { ...shifted(p, `${p.name}/s${seed}/shift-target`, shiftOf(p, seed, 'shift-target')), fmin: p.fmin };
}

const shiftSource = (p: Problem, seed: number, i: number): Task => shifted(p, `${p.name}/s${seed}/shift-source${i}`, shiftOf(p, seed, 'shift-source', i));

function scaleSource(p: Problem, seed: number, i: number): Task {
  const rng = rngFor(p.name, seed, 'scale-source', i);
  const s = spread(p);
  const a = rng.uniform(A_LOW, A_HIGH);
  const b = rng.uniform(-1, 1) * s;
  // (d): the tilt per unit of each parameter's range, TILT·spread at most
  const w = p.bounds.map(() => rng.uniform(-TILT, TILT) * s);
  const fn = (x: readonly number[]): number =>
    a * p.fn(x) + b + x.reduce((acc, v, j) => acc + w[j]! * ((v - p.bounds[j]![0]) / (p.bounds[j]![1] - p.bounds[j]![0]) - 0.5), 0);
  return { key: `${p.name}/s${seed}/scale-source${i}`, params: paramsOf(p), fn };
}

/** The target's parameters plus one named x{d} in [0, 1] that the function ignores. */
function extraDimSource(p: Problem, seed: number): Task {
  const d = p.bounds.length;
  return { key: `${p.name}/s${seed}/dims-extra`, params: [...paramsOf(p), { name: `x${d}`, low: 0, high: 1 }], fn: (x) => p.fn(x.slice(0, d)) };
}

/** The target's parameters without x{j}, which the source holds at the minimiser's value ± SHIFT of its range. */
function missingDimSource(p: Problem, seed: number, j: number): Task {
  const rng = rngFor(p.name, seed, 'dims-missing', j);
  const [lo, hi] = p.bounds[j]!;
  const held = Math.min(hi, Math.max(lo, p.argmin[j]! + rng.uniform(-SHIFT, SHIFT) * (hi - lo)));
  const params = paramsOf(p).filter((_, i) => i !== j);
  return { key: `${p.name}/s${seed}/dims-missing${j}`, params, fn: (x) => p.fn([...x.slice(0, j), held, ...x.slice(j)]) };
}

/** Ackley over the target's domain (mapped affinely onto Ackley's reference box): another problem entirely. */
function unrelatedSource(p: Problem): Task {
  const R = 32.768;
  const fn = (x: readonly number[]): number => ackley(x.map((v, j) => -R + (2 * R * (v - p.bounds[j]![0])) / (p.bounds[j]![1] - p.bounds[j]![0])));
  return { key: `${p.name}/ackley`, params: paramsOf(p), fn };
}

export function instance(family: Family, p: Problem, seed: number): FamilyInstance {
  switch (family) {
    case 'shift':
      return { family, target: shiftTarget(p, seed), sources: [0, 1, 2].map((i) => shiftSource(p, seed, i)) };
    case 'scale':
      return { family, target: plainTarget(p), sources: [0, 1, 2].map((i) => scaleSource(p, seed, i)) };
    case 'dims': {
      // Two different missing parameters, drawn per seed.
      const order = rngFor(p.name, seed, 'dims-order').shuffle(p.bounds.map((_, i) => i));
      return { family, target: plainTarget(p), sources: [extraDimSource(p, seed), missingDimSource(p, seed, order[0]!), missingDimSource(p, seed, order[1]!)] };
    }
    case 'unrelated':
      return { family, target: shiftTarget(p, seed), sources: [shiftSource(p, seed, 0), shiftSource(p, seed, 1), unrelatedSource(p)] };
    case 'adversarial':
      return { family, target: plainTarget(p), sources: [{ key: `${p.name}/negated`, params: paramsOf(p), fn: (x) => -p.fn(x) }] };
  }
}

/** A task's parameters suggested from a trial, in the order of `task.params`. */
export const suggest = (task: Task, t: { suggestFloat(name: string, low: number, high: number): number }): number[] =>
  task.params.map((q) => t.suggestFloat(q.name, q.low, q.high));
