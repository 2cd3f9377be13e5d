// C++ exceptions → JS errors with a code (native/core/errors.hpp lists the codes). Every entry point
// of the addon goes through here: workers (worker.hpp) on the main thread once they end, synchronous
// entry points through guarded(). The JS error carries
//   code    'ERR_OUT_OF_MEMORY' | 'ERR_NUMERICAL' | 'ERR_BACKEND_UNAVAILABLE' | 'ERR_NATIVE'
//   bytes   out of memory: the size of the request that failed (absent when unknown)
//   memory  out of memory: 'host' or 'device'
// and src/native/binding.ts maps the code to a TunableError class. A C++ exception that reached N-API
// itself would end the process (node-addon-api passes on only Napi::Error), and so would a V8 array
// buffer it cannot allocate: new_float64 asks malloc first.
#pragma once
#include <napi.h>

#include <cstdlib>
#include <exception>
#include <new>
#include <string>

#include "../core/errors.hpp"

namespace tunable {
namespace addon {

struct Failure {
  std::string message;
  const char* code = codes::kNative;
  size_t bytes = 0;  // 0 = unknown
  bool memory = false, device = false;
};

// The exception being handled, classified. Call only inside a catch block.
inline Failure current_failure() {
  Failure f;
  try {
    throw;
  } catch (const OutOfMemory& e) {
    f.message = e.what();
    f.code = codes::kOutOfMemory;
    f.bytes = e.bytes();
    f.memory = true;
  } catch (const Error& e) {
    f.message = e.what();
    f.code = e.code();
    f.bytes = e.bytes();
    f.memory = f.code == codes::kOutOfMemory;
    f.device = e.device();
  } catch (const std::bad_alloc& e) {
    f.message = std::string("out of memory: an allocation failed (") + e.what() + ")";
    f.code = codes::kOutOfMemory;
    f.memory = true;
  } catch (const std::exception& e) {
    f.message = e.what();
  } catch (...) {
    f.message = "unknown native error";
  }
  return f;
}

// current_failure(), and if describing it fails too (no memory left for the message), a bare
// out-of-memory failure whose message fits the string's inline buffer.
inline Failure current_failure_or_oom() noexcept {
  try {
    return current_failure();
  } catch (...) {
    Failure f;
    try {
      f.message = "out of memory";
    } catch (...) {
    }
    f.code = codes::kOutOfMemory;
    f.memory = true;
    return f;
  }
}

inline Napi::Error to_js_error(Napi::Env env, const Failure& f) {
  Napi::Error e = Napi::Error::New(env, f.message);
  Napi::Object o = e.Value();
  o.Set("code", Napi::String::New(env, f.code));
  if (f.memory) {
    if (f.bytes > 0) o.Set("bytes", Napi::Number::New(env, static_cast<double>(f.bytes)));
    o.Set("memory", Napi::String::New(env, f.device ? "device" : "host"));
  }
  return e;
}

// Runs a synchronous entry point's body; any C++ exception but a Napi::Error (already a JS error)
// becomes a coded JS error instead of reaching N-API.
template <class F>
auto guarded(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw to_js_error(env, current_failure_or_oom());
  }
}

// A Float64Array of `count` entries. V8 ends the process when it cannot allocate an array buffer's
// memory, so a large one (≥ 1 MiB) is first asked of malloc, whose refusal is an OutOfMemory here;
// the probe is freed at once (its pages are never touched).
inline Napi::Float64Array new_float64(Napi::Env env, size_t count, const char* what) {
  const size_t bytes = bytes_of(count, 1);
  if (bytes >= (size_t(1) << 20)) {
    void* p = std::malloc(bytes);
    if (p == nullptr) throw OutOfMemory(bytes, what);
    std::free(p);
  }
  return Napi::Float64Array::New(env, count);
}

}  // namespace addon
}  // namespace tunable
