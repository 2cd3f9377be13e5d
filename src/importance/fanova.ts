/**
 * Functional ANOVA over the trees of a random forest (Hutter, Hoos and Leyton-Brown 2014): each tree is
 * a piecewise-constant function over the search-space box; the importance of a parameter in one tree is
 * the variance of the tree's marginal over that parameter (the prediction averaged over every other
 * column, uniformly over the box) divided by the tree's total variance over the box. Trees whose total
 * variance is zero say nothing and are left out of the average, as in Optuna.
 *
 * Notation: c encoded columns (a numeric parameter is one column, a categorical one is one column per
 * choice, one-hot); `bounds` is (c, 2) row-major [low, high]; a group is the list of columns of one
 * parameter, whose joint marginal gives that parameter's importance.
 *
 * Work per tree is linear in its leaves (plus sorting its split values): the marginal over one column
 * is piecewise constant between that column's split values, so each leaf adds its share to an interval
 * of cells (a difference array) instead of the tree being walked once per cell. Groups of several
 * columns merge leaves that cover the same cells of the group first.
 */
import type { Tree } from './forest.js';

/** Above this many cells in a group's grid, the variance is computed from pairs of boxes instead. */
const MAX_GROUP_GRID = 4096;

export interface TreeDecomposition {
  /** The tree's variance over the box (uniform measure). */
  readonly variance: number;
  /** Per group, the variance of the tree's marginal over that group's columns. */
  readonly marginals: Float64Array;
}

/** A leaf's box as edge indices: (c, 2) row-major [lo, hi] into the column's edge list. */
interface Leaves {
  readonly count: number;
  readonly value: Float64Array;
  /** The leaf's volume in unit coordinates (each column scaled to [0, 1]). */
  readonly volume: Float64Array;
  readonly box: Int32Array;
}

/**
 * Per column, the tree's distinct split values in unit coordinates with 0 and 1 at the ends (the cell
 * edges), and per split node the index of its threshold in its column's edges.
 */
function cellEdges(tree: Tree, bounds: Float64Array, c: number): { edges: Float64Array[]; nodeEdge: Int32Array } {
  const values: number[][] = Array.from({ length: c }, () => []);
  for (let node = 0; node < tree.nodeCount; node++) {
    const f = tree.feature[node]!;
    if (f >= 0) values[f]!.push(tree.threshold[node]!);
  }
  const edges: Float64Array[] = [];
  const index: Map<number, number>[] = [];
  for (let f = 0; f < c; f++) {
    const sorted = [...new Set(values[f])].sort((a, b) => a - b);
    const lo = bounds[2 * f]!;
    const width = bounds[2 * f + 1]! - lo;
    const e = new Float64Array(sorted.length + 2);
    const map = new Map<number, number>();
    sorted.forEach((t, k) => {
      // Clamped: a split value always lies between two observed values, which lie inside the bounds.
      e[k + 1] = Math.min(1, Math.max(0, (t - lo) / width));
      map.set(t, k + 1);
    });
    e[sorted.length + 1] = 1;
    edges.push(e);
    index.push(map);
  }
  const nodeEdge = new Int32Array(tree.nodeCount);
  for (let node = 0; node < tree.nodeCount; node++) {
    const f = tree.feature[node]!;
    if (f >= 0) nodeEdge[node] = index[f]!.get(tree.threshold[node]!)!;
  }
  return { edges, nodeEdge };
}

function collectLeaves(tree: Tree, edges: Float64Array[], nodeEdge: Int32Array, c: number): Leaves {
  let count = 0;
  for (let node = 0; node < tree.nodeCount; node++) if (tree.feature[node]! < 0) count++;
  const value = new Float64Array(count);
  const volume = new Float64Array(count);
  const box = new Int32Array(count * 2 * c);
  const lo = new Int32Array(c);
  const hi = new Int32Array(c);
  for (let f = 0; f < c; f++) hi[f] = edges[f]!.length - 1;
  let k = 0;
  const visit = (node: number): void => {
    const f = tree.feature[node]!;
    if (f < 0) {
      let v = 1;
      for (let g = 0; g < c; g++) {
        const e = edges[g]!;
        v *= e[hi[g]!]! - e[lo[g]!]!;
        box[(k * c + g) * 2] = lo[g]!;
        box[(k * c + g) * 2 + 1] = hi[g]!;
      }
      value[k] = tree.value[node]!;
      volume[k] = v;
      k++;
      return;
    }
    const cut = nodeEdge[node]!;
    const savedHi = hi[f]!;
    hi[f] = cut;
    visit(tree.left[node]!);
    hi[f] = savedHi;
    const savedLo = lo[f]!;
    lo[f] = cut;
    visit(tree.right[node]!);
    lo[f] = savedLo;
  };
  visit(0);
  return { count, value, volume, box };
}

/** Variance decomposition of one tree: total variance and the variance of each group's marginal. */
export function decomposeTree(
  tree: Tree,
  bounds: Float64Array,
  groups: readonly (readonly number[])[],
  maxGroupGrid = MAX_GROUP_GRID,
): TreeDecomposition {
  const c = bounds.length / 2;
  const { edges, nodeEdge } = cellEdges(tree, bounds, c);
  const leaves = collectLeaves(tree, edges, nodeEdge, c);
  let vSum = 0;
  let mean = 0;
  for (let k = 0; k < leaves.count; k++) {
    vSum += leaves.volume[k]!;
    mean += leaves.volume[k]! * leaves.value[k]!;
  }
  mean /= vSum;
  // Centred leaf values: every marginal has the same mean as the tree, so centring first keeps the
  // variances free of cancellation when the objective's level dwarfs its spread.
  const centred = new Float64Array(leaves.count);
  let variance = 0;
  for (let k = 0; k < leaves.count; k++) {
    centred[k] = leaves.value[k]! - mean;
    variance += leaves.volume[k]! * centred[k]! * centred[k]!;
  }
  variance /= vSum;
  const marginals = new Float64Array(groups.length);
  if (variance > 0) {
    groups.forEach((cols, g) => {
      const v =
        cols.length === 1
          ? columnMarginal(leaves, centred, edges, c, cols[0]!)
          : groupMarginal(leaves, centred, edges, c, cols, maxGroupGrid);
      marginals[g] = Math.max(0, v);
    });
  }
  return { variance, marginals };
}

/**
 * Variance of the marginal over one column. A leaf with box width w along the column adds
 * value · volume / w to every cell of its interval (its average over the other columns, weighted by
 * its share of them); in unit coordinates the other columns span a volume of 1, so no further division is due.
 */
function columnMarginal(leaves: Leaves, centred: Float64Array, edges: Float64Array[], c: number, col: number): number {
  const e = edges[col]!;
  const cells = e.length - 1;
  const diff = new Float64Array(cells + 1);
  for (let k = 0; k < leaves.count; k++) {
    if (!(leaves.volume[k]! > 0)) continue; // a leaf of no volume (values outside the bounds) weighs nothing
    const lo = leaves.box[(k * c + col) * 2]!;
    const hi = leaves.box[(k * c + col) * 2 + 1]!;
    const share = (centred[k]! * leaves.volume[k]!) / (e[hi]! - e[lo]!);
    diff[lo]! += share;
    diff[hi]! -= share;
  }
  let run = 0;
  let m1 = 0;
  let m2 = 0;
  for (let j = 0; j < cells; j++) {
    run += diff[j]!;
    const size = e[j + 1]! - e[j]!;
    m1 += size * run;
    m2 += size * run * run;
  }
  return m2 - m1 * m1;
}

/**
 * Variance of the joint marginal over several columns (a one-hot categorical). Leaves are merged by
 * their box in the group's columns; the marginal is a sum of constants on those boxes. Small grids are
 * filled cell by cell; large ones use E[a²] = Σ_p Σ_q C_p C_q |B_p ∩ B_q| over the merged boxes.
 */
function groupMarginal(
  leaves: Leaves,
  centred: Float64Array,
  edges: Float64Array[],
  c: number,
  cols: readonly number[],
  maxGrid: number,
): number {
  const g = cols.length;
  const boxes = new Map<string, { box: Int32Array; coef: number }>();
  for (let k = 0; k < leaves.count; k++) {
    if (!(leaves.volume[k]! > 0)) continue;
    const box = new Int32Array(2 * g);
    let sub = 1;
    for (let j = 0; j < g; j++) {
      const col = cols[j]!;
      const lo = leaves.box[(k * c + col) * 2]!;
      const hi = leaves.box[(k * c + col) * 2 + 1]!;
      box[2 * j] = lo;
      box[2 * j + 1] = hi;
      sub *= edges[col]![hi]! - edges[col]![lo]!;
    }
    const key = box.join(',');
    const coef = (centred[k]! * leaves.volume[k]!) / sub;
    const entry = boxes.get(key);
    if (entry === undefined) boxes.set(key, { box, coef });
    else entry.coef += coef;
  }
  const list = [...boxes.values()];
  const cells = cols.map((col) => edges[col]!.length - 1);
  const gridSize = cells.reduce((a, b) => a * b, 1);
  if (gridSize <= maxGrid) {
    // grid: (cells[0], ..., cells[g-1]) row-major.
    const grid = new Float64Array(gridSize);
    const strides = new Array<number>(g);
    let s = 1;
    for (let j = g - 1; j >= 0; j--) {
      strides[j] = s;
      s *= cells[j]!;
    }
    const at = new Int32Array(g);
    for (const { box, coef } of list) {
      // Odometer over the box's cells.
      for (let j = 0; j < g; j++) at[j] = box[2 * j]!;
      for (;;) {
        let idx = 0;
        for (let j = 0; j < g; j++) idx += at[j]! * strides[j]!;
        grid[idx]! += coef;
        let j = g - 1;
        while (j >= 0 && ++at[j]! >= box[2 * j + 1]!) {
          at[j] = box[2 * j]!;
          j--;
        }
        if (j < 0) break;
      }
    }
    let m1 = 0;
    let m2 = 0;
    for (let idx = 0; idx < gridSize; idx++) {
      let size = 1;
      let rest = idx;
      for (let j = 0; j < g; j++) {
        const cell = Math.floor(rest / strides[j]!);
        rest -= cell * strides[j]!;
        const e = edges[cols[j]!]!;
        size *= e[cell + 1]! - e[cell]!;
      }
      m1 += size * grid[idx]!;
      m2 += size * grid[idx]! * grid[idx]!;
    }
    return m2 - m1 * m1;
  }
  let m1 = 0;
  let m2 = 0;
  for (let p = 0; p < list.length; p++) {
    const bp = list[p]!.box;
    let vol = 1;
    for (let j = 0; j < g; j++) vol *= edges[cols[j]!]![bp[2 * j + 1]!]! - edges[cols[j]!]![bp[2 * j]!]!;
    m1 += list[p]!.coef * vol;
    for (let q = p; q < list.length; q++) {
      const bq = list[q]!.box;
      let overlap = 1;
      for (let j = 0; j < g && overlap > 0; j++) {
        const lo = Math.max(bp[2 * j]!, bq[2 * j]!);
        const hi = Math.min(bp[2 * j + 1]!, bq[2 * j + 1]!);
        overlap = hi > lo ? overlap * (edges[cols[j]!]![hi]! - edges[cols[j]!]![lo]!) : 0;
      }
      m2 += (p === q ? 1 : 2) * list[p]!.coef * list[q]!.coef * overlap;
    }
  }
  return m2 - m1 * m1;
}

/**
 * Mean over the trees with non-zero variance of each group's share of the tree's variance (Optuna's
 * per-parameter importance before normalisation). All zeros when every tree is constant.
 */
export function fanovaImportances(trees: readonly Tree[], bounds: Float64Array, groups: readonly (readonly number[])[]): Float64Array {
  const sum = new Float64Array(groups.length);
  let used = 0;
  for (const tree of trees) {
    const { variance, marginals } = decomposeTree(tree, bounds, groups);
    if (!(variance > 0)) continue;
    used++;
    for (let g = 0; g < groups.length; g++) sum[g]! += marginals[g]! / variance;
  }
  if (used > 0) for (let g = 0; g < groups.length; g++) sum[g]! /= used;
  return sum;
}
