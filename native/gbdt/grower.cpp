#include "grower.hpp"

#include <algorithm>
#include <cfloat>
#include <numeric>
#include <queue>

#include "../core/errors.hpp"

namespace tunable {
namespace gbdt {

namespace {
struct Candidate {
  double gain;
  int node;
  Split split;
};
// Highest gain first; ties to the older node, so the order never depends on anything but the data.
struct ByGain {
  bool operator()(const Candidate& a, const Candidate& b) const { return a.gain < b.gain || (a.gain == b.gain && a.node > b.node); }
};
}  // namespace

Grower::Grower(const Binned& b, const GrowRules& r)
    : b_(b), r_(r), hist_size_(static_cast<std::size_t>(b.d) * b.stride), indices_(b.n), scratch_(b.n), og_(b.n), oh_(b.n) {}

int Grower::take_histogram() {
  if (!free_.empty()) {
    const int k = free_.back();
    free_.pop_back();
    return k;
  }
  pool_.emplace_back(hist_size_);
  return static_cast<int>(pool_.size()) - 1;
}

// The histogram of `node`'s samples into pool entry k (the root's straight from g and h).
void Grower::build(const GrownNode& node, int k, const double* g, const double* h) {
  const std::size_t count = node.end - node.start;
  if (count == b_.n) {
    build_histogram(b_, nullptr, count, g, h, hist(k), r_.threads);
    return;
  }
  const std::uint32_t* idx = indices_.data() + node.start;
  for (std::size_t i = 0; i < count; ++i) og_[i] = g[idx[i]], oh_[i] = h[idx[i]];
  build_histogram(b_, idx, count, og_.data(), oh_.data(), hist(k), r_.threads);
}

// Stable partition of the node's samples: left first, then right.
void Grower::partition(GrownNode& node, const Split& s) {
  const std::uint8_t* col = b_.codes + static_cast<std::size_t>(s.feature) * b_.n;
  std::uint32_t* idx = indices_.data();
  std::size_t l = node.start, r = 0;
  for (std::size_t i = node.start; i < node.end; ++i) {
    const std::uint32_t k = idx[i];
    const int bin = col[k];
    const bool left = bin == r_.missing_bin ? s.missing_left : bin <= s.bin;
    if (left) idx[l++] = k;
    else scratch_[r++] = k;
  }
  std::copy(scratch_.begin(), scratch_.begin() + static_cast<long>(r), idx + l);
}

std::vector<GrownNode> Grower::grow(const double* g, const double* h) {
  std::iota(indices_.begin(), indices_.end(), 0u);
  free_.clear();
  for (int k = 0; k < static_cast<int>(pool_.size()); ++k) free_.push_back(k);
  const SplitRules rules{r_.min_samples_leaf, r_.l2, r_.missing_bin, r_.n_bins};

  std::vector<GrownNode> nodes(1);
  std::vector<int> node_hist(1, -1);
  GrownNode& root = nodes[0];
  root.start = 0, root.end = b_.n, root.count = static_cast<std::uint32_t>(b_.n);
  node_hist[0] = take_histogram();
  build(root, node_hist[0], g, h);
  {
    const BinStats* h0 = hist(node_hist[0]);  // feature 0's bins hold every sample once
    for (int k = 0; k < (*b_.n_bins)[0]; ++k) root.G += h0[k].g, root.H += h0[k].h;
    root.G += h0[b_.stride - 1].g, root.H += h0[b_.stride - 1].h;
  }
  std::priority_queue<Candidate, std::vector<Candidate>, ByGain> heap;
  const auto splittable = [&](const GrownNode& nd) {
    return nd.count >= 2u * static_cast<std::uint32_t>(r_.min_samples_leaf) && (r_.max_depth == 0 || nd.depth < r_.max_depth);
  };
  const auto consider = [&](int i) {
    const GrownNode& nd = nodes[i];
    const Split s = best_split(hist(node_hist[i]), b_.d, b_.stride, nd.G, nd.H, nd.count, rules, r_.threads);
    if (s.feature >= 0 && s.gain > 0) heap.push({s.gain, i, s});
    else give_back(node_hist[i]), node_hist[i] = -1;
  };
  if (splittable(root) && r_.max_leaf_nodes > 1) consider(0);
  else give_back(node_hist[0]), node_hist[0] = -1;

  int leaves = 1;
  while (!heap.empty() && leaves < r_.max_leaf_nodes) {
    const Candidate c = heap.top();
    heap.pop();
    const Split& s = c.split;
    partition(nodes[c.node], s);
    GrownNode L, R;
    const GrownNode& P = nodes[c.node];
    L.depth = R.depth = P.depth + 1;
    L.start = P.start, L.end = P.start + s.n_left, R.start = L.end, R.end = P.end;
    L.G = s.g_left, L.H = s.h_left, L.count = s.n_left;
    R.G = s.g_right, R.H = s.h_right, R.count = s.n_right;
    const int li = static_cast<int>(nodes.size()), ri = li + 1;
    {
      GrownNode& p = nodes[c.node];
      p.feature = s.feature, p.bin = s.bin, p.missing_left = s.missing_left, p.gain = s.gain;
      const std::vector<double>& t = (*r_.thresholds)[s.feature];
      // bin = m − 1 (every non-missing value left): any number goes left.
      p.threshold = s.bin < static_cast<int>(t.size()) ? t[s.bin] : DBL_MAX;
      p.left = li, p.right = ri;
    }
    nodes.push_back(L);
    nodes.push_back(R);
    node_hist.push_back(-1);
    node_hist.push_back(-1);
    ++leaves;
    const int parent_hist = node_hist[c.node];
    node_hist[c.node] = -1;
    const bool split_l = splittable(nodes[li]) && leaves < r_.max_leaf_nodes;
    const bool split_r = splittable(nodes[ri]) && leaves < r_.max_leaf_nodes;
    if (!split_l && !split_r) {
      give_back(parent_hist);
      continue;
    }
    // The smaller child from its samples, the larger by subtraction in the parent's buffer.
    const bool left_small = nodes[li].count <= nodes[ri].count;
    const int small = left_small ? li : ri, big = left_small ? ri : li;
    const int hs = take_histogram();
    build(nodes[small], hs, g, h);
    subtract_histogram(b_, hist(parent_hist), hist(hs));
    node_hist[small] = hs, node_hist[big] = parent_hist;
    for (int i : {li, ri}) {
      if ((i == li ? split_l : split_r)) consider(i);
      else give_back(node_hist[i]), node_hist[i] = -1;
    }
  }
  for (GrownNode& nd : nodes)
    if (nd.feature < 0) nd.value = -r_.learning_rate * nd.G / (nd.H + r_.l2 + DBL_EPSILON);
  return nodes;
}

}  // namespace gbdt
}  // namespace tunable
