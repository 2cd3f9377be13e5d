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

inline std::vector<double> to_vector(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(v.Env(), std::string("native: expected a Float64Array for ") + what);
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
    throw Napi::TypeError::New(v.Env(), std::string("native: expected a Float64Array for ") + what);
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

inline double num(const Napi::Object& o, const char* key, double dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : dflt;
}

inline int inum(const Napi::Object& o, const char* key, int dflt) {
  return static_cast<int>(num(o, key, dflt));
}

inline std::uint64_t seed_of(const Napi::Object& o, const char* key) {
  const double s = num(o, key, 0.0);
  return std::isfinite(s) && s >= 0 ? static_cast<std::uint64_t>(s) : 0;
}

// Array of length d whose entries are Float64Array (a grid) or null/undefined (none).
inline std::vector<std::vector<double>> grids(const Napi::Value& v, int d, const char* what) {
  std::vector<std::vector<double>> out(d);
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t j = 0; j < a.Length() && static_cast<int>(j) < d; ++j) {
    Napi::Value e = a.Get(j);
    if (e.IsTypedArray()) out[j] = to_vector(e, what);
  }
  return out;
}

}  // namespace addon
}  // namespace tunable
