/**
 * The surrogate the dashboard's server sends (`SurrogateJSON`), and its posterior in plain float64
 * TypeScript: the page's factorisation (done once when the model arrives), the reference its float32
 * gpu.js kernels are checked against, and the value the engine's `gp.predict` gives to about 1e-12
 * relative. Nothing here imports Node or the DOM: the server and the page share it.
 *
 * The same arithmetic as the engine's `predict` (native/core/kernels.hpp, native/cpu/cpu_backend.cpp):
 *   r²(x, x') = Σ_j w_j s_j,  w_j = 1/ℓ_j²,  s_j = (x_j − x'_j)² (continuous, integer) or [x_j ≠ x'_j] (categorical)
 *   k(r²) = (1 + u + u²/3) e^{−u}, u = √5 r (Matérn-5/2; 0 beyond u = 800), or e^{−r²/2} (RBF; 0 beyond r² = 1600)
 *   K = σ_f² k(X, X) + (σ_n² + jitter) I,  L Lᵀ = K,  α = K⁻¹ (y − c)
 *   μ(x) = c + σ_f² k(x, X) α,   σ²(x) = max(0, σ_f² − ‖L⁻¹ σ_f² k(X, x)‖²)   (latent f: no noise)
 * The jitter is the engine's (sent with the model); should float64 rounding here still find K not
 * positive definite, it escalates as the engine does: 1e-8 … 1e-2 × (σ_f² + σ_n²), ×10 each time.
 */
import { cholesky } from '../util/cholesky.js';
import type { Distribution } from '../distributions/index.js';

/** How the GP's standardised scale maps back to objective values (see `toObjectiveValue`). */
export interface SurrogateScale {
  /** 1: maximised objective; −1: minimised (the GP models −value, so larger is always better). */
  readonly sign: 1 | -1;
  /** Values were divided by this first (their largest |value| when it exceeds 1e100; otherwise 1). */
  readonly divisor: number;
  /** 'log': the gap to the best was compressed, g → log(1 + g / gapScale); 'none': values used as they are. */
  readonly warping: 'log' | 'none';
  /** The best (largest) signed, divided value; with 'log' warping, the warped scale's 0. */
  readonly best: number;
  /** The median positive gap to the best (with 'log' warping; 1 otherwise). */
  readonly gapScale: number;
  /** Standardisation: y = (warped − mean) / sd. */
  readonly mean: number;
  readonly sd: number;
}

export interface SurrogateJSON {
  /** Which objective (index into the study's directions) the GP models. */
  readonly objective: number;
  readonly kernel: 'matern52' | 'rbf';
  /** The modelled parameters, in the GP's dimension order (sorted by name). */
  readonly names: readonly string[];
  readonly distributions: Readonly<Record<string, Distribution>>;
  readonly d: number;
  /** Dimensions compared by equality (categorical parameters: choice i is encoded i / (k − 1)). */
  readonly categoricalDims: readonly number[];
  /** Number of observations. */
  readonly n: number;
  /** (n, d) row-major: the trials' points in the unit cube, as the GPSampler encodes them. */
  readonly X: readonly number[];
  /** (n): the transformed, standardised targets the GP was fitted to (larger is better). */
  readonly y: readonly number[];
  /** (n): the trial number of each row of X. */
  readonly trialNumbers: readonly number[];
  readonly hyperparameters: {
    /** (d) */
    readonly lengthscales: readonly number[];
    /** σ_f² (a variance). */
    readonly outputscale: number;
    /** σ_n² (a variance). */
    readonly noise: number;
    /** The constant prior mean c. */
    readonly mean: number;
  };
  /** Added to the kernel matrix's diagonal besides `noise` when the fit's Cholesky needed it (usually 0). */
  readonly jitter: number;
  readonly toObjective: SurrogateScale;
}

export type KernelName = 'matern52' | 'rbf';

/** What the posterior needs from the server's model. */
export interface GPData {
  readonly kernel: KernelName;
  readonly d: number;
  readonly n: number;
  /** (n, d) row-major, unit cube. */
  readonly X: ArrayLike<number>;
  /** (n) the standardised targets. */
  readonly y: ArrayLike<number>;
  readonly categoricalDims: readonly number[];
  readonly lengthscales: readonly number[];
  readonly outputscale: number;
  readonly noise: number;
  readonly mean: number;
  /** The engine's jitter on K's diagonal (its fit's Cholesky); escalated further here only if needed. */
  readonly jitter: number;
}

/** A factorised model: what both the CPU reference and the GPU kernels read. */
export interface Factor {
  readonly data: GPData;
  /** (d) 1/ℓ_j². */
  readonly w: Float64Array;
  /** (d) 1 where the dimension is categorical. */
  readonly cat: Uint8Array;
  /** (n, n) row-major lower Cholesky factor of K. */
  readonly L: Float64Array;
  /** (n, n) row-major L⁻¹ (lower triangular). */
  readonly Linv: Float64Array;
  /** (n) K⁻¹ (y − c). */
  readonly alpha: Float64Array;
  /** Added to K's diagonal besides the noise (the engine's jitter, almost always 0). */
  readonly jitter: number;
}

export interface Posterior {
  /** (m) posterior mean of f. */
  readonly mean: Float64Array;
  /** (m) posterior variance of the latent f. */
  readonly variance: Float64Array;
}

const SQRT5 = Math.sqrt(5);
const MATERN_U_MAX = 800;
const RBF_R2_MAX = 1600;
const JITTER_START = 1e-8;
const JITTER_MAX = 1e-2;

/** k(r²) for a unit output scale, as kernels.hpp. */
export function kernelValue(kernel: KernelName, r2: number): number {
  const r = r2 < 0 ? 0 : r2;
  if (kernel === 'rbf') return r > RBF_R2_MAX ? 0 : Math.exp(-0.5 * r);
  const u = SQRT5 * Math.sqrt(r);
  if (u > MATERN_U_MAX) return 0;
  return (1 + u + (u * u) / 3) * Math.exp(-u);
}

/** Scaled squared distance between row a of A (·, d) and row b of B (·, d). */
function dist2(A: ArrayLike<number>, a: number, B: ArrayLike<number>, b: number, w: Float64Array, cat: Uint8Array): number {
  const d = w.length;
  let r2 = 0;
  for (let j = 0; j < d; j++) {
    const u = A[a * d + j]!;
    const v = B[b * d + j]!;
    r2 += w[j]! * (cat[j] ? (u === v ? 0 : 1) : (u - v) * (u - v));
  }
  return r2;
}

function buildKernel(g: GPData, w: Float64Array, cat: Uint8Array, diagAdd: number): Float64Array {
  const n = g.n;
  const K = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < a; b++) {
      const v = g.outputscale * kernelValue(g.kernel, dist2(g.X, a, g.X, b, w, cat));
      K[a * n + b] = v;
      K[b * n + a] = v;
    }
    K[a * n + a] = g.outputscale + g.noise + diagAdd;
  }
  return K;
}

/** Factorises the model's K (with the engine's jitter escalation) and precomputes α and L⁻¹. */
export function factorize(g: GPData): Factor {
  const { n, d } = g;
  const w = Float64Array.from(g.lengthscales, (l) => 1 / (l * l));
  const cat = new Uint8Array(d);
  for (const j of g.categoricalDims) cat[j] = 1;
  let jitter = g.jitter;
  let L = buildKernel(g, w, cat, jitter);
  if (!cholesky(L, n)) {
    const md = g.outputscale + g.noise;
    let ok = false;
    for (let rel = JITTER_START; rel <= JITTER_MAX * 1.0001; rel *= 10) {
      L = buildKernel(g, w, cat, rel * md);
      if (cholesky(L, n)) {
        jitter = rel * md;
        ok = true;
        break;
      }
    }
    if (!ok) throw new Error('The surrogate kernel matrix is not positive definite, even with jitter');
  }
  // α = L⁻ᵀ L⁻¹ (y − c)
  const alpha = new Float64Array(n);
  for (let i = 0; i < n; i++) alpha[i] = g.y[i]! - g.mean;
  forward(L, n, alpha);
  for (let i = n - 1; i >= 0; i--) {
    let s = alpha[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * alpha[k]!;
    alpha[i] = s / L[i * n + i]!;
  }
  // L⁻¹ column by column (forward substitution on the unit vectors), stored row-major.
  const Linv = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    e.fill(0);
    e[c] = 1;
    for (let i = c; i < n; i++) {
      let s = e[i]!;
      for (let k = c; k < i; k++) s -= L[i * n + k]! * e[k]!;
      e[i] = s / L[i * n + i]!;
    }
    for (let i = c; i < n; i++) Linv[i * n + c] = e[i]!;
  }
  return { data: g, w, cat, L, Linv, alpha, jitter };
}

/** v ← L⁻¹ v in place. */
function forward(L: Float64Array, n: number, v: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = v[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * v[k]!;
    v[i] = s / L[i * n + i]!;
  }
}

/** The float64 reference: posterior mean and latent variance at P (m, d) row-major. */
export function posteriorCpu(f: Factor, P: ArrayLike<number>): Posterior {
  const g = f.data;
  const n = g.n;
  const m = Math.floor(P.length / g.d);
  const mean = new Float64Array(m);
  const variance = new Float64Array(m);
  const ks = new Float64Array(n);
  for (let p = 0; p < m; p++) {
    let mu = 0;
    for (let i = 0; i < n; i++) {
      const k = g.outputscale * kernelValue(g.kernel, dist2(P, p, g.X, i, f.w, f.cat));
      ks[i] = k;
      mu += k * f.alpha[i]!;
    }
    mean[p] = mu + g.mean;
    forward(f.L, n, ks);
    let q = 0;
    for (let i = 0; i < n; i++) q += ks[i]! * ks[i]!;
    variance[p] = Math.max(0, g.outputscale - q);
  }
  return { mean, variance };
}

/** The factorised model of a server's `SurrogateJSON`. */
export function factorSurrogate(s: SurrogateJSON): Factor {
  const h = s.hyperparameters;
  return factorize({
    kernel: s.kernel,
    d: s.d,
    n: s.n,
    X: s.X,
    y: s.y,
    categoricalDims: s.categoricalDims,
    lengthscales: h.lengthscales,
    outputscale: h.outputscale,
    noise: h.noise,
    mean: h.mean,
    jitter: s.jitter,
  });
}

/**
 * A value on the GP's standardised scale → the objective's scale: undoes the standardisation, the log
 * warping and the sign. The map is increasing in y for a maximised objective (decreasing for a
 * minimised one), so it maps the posterior mean and any quantile (μ ± σ) of the latent f; a standard
 * deviation itself has no single objective-scale value under the log warping (map μ − σ and μ + σ).
 * Above the best observed value the log warping saturates: values map below best + gapScale.
 */
export function toObjectiveValue(scale: SurrogateScale, y: number): number {
  const warped = y * scale.sd + scale.mean;
  const value = scale.warping === 'log' ? scale.best - scale.gapScale * Math.expm1(-warped) : warped;
  return scale.sign * value * scale.divisor;
}
