// CUDA kernels of the GP backend; launchers and shapes in kernels.hpp. The element-wise maths
// (kernel values, derivatives, distance terms) is the TUNABLE_HD code of native/core/kernels.hpp.
#include <cuda_runtime.h>

#include <algorithm>

#include "../core/acquisition.hpp"
#include "../core/kernels.hpp"
#include "device.hpp"
#include "kernels.hpp"

namespace tunable {
namespace cuda {
namespace kern {

namespace {

constexpr int kWarp = 32;

inline unsigned blocks_for(size_t count, int threads) {
  const size_t b = (count + threads - 1) / threads;
  return static_cast<unsigned>(std::min<size_t>(b, 1u << 30));
}

// Launch shape of a kernel over an (rows, cols) column-major block with one thread per element: blocks of
// 256 threads, bx = 32 lanes along the rows (fewer, a power of two ≥ rows, when rows < 32, so that few
// lanes idle) by 256 / bx columns; grid (⌈cols / by⌉, ⌈rows / bx⌉), rows ≤ 65535·32 by gridDim.y's limit
// (the launch check reports a larger one). The kernel reads row = blockIdx.y·blockDim.x + threadIdx.x and
// column = blockIdx.x·blockDim.y + threadIdx.y.
struct Grid2 {
  dim3 grid, block;
};
inline Grid2 cross_grid(int rows, int cols) {
  int bx = 32;
  while (bx > 1 && bx / 2 >= rows) bx /= 2;
  const int by = 256 / bx;
  return {dim3(static_cast<unsigned>((static_cast<long long>(cols) + by - 1) / by), static_cast<unsigned>((rows + bx - 1) / bx)),
          dim3(static_cast<unsigned>(bx), static_cast<unsigned>(by))};
}

__device__ inline double warp_sum(double v) {
  for (int o = kWarp / 2; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

// r²(X_i, Y_a) with X given transposed (d, nx) and Y row-major (·, d).
__device__ inline double r2_cross(int d, const double* Xt, int nx, int i, const double* ya, const double* w,
                                  const int* cat) {
  double r2 = 0.0;
  for (int j = 0; j < d; ++j) r2 += w[j] * dim_term(cat[j] != 0, Xt[static_cast<size_t>(j) * nx + i], ya[j]);
  return r2;
}

// Grid (⌈n/32⌉, ⌈n/8⌉), block (32, 8): a = row, b = column, lower triangle only.
__global__ void kernel_matrix_k(int n, int d, const double* Xt, const double* w, const int* cat, int kernel,
                                double sf2, double diag, double* K, int ldk, double* Kp) {
  const int a = blockIdx.x * blockDim.x + threadIdx.x;
  const int b = blockIdx.y * blockDim.y + threadIdx.y;
  if (a >= n || b >= n || a < b) return;
  if (a == b) {
    if (K) K[static_cast<size_t>(b) * ldk + a] = sf2 + diag;
    if (Kp) Kp[static_cast<size_t>(b) * n + a] = 0.0;
    return;
  }
  double r2 = 0.0;
  for (int j = 0; j < d; ++j) {
    const double* xj = Xt + static_cast<size_t>(j) * n;
    r2 += w[j] * dim_term(cat[j] != 0, xj[a], xj[b]);
  }
  double k, dk;
  kernel_value_dr2(static_cast<KernelType>(kernel), r2, &k, &dk);
  if (K) K[static_cast<size_t>(b) * ldk + a] = sf2 * k;
  if (Kp) Kp[static_cast<size_t>(b) * n + a] = dk;
}

// One thread per (i, a) of the (n, m) block, launched by cross_grid: x → training point i (coalesced
// reads of Xt and writes of Ks), y → query point a; blockIdx.y walks the tiles of i and blockIdx.x those of
// a, so no thread divides a 64-bit index.
__global__ void cross_kernel_k(int n, int m, int d, const double* Xt, const double* Xc, const double* w,
                               const int* cat, int kernel, double sf2, double* Ks, int ldk, double* Kp) {
  const int i = blockIdx.y * blockDim.x + threadIdx.x;
  const size_t a = static_cast<size_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (i >= n || a >= static_cast<size_t>(m)) return;
  const double r2 = r2_cross(d, Xt, n, i, Xc + a * d, w, cat);
  double k, dk;
  kernel_value_dr2(static_cast<KernelType>(kernel), r2, &k, &dk);
  Ks[a * ldk + i] = sf2 * k;
  if (Kp) Kp[a * n + i] = sf2 * dk;
}

__global__ void cross_kernel_f32_k(int n, int m, int d, const double* Xt, const double* Xc, const double* w,
                                   const int* cat, int kernel, double sf2, float* Ksf) {
  const int i = blockIdx.y * blockDim.x + threadIdx.x;
  const size_t a = static_cast<size_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (i >= n || a >= static_cast<size_t>(m)) return;
  const double r2 = r2_cross(d, Xt, n, i, Xc + a * d, w, cat);
  Ksf[a * n + i] = static_cast<float>(sf2 * kernel_value(static_cast<KernelType>(kernel), r2));
}

__global__ void to_float_k(int n, const double* L, int ldl, float* Lf) {
  const size_t idx = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<size_t>(n) * n) return;
  const int a = static_cast<int>(idx % n), b = static_cast<int>(idx / n);
  Lf[idx] = a >= b ? static_cast<float>(L[static_cast<size_t>(b) * ldl + a]) : 0.0f;
}

// One warp per column: mean (sq = false) or variance (sq = true).
__global__ void column_f32_k(int n, int m, const float* A, const double* alpha, double base, bool sq, double* out) {
  const size_t wid = (static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (wid >= static_cast<size_t>(m)) return;
  const float* col = A + wid * n;
  double s = 0.0;
  for (int i = lane; i < n; i += kWarp) {
    const double v = col[i];
    s += sq ? v * v : v * alpha[i];
  }
  s = warp_sum(s);
  if (lane == 0) out[wid] = sq ? fmax(0.0, base - s) : base + s;
}

// Launched by cross_grid over the (m, m) block: x → row a, y → column b.
__global__ void prior_cov_k(int m, int d, const double* Xc, const double* w, const int* cat, int kernel, double sf2,
                            double* C) {
  const int a = blockIdx.y * blockDim.x + threadIdx.x;
  const size_t b = static_cast<size_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (a >= m || b >= static_cast<size_t>(m)) return;
  const double* xa = Xc + static_cast<size_t>(a) * d;
  const double* xb = Xc + b * d;
  double r2 = 0.0;
  for (int j = 0; j < d; ++j) r2 += w[j] * dim_term(cat[j] != 0, xa[j], xb[j]);
  C[b * m + a] += sf2 * kernel_value(static_cast<KernelType>(kernel), r2);
}

__global__ void residual_k(int n, const double* y, double c, double* r) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) r[i] = y[i] - c;
}

__global__ void identity_k(int n, double* A, int lda) {
  const size_t idx = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<size_t>(n) * n) return;
  const int a = static_cast<int>(idx % n), b = static_cast<int>(idx / n);
  A[static_cast<size_t>(b) * lda + a] = a == b ? 1.0 : 0.0;
}

// Block-wide sum of 256 threads (8 warps) into lane 0 of warp 0.
__device__ inline double block_sum(double v, double* sh) {
  v = warp_sum(v);
  const int lane = threadIdx.x % kWarp, wid = threadIdx.x / kWarp;
  __syncthreads();
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  v = threadIdx.x < blockDim.x / kWarp ? sh[threadIdx.x] : 0.0;
  if (wid == 0) v = warp_sum(v);
  return v;
}

__global__ void scalars_k(int n, const double* L, int ldl, const double* r, const double* alpha, const double* Kinv,
                          int ldk, double* out) {
  __shared__ double sh[kWarp];
  double s[5] = {0.0, 0.0, 0.0, 0.0, 0.0};
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    s[0] += log(L[static_cast<size_t>(i) * ldl + i]);
    s[1] += r[i] * alpha[i];
    s[2] += alpha[i];
    s[3] += alpha[i] * alpha[i];
    if (Kinv) s[4] += Kinv[static_cast<size_t>(i) * ldk + i];
  }
  for (int q = 0; q < 5; ++q) {
    const double t = block_sum(s[q], sh);
    if (threadIdx.x == 0) out[q] = t;
  }
}

__global__ void weight_k(int n, const double* alpha, const double* Kinv, int ldk, double* Kp) {
  const int a = blockIdx.x * blockDim.x + threadIdx.x;
  const int b = blockIdx.y * blockDim.y + threadIdx.y;
  if (a >= n || b >= a) return;
  double& v = Kp[static_cast<size_t>(b) * n + a];
  v = (alpha[a] * alpha[b] - Kinv[static_cast<size_t>(b) * ldk + a]) * v;
}

// Lengthscale contraction. Block (256) = 8 warps × 32 lanes; lane = dimension j0 + lane of the
// chunk blockIdx.y; the block walks 32×32 lower tiles (ta ≥ tb) with stride gridDim.x, warp g takes
// rows g, g+8, g+16, g+24 of a tile. partial (gridDim.x, d).
constexpr int kTile = 32;
__global__ void contraction_k(int n, int d, const double* Xt, const int* cat, const double* V, double* partial) {
  __shared__ double sv[kTile][kTile + 1];  // V[a][b] of the tile (a, b local)
  __shared__ double sa[kTile][kTile + 1];  // x of tile rows: [a][j]
  __shared__ double sb[kTile][kTile + 1];  // x of tile cols: [b][j]
  __shared__ double red[8][kTile];
  const int lane = threadIdx.x % kWarp, g = threadIdx.x / kWarp;
  const int j0 = blockIdx.y * kTile, j = j0 + lane;
  const bool catj = j < d && cat[j] != 0;
  const long long T = (n + kTile - 1) / kTile, tiles = T * (T + 1) / 2;
  double acc = 0.0;
  for (long long k = blockIdx.x; k < tiles; k += gridDim.x) {
    long long ta = static_cast<long long>((sqrt(8.0 * static_cast<double>(k) + 1.0) - 1.0) / 2.0);
    while (ta * (ta + 1) / 2 > k) --ta;
    while ((ta + 1) * (ta + 2) / 2 <= k) ++ta;
    const long long tb = k - ta * (ta + 1) / 2;
    const int a0 = static_cast<int>(ta * kTile), b0 = static_cast<int>(tb * kTile);
    __syncthreads();
    for (int e = threadIdx.x; e < kTile * kTile; e += blockDim.x) {
      const int la = e % kTile, lb = e / kTile, a = a0 + la, b = b0 + lb;  // consecutive threads: consecutive a
      sv[la][lb] = (a < n && b < n && a > b) ? V[static_cast<size_t>(b) * n + a] : 0.0;
      // x tiles: e → (point, dim) with the point fastest, reading Xt rows coalesced.
      const int jj = j0 + lb;
      sa[la][lb] = (a < n && jj < d) ? Xt[static_cast<size_t>(jj) * n + a] : 0.0;
      const int bb = b0 + la;
      sb[la][lb] = (bb < n && jj < d) ? Xt[static_cast<size_t>(jj) * n + bb] : 0.0;
    }
    __syncthreads();
    if (j < d) {
      for (int la = g; la < kTile; la += 8) {
        const double xa = sa[la][lane];
        double s = 0.0;
        for (int lb = 0; lb < kTile; ++lb) s += sv[la][lb] * dim_term(catj, xa, sb[lb][lane]);
        acc += s;
      }
    }
  }
  red[g][lane] = acc;
  __syncthreads();
  if (g == 0 && j < d) {
    double t = 0.0;
    for (int q = 0; q < 8; ++q) t += red[q][lane];
    partial[static_cast<size_t>(blockIdx.x) * d + j] = t;
  }
}

__global__ void reduce_partials_k(int blocks, int d, const double* partial, double* acc) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= d) return;
  double t = 0.0;
  for (int q = 0; q < blocks; ++q) t += partial[static_cast<size_t>(q) * d + j];
  acc[j] = t;
}

constexpr int kContractionBlocks = 1024;
inline int contraction_blocks(int n) {
  const long long T = (n + kTile - 1) / kTile;
  return static_cast<int>(std::min<long long>(kContractionBlocks, std::max<long long>(1, T * (T + 1) / 2)));
}

// One warp per column a.
__global__ void variance_k(int n, int m, const double* V, int ldv, double sf2, double* var) {
  const size_t wid = (static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (wid >= static_cast<size_t>(m)) return;
  const double* col = V + wid * ldv;
  double s = 0.0;
  for (int i = lane; i < n; i += kWarp) s += col[i] * col[i];
  s = warp_sum(s);
  if (lane == 0) var[wid] = fmax(0.0, sf2 - s);
}

__global__ void add_constant_k(int m, double c, double* v) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < m) v[i] += c;
}

// One warp per query point a, dimensions in turn.
__global__ void posterior_gradient_k(int n, int m, int d, const double* Xt, const double* Xc, const double* w,
                                     const int* cat, const double* Kp, const double* alpha, const double* W, int ldw,
                                     double* dmean, double* dvar) {
  const size_t a = (static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (a >= static_cast<size_t>(m)) return;
  const double* kp = Kp + a * n;
  const double* wc = W + a * ldw;
  for (int j = 0; j < d; ++j) {
    const size_t o = a * d + j;
    if (cat[j]) {
      if (lane == 0) dmean[o] = dvar[o] = 0.0;
      continue;
    }
    const double xa = Xc[o];
    const double* xj = Xt + static_cast<size_t>(j) * n;
    double sm = 0.0, sv = 0.0;
    for (int i = lane; i < n; i += kWarp) {
      const double t = kp[i] * (xa - xj[i]);
      sm += t * alpha[i];
      sv += t * wc[i];
    }
    sm = warp_sum(sm);
    sv = warp_sum(sv);
    if (lane == 0) {
      dmean[o] = 2.0 * w[j] * sm;
      dvar[o] = -4.0 * w[j] * sv;
    }
  }
}

__global__ void add_diagonal_k(int m, double* A, int lda, double value, bool zero_upper) {
  const size_t idx = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<size_t>(m) * m) return;
  const int a = static_cast<int>(idx % m), b = static_cast<int>(idx / m);
  double& v = A[static_cast<size_t>(b) * lda + a];
  if (a == b) v += value;
  else if (a < b && zero_upper) v = 0.0;
}

__global__ void add_to_columns_k(int m, int k, const double* v, double* F) {
  const size_t idx = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<size_t>(m) * k) return;
  F[idx] += v[idx % m];
}

}  // namespace

void kernel_matrix(cudaStream_t s, int n, int d, const double* Xt, const double* w, const int* cat, int kernel,
                   double sf2, double diag, double* K, int ldk, double* Kp) {
  if (n <= 0) return;
  const dim3 block(32, 8), grid((n + 31) / 32, (n + 7) / 8);
  kernel_matrix_k<<<grid, block, 0, s>>>(n, d, Xt, w, cat, kernel, sf2, diag, K, ldk, Kp);
  check_launch("kernel_matrix");
}

void cross_kernel(cudaStream_t s, int n, int m, int d, const double* Xt, const double* Xc, const double* w,
                  const int* cat, int kernel, double sf2, double* Ks, int ldk, double* Kp) {
  const size_t count = static_cast<size_t>(n) * m;
  if (count == 0) return;
  const Grid2 g = cross_grid(n, m);
  cross_kernel_k<<<g.grid, g.block, 0, s>>>(n, m, d, Xt, Xc, w, cat, kernel, sf2, Ks, ldk, Kp);
  check_launch("cross_kernel");
}

void cross_kernel_f32(cudaStream_t s, int n, int m, int d, const double* Xt, const double* Xc, const double* w,
                      const int* cat, int kernel, double sf2, float* Ksf) {
  const size_t count = static_cast<size_t>(n) * m;
  if (count == 0) return;
  const Grid2 g = cross_grid(n, m);
  cross_kernel_f32_k<<<g.grid, g.block, 0, s>>>(n, m, d, Xt, Xc, w, cat, kernel, sf2, Ksf);
  check_launch("cross_kernel_f32");
}

void to_float(cudaStream_t s, int n, const double* L, int ldl, float* Lf) {
  const size_t count = static_cast<size_t>(n) * n;
  if (count == 0) return;
  to_float_k<<<blocks_for(count, 256), 256, 0, s>>>(n, L, ldl, Lf);
  check_launch("to_float");
}

void mean_f32(cudaStream_t s, int n, int m, const float* Ksf, const double* alpha, double c, double* mean) {
  if (m <= 0) return;
  column_f32_k<<<blocks_for(static_cast<size_t>(m) * kWarp, 256), 256, 0, s>>>(n, m, Ksf, alpha, c, false, mean);
  check_launch("mean_f32");
}

void variance_f32(cudaStream_t s, int n, int m, const float* Vf, double sf2, double* var) {
  if (m <= 0) return;
  column_f32_k<<<blocks_for(static_cast<size_t>(m) * kWarp, 256), 256, 0, s>>>(n, m, Vf, nullptr, sf2, true, var);
  check_launch("variance_f32");
}

void add_prior_covariance(cudaStream_t s, int m, int d, const double* Xc, const double* w, const int* cat, int kernel,
                          double sf2, double* C) {
  const size_t count = static_cast<size_t>(m) * m;
  if (count == 0) return;
  const Grid2 g = cross_grid(m, m);
  prior_cov_k<<<g.grid, g.block, 0, s>>>(m, d, Xc, w, cat, kernel, sf2, C);
  check_launch("add_prior_covariance");
}

void residual(cudaStream_t s, int n, const double* y, double c, double* r) {
  if (n <= 0) return;
  residual_k<<<blocks_for(n, 256), 256, 0, s>>>(n, y, c, r);
  check_launch("residual");
}

void set_identity(cudaStream_t s, int n, double* A, int lda) {
  const size_t count = static_cast<size_t>(n) * n;
  if (count == 0) return;
  identity_k<<<blocks_for(count, 256), 256, 0, s>>>(n, A, lda);
  check_launch("set_identity");
}

void scalars(cudaStream_t s, int n, const double* L, int ldl, const double* r, const double* alpha,
             const double* Kinv, int ldk, double* out) {
  scalars_k<<<1, 256, 0, s>>>(n, L, ldl, r, alpha, Kinv, ldk, out);
  check_launch("scalars");
}

void weight_matrix(cudaStream_t s, int n, const double* alpha, const double* Kinv, int ldk, double* Kp) {
  if (n <= 1) return;
  const dim3 block(32, 8), grid((n + 31) / 32, (n + 7) / 8);
  weight_k<<<grid, block, 0, s>>>(n, alpha, Kinv, ldk, Kp);
  check_launch("weight_matrix");
}

size_t contraction_scratch(int n, int d) { return static_cast<size_t>(contraction_blocks(n)) * d; }

void lengthscale_contraction(cudaStream_t s, int n, int d, const double* Xt, const int* cat, const double* V,
                             double* partial, double* acc) {
  if (d <= 0) return;
  const int blocks = contraction_blocks(n);
  const dim3 grid(blocks, (d + kTile - 1) / kTile);
  contraction_k<<<grid, 256, 0, s>>>(n, d, Xt, cat, V, partial);
  check_launch("lengthscale_contraction");
  reduce_partials_k<<<blocks_for(d, 128), 128, 0, s>>>(blocks, d, partial, acc);
  check_launch("reduce_partials");
}

void posterior_variance(cudaStream_t s, int n, int m, const double* V, int ldv, double sf2, double* var) {
  if (m <= 0) return;
  variance_k<<<blocks_for(static_cast<size_t>(m) * kWarp, 256), 256, 0, s>>>(n, m, V, ldv, sf2, var);
  check_launch("posterior_variance");
}

void add_constant(cudaStream_t s, int m, double c, double* v) {
  if (m <= 0) return;
  add_constant_k<<<blocks_for(m, 256), 256, 0, s>>>(m, c, v);
  check_launch("add_constant");
}

void posterior_gradient(cudaStream_t s, int n, int m, int d, const double* Xt, const double* Xc, const double* w,
                        const int* cat, const double* Kp, const double* alpha, const double* W, int ldw,
                        double* dmean, double* dvar) {
  if (m <= 0) return;
  posterior_gradient_k<<<blocks_for(static_cast<size_t>(m) * kWarp, 256), 256, 0, s>>>(n, m, d, Xt, Xc, w, cat, Kp,
                                                                                       alpha, W, ldw, dmean, dvar);
  check_launch("posterior_gradient");
}


void add_diagonal(cudaStream_t s, int m, double* A, int lda, double value, bool zero_upper) {
  const size_t count = static_cast<size_t>(m) * m;
  if (count == 0) return;
  add_diagonal_k<<<blocks_for(count, 256), 256, 0, s>>>(m, A, lda, value, zero_upper);
  check_launch("add_diagonal");
}

void add_to_columns(cudaStream_t s, int m, int k, const double* v, double* F) {
  const size_t count = static_cast<size_t>(m) * k;
  if (count == 0) return;
  add_to_columns_k<<<blocks_for(count, 256), 256, 0, s>>>(m, k, v, F);
  check_launch("add_to_columns");
}

namespace {
__global__ void acquisition_k(int m, int d, int type, double best, double beta, double* mean_value, const double* var,
                              double* grad, const double* dvar) {
  const int a = blockIdx.x * blockDim.x + threadIdx.x;
  if (a >= m) return;
  const AcqValue av = acquisition_value(static_cast<AcqType>(type), mean_value[a], var[a], best, beta);
  mean_value[a] = av.value;
  if (grad == nullptr) return;
  const size_t o = static_cast<size_t>(a) * d;
  for (int j = 0; j < d; ++j) grad[o + j] = acquisition_gradient(av, grad[o + j], dvar[o + j]);
}
}  // namespace

void acquisition(cudaStream_t s, int m, int d, int type, double best, double beta, double* mean_value,
                 const double* var, double* grad, const double* dvar) {
  if (m <= 0) return;
  acquisition_k<<<blocks_for(m, 256), 256, 0, s>>>(m, d, type, best, beta, mean_value, var, grad, dvar);
  check_launch("acquisition");
}

namespace {
// One thread per element of the new rows (q × (n + q)) and of the new columns above row n (n × q).
__global__ void append_rows_k(int n, int q, const double* B, const double* C, double* L, int ldl) {
  const size_t idx = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t rows_part = static_cast<size_t>(q) * (n + q);
  if (idx < rows_part) {
    const int a = static_cast<int>(idx % q), c = static_cast<int>(idx / q);  // row n + a, column c
    double v = 0.0;
    if (c < n) v = B[static_cast<size_t>(a) * n + c];
    else if (c - n <= a) v = C[static_cast<size_t>(c - n) * q + a];
    L[static_cast<size_t>(c) * ldl + n + a] = v;
  } else if (idx < rows_part + static_cast<size_t>(n) * q) {
    const size_t k = idx - rows_part;
    const int i = static_cast<int>(k % n), a = static_cast<int>(k / n);  // row i < n, column n + a
    L[static_cast<size_t>(n + a) * ldl + i] = 0.0;
  }
}
}  // namespace

void append_rows(cudaStream_t s, int n, int q, const double* B, const double* C, double* L, int ldl) {
  const size_t count = static_cast<size_t>(q) * (2 * static_cast<size_t>(n) + q);
  if (count == 0) return;
  append_rows_k<<<blocks_for(count, 256), 256, 0, s>>>(n, q, B, C, L, ldl);
  check_launch("append_rows");
}

}  // namespace kern
}  // namespace cuda
}  // namespace tunable
