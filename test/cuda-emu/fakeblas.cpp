// What it fakes: the cuBLAS/cuSOLVER functions the CUDA backend gets from its dlopen shim
// (native/cuda/shim/loader.cpp is replaced by this file: library_report() and blas()), as plain
// column-major reference loops with the BLAS/LAPACK semantics (trsm, gemm, gemv, potrf, potrs).
// Why: no GPU or CUDA libraries in CI. Each call checks its arguments the way the real library would
// reject them (leading dimensions, workspace size), that every matrix lies inside one device allocation,
// and that alpha/beta are host pointers (a handle's default CUBLAS_POINTER_MODE_HOST). The optional
// cublasDsyrk, which the backend does not use, is null; cusolverDnDpotrfBatched is faked.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "cuda/shim/loader.hpp"
#include "fake.hpp"

namespace fake {
long handles_live = 0;
bool potrf_batched_nan = false;
}
using namespace fake;
namespace tunable {
namespace cuda {
namespace {
constexpr int kInvalidBlas = 7, kInvalidSolver = 3;
template <class T>
void need_mat(const T* A, int rows, int cols, int ld, const char* what) {
  if (rows <= 0 || cols <= 0) return;
  need_dev(A, (static_cast<size_t>(cols - 1) * ld + rows) * sizeof(T), what);
}
// Whether an element of A (ar, ac, ld lda) and one of C (cr, cc, ld ldc) share an address. cuBLAS's
// gemm and gemv read their inputs while writing C, so C may not overlap them (results are undefined).
bool share(const double* A, int ar, int ac, int lda, const double* C, int cr, int cc, int ldc) {
  if (ar <= 0 || ac <= 0 || cr <= 0 || cc <= 0) return false;
  const long long a0 = static_cast<long long>(reinterpret_cast<std::uintptr_t>(A) / sizeof(double));
  const long long c0 = static_cast<long long>(reinterpret_cast<std::uintptr_t>(C) / sizeof(double));
  for (int j = 0; j < cc; ++j) {
    const long long s = c0 + static_cast<long long>(j) * ldc, e = s + cr;
    // A's first column ending after s: a0 + l·lda + ar > s.
    const long long t = s - a0 - ar;
    const long long l = t < 0 ? 0 : t / lda + 1;
    if (l < ac && a0 + l * lda < e) return true;
  }
  return false;
}
void need_distinct(const double* A, int ar, int ac, int lda, const double* C, int cr, int cc, int ldc, const char* what) {
  if (share(A, ar, ac, lda, C, cr, cc, ldc)) {
    std::fprintf(stderr, "%s: the output overlaps an input\n", what);
    die("BLAS output aliases an input");
  }
}
int bcreate(cublasHandle_t* h) { *h = reinterpret_cast<cublasHandle_t>(new int(1)); ++handles_live; return 0; }
int bdestroy(cublasHandle_t h) { delete reinterpret_cast<int*>(h); --handles_live; return 0; }
int bstream(cublasHandle_t, stream_t) { return 0; }
int screate(cusolverDnHandle_t* h) { *h = reinterpret_cast<cusolverDnHandle_t>(new int(2)); ++handles_live; return 0; }
int sdestroy(cusolverDnHandle_t h) { delete reinterpret_cast<int*>(h); --handles_live; return 0; }
int sstream(cusolverDnHandle_t, stream_t) { return 0; }

// Triangular solve op(T) X = B for X (k, ncols) in place, T (k, k) from A's `uplo` triangle.
template <class T>
void tri_solve(int uplo, int trans, int diag, int k, const T* A, int lda, T* B, int ldb, int ncols, bool rows_of_B) {
  // Dense op(T) in double.
  std::vector<double> M(static_cast<size_t>(k) * k, 0.0);
  for (int j = 0; j < k; ++j)
    for (int i = 0; i < k; ++i) {
      const bool in = uplo == 0 ? i >= j : i <= j;
      if (!in) continue;
      double v = (i == j && diag == 1) ? 1.0 : static_cast<double>(A[static_cast<size_t>(j) * lda + i]);
      if (trans) M[static_cast<size_t>(i) * k + j] = v;  // M(j, i)
      else M[static_cast<size_t>(j) * k + i] = v;        // M(i, j)
    }
  const bool lower = (uplo == 0) != (trans != 0);
  std::vector<double> x(k);
  for (int c = 0; c < ncols; ++c) {
    auto at = [&](int i) -> T& {
      return rows_of_B ? B[static_cast<size_t>(i) * ldb + c] : B[static_cast<size_t>(c) * ldb + i];
    };
    for (int i = 0; i < k; ++i) x[i] = at(i);
    if (lower) {
      for (int i = 0; i < k; ++i) {
        double s = x[i];
        for (int j = 0; j < i; ++j) s -= M[static_cast<size_t>(j) * k + i] * x[j];
        x[i] = s / M[static_cast<size_t>(i) * k + i];
      }
    } else {
      for (int i = k - 1; i >= 0; --i) {
        double s = x[i];
        for (int j = i + 1; j < k; ++j) s -= M[static_cast<size_t>(j) * k + i] * x[j];
        x[i] = s / M[static_cast<size_t>(i) * k + i];
      }
    }
    for (int i = 0; i < k; ++i) at(i) = static_cast<T>(x[i]);
  }
}
template <class T>
int trsm(cublasHandle_t, int side, int uplo, int trans, int diag, int m, int n, const T* alpha, const T* A, int lda,
         T* B, int ldb) {
  need_host(alpha, "trsm alpha (pointer mode host)");
  const int k = side == 0 ? m : n;
  if (m < 0 || n < 0 || lda < std::max(1, k) || ldb < std::max(1, m)) return kInvalidBlas;
  if (m == 0 || n == 0) return 0;
  need_mat(A, k, k, lda, "trsm A");
  need_mat(B, m, n, ldb, "trsm B");
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) B[static_cast<size_t>(j) * ldb + i] *= *alpha;
  if (side == 0) {
    tri_solve(uplo, trans, diag, m, A, lda, B, ldb, n, false);
  } else {
    // X op(T) = B  <=>  op(T)ᵀ Xᵀ = Bᵀ: rows of B are right-hand sides.
    tri_solve(uplo, trans ? 0 : 1, diag, n, A, lda, B, ldb, m, true);
  }
  return 0;
}
int dgemm(cublasHandle_t, int ta, int tb, int m, int n, int k, const double* alpha, const double* A, int lda,
          const double* B, int ldb, const double* beta, double* C, int ldc) {
  need_host(alpha, "gemm alpha");
  need_host(beta, "gemm beta");
  if (lda < std::max(1, ta ? k : m) || ldb < std::max(1, tb ? n : k) || ldc < std::max(1, m)) return kInvalidBlas;
  need_mat(A, ta ? k : m, ta ? m : k, lda, "gemm A");
  need_mat(B, tb ? n : k, tb ? k : n, ldb, "gemm B");
  need_mat(C, m, n, ldc, "gemm C");
  need_distinct(A, ta ? k : m, ta ? m : k, lda, C, m, n, ldc, "gemm A, C");
  need_distinct(B, tb ? n : k, tb ? k : n, ldb, C, m, n, ldc, "gemm B, C");
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      double s = 0.0;
      for (int l = 0; l < k; ++l) {
        const double a = ta ? A[static_cast<size_t>(i) * lda + l] : A[static_cast<size_t>(l) * lda + i];
        const double b = tb ? B[static_cast<size_t>(l) * ldb + j] : B[static_cast<size_t>(j) * ldb + l];
        s += a * b;
      }
      double& c = C[static_cast<size_t>(j) * ldc + i];
      c = *alpha * s + (*beta == 0.0 ? 0.0 : *beta * c);
    }
  return 0;
}
int dgemv(cublasHandle_t, int trans, int m, int n, const double* alpha, const double* A, int lda, const double* x,
          int incx, const double* beta, double* y, int incy) {
  need_host(alpha, "gemv alpha");
  need_host(beta, "gemv beta");
  if (lda < std::max(1, m) || incx != 1 || incy != 1) return kInvalidBlas;
  need_mat(A, m, n, lda, "gemv A");
  const int lx = trans ? m : n, ly = trans ? n : m;
  need_dev(x, sizeof(double) * lx, "gemv x");
  need_dev(y, sizeof(double) * ly, "gemv y");
  need_distinct(A, m, n, lda, y, ly, 1, ly, "gemv A, y");
  need_distinct(x, lx, 1, lx, y, ly, 1, ly, "gemv x, y");
  for (int i = 0; i < ly; ++i) {
    double s = 0.0;
    for (int l = 0; l < lx; ++l)
      s += (trans ? A[static_cast<size_t>(i) * lda + l] : A[static_cast<size_t>(l) * lda + i]) * x[l];
    y[i] = *alpha * s + (*beta == 0.0 ? 0.0 : *beta * y[i]);
  }
  return 0;
}
int potrf_bs(cusolverDnHandle_t, int, int n, double* A, int lda, int* lwork) {
  if (lda < std::max(1, n)) return kInvalidSolver;
  need_host(lwork, "potrf_bufferSize lwork");
  (void)A;
  *lwork = 4 * n + 7;
  return 0;
}
// The Cholesky factor of the referenced triangle of A in place; *info = 0, or j + 1 at the first
// non-positive pivot j (the rest left as it is, like LAPACK).
void cholesky(int uplo, int n, double* A, int lda, int* info) {
  auto a = [&](int i, int j) -> double& {  // element (i, j) of the referenced triangle, i >= j
    return uplo == 0 ? A[static_cast<size_t>(j) * lda + i] : A[static_cast<size_t>(i) * lda + j];
  };
  *info = 0;
  for (int j = 0; j < n; ++j) {
    double d = a(j, j);
    for (int k = 0; k < j; ++k) d -= a(j, k) * a(j, k);
    if (!(d > 0.0)) {
      *info = j + 1;
      return;
    }
    d = std::sqrt(d);
    a(j, j) = d;
    for (int i = j + 1; i < n; ++i) {
      double s = a(i, j);
      for (int k = 0; k < j; ++k) s -= a(i, k) * a(j, k);
      a(i, j) = s / d;
    }
  }
}
int potrf(cusolverDnHandle_t, int uplo, int n, double* A, int lda, double* work, int lwork, int* info) {
  if (lda < std::max(1, n) || lwork < 4 * n + 7) return kInvalidSolver;
  need_mat(A, n, n, lda, "potrf A");
  need_dev(work, sizeof(double) * lwork, "potrf work");
  need_dev(info, sizeof(int), "potrf devInfo");
  for (int i = 0; i < lwork; ++i) work[i] = 0.0;
  cholesky(uplo, n, A, lda, info);
  return 0;
}
// Aarray: a device array of `batch` device pointers; infoArray: device (batch). No workspace (as cuSOLVER's).
int potrf_batched(cusolverDnHandle_t, int uplo, int n, double** Aarray, int lda, int* infoArray, int batch) {
  if (n < 0 || lda < std::max(1, n) || batch < 1) return kInvalidSolver;
  need_dev(Aarray, sizeof(double*) * batch, "potrfBatched Aarray");
  need_dev(infoArray, sizeof(int) * batch, "potrfBatched infoArray");
  for (int k = 0; k < batch; ++k) {
    need_mat(Aarray[k], n, n, lda, "potrfBatched A[k]");
    cholesky(uplo, n, Aarray[k], lda, infoArray + k);
    // Fault injection (fake::potrf_batched_nan): the first matrix comes back NaN with info 0, as
    // cuSOLVER's batched potrf has done for ill-conditioned matrices.
    if (potrf_batched_nan && k == 0 && n > 0) {
      Aarray[0][0] = std::nan("");
      infoArray[0] = 0;
    }
  }
  return 0;
}
int potrs(cusolverDnHandle_t, int uplo, int n, int nrhs, const double* A, int lda, double* B, int ldb, int* info) {
  if (lda < std::max(1, n) || ldb < std::max(1, n)) return kInvalidSolver;
  need_mat(A, n, n, lda, "potrs A");
  need_mat(B, n, nrhs, ldb, "potrs B");
  need_dev(info, sizeof(int), "potrs devInfo");
  // lower: L Lᵀ x = b; upper: Uᵀ U x = b.
  tri_solve(uplo, uplo == 0 ? 0 : 1, 0, n, A, lda, B, ldb, nrhs, false);
  tri_solve(uplo, uplo == 0 ? 1 : 0, 0, n, A, lda, B, ldb, nrhs, false);
  *info = 0;
  return 0;
}
LibraryReport g_report;
Blas g_blas{};
}  // namespace

const LibraryReport& library_report() {
  g_report.ok = true;
  g_report.cublas = "fake";
  g_report.cusolver = "fake";
  return g_report;
}
const Blas& blas() {
  g_blas.cublasCreate = bcreate;
  g_blas.cublasDestroy = bdestroy;
  g_blas.cublasSetStream = bstream;
  g_blas.cublasDtrsm = trsm<double>;
  g_blas.cublasStrsm = trsm<float>;
  g_blas.cublasDgemm = dgemm;
  g_blas.cublasDsyrk = nullptr;
  g_blas.cublasDgemv = dgemv;
  g_blas.cusolverDnCreate = screate;
  g_blas.cusolverDnDestroy = sdestroy;
  g_blas.cusolverDnSetStream = sstream;
  g_blas.cusolverDnDpotrf_bufferSize = potrf_bs;
  g_blas.cusolverDnDpotrf = potrf;
  g_blas.cusolverDnDpotrs = potrs;
  g_blas.cusolverDnDpotrfBatched = potrf_batched;
  return g_blas;
}
}  // namespace cuda
}  // namespace tunable
