// A Promise-returning AsyncWorker: `exec` runs on the libuv threadpool and touches no N-API
// values (inputs were copied into plain structs on the main thread); `done` builds the JS result
// on the main thread. Every C++ exception is turned into a rejected Promise.
#pragma once
#include <napi.h>

#include <exception>
#include <functional>
#include <string>

namespace tunable {
namespace addon {

class TaskWorker : public Napi::AsyncWorker {
 public:
  TaskWorker(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done)
      : Napi::AsyncWorker(env, "tunable:task"),
        deferred_(Napi::Promise::Deferred::New(env)),
        exec_(std::move(exec)),
        done_(std::move(done)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  // Queues the worker and returns its Promise.
  static Napi::Value Run(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done) {
    auto* w = new TaskWorker(env, std::move(exec), std::move(done));
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }

 protected:
  void Execute() override {
    try {
      exec_();
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("unknown native error");
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    try {
      deferred_.Resolve(done_(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, e.what()).Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> exec_;
  std::function<Napi::Value(Napi::Env)> done_;
};

}  // namespace addon
}  // namespace tunable
