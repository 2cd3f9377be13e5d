#include "split.hpp"

#include "../core/errors.hpp"

namespace tunable {
namespace gbdt {

namespace {
// scikit-learn's min_hessian_to_split: a side whose hessians sum to less has no reliable leaf value.
constexpr double kMinHessian = 1e-3;

// A feature's scan is ~1 µs: below this many bins in all, one thread (a team's start and barrier cost
// more, and far more on a machine whose cores are busy with other work).
constexpr long kParallelBins = 1L << 16;

inline double score(double g, double h, double l2) { return g * g / (h + l2); }

void consider(Split& best, int j, int bin, bool missing_left, double gl, double hl, std::uint32_t nl, double G, double H,
              std::uint32_t count, double parent, const SplitRules& r) {
  const std::uint32_t nr = count - nl;
  if (nl < static_cast<std::uint32_t>(r.min_samples_leaf) || nr < static_cast<std::uint32_t>(r.min_samples_leaf)) return;
  const double gr = G - gl, hr = H - hl;
  if (hl < kMinHessian || hr < kMinHessian) return;
  const double gain = score(gl, hl, r.l2) + score(gr, hr, r.l2) - parent;
  if (gain > best.gain) {
    best.gain = gain;
    best.feature = j;
    best.bin = bin;
    best.missing_left = missing_left;
    best.g_left = gl, best.h_left = hl, best.n_left = nl;
    best.g_right = gr, best.h_right = hr, best.n_right = nr;
  }
}

Split feature_split(const BinStats* h, int j, double G, double H, std::uint32_t count, const SplitRules& r) {
  Split best;
  const double parent = score(G, H, r.l2);
  const int m = (*r.n_bins)[j];
  const BinStats& miss = h[r.missing_bin];
  const bool has_missing = miss.n > 0;
  // Missing values right: left = bins 0..b. With missing values, b = m − 1 (every non-missing left) too.
  double gl = 0, hl = 0;
  std::uint32_t nl = 0;
  for (int b = 0; b < m - 1 + (has_missing ? 1 : 0); ++b) {
    gl += h[b].g, hl += h[b].h, nl += h[b].n;
    consider(best, j, b, false, gl, hl, nl, G, H, count, parent, r);
  }
  if (has_missing) {  // missing values left: left = bins 0..b and the missing bin
    double gr = 0, hr = 0;
    std::uint32_t nr = 0;
    for (int b = m - 2; b >= 0; --b) {
      gr += h[b + 1].g, hr += h[b + 1].h, nr += h[b + 1].n;
      consider(best, j, b, true, G - gr, H - hr, count - nr, G, H, count, parent, r);
    }
  } else if (best.feature >= 0) {
    // No missing value here: at prediction they follow the larger side (scikit-learn's rule).
    best.missing_left = best.n_left > best.n_right;
  }
  return best;
}
}  // namespace

Split best_split(const BinStats* hist, int d, int stride, double G, double H, std::uint32_t count, const SplitRules& r,
                 int threads) {
  std::vector<Split> per(d);
  RegionErrors errors;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && static_cast<long>(d) * stride >= kParallelBins)
  for (int j = 0; j < d; ++j) errors.run([&] { per[j] = feature_split(hist + static_cast<std::size_t>(j) * stride, j, G, H, count, r); });
  errors.rethrow();
  Split best;
  for (const Split& s : per)
    if (s.feature >= 0 && s.gain > best.gain) best = s;
  return best;
}

}  // namespace gbdt
}  // namespace tunable
