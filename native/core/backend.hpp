// The interface every compute backend implements (native/cpu: Eigen; native/cuda: a later issue).
// A backend owns one GP's training data and, once conditioned, its factorisation. All algorithms
// that are not dense linear algebra (priors, multi-start fitting, acquisition, L-BFGS-B, Sobol')
// live in native/core and call only this interface, so they are shared by every backend.
//
// Conventions: θ is the hyperparameter vector of native/core/priors.hpp (p = d + 3); matrices are
// row-major unless stated; every shape is given as (rows, cols).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "acquisition.hpp"
#include "kernels.hpp"

namespace tunable {

struct GPSpec {
  int d = 0;
  KernelType kernel = KernelType::Matern52;
  std::vector<int> categorical;  // (d) 1 where dimension j is categorical (Hamming term)
};

// Jitter escalation: 0, then kJitterStart · mean(diag K) growing ×10 up to kJitterMax · mean(diag K).
constexpr double kJitterStart = 1e-8;
constexpr double kJitterMax = 1e-2;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // Number of threads for the dense kernels; 1 = no threading.
  virtual void set_threads(int threads) = 0;
  // Replaces the training data: X (n, d) row-major, y (n). Drops any factorisation.
  virtual void set_data(const GPSpec& spec, int n, const double* X, const double* y) = 0;
  virtual int n() const = 0;
  virtual int d() const = 0;  // of the last set_data

  // Plain log marginal likelihood (no prior) at s hyperparameter vectors, evaluated together.
  // theta (s, p); lml (s); grad (s, p) or nullptr (value only); jitter (s) or nullptr.
  // A vector whose kernel matrix stays non-PD after jitter escalation gets lml = NaN.
  virtual void log_marginal_likelihood(int s, const double* theta, double* lml, double* grad, double* jitter) = 0;

  // Factorises K(θ) for prediction; returns the jitter added (>= 0) or -1 when K is not PD.
  virtual double condition(const double* theta) = 0;
  // Plain log marginal likelihood of the current factorisation (after condition/append).
  virtual double current_lml() const = 0;

  // Posterior of the latent f at m points Xc (m, d): mean (m), var (m); dmean, dvar (m, d) or nullptr.
  virtual void posterior(int m, const double* Xc, double* mean, double* var, double* dmean, double* dvar) = 0;
  // Posterior mean and variance only, in float32 where the backend has it (candidate screening):
  // the kernel block, the factor and the triangular solve in float32, sums accumulated in float64.
  // The default is posterior() in float64.
  virtual void posterior_f32(int m, const double* Xc, double* mean, double* var) {
    posterior(m, Xc, mean, var, nullptr, nullptr);
  }
  // Acquisition values (m) at Xc (m, d) and, when grad is non-null, their gradients in x (m, d):
  // value = a(μ, σ²) and ∂a/∂μ ∂μ/∂x + ∂a/∂σ² ∂σ²/∂x (native/core/acquisition.hpp), incumbent `best`.
  // f32 (values only): the posterior by posterior_f32. The default (native/core/gp.cpp) takes the
  // posterior from posterior() and applies acquisition_value on the host; the CUDA backend overrides
  // it on the device (float64), so only the values and gradients come back.
  virtual void acquisition(AcqType type, double best, double beta, int m, const double* Xc, double* value,
                           double* grad, bool f32);
  // Posterior covariance of the latent f: cov (m, m).
  virtual void posterior_covariance(int m, const double* Xc, double* cov) = 0;

  // Joint posterior samples of the latent f at m points Xc (m, d): f (s, m) row-major = μ + C z_k,
  // z (s, m) row-major standard normals, C the lower Cholesky factor of the posterior covariance
  // plus jitter (0, then kJitterStart…kJitterMax × mean variance). Returns the jitter, or -1 when the
  // covariance stays non-PD. The default (native/core/thompson.cpp) runs on the host from
  // posterior() and posterior_covariance(); the CUDA backend overrides it on the device.
  virtual double sample_posterior(int m, const double* Xc, int s, const double* z, double* f);

  // Appends q observations (X (q, d) row-major, y (q)) with unchanged θ as one block of the factor
  // (O(n²q)): new rows [Bᵀ C] with B = L⁻¹ K(X_train, X) (n, q) and C Cᵀ = K(X, X) + (σ_n² + jitter) I
  // − BᵀB. Returns false, changing nothing, when a pivot of C is at most 1e-12 of the prior variance
  // (the extended matrix would not be numerically PD). When it throws (out of memory), the backend
  // is as it was, or at worst no longer conditioned (it then refuses posterior calls): never half-updated.
  virtual bool append_observations(int q, const double* X, const double* y) = 0;
  // One observation (x (d), y): a block of one.
  bool append_observation(const double* x, double y) { return append_observations(1, x, &y); }

  // Deep copy (data and factorisation), e.g. to add fantasies for pending points.
  virtual std::unique_ptr<Backend> clone() const = 0;
  // A backend of the same kind and settings, without data (e.g. for a subset of the data).
  virtual std::unique_ptr<Backend> empty() const = 0;
};

// In-place lower Cholesky factor of S (q, q) column-major, upper triangle zeroed; false when a pivot
// (before its square root) is ≤ floor, S then unspecified. For the small blocks of append_observations.
bool block_cholesky(int q, double* S, double floor);

std::unique_ptr<Backend> make_cpu_backend();

}  // namespace tunable
