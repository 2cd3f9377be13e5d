// Scrambled Sobol' points in [0, 1)^d (Joe & Kuo direction numbers from sobol_directions.hpp),
// randomised by a linear matrix scramble plus a digital shift (as SciPy's scramble=True), seeded.
#pragma once
#include <cstdint>
#include <vector>

namespace tunable {

// Writes m points into out (m, d) row-major. d <= kSobolMaxDims. The first point of the unscrambled
// sequence (the origin) is included, as in SciPy; scrambling moves it. Each coordinate is the centre of
// its 2^-32 cell, (x + ½)·2^-32, i.e. SciPy's value + 2^-33, so no point lies on the cube's faces.
void sobol_points(int m, int d, std::uint64_t seed, bool scramble, double* out);

}  // namespace tunable
