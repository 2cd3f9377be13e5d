// Thompson-sampling batch proposals (GPModel::thompson) and the host implementation of
// Backend::sample_posterior (Cholesky of the (m, m) posterior covariance, O(m³/3)).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "errors.hpp"
#include "gp.hpp"
#include "rng.hpp"
#include "sobol.hpp"

namespace tunable {

namespace {
// In-place lower Cholesky of A (m, m) row-major; false when not numerically PD.
bool cholesky(int m, double* A) {
  for (int j = 0; j < m; ++j) {
    double* rj = A + static_cast<size_t>(j) * m;
    double dj = rj[j];
    for (int k = 0; k < j; ++k) dj -= rj[k] * rj[k];
    if (!(dj > 0.0)) return false;
    dj = std::sqrt(dj);
    rj[j] = dj;
    for (int i = j + 1; i < m; ++i) {
      double* ri = A + static_cast<size_t>(i) * m;
      double s = ri[j];
      for (int k = 0; k < j; ++k) s -= ri[k] * rj[k];
      ri[j] = s / dj;
    }
  }
  return true;
}

double nearest(const std::vector<double>& grid, double v) {
  auto it = std::lower_bound(grid.begin(), grid.end(), v);
  if (it == grid.end()) return grid.back();
  if (it == grid.begin()) return *it;
  return (v - *(it - 1)) <= (*it - v) ? *(it - 1) : *it;
}
}  // namespace

double Backend::sample_posterior(int m, const double* Xc, int s, const double* z, double* f) {
  char what[96];
  std::snprintf(what, sizeof what, "the (m, m) posterior covariance of m = %d candidates and its factor", m);
  require_host_memory(bytes_of(static_cast<size_t>(m), static_cast<size_t>(m), sizeof(double), 2), what);
  std::vector<double> mean(m), var(m), C(static_cast<size_t>(m) * m), L(C.size());
  posterior(m, Xc, mean.data(), var.data(), nullptr, nullptr);
  posterior_covariance(m, Xc, C.data());
  double md = 0.0;
  for (int a = 0; a < m; ++a) md += C[static_cast<size_t>(a) * m + a];
  md = std::max(md / std::max(m, 1), 1e-300);
  double jitter = 0.0;
  bool ok = false;
  for (double rel = 0.0; rel <= kJitterMax * 1.0001; rel = rel == 0.0 ? kJitterStart : rel * 10.0) {
    L = C;
    jitter = rel * md;
    for (int a = 0; a < m; ++a) L[static_cast<size_t>(a) * m + a] += jitter;
    if ((ok = cholesky(m, L.data()))) break;
  }
  if (!ok) return -1.0;
  for (int k = 0; k < s; ++k) {
    const double* zk = z + static_cast<size_t>(k) * m;
    double* fk = f + static_cast<size_t>(k) * m;
    for (int a = 0; a < m; ++a) {
      const double* la = L.data() + static_cast<size_t>(a) * m;
      double t = mean[a];
      for (int b = 0; b <= a; ++b) t += la[b] * zk[b];
      fk[a] = t;
    }
  }
  return jitter;
}

ThompsonResult GPModel::thompson(const ThompsonOptions& opt) {
  if (!conditioned_) throw std::logic_error("model is not fitted");
  ThompsonResult res;
  const int d = d_, m = opt.candidates, q = opt.q;
  if (q < 1 || m < q) throw std::invalid_argument("thompson: need 1 <= q <= candidates");
  std::unique_ptr<Backend> fant;
  Backend* be = backend_.get();
  if (!opt.pending.empty()) {
    int skipped = 0;
    fant = fantasize(opt.pending, FantasyType::Mean, nullptr, &skipped);
    for (int i = 0; i < skipped; ++i) res.warnings.push_back("a pending point duplicates the data; ignored");
    be = fant.get();
  }
  std::vector<double> X(static_cast<size_t>(m) * d);
  sobol_points(m, d, opt.seed, true, X.data());
  for (int j = 0; j < d; ++j) {
    const std::vector<double>* g = !cat_grids_[j].empty() ? &cat_grids_[j]
                                   : (j < static_cast<int>(opt.integer_grids.size()) && !opt.integer_grids[j].empty())
                                       ? &opt.integer_grids[j]
                                       : nullptr;
    if (g)
      for (int a = 0; a < m; ++a) X[static_cast<size_t>(a) * d + j] = nearest(*g, X[static_cast<size_t>(a) * d + j]);
  }
  Rng rng(opt.seed ^ 0x7468'6f6d'7073'6f6eULL);
  std::vector<double> z(static_cast<size_t>(q) * m), f(z.size());
  for (double& v : z) v = rng.normal();
  res.jitter = be->sample_posterior(m, X.data(), q, z.data(), f.data());
  if (res.jitter < 0.0) throw NumericalError("thompson: the candidates' posterior covariance is not positive definite");
  if (res.jitter > 0.0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "thompson: jitter %.3g added to the candidates' covariance", res.jitter);
    res.warnings.push_back(buf);
  }
  std::vector<char> taken(m, 0);
  for (int k = 0; k < q; ++k) {
    const double* fk = f.data() + static_cast<size_t>(k) * m;
    int best = -1;
    for (int a = 0; a < m; ++a)
      if (!taken[a] && (best < 0 || fk[a] > fk[best])) best = a;
    taken[best] = 1;
    res.x.insert(res.x.end(), X.begin() + static_cast<size_t>(best) * d, X.begin() + static_cast<size_t>(best + 1) * d);
    res.values.push_back(fk[best]);
  }
  return res;
}

}  // namespace tunable
