// CUDA backend (see native/core/backend.hpp for the contract): kernel matrices and contractions in
// native/cuda/kernels.cu, Cholesky/solves through cuSOLVER/cuBLAS loaded at run time
// (native/cuda/shim). Device memory: plain cudaMalloc, counted against an optional per-model cap
// shared with clones and subset models; freed when the backend is destroyed (GP.dispose()).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../core/backend.hpp"
#include "../core/priors.hpp"
#include "device.hpp"
#include "shim/blas_types.hpp"

namespace tunable {
namespace cuda {

class PhaseTimer;  // cuda_backend.cpp: device-side phase times for Tuning::profile

// Rows per block of lower_solve: its flops beyond a plain triangular solve are 2·block/n of them.
constexpr int kSolveBlock = 128;
// Multi-start likelihood calls (log_marginal_likelihood with s ≥ 2) at n ≤ batch_max_n are enqueued as
// one batch: every start's factor in its own buffer, the host waits twice per call instead of three
// times per start (kernel launches are asynchronous, the waits are not). The factorisations go through
// cusolverDnDpotrfBatched at n ≤ potrf_batched_max_n when the library has it, else one potrf per start.
// Both thresholds were measured on an H200 (bench/gpu/batch.mjs, bench/RESULTS.md).
constexpr int kBatchMaxN = 2048;
constexpr int kPotrfBatchedMaxN = 256;

// How one model's CUDA backend runs (shared with its clones and subsets). The addon fills every field
// from fitGP's `debug` option as TypeScript resolved it (src/engine/options.ts); no field has a default
// here. Benchmarks and diagnostics switch the variants; the product runs Tuning::measured().
struct Tuning {
  bool cublas_solve;        // lower_solve by cublasDtrsm instead of the blocked dgemm solve (debug.solve)
  int solve_block;          // rows per block of the blocked solve, 32…1024 (debug.solveBlock)
  int batch_max_n;          // batched multi-start likelihood at n ≤ this; 0 = never (debug.batchMaxN)
  int potrf_batched_max_n;  // potrfBatched within a batch at n ≤ this; 0 = never (debug.potrfBatchedMaxN)
  bool profile;             // print each posterior/acquisition call's host and device split to stderr (debug.profile)
  // The measured constants above, blocked solve, no profile: what a `debug` option left unset resolves to.
  static Tuning measured();
};

class CudaBackend final : public Backend {
 public:
  // Throws UnavailableError (no device / driver) or LibraryError (cuBLAS/cuSOLVER missing).
  CudaBackend(std::shared_ptr<Budget> budget, const Tuning& tuning);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  const char* name() const override { return "cuda"; }
  void set_threads(int) override {}
  void set_data(const GPSpec& spec, int n, const double* X, const double* y) override;
  int n() const override { return n_; }
  int d() const override { return d_; }
  void log_marginal_likelihood(int s, const double* theta, double* lml, double* grad, double* jitter) override;
  double condition(const double* theta) override;
  double current_lml() const override { return lml_; }
  void posterior(int m, const double* Xc, double* mean, double* var, double* dmean, double* dvar) override;
  void acquisition(AcqType type, double best, double beta, int m, const double* Xc, double* value, double* grad,
                   bool f32) override;
  void posterior_f32(int m, const double* Xc, double* mean, double* var) override;
  void posterior_covariance(int m, const double* Xc, double* cov) override;
  bool append_observations(int q, const double* X, const double* y) override;
  double sample_posterior(int m, const double* Xc, int s, const double* z, double* f) override;
  std::unique_ptr<Backend> clone() const override;
  std::unique_ptr<Backend> empty() const override;

 private:
  Hyper unpack(const double* theta) const { return unpack_hyper(d_, theta); }
  void upload_data();  // Xt (d, n), y (n) from the host copies
  // Cholesky of K(h) with jitter escalation into K (n, n, ld n); w: device 1/ℓ² of h; Kp (n, n)
  // = k'(r²) when non-null. Returns the jitter or -1.
  double factor(const Hyper& h, const double* w, DevArray<double>& K, DevArray<double>* Kp);
  bool potrf(double* A, int n, int lda);
  void potrs(const double* L, int lda, double* B, int nrhs);
  double eval_one(const double* theta, double* grad, double* jitter);
  bool eval_batch(int s, const double* theta, double* lml, double* grad, double* jitter);
  void enqueue_terms(const Hyper& h, const double* w, const double* L, bool grad, bool kp_ready, double* out);
  double finish_terms(const Hyper& h, double jitter, const double* terms, double* grad) const;
  void refresh_alpha();
  void factor_room(int rows);
  void enqueue_alpha(double c, const double* L, int ldl, double* alpha);
  // Xc_ (m, d) uploaded → device mean (m), var (m), dmean, dvar (m, d) when non-null; enqueued only.
  // `timer` marks the end of each phase (Tuning::profile).
  void posterior_block(int m, double* mean, double* var, double* dmean, double* dvar, PhaseTimer& timer);
  // All m points through posterior_block into mean_, var_ (and dmean_, dvar_ with grad), then
  // `download` (enqueues the copies out); `what` names the call in the Tuning::profile line.
  void posterior_enqueue(int m, const double* Xc, bool grad, const char* what, const std::function<void()>& download);
  // The layout lower_solve works in: Ks_ (solve_ld(), m) holds the right-hand sides at rows solve_spare() …,
  // with min(solve block, n) rows free above them.
  int solve_spare() const;
  int solve_ld() const { return n_ + solve_spare(); }
  // Ks (n, m, ld solve_ld()) = the cross kernel of Xc_'s first m points, in that layout (Ks_ sized here);
  // Kp (n, m, ld n) = k' when non-null. Returns Ks.
  double* solve_rhs(int m, double* Kp);
  // V = L⁻¹ Ks for the Ks that solve_rhs(m, …) left in Ks_, which it destroys. Returns V (n, m, ld solve_ld()):
  // the top of Ks_ (the blocked solve writes each block of V solve_spare() rows up, over the block of Ks it no
  // longer needs) or Ks itself (dtrsm in place).
  double* lower_solve(int m);
  void posterior_f32_enqueue(int m, const double* Xc);  // float32 screening → mean_, var_ (m)

  std::shared_ptr<Budget> budget_;
  Tuning tuning_;
  const Blas* blas_;
  Stream stream_;
  cublasHandle_t cublas_ = nullptr;
  cusolverDnHandle_t solver_ = nullptr;

  GPSpec spec_;
  int n_ = 0, d_ = 0;
  std::vector<double> X_, y_;  // host copies: (n, d) row-major, (n)
  DevArray<double> Xt_, yd_;   // (d, n), (n)
  DevArray<int> cat_;          // (d)
  DevArray<int> info_;         // (1) devInfo
  // Conditioned state.
  bool ready_ = false;
  Hyper h_;
  double jitter_ = 0.0, logdet_ = 0.0, lml_ = 0.0;
  DevArray<double> wc_;     // (d) 1/ℓ² of h_
  DevArray<double> L_;      // (n, n, ld ld_) lower Cholesky factor
  int ld_ = 0;
  DevArray<double> alpha_;  // (n)
  // Likelihood workspace; K_ keeps the factor of ws_theta_ for the lazy gradient and condition().
  DevArray<double> wf_, K_, Kp_, Kinv_, r_, a_, work_, partial_, scal_;
  std::vector<double> ws_theta_;
  double ws_jitter_ = 0.0;
  // Batched likelihood (eval_batch): Kb_ (s, n, n) factors, wb_ (s, d) 1/ℓ², outb_ (s, 5 + d) terms,
  // infob_ (s) potrf infos, ptrb_ (s) device pointers into Kb_ for potrfBatched.
  DevArray<double> Kb_, wb_, outb_;
  DevArray<int> infob_;
  DevArray<double*> ptrb_;
  // Posterior workspace: Ks_ (solve_ld(), m) for lower_solve, Kpc_ (n, m).
  DevArray<double> Xc_, Ks_, Kpc_, mean_, var_, dmean_, dvar_;
  // float32 screening: Lf_ (n, n) = float(L_), valid while lf_n_ == n_ (reset when L_ changes).
  DevArray<float> Lf_, Ksf_;
  int lf_n_ = -1;
  // posterior(): two page-locked buffers the points are staged in, alternately.
  PinnedStage stage_[2];
  // lower_solve: inverted diagonal blocks of L_ (block², one per block of tuning_.solve_block rows), valid while dinv_ready_
  // (reset whenever L_ changes).
  DevArray<double> Dinv_;
  bool dinv_ready_ = false;
};

}  // namespace cuda

// Factory for the addon: a CUDA backend with a device-memory cap (bytes, 0 = none) and its tuning.
std::unique_ptr<Backend> make_cuda_backend(size_t memory_cap, const cuda::Tuning& tuning);
// The same with Tuning::measured(), for C++ callers outside the addon (test/cuda-emu).
std::unique_ptr<Backend> make_cuda_backend(size_t memory_cap);

}  // namespace tunable
