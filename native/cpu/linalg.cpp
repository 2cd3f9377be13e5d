#include "linalg.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace tunable {
namespace cpu {

namespace {
constexpr int kBlock = 128;
}

bool cholesky_lower(Mat& A, int threads) {
  const Eigen::Index n = A.rows();
  if (threads <= 1 || n < 4 * kBlock) {
    Eigen::LLT<Eigen::Ref<Mat>, Eigen::Lower> llt(A);
    return llt.info() == Eigen::Success;
  }
  for (Eigen::Index k = 0; k < n; k += kBlock) {
    const Eigen::Index b = std::min<Eigen::Index>(kBlock, n - k);
    const Eigen::Index r = n - k - b;
    auto Akk = A.block(k, k, b, b);
    Eigen::LLT<Eigen::Ref<Mat>, Eigen::Lower> llt(Akk);
    if (llt.info() != Eigen::Success) return false;
    if (r == 0) break;
    // Panel: A21 ← A21 L11⁻ᵀ, split by rows.
    auto A21 = A.block(k + b, k, r, b);
    const auto L11 = A.block(k, k, b, b).triangularView<Eigen::Lower>();
    const Eigen::Index rows = (r + threads - 1) / threads;
    RegionErrors panel;  // the transposed copy and Eigen's GEMM buffers allocate
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int t = 0; t < threads; ++t) {
      panel.run([&] {
        const Eigen::Index r0 = t * rows, rn = std::min(rows, r - r0);
        if (rn > 0) {
          Mat tmp = A21.middleRows(r0, rn).transpose();
          L11.solveInPlace(tmp);
          A21.middleRows(r0, rn) = tmp.transpose();
        }
      });
    }
    panel.rethrow();
    // Trailing update of the lower triangle: A22 ← A22 - A21 A21ᵀ, by column blocks.
    const Eigen::Index nb = (r + kBlock - 1) / kBlock;
    RegionErrors trailing;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (Eigen::Index jb = 0; jb < nb; ++jb) {
      trailing.run([&] {
        const Eigen::Index j0 = jb * kBlock, jn = std::min<Eigen::Index>(kBlock, r - j0);
        A.block(k + b + j0, k + b + j0, r - j0, jn).noalias() -=
            A21.middleRows(j0, r - j0) * A21.middleRows(j0, jn).transpose();
      });
    }
    trailing.rethrow();
  }
  return true;
}

void inverse_from_cholesky(const Mat& L, Mat& Kinv, int threads) {
  const Eigen::Index n = L.rows();
  // Z = L⁻¹ (lower), column block by column block: Z[J,J] = L[J,J]⁻¹, Z[J+,J] = -L[J+,J+]⁻¹ L[J+,J] Z[J,J].
  Mat& Z = Kinv;
  resize_or_throw(Z, n, n, "the (n, n) inverse of the kernel matrix");
  const Eigen::Index nb = (n + kBlock - 1) / kBlock;
  const int T = threads > 1 && nb > 1 ? threads : 1;
  RegionErrors blocks;  // Eigen's triangular solves and products allocate their buffers
#pragma omp parallel for num_threads(T) schedule(dynamic, 1) if (T > 1)
  for (Eigen::Index jb = 0; jb < nb; ++jb) {
    blocks.run([&] {
      const Eigen::Index j = jb * kBlock, b = std::min<Eigen::Index>(kBlock, n - j), r = n - j - b;
      auto Zjj = Z.block(j, j, b, b);
      Zjj.setIdentity();
      L.block(j, j, b, b).triangularView<Eigen::Lower>().solveInPlace(Zjj);
      Zjj.triangularView<Eigen::StrictlyUpper>().setZero();
      if (r > 0) {
        auto T21 = Z.block(j + b, j, r, b);
        T21.noalias() = L.block(j + b, j, r, b) * Zjj.triangularView<Eigen::Lower>();
        L.block(j + b, j + b, r, r).triangularView<Eigen::Lower>().solveInPlace(T21);
        T21 = -T21;
      }
    });
  }
  blocks.rethrow();
  // Kinv[j:, J] = Z[j:, j:]ᵀ Z[j:, J] (lower part). In increasing J, in place: block J writes only
  // its own columns, and later blocks read only columns to their right.
  if (T == 1) {
    Mat tmp;
    for (Eigen::Index jb = 0; jb < nb; ++jb) {
      const Eigen::Index j = jb * kBlock, b = std::min<Eigen::Index>(kBlock, n - j), m = n - j;
      tmp.noalias() = Z.block(j, j, m, m).triangularView<Eigen::Lower>().transpose() * Z.block(j, j, m, b);
      Kinv.block(j, j, m, b) = tmp;
    }
    return;
  }
  // In parallel a block could read columns another block is overwriting: results go to buffers.
  std::vector<Mat> out(nb);
  RegionErrors products;  // each out[jb] is a fresh (m, b) allocation
#pragma omp parallel for num_threads(T) schedule(dynamic, 1)
  for (Eigen::Index jb = 0; jb < nb; ++jb) {
    products.run([&] {
      const Eigen::Index j = jb * kBlock, b = std::min<Eigen::Index>(kBlock, n - j), m = n - j;
      out[jb].noalias() = Z.block(j, j, m, m).triangularView<Eigen::Lower>().transpose() * Z.block(j, j, m, b);
    });
  }
  products.rethrow();
  for (Eigen::Index jb = 0; jb < nb; ++jb) {
    const Eigen::Index j = jb * kBlock, b = std::min<Eigen::Index>(kBlock, n - j), m = n - j;
    Kinv.block(j, j, m, b) = out[jb];
  }
}

double benchmark_cholesky(int n, int repeats, int threads) {
  require_host_memory(bytes_of(n, n, sizeof(double), 3), "the benchmark's three (n, n) matrices");
  std::mt19937_64 gen(42);
  std::normal_distribution<double> nd;
  Mat B(n, n);
  for (Eigen::Index i = 0; i < B.size(); ++i) B.data()[i] = nd(gen);
  Mat A = B * B.transpose() / n;
  A.diagonal().array() += 1.0;
  double best = 1e300;
  for (int r = 0; r < std::max(1, repeats); ++r) {
    Mat C = A;
    const auto t0 = std::chrono::steady_clock::now();
    cholesky_lower(C, threads);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

}  // namespace cpu
}  // namespace tunable
