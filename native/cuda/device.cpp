#include "device.hpp"

#include <mutex>

namespace tunable {
namespace cuda {

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  const std::string msg = std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it so the next call starts clean
    throw OutOfMemoryError(msg);
  }
  if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) throw UnavailableError(msg);
  throw CudaError(msg);
}

void check_blas(int status, const char* what) {
  if (status == 0) return;
  if (status == 3) throw OutOfMemoryError(std::string(what) + ": CUBLAS_STATUS_ALLOC_FAILED");
  throw CudaError(std::string(what) + ": cublasStatus " + std::to_string(status));
}

void check_solver(int status, const char* what) {
  if (status == 0) return;
  if (status == 2) throw OutOfMemoryError(std::string(what) + ": CUSOLVER_STATUS_ALLOC_FAILED");
  throw CudaError(std::string(what) + ": cusolverStatus " + std::to_string(status));
}

void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

const DeviceStatus& device_status() {
  static DeviceStatus st;
  static std::once_flag once;
  std::call_once(once, [] {
    int count = 0;
    // With the static runtime this dlopens libcuda.so.1; without a driver it returns
    // cudaErrorInsufficientDriver / cudaErrorNoDevice (no crash, no exit).
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
      st.error = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
      cudaGetLastError();
      return;
    }
    if (count <= 0) {
      st.error = "no CUDA device";
      return;
    }
    // A device that is counted but cannot host a context (exclusive/prohibited mode, a broken
    // driver) is not usable: create the primary context now rather than fail in the first model.
    const cudaError_t ctx = cudaSetDevice(0) == cudaSuccess ? cudaFree(nullptr) : cudaGetLastError();
    if (ctx != cudaSuccess) {
      st.error = std::string("device 0 does not answer: ") + cudaGetErrorName(ctx) + ": " + cudaGetErrorString(ctx);
      cudaGetLastError();
      return;
    }
    cudaDeviceProp p{};
    const cudaError_t e2 = cudaGetDeviceProperties(&p, 0);
    if (e2 != cudaSuccess) {
      st.error = std::string("cudaGetDeviceProperties: ") + cudaGetErrorString(e2);
      cudaGetLastError();
      return;
    }
    st.devices = count;
    st.name = p.name;
    st.major = p.major;
    st.minor = p.minor;
    st.memory = p.totalGlobalMem;
  });
  return st;
}

template <class T>
void DevArray<T>::release() {
  if (ptr_) {
    cudaFree(ptr_);  // never throws from a destructor; a failure here leaves nothing to recover
    if (budget_) budget_->used -= cap_ * sizeof(T);
  }
  ptr_ = nullptr;
  cap_ = 0;
}

template <class T>
void DevArray<T>::reserve(size_t count) {
  if (count <= cap_) return;
  release();
  const size_t bytes = count * sizeof(T);
  if (budget_ && budget_->cap > 0 && budget_->used + bytes > budget_->cap)
    throw OutOfMemoryError("the model's device memory cap of " + std::to_string(budget_->cap) +
                           " bytes would be exceeded (" + std::to_string(budget_->used + bytes) + " bytes)", bytes);
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it so the next call starts clean
    throw OutOfMemoryError(std::string("cudaMalloc of ") + std::to_string(bytes) + " bytes: " + cudaGetErrorName(e) + " (" +
                           cudaGetErrorString(e) + ")", bytes);
  }
  check(e, "cudaMalloc");
  ptr_ = static_cast<T*>(p);
  cap_ = count;
  if (budget_) budget_->used += bytes;
}

template <class T>
void DevArray<T>::upload(const T* host, size_t count, cudaStream_t stream) {
  reserve(count);
  if (count == 0) return;
  TUNABLE_CUDA(cudaMemcpyAsync(ptr_, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
  TUNABLE_CUDA(cudaStreamSynchronize(stream));
}

template <class T>
void DevArray<T>::download(T* host, size_t count, cudaStream_t stream) const {
  if (count == 0) return;
  TUNABLE_CUDA(cudaMemcpyAsync(host, ptr_, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
  TUNABLE_CUDA(cudaStreamSynchronize(stream));
}

template <class T>
void DevArray<T>::copy_from(const DevArray& other, size_t count, cudaStream_t stream) {
  reserve(count);
  if (count == 0) return;
  TUNABLE_CUDA(cudaMemcpyAsync(ptr_, other.ptr_, count * sizeof(T), cudaMemcpyDeviceToDevice, stream));
  TUNABLE_CUDA(cudaStreamSynchronize(stream));
}

template class DevArray<double>;
template class DevArray<int>;
template class DevArray<float>;
template class DevArray<double*>;

PinnedStage::~PinnedStage() {
  if (pending_) cudaEventSynchronize(event_);  // a copy out of it may still be queued
  if (ptr_) cudaFreeHost(ptr_);
  if (event_) cudaEventDestroy(event_);
}

double* PinnedStage::get(size_t count) {
  if (pending_) {
    TUNABLE_CUDA(cudaEventSynchronize(event_));
    pending_ = false;
  }
  if (count > cap_) {
    if (ptr_) cudaFreeHost(ptr_);
    ptr_ = nullptr;
    cap_ = 0;
    void* p = nullptr;
    TUNABLE_CUDA(cudaHostAlloc(&p, count * sizeof(double), cudaHostAllocDefault));
    ptr_ = static_cast<double*>(p);
    cap_ = count;
  }
  return ptr_;
}

void PinnedStage::mark(cudaStream_t stream) {
  if (!event_) TUNABLE_CUDA(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming));
  TUNABLE_CUDA(cudaEventRecord(event_, stream));
  pending_ = true;
}

Stream::Stream() { TUNABLE_CUDA(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
Stream::~Stream() {
  if (s_) cudaStreamDestroy(s_);
}
void Stream::sync() const { TUNABLE_CUDA(cudaStreamSynchronize(s_)); }

}  // namespace cuda
}  // namespace tunable
