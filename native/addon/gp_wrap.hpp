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
  // new GP({ X: Float64Array (n·d), y: Float64Array (n), n, d, kernel: 0|1, categorical: (d) grids,
  //          threads, backend: "cpu" })
  explicit GPWrap(const Napi::CallbackInfo& info);

 private:
  void init(const Napi::CallbackInfo& info);  // the constructor's body (under guarded())
  std::shared_ptr<GPModel> model(const Napi::Env& env) const;
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

  std::shared_ptr<GPModel> model_;
};

}  // namespace addon
}  // namespace tunable
