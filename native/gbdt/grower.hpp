// Grows one tree best-first (leaf-wise, as LightGBM and scikit-learn): the leaf whose best split
// gains most is split next, until max_leaf_nodes leaves or no leaf has a split with positive gain.
// Histograms: the smaller child's is built from its samples, the larger's is the parent's minus it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "histogram.hpp"
#include "split.hpp"

namespace tunable {
namespace gbdt {

struct GrowRules {
  int max_leaf_nodes;
  int max_depth;  // 0 = none
  int min_samples_leaf;
  double l2;
  double learning_rate;  // leaf values are −learning_rate · G / (H + λ)
  int missing_bin;
  const std::vector<int>* n_bins;  // (d)
  const std::vector<std::vector<double>>* thresholds;  // (d) the bins' upper edges
  int threads;
};

struct GrownNode {
  int feature = -1, bin = 0, left = -1, right = -1, depth = 0;
  bool missing_left = false;
  double threshold = 0, value = 0, gain = 0, G = 0, H = 0;
  std::uint32_t count = 0;
  std::size_t start = 0, end = 0;  // the node's samples: indices[start, end)
};

// Buffers reused from tree to tree (one grower per fit).
class Grower {
 public:
  Grower(const Binned& b, const GrowRules& r);
  // Grows a tree on the per-sample gradients g and hessians h (n). Afterwards each leaf's samples are
  // indices()[start, end).
  std::vector<GrownNode> grow(const double* g, const double* h);
  const std::vector<std::uint32_t>& indices() const { return indices_; }

 private:
  int take_histogram();
  void give_back(int k) { free_.push_back(k); }
  BinStats* hist(int k) { return pool_[k].data(); }
  void build(const GrownNode& node, int k, const double* g, const double* h);
  void partition(GrownNode& node, const Split& s);

  Binned b_;
  GrowRules r_;
  std::size_t hist_size_;
  std::vector<std::vector<BinStats>> pool_;
  std::vector<int> free_;
  std::vector<std::uint32_t> indices_, scratch_;  // (n)
  std::vector<double> og_, oh_;                   // (n) gradients, hessians in a node's sample order
};

}  // namespace gbdt
}  // namespace tunable
