// What it fakes: the CUDA runtime API calls native/cuda makes (cudaMalloc/Free, cudaMemcpy[2D]Async,
// streams, device queries), with "device" memory that is ordinary host memory.
// Why: no GPU in CI. It also checks what a real device would only corrupt silently: every copy's device
// side must lie inside one live allocation and its host side must not be device memory (direction),
// new allocations are filled with 0xFF bytes (NaN as double/float) so reads of never-written device
// memory poison results, and allocations are counted so main.cpp can assert that everything is freed.
// Streams are synchronous; errors are never reported (cudaGetLastError is always cudaSuccess).
#include <cuda_runtime_api.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include "fake.hpp"

namespace fake {
std::map<const char*, size_t> allocs;  // device allocations: start -> size
size_t live_bytes = 0, peak_bytes = 0;
long n_malloc = 0, n_free = 0;
long streams_live = 0;
long pinned_live = 0;
long events_live = 0;
[[noreturn]] void die(const char* m) {
  std::fprintf(stderr, "FAKE CUDA ERROR: %s\n", m);
  std::abort();
}
// Bytes from p to the end of its device allocation, or -1 when p is not device memory.
long long dev_room(const void* p) {
  const char* c = static_cast<const char*>(p);
  auto it = allocs.upper_bound(c);
  if (it == allocs.begin()) return -1;
  --it;
  if (c >= it->first && c < it->first + it->second) return (it->first + it->second) - c;
  if (c == it->first + it->second && it->second == 0) return 0;
  return -1;
}
void need_dev(const void* p, size_t bytes, const char* what) {
  if (bytes == 0) return;
  const long long r = dev_room(p);
  if (r < 0) {
    std::fprintf(stderr, "%s: %p is not device memory\n", what, p);
    die("host pointer passed as device pointer");
  }
  if (static_cast<size_t>(r) < bytes) {
    std::fprintf(stderr, "%s: %zu bytes needed, %lld available\n", what, bytes, r);
    die("device access out of bounds");
  }
}
void need_host(const void* p, const char* what) {
  if (dev_room(p) >= 0) {
    std::fprintf(stderr, "%s: %p\n", what, p);
    die("device pointer passed as host pointer");
  }
}
}  // namespace fake
using namespace fake;

extern "C" {
cudaError_t cudaMalloc(void** p, size_t n) {
  char* q = static_cast<char*>(std::malloc(n ? n : 1));
  std::memset(q, 0xFF, n);  // NaN pattern: uninitialised reads show up as NaN
  allocs[q] = n;
  live_bytes += n;
  if (live_bytes > peak_bytes) peak_bytes = live_bytes;
  ++n_malloc;
  *p = q;
  return cudaSuccess;
}
cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  auto it = allocs.find(static_cast<char*>(p));
  if (it == allocs.end()) die("cudaFree of a non-allocation");
  live_bytes -= it->second;
  allocs.erase(it);
  std::free(p);
  ++n_free;
  return cudaSuccess;
}
static void copy_check(void* dst, const void* src, size_t bytes, cudaMemcpyKind k) {
  switch (k) {
    case cudaMemcpyHostToDevice: need_dev(dst, bytes, "H2D dst"); need_host(src, "H2D src"); break;
    case cudaMemcpyDeviceToHost: need_dev(src, bytes, "D2H src"); need_host(dst, "D2H dst"); break;
    case cudaMemcpyDeviceToDevice: need_dev(src, bytes, "D2D src"); need_dev(dst, bytes, "D2D dst"); break;
    default: die("memcpy kind");
  }
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind k, cudaStream_t) {
  copy_check(dst, src, bytes, k);
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind k, cudaStream_t) {
  if (dpitch < width || spitch < width) return cudaErrorInvalidPitchValue;
  for (size_t r = 0; r < height; ++r) {
    char* d = static_cast<char*>(dst) + r * dpitch;
    const char* s = static_cast<const char*>(src) + r * spitch;
    copy_check(d, s, width, k);
    std::memmove(d, s, width);
  }
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned int) {
  *s = reinterpret_cast<cudaStream_t>(new int(0));
  ++streams_live;
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete reinterpret_cast<int*>(s);
  --streams_live;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
// Page-locked host memory is plain host memory here (need_host accepts it); events complete at once,
// as every call of this runtime does.
cudaError_t cudaHostAlloc(void** p, size_t n, unsigned int) {
  *p = std::malloc(n ? n : 1);
  ++pinned_live;
  return cudaSuccess;
}
cudaError_t cudaFreeHost(void* p) {
  if (!p) return cudaSuccess;
  if (dev_room(p) >= 0) die("cudaFreeHost of device memory");
  std::free(p);
  --pinned_live;
  return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned int) {
  *e = reinterpret_cast<cudaEvent_t>(new int(0));
  ++events_live;
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete reinterpret_cast<int*>(e);
  --events_live;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) { return e ? cudaSuccess : cudaErrorInvalidResourceHandle; }
cudaError_t cudaEventSynchronize(cudaEvent_t e) { return e ? cudaSuccess : cudaErrorInvalidResourceHandle; }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t a, cudaEvent_t b) {
  if (!a || !b) return cudaErrorInvalidResourceHandle;
  *ms = 0.0f;  // every call of this runtime completes at once
  return cudaSuccess;
}
cudaError_t cudaGetLastError(void) { return cudaSuccess; }
const char* cudaGetErrorName(cudaError_t) { return "cudaErrorFake"; }
const char* cudaGetErrorString(cudaError_t) { return "fake error"; }
cudaError_t cudaGetDeviceCount(int* c) {
  *c = 1;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int) { return cudaSuccess; }
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::memset(p, 0, sizeof *p);
  std::strcpy(p->name, "emulated");
  p->major = 9;
  p->totalGlobalMem = size_t(1) << 36;
  return cudaSuccess;
}
}
