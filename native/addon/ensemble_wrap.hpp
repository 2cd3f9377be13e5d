// The addon's calls on a weighted ensemble of GPs (core/ensemble.hpp), typed in src/native/binding.ts:
//   maximizeEnsemble(members, options) → Promise<{ x: Float64Array (d), value, warnings }>
//   predictEnsemble(members, Xc: Float64Array (m, d), d) → Promise<{ mean (m), variance (m) }>
// members: [{ gp: GP, weight: number, dims: Float64Array (gp's d) ensemble columns, pending: boolean }].
#pragma once
#include <napi.h>

namespace tunable {
namespace addon {

Napi::Value MaximizeEnsemble(const Napi::CallbackInfo& info);
Napi::Value PredictEnsemble(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tunable
