// Acquisition functions seeking large y, as functions of the latent posterior mean μ and variance
// σ² at one point; each returns its value and the partial derivatives in μ and σ². The chain rule
// through ∂μ/∂x and ∂σ²/∂x is applied by the caller (native/core/gp.cpp).
//
//   z = (μ - best) / σ
//   LogEI = log h(z) + log σ          (stable form, Ament et al. 2023)
//   EI    = σ h(z),  h(z) = φ(z) + zΦ(z)
//   PI    = Φ(z)
//   UCB   = μ + √β σ
#pragma once
#include <cmath>

#include "hd.hpp"
#include "special.hpp"

namespace tunable {

enum class AcqType : int { LogEI = 0, EI = 1, PI = 2, UCB = 3 };

// Variances below this are clamped (a point on top of a noise-free observation).
constexpr double kMinVariance = 1e-24;
// |z| is capped here. Beyond it every value is saturated (EI 0 or ≈ σz, PI 0 or 1, LogEI ≈ −z²/2), and
// the raw formulas overflow: z², z Φ(z) = ∞ · 0, LogEI's ∂/∂σ ≈ −z²/σ. Below −kMaxAbsZ, LogEI is held
// at its value there (about −5e199 + log σ), flat in μ. Only points hopelessly far from the incumbent
// (a tiny σ) get there.
constexpr double kMaxAbsZ = 1e100;

struct AcqValue {
  double value;
  double d_mean;  // ∂value/∂μ
  double d_var;   // ∂value/∂σ²
};

TUNABLE_HD inline AcqValue acquisition_value(AcqType type, double mean, double var, double best, double beta) {
  const bool clamped = !(var > kMinVariance);
  const double v = clamped ? kMinVariance : var;
  const double sigma = std::sqrt(v);
  const double dsigma_dvar = clamped ? 0.0 : 0.5 / sigma;
  const double zr = (mean - best) / sigma;
  const bool below = zr < -kMaxAbsZ;
  const double z = below ? -kMaxAbsZ : zr > kMaxAbsZ ? kMaxAbsZ : zr;
  AcqValue out{0.0, 0.0, 0.0};
  double d_sigma = 0.0;
  switch (type) {
    case AcqType::LogEI: {
      double rho = 0.0;
      if (below) {
        out.value = log_h(z, &rho) + std::log(sigma);
        d_sigma = 1.0 / sigma;
        break;
      }
      out.value = log_h(z, &rho) + std::log(sigma);
      out.d_mean = rho / sigma;
      d_sigma = (1.0 - rho * z) / sigma;
      break;
    }
    case AcqType::EI: {
      const double Phi = norm_cdf(z);
      const double phi = norm_pdf(z);
      out.value = sigma * (phi + z * Phi);
      out.d_mean = Phi;
      d_sigma = phi;
      break;
    }
    case AcqType::PI: {
      const double phi = norm_pdf(z);
      out.value = norm_cdf(z);
      out.d_mean = phi / sigma;
      d_sigma = -phi * z / sigma;
      break;
    }
    case AcqType::UCB: {
      const double sb = std::sqrt(beta);
      out.value = mean + sb * sigma;
      out.d_mean = 1.0;
      d_sigma = sb;
      break;
    }
  }
  out.d_var = d_sigma * dsigma_dvar;
  return out;
}

// ∂a/∂x_j = ∂a/∂μ ∂μ/∂x_j + ∂a/∂σ² ∂σ²/∂x_j, saturated at ±DBL_MAX: with variances near 1e300 (fixed
// hyperparameters far from the data's scale) and a tiny σ the product overflows, and ±∞ would stop the
// optimiser's line search; the sign, all it can use there, is kept.
TUNABLE_HD inline double acquisition_gradient(const AcqValue& av, double dmean, double dvar) {
  constexpr double kMax = 1.7976931348623157e308;
  const double g = av.d_mean * dmean + av.d_var * dvar;
  return g > kMax ? kMax : g < -kMax ? -kMax : g;
}

}  // namespace tunable
