/**
 * Limited-memory BFGS for smooth unconstrained minimisation in float64 (Nocedal & Wright, Algorithm
 * 7.4/7.5): the two-loop recursion over the last `memory` steps and a backtracking line search with the
 * Armijo condition. A pair whose curvature s·y is not positive is skipped, which keeps the implied
 * Hessian positive definite without a Wolfe line search. Small and dependency-free: the linear
 * learners' objectives are convex and cheap, so robustness matters more than the last iteration.
 */

/** Writes the gradient at x into `grad` and returns f(x). x, grad: (p). */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Iterations (each one line search). */
  maxIter: number;
  /** Stop when max |gradient| falls below this. Default 1e-6. */
  gtol?: number;
  /** Stop when the relative decrease of f in one iteration falls below this. Default 1e-10. */
  ftol?: number;
  /** Correction pairs kept. Default 10. */
  memory?: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/** Minimises `fg` from `x0` (not modified). */
export function lbfgs(fg: Objective, x0: Float64Array, opts: LbfgsOptions): LbfgsResult {
  const p = x0.length;
  const m = opts.memory ?? 10;
  const gtol = opts.gtol ?? 1e-6;
  const ftol = opts.ftol ?? 1e-10;
  const x = Float64Array.from(x0);
  const g = new Float64Array(p);
  let f = fg(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(p);
  const xNew = new Float64Array(p);
  const gNew = new Float64Array(p);
  const alpha = new Float64Array(m);
  let it = 0;
  for (; it < opts.maxIter; it++) {
    if (maxAbs(g) < gtol) return { x, f, iterations: it, converged: true };
    // Two-loop recursion: dir = -H·g.
    for (let i = 0; i < p; i++) dir[i] = -g[i]!;
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j]! * dot(S[j]!, dir);
      axpy(-alpha[j]!, Y[j]!, dir);
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < p; i++) dir[i]! *= gamma;
    } else {
      // First step: a unit-length move, so a badly scaled gradient cannot overshoot by orders of magnitude.
      const norm = Math.sqrt(dot(dir, dir));
      if (norm > 0) for (let i = 0; i < p; i++) dir[i]! /= norm;
    }
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j]! * dot(Y[j]!, dir);
      axpy(alpha[j]! - beta, S[j]!, dir);
    }
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (numerical loss of positive definiteness): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < p; i++) dir[i] = -g[i]!;
      slope = dot(g, dir);
    }
    let step = 1;
    let fNew = NaN;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < p; i++) xNew[i] = x[i]! + step * dir[i]!;
      fNew = fg(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(Number.isFinite(fNew) && fNew <= f)) return { x, f, iterations: it, converged: false };
    const s = new Float64Array(p);
    const yv = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      s[i] = xNew[i]! - x[i]!;
      yv[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, yv);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(yv, yv))) {
      if (S.length === m) (S.shift(), Y.shift(), rho.shift());
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    const decrease = f - fNew;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    if (decrease <= ftol * Math.max(Math.abs(f), 1)) return { x, f, iterations: it + 1, converged: true };
  }
  return { x, f, iterations: it, converged: maxAbs(g) < gtol };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}
