#include "loss.hpp"

#include <algorithm>
#include <cmath>

#include "../core/errors.hpp"

namespace tunable {
namespace gbdt {

namespace {
// Samples per parallel chunk of the gradient pass.
constexpr std::size_t kChunk = 4096;

inline double sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }

// log(1 + e^z) without overflow.
inline double softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

// Probabilities (k) of sample i from raw (k, n).
inline void softmax(const double* raw, std::size_t n, std::size_t i, int k, double* p) {
  double mx = raw[i];
  for (int c = 1; c < k; ++c) mx = std::max(mx, raw[c * n + i]);
  double s = 0;
  for (int c = 0; c < k; ++c) s += (p[c] = std::exp(raw[c * n + i] - mx));
  for (int c = 0; c < k; ++c) p[c] /= s;
}
}  // namespace

void gradients(Task t, int k, const double* raw, const double* y, const double* w, std::size_t n, double* g, double* h,
               int threads) {
  const long chunks = static_cast<long>((n + kChunk - 1) / kChunk);
  RegionErrors errors;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && chunks > 1)
  for (long c = 0; c < chunks; ++c)
    errors.run([&] {
      const std::size_t b = static_cast<std::size_t>(c) * kChunk, e = std::min(n, b + kChunk);
      std::vector<double> p(t == Task::Multiclass ? k : 0);
      for (std::size_t i = b; i < e; ++i) {
        const double wi = w ? w[i] : 1.0;
        if (t == Task::Regression) {
          g[i] = wi * (raw[i] - y[i]);
          h[i] = wi;
        } else if (t == Task::Binary) {
          const double q = sigmoid(raw[i]);
          g[i] = wi * (q - y[i]);
          h[i] = wi * q * (1 - q);
        } else {
          softmax(raw, n, i, k, p.data());
          const int yi = static_cast<int>(y[i]);
          for (int c2 = 0; c2 < k; ++c2) {
            g[c2 * n + i] = wi * (p[c2] - (c2 == yi ? 1.0 : 0.0));
            h[c2 * n + i] = wi * p[c2] * (1 - p[c2]);
          }
        }
      }
    });
  errors.rethrow();
}

std::vector<double> baseline(Task t, int k, const double* y, const double* w, std::size_t n) {
  double sw = 0;
  for (std::size_t i = 0; i < n; ++i) sw += w ? w[i] : 1.0;
  // Probabilities are kept inside [eps, 1 − eps] so that a class absent from y has a finite score.
  const double eps = 1e-15;
  if (t == Task::Multiclass) {
    std::vector<double> prior(k, 0.0);
    for (std::size_t i = 0; i < n; ++i) prior[static_cast<int>(y[i])] += w ? w[i] : 1.0;
    std::vector<double> out(k);
    double mean = 0;
    for (int c = 0; c < k; ++c) mean += (out[c] = std::log(std::clamp(prior[c] / sw, eps, 1 - eps))) / k;
    for (double& v : out) v -= mean;
    return out;
  }
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += (w ? w[i] : 1.0) * y[i];
  const double m = s / sw;
  if (t == Task::Regression) return {m};
  const double p = std::clamp(m, eps, 1 - eps);
  return {std::log(p / (1 - p))};
}

double mean_loss(Task t, int k, const double* raw, const double* y, const double* w, std::size_t n) {
  double s = 0, sw = 0;
  std::vector<double> p(t == Task::Multiclass ? k : 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double wi = w ? w[i] : 1.0;
    double l;
    if (t == Task::Regression) {
      const double r = raw[i] - y[i];
      l = 0.5 * r * r;
    } else if (t == Task::Binary) {
      l = softplus(raw[i]) - y[i] * raw[i];
    } else {
      double mx = raw[i];
      for (int c = 1; c < k; ++c) mx = std::max(mx, raw[c * n + i]);
      double se = 0;
      for (int c = 0; c < k; ++c) se += std::exp(raw[c * n + i] - mx);
      l = mx + std::log(se) - raw[static_cast<int>(y[i]) * n + i];
    }
    s += wi * l, sw += wi;
  }
  return sw > 0 ? s / sw : 0.0;
}

}  // namespace gbdt
}  // namespace tunable
