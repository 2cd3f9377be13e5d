/**
 * A weighted ensemble of fitted GPs (RGPE transfer learning, Feurer, Letham & Bakshy 2018): its
 * posterior μ = Σ wᵢ μᵢ, σ² = Σ wᵢ² σᵢ², and its acquisition maximised in the native engine
 * (native/core/ensemble.hpp). Every argument is checked here before the addon is touched.
 */
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { callNative, loadAddon, type NativeEnsembleMember } from '../native/binding.js';
import { boolean, integer, invalid, nonNegativeNumber, options } from '../validate.js';
import { matrix, MAX_DIMS } from './checks.js';
import { GP, nativeHandle } from './gp.js';
import { ENSEMBLE_KEYS, resolveEnsemble } from './options.js';
import type { EnsembleMember, EnsemblePrediction, MaximizeEnsembleOptions, MaximizeResult } from './types.js';

interface CheckedMembers {
  native: NativeEnsembleMember[];
  backend: 'cpu' | 'cuda'; // 'cuda' when every member is on CUDA (its acquisition defaults)
}

/** `members` checked against the ensemble's d columns: each GP live, each weight >= 0, each `dims` a set of d's columns. */
function checkMembers(v: unknown, d: number): CheckedMembers {
  if (!Array.isArray(v) || v.length === 0) throw invalid('members', 'a non-empty array of { gp, weight, dims?, pending? }', v);
  let pendingAt = -1;
  const native = (v as unknown[]).map((m, i): NativeEnsembleMember => {
    const name = `members[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw invalid(name, 'an object { gp, weight, dims?, pending? }', m);
    const o = options<EnsembleMember>(name, m, ['gp', 'weight', 'dims', 'pending']);
    if (!(o.gp instanceof GP)) throw invalid(`${name}.gp`, 'a GP (engine.fitGP)', o.gp);
    const handle = nativeHandle(o.gp);
    if (!handle) throw new InvalidStateError(`The GP of \`${name}.gp\` was disposed`);
    const weight = nonNegativeNumber(`${name}.weight`, o.weight);
    const dims = o.dims === undefined ? allColumns(name, o.gp.d, d) : columns(`${name}.dims`, o.dims, o.gp.d, d);
    const pending = o.pending === undefined ? false : boolean(`${name}.pending`, o.pending);
    if (pending) {
      if (pendingAt >= 0) throw new InvalidArgumentError(`At most one member may hold the pending points, but \`members[${pendingAt}].pending\` and \`${name}.pending\` are both true`);
      if (o.gp.d !== d) throw invalid(`${name}.pending`, `false for a member that sees ${o.gp.d} of the ${d} columns (the pending member sees them all)`, true);
      pendingAt = i;
    }
    return { gp: handle, weight, dims, pending };
  });
  if (!native.some((m) => m.weight > 0)) throw new InvalidArgumentError('Expected at least one positive weight in `members` but every weight is 0');
  const members = v as EnsembleMember[];
  return { native, backend: members.every((m) => m.gp.backend === 'cuda') ? 'cuda' : 'cpu' };
}

/** The default `dims`: every column in order, which needs gp.d === d. */
function allColumns(name: string, gpD: number, d: number): Float64Array {
  if (gpD !== d) {
    throw new InvalidArgumentError(`Expected a GP of d = ${d} for \`${name}.gp\` (or \`${name}.dims\` naming its columns) but received one of d = ${gpD}`);
  }
  return Float64Array.from({ length: d }, (_, j) => j);
}

/** (gpD) distinct columns in [0, d). */
function columns(name: string, v: unknown, gpD: number, d: number): Float64Array {
  if (!Array.isArray(v)) throw invalid(name, 'an array of column indices', v);
  if (v.length !== gpD) throw invalid(name, `${gpD} column indices (the GP's d)`, v);
  const seen = new Set<number>();
  return Float64Array.from(v as unknown[], (c, j) => {
    const k = integer(`${name}[${j}]`, c, 0, d - 1);
    if (seen.has(k)) throw new InvalidArgumentError(`Column ${k} appears twice in \`${name}\``);
    seen.add(k);
    return k;
  });
}

/**
 * Maximises the ensemble's acquisition over [0, 1]^d (the search of `gp.maximizeAcquisition`: raw Sobol'
 * samples, batched L-BFGS-B from the incumbent and the best of them, then the integer and categorical
 * columns enumerated). One member of weight 1 gives that member's `maximizeAcquisition` result (same
 * seed, options and incumbent). Reproducible for a given seed.
 */
export async function maximizeEnsembleAcquisition(opts: MaximizeEnsembleOptions): Promise<MaximizeResult> {
  if (opts === undefined) throw invalid('options', 'an options object', opts);
  const o = options<MaximizeEnsembleOptions>('options', opts, ENSEMBLE_KEYS);
  const d = integer('d', o.d, 1, MAX_DIMS);
  const { native, backend } = checkMembers(o.members, d);
  const resolved = resolveEnsemble(o, d, backend);
  if (resolved.pending.length > 0 && !native.some((m) => m.pending)) {
    throw new InvalidArgumentError('`pending` points need a member that holds them (`pending: true` on one member)');
  }
  const r = await callNative(() => loadAddon().maximizeEnsemble(native, resolved));
  return { x: r.x, value: r.value, warnings: r.warnings };
}

/**
 * The ensemble's posterior at the rows of Xc: (m, d) rows or a row-major Float64Array. `d` defaults to the
 * rows' length, or, for a Float64Array, to the d of a member without `dims`.
 */
export async function predictEnsemble(members: EnsembleMember[], Xc: number[][] | Float64Array, opts?: { d?: number }): Promise<EnsemblePrediction> {
  const o = options<{ d: number }>('options', opts, ['d']);
  const d = o.d !== undefined ? integer('d', o.d, 1, MAX_DIMS) : ensembleWidth(members, Xc);
  const { native } = checkMembers(members, d);
  // The addon copies the points before it returns: no copy here.
  const X = matrix('Xc', Xc, d, { unitCube: false, allowEmpty: true, copy: false }).data;
  return callNative(() => loadAddon().predictEnsemble(native, X, d));
}

function ensembleWidth(members: unknown, Xc: unknown): number {
  if (Array.isArray(Xc) && Xc.length > 0 && Array.isArray(Xc[0])) return integer('Xc[0].length', (Xc[0] as unknown[]).length, 1, MAX_DIMS);
  if (Array.isArray(members)) {
    for (const m of members as Array<Partial<EnsembleMember> | null>) {
      if (m && typeof m === 'object' && m.dims === undefined && m.gp instanceof GP) return m.gp.d;
    }
  }
  throw invalid('options.d', "the ensemble's number of columns (Xc is a Float64Array and every member has `dims`)", undefined);
}
