/**
 * The surrogate's posterior on a grid with gpu.js kernels (WebGL2, or gpu.js's 'cpu' mode: plain
 * JavaScript in float32 arithmetic); ../posterior-reference.ts holds the float64 reference and the factorisation.
 *
 * Kernels, for m points P (m, d) and n training points:
 *   mean     μ  (m)    = c + Σ_i σ_f² k(P_p, X_i) α_i       (the kernel row computed inline: m·n·d work)
 *   cross    Kc (m, n) = σ_f² k(P, X)
 *   solve    V  (m, n) = Kc L⁻ᵀ        (row p: L⁻¹ Kc_p; L⁻¹ precomputed in float64)
 *   variance σ² (m)    = max(0, σ_f² − Σ_i V_pi²)
 * The mean costs m·n (times d) and the variance m·n²/2 multiply-adds, which dominates: the page draws
 * the mean first and computes the variance after it in chunks of points (`variance`), so a newer
 * redraw can abandon a stale one between chunks.
 *
 * Float32 on the GPU: α, L⁻¹ and the points are float64 on the host and rounded once when uploaded;
 * the O(n²) triangular product uses the explicit L⁻¹ (a forward substitution is sequential, so a
 * fragment shader cannot run it). Sums are accumulated in blocks of BLOCK terms, then the blocks
 * summed, which keeps the rounding error of an n-term float32 sum near √(n/BLOCK)+BLOCK ulps rather
 * than n. The variance is σ_f² minus a sum of squares, each square ≥ 0: no cancellation inside the
 * sum, only in the final subtraction, whose absolute error is a few ulps of σ_f² — so near the data,
 * where σ² falls to the noise level, the error is small against σ_f², the prior variance, which is the
 * scale the agreement is measured on (test/dashboard/surrogate-browser.test.ts).
 *
 * Mode choice ('auto', chooseMode): WebGL2 unless the WebGL renderer is a software rasteriser
 * (SwiftShader, llvmpipe, softpipe): there the same kernels run about 8× faster in gpu.js's CPU mode
 * (bench/dashboard/surrogate.ts: 128 × 128 grid, n = 500: 18.9 s against 2.4 s under SwiftShader).
 */
import { GPU, type IKernelRunShortcut, type Texture } from 'gpu.js';
import type { Factor, Posterior } from '../posterior-reference.js';

export type { Posterior };

/** The gpu.js modes the kernels run in. */
export type GPUModeName = 'webgl2' | 'cpu';
/** What the page may ask for: a mode, or 'auto' (chooseMode). */
export type ModeChoice = 'auto' | GPUModeName;

/** Terms per partial sum (see the header). */
const BLOCK = 16;
/** Most points per variance call: the (chunk, n) textures stay within WebGL's texture size limit (8192 on SwiftShader). */
const MAX_CHUNK = 4096;
/** Fewest points per variance call (below this, per-call overhead dominates). */
const MIN_CHUNK = 64;

export interface GridEvaluator {
  /** The mode the kernels asked for. */
  readonly requested: GPUModeName;
  /** The mode that ran the last evaluation (gpu.js falls back to 'cpu' when a kernel fails to compile). */
  ran(): string;
  /** Points per `variance` call (a power of two, from the work per call asked for). */
  readonly chunk: number;
  /** (m) the posterior mean at P (m, d) row-major. */
  mean(P: Float64Array): Float64Array;
  /**
   * The posterior variance at points start … start + count − 1 of P (m, d), written into out (m);
   * count ≤ chunk. Calls with the same m reuse one set of kernels.
   */
  variance(P: Float64Array, start: number, count: number, out: Float64Array): void;
  /** Mean and variance at every point of P at once. */
  evaluate(P: Float64Array): Posterior;
  dispose(): void;
}

export interface EvaluatorOptions {
  /**
   * Multiply-adds per `variance` call (each point costs n²/2): how often a long variance computation
   * gives the page a chance to run. Default 2²⁶ (about 40 ms in gpu.js CPU mode on one core).
   */
  readonly chunkWork?: number;
}

/** The renderer string of a fresh WebGL2 context, unmasked where the browser allows. */
export function glRenderer(): string | null {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const r: unknown = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return typeof r === 'string' ? r : null;
  } catch {
    return null;
  }
}

/** Names of software rasterisers in WebGL renderer strings (ANGLE's SwiftShader, Mesa's llvmpipe and softpipe). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software/i;

export function isSoftwareRenderer(renderer: string | null): boolean {
  return renderer !== null && SOFTWARE_RENDERER.test(renderer);
}

/**
 * The mode to run: a forced one as asked; 'auto' picks WebGL2 unless the browser has none or its
 * renderer is a software rasteriser, where gpu.js's CPU mode is faster (header). `reason` says why,
 * for the page.
 */
export function chooseMode(choice: ModeChoice, renderer: string | null): { mode: GPUModeName; reason: string } {
  if (choice === 'cpu' || choice === 'webgl2') return { mode: choice, reason: 'forced by the Compute menu or ?gpu=' };
  if (renderer === null && !GPU.isWebGL2Supported) return { mode: 'cpu', reason: 'auto: this browser has no WebGL2' };
  if (isSoftwareRenderer(renderer)) {
    return { mode: 'cpu', reason: 'auto: the WebGL renderer is a software rasteriser, where gpu.js CPU mode runs faster' };
  }
  return { mode: 'webgl2', reason: 'auto: WebGL2 on a hardware renderer' };
}

/** The mode a query value (`?gpu=`) asks for; null when it names none. */
export function parseModeChoice(v: string | null): ModeChoice | null {
  if (v === null) return null;
  const s = v.trim().toLowerCase();
  if (s === 'cpu') return 'cpu';
  if (s === 'webgl' || s === 'webgl2' || s === 'gpu') return 'webgl2';
  if (s === 'auto') return 'auto';
  return null;
}

// Kernel sources are strings so the bundler's minifier leaves them alone: gpu.js parses the source and
// translates it to GLSL, and minified JavaScript (comma expressions, `var` hoisting) is outside the
// subset it translates.
// The unit kernel value k(r²(P_p, X_i)) into the variable k: the part the cross-kernel and the mean
// kernel share, spliced into both sources (gpu.js translates each kernel's source on its own).
const KERNEL_VALUE = `
    let r2 = 0.0;
    for (let j = 0; j < this.constants.d; j++) {
      const a = P[p * this.constants.d + j];
      const b = X[i * this.constants.d + j];
      let s = (a - b) * (a - b);
      if (cat[j] > 0.5) {
        s = 0.0;
        if (Math.abs(a - b) > 0.000001) {
          s = 1.0;
        }
      }
      r2 += w[j] * s;
    }
    let k = 0.0;
    if (this.constants.rbf > 0.5) {
      k = Math.exp(-0.5 * r2);
    } else {
      const u = Math.sqrt(5.0 * r2);
      k = (1.0 + u + u * u / 3.0) * Math.exp(-u);
    }`;

const CROSS = `function (P, X, w, cat) {
  const i = this.thread.x;
  const p = this.thread.y;${KERNEL_VALUE}
  return this.constants.sf2 * k;
}`;

// V_pi = Σ_{j ≤ i} L⁻¹_ij Kc_pj (L⁻¹ lower triangular, row-major (n, n)).
const SOLVE = `function (Linv, Kc) {
  const i = this.thread.x;
  const p = this.thread.y;
  let total = 0.0;
  let part = 0.0;
  let c = 0;
  for (let j = 0; j < this.constants.n; j++) {
    if (j > i) break;
    part += Linv[i * this.constants.n + j] * Kc[p][j];
    c++;
    if (c >= this.constants.block) {
      total += part;
      part = 0.0;
      c = 0;
    }
  }
  return total + part;
}`;

// μ_p = c + Σ_i σ_f² k(P_p, X_i) α_i, the kernel row computed inline (no (m, n) texture).
const MEAN = `function (P, X, w, cat, alpha) {
  const p = this.thread.x;
  let total = 0.0;
  let part = 0.0;
  let c = 0;
  for (let i = 0; i < this.constants.n; i++) {${KERNEL_VALUE}
    part += this.constants.sf2 * k * alpha[i];
    c++;
    if (c >= this.constants.block) {
      total += part;
      part = 0.0;
      c = 0;
    }
  }
  return total + part + this.constants.c;
}`;

const VARIANCE = `function (V) {
  const p = this.thread.x;
  let total = 0.0;
  let part = 0.0;
  let c = 0;
  for (let j = 0; j < this.constants.n; j++) {
    const v = V[p][j];
    part += v * v;
    c++;
    if (c >= this.constants.block) {
      total += part;
      part = 0.0;
      c = 0;
    }
  }
  return Math.max(0.0, this.constants.sf2 - (total + part));
}`;

/** Kernels for one model; rebuilt when the number of points changes. */
export function gridEvaluator(f: Factor, mode: GPUModeName, opts: EvaluatorOptions = {}): GridEvaluator {
  const g = f.data;
  const { n, d } = g;
  const gpu = new GPU({ mode });
  const X = Float32Array.from(g.X as ArrayLike<number>);
  const w = Float32Array.from(f.w);
  const cat = Float32Array.from(f.cat);
  const alpha = Float32Array.from(f.alpha);
  const Linv = Float32Array.from(f.Linv);
  const constants = { n, d, sf2: g.outputscale, c: g.mean, rbf: g.kernel === 'rbf' ? 1 : 0, block: BLOCK };
  const common = { constants, tactic: 'precision' as const, precision: 'single' as const, loopMaxIterations: Math.max(n, d) + 1 };
  const work = opts.chunkWork ?? 2 ** 26;
  const chunk = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, 2 ** Math.floor(Math.log2(Math.max(1, work / Math.max(1, (n * n) / 2))))));

  let meanKernel: { m: number; k: IKernelRunShortcut } | null = null;
  let varKernels: { c: number; cross: IKernelRunShortcut; solve: IKernelRunShortcut; variance: IKernelRunShortcut } | null = null;
  const destroy = () => {
    meanKernel?.k.destroy();
    meanKernel = null;
    if (varKernels) for (const k of [varKernels.cross, varKernels.solve, varKernels.variance]) k.destroy();
    varKernels = null;
  };
  let ranMode: string = mode;
  // One upload buffer per variance chunk size: (c, d).
  let Pf = new Float32Array(0);

  const mean = (P: Float64Array): Float64Array => {
    const m = Math.floor(P.length / d);
    if (!meanKernel || meanKernel.m !== m) {
      meanKernel?.k.destroy();
      meanKernel = { m, k: gpu.createKernel(MEAN, { ...common, output: [m] }) };
    }
    const out = meanKernel.k(Float32Array.from(P), X, w, cat, alpha) as ArrayLike<number>;
    ranMode = kernelMode(meanKernel.k) ?? mode;
    return Float64Array.from({ length: m }, (_, p) => out[p]!);
  };

  const variance = (P: Float64Array, start: number, count: number, out: Float64Array): void => {
    const m = Math.floor(P.length / d);
    // A grid smaller than one chunk gets kernels of its own size; otherwise every call has `chunk`
    // points, the last one padded with copies of its last point.
    const c = Math.min(m, chunk);
    if (!varKernels || varKernels.c !== c) {
      if (varKernels) for (const k of [varKernels.cross, varKernels.solve, varKernels.variance]) k.destroy();
      varKernels = {
        c,
        cross: gpu.createKernel(CROSS, { ...common, output: [n, c], pipeline: true }),
        solve: gpu.createKernel(SOLVE, { ...common, output: [n, c], pipeline: true }),
        variance: gpu.createKernel(VARIANCE, { ...common, output: [c] }),
      };
      Pf = new Float32Array(c * d);
    }
    const len = Math.min(count, c, m - start);
    for (let p = 0; p < c; p++) {
      const src = (start + Math.min(p, len - 1)) * d;
      for (let j = 0; j < d; j++) Pf[p * d + j] = P[src + j]!;
    }
    // Pipeline textures are reused by the next call of the same kernel (gpu.js `immutable: false`).
    const k = varKernels;
    const Kc = k.cross(Pf, X, w, cat) as unknown as Texture;
    const V = k.solve(Linv, Kc) as unknown as Texture;
    const va = k.variance(V) as ArrayLike<number>;
    for (let p = 0; p < len; p++) out[start + p] = va[p]!;
    ranMode = kernelMode(k.cross) ?? mode;
  };

  return {
    requested: mode,
    ran: () => ranMode,
    chunk,
    mean,
    variance,
    evaluate(P) {
      const m = Math.floor(P.length / d);
      const mu = mean(P);
      const va = new Float64Array(m);
      for (let a = 0; a < m; a += chunk) variance(P, a, chunk, va);
      return { mean: mu, variance: va };
    },
    dispose() {
      destroy();
      gpu.destroy();
    },
  };
}

/** The mode of the kernel that actually ran (gpu.js may have replaced it by its CPU fallback). */
function kernelMode(shortcut: IKernelRunShortcut): string | null {
  const inner = (shortcut as unknown as { kernel?: { context?: unknown; constructor?: { mode?: unknown } } }).kernel;
  const mode = inner?.constructor?.mode;
  if (mode !== 'gpu') return typeof mode === 'string' ? mode : null;
  // GL kernels all say 'gpu': their context tells WebGL2 from WebGL.
  if (typeof WebGL2RenderingContext !== 'undefined' && inner?.context instanceof WebGL2RenderingContext) return 'webgl2';
  if (typeof WebGLRenderingContext !== 'undefined' && inner?.context instanceof WebGLRenderingContext) return 'webgl';
  return 'gpu';
}
