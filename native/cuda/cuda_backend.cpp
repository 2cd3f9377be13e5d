// CUDA backend: the same algorithm as native/cpu/cpu_backend.cpp, on the device (shapes in
// cuda_backend.hpp and kernels.hpp; all matrices column-major, lower triangles).
#include "cuda_backend.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../core/priors.hpp"
#include "kernels.hpp"
#include "shim/loader.hpp"

namespace tunable {

std::unique_ptr<Backend> make_cuda_backend(size_t memory_cap, const cuda::Tuning& tuning) {
  auto b = std::make_shared<cuda::Budget>();
  b->cap = memory_cap;
  return std::make_unique<cuda::CudaBackend>(b, tuning);
}

std::unique_ptr<Backend> make_cuda_backend(size_t memory_cap) {
  return make_cuda_backend(memory_cap, cuda::Tuning::measured());
}

namespace cuda {

namespace {
constexpr double kLog2Pi = 1.83787706640934548356;
constexpr double kOne = 1.0, kZero = 0.0, kMinusOne = -1.0;
// Elements per (n, chunk) posterior buffer: 2^25 doubles = 256 MiB.
constexpr size_t kChunkElems = size_t(1) << 25;
// Doubles per page-locked staging buffer of posterior() (two per model, allocated on first use).
constexpr size_t kStageElems = size_t(1) << 20;

}  // namespace

Tuning Tuning::measured() {
  Tuning t;
  t.cublas_solve = false;
  t.solve_block = kSolveBlock;
  t.batch_max_n = kBatchMaxN;
  t.potrf_batched_max_n = kPotrfBatchedMaxN;
  t.profile = false;
  return t;
}

// Device-side times of posterior() for Tuning::profile: an event recorded on the stream at each
// boundary between phases, labelled with the phase that ends there. The stream runs in order, so the
// time between two consecutive events is the later one's phase; "upload" (each block's upload, which
// waits for the host to fill its staging buffer) is where the device idles when the host is slower.
class PhaseTimer {
 public:
  explicit PhaseTimer(bool on) : on_(on) {}
  ~PhaseTimer() {
    for (const Mark& m : marks_) cudaEventDestroy(m.event);
  }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;
  // `phase`: a string literal, the phase that ends here (the first mark's label is not used).
  void mark(cudaStream_t s, const char* phase) {
    if (!on_) return;
    cudaEvent_t e = nullptr;
    TUNABLE_CUDA(cudaEventCreateWithFlags(&e, cudaEventDefault));
    marks_.push_back({e, phase});
    TUNABLE_CUDA(cudaEventRecord(e, s));
  }
  // After the stream has drained: "span S ms: upload a ms, kernel b ms, …", phases in first-seen order.
  std::string report() const {
    std::vector<std::pair<std::string, double>> sums;
    double span = 0.0;
    float ms = 0.0f;
    for (size_t i = 1; i < marks_.size(); ++i) {
      TUNABLE_CUDA(cudaEventElapsedTime(&ms, marks_[i - 1].event, marks_[i].event));
      span += ms;
      auto it = std::find_if(sums.begin(), sums.end(), [&](const auto& p) { return p.first == marks_[i].phase; });
      if (it == sums.end()) sums.emplace_back(marks_[i].phase, ms);
      else it->second += ms;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "span %.1f ms:", span);
    std::string out = buf;
    for (size_t i = 0; i < sums.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%s %s %.1f ms", i ? "," : "", sums[i].first.c_str(), sums[i].second);
      out += buf;
    }
    return out;
  }

 private:
  struct Mark {
    cudaEvent_t event;
    const char* phase;
  };
  bool on_;
  std::vector<Mark> marks_;
};

namespace {
const Blas& checked_blas() {
  const DeviceStatus& st = device_status();
  if (st.devices <= 0) throw UnavailableError("no usable CUDA device (" + st.error + ")");
  return blas();
}
}  // namespace

CudaBackend::CudaBackend(std::shared_ptr<Budget> budget, const Tuning& tuning)
    : budget_(std::move(budget)), tuning_(tuning), blas_(&checked_blas()) {
  for (DevArray<double>* a : {&Xt_, &yd_, &wc_, &L_, &alpha_, &wf_, &K_, &Kp_, &Kinv_, &r_, &a_, &work_, &partial_,
                              &scal_, &Xc_, &Ks_, &Kpc_, &mean_, &var_, &dmean_, &dvar_, &Dinv_, &Kb_, &wb_, &outb_})
    a->set_budget(budget_);
  cat_.set_budget(budget_);
  info_.set_budget(budget_);
  infob_.set_budget(budget_);
  ptrb_.set_budget(budget_);
  Lf_.set_budget(budget_);  // the float32 factor (n²) and screening block count against the cap too
  Ksf_.set_budget(budget_);
  TUNABLE_CUBLAS(blas_->cublasCreate(&cublas_));
  try {
    TUNABLE_CUBLAS(blas_->cublasSetStream(cublas_, reinterpret_cast<stream_t>(stream_.get())));
    TUNABLE_CUSOLVER(blas_->cusolverDnCreate(&solver_));
    TUNABLE_CUSOLVER(blas_->cusolverDnSetStream(solver_, reinterpret_cast<stream_t>(stream_.get())));
    info_.reserve(1);
    scal_.reserve(8);
  } catch (...) {
    if (solver_) blas_->cusolverDnDestroy(solver_);
    blas_->cublasDestroy(cublas_);
    throw;
  }
}

CudaBackend::~CudaBackend() {
  cudaStreamSynchronize(stream_.get());
  if (solver_) blas_->cusolverDnDestroy(solver_);
  if (cublas_) blas_->cublasDestroy(cublas_);
}

void CudaBackend::upload_data() {
  std::vector<double> Xt(static_cast<size_t>(n_) * d_);
  for (int i = 0; i < n_; ++i)
    for (int j = 0; j < d_; ++j) Xt[static_cast<size_t>(j) * n_ + i] = X_[static_cast<size_t>(i) * d_ + j];
  Xt_.upload(Xt.data(), Xt.size(), stream_.get());
  yd_.upload(y_.data(), y_.size(), stream_.get());
}

void CudaBackend::set_data(const GPSpec& spec, int n, const double* X, const double* y) {
  spec_ = spec;
  n_ = n;
  d_ = spec.d;
  X_.assign(X, X + static_cast<size_t>(n) * d_);
  y_.assign(y, y + n);
  upload_data();
  std::vector<int> cat(d_, 0);
  for (int j = 0; j < d_ && j < static_cast<int>(spec.categorical.size()); ++j) cat[j] = spec.categorical[j] ? 1 : 0;
  cat_.upload(cat.data(), cat.size(), stream_.get());
  ready_ = false;
  ws_theta_.clear();
}

bool CudaBackend::potrf(double* A, int n, int lda) {
  int lwork = 0;
  TUNABLE_CUSOLVER(blas_->cusolverDnDpotrf_bufferSize(solver_, CUBLAS_FILL_MODE_LOWER, n, A, lda, &lwork));
  work_.reserve(static_cast<size_t>(std::max(lwork, 1)));
  TUNABLE_CUSOLVER(blas_->cusolverDnDpotrf(solver_, CUBLAS_FILL_MODE_LOWER, n, A, lda, work_.data(), lwork,
                                           info_.data()));
  int info = 0;
  info_.download(&info, 1, stream_.get());
  if (info < 0) throw CudaError("cusolverDnDpotrf: invalid argument " + std::to_string(-info));
  return info == 0;
}

void CudaBackend::potrs(const double* L, int lda, double* B, int nrhs) {
  TUNABLE_CUSOLVER(
      blas_->cusolverDnDpotrs(solver_, CUBLAS_FILL_MODE_LOWER, n_, nrhs, L, lda, B, n_, info_.data()));
}

double CudaBackend::factor(const Hyper& h, const double* w, DevArray<double>& K, DevArray<double>* Kp) {
  const int n = n_;
  const size_t nn = static_cast<size_t>(n) * n;
  K.reserve(nn);
  if (Kp) Kp->reserve(nn);
  const cudaStream_t s = stream_.get();
  const int kt = static_cast<int>(spec_.kernel);
  kern::kernel_matrix(s, n, d_, Xt_.data(), w, cat_.data(), kt, h.sf2, h.sn2, K.data(), n, Kp ? Kp->data() : nullptr);
  if (potrf(K.data(), n, n)) return 0.0;
  const double md = h.sf2 + h.sn2;
  for (double rel = kJitterStart; rel <= kJitterMax * 1.0001; rel *= 10.0) {
    kern::kernel_matrix(s, n, d_, Xt_.data(), w, cat_.data(), kt, h.sf2, h.sn2 + rel * md, K.data(), n, nullptr);
    if (potrf(K.data(), n, n)) return rel * md;
  }
  return -1.0;
}

// Enqueues, for the factor L (n, n, ld n) of K(h) + jitter, the terms of the likelihood into out
// (5 + d when grad, else 5): [Σ log L_ii, r·α, Σ α, ‖α‖², tr K⁻¹] then the lengthscale contraction
// (d). w: device 1/ℓ² of h. Uses r_, a_ and, with grad, Kp_, Kinv_, partial_ as scratch (stream order
// makes consecutive calls safe). Kp_ must already hold k'(r²) when kp_ready, else it is built here.
void CudaBackend::enqueue_terms(const Hyper& h, const double* w, const double* L, bool grad, bool kp_ready,
                                double* out) {
  const int n = n_;
  const cudaStream_t s = stream_.get();
  a_.reserve(n);
  enqueue_alpha(h.c, L, n, a_.data());
  if (grad) {
    Kinv_.reserve(static_cast<size_t>(n) * n);
    kern::set_identity(s, n, Kinv_.data(), n);
    potrs(L, n, Kinv_.data(), n);  // K⁻¹ (n, n), both triangles
  }
  kern::scalars(s, n, L, n, r_.data(), a_.data(), grad ? Kinv_.data() : nullptr, n, out);
  if (!grad) return;
  if (!kp_ready) {
    Kp_.reserve(static_cast<size_t>(n) * n);
    kern::kernel_matrix(s, n, d_, Xt_.data(), w, cat_.data(), static_cast<int>(spec_.kernel), h.sf2, h.sn2, nullptr,
                        n, Kp_.data());
  }
  kern::weight_matrix(s, n, a_.data(), Kinv_.data(), n, Kp_.data());
  partial_.reserve(kern::contraction_scratch(n, d_));
  kern::lengthscale_contraction(s, n, d_, Xt_.data(), cat_.data(), Kp_.data(), partial_.data(), out + 5);
}

// The likelihood and its gradient (p) from the downloaded terms of enqueue_terms.
double CudaBackend::finish_terms(const Hyper& h, double jitter, const double* sc, double* grad) const {
  const int n = n_;
  const double logdet = 2.0 * sc[0], quad = sc[1];
  const double lml = -0.5 * quad - 0.5 * logdet - 0.5 * n * kLog2Pi;
  if (!grad) return lml;
  const double trW = sc[3] - sc[4];
  grad[d_] = 0.5 * (quad - n - (h.sn2 + jitter) * trW);
  grad[d_ + 1] = 0.5 * h.sn2 * trW;
  grad[d_ + 2] = sc[2];
  for (int j = 0; j < d_; ++j) grad[j] = -2.0 * h.sf2 * h.w[j] * sc[5 + j];
  return lml;
}

double CudaBackend::eval_one(const double* theta, double* grad, double* jitter_out) {
  const int p = num_hyper(d_);
  const Hyper h = unpack(theta);
  const cudaStream_t s = stream_.get();
  wf_.upload(h.w.data(), d_, s);
  const bool cached = grad && ws_theta_.size() == static_cast<size_t>(p) && std::equal(ws_theta_.begin(), ws_theta_.end(), theta);
  double jitter;
  if (cached) {
    jitter = ws_jitter_;
  } else {
    ws_theta_.clear();  // K_ is overwritten now: never reuse it for the old θ, even if factor() throws
    jitter = factor(h, wf_.data(), K_, grad ? &Kp_ : nullptr);
  }
  if (jitter_out) *jitter_out = jitter;
  ws_theta_.clear();
  if (jitter < 0.0) {
    if (grad) std::fill(grad, grad + p, 0.0);
    return std::nan("");
  }
  ws_theta_.assign(theta, theta + p);
  ws_jitter_ = jitter;
  const size_t width = 5 + static_cast<size_t>(d_);
  scal_.reserve(width);
  enqueue_terms(h, wf_.data(), K_.data(), grad != nullptr, grad != nullptr && !cached, scal_.data());
  std::vector<double> sc(width);
  scal_.download(sc.data(), grad ? width : 5, s);
  return finish_terms(h, jitter, sc.data(), grad);
}

// s ≥ 2 starts at once (see batch_max_n): every K(θ_k) into Kb_ (s, n, n), all factorised before
// one wait for their infos, then every start's terms into outb_ (s, 5 + d) before one download. A start
// whose K is not PD without jitter is evaluated by eval_one afterwards (jitter escalation). Returns
// false, having done nothing, when the batch's buffers do not fit under the device-memory cap.
bool CudaBackend::eval_batch(int S, const double* theta, double* lml, double* grad, double* jitter) {
  const int n = n_, d = d_, p = num_hyper(d);
  const size_t nn = static_cast<size_t>(n) * n, width = 5 + static_cast<size_t>(d);
  const cudaStream_t s = stream_.get();
  try {
    Kb_.reserve(nn * S);
  } catch (const OutOfMemoryError&) {
    Kb_.release();
    return false;
  }
  std::vector<Hyper> h(S);
  std::vector<double> w(static_cast<size_t>(S) * d);
  for (int k = 0; k < S; ++k) {
    h[k] = unpack(theta + static_cast<size_t>(k) * p);
    std::copy(h[k].w.begin(), h[k].w.end(), w.begin() + static_cast<size_t>(k) * d);
  }
  wb_.upload(w.data(), w.size(), s);
  infob_.reserve(S);
  outb_.reserve(width * S);
  const int kt = static_cast<int>(spec_.kernel);
  for (int k = 0; k < S; ++k)
    kern::kernel_matrix(s, n, d, Xt_.data(), wb_.data() + static_cast<size_t>(k) * d, cat_.data(), kt, h[k].sf2,
                        h[k].sn2, Kb_.data() + nn * k, n, nullptr);
  if (blas_->cusolverDnDpotrfBatched && n <= tuning_.potrf_batched_max_n) {
    std::vector<double*> ptr(S);
    for (int k = 0; k < S; ++k) ptr[k] = Kb_.data() + nn * k;
    ptrb_.upload(ptr.data(), ptr.size(), s);
    TUNABLE_CUSOLVER(blas_->cusolverDnDpotrfBatched(solver_, CUBLAS_FILL_MODE_LOWER, n, ptrb_.data(), n,
                                                    infob_.data(), S));
  } else {
    int lwork = 0;
    TUNABLE_CUSOLVER(blas_->cusolverDnDpotrf_bufferSize(solver_, CUBLAS_FILL_MODE_LOWER, n, Kb_.data(), n, &lwork));
    work_.reserve(static_cast<size_t>(std::max(lwork, 1)));
    for (int k = 0; k < S; ++k)
      TUNABLE_CUSOLVER(blas_->cusolverDnDpotrf(solver_, CUBLAS_FILL_MODE_LOWER, n, Kb_.data() + nn * k, n,
                                               work_.data(), lwork, infob_.data() + k));
  }
  std::vector<int> info(S);
  infob_.download(info.data(), S, s);  // wait 1
  for (int k = 0; k < S; ++k) {
    if (info[k] < 0) throw CudaError("cusolverDnDpotrf: invalid argument " + std::to_string(-info[k]));
    if (info[k] == 0)
      enqueue_terms(h[k], wb_.data() + static_cast<size_t>(k) * d, Kb_.data() + nn * k, grad != nullptr, false,
                    outb_.data() + width * k);
  }
  std::vector<double> sc(width * S);
  outb_.download(sc.data(), sc.size(), s);  // wait 2
  for (int k = 0; k < S; ++k) {
    double* gk = grad ? grad + static_cast<size_t>(k) * p : nullptr;
    if (info[k] == 0) {
      if (jitter) jitter[k] = 0.0;
      lml[k] = finish_terms(h[k], 0.0, sc.data() + width * k, gk);
    }
    // Not PD, or a factor reported PD whose terms are not finite (cuSOLVER's batched potrf has returned
    // NaN factors of ill-conditioned matrices with info 0: pytorch/pytorch#53879, CUDA < 11.3): this
    // start alone, through potrf and the jitter escalation.
    bool finite = info[k] == 0 && std::isfinite(lml[k]);
    for (int i = 0; finite && gk && i < p; ++i) finite = std::isfinite(gk[i]);
    if (!finite) lml[k] = eval_one(theta + static_cast<size_t>(k) * p, gk, jitter ? jitter + k : nullptr);
  }
  return true;
}

void CudaBackend::log_marginal_likelihood(int s, const double* theta, double* lml, double* grad, double* jitter) {
  const int p = num_hyper(d_);
  // Batches of at most kBatchStarts, which bounds their (s, n, n) buffer (a fit may screen 1000 starts).
  constexpr int kBatchStarts = 32;
  int k = 0;
  if (s >= 2 && n_ <= tuning_.batch_max_n) {
    for (; k < s; k += kBatchStarts) {
      const int c = std::min(kBatchStarts, s - k);
      if (c < 2) break;
      const size_t o = static_cast<size_t>(k) * p;
      if (!eval_batch(c, theta + o, lml + k, grad ? grad + o : nullptr, jitter ? jitter + k : nullptr)) break;
    }
  }
  for (; k < s; ++k)
    lml[k] = eval_one(theta + static_cast<size_t>(k) * p, grad ? grad + static_cast<size_t>(k) * p : nullptr,
                      jitter ? jitter + k : nullptr);
}

// r_ (n) ← y − c and alpha (n) ← K⁻¹ r_ from the factor L (n, n, ld ldl); enqueued only.
void CudaBackend::enqueue_alpha(double c, const double* L, int ldl, double* alpha) {
  const int n = n_;
  const cudaStream_t s = stream_.get();
  r_.reserve(n);
  kern::residual(s, n, yd_.data(), c, r_.data());
  TUNABLE_CUDA(cudaMemcpyAsync(alpha, r_.data(), sizeof(double) * n, cudaMemcpyDeviceToDevice, s));
  potrs(L, ldl, alpha, 1);
}

void CudaBackend::refresh_alpha() {
  const int n = n_;
  const cudaStream_t s = stream_.get();
  alpha_.reserve(n);
  enqueue_alpha(h_.c, L_.data(), ld_, alpha_.data());
  kern::scalars(s, n, L_.data(), ld_, r_.data(), alpha_.data(), nullptr, n, scal_.data());
  double sc[5];
  scal_.download(sc, 5, s);
  lml_ = -0.5 * sc[1] - 0.5 * logdet_ - 0.5 * n * kLog2Pi;
}

double CudaBackend::condition(const double* theta) {
  // L_, wc_ and h_ change below: if anything throws (e.g. the memory cap in potrf's workspace), the
  // model must read as unconditioned rather than keep alpha_ of the old θ with a half-built L_.
  ready_ = false;
  h_ = unpack(theta);
  const int p = num_hyper(d_);
  wc_.upload(h_.w.data(), d_, stream_.get());
  double jitter;
  if (ws_theta_.size() == static_cast<size_t>(p) && std::equal(ws_theta_.begin(), ws_theta_.end(), theta)) {
    L_.swap(K_);  // the optimiser's last factor is exactly this θ
    jitter = ws_jitter_;
  } else {
    jitter = factor(h_, wc_.data(), L_, nullptr);
  }
  ws_theta_.clear();
  if (jitter < 0.0) {
    ready_ = false;
    return -1.0;
  }
  ld_ = n_;
  lf_n_ = -1;
  dinv_ready_ = false;
  jitter_ = jitter;
  double sc[5];
  kern::scalars(stream_.get(), n_, L_.data(), ld_, yd_.data(), yd_.data(), nullptr, n_, scal_.data());
  scal_.download(sc, 5, stream_.get());
  logdet_ = 2.0 * sc[0];
  refresh_alpha();
  ready_ = true;
  // Release the fitting workspaces (the gradient buffers are n² each).
  for (DevArray<double>* a : {&K_, &Kp_, &Kinv_, &partial_, &Kb_, &wb_, &outb_}) a->release();
  return jitter;
}

int CudaBackend::solve_spare() const { return std::min(tuning_.solve_block, n_); }

double* CudaBackend::solve_rhs(int m, double* Kp) {
  const int ldt = solve_ld();
  Ks_.reserve(static_cast<size_t>(ldt) * m);
  double* Ks = Ks_.data() + solve_spare();
  kern::cross_kernel(stream_.get(), n_, m, d_, Xt_.data(), Xc_.data(), wc_.data(), cat_.data(),
                     static_cast<int>(spec_.kernel), h_.sf2, Ks, ldt, Kp);
  return Ks;
}

// V = L⁻¹ B, B (n, m) at rows sp = solve_spare() … sp + n − 1 of T = Ks_ (ld ldt). cuBLAS's dtrsm runs at a
// fraction of dgemm's rate on large right-hand sides, so: blocks of nb = tuning_.solve_block rows,
// left-looking, B_i −= L[i, <i] V[<i] (one dgemm), then V_i = L_ii⁻¹ B_i (one dgemm). V_i is written sp
// rows above B_i, over B_{i−1}, which is no longer needed (V_{i−1} is already out), so V ends at rows
// 0 … n − 1 of T: no copy back, and the output rows [r0, r0 + k) never overlap the rows [sp + r0, …) the
// same dgemm reads (k ≤ sp). The inverted diagonal blocks Dinv_ (nb, nb) each are built once per factor
// by dtrsm on the identity. Every flop of a large solve is then in dgemm; the rounding is that of a
// blocked solve with inverted diagonal blocks (error bound grows with the diagonal blocks' condition
// numbers, not the whole factor's).
double* CudaBackend::lower_solve(int m) {
  const int n = n_, nb = tuning_.solve_block, sp = solve_spare(), ldt = solve_ld();
  double* T = Ks_.data();
  double* B = T + sp;
  if (m <= 0 || n <= 0) return B;
  if (tuning_.cublas_solve || m < nb) {
    TUNABLE_CUBLAS(blas_->cublasDtrsm(cublas_, CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N,
                                      CUBLAS_DIAG_NON_UNIT, n, m, &kOne, L_.data(), ld_, B, ldt));
    return B;
  }
  const cudaStream_t s = stream_.get();
  const int blocks = (n + nb - 1) / nb;
  const size_t bb = static_cast<size_t>(nb) * nb;
  if (!dinv_ready_) {
    Dinv_.reserve(bb * blocks);
    for (int b = 0; b < blocks; ++b) {
      const int r0 = b * nb, k = std::min(nb, n - r0);
      double* D = Dinv_.data() + bb * b;
      kern::set_identity(s, k, D, nb);
      TUNABLE_CUBLAS(blas_->cublasDtrsm(cublas_, CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N,
                                        CUBLAS_DIAG_NON_UNIT, k, k, &kOne,
                                        L_.data() + r0 + static_cast<size_t>(r0) * ld_, ld_, D, nb));
    }
    dinv_ready_ = true;
  }
  for (int b = 0; b < blocks; ++b) {
    const int r0 = b * nb, k = std::min(nb, n - r0);
    if (r0 > 0)  // B_i −= L[i, <i] V[<i], V[<i] at rows 0 … r0 − 1 of T
      TUNABLE_CUBLAS(blas_->cublasDgemm(cublas_, CUBLAS_OP_N, CUBLAS_OP_N, k, m, r0, &kMinusOne, L_.data() + r0, ld_,
                                        T, ldt, &kOne, B + r0, ldt));
    TUNABLE_CUBLAS(blas_->cublasDgemm(cublas_, CUBLAS_OP_N, CUBLAS_OP_N, k, m, k, &kOne, Dinv_.data() + bb * b, nb,
                                      B + r0, ldt, &kZero, T + r0, ldt));
  }
  return T;
}

// One block of points already uploaded to Xc_ (m, d): its mean, variance and (optional) gradients
// into device arrays, all enqueued on the stream (nothing waits here).
void CudaBackend::posterior_block(int m, double* mean, double* var, double* dmean, double* dvar, PhaseTimer& timer) {
  const int n = n_, d = d_;
  const bool grad = dmean || dvar;
  const cudaStream_t s = stream_.get();
  const int ldt = solve_ld();
  if (grad) Kpc_.reserve(static_cast<size_t>(n) * m);
  double* Ks = solve_rhs(m, grad ? Kpc_.data() : nullptr);  // (n, m, ld ldt)
  timer.mark(s, "kernel");
  TUNABLE_CUBLAS(blas_->cublasDgemv(cublas_, CUBLAS_OP_T, n, m, &kOne, Ks, ldt, alpha_.data(), 1, &kZero, mean, 1));
  kern::add_constant(s, m, h_.c, mean);
  timer.mark(s, "mean");
  double* V = lower_solve(m);  // L⁻¹ Ks (n, m, ld ldt)
  timer.mark(s, "solve");
  kern::posterior_variance(s, n, m, V, ldt, h_.sf2, var);
  timer.mark(s, "variance");
  if (grad) {
    // W = L⁻ᵀ V = K⁻¹ Ks, in place.
    TUNABLE_CUBLAS(blas_->cublasDtrsm(cublas_, CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T,
                                      CUBLAS_DIAG_NON_UNIT, n, m, &kOne, L_.data(), ld_, V, ldt));
    kern::posterior_gradient(s, n, m, d, Xt_.data(), Xc_.data(), wc_.data(), cat_.data(), Kpc_.data(), alpha_.data(),
                             V, ldt, dmean, dvar);
    timer.mark(s, "gradient");
  }
}

// Blocks of at most kChunkElems / n points (the (n, block) workspaces) and kStageElems / d (the
// staging buffers). Each block's points are copied into one of two page-locked buffers and uploaded
// asynchronously, so the host fills the next buffer while the device computes; the outputs for all m
// points stay on the device (mean_, var_ (m); dmean_, dvar_ (m, d) with grad) for one download at
// the end. Tuning::profile prints where the time went (enqueueing, waiting for the device,
// downloading) to stderr, with the device's own split from events.
void CudaBackend::posterior_enqueue(int m, const double* Xc, bool grad, const char* what,
                                    const std::function<void()>& download) {
  const int d = d_;
  const cudaStream_t s = stream_.get();
  const size_t rows = static_cast<size_t>(std::max(solve_ld(), 1));  // Ks_ (solve_ld(), block)
  const int per = static_cast<int>(
      std::max<size_t>(1, std::min({static_cast<size_t>(m), kChunkElems / rows, kStageElems / static_cast<size_t>(d)})));
  const size_t md = static_cast<size_t>(m) * d;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  // Everything the loop writes is sized here, so nothing is reallocated (cudaFree would wait) inside it.
  mean_.reserve(m);
  var_.reserve(m);
  if (grad) {
    dmean_.reserve(md);
    dvar_.reserve(md);
  }
  Xc_.reserve(static_cast<size_t>(per) * d);
  PhaseTimer timer(tuning_.profile);
  timer.mark(s, "start");
  int blocks = 0;
  for (int a0 = 0; a0 < m; a0 += per, ++blocks) {
    const int mc = std::min(per, m - a0);
    const size_t o = static_cast<size_t>(a0) * d, count = static_cast<size_t>(mc) * d;
    PinnedStage& stage = stage_[blocks % 2];
    double* h = stage.get(count);  // waits until this buffer's upload two blocks ago has run
    std::memcpy(h, Xc + o, count * sizeof(double));
    TUNABLE_CUDA(cudaMemcpyAsync(Xc_.data(), h, count * sizeof(double), cudaMemcpyHostToDevice, s));
    stage.mark(s);
    timer.mark(s, "upload");
    posterior_block(mc, mean_.data() + a0, var_.data() + a0, grad ? dmean_.data() + o : nullptr,
                    grad ? dvar_.data() + o : nullptr, timer);
  }
  const auto t1 = clock::now();
  if (tuning_.profile) stream_.sync();
  const auto t2 = clock::now();
  download();
  if (tuning_.profile) {
    const auto ms = [](clock::duration t) { return std::chrono::duration<double, std::milli>(t).count(); };
    std::fprintf(stderr,
                 "cuda %s: n %d, m %d, %d blocks of %d: enqueue %.1f ms, device drain %.1f ms, download %.1f ms; "
                 "device %s\n",
                 what, n_, m, blocks, per, ms(t1 - t0), ms(t2 - t1), ms(clock::now() - t2), timer.report().c_str());
  }
}

void CudaBackend::posterior(int m, const double* Xc, double* mean, double* var, double* dmean, double* dvar) {
  if (!ready_) throw std::logic_error("backend is not conditioned");
  if (m <= 0) return;
  const bool grad = dmean || dvar;
  const size_t md = static_cast<size_t>(m) * d_;
  const cudaStream_t s = stream_.get();
  posterior_enqueue(m, Xc, grad, "posterior", [&] {
    mean_.download(mean, m, s);
    var_.download(var, m, s);
    if (dmean) dmean_.download(dmean, md, s);
    if (dvar) dvar_.download(dvar, md, s);
  });
}

// The posterior on the device as in posterior() (float32 screening: posterior_f32), then the
// acquisition kernel over all m points in place (values into mean_, gradients into dmean_): only
// values (m) and gradients (m, d) come back.
void CudaBackend::acquisition(AcqType type, double best, double beta, int m, const double* Xc, double* value,
                              double* grad, bool f32) {
  if (!ready_) throw std::logic_error("backend is not conditioned");
  if (m <= 0) return;
  const cudaStream_t s = stream_.get();
  if (f32 && !grad) {
    posterior_f32_enqueue(m, Xc);
    kern::acquisition(s, m, d_, static_cast<int>(type), best, beta, mean_.data(), var_.data(), nullptr, nullptr);
    mean_.download(value, m, s);
    return;
  }
  posterior_enqueue(m, Xc, grad != nullptr, "acquisition", [&] {
    kern::acquisition(s, m, d_, static_cast<int>(type), best, beta, mean_.data(), var_.data(),
                      grad ? dmean_.data() : nullptr, grad ? dvar_.data() : nullptr);
    mean_.download(value, m, s);
    if (grad) dmean_.download(grad, static_cast<size_t>(m) * d_, s);
  });
}

// float32 screening: the means and variances of all m points into mean_, var_ (m) on the device.
void CudaBackend::posterior_f32_enqueue(int m, const double* Xc) {
  const int n = n_;
  const cudaStream_t s = stream_.get();
  if (lf_n_ != n) {
    Lf_.reserve(static_cast<size_t>(n) * n);
    kern::to_float(s, n, L_.data(), ld_, Lf_.data());
    lf_n_ = n;
  }
  const float one = 1.0f;
  const size_t rows = static_cast<size_t>(std::max(n, 1));
  const int per = static_cast<int>(std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(m), 2 * kChunkElems / rows)));
  mean_.reserve(m);
  var_.reserve(m);
  for (int a0 = 0; a0 < m; a0 += per) {
    const int mc = std::min(per, m - a0);
    Xc_.upload(Xc + static_cast<size_t>(a0) * d_, static_cast<size_t>(mc) * d_, s);
    Ksf_.reserve(static_cast<size_t>(n) * mc);
    kern::cross_kernel_f32(s, n, mc, d_, Xt_.data(), Xc_.data(), wc_.data(), cat_.data(), static_cast<int>(spec_.kernel),
                           h_.sf2, Ksf_.data());
    kern::mean_f32(s, n, mc, Ksf_.data(), alpha_.data(), h_.c, mean_.data() + a0);
    TUNABLE_CUBLAS(blas_->cublasStrsm(cublas_, CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N,
                                      CUBLAS_DIAG_NON_UNIT, n, mc, &one, Lf_.data(), n, Ksf_.data(), n));
    kern::variance_f32(s, n, mc, Ksf_.data(), h_.sf2, var_.data() + a0);
  }
}

void CudaBackend::posterior_f32(int m, const double* Xc, double* mean, double* var) {
  if (!ready_) throw std::logic_error("backend is not conditioned");
  if (m <= 0) return;
  posterior_f32_enqueue(m, Xc);
  mean_.download(mean, m, stream_.get());
  var_.download(var, m, stream_.get());
}

void CudaBackend::posterior_covariance(int m, const double* Xc, double* cov) {
  if (!ready_) throw std::logic_error("backend is not conditioned");
  if (m <= 0) return;
  const int n = n_;
  const cudaStream_t s = stream_.get();
  Xc_.upload(Xc, static_cast<size_t>(m) * d_, s);
  const int ldt = solve_ld();
  solve_rhs(m, nullptr);
  const double* V = lower_solve(m);
  DevArray<double> C(budget_);
  C.reserve(static_cast<size_t>(m) * m);
  // C (m, m) = −Vᵀ V + prior.
  TUNABLE_CUBLAS(blas_->cublasDgemm(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, m, m, n, &kMinusOne, V, ldt, V, ldt, &kZero,
                                    C.data(), m));
  kern::add_prior_covariance(s, m, d_, Xc_.data(), wc_.data(), cat_.data(), static_cast<int>(spec_.kernel), h_.sf2,
                             C.data());
  C.download(cov, static_cast<size_t>(m) * m, s);
}

// Device version of Backend::sample_posterior: C = prior − VᵀV (m, m) and its Cholesky stay on the
// device; F (m, s) = L Z by gemm (Z (m, s) column-major is z (s, m) row-major), plus μ per column.
double CudaBackend::sample_posterior(int m, const double* Xc, int s, const double* z, double* f) {
  if (!ready_) throw std::logic_error("backend is not conditioned");
  if (m <= 0 || s <= 0) return 0.0;
  const int n = n_;
  const cudaStream_t st = stream_.get();
  const size_t mm = static_cast<size_t>(m) * m, ms = static_cast<size_t>(m) * s;
  Xc_.upload(Xc, static_cast<size_t>(m) * d_, st);
  const int ldt = solve_ld();
  mean_.reserve(m);
  var_.reserve(m);
  double* Ks = solve_rhs(m, nullptr);  // (n, m, ld ldt)
  TUNABLE_CUBLAS(blas_->cublasDgemv(cublas_, CUBLAS_OP_T, n, m, &kOne, Ks, ldt, alpha_.data(), 1, &kZero, mean_.data(),
                                    1));
  kern::add_constant(st, m, h_.c, mean_.data());
  const double* V = lower_solve(m);
  DevArray<double> C0(budget_), C(budget_), Z(budget_), F(budget_);
  C0.reserve(mm);
  TUNABLE_CUBLAS(blas_->cublasDgemm(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, m, m, n, &kMinusOne, V, ldt, V, ldt, &kZero,
                                    C0.data(), m));
  kern::add_prior_covariance(st, m, d_, Xc_.data(), wc_.data(), cat_.data(), static_cast<int>(spec_.kernel), h_.sf2,
                             C0.data());
  // Mean diagonal for the jitter scale (the host version uses the covariance's diagonal likewise).
  std::vector<double> diag(m);
  TUNABLE_CUDA(cudaMemcpy2DAsync(diag.data(), sizeof(double), C0.data(), sizeof(double) * (m + 1), sizeof(double), m,
                                 cudaMemcpyDeviceToHost, st));
  stream_.sync();
  double md = 0.0;
  for (double v : diag) md += v;
  md = std::max(md / m, 1e-300);
  C.reserve(mm);
  double jitter = -1.0;
  for (double rel = 0.0; rel <= kJitterMax * 1.0001; rel = rel == 0.0 ? kJitterStart : rel * 10.0) {
    TUNABLE_CUDA(cudaMemcpyAsync(C.data(), C0.data(), sizeof(double) * mm, cudaMemcpyDeviceToDevice, st));
    kern::add_diagonal(st, m, C.data(), m, rel * md, false);
    if (potrf(C.data(), m, m)) {
      jitter = rel * md;
      break;
    }
  }
  if (jitter < 0.0) return -1.0;
  C0.release();
  kern::add_diagonal(st, m, C.data(), m, 0.0, true);  // L: zero the strict upper triangle for gemm
  Z.upload(z, ms, st);
  F.reserve(ms);
  TUNABLE_CUBLAS(blas_->cublasDgemm(cublas_, CUBLAS_OP_N, CUBLAS_OP_N, m, s, m, &kOne, C.data(), m, Z.data(), m, &kZero,
                                    F.data(), m));
  kern::add_to_columns(st, m, s, mean_.data(), F.data());
  F.download(f, ms, st);
  return jitter;
}

// Room in L_ for a factor of `rows` rows and columns, keeping the current n_ (copied when it moves).
void CudaBackend::factor_room(int rows) {
  const int n = n_;
  const cudaStream_t s = stream_.get();
  if (ld_ < rows) {
    // Grow the factor's leading dimension geometrically so a run of appends stays O(n²) each;
    // (ld, ld) serves every append until n reaches ld.
    const int ld = rows + 63 + rows / 4;
    DevArray<double> L2(budget_);
    L2.reserve(static_cast<size_t>(ld) * ld);
    if (n > 0)
      TUNABLE_CUDA(cudaMemcpy2DAsync(L2.data(), sizeof(double) * ld, L_.data(), sizeof(double) * ld_,
                                     sizeof(double) * n, n, cudaMemcpyDeviceToDevice, s));
    L_.swap(L2);
    ld_ = ld;
  } else if (L_.capacity() < static_cast<size_t>(ld_) * rows) {
    DevArray<double> L2(budget_);
    L2.reserve(static_cast<size_t>(ld_) * (rows + rows / 4 + 15));
    TUNABLE_CUDA(cudaMemcpyAsync(L2.data(), L_.data(), sizeof(double) * ld_ * n, cudaMemcpyDeviceToDevice, s));
    L_.swap(L2);
  }
}

// The block version of append_observation (see Backend::append_observations): B = L⁻¹K (n, q) and
// S = prior + (σ_n² + jitter) I − BᵀB on the device; S comes back for its q × q factor on the host (the
// pivot test), and the factor's new rows [Bᵀ C] are written in one kernel. Three host waits in all,
// whatever q.
bool CudaBackend::append_observations(int q, const double* Xq, const double* yq) {
  if (!ready_) return false;
  if (q <= 0) return true;
  const int n = n_, d = d_;
  const cudaStream_t s = stream_.get();
  const size_t qq = static_cast<size_t>(q) * q;
  // The extended host data first: a failed copy leaves the backend as it was.
  std::vector<double> X(X_), y(y_);
  X.insert(X.end(), Xq, Xq + static_cast<size_t>(q) * d);
  y.insert(y.end(), yq, yq + q);
  Xc_.upload(Xq, static_cast<size_t>(q) * d, s);
  Ks_.reserve(static_cast<size_t>(n) * q);  // n ≥ 1 once conditioned
  kern::cross_kernel(s, n, q, d, Xt_.data(), Xc_.data(), wc_.data(), cat_.data(), static_cast<int>(spec_.kernel),
                     h_.sf2, Ks_.data(), n, nullptr);
  TUNABLE_CUBLAS(blas_->cublasDtrsm(cublas_, CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N,
                                    CUBLAS_DIAG_NON_UNIT, n, q, &kOne, L_.data(), ld_, Ks_.data(), n));  // B
  DevArray<double> S(budget_);
  S.reserve(qq);
  TUNABLE_CUBLAS(blas_->cublasDgemm(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, q, q, n, &kMinusOne, Ks_.data(), n, Ks_.data(),
                                    n, &kZero, S.data(), q));
  kern::add_prior_covariance(s, q, d, Xc_.data(), wc_.data(), cat_.data(), static_cast<int>(spec_.kernel), h_.sf2,
                             S.data());
  kern::add_diagonal(s, q, S.data(), q, h_.sn2 + jitter_, false);
  std::vector<double> C(qq);
  S.download(C.data(), qq, s);
  if (!block_cholesky(q, C.data(), 1e-12 * (h_.sf2 + h_.sn2 + jitter_))) return false;
  S.upload(C.data(), qq, s);
  factor_room(n + q);
  kern::append_rows(s, n, q, Ks_.data(), S.data(), L_.data(), ld_);
  stream_.sync();
  for (int a = 0; a < q; ++a) logdet_ += 2.0 * std::log(C[static_cast<size_t>(a) * q + a]);
  lf_n_ = -1;
  dinv_ready_ = false;
  X_.swap(X);
  y_.swap(y);
  n_ = n + q;
  ws_theta_.clear();
  try {
    upload_data();
    refresh_alpha();
  } catch (...) {
    ready_ = false;  // the device holds part of the new data: no factor to predict from until conditioned again
    throw;
  }
  return true;
}

std::unique_ptr<Backend> CudaBackend::clone() const {
  auto b = std::make_unique<CudaBackend>(budget_, tuning_);
  const cudaStream_t s = b->stream_.get();
  b->spec_ = spec_;
  b->n_ = n_;
  b->d_ = d_;
  b->X_ = X_;
  b->y_ = y_;
  b->Xt_.copy_from(Xt_, static_cast<size_t>(n_) * d_, s);
  b->yd_.copy_from(yd_, n_, s);
  b->cat_.copy_from(cat_, d_, s);
  b->ready_ = ready_;
  if (ready_) {
    b->h_ = h_;
    b->jitter_ = jitter_;
    b->logdet_ = logdet_;
    b->lml_ = lml_;
    b->ld_ = ld_;
    b->wc_.copy_from(wc_, d_, s);
    b->L_.copy_from(L_, static_cast<size_t>(ld_) * n_, s);
    b->alpha_.copy_from(alpha_, n_, s);
  }
  return b;
}

std::unique_ptr<Backend> CudaBackend::empty() const { return std::make_unique<CudaBackend>(budget_, tuning_); }

}  // namespace cuda
}  // namespace tunable
