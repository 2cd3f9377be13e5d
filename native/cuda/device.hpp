// CUDA runtime helpers of the backend: checked calls (typed errors, never exit()), the device
// probe, and device arrays allocated with plain cudaMalloc against an optional per-model cap.
#pragma once
#include <cuda_runtime_api.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "errors.hpp"

namespace tunable {
namespace cuda {

// Throws OutOfMemoryError for cudaErrorMemoryAllocation, else CudaError naming `what`.
void check(cudaError_t e, const char* what);
void check_blas(int status, const char* what);    // cublasStatus_t
void check_solver(int status, const char* what);  // cusolverStatus_t
// After a kernel launch: a launch-configuration error (cudaGetLastError).
void check_launch(const char* kernel);

#define TUNABLE_CUDA(call) ::tunable::cuda::check((call), #call)
#define TUNABLE_CUBLAS(call) ::tunable::cuda::check_blas((call), #call)
#define TUNABLE_CUSOLVER(call) ::tunable::cuda::check_solver((call), #call)

struct DeviceStatus {
  int devices = 0;        // usable devices (0 when the driver is missing or broken)
  std::string error;      // why there is none: the runtime's message (no driver, insufficient driver, ...)
  std::string name;       // device 0
  int major = 0, minor = 0;
  size_t memory = 0;      // bytes of device 0
};
// Probes once per process (cudaGetDeviceCount returns an error code without a driver; it never
// crashes). Never throws.
const DeviceStatus& device_status();

// Bytes allocated by one model and its clones, against an optional cap (0 = none).
struct Budget {
  size_t cap = 0;
  std::atomic<size_t> used{0};
};

// A device array of T with capacity; contents are not preserved by reserve().
template <class T>
class DevArray {
 public:
  explicit DevArray(std::shared_ptr<Budget> b = nullptr) : budget_(std::move(b)) {}
  DevArray(const DevArray&) = delete;
  DevArray& operator=(const DevArray&) = delete;
  ~DevArray() { release(); }
  void set_budget(std::shared_ptr<Budget> b) { budget_ = std::move(b); }
  // Ensures room for `count` elements (reallocating, contents lost, when larger).
  void reserve(size_t count);
  T* data() const { return ptr_; }
  size_t capacity() const { return cap_; }
  void release();
  void swap(DevArray& o) {
    std::swap(ptr_, o.ptr_);
    std::swap(cap_, o.cap_);
    std::swap(budget_, o.budget_);
  }
  // Host ↔ device (synchronous on `stream`).
  void upload(const T* host, size_t count, cudaStream_t stream);
  void download(T* host, size_t count, cudaStream_t stream) const;
  // A device copy of `other`'s first `count` elements.
  void copy_from(const DevArray& other, size_t count, cudaStream_t stream);

 private:
  T* ptr_ = nullptr;
  size_t cap_ = 0;
  std::shared_ptr<Budget> budget_;
};

// Page-locked host memory (cudaHostAlloc) to stage uploads from, reused across calls, with an event
// marking when the last copy out of it has run, so the host can fill it again while the device works.
class PinnedStage {
 public:
  PinnedStage() = default;
  ~PinnedStage();
  PinnedStage(const PinnedStage&) = delete;
  PinnedStage& operator=(const PinnedStage&) = delete;
  // Room for `count` doubles, once the copy out of it last marked has run (grows, contents lost).
  double* get(size_t count);
  // After enqueueing a copy out of the buffer on `stream`: the next get() waits for it.
  void mark(cudaStream_t stream);

 private:
  double* ptr_ = nullptr;
  size_t cap_ = 0;
  cudaEvent_t event_ = nullptr;
  bool pending_ = false;
};

// RAII stream of one backend.
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }
  void sync() const;

 private:
  cudaStream_t s_ = nullptr;
};

}  // namespace cuda
}  // namespace tunable
