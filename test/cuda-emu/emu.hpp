// What it fakes: the CUDA *device language* used by native/cuda/kernels.cu (__global__, __shared__,
// threadIdx/blockIdx/blockDim/gridDim, __syncthreads, __shfl_down_sync, kernel<<<...>>> launches).
// Why: this project's CI has the CUDA headers but no GPU, so the real kernels are compiled as plain C++
// (after build.ts rewrites each launch into ::emu::launch) and run on the CPU, one thread at a time.
// Kernels that use a barrier or a shuffle run every thread of a block as a coroutine, so barrier and
// warp-shuffle semantics are real (a divergent barrier is a reported deadlock, not a silent pass).
#pragma once
#include <cuda_runtime_api.h>  // dim3, cudaStream_t (the host API itself is faked in fakecuda.cpp)

#include <cmath>
#include <functional>

#undef __global__
#undef __device__
#undef __shared__
#define __global__
#define __device__
// Blocks run one after another, so one static array per kernel is one block's shared memory.
#define __shared__ static

namespace emu {
struct State {
  dim3 grid, block, bidx;
  int cur = 0;  // linear index of the running thread in its block
  dim3* tids = nullptr;
};
extern State g;
inline dim3& tidx() { return g.tids[g.cur]; }
void syncthreads();
double shfl_down(double v, int offset);
void run(const char* name, dim3 grid, dim3 block, const std::function<void()>& body);
// kernel<<<grid, block, shmem, stream>>>(args...) becomes launch("kernel", grid, block, stream, kernel, args...).
template <class... P, class... A>
void launch(const char* name, dim3 grid, dim3 block, cudaStream_t, void (*k)(P...), A... a) {
  run(name, grid, block, [&] { k(static_cast<P>(a)...); });
}
// Kernels that use __syncthreads/__shfl (directly or through a __device__ helper); build.ts generates
// this null-terminated list from kernels.cu.
extern const char* const kCoopKernels[];
}  // namespace emu

#define threadIdx (::emu::tidx())
#define blockIdx (::emu::g.bidx)
#define blockDim (::emu::g.block)
#define gridDim (::emu::g.grid)
#define __syncthreads() ::emu::syncthreads()
#define __shfl_down_sync(mask, v, o) ::emu::shfl_down(v, o)
// CUDA's device maths overloads, for the unqualified calls in kernels.cu and core/kernels.hpp.
using std::fmax;
using std::log;
using std::sqrt;
