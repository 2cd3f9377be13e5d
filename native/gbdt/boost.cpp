// The boosting loop (fit), prediction and the check of a model that came from outside.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "../core/errors.hpp"
#include "../core/rng.hpp"
#include "binning.hpp"
#include "gbdt.hpp"
#include "grower.hpp"
#include "loss.hpp"

namespace tunable {
namespace gbdt {

namespace {
// Training and validation rows. Classification splits each class apart (stratified, as scikit-learn
// does for classifiers) so that a rare class reaches both sides.
void split_rows(const double* y, std::size_t n, const FitParams& p, std::vector<std::size_t>& train,
                std::vector<std::size_t>& val) {
  Rng rng(p.seed ^ 0x5f3759dfULL);
  const auto shuffle = [&](std::vector<std::size_t>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<std::size_t>(rng.uniform() * static_cast<double>(i))]);
  };
  std::vector<std::vector<std::size_t>> groups;
  if (p.task == Task::Regression) {
    groups.emplace_back(n);
    std::iota(groups[0].begin(), groups[0].end(), std::size_t(0));
  } else {
    groups.resize(p.task == Task::Binary ? 2 : p.n_classes);
    for (std::size_t i = 0; i < n; ++i) groups[static_cast<std::size_t>(y[i])].push_back(i);
  }
  // ceil(fraction · n) validation rows in all (TypeScript checked that both sides get some), shared
  // among the groups by largest remainder; every class keeps a training row.
  const std::size_t target = static_cast<std::size_t>(std::ceil(p.validation_fraction * static_cast<double>(n)));
  std::vector<std::size_t> take(groups.size());
  std::vector<std::pair<double, std::size_t>> rest;  // (−remainder, group): largest first, then lower index
  std::size_t taken = 0;
  for (std::size_t c = 0; c < groups.size(); ++c) {
    const double exact = p.validation_fraction * static_cast<double>(groups[c].size());
    const std::size_t cap = groups[c].empty() ? 0 : groups[c].size() - (groups.size() > 1 ? 1 : 0);
    take[c] = std::min(cap, static_cast<std::size_t>(std::floor(exact)));
    taken += take[c];
    rest.push_back({-(exact - std::floor(exact)), c});
  }
  std::sort(rest.begin(), rest.end());
  for (std::size_t pass = 0; pass < 2 && taken < target; ++pass)  // by remainder, then wherever room is left
    for (const auto& r : rest) {
      const std::size_t c = r.second;
      const std::size_t cap = groups[c].empty() ? 0 : groups[c].size() - (groups.size() > 1 ? 1 : 0);
      if (taken < target && take[c] < cap && (pass == 1 || r.first < 0)) ++take[c], ++taken;
    }
  for (std::size_t c = 0; c < groups.size(); ++c) {
    auto& grp = groups[c];
    shuffle(grp);
    val.insert(val.end(), grp.begin(), grp.begin() + static_cast<long>(take[c]));
    train.insert(train.end(), grp.begin() + static_cast<long>(take[c]), grp.end());
  }
  std::sort(train.begin(), train.end());
  std::sort(val.begin(), val.end());
  if (train.empty() || val.empty())
    throw std::invalid_argument("early stopping needs at least one training and one validation sample (n = " + std::to_string(n) + ")");
}

// scikit-learn's rule: stop when none of the last n_iter_no_change scores beats the one before them by tol.
bool should_stop(const std::vector<double>& losses, int n_iter_no_change, double tol) {
  const std::size_t ref = static_cast<std::size_t>(n_iter_no_change) + 1;
  if (losses.size() < ref) return false;
  const double reference = -losses[losses.size() - ref] + tol;
  for (std::size_t i = losses.size() - ref + 1; i < losses.size(); ++i)
    if (-losses[i] > reference) return false;
  return true;
}

std::vector<double> gather(const double* v, const std::vector<std::size_t>& rows) {
  std::vector<double> out(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) out[i] = v[rows[i]];
  return out;
}
}  // namespace

FitResult fit(const double* X, std::size_t n, int d, const double* y, const double* w, const FitParams& p) {
  const int k = p.task == Task::Multiclass ? p.n_classes : 1;
  const int threads = std::max(1, p.threads);
  std::vector<std::size_t> train, val;
  if (p.early_stopping) split_rows(y, n, p, train, val);
  else train.resize(n), std::iota(train.begin(), train.end(), std::size_t(0));
  const std::size_t nt = train.size(), nv = val.size();
  const std::vector<double> yt = gather(y, train), yv = gather(y, val);
  const std::vector<double> wt = w ? gather(w, train) : std::vector<double>(), wv = w ? gather(w, val) : std::vector<double>();
  const double* wtp = w ? wt.data() : nullptr;
  const double* wvp = w ? wv.data() : nullptr;

  const BinMapper bins = fit_bins(X, d, train, p.max_bins, p.seed, threads);
  std::vector<int> n_bins(d);
  for (int j = 0; j < d; ++j) n_bins[j] = static_cast<int>(bins.thresholds[j].size()) + 1;
  std::vector<std::uint8_t> codes(nt * d), vcodes(nv * d);  // (d, nt), (d, nv) feature-major
  apply_bins(bins, X, d, train, codes.data(), threads);
  if (nv > 0) apply_bins(bins, X, d, val, vcodes.data(), threads);

  const Binned binned{codes.data(), nt, d, p.max_bins + 1, &n_bins};
  const GrowRules rules{p.max_leaf_nodes, p.max_depth, p.min_samples_leaf, p.l2_regularization, p.learning_rate,
                        p.max_bins, &n_bins, &bins.thresholds, threads};
  Grower grower(binned, rules);

  FitResult res;
  Model& m = res.model;
  m.n_features = d;
  m.outputs = k;
  m.baseline = baseline(p.task, k, yt.data(), wtp, nt);
  m.tree_offsets.push_back(0);
  std::vector<double> raw(static_cast<std::size_t>(k) * nt), vraw(static_cast<std::size_t>(k) * nv);  // (k, nt), (k, nv)
  for (int c = 0; c < k; ++c) {
    std::fill(raw.begin() + static_cast<long>(c * nt), raw.begin() + static_cast<long>((c + 1) * nt), m.baseline[c]);
    std::fill(vraw.begin() + static_cast<long>(c * nv), vraw.begin() + static_cast<long>((c + 1) * nv), m.baseline[c]);
  }
  std::vector<double> g(raw.size()), h(raw.size());  // (k, nt)
  res.train_loss.push_back(mean_loss(p.task, k, raw.data(), yt.data(), wtp, nt));
  if (p.early_stopping) res.validation_loss.push_back(mean_loss(p.task, k, vraw.data(), yv.data(), wvp, nv));

  for (int it = 0; it < p.max_iter; ++it) {
    gradients(p.task, k, raw.data(), yt.data(), wtp, nt, g.data(), h.data(), threads);
    for (int c = 0; c < k; ++c) {
      const std::vector<GrownNode> nodes = grower.grow(g.data() + c * nt, h.data() + c * nt);
      const std::vector<std::uint32_t>& idx = grower.indices();
      double* rc = raw.data() + c * nt;
      for (const GrownNode& nd : nodes)
        if (nd.feature < 0)
          for (std::size_t i = nd.start; i < nd.end; ++i) rc[idx[i]] += nd.value;
      double* vc = vraw.data() + c * nv;
      for (std::size_t i = 0; i < nv; ++i) {
        int at = 0;
        while (nodes[at].feature >= 0) {
          const GrownNode& nd = nodes[at];
          const int b = vcodes[static_cast<std::size_t>(nd.feature) * nv + i];
          at = (b == p.max_bins ? nd.missing_left : b <= nd.bin) ? nd.left : nd.right;
        }
        vc[i] += nodes[at].value;
      }
      for (const GrownNode& nd : nodes) {
        m.feature.push_back(nd.feature);
        m.threshold.push_back(nd.feature >= 0 ? nd.threshold : 0.0);
        m.missing_left.push_back(nd.missing_left ? 1 : 0);
        m.left.push_back(nd.left);
        m.right.push_back(nd.right);
        m.value.push_back(nd.value);
        m.gain.push_back(nd.gain);
        m.count.push_back(static_cast<double>(nd.count));
      }
      m.tree_offsets.push_back(static_cast<int>(m.feature.size()));
    }
    ++m.n_iter;
    res.train_loss.push_back(mean_loss(p.task, k, raw.data(), yt.data(), wtp, nt));
    if (p.early_stopping) {
      res.validation_loss.push_back(mean_loss(p.task, k, vraw.data(), yv.data(), wvp, nv));
      if (should_stop(res.validation_loss, p.n_iter_no_change, p.tol)) break;
    }
  }
  return res;
}

void predict_raw(const Model& m, const double* X, std::size_t n, int threads, double* out) {
  const int k = m.outputs, d = m.n_features;
  const int trees = static_cast<int>(m.tree_offsets.size()) - 1;
  constexpr std::size_t kRows = 256;  // rows per chunk: the chunk's rows walk each tree while it is in cache
  const long chunks = static_cast<long>((n + kRows - 1) / kRows);
  RegionErrors errors;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && chunks > 1)
  for (long ch = 0; ch < chunks; ++ch)
    errors.run([&] {
      const std::size_t b = static_cast<std::size_t>(ch) * kRows, e = std::min(n, b + kRows);
      for (std::size_t i = b; i < e; ++i)
        for (int c = 0; c < k; ++c) out[i * k + c] = m.baseline[c];
      for (int t = 0; t < trees; ++t) {
        const int off = m.tree_offsets[t], c = t % k;
        for (std::size_t i = b; i < e; ++i) {
          const double* x = X + i * d;
          int at = off;
          while (m.feature[at] >= 0) {
            const double v = x[m.feature[at]];
            const bool left = std::isnan(v) ? m.missing_left[at] != 0 : v <= m.threshold[at];
            at = off + (left ? m.left[at] : m.right[at]);
          }
          out[i * k + c] += m.value[at];
        }
      }
    });
  errors.rethrow();
}

void check_model(const Model& m) {
  const auto bad = [](const std::string& what) { throw std::invalid_argument("gbdt model: " + what); };
  const std::size_t nodes = m.feature.size();
  if (m.outputs < 1 || static_cast<int>(m.baseline.size()) != m.outputs) bad("`baseline` needs one entry per output");
  if (m.threshold.size() != nodes || m.missing_left.size() != nodes || m.left.size() != nodes || m.right.size() != nodes ||
      m.value.size() != nodes)
    bad("the node arrays differ in length");
  if (m.tree_offsets.empty() || m.tree_offsets.front() != 0 || static_cast<std::size_t>(m.tree_offsets.back()) != nodes)
    bad("`treeOffsets` must run from 0 to the number of nodes");
  for (std::size_t t = 0; t + 1 < m.tree_offsets.size(); ++t) {
    const int b = m.tree_offsets[t], e = m.tree_offsets[t + 1];
    if (e <= b) bad("tree " + std::to_string(t) + " has no node");
    for (int i = b; i < e; ++i) {
      if (m.feature[i] < 0) continue;
      if (m.feature[i] >= m.n_features) bad("node " + std::to_string(i) + " splits on a feature outside [0, d)");
      const int l = m.left[i], r = m.right[i];
      // Children after their parent, inside the tree: every walk ends.
      if (l <= i - b || r <= i - b || l >= e - b || r >= e - b) bad("node " + std::to_string(i) + " has a child outside its tree");
    }
  }
}

}  // namespace gbdt
}  // namespace tunable
