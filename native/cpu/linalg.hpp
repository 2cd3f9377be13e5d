// Dense kernels of the CPU backend on Eigen (column-major matrices, lower triangles).
#pragma once
#include <Eigen/Dense>

#include <new>

#include "../core/errors.hpp"

namespace tunable {
namespace cpu {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using Vec = Eigen::VectorXd;

// M ← (rows, cols), contents unspecified; OutOfMemory (naming `what` and the bytes) when the
// allocation fails. Eigen's resize frees the old storage before allocating the new, and when that
// allocation throws it keeps the freed pointer (a double free when the matrix is destroyed): the
// matrix is emptied first, so a failure leaves it empty and valid.
template <class M>
void resize_or_throw(M& m, Eigen::Index rows, Eigen::Index cols, const char* what) {
  if (m.rows() == rows && m.cols() == cols) return;
  m.resize(0, 0);
  try {
    m.resize(rows, cols);
  } catch (const std::bad_alloc&) {
    throw OutOfMemory(bytes_of(static_cast<size_t>(rows), static_cast<size_t>(cols)), what);
  }
}

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
