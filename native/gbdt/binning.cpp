#include "binning.hpp"

#include <algorithm>
#include <cmath>

#include "../core/errors.hpp"
#include "../core/rng.hpp"

namespace tunable {
namespace gbdt {

namespace {
// Rows the thresholds are computed from (scikit-learn's subsample of 2e5): quantiles of a larger sample
// move the edges by less than the bins' width.
constexpr std::size_t kBinningSample = 200000;

// Upper edges of the bins of one feature from its sorted non-missing values: midpoints between
// consecutive distinct values when there are at most max_bins of them, else the midpoint quantiles
// k / max_bins (k = 1 … max_bins − 1) without repeats.
std::vector<double> edges(const std::vector<double>& sorted, int max_bins) {
  std::vector<double> out;
  if (sorted.empty()) return out;
  std::vector<double> distinct;
  distinct.push_back(sorted[0]);
  for (double v : sorted)
    if (v != distinct.back()) {
      distinct.push_back(v);
      if (distinct.size() > static_cast<std::size_t>(max_bins)) break;
    }
  if (distinct.size() <= static_cast<std::size_t>(max_bins)) {
    for (std::size_t i = 0; i + 1 < distinct.size(); ++i) out.push_back(distinct[i] + (distinct[i + 1] - distinct[i]) / 2);
    return out;
  }
  const double last = static_cast<double>(sorted.size() - 1);
  for (int k = 1; k < max_bins; ++k) {
    const double pos = last * k / max_bins;
    const std::size_t lo = static_cast<std::size_t>(std::floor(pos)), hi = static_cast<std::size_t>(std::ceil(pos));
    const double e = sorted[lo] + (sorted[hi] - sorted[lo]) / 2;
    if (out.empty() || e > out.back()) out.push_back(e);
  }
  // An edge at the largest value would leave the last bin empty.
  while (!out.empty() && out.back() >= sorted.back()) out.pop_back();
  return out;
}
}  // namespace

BinMapper fit_bins(const double* X, int d, const std::vector<std::size_t>& rows, int max_bins, std::uint64_t seed, int threads) {
  std::vector<std::size_t> sample = rows;
  if (sample.size() > kBinningSample) {
    Rng rng(seed);
    for (std::size_t i = 0; i < kBinningSample; ++i) {  // partial Fisher–Yates
      const std::size_t j = i + static_cast<std::size_t>(rng.uniform() * static_cast<double>(sample.size() - i));
      std::swap(sample[i], sample[std::min(j, sample.size() - 1)]);
    }
    sample.resize(kBinningSample);
    std::sort(sample.begin(), sample.end());
  }
  BinMapper m;
  m.max_bins = max_bins;
  m.thresholds.resize(d);
  RegionErrors errors;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1 && d > 1)
  for (int j = 0; j < d; ++j)
    errors.run([&] {
      std::vector<double> col;
      col.reserve(sample.size());
      for (std::size_t r : sample) {
        const double v = X[r * d + j];
        if (!std::isnan(v)) col.push_back(v);
      }
      std::sort(col.begin(), col.end());
      m.thresholds[j] = edges(col, max_bins);
    });
  errors.rethrow();
  return m;
}

void apply_bins(const BinMapper& m, const double* X, int d, const std::vector<std::size_t>& rows, std::uint8_t* out, int threads) {
  const std::size_t n = rows.size();
  RegionErrors errors;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1 && d > 1 && n * d > 20000)
  for (int j = 0; j < d; ++j)
    errors.run([&] {
      const std::vector<double>& t = m.thresholds[j];
      std::uint8_t* col = out + static_cast<std::size_t>(j) * n;
      for (std::size_t i = 0; i < n; ++i) {
        const double v = X[rows[i] * d + j];
        col[i] = std::isnan(v) ? static_cast<std::uint8_t>(m.max_bins)
                               : static_cast<std::uint8_t>(std::lower_bound(t.begin(), t.end(), v) - t.begin());
      }
    });
  errors.rethrow();
}

}  // namespace gbdt
}  // namespace tunable
