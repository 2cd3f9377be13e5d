// Shared state of the fake CUDA runtime (fakecuda.cpp) and fake cuBLAS/cuSOLVER (fakeblas.cpp): checks that
// a pointer is (or is not) fake device memory, and the counters main.cpp reports (leaks show up there).
#pragma once
#include <cstddef>
namespace fake {
void need_dev(const void* p, size_t bytes, const char* what);  // p..p+bytes lies in one device allocation
void need_host(const void* p, const char* what);               // p is not device memory
[[noreturn]] void die(const char* m);
extern size_t live_bytes, peak_bytes;
extern long n_malloc, n_free;
extern long handles_live;  // cuBLAS + cuSOLVER handles
extern long streams_live;
extern long pinned_live;  // cudaHostAlloc'd buffers not yet freed
extern long events_live;
extern bool potrf_batched_nan;  // fault injection: potrfBatched's first factor NaN with info 0
}  // namespace fake
