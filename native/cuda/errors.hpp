// Typed errors of the CUDA backend (all std::runtime_error, so the addon's workers reject the
// Promise with the message). Messages start with "cuda: " and a kind that src/engine maps to a
// typed TS error (see nativeCall in src/engine/gp.ts):
//   "cuda: unavailable: ..."     no device / no driver / libraries missing  → BackendUnavailableError
//   "cuda: out of memory: ..."   cudaMalloc failed or the memory cap was hit → NativeError
//   "cuda: error: ..."           any other failed runtime / cuBLAS / cuSOLVER call or launch → NativeError
#pragma once
#include <stdexcept>
#include <string>

namespace tunable {
namespace cuda {

struct CudaError : std::runtime_error {
  explicit CudaError(const std::string& m) : std::runtime_error("cuda: error: " + m) {}

 protected:
  struct Raw {};
  CudaError(Raw, const std::string& full) : std::runtime_error(full) {}
};
struct OutOfMemoryError : CudaError {
  explicit OutOfMemoryError(const std::string& m) : CudaError(Raw{}, "cuda: out of memory: " + m) {}
};
struct UnavailableError : CudaError {
  explicit UnavailableError(const std::string& m) : CudaError(Raw{}, "cuda: unavailable: " + m) {}
};
struct LibraryError : UnavailableError {
  explicit LibraryError(const std::string& m) : UnavailableError(m) {}
};

}  // namespace cuda
}  // namespace tunable
