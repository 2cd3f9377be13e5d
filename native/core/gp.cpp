#include "gp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "errors.hpp"
#include "lbfgsb.hpp"
#include "rng.hpp"
#include "sobol.hpp"

namespace tunable {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The fitting schedule by n (native/README.md, "Starts and schedule"). A full-data gradient costs n³,
// so the larger n, the less of the optimisation runs on the full data. The first row with n ≤ max_n
// applies; FitOptions::keep and FitOptions::max_iterations (when > 0) override its counts.
struct Stage {
  int max_n;
  bool subset;      // optimise every start on a random subset of the data first (with ≥ 2 starts)
  int keep;         // starts left for the full data after screening (the warm start among them)
  int iters_warm;   // full-data L-BFGS-B iterations when only the warm start is left: usually close
  int iters_other;  // full-data iterations otherwise
};
constexpr Stage kSchedule[] = {
    // Evaluations are cheap: every start is screened on the full data, the best 3 (2) optimised there.
    {150, false, 3, 60, 60},
    {300, false, 2, 60, 60},
    // The starts are optimised on the subset; the warm start and the subset's winner compete on the
    // full data, where the survivor is polished.
    {600, true, 1, 15, 50},
    {1200, true, 1, 8, 15},
    {std::numeric_limits<int>::max(), true, 1, 3, 10},
};
// The subset: max(128, min(200, n/4)) points, each start ≤ 25 iterations on it.
constexpr int kSubsetMin = 128, kSubsetMax = 200, kSubsetIterations = 25;

const Stage& stage_for(int n) {
  for (const Stage& st : kSchedule)
    if (n <= st.max_n) return st;
  return kSchedule[sizeof kSchedule / sizeof kSchedule[0] - 1];
}

// Stopping rules of every fitting optimisation (native/README.md, "Stopping").
LbfgsbOptions fit_lbfgsb_options(int max_iterations) {
  LbfgsbOptions o;
  o.pgtol = 1e-3;
  o.ftol = 1e-9;
  o.fatol = 1e-3;
  o.max_iterations = max_iterations;
  return o;
}

// (K, p): v repeated K times.
std::vector<double> replicate(const std::vector<double>& v, int K) {
  std::vector<double> out(static_cast<size_t>(K) * v.size());
  for (int k = 0; k < K; ++k) std::copy(v.begin(), v.end(), out.begin() + static_cast<size_t>(k) * v.size());
  return out;
}

std::string fmt(double v) {
  std::ostringstream o;
  o.precision(3);
  o << v;
  return o.str();
}

}  // namespace

GPModel::GPModel(std::unique_ptr<Backend> backend, KernelType kernel, int n, int d, const double* X, const double* y,
                 std::vector<std::vector<double>> categorical_grids, int threads)
    : backend_(std::move(backend)), n_(n), d_(d), X_(X, X + static_cast<size_t>(n) * d), y_(y, y + n),
      cat_grids_(std::move(categorical_grids)) {
  spec_.d = d;
  spec_.kernel = kernel;
  spec_.categorical.assign(d, 0);
  cat_grids_.resize(d);
  for (int j = 0; j < d; ++j) spec_.categorical[j] = cat_grids_[j].empty() ? 0 : 1;
  backend_->set_threads(threads);
  backend_->set_data(spec_, n_, X_.data(), y_.data());
}

GPModel::Scale GPModel::y_scale() const {
  double mean = 0.0;
  for (double v : y_) mean += v;
  mean /= n_;
  double s2 = 0.0;
  for (double v : y_) s2 += (v - mean) * (v - mean);
  s2 = n_ > 1 ? s2 / (n_ - 1) : 0.0;
  if (!(s2 > 1e-300) || !std::isfinite(s2)) s2 = 1.0;
  return {mean, s2};
}

void GPModel::bounds(const Scale& sc, std::vector<double>& lo, std::vector<double>& hi) const {
  const int p = num_hyper(d_);
  lo.assign(p, 0.0);
  hi.assign(p, 0.0);
  for (int j = 0; j < d_; ++j) {
    lo[j] = std::log(5e-3);
    hi[j] = std::log(1e4);
  }
  const double ls2 = std::log(sc.s2);
  lo[d_] = ls2 + std::log(1e-6);
  hi[d_] = ls2 + std::log(1e6);
  lo[d_ + 1] = ls2 + std::log(noise_floor_);
  hi[d_ + 1] = ls2 + std::log(10.0);
  const double sd = std::sqrt(sc.s2);
  lo[d_ + 2] = sc.mean - 20.0 * sd;
  hi[d_ + 2] = sc.mean + 20.0 * sd;
}

std::vector<double> GPModel::default_theta(const Scale& sc) const {
  const PriorSpec pr = default_priors(d_, sc.s2);
  std::vector<double> t(num_hyper(d_));
  for (int j = 0; j < d_; ++j) t[j] = lognormal_log_mode(pr.ls_loc, pr.ls_scale);
  t[d_] = std::log(sc.s2);
  t[d_ + 1] = std::max(lognormal_log_mode(pr.noise_loc, pr.noise_scale), std::log(sc.s2 * noise_floor_));
  t[d_ + 2] = sc.mean;
  return t;
}

double GPModel::condition_with_fallback(std::vector<std::string>& warnings) {
  conditioned_ = false;  // until the backend holds a factor again (condition may throw OutOfMemory)
  double jitter = backend_->condition(theta_.data());
  if (jitter < 0.0) {
    const Scale sc = y_scale();
    std::vector<double> fb = default_theta(sc);
    for (double noise : {1e-2, 1e-1, 1.0}) {
      fb[d_ + 1] = std::log(noise * sc.s2);
      jitter = backend_->condition(fb.data());
      if (jitter >= 0.0) {
        warnings.push_back("kernel matrix not positive definite at the hyperparameters even with jitter; fell back to "
                           "default hyperparameters with noise " + fmt(noise * sc.s2));
        theta_ = fb;
        break;
      }
    }
    if (jitter < 0.0) throw NumericalError("kernel matrix not positive definite even with fallback hyperparameters");
  }
  if (jitter > 0.0) warnings.push_back("Cholesky needed jitter " + fmt(jitter) + " on the diagonal");
  conditioned_ = true;
  lml_ = backend_->current_lml();
  return jitter;
}

FitResult GPModel::set_hyperparameters(const std::vector<double>& theta) {
  if (static_cast<int>(theta.size()) != num_hyper(d_)) throw std::invalid_argument("hyperparameter vector has the wrong length");
  FitResult res;
  theta_ = theta;
  res.jitter = condition_with_fallback(res.warnings);
  const Scale sc = y_scale();
  res.theta = theta_;
  res.lml = lml_;
  res.log_prior = log_prior(default_priors(d_, sc.s2), d_, theta_.data(), nullptr);
  return res;
}

// What one fit carries from stage to stage.
struct GPModel::FitRun {
  FitRun(const FitOptions& o, const Scale& scale, int d) : opt(o), sc(scale), pr(default_priors(d, scale.s2)), rng(o.seed * 0x9E3779B97F4A7C15ULL + 17) {}
  const FitOptions& opt;
  Scale sc;
  PriorSpec pr;
  std::vector<double> lo, hi;  // (p) bounds
  bool has_warm = false;
  // Draws the random starts, then the subset: the order of the draws is part of the result.
  Rng rng;
  int evals = 0;  // likelihood evaluations on the full data
  std::vector<double> lml_buf;
  FitResult res;
};

FitResult GPModel::fit(const FitOptions& opt) {
  noise_floor_ = opt.noise_floor;
  const int p = num_hyper(d_);
  if (opt.fixed_all) {
    if (static_cast<int>(opt.warm.size()) != p) throw std::invalid_argument("fixed hyperparameters need a warm start");
    return set_hyperparameters(opt.warm);
  }
  FitRun run(opt, y_scale(), d_);
  bounds(run.sc, run.lo, run.hi);
  run.has_warm = static_cast<int>(opt.warm.size()) == p;
  if (!opt.fixed.empty()) {
    if (!run.has_warm) throw std::invalid_argument("fixed hyperparameters need a warm start");
    for (int i = 0; i < p; ++i)
      if (opt.fixed[i]) run.lo[i] = run.hi[i] = opt.warm[i];
  }
  const Stage& stage = stage_for(n_);
  const std::vector<double> starts = fit_starts(run);  // (S, p); row 0 the warm (or default) start
  const int S = static_cast<int>(starts.size()) / p;
  run.res.starts = S;
  std::vector<double> cand = stage.subset && S > 1 ? fit_on_subset(run, starts) : starts;  // (K, p)
  cand = screen(run, std::move(cand), opt.keep > 0 ? opt.keep : stage.keep);
  const int K = static_cast<int>(cand.size()) / p;
  const bool warm_only = run.has_warm && K == 1 && std::equal(cand.begin(), cand.begin() + p, starts.begin());
  const int iters = opt.max_iterations > 0 ? opt.max_iterations : warm_only ? stage.iters_warm : stage.iters_other;
  polish(run, cand, iters);
  return run.res;
}

std::vector<double> GPModel::fit_starts(FitRun& run) const {
  const int p = num_hyper(d_);
  const int S = 1 + std::max(0, run.opt.restarts);
  std::vector<double> X0(static_cast<size_t>(S) * p);
  const std::vector<double> first = run.has_warm ? run.opt.warm : default_theta(run.sc);
  for (int s = 0; s < S; ++s) {
    double* x = &X0[static_cast<size_t>(s) * p];
    if (s == 0) {
      std::copy(first.begin(), first.end(), x);
    } else {
      for (int j = 0; j < d_; ++j) x[j] = run.pr.ls_loc + run.pr.ls_scale * run.rng.normal();
      x[d_] = std::log(run.sc.s2) + run.rng.normal();  // output scale (flat prior): around the sample variance
      x[d_ + 1] = run.pr.noise_loc + run.pr.noise_scale * run.rng.normal();
      x[d_ + 2] = run.sc.mean;
    }
    for (int i = 0; i < p; ++i) {
      if (run.lo[i] == run.hi[i]) x[i] = run.lo[i];
      x[i] = std::min(std::max(x[i], run.lo[i]), run.hi[i]);
    }
  }
  return X0;
}

BatchObjective GPModel::map_objective(FitRun& run, Backend& be) const {
  // MAP objective, minimised: -(lml + log prior), batched over starts.
  return [this, &run, bep = &be](int k, const double* T, double* f, double* G) {
    const int p = num_hyper(d_);
    run.lml_buf.resize(k);
    bep->log_marginal_likelihood(k, T, run.lml_buf.data(), G, nullptr);
    if (bep == backend_.get()) run.evals += k;
    for (int s = 0; s < k; ++s) {
      double* g = G ? G + static_cast<size_t>(s) * p : nullptr;
      const double lp = log_prior(run.pr, d_, T + static_cast<size_t>(s) * p, g);
      f[s] = std::isfinite(run.lml_buf[s]) ? -(run.lml_buf[s] + lp) : kInf;
      if (g)
        for (int i = 0; i < p; ++i) g[i] = -g[i];
    }
  };
}

std::vector<double> GPModel::fit_on_subset(FitRun& run, const std::vector<double>& starts) {
  const int p = num_hyper(d_);
  const int S = static_cast<int>(starts.size()) / p;
  const int m = std::min(n_, std::max(kSubsetMin, std::min(kSubsetMax, n_ / 4)));
  std::vector<int> idx(n_);
  std::iota(idx.begin(), idx.end(), 0);
  for (int i = 0; i < m; ++i) std::swap(idx[i], idx[i + static_cast<int>(run.rng.next() % (n_ - i))]);
  std::vector<double> Xs(static_cast<size_t>(m) * d_), ys(m);
  for (int i = 0; i < m; ++i) {
    std::copy(X_.begin() + static_cast<size_t>(idx[i]) * d_, X_.begin() + static_cast<size_t>(idx[i] + 1) * d_,
              Xs.begin() + static_cast<size_t>(i) * d_);
    ys[i] = y_[idx[i]];
  }
  std::unique_ptr<Backend> sub = backend_->empty();
  sub->set_data(spec_, m, Xs.data(), ys.data());
  const std::vector<double> LO = replicate(run.lo, S), HI = replicate(run.hi, S);
  int calls = 0;
  std::vector<LbfgsbResult> sr = minimize_batched(map_objective(run, *sub), S, p, starts.data(), LO.data(), HI.data(),
                                                  fit_lbfgsb_options(kSubsetIterations), &calls);
  run.res.batched_calls += calls;
  int sb = -1;
  for (int s = 0; s < S; ++s)
    if (std::isfinite(sr[s].f) && (sb < 0 || sr[s].f < sr[sb].f)) sb = s;
  // The warm start (unchanged) always competes on the full data; a random start only when it
  // beat the warm start on the subset (saves a full-data screening when the warm start is best).
  std::vector<double> cand;
  if (run.has_warm) cand.insert(cand.end(), starts.begin(), starts.begin() + p);
  if (sb >= 0 && !(run.has_warm && sb == 0)) cand.insert(cand.end(), sr[sb].x.begin(), sr[sb].x.end());
  if (cand.empty()) cand.insert(cand.end(), starts.begin(), starts.begin() + p);
  return cand;
}

std::vector<double> GPModel::screen(FitRun& run, std::vector<double> cand, int keep) {
  const int p = num_hyper(d_);
  const int K = static_cast<int>(cand.size()) / p;
  if (K <= keep) return cand;
  // One value-only batched evaluation; keep the warm start and the best others.
  std::vector<double> f0(K);
  map_objective(run, *backend_)(K, cand.data(), f0.data(), nullptr);
  ++run.res.batched_calls;
  const bool has_warm = run.has_warm;
  std::vector<int> order(K - (has_warm ? 1 : 0));
  std::iota(order.begin(), order.end(), has_warm ? 1 : 0);
  std::stable_sort(order.begin(), order.end(), [&](int a2, int b2) { return f0[a2] < f0[b2]; });
  std::vector<int> chosen;
  if (has_warm && (keep > 1 || !(f0[order[0]] < f0[0]))) chosen.push_back(0);
  for (int i : order)
    if (static_cast<int>(chosen.size()) < keep) chosen.push_back(i);
  std::vector<double> next;
  for (int c : chosen) next.insert(next.end(), cand.begin() + static_cast<size_t>(c) * p, cand.begin() + static_cast<size_t>(c + 1) * p);
  return next;
}

void GPModel::polish(FitRun& run, const std::vector<double>& cand, int max_iterations) {
  const int p = num_hyper(d_);
  const int K = static_cast<int>(cand.size()) / p;
  FitResult& res = run.res;
  LbfgsbOptions lopt = fit_lbfgsb_options(max_iterations);
  lopt.lazy_gradient = K == 1;  // one start: its value evaluation's factor is reused for its gradient
  const std::vector<double> LO = replicate(run.lo, K), HI = replicate(run.hi, K);
  int calls = 0;
  std::vector<LbfgsbResult> results = minimize_batched(map_objective(run, *backend_), K, p, cand.data(), LO.data(), HI.data(), lopt, &calls);
  res.batched_calls += calls;
  res.optimized = K;
  int best = -1;
  for (int k = 0; k < K; ++k) {
    res.iterations += results[k].iterations;
    if (std::isfinite(results[k].f) && (best < 0 || results[k].f < results[best].f)) best = k;
  }
  res.evaluations = run.evals;
  if (best < 0) {
    res.warnings.push_back("every start failed (non-PD kernel matrix); using fallback hyperparameters");
    theta_ = default_theta(run.sc);
    theta_[d_ + 1] = std::log(1e-2 * run.sc.s2);
  } else {
    theta_ = results[best].x;
  }
  res.jitter = condition_with_fallback(res.warnings);
  res.theta = theta_;
  res.lml = lml_;
  res.log_prior = log_prior(run.pr, d_, theta_.data(), nullptr);
}

double GPModel::evaluate(const std::vector<double>& theta, bool with_prior, double* grad) {
  const int p = num_hyper(d_);
  if (static_cast<int>(theta.size()) != p) throw std::invalid_argument("hyperparameter vector has the wrong length");
  double v = 0.0;
  evaluate_many(1, theta.data(), with_prior, &v, grad);
  return v;
}

void GPModel::evaluate_many(int s, const double* theta, bool with_prior, double* values, double* grads) {
  const int p = num_hyper(d_);
  backend_->log_marginal_likelihood(s, theta, values, grads, nullptr);  // the backend bounds its own batches
  if (!with_prior) return;
  const PriorSpec pr = default_priors(d_, y_scale().s2);
  for (int k = 0; k < s; ++k)
    values[k] += log_prior(pr, d_, theta + static_cast<size_t>(k) * p, grads ? grads + static_cast<size_t>(k) * p : nullptr);
}

void GPModel::predict(int m, const double* Xc, double* mean, double* var, double* dmean, double* dvar) {
  if (!conditioned_) throw std::logic_error("model is not fitted");
  backend_->posterior(m, Xc, mean, var, dmean, dvar);
}

void GPModel::predict_f32(int m, const double* Xc, double* mean, double* var) {
  if (!conditioned_) throw std::logic_error("model is not fitted");
  backend_->posterior_f32(m, Xc, mean, var);
}

void GPModel::covariance(int m, const double* Xc, double* cov) {
  if (!conditioned_) throw std::logic_error("model is not fitted");
  backend_->posterior_covariance(m, Xc, cov);
}

bool block_cholesky(int q, double* S, double floor) {
  auto at = [&](int i, int j) -> double& { return S[static_cast<size_t>(j) * q + i]; };
  for (int j = 0; j < q; ++j) {
    double dj = at(j, j);
    for (int k = 0; k < j; ++k) dj -= at(j, k) * at(j, k);
    if (!(dj > floor)) return false;
    dj = std::sqrt(dj);
    at(j, j) = dj;
    for (int i = j + 1; i < q; ++i) {
      double v = at(i, j);
      for (int k = 0; k < j; ++k) v -= at(i, k) * at(j, k);
      at(i, j) = v / dj;
    }
    for (int i = 0; i < j; ++i) at(i, j) = 0.0;
  }
  return true;
}

// Fantasies: each pending point observed, on a clone of the backend with θ unchanged, at
// - Mean: the posterior mean there (kriging believer). Observing a point at its own mean leaves the mean
//   everywhere unchanged, so one posterior call gives every fantasy's value; only the variance drops.
// - Min / Max: the smallest / largest observed y (constant liar). The posterior variance is the same as
//   the believer's (it does not depend on y); the mean moves towards the lie in a neighbourhood of about a
//   lengthscale around each pending point.
// They are appended as one block (append_observations); when that block is not numerically PD (a pending
// point on top of the data or of another pending point), one by one, skipping those the factor rejects.
// *best (when non-null) is raised to the largest fantasy kept: a fantasy counts as observed, without
// which EI would not drop at a pending point whose believed mean is above the incumbent.
std::unique_ptr<Backend> GPModel::fantasize(const std::vector<double>& pending, FantasyType fantasy, double* best,
                                            int* skipped) const {
  auto fant = backend_->clone();
  const int q = static_cast<int>(pending.size()) / d_;
  std::vector<double> value(q);  // (q) the fantasies' y
  if (fantasy == FantasyType::Mean) {
    std::vector<double> var(q);
    fant->posterior(q, pending.data(), value.data(), var.data(), nullptr, nullptr);
  } else {
    const auto lie = fantasy == FantasyType::Min ? std::min_element(y_.begin(), y_.end()) : std::max_element(y_.begin(), y_.end());
    std::fill(value.begin(), value.end(), *lie);
  }
  std::vector<char> kept(q, 1);
  if (!fant->append_observations(q, pending.data(), value.data()))
    for (int i = 0; i < q; ++i) kept[i] = fant->append_observation(&pending[static_cast<size_t>(i) * d_], value[i]) ? 1 : 0;
  *skipped = 0;
  for (int i = 0; i < q; ++i) {
    if (!kept[i]) ++*skipped;
    else if (best) *best = std::max(*best, value[i]);
  }
  return fant;
}

void Backend::acquisition(AcqType type, double best, double beta, int m, const double* Xc, double* value,
                          double* grad, bool f32) {
  const int d = this->d();
  std::vector<double> mu(m), var(m), dmu, dvar;
  if (grad) {
    dmu.resize(static_cast<size_t>(m) * d);
    dvar.resize(static_cast<size_t>(m) * d);
  }
  if (f32 && !grad)
    posterior_f32(m, Xc, mu.data(), var.data());
  else
    posterior(m, Xc, mu.data(), var.data(), grad ? dmu.data() : nullptr, grad ? dvar.data() : nullptr);
  for (int a = 0; a < m; ++a) {
    const AcqValue av = acquisition_value(type, mu[a], var[a], best, beta);
    value[a] = av.value;
    if (grad) {
      for (int j = 0; j < d; ++j) {
        const size_t idx = static_cast<size_t>(a) * d + j;
        grad[idx] = acquisition_gradient(av, dmu[idx], dvar[idx]);
      }
    }
  }
}

void GPModel::acq_batch(Backend& be, const AcqOptions& opt, double best, int m, const double* Xc, double* value,
                        double* grad, bool f32) {
  be.acquisition(opt.type, best, opt.beta, m, Xc, value, grad, f32);
}

void GPModel::acquisition(const AcqOptions& opt, int m, const double* Xc, double* value, double* grad) {
  if (!conditioned_) throw std::logic_error("model is not fitted");
  double best = std::isnan(opt.best) ? *std::max_element(y_.begin(), y_.end()) : opt.best;
  std::unique_ptr<Backend> fant;
  Backend* be = backend_.get();
  if (!opt.pending.empty()) {
    int skipped = 0;
    fant = fantasize(opt.pending, opt.fantasy, &best, &skipped);
    be = fant.get();
  }
  acq_batch(*be, opt, best, m, Xc, value, grad);
}

std::vector<std::string> GPModel::add_observation(const double* x, double y) {
  std::vector<std::string> warnings;
  const size_t old_n = static_cast<size_t>(n_);
  X_.insert(X_.end(), x, x + d_);
  try {
    y_.push_back(y);
  } catch (...) {
    X_.resize(old_n * d_);
    throw;
  }
  ++n_;
  bool replaced = false;  // the backend holds the new data (and no factor until conditioned)
  try {
    // A failed append leaves the backend as it was (append_observations builds aside).
    if (conditioned_ && backend_->append_observation(x, y)) {
      lml_ = backend_->current_lml();
      return warnings;
    }
    const bool was_conditioned = conditioned_;
    backend_->set_data(spec_, n_, X_.data(), y_.data());
    replaced = true;
    conditioned_ = false;
    if (was_conditioned) {
      warnings.push_back("O(n²) Cholesky update was not numerically stable; refactorised");
      condition_with_fallback(warnings);
    }
    return warnings;
  } catch (...) {
    // Out of memory (or not PD) half-way: the model goes back to its old data. Its factor is gone
    // when the backend was already given the new data; then later calls report an unfitted model.
    n_ = static_cast<int>(old_n);
    X_.resize(old_n * d_);
    y_.resize(old_n);
    if (replaced) {
      try {
        backend_->set_data(spec_, n_, X_.data(), y_.data());
      } catch (...) {
      }
    }
    throw;
  }
}

}  // namespace tunable
