/**
 * Small dense linear algebra for CMA-ES (internal). Matrices are row-major `number[]` of length n*n:
 * n is the number of CMA dimensions (tens at most), so plain arrays beat any dependency.
 */

/** Row-major n×n matrix: element (i, j) at `i * n + j`. */
export type Mat = number[];

export function identity(n: number): Mat {
  const m = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

/** A·v for a row-major n×n matrix. */
export function matVec(a: Mat, v: readonly number[], n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

export function norm(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/** B·diag(d)·Bᵀ: the symmetric matrix with eigenvectors B (columns) and eigenvalues d. */
export function fromEigen(b: Mat, d: readonly number[], n: number): Mat {
  const out = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += b[i * n + k]! * d[k]! * b[j * n + k]!;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/**
 * Eigen-decomposition of a symmetric matrix by the cyclic Jacobi method: A = V·diag(λ)·Vᵀ with V
 * orthonormal (eigenvectors in columns). Jacobi rather than QR because it is short, unconditionally
 * stable and accurate for small eigenvalues of well-scaled matrices — exactly what a covariance
 * matrix whose condition number may reach 1e14 needs. O(n³) per sweep, ~6–10 sweeps.
 * Only the upper triangle of `a` is read (the lower one is assumed equal).
 */
export function symmetricEigen(a: Mat, n: number): { values: number[]; vectors: Mat } {
  const m = a.slice();
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m[i * n + j] = m[j * n + i]!;
  const v = identity(n);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i]! * m[i * n + i]!;
      for (let j = i + 1; j < n; j++) off += m[i * n + j]! * m[i * n + j]!;
    }
    // Converged when the off-diagonal mass is negligible next to the diagonal (or underflows).
    if (off <= 1e-30 * diag || off < 1e-300) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        // Rotation angle that zeroes (p, q): t = tan θ, the smaller root of t² + 2τt − 1 = 0.
        const tau = (aqq - app) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // Columns p and q of M·R, then rows p and q of Rᵀ·(M·R).
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i]!;
  return { values, vectors: v };
}
