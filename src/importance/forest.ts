/**
 * A random-forest regressor shaped like scikit-learn's `RandomForestRegressor` as Optuna's fANOVA
 * evaluator configures it: bootstrap resampling, every feature considered at every split, squared-error
 * splits placed halfway between neighbouring distinct values, growth until a node is pure, holds one
 * distinct sample, or reaches `maxDepth`.
 *
 * Browser-safe: no Node or DOM imports (the project's `util/rng.ts` seeds itself from `node:crypto`,
 * so a small seeded generator lives here).
 *
 * Notation: n samples, d features; `X` is (n, d) row-major, `y` is (n).
 */

export interface ForestOptions {
  readonly nTrees: number;
  readonly maxDepth: number;
  /** A node with fewer distinct samples than this is a leaf. */
  readonly minSamplesSplit: number;
  /** Each child of a split holds at least this many distinct samples. */
  readonly minSamplesLeaf: number;
  readonly seed: number;
}

/**
 * One fitted tree as parallel arrays indexed by node (node 0 is the root). Leaves have `feature` -1.
 * A sample goes left when `x[feature] <= threshold`.
 */
export interface Tree {
  readonly nodeCount: number;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** The bootstrap-weighted mean of y over the node's samples. */
  readonly value: Float64Array;
}

/**
 * Values closer than this count as equal when looking for split points: scikit-learn's
 * FEATURE_THRESHOLD, so both place splits between the same pairs of values.
 */
const FEATURE_TOLERANCE = 1e-7;
/** A node whose weighted variance is at most this is pure (scikit-learn's EPSILON, float64 epsilon). */
const PURE_VARIANCE = 2.220446049250313e-16;

/** sfc32: a small, fast 32-bit generator with a 128-bit state; seeded through a mixing step. */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // Spread the (possibly negative or > 2^32) integer seed over the whole state.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    this.a = 0x9e3779b9 ^ lo;
    this.b = 0x243f6a88 ^ hi;
    this.c = 0xb7e15162;
    this.d = 1;
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
}

/**
 * For each feature, the sample indices sorted by that feature's value: (d, n) row-major. Computed once
 * per forest; every tree filters it to its bootstrap sample, which keeps each node's samples sorted by
 * every feature without sorting again.
 */
function presort(X: Float64Array, n: number, d: number): Int32Array {
  const order = new Int32Array(d * n);
  const idx = new Array<number>(n);
  for (let f = 0; f < d; f++) {
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((i, j) => X[i * d + f]! - X[j * d + f]! || i - j);
    for (let i = 0; i < n; i++) order[f * n + i] = idx[i]!;
  }
  return order;
}

export function fitForest(X: Float64Array, y: Float64Array, n: number, d: number, opts: ForestOptions): Tree[] {
  if (X.length !== n * d || y.length !== n) throw new RangeError(`fitForest: X must be (${n}, ${d}) and y (${n})`);
  const rng = new SeededRandom(opts.seed);
  const order = presort(X, n, d);
  const trees: Tree[] = [];
  const counts = new Float64Array(n);
  for (let t = 0; t < opts.nTrees; t++) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[rng.int(n)]! += 1;
    trees.push(fitTree(X, y, counts, order, n, d, opts, rng));
  }
  return trees;
}

/**
 * One tree on the samples with a non-zero bootstrap count, each weighted by its count (as scikit-learn
 * does: a sample drawn three times weighs three, and counts once towards `minSamplesLeaf`).
 */
function fitTree(
  X: Float64Array,
  y: Float64Array,
  weight: Float64Array,
  globalOrder: Int32Array,
  n: number,
  d: number,
  opts: ForestOptions,
  rng: SeededRandom,
): Tree {
  let m = 0;
  for (let i = 0; i < n; i++) if (weight[i]! > 0) m++;
  // ord: (d, m) row-major; row f holds the node ranges' samples sorted by feature f.
  const ord = new Int32Array(d * m);
  for (let f = 0; f < d; f++) {
    let k = 0;
    for (let r = 0; r < n; r++) {
      const i = globalOrder[f * n + r]!;
      if (weight[i]! > 0) ord[f * m + k++] = i;
    }
  }
  const cap = Math.max(1, 2 * m - 1);
  const feature = new Int32Array(cap).fill(-1);
  const threshold = new Float64Array(cap);
  const left = new Int32Array(cap).fill(-1);
  const right = new Int32Array(cap).fill(-1);
  const value = new Float64Array(cap);
  const goesLeft = new Uint8Array(n);
  const tmp = new Int32Array(m);
  const features = Array.from({ length: d }, (_, f) => f);
  let nodeCount = 1;

  // Stack of (node, start, end, depth) with the node's samples at ord[f * m + start .. end).
  const stack: number[] = [0, 0, m, 0];
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const node = stack.pop()!;

    let wSum = 0;
    let ySum = 0;
    for (let k = start; k < end; k++) {
      const i = ord[k]!;
      wSum += weight[i]!;
      ySum += weight[i]! * y[i]!;
    }
    const mean = ySum / wSum;
    value[node] = mean;
    const count = end - start;
    if (depth >= opts.maxDepth || count < opts.minSamplesSplit || count < 2 * opts.minSamplesLeaf) continue;
    let sq = 0;
    for (let k = start; k < end; k++) {
      const i = ord[k]!;
      const r = y[i]! - mean;
      sq += weight[i]! * r * r;
    }
    if (sq / wSum <= PURE_VARIANCE) continue;

    // Best split by the squared-error proxy sL²/wL + sR²/wR on node-centred targets (maximising it
    // minimises the children's summed squared error). Features are visited in a fresh random order,
    // and a later candidate must be strictly better, so ties go to a random feature as in scikit-learn.
    for (let f = d - 1; f > 0; f--) {
      const j = rng.int(f + 1);
      const a = features[f]!;
      features[f] = features[j]!;
      features[j] = a;
    }
    let bestProxy = -Infinity;
    let bestFeature = -1;
    let bestPos = -1;
    let bestThreshold = 0;
    for (const f of features) {
      const row = f * m;
      const first = X[ord[row + start]! * d + f]!;
      const last = X[ord[row + end - 1]! * d + f]!;
      if (last <= first + FEATURE_TOLERANCE) continue;
      let wL = 0;
      let sL = 0;
      for (let k = start; k < end - 1; k++) {
        const i = ord[row + k]!;
        const wi = weight[i]!;
        wL += wi;
        sL += wi * (y[i]! - mean);
        const nL = k - start + 1;
        if (nL < opts.minSamplesLeaf || end - start - nL < opts.minSamplesLeaf) continue;
        const xk = X[i * d + f]!;
        const xn = X[ord[row + k + 1]! * d + f]!;
        if (xn <= xk + FEATURE_TOLERANCE) continue;
        const wR = wSum - wL;
        const sR = -sL; // the centred targets sum to zero over the node
        const proxy = (sL * sL) / wL + (sR * sR) / wR;
        if (proxy > bestProxy) {
          bestProxy = proxy;
          bestFeature = f;
          bestPos = k;
          let thr = xk / 2 + xn / 2;
          if (thr === xn || !Number.isFinite(thr)) thr = xk;
          bestThreshold = thr;
        }
      }
    }
    if (bestFeature < 0) continue;

    // Split by position in the chosen feature's order, then stable-partition every other feature's
    // row so that both children's ranges stay sorted.
    const bRow = bestFeature * m;
    for (let k = start; k < end; k++) goesLeft[ord[bRow + k]!] = k <= bestPos ? 1 : 0;
    const mid = bestPos + 1;
    for (let f = 0; f < d; f++) {
      if (f === bestFeature) continue;
      const row = f * m;
      let l = start;
      let r = 0;
      for (let k = start; k < end; k++) {
        const i = ord[row + k]!;
        if (goesLeft[i] === 1) ord[row + l++] = i;
        else tmp[r++] = i;
      }
      for (let k = 0; k < r; k++) ord[row + mid + k] = tmp[k]!;
    }
    const l = nodeCount++;
    const r = nodeCount++;
    feature[node] = bestFeature;
    threshold[node] = bestThreshold;
    left[node] = l;
    right[node] = r;
    stack.push(r, mid, end, depth + 1, l, start, mid, depth + 1);
  }
  return {
    nodeCount,
    feature: feature.subarray(0, nodeCount),
    threshold: threshold.subarray(0, nodeCount),
    left: left.subarray(0, nodeCount),
    right: right.subarray(0, nodeCount),
    value: value.subarray(0, nodeCount),
  };
}

/** The tree's prediction at one point x (d). */
export function predictTree(tree: Tree, x: ArrayLike<number>): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    node = x[tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}
