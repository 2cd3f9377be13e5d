// Dense kernels of the CPU backend on Eigen (column-major matrices, lower triangles).
#pragma once
#include <Eigen/Dense>

namespace tunable {
namespace cpu {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using Vec = Eigen::VectorXd;

// In-place Cholesky of the lower triangle of A (n, n): A = L Lᵀ, L overwrites the lower triangle;
// the strict upper triangle is not touched. Blocked right-looking; with threads > 1 the trailing
// updates are split over OpenMP threads. Returns false when A is not numerically PD.
bool cholesky_lower(Mat& A, int threads);

// Kinv (n, n) lower triangle = (L Lᵀ)⁻¹ from the lower Cholesky factor L (n, n): a blocked
// triangular inverse followed by the product L⁻ᵀ L⁻¹ (LAPACK's potri, ≈ 2n³/3 flops).
void inverse_from_cholesky(const Mat& L, Mat& Kinv, int threads);

// Seconds for one Cholesky of a random SPD (n, n) matrix (best of `repeats`), for benchmarks.
double benchmark_cholesky(int n, int repeats, int threads);

}  // namespace cpu
}  // namespace tunable
