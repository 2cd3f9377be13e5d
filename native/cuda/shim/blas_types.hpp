// Our own declarations of the few cuBLAS / cuSOLVER types, enum values and entry points the CUDA
// backend calls. This machine (and CI) has no cuBLAS/cuSOLVER headers or libraries, and the addon
// must load without them, so nothing here is linked: the functions are resolved at run time by
// native/cuda/shim/loader.cpp (dlopen + dlsym) into the pointer table `Blas`.
//
// Values are those of the public headers (cublas_api.h, cusolver_common.h, cusolverDn.h of CUDA
// 12.x/13.x; also listed in the cuBLAS and cuSOLVER documentation, sections "cuBLAS Datatypes
// Reference" and "cuSOLVER Types Reference"). They have been stable since CUDA 6:
//   cublasStatus_t      SUCCESS 0, NOT_INITIALIZED 1, ALLOC_FAILED 3, INVALID_VALUE 7,
//                       ARCH_MISMATCH 8, MAPPING_ERROR 11, EXECUTION_FAILED 13, INTERNAL_ERROR 14,
//                       NOT_SUPPORTED 15, LICENSE_ERROR 16
//   cublasFillMode_t    LOWER 0, UPPER 1, FULL 2
//   cublasDiagType_t    NON_UNIT 0, UNIT 1
//   cublasSideMode_t    LEFT 0, RIGHT 1
//   cublasOperation_t   N 0, T 1, C 2
//   cusolverStatus_t    SUCCESS 0, NOT_INITIALIZED 1, ALLOC_FAILED 2, INVALID_VALUE 3,
//                       ARCH_MISMATCH 4, MAPPING_ERROR 5, EXECUTION_FAILED 6, INTERNAL_ERROR 7,
//                       MATRIX_TYPE_NOT_SUPPORTED 8, NOT_SUPPORTED 9
// Enums are C enums (int-sized) in the real headers; we pass them as `int`, which has the same ABI.
// The `_v2` names are the exported symbols (cublas_v2.h #defines cublasCreate → cublasCreate_v2).
// All matrices are column-major (Fortran order), as cuBLAS/cuSOLVER expect.
#pragma once

namespace tunable {
namespace cuda {

// Opaque handles (struct pointers in the real headers) and the runtime's stream type.
using cublasHandle_t = struct cublasContext*;
using cusolverDnHandle_t = struct cusolverDnContext*;
using stream_t = struct CUstream_st*;  // == cudaStream_t

using cublasStatus_t = int;
using cusolverStatus_t = int;

constexpr int CUBLAS_STATUS_SUCCESS = 0;
constexpr int CUSOLVER_STATUS_SUCCESS = 0;
constexpr int CUBLAS_FILL_MODE_LOWER = 0;
constexpr int CUBLAS_FILL_MODE_UPPER = 1;
constexpr int CUBLAS_DIAG_NON_UNIT = 0;
constexpr int CUBLAS_SIDE_LEFT = 0;
constexpr int CUBLAS_SIDE_RIGHT = 1;
constexpr int CUBLAS_OP_N = 0;
constexpr int CUBLAS_OP_T = 1;

// cuBLAS (libcublas.so.N): signatures of cublas_api.h.
using cublasCreate_t = cublasStatus_t (*)(cublasHandle_t* handle);
using cublasDestroy_t = cublasStatus_t (*)(cublasHandle_t handle);
using cublasSetStream_t = cublasStatus_t (*)(cublasHandle_t handle, stream_t stream);
// B (m, n) ← α op(A)⁻¹ B (side LEFT) or α B op(A)⁻¹ (RIGHT); A triangular (m, m) or (n, n).
using cublasDtrsm_t = cublasStatus_t (*)(cublasHandle_t handle, int side, int uplo, int trans, int diag, int m, int n,
                                         const double* alpha, const double* A, int lda, double* B, int ldb);
using cublasStrsm_t = cublasStatus_t (*)(cublasHandle_t handle, int side, int uplo, int trans, int diag, int m, int n,
                                         const float* alpha, const float* A, int lda, float* B, int ldb);
// C (m, n) ← α op(A) op(B) + β C.
using cublasDgemm_t = cublasStatus_t (*)(cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                         const double* alpha, const double* A, int lda, const double* B, int ldb,
                                         const double* beta, double* C, int ldc);
// C (n, n) triangle ← α op(A) op(A)ᵀ + β C, op(A) (n, k).
using cublasDsyrk_t = cublasStatus_t (*)(cublasHandle_t handle, int uplo, int trans, int n, int k, const double* alpha,
                                         const double* A, int lda, const double* beta, double* C, int ldc);
// y ← α op(A) x + β y, A (m, n).
using cublasDgemv_t = cublasStatus_t (*)(cublasHandle_t handle, int trans, int m, int n, const double* alpha,
                                         const double* A, int lda, const double* x, int incx, const double* beta,
                                         double* y, int incy);

// cuSOLVER dense (libcusolver.so.N): signatures of cusolverDn.h. uplo is a cublasFillMode_t.
using cusolverDnCreate_t = cusolverStatus_t (*)(cusolverDnHandle_t* handle);
using cusolverDnDestroy_t = cusolverStatus_t (*)(cusolverDnHandle_t handle);
using cusolverDnSetStream_t = cusolverStatus_t (*)(cusolverDnHandle_t handle, stream_t stream);
using cusolverDnDpotrf_bufferSize_t = cusolverStatus_t (*)(cusolverDnHandle_t handle, int uplo, int n, double* A,
                                                          int lda, int* lwork);
// A (n, n) lower triangle ← L; devInfo (device int) = 0, or i > 0 when the leading minor i is not PD.
using cusolverDnDpotrf_t = cusolverStatus_t (*)(cusolverDnHandle_t handle, int uplo, int n, double* A, int lda,
                                               double* work, int lwork, int* devInfo);
// B (n, nrhs) ← (L Lᵀ)⁻¹ B.
using cusolverDnDpotrs_t = cusolverStatus_t (*)(cusolverDnHandle_t handle, int uplo, int n, int nrhs, const double* A,
                                               int lda, double* B, int ldb, int* devInfo);
// batch factorisations of (n, n) matrices; Aarray: device array of device pointers; infoArray (batch).
using cusolverDnDpotrfBatched_t = cusolverStatus_t (*)(cusolverDnHandle_t handle, int uplo, int n, double** Aarray,
                                                      int lda, int* infoArray, int batchSize);

// The resolved entry points. Every pointer is non-null once `blas()` has returned, except the
// optional cublasDsyrk (unused) and cusolverDnDpotrfBatched (used by the batched likelihood when present).
struct Blas {
  cublasCreate_t cublasCreate;
  cublasDestroy_t cublasDestroy;
  cublasSetStream_t cublasSetStream;
  cublasDtrsm_t cublasDtrsm;
  cublasStrsm_t cublasStrsm;
  cublasDgemm_t cublasDgemm;
  cublasDsyrk_t cublasDsyrk;
  cublasDgemv_t cublasDgemv;
  cusolverDnCreate_t cusolverDnCreate;
  cusolverDnDestroy_t cusolverDnDestroy;
  cusolverDnSetStream_t cusolverDnSetStream;
  cusolverDnDpotrf_bufferSize_t cusolverDnDpotrf_bufferSize;
  cusolverDnDpotrf_t cusolverDnDpotrf;
  cusolverDnDpotrs_t cusolverDnDpotrs;
  cusolverDnDpotrfBatched_t cusolverDnDpotrfBatched;
};

}  // namespace cuda
}  // namespace tunable
