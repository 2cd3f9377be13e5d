// The JS handle of one GP model (class `GP` of the addon). Methods return Promises; the model is
// shared with in-flight workers, so dispose() while a call runs is safe.
#pragma once
#include <napi.h>

#include <memory>

#include "../core/gp.hpp"

namespace tunable {
namespace addon {

class GPWrap : public Napi::ObjectWrap<GPWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new GP({ X: Float64Array (n, d) row-major, y: Float64Array (n), n, d, kernel: 'matern52' | 'rbf',
  //          categorical: (d) grids, threads, backend: 'cpu' | 'cuda', deviceMemoryLimit (bytes, 0 = none),
  //          debug: { profile, memoryCheck, solve, solveBlock, batchMaxN, potrfBatchedMaxN } }),
  // every field required (convert.hpp); the options objects of the methods likewise.
  explicit GPWrap(const Napi::CallbackInfo& info);

  // For calls on several models (ensemble_wrap.cpp): the GPWrap behind `v` when it is an instance of this
  // class, else nullptr; the model (throws when disposed); the model's debug switches.
  static GPWrap* instance(const Napi::Value& v);
  // A maximisation's result as the object `maximize` and `maximizeEnsemble` resolve to: { x, value, warnings }.
  static Napi::Object acq_result(Napi::Env env, const AcqResult& r);
  std::shared_ptr<GPModel> model(const Napi::Env& env) const;
  bool profile() const { return profile_; }
  bool memory_check() const { return memory_check_; }

 private:
  void init(const Napi::CallbackInfo& info);  // the constructor's body (under guarded())
  Napi::Value Fit(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value Acquisition(const Napi::CallbackInfo& info);
  Napi::Value Maximize(const Napi::CallbackInfo& info);
  Napi::Value Thompson(const Napi::CallbackInfo& info);
  Napi::Value AddObservation(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value EvaluateMany(const Napi::CallbackInfo& info);
  Napi::Value SetThreads(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  // A worker's label when this model profiles its calls (debug.profile), else none (worker.hpp).
  const char* label(const char* name) const { return profile_ ? name : nullptr; }

  std::shared_ptr<GPModel> model_;
  bool profile_ = false;       // debug.profile: each call prints its host split to stderr
  bool memory_check_ = true;   // debug.memoryCheck: require_host_memory checks this model's calls
};

}  // namespace addon
}  // namespace tunable
