// CPU backend on Eigen 3.4 (see native/core/backend.hpp for the contract).
#pragma once
#include <memory>
#include <vector>

#include "../core/backend.hpp"
#include "../core/priors.hpp"
#include "linalg.hpp"

namespace tunable {
namespace cpu {

class CpuBackend final : public Backend {
 public:
  CpuBackend() = default;
  CpuBackend(const CpuBackend&) = default;
  const char* name() const override { return "cpu"; }
  void set_threads(int threads) override { threads_ = threads < 1 ? 1 : threads; }
  void set_data(const GPSpec& spec, int n, const double* X, const double* y) override;
  int n() const override { return n_; }
  int d() const override { return spec_.d; }
  void log_marginal_likelihood(int s, const double* theta, double* lml, double* grad, double* jitter) override;
  double condition(const double* theta) override;
  double current_lml() const override { return lml_; }
  void posterior(int m, const double* Xc, double* mean, double* var, double* dmean, double* dvar) override;
  void posterior_f32(int m, const double* Xc, double* mean, double* var) override;
  void posterior_covariance(int m, const double* Xc, double* cov) override;
  bool append_observations(int q, const double* X, const double* y) override;
  std::unique_ptr<Backend> clone() const override { return std::make_unique<CpuBackend>(*this); }
  std::unique_ptr<Backend> empty() const override {
    auto b = std::make_unique<CpuBackend>();
    b->set_threads(threads_);
    return b;
  }

 private:
  struct Workspace {
    Mat K, Kinv, Kp;  // (n, n) lower triangles: K → L, K⁻¹, k'(r²)
    Vec r, alpha;     // (n)
    std::vector<double> theta;  // (p) θ of the factor in K, empty when K holds none
    double jitter = 0.0;
  };
  Hyper unpack(const double* theta) const { return unpack_hyper(d_, theta); }
  // Lower triangle of K = σ_f² k(r²) + (σ_n² + jitter) I; Kp (lower) = k'(r²) when non-null.
  // K null: only Kp is written (the factor of K is cached elsewhere).
  void build_kernel(const Hyper& h, double jitter, Mat* K, Mat* Kp, int threads) const;
  // Cholesky with jitter escalation (rebuilds K between attempts); returns jitter or -1.
  double factor(const Hyper& h, Mat& K, Mat* Kp, int threads) const;
  double eval_one(const double* theta, double* grad, double* jitter, Workspace& w, int threads) const;
  // Cross-kernel block: Ks (n, m) = σ_f² k(X_i, x_a); Kp (n, m) = σ_f² k'(r²) when non-null.
  void cross_kernel(const Hyper& h, int m, const double* Xc, Mat& Ks, Mat* Kp) const;
  void posterior_chunk(int m, const double* Xc, double* mean, double* var, double* dmean, double* dvar) const;
  // Grows ws_ to `slots` workspaces and checks, before anything is allocated, that the (n, n) matrices
  // this likelihood call still needs fit in memory (OutOfMemory otherwise: see require_host_memory).
  void reserve_workspaces(int slots, bool grad);
  static double solve_alpha(const Mat& L, const Vec& y, double c, Vec& alpha);
  void refresh_alpha();

  GPSpec spec_;
  int n_ = 0, d_ = 0, threads_ = 1;
  std::vector<double> X_;   // (n, d) row-major
  std::vector<double> Xt_;  // (d, n) row-major: dimension j of every point, contiguous
  Vec y_;                   // (n)
  // Conditioned state.
  bool ready_ = false;
  Hyper h_;
  double jitter_ = 0.0, logdet_ = 0.0, lml_ = 0.0;
  Mat L_;      // (n, n) lower Cholesky factor of K + jitter I
  Vec alpha_;  // (n) K⁻¹ (y - c)
  // Scratch of likelihood evaluations (one per thread); never copied by clone().
  struct Scratch : std::vector<Workspace> {
    Scratch() = default;
    Scratch(const Scratch&) : std::vector<Workspace>() {}
    Scratch& operator=(const Scratch&) {
      clear();
      return *this;
    }
  };
  Scratch ws_;
};

}  // namespace cpu
}  // namespace tunable
