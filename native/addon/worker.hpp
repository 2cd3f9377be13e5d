// A Promise-returning AsyncWorker: `exec` runs on the libuv threadpool and touches no N-API
// values (inputs were copied into plain structs on the main thread); `done` builds the JS result
// on the main thread. Every C++ exception is turned into a rejected Promise whose error carries a code
// (errors.hpp): nothing thrown in `exec` or `done` can end the process.
//
// Profiling (a model's `debug.profile` option): a worker given a label prints to stderr, when it ends,
// where its time went on the host: the arguments' conversion on the main thread (from `entry`), the wait for a pool thread,
// the computation (with any wait for the model's lock), the hop back to the main thread, and building
// the result.
#pragma once
#include <napi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>

#include "errors.hpp"

namespace tunable {
namespace addon {

using Clock = std::chrono::steady_clock;

class TaskWorker : public Napi::AsyncWorker {
 public:
  TaskWorker(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done,
             const char* label, Clock::time_point entry)
      : Napi::AsyncWorker(env, "tunable:task"),
        deferred_(Napi::Promise::Deferred::New(env)),
        exec_(std::move(exec)),
        done_(std::move(done)),
        label_(label),
        entry_(entry),
        queued_(Clock::now()) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  // Queues the worker and returns its Promise. `label` (non-null: print the host split) and `entry`
  // (when the call began) are for profiling.
  static Napi::Value Run(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done,
                         const char* label = nullptr, Clock::time_point entry = Clock::time_point()) {
    auto* w = new TaskWorker(env, std::move(exec), std::move(done), label, entry);
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }

 protected:
  void Execute() override {
    // exec_ takes the model's lock first: the lock's wait counts as computation here.
    started_ = Clock::now();
    try {
      exec_();
    } catch (...) {
      // The code travels in failure_; SetError only routes the end of the worker to OnError.
      failure_ = current_failure_or_oom();
      SetError(failure_.message);
    }
    finished_ = Clock::now();
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    try {
      const Clock::time_point t = Clock::now();
      deferred_.Resolve(done_(env));
      if (label_) report(t);
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(to_js_error(env, current_failure_or_oom()).Value());
    }
  }
  void OnError(const Napi::Error&) override {
    Napi::HandleScope scope(Env());
    deferred_.Reject(to_js_error(Env(), failure_).Value());
  }

 private:
  void report(Clock::time_point results) const {
    const auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::fprintf(stderr, "%s: arguments %.1f ms, queue %.1f ms, compute %.1f ms, back to the main thread %.1f ms, results %.1f ms\n",
                 label_, entry_ == Clock::time_point() ? 0.0 : ms(queued_ - entry_), ms(started_ - queued_),
                 ms(finished_ - started_), ms(results - finished_), ms(Clock::now() - results));
  }

  Napi::Promise::Deferred deferred_;
  Failure failure_;  // what exec_ threw (Execute → OnError)
  std::function<void()> exec_;
  std::function<Napi::Value(Napi::Env)> done_;
  const char* label_;
  Clock::time_point entry_, queued_, started_, finished_;
};

}  // namespace addon
}  // namespace tunable
