// Hyperparameter layout and priors of the MAP fit (documented in native/README.md).
//
// θ (p = d + 3) = [log ℓ_0 … log ℓ_{d-1}, log σ_f², log σ_n², c]
//   ℓ_j   lengthscale of dimension j (categorical dimensions: weight of the Hamming term)
//   σ_f²  output scale, σ_n² noise variance, c constant mean.
//
// Priors (densities on the constrained values, as GPyTorch evaluates them; s² = var(y), or 1 when
// y is constant or n = 1):
//   ℓ_j   ~ LogNormal(√2 + ½ log d, √3)     dimension-scaled (Hvarfner et al. 2024; BoTorch >= 0.12)
//   σ_f²  flat in log σ_f² (within its bounds): BoTorch >= 0.12 fixes no output-scale prior either (its
//         default model has no output scale on standardised y); a log-normal here kept the fit away from
//         the large output scales that near-polynomial functions want (bench/RESULTS.md, scenario C)
//   σ_n²  ~ LogNormal(log s² - 4, 1)        BoTorch >= 0.12's noise prior on standardised y
//   c     flat
#pragma once
#include <cmath>
#include <vector>

#include "hd.hpp"

namespace tunable {

constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kSqrt3 = 1.73205080756887729353;

inline int num_hyper(int d) { return d + 3; }

// θ unpacked into the values the kernel uses (every backend works from these).
struct Hyper {
  std::vector<double> w;  // (d) 1/ℓ_j²
  double sf2 = 1.0, sn2 = 1e-6, c = 0.0;
};

inline Hyper unpack_hyper(int d, const double* theta) {
  Hyper h;
  h.w.resize(d);
  for (int j = 0; j < d; ++j) h.w[j] = std::exp(-2.0 * theta[j]);
  h.sf2 = std::exp(theta[d]);
  h.sn2 = std::exp(theta[d + 1]);
  h.c = theta[d + 2];
  return h;
}

struct PriorSpec {
  double ls_loc, ls_scale;        // log-normal on ℓ
  double noise_loc, noise_scale;  // log-normal on σ_n²
};

inline PriorSpec default_priors(int d, double s2) {
  const double ls2 = std::log(s2);
  return PriorSpec{kSqrt2 + 0.5 * std::log(static_cast<double>(d)), kSqrt3, ls2 - 4.0, 1.0};
}

// log density of LogNormal(loc, scale) at exp(t), and its derivative in t.
TUNABLE_HD inline double lognormal_logpdf_logspace(double t, double loc, double scale, double* dt) {
  const double z = (t - loc) / scale;
  *dt = -1.0 - z / scale;
  return -t - std::log(scale) - 0.91893853320467274178 - 0.5 * z * z;
}

// Mode of LogNormal(loc, scale), in log space: loc - scale².
TUNABLE_HD inline double lognormal_log_mode(double loc, double scale) { return loc - scale * scale; }

// log prior at θ (p = d + 3); adds its gradient to grad when non-null.
inline double log_prior(const PriorSpec& pr, int d, const double* theta, double* grad) {
  double total = 0.0, g = 0.0;
  for (int j = 0; j < d; ++j) {
    total += lognormal_logpdf_logspace(theta[j], pr.ls_loc, pr.ls_scale, &g);
    if (grad) grad[j] += g;
  }
  // θ[d] = log σ_f²: flat.
  total += lognormal_logpdf_logspace(theta[d + 1], pr.noise_loc, pr.noise_scale, &g);
  if (grad) grad[d + 1] += g;
  return total;
}

}  // namespace tunable
