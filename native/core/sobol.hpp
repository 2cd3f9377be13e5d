// Scrambled Sobol' points in [0, 1)^d (Joe & Kuo direction numbers from sobol_directions.hpp),
// randomised by a linear matrix scramble plus a digital shift (as SciPy's scramble=True), seeded.
#pragma once
#include <cstdint>
#include <vector>

namespace tunable {

// Writes m points into out (m, d) row-major. d <= kSobolMaxDims. The first point of the unscrambled
// sequence (the origin) is included, as in SciPy; scrambling moves it.
void sobol_points(int m, int d, std::uint64_t seed, bool scramble, double* out);

}  // namespace tunable
