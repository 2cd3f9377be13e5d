// The best split of a node from its histogram (as scikit-learn's Splitter): for each feature, every
// bin boundary with the missing values sent right, then (when the node has any) sent left; the gain
// of a split is G_L²/(H_L + λ) + G_R²/(H_R + λ) − G²/(H + λ), each side needing min_samples_leaf
// samples and a hessian sum of kMinHessian.
#pragma once
#include <cstdint>
#include <vector>

#include "histogram.hpp"

namespace tunable {
namespace gbdt {

struct Split {
  double gain = 0;  // > 0 for a usable split
  int feature = -1;  // -1: none
  int bin = 0;       // left: bins <= bin (and the missing bin when missing_left)
  bool missing_left = false;
  double g_left = 0, h_left = 0, g_right = 0, h_right = 0;
  std::uint32_t n_left = 0, n_right = 0;
};

struct SplitRules {
  int min_samples_leaf;
  double l2;
  int missing_bin;
  const std::vector<int>* n_bins;  // (d) non-missing bins of each feature
};

// Best split over all features of the node whose histogram is hist (d, stride) and whose sums are
// (G, H, count); feature ties go to the lower index.
Split best_split(const BinStats* hist, int d, int stride, double G, double H, std::uint32_t count, const SplitRules& r,
                 int threads);

}  // namespace gbdt
}  // namespace tunable
