// Stationary kernels on a scaled squared distance r² (unit output scale), and the per-dimension
// distance terms. Shapes are scalars; the batched loops live in the backends.
//
//   r²(x, x') = Σ_j s_j(x_j, x'_j) / ℓ_j²
//   s_j = (x_j - x'_j)²          continuous and integer dimensions
//   s_j = [x_j ≠ x'_j]            categorical dimensions (Hamming term)
//
// For categorical dimensions s_j is the squared Euclidean distance between one-hot codes divided
// by two, so r² stays a squared Euclidean distance of an embedding and both kernels stay positive
// definite with the Hamming term mixed in.
#pragma once
#include <cmath>

#include "hd.hpp"

namespace tunable {

enum class KernelType : int { Matern52 = 0, RBF = 1 };
enum class DimKind : int { Continuous = 0, Integer = 1, Categorical = 2 };

constexpr double kSqrt5 = 2.23606797749978969641;
// Above this u = √5 r, e^{-u} is 0 in double (the smallest subnormal is e^{-744.4}): Matérn values and
// derivatives are exactly 0 there. Capping u keeps a point at r = ∞ (far outside the data, or a
// squared distance that overflowed) at 0 instead of (1 + ∞ + ∞) · 0 = NaN.
constexpr double kMaternUMax = 800.0;
// The same cut for the RBF's e^{-r²/2}: r² = 1600.
constexpr double kRbfR2Max = 2.0 * kMaternUMax;

// k(r²) for a unit output scale.
TUNABLE_HD inline double kernel_value(KernelType type, double r2) {
  if (r2 < 0.0) r2 = 0.0;
  if (type == KernelType::RBF) return std::exp(-0.5 * r2);
  const double u = kSqrt5 * std::sqrt(r2);
  if (u > kMaternUMax) return 0.0;
  return (1.0 + u + u * u / 3.0) * std::exp(-u);
}

// k(r²) and dk/d(r²). For Matérn-5/2 dk/dr² = -(5/6)(1 + √5 r) e^{-√5 r}, finite at r = 0.
TUNABLE_HD inline void kernel_value_dr2(KernelType type, double r2, double* k, double* dk) {
  if (r2 < 0.0) r2 = 0.0;
  if (type == KernelType::RBF) {
    const double e = std::exp(-0.5 * r2);
    *k = e;
    *dk = -0.5 * e;
    return;
  }
  const double u = kSqrt5 * std::sqrt(r2);
  if (u > kMaternUMax) {
    *k = 0.0;
    *dk = 0.0;
    return;
  }
  const double e = std::exp(-u);
  *k = (1.0 + u + u * u / 3.0) * e;
  *dk = -(5.0 / 6.0) * (1.0 + u) * e;
}

// s_j(a, b) before division by ℓ_j².
TUNABLE_HD inline double dim_term(bool categorical, double a, double b) {
  if (categorical) return a == b ? 0.0 : 1.0;
  const double t = a - b;
  return t * t;
}

// ∂ s_j(a, b) / ∂a: 2(a - b) for continuous/integer dimensions, 0 for categorical ones.
TUNABLE_HD inline double dim_term_da(bool categorical, double a, double b) {
  return categorical ? 0.0 : 2.0 * (a - b);
}

}  // namespace tunable
