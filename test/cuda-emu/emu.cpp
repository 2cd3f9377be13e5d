// What it fakes: the GPU's execution of a kernel launch (grid of blocks of threads), on one CPU thread.
// Why: to run native/cuda/kernels.cu unmodified without a device. Blocks run in order; a kernel without
// barriers runs its threads one after another; a kernel in kCoopKernels runs each thread of a block as a
// ucontext coroutine that yields at __syncthreads (block barrier) and __shfl_down_sync (warp barrier), so
// data exchanged through shared memory or shuffles is seen exactly when CUDA guarantees it, and a barrier
// that not every thread reaches aborts with "deadlock". EMU_SHUFFLE=1 runs runnable threads in a
// pseudo-random order between barriers (a correct kernel gives the same bits either way).
#include "emu.hpp"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace emu {
State g;
namespace {
enum ThreadState { kRunnable, kAtBlockBarrier, kAtWarpBarrier, kDone };
constexpr int kWarp = 32;
// Coroutine stack per thread, above one PROT_NONE guard page (an overflow faults instead of corrupting).
// Kept small because AddressSanitizer clears a stack's shadow memory on every swapcontext into it.
constexpr size_t kStack = 32 * 1024;  // kernels need < 4 KiB, even with ASan
bool coop = false;
int nthreads = 0;
std::vector<ThreadState> state;
std::vector<ucontext_t> ctx;
struct Stack {
  char* base = nullptr;  // guard page, then kStack bytes
  size_t guard = 0;
  Stack() {
    guard = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, guard + kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect(p, guard, PROT_NONE) != 0) std::abort();
    base = static_cast<char*>(p);
  }
  ~Stack() { munmap(base, guard + kStack); }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  char* top_region() const { return base + guard; }
};
std::vector<std::unique_ptr<Stack>> stacks;  // reused across launches, unmapped at exit
std::vector<dim3> tids;
ucontext_t sched;
const std::function<void()>* body = nullptr;
double warp_buf[1024 / kWarp][kWarp];
const char* cur_name = "";

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "EMU ERROR in %s: %s (block %u,%u thread %d)\n", cur_name, what, g.bidx.x, g.bidx.y, g.cur);
  std::abort();
}
bool is_coop(const char* name) {
  for (const char* const* k = kCoopKernels; *k; ++k)
    if (std::strcmp(*k, name) == 0) return true;
  return false;
}
void trampoline() {
  (*body)();
  state[g.cur] = kDone;
}
void yield() { swapcontext(&ctx[g.cur], &sched); }

// Runs one block of a coop kernel to completion: resume every runnable thread, then release a barrier
// that all live threads of the block (or all 32 lanes of a warp) have reached.
void run_coop_block() {
  static const bool shuffle = std::getenv("EMU_SHUFFLE") != nullptr;
  static unsigned long long lcg = 88172645463325252ULL;
  for (int t = 0; t < nthreads; ++t) {
    getcontext(&ctx[t]);
    ctx[t].uc_stack.ss_sp = stacks[t]->top_region();
    ctx[t].uc_stack.ss_size = kStack;
    ctx[t].uc_link = &sched;
    makecontext(&ctx[t], trampoline, 0);
    state[t] = kRunnable;
  }
  std::vector<int> order(nthreads);
  for (;;) {
    for (int t = 0; t < nthreads; ++t) order[t] = t;
    if (shuffle)
      for (int t = nthreads - 1; t > 0; --t) {
        lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
        std::swap(order[t], order[(lcg >> 33) % (t + 1)]);
      }
    for (int t : order)
      if (state[t] == kRunnable) {
        g.cur = t;
        swapcontext(&sched, &ctx[t]);
      }
    int alive = 0, at_block = 0;
    for (int t = 0; t < nthreads; ++t) {
      alive += state[t] != kDone;
      at_block += state[t] == kAtBlockBarrier;
    }
    if (alive == 0) return;
    const bool block_barrier = at_block > 0 && at_block == alive;
    bool released = block_barrier;
    if (block_barrier) {
      // CUDA: every non-exited thread must reach __syncthreads; we are stricter and require all threads.
      if (alive != nthreads) fail("__syncthreads after some threads exited");
      for (int t = 0; t < nthreads; ++t) state[t] = kRunnable;
    }
    for (int w = 0; w < nthreads / kWarp && !block_barrier; ++w) {
      int waiting = 0, done = 0;
      for (int l = 0; l < kWarp; ++l) {
        waiting += state[w * kWarp + l] == kAtWarpBarrier;
        done += state[w * kWarp + l] == kDone;
      }
      if (waiting == kWarp) {
        for (int l = 0; l < kWarp; ++l) state[w * kWarp + l] = kRunnable;
        released = true;
      } else if (waiting > 0 && waiting + done == kWarp) {
        fail("__shfl_down_sync(0xffffffff) with exited lanes");
      }
    }
    if (!released) fail("deadlock (divergent barrier)");
  }
}
}  // namespace

void syncthreads() {
  if (!coop) fail("__syncthreads in a kernel missing from kCoopKernels (build.ts)");
  state[g.cur] = kAtBlockBarrier;
  yield();
}

// Full-warp __shfl_down_sync: every lane publishes v, waits for its warp, reads lane + o (own v past 31),
// and waits again so that no lane overwrites warp_buf before all have read it.
double shfl_down(double v, int o) {
  if (!coop) fail("__shfl_down_sync in a kernel missing from kCoopKernels (build.ts)");
  const int t = g.cur, lane = t % kWarp, w = t / kWarp;
  warp_buf[w][lane] = v;
  state[t] = kAtWarpBarrier;
  yield();
  const double r = lane + o < kWarp ? warp_buf[w][lane + o] : v;
  state[t] = kAtWarpBarrier;
  yield();
  return r;
}

void run(const char* name, dim3 grid, dim3 block, const std::function<void()>& b) {
  cur_name = name;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) fail("empty grid (cudaErrorInvalidConfiguration)");
  if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) fail("grid dimension over the CUDA limit");
  nthreads = static_cast<int>(block.x * block.y * block.z);
  if (nthreads > 1024 || nthreads == 0 || block.z > 64) fail("bad block size");
  coop = is_coop(name);
  g.grid = grid;
  g.block = block;
  tids.resize(nthreads);
  for (int t = 0; t < nthreads; ++t) tids[t] = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
  g.tids = tids.data();
  body = &b;
  if (coop) {
    if (nthreads % kWarp) fail("barrier kernel with a block size that is not a multiple of 32");
    while (static_cast<int>(stacks.size()) < nthreads) stacks.push_back(std::make_unique<Stack>());
    ctx.resize(nthreads);
    state.assign(nthreads, kRunnable);
  }
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        g.bidx = dim3(bx, by, bz);
        if (coop) {
          run_coop_block();
        } else {
          for (int t = 0; t < nthreads; ++t) {
            g.cur = t;
            b();
          }
        }
      }
  coop = false;
}
}  // namespace emu
