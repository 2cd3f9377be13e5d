// Quantile binning of the features (as scikit-learn's _BinMapper): per feature at most max_bins
// non-missing bins whose upper edges are the thresholds; bin b holds thresholds[b-1] < x <= thresholds[b];
// NaN goes to the missing bin (index max_bins).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tunable {
namespace gbdt {

struct BinMapper {
  int max_bins = 0;                              // = the missing bin's index
  std::vector<std::vector<double>> thresholds;   // (d) ascending; feature j has thresholds[j].size() + 1 bins
};

// Thresholds from the rows `rows` of X (n, d) row-major; at most kBinningSample of them (seeded subsample).
BinMapper fit_bins(const double* X, int d, const std::vector<std::size_t>& rows, int max_bins, std::uint64_t seed, int threads);

// out (d, rows.size()) feature-major bin codes of the rows `rows` of X.
void apply_bins(const BinMapper& m, const double* X, int d, const std::vector<std::size_t>& rows, std::uint8_t* out, int threads);

}  // namespace gbdt
}  // namespace tunable
