// Histogram gradient boosting (the method of scikit-learn's HistGradientBoosting* and LightGBM):
// quantile binning per feature with missing values in their own bin, gradient/hessian histograms per
// node (a child's by subtraction from its parent's), best-first growth to a number of leaves, losses
// squared error / binary log-loss / softmax (k trees per iteration), shrinkage, early stopping on a
// validation split scored by the loss.
//
// Shapes: X (n, d) row-major, NaN = missing; y (n); w (n) or empty. The model's nodes are stored
// flat, tree after tree (tree t: nodes [tree_offsets[t], tree_offsets[t + 1]), children indices local
// to their tree and always greater than their parent's); tree t predicts output t % outputs.
//
// FitParams has no defaults: TypeScript resolves every option (src/gbdt/options.ts).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tunable {
namespace gbdt {

enum class Task { Regression, Binary, Multiclass };

struct FitParams {
  Task task;
  int n_classes;            // multiclass: k >= 2 (labels 0..k-1); else ignored
  double learning_rate;
  int max_iter;
  int max_leaf_nodes;       // >= 2
  int max_depth;            // 0 = no limit
  int min_samples_leaf;     // >= 1
  double l2_regularization;
  int max_bins;             // 2..255 non-missing bins; the missing bin is max_bins
  bool early_stopping;
  double validation_fraction;  // (0, 1), when early_stopping
  int n_iter_no_change;
  double tol;
  std::uint64_t seed;
  int threads;
};

struct Model {
  int n_features = 0;
  int outputs = 1;                  // 1, or k for multiclass
  int n_iter = 0;
  std::vector<double> baseline;     // (outputs) the raw score before any tree
  std::vector<int> tree_offsets;    // (trees + 1)
  std::vector<int> feature;         // (nodes) -1 = leaf
  std::vector<double> threshold;    // (nodes) x <= threshold goes left
  std::vector<std::uint8_t> missing_left;  // (nodes) where NaN goes
  std::vector<int> left, right;     // (nodes) tree-local child indices
  std::vector<double> value;        // (nodes) leaf value (shrinkage applied); internal nodes: 0
  std::vector<double> gain;         // (nodes) split gain (internal nodes)
  std::vector<double> count;        // (nodes) training samples that reached the node
};

struct FitResult {
  Model model;
  std::vector<double> train_loss;       // (n_iter + 1) the loss before any tree, then after each iteration
  std::vector<double> validation_loss;  // (n_iter + 1) with early stopping, else empty
};

FitResult fit(const double* X, std::size_t n, int d, const double* y, const double* w, const FitParams& p);

// out (n, outputs) row-major raw scores.
void predict_raw(const Model& m, const double* X, std::size_t n, int threads, double* out);

// Checks the structure of a model that came from outside (indices in range, children after parents);
// throws std::invalid_argument naming what is wrong.
void check_model(const Model& m);

}  // namespace gbdt
}  // namespace tunable
