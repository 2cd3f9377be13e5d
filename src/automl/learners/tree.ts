/**
 * One CART decision tree, the building block of the random forest (forest.ts). Splits minimise the
 * weighted Gini impurity (classification) or squared error (regression) of the children, over a random
 * subset of `maxFeatures` features at every node; the 'best' splitter scans every threshold of a
 * sorted feature, the 'random' splitter (extremely randomised trees) draws one threshold uniformly
 * between the node's minimum and maximum, which needs no sort and decorrelates the trees further.
 *
 * Leaves hold class frequencies (width = classes) or the mean target (width = 1). Nodes are flat
 * arrays (cheap to build, to walk and to save), built depth-first with an explicit stack so that a deep
 * tree cannot overflow the call stack.
 */
import type { Rng } from '../../util/rng.js';
import type { Matrix } from '../types.js';

export interface TreeParams {
  /** Features tried per node, in [1, d]. */
  readonly maxFeatures: number;
  /** Rows in every leaf at least. */
  readonly minSamplesLeaf: number;
  /** 0 = unlimited. */
  readonly maxDepth: number;
  readonly splitter: 'best' | 'random';
}

/**
 * A fitted tree. Internal node t: rows with X[feature[t]] <= threshold[t] go to left[t], others to
 * right[t]; a leaf has feature[t] = -1 and its (width) outputs at value[t·width ..).
 */
export interface Tree {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

/**
 * Grows a tree on the rows `rows` of X (n, d) (a bootstrap sample may repeat rows). y: class indices
 * 0..width-1 when width > 1 (classification), else regression targets.
 */
export function growTree(X: Matrix, y: Float64Array, rows: Int32Array, width: number, params: TreeParams, rng: Rng): Tree {
  const classify = width > 1;
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const idx = Int32Array.from(rows);
  const features = Int32Array.from({ length: X.d }, (_, j) => j);
  const keys = new Float64Array(idx.length);
  const order = new Int32Array(idx.length);
  const stats = new Float64Array(Math.max(width, 2) * 2); // left and right sufficient statistics
  const stack: { node: number; start: number; end: number; depth: number }[] = [];

  const newNode = (): number => {
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    return feature.length - 1;
  };
  const makeLeaf = (node: number, start: number, end: number): void => {
    const offset = node * width;
    for (let c = 0; c < width; c++) value[offset + c] = 0;
    for (let t = start; t < end; t++) {
      if (classify) value[offset + y[idx[t]!]!]! += 1;
      else value[offset]! += y[idx[t]!]!;
    }
    for (let c = 0; c < width; c++) value[offset + c]! /= end - start;
  };

  stack.push({ node: newNode(), start: 0, end: idx.length, depth: 0 });
  while (stack.length > 0) {
    const { node, start, end, depth } = stack.pop()!;
    const n = end - start;
    const split =
      n >= 2 * params.minSamplesLeaf && (params.maxDepth === 0 || depth < params.maxDepth) && !pure(y, idx, start, end)
        ? findSplit(X, y, idx, start, end, width, params, rng, features, keys, order, stats)
        : null;
    if (split === null) {
      makeLeaf(node, start, end);
      continue;
    }
    // Partition idx[start, end) so rows going left come first.
    let mid = start;
    for (let t = start; t < end; t++) {
      const r = idx[t]!;
      if (X.data[r * X.d + split.feature]! <= split.threshold) [idx[t], idx[mid]] = [idx[mid]!, r], mid++;
    }
    feature[node] = split.feature;
    threshold[node] = split.threshold;
    const l = newNode();
    const r = newNode();
    left[node] = l;
    right[node] = r;
    stack.push({ node: r, start: mid, end, depth: depth + 1 }, { node: l, start, end: mid, depth: depth + 1 });
  }
  const nodes = feature.length;
  const values = new Float64Array(nodes * width);
  for (let t = 0; t < nodes * width; t++) values[t] = value[t] ?? 0;
  return { feature: Int32Array.from(feature), threshold: Float64Array.from(threshold), left: Int32Array.from(left), right: Int32Array.from(right), value: values };
}

/** Adds the leaf outputs of each row of X (n, d) to out (n, width). */
export function accumulate(tree: Tree, X: Matrix, width: number, out: Float64Array): void {
  for (let i = 0; i < X.n; i++) {
    let t = 0;
    while (tree.feature[t]! >= 0) t = X.data[i * X.d + tree.feature[t]!]! <= tree.threshold[t]! ? tree.left[t]! : tree.right[t]!;
    for (let c = 0; c < width; c++) out[i * width + c]! += tree.value[t * width + c]!;
  }
}

function pure(y: Float64Array, idx: Int32Array, start: number, end: number): boolean {
  const first = y[idx[start]!]!;
  for (let t = start + 1; t < end; t++) if (y[idx[t]!] !== first) return false;
  return true;
}

/**
 * The best split over `maxFeatures` features drawn without replacement, or null when none leaves
 * `minSamplesLeaf` rows on each side (a constant node). The score maximised, Σ_children Σ_c n_c²/n
 * (classification) or Σ_children (Σy)²/n (regression), is the impurity decrease up to a constant.
 */
function findSplit(
  X: Matrix,
  y: Float64Array,
  idx: Int32Array,
  start: number,
  end: number,
  width: number,
  params: TreeParams,
  rng: Rng,
  features: Int32Array,
  keys: Float64Array,
  order: Int32Array,
  stats: Float64Array,
): { feature: number; threshold: number } | null {
  const n = end - start;
  const classify = width > 1;
  const minLeaf = params.minSamplesLeaf;
  let bestScore = -Infinity;
  let bestFeature = -1;
  let bestThreshold = 0;
  const L = stats.subarray(0, stats.length / 2);
  const R = stats.subarray(stats.length / 2);
  const add = (S: Float64Array, r: number, sign: number): void => {
    if (classify) S[y[r]!]! += sign;
    else S[0]! += sign * y[r]!;
  };
  const sideScore = (S: Float64Array, count: number): number => {
    if (!classify) return (S[0]! * S[0]!) / count;
    let s = 0;
    for (let c = 0; c < width; c++) s += S[c]! * S[c]!;
    return s / count;
  };
  for (let f = 0; f < params.maxFeatures && f < X.d; f++) {
    // Partial Fisher–Yates: features[f] becomes a fresh random choice among those not yet tried.
    const swap = f + rng.int(X.d - f);
    [features[f], features[swap]] = [features[swap]!, features[f]!];
    const j = features[f]!;
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = 0; t < n; t++) {
      const v = X.data[idx[start + t]! * X.d + j]!;
      keys[t] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) continue; // constant in this node
    L.fill(0);
    R.fill(0);
    if (params.splitter === 'random') {
      const thr = lo + (hi - lo) * rng.random();
      let nl = 0;
      for (let t = 0; t < n; t++) {
        const r = idx[start + t]!;
        if (keys[t]! <= thr) (add(L, r, 1), nl++);
        else add(R, r, 1);
      }
      if (nl < minLeaf || n - nl < minLeaf) continue;
      const score = sideScore(L, nl) + sideScore(R, n - nl);
      if (score > bestScore) [bestScore, bestFeature, bestThreshold] = [score, j, thr];
      continue;
    }
    const ord = order.subarray(0, n);
    for (let t = 0; t < n; t++) ord[t] = t;
    ord.sort((a, b) => keys[a]! - keys[b]!);
    for (let t = 0; t < n; t++) add(R, idx[start + t]!, 1);
    for (let t = 0; t < n - 1; t++) {
      const r = idx[start + ord[t]!]!;
      add(L, r, 1);
      add(R, r, -1);
      const nl = t + 1;
      const here = keys[ord[t]!]!;
      const next = keys[ord[t + 1]!]!;
      if (nl < minLeaf || n - nl < minLeaf || here === next) continue;
      const score = sideScore(L, nl) + sideScore(R, n - nl);
      if (score > bestScore) {
        bestScore = score;
        bestFeature = j;
        // The midpoint, unless rounding lands it on `next` (adjacent floats): then `here` still separates.
        const m = here + (next - here) / 2;
        bestThreshold = m < next ? m : here;
      }
    }
  }
  return bestFeature < 0 ? null : { feature: bestFeature, threshold: bestThreshold };
}
