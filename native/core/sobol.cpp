#include "sobol.hpp"

#include <stdexcept>

#include "rng.hpp"
#include "sobol_directions.hpp"

namespace tunable {

namespace {
constexpr int kBits = 32;

// Direction numbers v[k] (k < 32) of one dimension, left-aligned in 32 bits.
void direction_numbers(int dim, std::uint32_t* v) {
  if (dim == 0) {
    for (int k = 0; k < kBits; ++k) v[k] = 1u << (kBits - 1 - k);
    return;
  }
  const std::uint32_t p = kSobolPoly[dim];
  int s = 0;
  while ((p >> (s + 1)) != 0) ++s;  // degree = bit length - 1
  std::uint64_t m[kBits];
  for (int k = 0; k < s && k < kBits; ++k) m[k] = kSobolVinit[dim * kSobolVinitWidth + k];
  for (int k = s; k < kBits; ++k) {
    std::uint64_t nv = m[k - s];
    std::uint64_t pow2 = 1;
    for (int i = 0; i < s; ++i) {
      pow2 <<= 1;
      if ((p >> (s - 1 - i)) & 1u) nv ^= pow2 * m[k - i - 1];
    }
    m[k] = nv;
  }
  for (int k = 0; k < kBits; ++k) v[k] = static_cast<std::uint32_t>(m[k] << (kBits - 1 - k));
}
}  // namespace

void sobol_points(int m, int d, std::uint64_t seed, bool scramble, double* out) {
  if (d < 1 || d > kSobolMaxDims) throw std::invalid_argument("sobol: dimension out of range");
  Rng rng(seed ^ 0x5eed50b01ULL);
  std::vector<std::uint32_t> v(static_cast<size_t>(d) * kBits);  // (d, 32)
  std::vector<std::uint32_t> shift(d, 0u);
  for (int j = 0; j < d; ++j) {
    std::uint32_t* vj = &v[static_cast<size_t>(j) * kBits];
    direction_numbers(j, vj);
    if (!scramble) continue;
    // Linear matrix scramble: bit i (from the most significant) of each direction number becomes
    // Σ_{k<=i} M_ik · bit k, with M random lower-triangular with a unit diagonal.
    std::uint32_t rows[kBits];  // row i of M as a mask over bit positions (MSB = position 0)
    for (int i = 0; i < kBits; ++i) {
      const std::uint32_t lowerMask = i == 0 ? 0u : (~0u << (kBits - i));
      rows[i] = (rng.next_u32() & lowerMask) | (1u << (kBits - 1 - i));
    }
    for (int k = 0; k < kBits; ++k) {
      std::uint32_t nv = 0;
      for (int i = 0; i < kBits; ++i) {
        if (__builtin_parity(rows[i] & vj[k])) nv |= 1u << (kBits - 1 - i);
      }
      vj[k] = nv;
    }
    shift[j] = rng.next_u32();
  }
  std::vector<std::uint32_t> x(shift);  // current point (d), starts at the shifted origin
  const double scale = 0x1.0p-32;
  for (int i = 0; i < m; ++i) {
    if (i > 0) {
      // Gray-code order: flip the direction number of the lowest zero bit of i-1.
      const int c = __builtin_ctz(~static_cast<unsigned>(i - 1));
      if (c >= kBits) throw std::invalid_argument("sobol: too many points");
      for (int j = 0; j < d; ++j) x[j] ^= v[static_cast<size_t>(j) * kBits + c];
    }
    double* row = out + static_cast<size_t>(i) * d;
    for (int j = 0; j < d; ++j) row[j] = (static_cast<double>(x[j]) + 0.5) * scale;
  }
}

}  // namespace tunable
