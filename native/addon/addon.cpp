// Module entry of the native engine. Exports (kept small on purpose):
//   abiVersion: number                        the seam's version (kAbiVersion); the loader refuses another
//   buildSystem: "cmake-js" | "node-gyp"      which build produced this binary
//   backends(): string[]                      compute backends usable in this process, fastest first
//   cudaStatus(probeLibraries?): { compiled, available, devices, device, cublas, cusolver, reason }
//   choleskyBenchmark(n, repeats, threads): Promise<number>   seconds per Cholesky (best of repeats)
//   firstInvalid(data: Float64Array, lo, hi): number   index of the first entry that is not finite or
//                                                      outside [lo, hi], else −1 (TS builds the error)
//   tuneHostAllocator(): boolean               raises glibc malloc's mmap/trim thresholds, process-wide
//                                              (engine.tuneHostAllocator, an explicit call); false elsewhere
//   GP: class (native/addon/gp_wrap.hpp)
//   maximizeEnsemble, predictEnsemble: a weighted ensemble of GPs (native/addon/ensemble_wrap.hpp)
//   gbdtFit, gbdtPredict: histogram gradient boosting (native/addon/gbdt_wrap.hpp)
// Every function runs under guarded() and every worker rejects with a coded error (errors.hpp).
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Core>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "../cpu/linalg.hpp"
#ifdef TUNABLE_WITH_CUDA
#include "../cuda/status.hpp"
#endif
#include "convert.hpp"
#include "ensemble_wrap.hpp"
#include "errors.hpp"
#include "gbdt_wrap.hpp"
#include "gp_wrap.hpp"
#include "worker.hpp"

#ifndef TUNABLE_BUILD_SYSTEM
#define TUNABLE_BUILD_SYSTEM "unknown"
#endif

namespace tunable {
namespace addon {

// The version of the seam between this addon and src/native/binding.ts: the options objects and their
// fields, the enum strings, the results, the methods. Bump it with any change to them, together with
// ADDON_ABI_VERSION in binding.ts, whose loader refuses a build of another version (a stale build: the
// hint is to rebuild).
constexpr int kAbiVersion = 5;

namespace {
Napi::Value Backends(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Array a = Napi::Array::New(info.Env());
    uint32_t k = 0;
  #ifdef TUNABLE_WITH_CUDA
    if (cuda::status(false).available) a.Set(k++, Napi::String::New(info.Env(), "cuda"));
  #endif
    a.Set(k++, Napi::String::New(info.Env(), "cpu"));
    return a;
  });
}

// Never throws: a missing driver or library is reported in `reason`.
Napi::Value CudaStatus(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
  #ifdef TUNABLE_WITH_CUDA
    const cuda::Status s = cuda::status(info.Length() > 0 && info[0].ToBoolean().Value());
    o.Set("compiled", true);
    o.Set("available", s.available);
    o.Set("devices", s.devices);
    o.Set("device", s.device);
    o.Set("cublas", s.cublas);
    o.Set("cusolver", s.cusolver);
    o.Set("reason", s.reason);
  #else
    o.Set("compiled", false);
    o.Set("available", false);
    o.Set("devices", 0);
    o.Set("device", "");
    o.Set("cublas", "");
    o.Set("cusolver", "");
    o.Set("reason", std::string("this build (") + TUNABLE_BUILD_SYSTEM + ") has no CUDA backend: rebuild with nvcc on PATH (`npm run build:native`)");
  #endif
    return o;
  });
}

Napi::Value CholeskyBenchmark(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    // (n, repeats, threads), all required: TypeScript resolved them (engine.choleskyBenchmark).
    for (size_t i = 0; i < 3; ++i)
      if (info.Length() <= i || !info[i].IsNumber() || !(info[i].As<Napi::Number>().DoubleValue() >= 1))
        throw seam_error(info.Env(), "choleskyBenchmark(n, repeats, threads) takes three integers >= 1");
    const int n = info[0].As<Napi::Number>().Int32Value();
    const int repeats = info[1].As<Napi::Number>().Int32Value();
    const int threads = info[2].As<Napi::Number>().Int32Value();
    if (n > 20000) throw seam_error(info.Env(), "expected n <= 20000 but received " + std::to_string(n));
    auto secs = std::make_shared<double>(0.0);
    return TaskWorker::Run(
        info.Env(), [n, repeats, threads, secs] { *secs = cpu::benchmark_cholesky(n, repeats, threads); },
        [secs](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *secs); });
  });
}

// First index in [b, e) of an entry that is not finite or outside [lo, hi], else e. Blocks of 1024
// with a branch-free test (v − v is NaN unless v is finite), the exact index only in a bad block.
size_t first_invalid(const double* p, size_t b, size_t e, double lo, double hi) {
  for (size_t b0 = b; b0 < e; b0 += 1024) {
    const size_t e0 = std::min(e, b0 + 1024);
    int bad = 0;
    for (size_t k = b0; k < e0; ++k) {
      const double v = p[k];
      bad |= static_cast<int>(v - v != 0.0) | static_cast<int>(v < lo) | static_cast<int>(v > hi);
    }
    if (bad)
      for (size_t k = b0; k < e0; ++k)
        if (!(p[k] >= lo && p[k] <= hi && std::isfinite(p[k]))) return k;
  }
  return e;
}

// The scan behind TypeScript's check of large arguments (the JS loop costs ~3 ns per entry; this,
// in parallel slices, a fraction of that): TypeScript still owns the check and its error message.
Napi::Value FirstInvalid(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 3 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw seam_error(info.Env(), "firstInvalid(data: Float64Array, lo, hi)");
    Napi::Float64Array a = info[0].As<Napi::Float64Array>();
    const double lo = info[1].As<Napi::Number>().DoubleValue(), hi = info[2].As<Napi::Number>().DoubleValue();
    const double* p = a.Data();
    const size_t len = a.ElementLength();
    std::vector<size_t> first(host_slices(len), len);  // per slice: its first bad index, else len
    for_slices(len, [&](int t, size_t b, size_t e) {
      const size_t k = first_invalid(p, b, e, lo, hi);
      if (k < e) first[t] = k;
    });
    const size_t k = *std::min_element(first.begin(), first.end());
    return Napi::Number::New(info.Env(), k < len ? static_cast<double>(k) : -1.0);
  });
}

// Eigen's GEMM/SYRK allocate packing buffers of up to a few MB per call; with glibc's default
// thresholds each one is a fresh mmap that page-faults on every likelihood evaluation (~20% of the
// time at n = 500). This serves them from the heap and keeps freed memory for reuse. It changes malloc
// for the whole process, so it is applied only when the program asks (engine.tuneHostAllocator()),
// never when the addon loads.
Napi::Value TuneHostAllocator(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
#if defined(__GLIBC__)
    const bool ok = mallopt(M_MMAP_THRESHOLD, 64 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1;
    return Napi::Boolean::New(info.Env(), ok);
#else
    return Napi::Boolean::New(info.Env(), false);
#endif
  });
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // All parallelism is explicit (OpenMP regions sized by the `threads` option); Eigen's own GEMM
  // threading stays off so it never multiplies with ours or with libuv's pool. (Eigen's setting is
  // this addon's own copy of Eigen, not the process's.)
  Eigen::setNbThreads(1);
  exports.Set("abiVersion", Napi::Number::New(env, kAbiVersion));
  exports.Set("buildSystem", Napi::String::New(env, TUNABLE_BUILD_SYSTEM));
  exports.Set("backends", Napi::Function::New(env, Backends, "backends"));
  exports.Set("cudaStatus", Napi::Function::New(env, CudaStatus, "cudaStatus"));
  exports.Set("choleskyBenchmark", Napi::Function::New(env, CholeskyBenchmark, "choleskyBenchmark"));
  exports.Set("firstInvalid", Napi::Function::New(env, FirstInvalid, "firstInvalid"));
  exports.Set("tuneHostAllocator", Napi::Function::New(env, TuneHostAllocator, "tuneHostAllocator"));
  exports.Set("GP", GPWrap::Init(env));
  exports.Set("maximizeEnsemble", Napi::Function::New(env, MaximizeEnsemble, "maximizeEnsemble"));
  exports.Set("predictEnsemble", Napi::Function::New(env, PredictEnsemble, "predictEnsemble"));
  exports.Set("gbdtFit", Napi::Function::New(env, GbdtFit, "gbdtFit"));
  exports.Set("gbdtPredict", Napi::Function::New(env, GbdtPredict, "gbdtPredict"));
  return exports;
}

}  // namespace addon
}  // namespace tunable

static Napi::Object InitTunable(Napi::Env env, Napi::Object exports) { return tunable::addon::Init(env, exports); }

NODE_API_MODULE(tunable, InitTunable)
