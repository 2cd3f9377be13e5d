// Errors of the engine and how they cross into TypeScript: as a code (the `ErrorCode` spelling of
// src/errors.ts), never as message text to parse. The addon (native/addon/errors.hpp) turns any C++
// exception into a JS Error with `code` and, for memory, `bytes` and `memory`; src/native/binding.ts
// maps the code to one TunableError class. Messages are for people.
//
//   OutOfMemory (a std::bad_alloc)  host allocation failed; bytes = size of the request      ERR_OUT_OF_MEMORY
//   any other std::bad_alloc        host allocation failed in a library (Eigen); size unknown  ERR_OUT_OF_MEMORY
//   Error with code()               NumericalError (not PD after every fallback), the CUDA errors (native/cuda/errors.hpp)
//   any other exception             an internal error                                          ERR_NATIVE
//
// Also here: RegionErrors, which every OpenMP parallel region runs its body through (an exception
// must not leave a region), and require_host_memory, the fail-fast check before large allocations.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace tunable {

namespace codes {
constexpr const char* kNative = "ERR_NATIVE";
constexpr const char* kOutOfMemory = "ERR_OUT_OF_MEMORY";
constexpr const char* kNumerical = "ERR_NUMERICAL";
constexpr const char* kUnavailable = "ERR_BACKEND_UNAVAILABLE";
// The addon's converter refused an argument (a missing field, an unknown enum string): TypeScript
// resolves and validates every option first, so this is a seam mismatch (a stale build, a caller
// of the raw addon), never user input.
constexpr const char* kInvalidArgument = "ERR_INVALID_ARGUMENT";
}  // namespace codes

// An engine error that carries its code. bytes(): the size of a failed allocation (0 = unknown);
// device(): the memory was the accelerator's (backend 'auto' then refits on the CPU).
class Error : public std::runtime_error {
 public:
  Error(const char* code, const std::string& message, size_t bytes = 0, bool device = false)
      : std::runtime_error(message), code_(code), bytes_(bytes), device_(device) {}
  const char* code() const noexcept { return code_; }
  size_t bytes() const noexcept { return bytes_; }
  bool device() const noexcept { return device_; }

 private:
  const char* code_;
  size_t bytes_;
  bool device_;
};

// A kernel or covariance matrix that is not positive definite even after every fallback.
struct NumericalError : Error {
  explicit NumericalError(const std::string& message) : Error(codes::kNumerical, message) {}
};

// A host allocation of `bytes` that failed (or would: require_host_memory). A std::bad_alloc, so
// code that handles allocation failure in general handles it too; the message is built in a fixed
// buffer, since a failed allocation is a bad moment to allocate a string.
class OutOfMemory : public std::bad_alloc {
 public:
  OutOfMemory(size_t bytes, const char* what) noexcept : bytes_(bytes) {
    std::snprintf(msg_, sizeof msg_, "out of memory: %.3g GB (%zu bytes) for %s", static_cast<double>(bytes) / 1e9,
                  bytes, what);
  }
  size_t bytes() const noexcept { return bytes_; }
  const char* what() const noexcept override { return msg_; }

 private:
  size_t bytes_;
  char msg_[224];
};

// An exception must not leave an OpenMP parallel region: the runtime calls std::terminate, an abort
// of the whole process that no caller can catch. Every region runs its body through run(); the first
// exception is kept, later iterations are skipped, and rethrow() after the region (on the thread that
// opened it) raises it where callers can handle it.
//
//   RegionErrors errors;
//   #pragma omp parallel for
//   for (int i = 0; i < n; ++i) errors.run([&] { ... });
//   errors.rethrow();
class RegionErrors {
 public:
  template <class F>
  void run(F&& body) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      body();
    } catch (...) {
      if (!claimed_.exchange(true)) first_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
    }
  }
  bool failed() const noexcept { return failed_.load(std::memory_order_relaxed); }
  // After the region's closing barrier: the first exception, if any.
  void rethrow() const {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::atomic<bool> failed_{false}, claimed_{false};
  std::exception_ptr first_;
};

#if defined(__linux__)
// The first unsigned number in `path`, or 0 (absent, unreadable, or "max").
inline size_t read_bytes(const char* path) {
  size_t v = 0;
  if (FILE* f = std::fopen(path, "r")) {
    unsigned long long x = 0;
    if (std::fscanf(f, "%llu", &x) == 1) v = static_cast<size_t>(x);
    std::fclose(f);
  }
  return v;
}
#endif

// Bytes of host memory a new allocation can have without the kernel's OOM killer stepping in: the
// physical memory; on Linux also MemAvailable + SwapFree (what the kernel reports it can hand out
// without swapping anything out that is in use) and this cgroup's memory limit (v2: memory.max, v1:
// memory.limit_in_bytes), since in a container the machine's figures overstate it. (The cgroup's usage
// is not subtracted: it counts page cache that would be reclaimed.) SIZE_MAX when none is known.
inline size_t host_memory_limit() {
  size_t limit = static_cast<size_t>(-1);
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGE_SIZE)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) limit = static_cast<size_t>(pages) * static_cast<size_t>(page);
#endif
#if defined(__linux__)
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[128];
    size_t avail = 0, swap = 0;
    bool have = false;
    while (std::fgets(line, sizeof line, f)) {
      unsigned long long kb = 0;
      if (std::sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
        avail = static_cast<size_t>(kb) * 1024;
        have = true;
      } else if (std::sscanf(line, "SwapFree: %llu kB", &kb) == 1) {
        swap = static_cast<size_t>(kb) * 1024;
      }
    }
    std::fclose(f);
    if (have && avail + swap < limit) limit = avail + swap;
  }
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    const size_t max = read_bytes(path);
    // 0: absent or "max"; v1 says "no limit" with a number near 2^63.
    if (max > 0 && max < (size_t(1) << 60) && max < limit) limit = max;
  }
#endif
  return limit;
}

// Whether require_host_memory checks requests on this thread: on, except within a MemoryCheckScope
// that turns it off (the `debug.memoryCheck: false` option of a model, set for each of its calls by the
// addon's workers). Per thread, not per process: other models' calls keep their check.
inline bool& host_memory_check_on() {
  static thread_local bool on = true;
  return on;
}

// Sets host_memory_check_on() for the life of this object (one call on one thread), then restores it.
class MemoryCheckScope {
 public:
  explicit MemoryCheckScope(bool on) : saved_(host_memory_check_on()) { host_memory_check_on() = on; }
  ~MemoryCheckScope() { host_memory_check_on() = saved_; }
  MemoryCheckScope(const MemoryCheckScope&) = delete;
  MemoryCheckScope& operator=(const MemoryCheckScope&) = delete;

 private:
  bool saved_;
};

// Fails fast, before any work, with OutOfMemory(bytes, what) when `bytes` of new host memory cannot
// be had: more than host_memory_limit(), or a request malloc refuses now (an address-space or data
// limit, the kernel's overcommit policy). The probe is freed at once and its pages are never touched,
// so it costs one mmap/munmap. Requests under 64 MiB are not checked, nor any within a
// MemoryCheckScope(false) (the allocations themselves still fail with OutOfMemory: tests use it to
// reach them). Called on the calling thread of a backend method, never inside a parallel region.
inline void require_host_memory(size_t bytes, const char* what) {
  if (bytes < (size_t(64) << 20)) return;
  if (!host_memory_check_on()) return;
  if (bytes > host_memory_limit()) throw OutOfMemory(bytes, what);
  void* p = std::malloc(bytes);
  if (p == nullptr) throw OutOfMemory(bytes, what);
  std::free(p);
}

// a · b · c elements of `elem` bytes, saturating instead of wrapping (a request that large fails anyway).
inline size_t bytes_of(size_t a, size_t b, size_t elem = sizeof(double), size_t c = 1) {
  const size_t max = static_cast<size_t>(-1);
  size_t r = elem;
  for (size_t f : {a, b, c}) {
    if (f != 0 && r > max / f) return max;
    r *= f;
  }
  return r;
}

}  // namespace tunable
