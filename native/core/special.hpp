// Normal distribution helpers and the numerically stable log h(z) = log(φ(z) + zΦ(z)) of LogEI
// (Ament et al. 2023, "Unexpected improvements to expected improvement", eqs. 9-10; the same
// branches as BoTorch's _log_ei_helper). Scalars only.
#pragma once
#include <cmath>

#include "hd.hpp"

namespace tunable {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kLogSqrt2Pi = 0.91893853320467274178;   // c1 = log(2π)/2
constexpr double kLogSqrtHalfPi = 0.22579135264472743236;  // c2 = log(π/2)/2
constexpr double kSqrtPi = 1.77245385090551602730;
constexpr double kNegInvSqrtEps = -67108864.0;  // -1/sqrt(DBL_EPSILON)

TUNABLE_HD inline double norm_pdf(double z) { return kInvSqrt2Pi * std::exp(-0.5 * z * z); }
TUNABLE_HD inline double norm_cdf(double z) { return 0.5 * std::erfc(-z * kInvSqrt2); }

// erfcx(x) = exp(x²) erfc(x) for x >= 0.
TUNABLE_HD inline double erfcx_nonneg(double x) {
  if (x < 8.0) return std::exp(x * x) * std::erfc(x);
  // Continued fraction erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
  double f = x;
  for (int k = 48; k >= 1; --k) f = x + 0.5 * k / f;
  return 1.0 / (kSqrtPi * f);
}

// log h(z) with h(z) = φ(z) + zΦ(z), and ρ(z) = d log h / dz = Φ(z)/h(z).
TUNABLE_HD inline double log_h(double z, double* rho) {
  if (z > -1.0) {
    const double Phi = norm_cdf(z);
    const double h = norm_pdf(z) + z * Phi;
    *rho = Phi / h;
    return std::log(h);
  }
  const double log_phi = -0.5 * z * z - kLogSqrt2Pi;
  if (z < kNegInvSqrtEps) {
    // h ≈ φ(z)/z², Φ/h ≈ |z|.
    *rho = -z;
    return log_phi - 2.0 * std::log(-z);
  }
  // r = Φ/φ = √(π/2) erfcx(-z/√2); h = φ (1 - |z| r) = φ · (-expm1(w)), w = log(|z| r).
  const double ex = erfcx_nonneg(-z * kInvSqrt2);
  const double w = std::log(ex * (-z)) + kLogSqrtHalfPi;
  const double q = -std::expm1(w);
  const double r = ex * 1.25331413731550025121;  // √(π/2) erfcx
  *rho = r / q;
  return log_phi + std::log(q);
}

}  // namespace tunable
