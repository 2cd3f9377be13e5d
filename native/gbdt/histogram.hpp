// Gradient/hessian histograms of a node: for each feature and bin, the sums of the gradients and
// hessians of the node's samples in that bin and their count. Layout (d, stride) feature-major with
// stride = max_bins + 1 (the missing bin last).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tunable {
namespace gbdt {

struct BinStats {
  double g = 0, h = 0;
  std::uint32_t n = 0;
};

// The binned training data and the per-sample statistics of the tree being grown.
struct Binned {
  const std::uint8_t* codes;  // (d, n) feature-major
  std::size_t n;
  int d;
  int stride;  // bins per feature, the missing bin (stride − 1) included
  const std::vector<int>* n_bins;  // (d) non-missing bins each feature uses: only those and the missing
                                   // bin of a histogram are written (digits uses 17 of 256)
};

// hist (d, stride) of the samples idx[0, count) (idx == nullptr: all n samples, in order). og, oh:
// (count) the gradients and hessians gathered in idx's order (for idx == nullptr: g and h themselves).
void build_histogram(const Binned& b, const std::uint32_t* idx, std::size_t count, const double* og, const double* oh,
                     BinStats* hist, int threads);

// big -= small, bin by bin over the bins in use (the sibling's histogram from its parent's).
void subtract_histogram(const Binned& b, BinStats* big, const BinStats* small);

}  // namespace gbdt
}  // namespace tunable
