// The addon's histogram gradient boosting (native/gbdt), typed in src/native/binding.ts:
//   gbdtFit(X: Float64Array (n, d), y: Float64Array (n), w: Float64Array (n) or empty, options)
//     → Promise<{ nIter, baseline, treeOffsets, feature, threshold, missingLeft, left, right, value, gain,
//                 count, trainLoss, validationLoss }> (every array a Float64Array; see gbdt.hpp)
//   gbdtPredict(model, X: Float64Array (n, d), threads) → Promise<Float64Array (n, outputs)> raw scores
// options and model carry every field (src/gbdt/options.ts resolved them); a missing one is refused.
#pragma once
#include <napi.h>

namespace tunable {
namespace addon {

Napi::Value GbdtFit(const Napi::CallbackInfo& info);
Napi::Value GbdtPredict(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tunable
