// Launchers of the CUDA kernels (native/cuda/kernels.cu). Host-callable, no CUDA syntax here.
// Every launcher enqueues on `stream` and checks the launch (typed CudaError); none synchronises.
// Matrices are column-major with the given leading dimension (cuBLAS/cuSOLVER order); the element-wise
// maths is native/core/kernels.hpp (the same TUNABLE_HD functions as the CPU backend).
//   n training points, d dimensions, m query points
//   Xt (d, n) row-major: dimension j of every training point contiguous (= Xt[j * n + i])
//   Xc (m, d) row-major query points;  w (d) = 1/ℓ²;  cat (d) 1 = categorical dimension
#pragma once
#include <cuda_runtime_api.h>

namespace tunable {
namespace cuda {
namespace kern {

// K (n, n, ldk) lower triangle incl. diagonal = sf2 k(r²) off the diagonal, sf2 + diag on it.
// Kp (n, n, ld n) strict lower triangle = k'(r²) (unit scale) when non-null; its diagonal = 0.
// K null: only Kp is written.
void kernel_matrix(cudaStream_t s, int n, int d, const double* Xt, const double* w, const int* cat, int kernel,
                   double sf2, double diag, double* K, int ldk, double* Kp);

// Ks (n, m, ld ldk) = sf2 k(r²(X_i, Xc_a)); Kp (n, m, ld n) = sf2 k'(r²) when non-null.
void cross_kernel(cudaStream_t s, int n, int m, int d, const double* Xt, const double* Xc, const double* w,
                  const int* cat, int kernel, double sf2, double* Ks, int ldk, double* Kp);

// C (m, m) += sf2 k(r²(Xc_a, Xc_b)) (symmetric: row- and column-major alike).
void add_prior_covariance(cudaStream_t s, int m, int d, const double* Xc, const double* w, const int* cat, int kernel,
                          double sf2, double* C);

// r (n) = y − c.
void residual(cudaStream_t s, int n, const double* y, double c, double* r);
// A (n, n, lda) = I.
void set_identity(cudaStream_t s, int n, double* A, int lda);
// out (5) = [Σ log L_ii, r·α, Σ α, ‖α‖², tr Kinv (0 when Kinv is null)]; one block.
void scalars(cudaStream_t s, int n, const double* L, int ldl, const double* r, const double* alpha,
             const double* Kinv, int ldk, double* out);
// Kp (n, n) strict lower ← (α_a α_b − Kinv_ab) Kp_ab.
void weight_matrix(cudaStream_t s, int n, const double* alpha, const double* Kinv, int ldk, double* Kp);
// acc (d) = Σ_{a>b} V_ab s_j(a, b) with V (n, n, ld n) strict lower; partial: scratch of
// contraction_scratch(n, d) doubles.
size_t contraction_scratch(int n, int d);
void lengthscale_contraction(cudaStream_t s, int n, int d, const double* Xt, const int* cat, const double* V,
                             double* partial, double* acc);
// var (m) = max(0, sf2 − Σ_i V_ia²), V (n, m, ld ldv).
void posterior_variance(cudaStream_t s, int n, int m, const double* V, int ldv, double sf2, double* var);
// v (m) += c.
void add_constant(cudaStream_t s, int m, double c, double* v);
// dmean, dvar (m, d) row-major: Σ_i Kp_ia (xa_j − x_ij)·{2 w_j α_i, −4 w_j W_ia}; 0 on categorical dims.
// Kp (n, m, ld n), W (n, m, ld ldw).
void posterior_gradient(cudaStream_t s, int n, int m, int d, const double* Xt, const double* Xc, const double* w,
                        const int* cat, const double* Kp, const double* alpha, const double* W, int ldw,
                        double* dmean, double* dvar);
// Acquisition (native/core/acquisition.hpp, type an AcqType) over m points, in place: value (m) ← a(μ, σ²)
// from mean_value (m) and var (m); when grad is non-null, grad (m, d) ← ∂a/∂μ · grad + ∂a/∂σ² · dvar
// (grad holds ∂μ/∂x on entry, dvar ∂σ²/∂x). One thread per point.
void acquisition(cudaStream_t s, int m, int d, int type, double best, double beta, double* mean_value,
                 const double* var, double* grad, const double* dvar);
// Rows n … n+q−1 of L (ld ldl) ← [Bᵀ C] with B (n, q, ld n) and C (q, q, ld q) lower (its upper part
// written as 0); columns n … n+q−1 above row n ← 0.
void append_rows(cudaStream_t s, int n, int q, const double* B, const double* C, double* L, int ldl);
// float32 screening (posterior_f32). Ksf (n, m) = float(sf2 k(r²)); Lf (n, n, ld n) = float(L (ld ldl));
// mean (m) = c + Σ_i Ksf_ia α_i and var (m) = max(0, sf2 − Σ_i Vf_ia²), sums in float64.
void cross_kernel_f32(cudaStream_t s, int n, int m, int d, const double* Xt, const double* Xc, const double* w,
                      const int* cat, int kernel, double sf2, float* Ksf);
void to_float(cudaStream_t s, int n, const double* L, int ldl, float* Lf);
void mean_f32(cudaStream_t s, int n, int m, const float* Ksf, const double* alpha, double c, double* mean);
void variance_f32(cudaStream_t s, int n, int m, const float* Vf, double sf2, double* var);
// A (m, m, lda): diagonal += value; strict upper triangle ← 0 when zero_upper.
void add_diagonal(cudaStream_t s, int m, double* A, int lda, double value, bool zero_upper);
// F (m, k, ld m): every column += v (m).
void add_to_columns(cudaStream_t s, int m, int k, const double* v, double* F);

}  // namespace kern
}  // namespace cuda
}  // namespace tunable
