// Acquisition maximisation: the shared search (maximize_acquisition: scrambled-Sobol' raw samples scored
// in one batch, the best of them plus an incumbent as starts, batched L-BFGS-B inside [0, 1]^d with
// categorical dimensions held at their start value and integer dimensions relaxed, then rounding and a
// greedy local enumeration over the integer neighbours / categorical choices), and its single-model
// user GPModel::maximize. The ensemble's user is core/ensemble.cpp.
#include "maximize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "errors.hpp"
#include "lbfgsb.hpp"
#include "sobol.hpp"

namespace tunable {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double nearest_value(const std::vector<double>& grid, double v) {
  auto it = std::lower_bound(grid.begin(), grid.end(), v);
  if (it == grid.end()) return grid.back();
  if (it == grid.begin()) return *it;
  const double hi = *it, lo = *(it - 1);
  return (v - lo) <= (hi - v) ? lo : hi;
}

int index_of(const std::vector<double>& grid, double v) {
  int best = 0;
  for (int i = 1; i < static_cast<int>(grid.size()); ++i)
    if (std::fabs(grid[i] - v) < std::fabs(grid[best] - v)) best = i;
  return best;
}

inline double finite_or_neg_inf(double v) { return std::isfinite(v) ? v : kNegInf; }

bool has_grid(const std::vector<std::vector<double>>& grids, int j) {
  return j < static_cast<int>(grids.size()) && !grids[j].empty();
}
}  // namespace

DiscreteDims discrete_dims(int d, const std::vector<std::vector<double>>& categorical,
                           const std::vector<std::vector<double>>& integer) {
  DiscreteDims dd;
  dd.kind.assign(d, DiscreteDims::Continuous);
  dd.grid.assign(d, nullptr);
  for (int j = 0; j < d; ++j) {
    if (has_grid(categorical, j)) {
      dd.grid[j] = &categorical[j];
      dd.kind[j] = DiscreteDims::Categorical;
    } else if (has_grid(integer, j)) {
      dd.grid[j] = &integer[j];
      dd.kind[j] = DiscreteDims::Integer;
    }
    dd.any = dd.any || dd.kind[j] != DiscreteDims::Continuous;
  }
  return dd;
}

AcqResult maximize_acquisition(int d, const DiscreteDims& dims, const AcqOptions& opt, const double* incumbent,
                               const AcqEvaluator& evaluate_raw, const AcqEvaluator* screen) {
  AcqResult res;
  const std::vector<int>& kind = dims.kind;
  auto snap = [&](double* x) {
    for (int j = 0; j < d; ++j)
      if (kind[j] != DiscreteDims::Continuous) x[j] = nearest_value(*dims.grid[j], x[j]);
  };
  auto evaluate = [&](int m, const double* X, double* v, double* g) {
    evaluate_raw(m, X, v, g);
    for (int a = 0; a < m; ++a) v[a] = finite_or_neg_inf(v[a]);
  };

  // 1. Raw samples.
  const int R = std::max(1, opt.raw_samples);
  // The points (R, d), their values, and the posterior's means and variances (R each).
  require_host_memory(bytes_of(static_cast<size_t>(R), static_cast<size_t>(d) + 3), "the raw samples of the acquisition search");
  std::vector<double> raw(static_cast<size_t>(R) * d), rawv(R);
  sobol_points(R, d, opt.seed, true, raw.data());
  for (int r = 0; r < R; ++r) snap(&raw[static_cast<size_t>(r) * d]);
  if (screen) {
    (*screen)(R, raw.data(), rawv.data(), nullptr);
    for (int r = 0; r < R; ++r) rawv[r] = finite_or_neg_inf(rawv[r]);
  } else {
    evaluate(R, raw.data(), rawv.data(), nullptr);
  }
  std::vector<int> order(R);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return rawv[a] > rawv[b]; });
  // A screen only ranks the raw points; the value that can be returned is the evaluator's.
  if (screen && R > 0) evaluate(1, &raw[static_cast<size_t>(order[0]) * d], &rawv[order[0]], nullptr);

  // 2. Starts: the incumbent + the best raw samples.
  const int S = std::max(1, std::min(opt.restarts, R + 1));
  std::vector<double> X0;
  X0.reserve(static_cast<size_t>(S) * d);
  if (incumbent && (S > 1 || R == 0)) {
    X0.insert(X0.end(), incumbent, incumbent + d);
    snap(&X0[0]);
  }
  for (int r = 0; static_cast<int>(X0.size()) < S * d && r < R; ++r) {
    const double* x = &raw[static_cast<size_t>(order[r]) * d];
    X0.insert(X0.end(), x, x + d);
  }
  const int K = static_cast<int>(X0.size()) / d;
  std::vector<double> LO(static_cast<size_t>(K) * d, 0.0), HI(static_cast<size_t>(K) * d, 1.0);
  for (int k = 0; k < K; ++k)
    for (int j = 0; j < d; ++j)
      if (kind[j] == DiscreteDims::Categorical)
        LO[static_cast<size_t>(k) * d + j] = HI[static_cast<size_t>(k) * d + j] = X0[static_cast<size_t>(k) * d + j];

  // 3. Batched L-BFGS-B on -acquisition.
  LbfgsbOptions lopt;
  lopt.max_iterations = opt.max_iterations;
  lopt.pgtol = 1e-6;
  lopt.ftol = 1e-10;
  lopt.fatol = 1e-7;
  auto neg = [&](int m, const double* X, double* f, double* G) {
    evaluate(m, X, f, G);
    for (int a = 0; a < m; ++a) {
      f[a] = -f[a];
      for (int j = 0; j < d; ++j) G[static_cast<size_t>(a) * d + j] = -G[static_cast<size_t>(a) * d + j];
    }
  };
  std::vector<LbfgsbResult> out = minimize_batched(neg, K, d, X0.data(), LO.data(), HI.data(), lopt);
  std::vector<double> XF(static_cast<size_t>(K) * d), VF(K);
  for (int k = 0; k < K; ++k) std::copy(out[k].x.begin(), out[k].x.end(), XF.begin() + static_cast<size_t>(k) * d);

  // 4. Rounding and greedy local enumeration over discrete dimensions.
  if (dims.any) {
    for (int k = 0; k < K; ++k) snap(&XF[static_cast<size_t>(k) * d]);
    evaluate(K, XF.data(), VF.data(), nullptr);
    for (int round = 0; round < 8; ++round) {
      std::vector<double> C;
      std::vector<int> owner;
      for (int k = 0; k < K; ++k) {
        const double* x = &XF[static_cast<size_t>(k) * d];
        for (int j = 0; j < d; ++j) {
          if (kind[j] == DiscreteDims::Continuous) continue;
          const std::vector<double>& g = *dims.grid[j];
          const int cur = index_of(g, x[j]);
          for (int i = 0; i < static_cast<int>(g.size()); ++i) {
            if (i == cur || (kind[j] == DiscreteDims::Integer && std::abs(i - cur) != 1)) continue;
            C.insert(C.end(), x, x + d);
            C[C.size() - d + j] = g[i];
            owner.push_back(k);
          }
        }
      }
      if (owner.empty()) break;
      std::vector<double> CV(owner.size());
      evaluate(static_cast<int>(owner.size()), C.data(), CV.data(), nullptr);
      bool moved = false;
      std::vector<int> best_c(K, -1);
      for (size_t c = 0; c < owner.size(); ++c) {
        const int k = owner[c];
        const double cur = best_c[k] < 0 ? VF[k] : CV[best_c[k]];
        if (CV[c] > cur + 1e-12 * std::max(1.0, std::fabs(cur))) best_c[k] = static_cast<int>(c);
      }
      for (int k = 0; k < K; ++k) {
        if (best_c[k] < 0) continue;
        std::copy(C.begin() + static_cast<size_t>(best_c[k]) * d, C.begin() + static_cast<size_t>(best_c[k] + 1) * d,
                  XF.begin() + static_cast<size_t>(k) * d);
        VF[k] = CV[best_c[k]];
        moved = true;
      }
      if (!moved) break;
    }
  } else {
    for (int k = 0; k < K; ++k) VF[k] = finite_or_neg_inf(-out[k].f);
  }

  // 5. Best of the optimised points and the best raw sample.
  int bk = 0;
  for (int k = 1; k < K; ++k)
    if (VF[k] > VF[bk]) bk = k;
  if (R > 0 && rawv[order[0]] > VF[bk]) {
    res.x.assign(raw.begin() + static_cast<size_t>(order[0]) * d, raw.begin() + static_cast<size_t>(order[0] + 1) * d);
    res.value = rawv[order[0]];
  } else {
    res.x.assign(XF.begin() + static_cast<size_t>(bk) * d, XF.begin() + static_cast<size_t>(bk + 1) * d);
    res.value = VF[bk];
  }
  if (!std::isfinite(res.value)) res.warnings.push_back("acquisition is not finite anywhere it was evaluated");
  return res;
}

AcqResult GPModel::maximize(const AcqOptions& opt) {
  if (!conditioned_) throw std::logic_error("model is not fitted");
  double best = std::isnan(opt.best) ? *std::max_element(y_.begin(), y_.end()) : opt.best;

  // Pending points: fantasies (y = opt.fantasy's value) added to a copy of the model.
  std::unique_ptr<Backend> fant;
  Backend* be = backend_.get();
  int skipped = 0;
  if (!opt.pending.empty()) {
    fant = fantasize(opt.pending, opt.fantasy, &best, &skipped);
    be = fant.get();
  }
  const DiscreteDims dims = discrete_dims(d_, cat_grids_, opt.integer_grids);
  const AcqEvaluator evaluate = [&](int m, const double* X, double* v, double* g) { acq_batch(*be, opt, best, m, X, v, g); };
  const AcqEvaluator screen = [&](int m, const double* X, double* v, double*) { acq_batch(*be, opt, best, m, X, v, nullptr, true); };
  // The incumbent start: the observed x with the largest y.
  const size_t inc = static_cast<size_t>(std::max_element(y_.begin(), y_.end()) - y_.begin());
  AcqResult res = maximize_acquisition(d_, dims, opt, &X_[inc * d_], evaluate, opt.float32_raw ? &screen : nullptr);
  res.warnings.insert(res.warnings.begin(), static_cast<size_t>(skipped), "a pending point duplicates the data; ignored");
  return res;
}

}  // namespace tunable
