// Typed errors of the CUDA backend: tunable::Error (native/core/errors.hpp) with a code, so the addon
// rejects with that code and src/native/binding.ts picks the TypeScript class from it. Messages start
// with "cuda: " and the kind, for people:
//   "cuda: unavailable: ..."     no device / no driver / libraries missing   ERR_BACKEND_UNAVAILABLE → BackendUnavailableError
//   "cuda: out of memory: ..."   cudaMalloc failed or the memory cap was hit  ERR_OUT_OF_MEMORY (device) → OutOfMemoryError
//   "cuda: error: ..."           any other failed runtime / cuBLAS / cuSOLVER call or launch   ERR_NATIVE → NativeError
#pragma once
#include <cstddef>
#include <string>

#include "../core/errors.hpp"

namespace tunable {
namespace cuda {

struct CudaError : Error {
  explicit CudaError(const std::string& m) : Error(codes::kNative, "cuda: error: " + m) {}

 protected:
  CudaError(const char* code, const std::string& full, size_t bytes = 0, bool device = false)
      : Error(code, full, bytes, device) {}
};
// bytes: the request that failed, 0 when unknown (a library's own workspace).
struct OutOfMemoryError : CudaError {
  explicit OutOfMemoryError(const std::string& m, size_t bytes = 0)
      : CudaError(codes::kOutOfMemory, "cuda: out of memory: " + m, bytes, true) {}
};
struct UnavailableError : CudaError {
  explicit UnavailableError(const std::string& m) : CudaError(codes::kUnavailable, "cuda: unavailable: " + m) {}
};
struct LibraryError : UnavailableError {
  explicit LibraryError(const std::string& m) : UnavailableError(m) {}
};

}  // namespace cuda
}  // namespace tunable
