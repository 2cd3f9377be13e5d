#include "ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "errors.hpp"
#include "maximize.hpp"

namespace tunable {

Ensemble::Ensemble(const std::vector<EnsembleMember>& members, int d) : d_(d) {
  for (const EnsembleMember& e : members) {
    if (!e.model || !e.model->fitted()) throw std::logic_error("an ensemble member is not fitted");
    if (static_cast<int>(e.dims.size()) != e.model->d()) throw std::logic_error("an ensemble member's dims do not match its d");
    for (int c : e.dims)
      if (c < 0 || c >= d) throw std::logic_error("an ensemble member's column is out of range");
    if (e.weight > 0) members_.push_back(Member{e.model, e.weight, e.dims, e.pending, nullptr});
  }
}

int Ensemble::fantasize(const std::vector<double>& pending) {
  for (Member& mb : members_) {
    if (!mb.pending) continue;
    // The pending member sees every column (TypeScript checks it), in its own order.
    const size_t q = pending.size() / static_cast<size_t>(d_), dm = mb.dims.size();
    std::vector<double> P(q * dm);  // (q, d_i)
    for (size_t a = 0; a < q; ++a)
      for (size_t j = 0; j < dm; ++j) P[a * dm + j] = pending[a * static_cast<size_t>(d_) + static_cast<size_t>(mb.dims[j])];
    int skipped = 0;
    mb.fantasised = mb.model->fantasize(P, FantasyType::Mean, nullptr, &skipped);
    return skipped;
  }
  return 0;
}

void Ensemble::posterior(int m, const double* X, double* mean, double* var, double* dmean, double* dvar) {
  const size_t M = static_cast<size_t>(m), D = static_cast<size_t>(d_);
  std::fill(mean, mean + M, 0.0);
  std::fill(var, var + M, 0.0);
  const bool grad = dmean != nullptr;
  if (grad) {
    std::fill(dmean, dmean + M * D, 0.0);
    std::fill(dvar, dvar + M * D, 0.0);
  }
  // Per member: its columns of X (m, d_i), and its posterior there (mean, var (m); gradients (m, d_i)).
  std::vector<double> Xi, mu, s2, dmu, ds2;
  for (Member& mb : members_) {
    const size_t di = mb.dims.size();
    require_host_memory(bytes_of(M, di * (grad ? 3 : 1) + 2), "an ensemble member's posterior");
    Xi.resize(M * di);
    mu.resize(M);
    s2.resize(M);
    for (size_t a = 0; a < M; ++a)
      for (size_t j = 0; j < di; ++j) Xi[a * di + j] = X[a * D + static_cast<size_t>(mb.dims[j])];
    if (grad) {
      dmu.resize(M * di);
      ds2.resize(M * di);
    }
    double* gm = grad ? dmu.data() : nullptr;
    double* gv = grad ? ds2.data() : nullptr;
    if (mb.fantasised)
      mb.fantasised->posterior(m, Xi.data(), mu.data(), s2.data(), gm, gv);
    else
      mb.model->predict(m, Xi.data(), mu.data(), s2.data(), gm, gv);
    const double w = mb.weight, w2 = w * w;
    for (size_t a = 0; a < M; ++a) {
      mean[a] += w * mu[a];
      var[a] += w2 * s2[a];
    }
    if (!grad) continue;
    // Scatter the member's x-gradients back to the ensemble's columns (a column it lacks gets 0).
    for (size_t a = 0; a < M; ++a)
      for (size_t j = 0; j < di; ++j) {
        const size_t to = a * D + static_cast<size_t>(mb.dims[j]);
        dmean[to] += w * dmu[a * di + j];
        dvar[to] += w2 * ds2[a * di + j];
      }
  }
}

void Ensemble::acquisition(AcqType type, double best, double beta, int m, const double* X, double* value, double* grad) {
  const size_t M = static_cast<size_t>(m), D = static_cast<size_t>(d_);
  std::vector<double> mu(M), s2(M), dmu, ds2;
  if (grad) {
    dmu.resize(M * D);
    ds2.resize(M * D);
  }
  posterior(m, X, mu.data(), s2.data(), grad ? dmu.data() : nullptr, grad ? ds2.data() : nullptr);
  for (size_t a = 0; a < M; ++a) {
    const AcqValue av = acquisition_value(type, mu[a], s2[a], best, beta);
    value[a] = av.value;
    if (grad)
      for (size_t j = 0; j < D; ++j) grad[a * D + j] = acquisition_gradient(av, dmu[a * D + j], ds2[a * D + j]);
  }
}

void predict_ensemble(const std::vector<EnsembleMember>& members, int d, int m, const double* X, double* mean, double* var) {
  Ensemble(members, d).posterior(m, X, mean, var, nullptr, nullptr);
}

AcqResult maximize_ensemble(const std::vector<EnsembleMember>& members, int d, const EnsembleOptions& opt) {
  const AcqOptions& acq = opt.acq;
  Ensemble ens(members, d);
  double best = acq.best;
  int skipped = 0;
  if (!acq.pending.empty()) {
    // A believer fantasy leaves every mean where it was: μ(p) before the fantasies is its value (the
    // single model takes the same, so one member of weight 1 gives its result exactly).
    if (acq.type != AcqType::UCB) {
      const int q = static_cast<int>(acq.pending.size() / static_cast<size_t>(d));
      std::vector<double> mu(q), s2(q);
      ens.posterior(q, acq.pending.data(), mu.data(), s2.data(), nullptr, nullptr);
      for (double v : mu) best = std::max(best, v);
    }
    skipped = ens.fantasize(acq.pending);
  }
  const DiscreteDims dims = discrete_dims(d, opt.categorical_grids, acq.integer_grids);
  const AcqEvaluator evaluate = [&](int m, const double* X, double* v, double* g) {
    ens.acquisition(acq.type, best, acq.beta, m, X, v, g);
  };
  AcqResult res = maximize_acquisition(d, dims, acq, opt.incumbent.empty() ? nullptr : opt.incumbent.data(), evaluate);
  res.warnings.insert(res.warnings.begin(), static_cast<size_t>(skipped), "a pending point duplicates the data; ignored");
  return res;
}

}  // namespace tunable
