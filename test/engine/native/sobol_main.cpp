// Test harness for native/core/sobol.cpp (test/engine/native-sobol.test.ts compiles and runs it).
// Usage: sobol_main <m> <d> <seed> <scramble 0|1>  → m lines of d numbers (%.17g), the engine's points.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../../../native/core/sobol.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: sobol_main m d seed scramble\n");
    return 2;
  }
  const int m = std::atoi(argv[1]), d = std::atoi(argv[2]);
  const unsigned long long seed = std::strtoull(argv[3], nullptr, 10);
  const bool scramble = std::atoi(argv[4]) != 0;
  std::vector<double> out(static_cast<size_t>(m) * d);
  try {
    tunable::sobol_points(m, d, seed, scramble, out.data());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 3;
  }
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < d; ++j) std::printf("%.17g%c", out[static_cast<size_t>(i) * d + j], j + 1 == d ? '\n' : ' ');
  return 0;
}
