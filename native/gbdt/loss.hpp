// The three losses: per-sample gradients and hessians of the raw scores, the constant raw score that
// minimises the loss (the baseline), and the mean loss (what early stopping scores). Raw scores are
// (k, n) output-major; y holds targets (regression) or class labels 0..k−1.
#pragma once
#include <cstddef>
#include <vector>

#include "gbdt.hpp"

namespace tunable {
namespace gbdt {

// g, h (k, n); w (n) or nullptr.
void gradients(Task t, int k, const double* raw, const double* y, const double* w, std::size_t n, double* g, double* h,
               int threads);

std::vector<double> baseline(Task t, int k, const double* y, const double* w, std::size_t n);

// The weighted mean of: ½(raw − y)² (regression), the log-loss (binary, multiclass).
double mean_loss(Task t, int k, const double* raw, const double* y, const double* w, std::size_t n);

}  // namespace gbdt
}  // namespace tunable
