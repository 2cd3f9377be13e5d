// The acquisition search shared by GPModel::maximize (one model) and maximize_ensemble (a weighted
// ensemble of models, core/ensemble.hpp): whatever is maximised is reached only through an evaluator,
// so the raw samples, the starts, the batched L-BFGS-B and the discrete enumeration exist once.
#pragma once
#include <functional>
#include <vector>

#include "gp.hpp"

namespace tunable {

// Acquisition values (m) at X (m, d) row-major and, when G is non-null, their gradients in x (m, d).
// A non-finite value marks a point where the acquisition is undefined (scored as −∞).
using AcqEvaluator = std::function<void(int m, const double* X, double* value, double* G)>;

// The discrete structure of [0, 1]^d: per dimension its kind and its sorted allowed values.
struct DiscreteDims {
  enum Kind : int { Continuous = 0, Integer = 1, Categorical = 2 };
  std::vector<int> kind;                         // (d)
  std::vector<const std::vector<double>*> grid;  // (d) the allowed values; null where continuous
  bool any = false;                              // some dimension is not continuous
};

// categorical, integer: (d) grids each (or shorter / empty entries = none). A categorical grid wins over
// an integer one (TypeScript refuses both on one dimension). The grids must outlive the result.
DiscreteDims discrete_dims(int d, const std::vector<std::vector<double>>& categorical,
                           const std::vector<std::vector<double>>& integer);

// Maximises `evaluate` over [0, 1]^d (native/README.md, "Maximisation"): opt.raw_samples scrambled-Sobol'
// points (seed opt.seed) snapped to the grids and scored in one call (by `screen` when given: values only,
// e.g. float32; the best raw point is then re-scored by `evaluate`), starts = `incumbent` (d, snapped;
// null = none) and the best raw points, opt.restarts in all, batched L-BFGS-B with ≤ opt.max_iterations
// per start (categorical dimensions held at the start's choice, integer ones relaxed), then rounding and
// a greedy enumeration of integer neighbours and other categorical choices (≤ 8 rounds). Reads only
// raw_samples, restarts, seed and max_iterations of opt.
AcqResult maximize_acquisition(int d, const DiscreteDims& dims, const AcqOptions& opt, const double* incumbent,
                               const AcqEvaluator& evaluate, const AcqEvaluator* screen = nullptr);

}  // namespace tunable
