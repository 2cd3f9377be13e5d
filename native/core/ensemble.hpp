// A weighted ensemble of fitted GPs over the ensemble's columns [0, 1]^d, as ranking-weighted GP
// ensembles use it for transfer learning (RGPE, Feurer, Letham & Bakshy 2018): member i models the
// columns dims_i of x, and the ensemble's posterior is
//
//   μ(x) = Σ_i w_i μ_i(x[dims_i]),   σ²(x) = Σ_i w_i² σ_i²(x[dims_i])
//
// (the members' posteriors treated as independent). Its acquisition (core/acquisition.hpp on μ, σ²) is
// maximised by the search GPModel::maximize uses (core/maximize.hpp).
#pragma once
#include <memory>
#include <vector>

#include "gp.hpp"

namespace tunable {

struct EnsembleMember {
  GPModel* model = nullptr;  // fitted; the caller holds its mutex for the whole call
  double weight = 0.0;       // >= 0, used as given (not normalised)
  std::vector<int> dims;     // (model->d()) the ensemble column of each of the member's columns
  bool pending = false;      // the pending points are fantasised in this member (at most one)
};

struct EnsembleOptions {
  // type, best (required unless UCB), beta, pending (q, d) in ensemble columns, raw_samples, restarts,
  // seed, max_iterations, integer_grids (d); fantasy and float32_raw are not read.
  AcqOptions acq;
  std::vector<std::vector<double>> categorical_grids;  // (d) sorted choice values; empty = not categorical
  std::vector<double> incumbent;                       // (d) an extra start, or empty = none
};

class Ensemble {
 public:
  // Members of weight 0 are dropped (they add nothing). Throws when a member is not fitted.
  Ensemble(const std::vector<EnsembleMember>& members, int d);

  // Kriging-believer fantasies of pending (q, d) (ensemble columns) in the pending member (if any);
  // returns how many points its factor rejected (a point on top of its data).
  int fantasize(const std::vector<double>& pending);

  // mean, var (m) at X (m, d); dmean, dvar (m, d) or both nullptr.
  void posterior(int m, const double* X, double* mean, double* var, double* dmean, double* dvar);
  // Acquisition values (m) and, when grad is non-null, gradients in x (m, d), incumbent `best`.
  void acquisition(AcqType type, double best, double beta, int m, const double* X, double* value, double* grad);

 private:
  struct Member {
    GPModel* model;
    double weight;
    std::vector<int> dims;
    bool pending;
    std::unique_ptr<Backend> fantasised;  // the model with the pending points, once fantasize() ran
  };
  std::vector<Member> members_;
  int d_;
};

// Posterior mean and variance (m) of the ensemble at X (m, d).
void predict_ensemble(const std::vector<EnsembleMember>& members, int d, int m, const double* X, double* mean, double* var);

// The ensemble's acquisition maximised over [0, 1]^d (core/maximize.hpp). Pending points: kriging-believer
// fantasies in the pending member, and, as for one model, each counts as an observation at the ensemble's
// mean there (best = max(best, μ(p))).
AcqResult maximize_ensemble(const std::vector<EnsembleMember>& members, int d, const EnsembleOptions& opt);

}  // namespace tunable
