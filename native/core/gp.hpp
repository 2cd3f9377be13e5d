// Backend-neutral Gaussian-process model: MAP fitting with several batched L-BFGS-B starts,
// prediction, acquisition value/gradient and maximisation, O(n²) observation updates.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "acquisition.hpp"
#include "backend.hpp"
#include "lbfgsb.hpp"
#include "priors.hpp"

namespace tunable {

// Options of one call. The addon fills every field from the options TypeScript resolved (one frozen
// object per call, src/engine/options.ts): the product's defaults live there, not here. Members are
// value-initialised (0, false, empty) only so that a struct a C++ caller builds field by field holds
// no indeterminate value; 0 is never a value the addon relies on, except where a comment gives its meaning.

struct FitOptions {
  int restarts{};                    // random starts besides the warm/default start
  std::uint64_t seed{};
  std::vector<double> warm;          // (p) warm-start θ, or empty
  std::vector<int> fixed;            // (p) 1 = hold θ_i at warm[i]; empty = none
  bool fixed_all{};                  // use warm as is, no optimisation
  int max_iterations{};              // 0 = the schedule's cap for this n (gp.cpp, kSchedule)
  int keep{};                        // starts optimised after screening; 0 = the schedule's count
  double noise_floor{};              // σ_n² >= noise_floor · s²
};

struct FitResult {
  std::vector<double> theta;         // (p)
  double lml = 0.0;                  // plain log marginal likelihood at θ
  double log_prior = 0.0;            // log prior at θ (MAP objective = lml + log_prior)
  double jitter = 0.0;
  int iterations = 0, evaluations = 0, batched_calls = 0, starts = 0, optimized = 0;
  std::vector<std::string> warnings;
};

// The value each pending point is observed at in its fantasy (GPModel::fantasize): the posterior mean
// there (kriging believer: only the variance collapses, at the point), or a constant liar, the smallest
// or the largest observed y (Min also lowers the mean in a neighbourhood of about a lengthscale, so the
// next maximiser moves away from the pending point; Max raises it, so proposals gather).
enum class FantasyType : int { Mean = 0, Min = 1, Max = 2 };

struct AcqOptions {
  AcqType type{};
  double best{};                     // incumbent; NaN = max(y)
  double beta{};                     // UCB: μ + √β σ
  std::vector<double> pending;       // (q, d) points under evaluation, fantasised at `fantasy`
  FantasyType fantasy{};             // the pending points' fantasy values
  int raw_samples{};                 // maximize: scrambled-Sobol' points scored (>= 1)
  int restarts{};                    // maximize: L-BFGS-B starts (>= 1)
  std::uint64_t seed{};
  std::vector<std::vector<double>> integer_grids;  // (d) sorted allowed values; empty = continuous
  int max_iterations{};              // maximize: L-BFGS-B iterations per start (>= 1)
  bool float32_raw{};                // score the raw samples with Backend::posterior_f32
};

struct ThompsonOptions {
  int q{};                           // proposals (distinct candidates), >= 1
  int candidates{};                  // scrambled-Sobol' candidate points, >= q
  std::uint64_t seed{};
  std::vector<double> pending;       // (p, d) kriging-believer fantasies (FantasyType::Mean)
  std::vector<std::vector<double>> integer_grids;  // (d) candidates are snapped to these grids
};

struct ThompsonResult {
  std::vector<double> x;             // (q, d) proposals, row-major
  std::vector<double> values;        // (q) each sample's maximum
  double jitter = 0.0;               // added to the candidates' posterior covariance
  std::vector<std::string> warnings;
};

struct AcqResult {
  std::vector<double> x;             // (d)
  double value = 0.0;
  std::vector<std::string> warnings;
};

class GPModel {
 public:
  // X (n, d) row-major, y (n). categorical_grids: (d) sorted choice values, empty if not categorical.
  GPModel(std::unique_ptr<Backend> backend, KernelType kernel, int n, int d, const double* X, const double* y,
          std::vector<std::vector<double>> categorical_grids, int threads);

  FitResult fit(const FitOptions& opt);
  // Condition on θ without fitting; lml computed at θ.
  FitResult set_hyperparameters(const std::vector<double>& theta);

  void predict(int m, const double* Xc, double* mean, double* var, double* dmean, double* dvar);
  void covariance(int m, const double* Xc, double* cov);
  // Mean and variance only, through Backend::posterior_f32 (float32 screening accuracy).
  void predict_f32(int m, const double* Xc, double* mean, double* var);
  // Acquisition value (m) and gradient (m, d) (nullable) at m points.
  void acquisition(const AcqOptions& opt, int m, const double* Xc, double* value, double* grad);
  AcqResult maximize(const AcqOptions& opt);
  // Thompson-sampling batch: q joint posterior samples over the candidates, the argmax of each
  // (distinct; a later sample whose argmax is taken uses its best free candidate).
  ThompsonResult thompson(const ThompsonOptions& opt);
  // O(n²) update with unchanged θ; falls back to a full factorisation with a warning.
  std::vector<std::string> add_observation(const double* x, double y);
  // Plain lml (+ prior if with_prior) and its gradient (p) at θ, without changing the model.
  double evaluate(const std::vector<double>& theta, bool with_prior, double* grad);
  // The same at s vectors theta (s, p), in one batched backend call: values (s), grads (s, p) or nullptr.
  void evaluate_many(int s, const double* theta, bool with_prior, double* values, double* grads);

  // Fantasies of pending (q, d) at `fantasy` values on a clone of the backend (gp.cpp); *best, when
  // non-null, is raised to the largest fantasy kept; *skipped counts the points the factor rejected.
  // Public for the ensemble's pending member (core/ensemble.cpp), which reads the clone's posterior.
  std::unique_ptr<Backend> fantasize(const std::vector<double>& pending, FantasyType fantasy, double* best, int* skipped) const;

  const char* backend_name() const { return backend_->name(); }
  bool fitted() const { return conditioned_; }
  int n() const { return n_; }
  int d() const { return d_; }
  const std::vector<double>& theta() const { return theta_; }
  double lml() const { return lml_; }
  void set_threads(int t) { backend_->set_threads(t); }
  std::mutex& mutex() { return mu_; }

 private:
  struct Scale {
    double mean, s2;
  };
  Scale y_scale() const;
  std::vector<double> default_theta(const Scale& sc) const;
  void bounds(const Scale& sc, std::vector<double>& lo, std::vector<double>& hi) const;
  double condition_with_fallback(std::vector<std::string>& warnings);
  // fit(), by stage (gp.cpp: kSchedule says which run for which n). FitRun: one fit's bounds, priors,
  // random stream and counters. Candidates and starts are (K, p) row-major.
  struct FitRun;
  std::vector<double> fit_starts(FitRun& run) const;        // the warm (or default) start, then the random ones
  BatchObjective map_objective(FitRun& run, Backend& be) const;  // −(lml + log prior) on be, batched
  std::vector<double> fit_on_subset(FitRun& run, const std::vector<double>& starts);  // → candidates for the full data
  std::vector<double> screen(FitRun& run, std::vector<double> cand, int keep);  // one value-only call → ≤ keep
  void polish(FitRun& run, const std::vector<double>& cand, int max_iterations);  // full data; sets θ, conditions
  void acq_batch(Backend& be, const AcqOptions& opt, double best, int m, const double* Xc, double* value,
                 double* grad, bool f32 = false);

  std::unique_ptr<Backend> backend_;
  GPSpec spec_;
  int n_, d_;
  std::vector<double> X_, y_;  // (n, d), (n)
  std::vector<std::vector<double>> cat_grids_;
  std::vector<double> theta_;
  double lml_ = 0.0;
  double noise_floor_ = 0.0;  // the last fit's FitOptions::noise_floor (fit() sets it first)
  bool conditioned_ = false;
  std::mutex mu_;
};

}  // namespace tunable
