/**
 * Dense Cholesky factorisation in float64 for the small matrices handled in TypeScript (the dashboard's
 * reference posterior, the transfer weights' posterior samples); the engine's large ones are native.
 * No Node or DOM imports: the dashboard's page bundles this file.
 */

/** In-place lower Cholesky of K (n, n) row-major (the upper triangle is zeroed); false when not positive definite. */
export function cholesky(K: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let s = K[j * n + j]!;
    for (let k = 0; k < j; k++) s -= K[j * n + k]! * K[j * n + k]!;
    if (!(s > 0)) return false;
    const djj = Math.sqrt(s);
    K[j * n + j] = djj;
    for (let i = j + 1; i < n; i++) {
      let v = K[i * n + j]!;
      for (let k = 0; k < j; k++) v -= K[i * n + k]! * K[j * n + k]!;
      K[i * n + j] = v / djj;
    }
    for (let i = 0; i < j; i++) K[i * n + j] = 0;
  }
  return true;
}
