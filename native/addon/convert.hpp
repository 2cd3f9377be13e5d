// Copies between JS values and plain C++ containers (main thread only). Allocations that fail throw
// OutOfMemory with their size (callers run under guarded(), errors.hpp).
#pragma once
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "errors.hpp"

namespace tunable {
namespace addon {

inline Napi::Error seam_error(Napi::Env env, const std::string& message);

inline std::vector<double> to_vector(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw seam_error(v.Env(), std::string("expected a Float64Array for `") + what + "`");
  Napi::Float64Array a = v.As<Napi::Float64Array>();
  try {
    return std::vector<double>(a.Data(), a.Data() + a.ElementLength());
  } catch (const std::bad_alloc&) {
    throw OutOfMemory(bytes_of(a.ElementLength(), 1), (std::string("a copy of ") + what).c_str());
  }
}

// A copy of a large argument in host memory recycled across calls: a fresh 80 MB allocation costs
// tens of ms of page faults on every call (1M points of d = 10), a recycled one only the memcpy.
// Buffers return to a process-wide pool when the last holder lets go (any thread); the pool keeps at
// most kPoolBytes, dropping the largest first. Small arguments are plain allocations.
class PooledArray {
 public:
  static constexpr size_t kPoolMin = size_t(1) << 17;   // doubles (1 MiB): below this, no pooling
  static constexpr size_t kPoolBytes = size_t(1) << 30;  // what the pool may keep idle

  explicit PooledArray(size_t count) : size_(count) {
    if (count >= kPoolMin) {
      std::lock_guard<std::mutex> lock(mutex());
      auto& free = pool();
      size_t best = free.size();
      for (size_t i = 0; i < free.size(); ++i)
        if (free[i].cap >= count && free[i].cap <= 2 * count && (best == free.size() || free[i].cap < free[best].cap)) best = i;
      if (best < free.size()) {
        buf_ = std::move(free[best]);
        free.erase(free.begin() + static_cast<long>(best));
        pooled_bytes() -= buf_.cap * sizeof(double);
        return;
      }
    }
    buf_.p.reset(new (std::nothrow) double[std::max<size_t>(count, 1)]);
    if (!buf_.p) throw OutOfMemory(bytes_of(count, 1), "a copy of the points");
    buf_.cap = count;
  }
  ~PooledArray() {
    if (buf_.cap < kPoolMin || buf_.cap * sizeof(double) > kPoolBytes) return;
    std::lock_guard<std::mutex> lock(mutex());
    auto& free = pool();
    pooled_bytes() += buf_.cap * sizeof(double);
    free.push_back(std::move(buf_));
    while (pooled_bytes() > kPoolBytes) {
      auto big = std::max_element(free.begin(), free.end(), [](const Buf& a, const Buf& b) { return a.cap < b.cap; });
      pooled_bytes() -= big->cap * sizeof(double);
      free.erase(big);
    }
  }
  PooledArray(const PooledArray&) = delete;
  PooledArray& operator=(const PooledArray&) = delete;
  double* data() { return buf_.p.get(); }
  const double* data() const { return buf_.p.get(); }
  size_t size() const { return size_; }

 private:
  struct Buf {
    std::unique_ptr<double[]> p;
    size_t cap = 0;
  };
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<Buf>& pool() {
    static std::vector<Buf>* v = new std::vector<Buf>();  // never destroyed: buffers may return at exit
    return *v;
  }
  static size_t& pooled_bytes() {
    static size_t b = 0;
    return b;
  }
  Buf buf_;
  size_t size_;
};

// Slices a main-thread pass over a large argument is split into (one core moves ~5–10 GB/s, the
// memory system several times that): 1 below 2^20 entries, else up to 8, one per core.
inline int host_slices(size_t count) {
  if (count < (size_t(1) << 20)) return 1;
  return static_cast<int>(std::max(1u, std::min(8u, std::thread::hardware_concurrency())));
}

// Runs body(t, b, e) over [0, count) cut into host_slices(count) slices [b, e), in parallel when
// there is more than one.
template <class Body>
void for_slices(size_t count, Body body) {
  const int slices = host_slices(count);
  RegionErrors errors;
#pragma omp parallel for num_threads(slices) schedule(static) if (slices > 1)
  for (int t = 0; t < slices; ++t) errors.run([&] { body(t, count * t / slices, count * (t + 1) / slices); });
  errors.rethrow();
}

// dst[0, count) = src[0, count), in parallel slices when large.
inline void copy_large(double* dst, const double* src, size_t count) {
  for_slices(count, [&](int, size_t b, size_t e) { std::memcpy(dst + b, src + b, (e - b) * sizeof(double)); });
}

// A pooled copy of a Float64Array argument (main thread; the worker reads the copy).
inline std::shared_ptr<PooledArray> to_pooled(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw seam_error(v.Env(), std::string("expected a Float64Array for `") + what + "`");
  Napi::Float64Array a = v.As<Napi::Float64Array>();
  auto out = std::make_shared<PooledArray>(a.ElementLength());
  copy_large(out->data(), a.Data(), a.ElementLength());
  return out;
}

// A Float64Array result made on the main thread before the worker starts, which the worker fills in
// place: a large result (1M means and variances) is then neither allocated twice nor copied at the
// end. JS cannot reach the array, so cannot detach it, until the Promise resolves; the reference is
// dropped on the main thread with the worker.
class OutArray {
 public:
  OutArray(Napi::Env env, size_t count) : size_(count) {
    Napi::Float64Array a = new_float64(env, count, "a result array");
    data_ = a.Data();
    ref_ = Napi::Persistent(a);
  }
  double* data() const { return data_; }  // (size()) — any thread, while the worker holds this
  size_t size() const { return size_; }
  Napi::Float64Array value() const { return ref_.Value(); }  // main thread

 private:
  Napi::Reference<Napi::Float64Array> ref_;
  double* data_ = nullptr;
  size_t size_;
};

inline Napi::Float64Array to_array(Napi::Env env, const std::vector<double>& v) {
  Napi::Float64Array a = new_float64(env, v.size(), "a result array");
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

inline Napi::Array to_strings(Napi::Env env, const std::vector<std::string>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::String::New(env, v[i]));
  return a;
}

// Reading the options objects TypeScript resolved (src/engine/options.ts: every default filled, every
// value checked). The seam has no defaults: a missing field, a value of the wrong type or an unknown enum
// string is refused with a coded error (ERR_INVALID_ARGUMENT) naming the field, so a TypeScript that
// forgot a field, or a stale build, fails at once instead of computing with a value nobody chose.

inline Napi::Error seam_error(Napi::Env env, const std::string& message) {
  Failure f;
  f.message = "native: " + message;
  f.code = codes::kInvalidArgument;
  return to_js_error(env, f);
}

inline const char* type_name(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    default: return v.IsTypedArray() ? "a typed array" : v.IsArray() ? "an array" : "an object";
  }
}

// The options object of argument `index` (named `what` in errors).
inline Napi::Object options_arg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsObject())
    throw seam_error(info.Env(), std::string("expected an options object for `") + what + "` but received " +
                                     (info.Length() <= index ? "nothing" : type_name(info[index])));
  return info[index].As<Napi::Object>();
}

// o[key], which must be present (not undefined).
inline Napi::Value field(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) throw seam_error(o.Env(), std::string("missing field `") + key + "`");
  return v;
}

inline Napi::Error wrong_type(const Napi::Value& v, const char* key, const char* expected) {
  return seam_error(v.Env(), std::string("expected ") + expected + " for `" + key + "` but received " + type_name(v));
}

inline double number_field(const Napi::Object& o, const char* key) {
  Napi::Value v = field(o, key);
  if (!v.IsNumber()) throw wrong_type(v, key, "a number");
  return v.As<Napi::Number>().DoubleValue();
}

// An integer in [lo, hi] (TypeScript checked the option's own range; this guards the cast).
inline int int_field(const Napi::Object& o, const char* key, double lo, double hi) {
  const double v = number_field(o, key);
  if (!(v >= lo && v <= hi) || v != std::floor(v))
    throw seam_error(o.Env(), std::string("expected an integer in [") + std::to_string(static_cast<long long>(lo)) + ", " +
                                  std::to_string(static_cast<long long>(hi)) + "] for `" + key + "` but received " +
                                  std::to_string(v));
  return static_cast<int>(v);
}

inline bool bool_field(const Napi::Object& o, const char* key) {
  Napi::Value v = field(o, key);
  if (!v.IsBoolean()) throw wrong_type(v, key, "a boolean");
  return v.As<Napi::Boolean>().Value();
}

inline std::string string_field(const Napi::Object& o, const char* key) {
  Napi::Value v = field(o, key);
  if (!v.IsString()) throw wrong_type(v, key, "a string");
  return v.As<Napi::String>().Utf8Value();
}

// A seed: an integer in [0, 2^53) (a JS safe integer).
inline std::uint64_t seed_field(const Napi::Object& o, const char* key) {
  const double s = number_field(o, key);
  if (!(s >= 0 && s <= 9007199254740991.0) || s != std::floor(s))
    throw seam_error(o.Env(), std::string("expected a safe integer >= 0 for `") + key + "` but received " + std::to_string(s));
  return static_cast<std::uint64_t>(s);
}

// An enum that crosses as a string: one of `names` (same order as `values`).
template <class E, size_t N>
E enum_field(const Napi::Object& o, const char* key, const char* const (&names)[N], const E (&values)[N]) {
  const std::string v = string_field(o, key);
  std::string list;
  for (size_t i = 0; i < N; ++i) {
    if (v == names[i]) return values[i];
    list += (i ? ", '" : "'") + std::string(names[i]) + "'";
  }
  throw seam_error(o.Env(), "unknown value '" + v + "' for `" + key + "` (expected one of " + list + ")");
}

inline std::vector<double> vector_field(const Napi::Object& o, const char* key) {
  Napi::Value v = field(o, key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) throw wrong_type(v, key, "a Float64Array");
  return to_vector(v, key);
}

// An array of d entries, each a Float64Array (a grid of values) or null (none).
inline std::vector<std::vector<double>> grids_field(const Napi::Object& o, const char* key, int d) {
  Napi::Value v = field(o, key);
  if (!v.IsArray()) throw wrong_type(v, key, "an array of Float64Array or null");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() != static_cast<uint32_t>(d))
    throw seam_error(o.Env(), std::string("expected ") + std::to_string(d) + " entries in `" + key + "` but received " +
                                  std::to_string(a.Length()));
  std::vector<std::vector<double>> out(d);
  for (uint32_t j = 0; j < a.Length(); ++j) {
    Napi::Value e = a.Get(j);
    if (e.IsNull()) continue;
    if (!e.IsTypedArray() || e.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw wrong_type(e, key, "a Float64Array or null entry");
    out[j] = to_vector(e, key);
  }
  return out;
}

}  // namespace addon
}  // namespace tunable
