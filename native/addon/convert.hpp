// Copies between JS values and plain C++ containers (main thread only).
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace tunable {
namespace addon {

inline std::vector<double> to_vector(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(v.Env(), std::string("native: expected a Float64Array for ") + what);
  Napi::Float64Array a = v.As<Napi::Float64Array>();
  return std::vector<double>(a.Data(), a.Data() + a.ElementLength());
}

inline Napi::Float64Array to_array(Napi::Env env, const std::vector<double>& v) {
  Napi::Float64Array a = Napi::Float64Array::New(env, v.size());
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
