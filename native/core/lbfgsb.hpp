// Batched, box-constrained limited-memory BFGS (a projected L-BFGS in the spirit of L-BFGS-B):
// every start keeps its own state (iterate, gradient, memory pairs, line search), and each round
// of the driver evaluates the trial points of all active starts in ONE batched call
// `(k × p) in → k values and (k × p) gradients out`. This is what lets a backend fill a GPU or a
// thread pool with all starts at once.
//
// Per start and iteration: variables at a bound whose gradient points outwards are held (active
// set); the two-loop recursion gives a quasi-Newton direction on the free variables (steepest
// descent when it is not a descent direction); the step is projected on the box and accepted by
// an Armijo backtracking line search along the projected path.
#pragma once
#include <functional>
#include <vector>

namespace tunable {

struct LbfgsbOptions {
  int memory = 8;
  int max_iterations = 100;
  int max_line_search = 20;
  double pgtol = 1e-6;   // stop when max |P(x - g) - x| < pgtol
  double ftol = 1e-10;   // stop when (f_old - f_new) <= ftol · max(|f_old|, |f_new|, 1)
  double fatol = 0.0;    // ... or when (f_old - f_new) <= fatol (absolute)
  // Evaluate trial points value-only (G = nullptr) and ask for gradients only where the line search
  // accepted a step; pays off when a gradient costs much more than a value (GP likelihoods).
  bool lazy_gradient = false;
  double first_step = 1.0;  // steepest-descent steps (empty memory) move at most this far in max-norm
};

enum class LbfgsbStatus : int { Running = 0, Converged = 1, MaxIterations = 2, LineSearchFailed = 3, NonFinite = 4 };

struct LbfgsbResult {
  std::vector<double> x;  // (p)
  double f = 0.0;
  int iterations = 0;
  int evaluations = 0;
  LbfgsbStatus status = LbfgsbStatus::Running;
};

// Batched objective: X (k, p) row-major → f (k), G (k, p) row-major. A non-finite f marks a point
// where the objective is undefined (the line search backs off from it).
using BatchObjective = std::function<void(int k, const double* X, double* f, double* G)>;

// Minimises from `starts` initial points x0 (starts, p) within [lo, hi] (starts, p) row-major
// (lo == hi holds a variable fixed; ±infinity allowed). Returns one result per start.
std::vector<LbfgsbResult> minimize_batched(const BatchObjective& fn, int starts, int p, const double* x0,
                                           const double* lo, const double* hi, const LbfgsbOptions& opt,
                                           int* batched_calls = nullptr);

}  // namespace tunable
