#include "histogram.hpp"

#include <algorithm>

#include "../core/errors.hpp"

namespace tunable {
namespace gbdt {

namespace {
// Below this many (sample, feature) pairs (~0.2 ms of work) a node's histogram is built on one thread:
// a team's start and barrier cost more, and far more when the cores are busy with other work.
constexpr std::size_t kParallelMin = std::size_t(1) << 17;

template <bool Indexed>
void one_feature(const std::uint8_t* col, const std::uint32_t* idx, std::size_t count, const double* og, const double* oh,
                 BinStats* hist) {
  std::size_t i = 0;
  // Four samples per step: their loads are independent even when they share a bin.
  for (; i + 4 <= count; i += 4) {
    const std::uint8_t b0 = col[Indexed ? idx[i] : i], b1 = col[Indexed ? idx[i + 1] : i + 1];
    const std::uint8_t b2 = col[Indexed ? idx[i + 2] : i + 2], b3 = col[Indexed ? idx[i + 3] : i + 3];
    hist[b0].g += og[i], hist[b0].h += oh[i], ++hist[b0].n;
    hist[b1].g += og[i + 1], hist[b1].h += oh[i + 1], ++hist[b1].n;
    hist[b2].g += og[i + 2], hist[b2].h += oh[i + 2], ++hist[b2].n;
    hist[b3].g += og[i + 3], hist[b3].h += oh[i + 3], ++hist[b3].n;
  }
  for (; i < count; ++i) {
    const std::uint8_t b = col[Indexed ? idx[i] : i];
    hist[b].g += og[i], hist[b].h += oh[i], ++hist[b].n;
  }
}
}  // namespace

// Parallel over features: each feature's sums are taken by one thread in sample order, so the result
// does not depend on the number of threads.
void build_histogram(const Binned& b, const std::uint32_t* idx, std::size_t count, const double* og, const double* oh,
                     BinStats* hist, int threads) {
  const bool par = threads > 1 && b.d > 1 && count * static_cast<std::size_t>(b.d) >= kParallelMin;
  RegionErrors errors;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (par)
  for (int j = 0; j < b.d; ++j)
    errors.run([&] {
      BinStats* h = hist + static_cast<std::size_t>(j) * b.stride;
      std::fill(h, h + (*b.n_bins)[j], BinStats());
      h[b.stride - 1] = BinStats();
      const std::uint8_t* col = b.codes + static_cast<std::size_t>(j) * b.n;
      if (idx) one_feature<true>(col, idx, count, og, oh, h);
      else one_feature<false>(col, nullptr, count, og, oh, h);
    });
  errors.rethrow();
}

void subtract_histogram(const Binned& b, BinStats* big, const BinStats* small) {
  const auto sub = [&](std::size_t k) {
    big[k].g -= small[k].g;
    big[k].h -= small[k].h;
    big[k].n -= small[k].n;
  };
  for (int j = 0; j < b.d; ++j) {
    const std::size_t off = static_cast<std::size_t>(j) * b.stride;
    for (int k = 0; k < (*b.n_bins)[j]; ++k) sub(off + k);
    sub(off + b.stride - 1);
  }
}

}  // namespace gbdt
}  // namespace tunable
