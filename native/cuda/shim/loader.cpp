// dlopen/dlsym loader of cuBLAS and cuSOLVER (see loader.hpp). Plain C++: no CUDA header needed.
#include "loader.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "../errors.hpp"

namespace tunable {
namespace cuda {

namespace {
const char* const kSystemDirs[] = {"/usr/local/cuda/lib64", "/usr/local/cuda-13.0/lib64", "/usr/local/cuda-13/lib64",
                                   "/usr/local/cuda-12/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64"};

// Tries the override folders, then the plain sonames, then the fixed folders. Returns the handle
// and the name that loaded; appends each failure to `tried`.
void* open_lib(const std::string& stem, const std::vector<std::string>& dirs, std::string* loaded, std::string* tried,
               int flags) {
  const std::vector<std::string> names = candidate_sonames(stem);
  std::vector<std::string> attempts;
  for (const std::string& d : dirs)
    for (const std::string& n : names) attempts.push_back(d + "/" + n);
  for (const std::string& n : names) attempts.push_back(n);
  for (const char* d : kSystemDirs)
    for (const std::string& n : names) attempts.push_back(std::string(d) + "/" + n);
  std::string first_error;
  for (const std::string& a : attempts) {
    dlerror();
    if (void* h = dlopen(a.c_str(), flags)) {
      *loaded = a;
      return h;
    }
    const char* e = dlerror();
    // Keep the most telling message: one about a file that exists but does not load.
    if (e && (first_error.empty() || std::string(e).find("No such file") == std::string::npos)) {
      if (first_error.empty() || first_error.find("No such file") != std::string::npos) first_error = e;
    }
  }
  if (tried) {
    if (!tried->empty()) *tried += "; ";
    *tried += "lib" + stem + " not found (tried ";
    for (size_t i = 0; i < names.size(); ++i) *tried += (i ? ", " : "") + names[i];
    *tried += " in " + std::string(dirs.empty() ? "" : "$TUNABLE_CUDA_LIB_DIR, ") +
              "the loader path and /usr/local/cuda/lib64";
    if (!first_error.empty() && first_error.find("No such file") == std::string::npos) *tried += "; " + first_error;
    *tried += ")";
  }
  return nullptr;
}

template <class F>
bool sym(void* h, const char* name, F* out, std::string* err) {
  dlerror();
  *out = reinterpret_cast<F>(dlsym(h, name));
  if (!*out) {
    if (!err->empty()) *err += "; ";
    *err += std::string("symbol ") + name + " missing";
  }
  return *out != nullptr;
}

LibraryReport g_report;
Blas g_blas{};

void load_all() {
  const char* env = std::getenv("TUNABLE_CUDA_LIB_DIR");
  const std::vector<std::string> dirs = split_dirs(env ? env : "");
  std::string err;
  const int flags = RTLD_NOW | RTLD_GLOBAL;
  // Dependencies first, so an override folder outside the loader path also satisfies DT_NEEDED.
  std::string ignored;
  void* lt = open_lib("cublasLt", dirs, &g_report.cublaslt, &err, flags);
  void* cb = lt ? open_lib("cublas", dirs, &g_report.cublas, &err, flags) : nullptr;
  if (cb) {
    open_lib("nvJitLink", dirs, &ignored, nullptr, flags);
    open_lib("cusparse", dirs, &ignored, nullptr, flags);
  }
  void* cs = cb ? open_lib("cusolver", dirs, &g_report.cusolver, &err, flags) : nullptr;
  if (!lt || !cb || !cs) {
    if (!lt || !cb) err += " (cuSOLVER not tried: it needs cuBLAS)";
    g_report.error = "cuBLAS/cuSOLVER could not be loaded: " + err +
                     ". Install the CUDA 13 math libraries (e.g. `apt-get install libcublas-13-0 libcusolver-13-0`, "
                     "or the nvidia-cublas / nvidia-cusolver wheels) or point TUNABLE_CUDA_LIB_DIR at the folder "
                     "holding libcublas.so.13 and libcusolver.so.12";
    return;
  }
  bool ok = true;
  ok &= sym(cb, "cublasCreate_v2", &g_blas.cublasCreate, &err);
  ok &= sym(cb, "cublasDestroy_v2", &g_blas.cublasDestroy, &err);
  ok &= sym(cb, "cublasSetStream_v2", &g_blas.cublasSetStream, &err);
  ok &= sym(cb, "cublasDtrsm_v2", &g_blas.cublasDtrsm, &err);
  ok &= sym(cb, "cublasStrsm_v2", &g_blas.cublasStrsm, &err);
  ok &= sym(cb, "cublasDgemm_v2", &g_blas.cublasDgemm, &err);
  std::string optional_missing;  // entry points the backend can do without: may be null
  sym(cb, "cublasDsyrk_v2", &g_blas.cublasDsyrk, &optional_missing);
  ok &= sym(cb, "cublasDgemv_v2", &g_blas.cublasDgemv, &err);
  ok &= sym(cs, "cusolverDnCreate", &g_blas.cusolverDnCreate, &err);
  ok &= sym(cs, "cusolverDnDestroy", &g_blas.cusolverDnDestroy, &err);
  ok &= sym(cs, "cusolverDnSetStream", &g_blas.cusolverDnSetStream, &err);
  ok &= sym(cs, "cusolverDnDpotrf_bufferSize", &g_blas.cusolverDnDpotrf_bufferSize, &err);
  ok &= sym(cs, "cusolverDnDpotrf", &g_blas.cusolverDnDpotrf, &err);
  ok &= sym(cs, "cusolverDnDpotrs", &g_blas.cusolverDnDpotrs, &err);
  sym(cs, "cusolverDnDpotrfBatched", &g_blas.cusolverDnDpotrfBatched, &optional_missing);
  if (!ok) {
    g_report.error = "cuBLAS/cuSOLVER loaded (" + g_report.cublas + ", " + g_report.cusolver +
                     ") but lack entry points: " + err;
    return;
  }
  g_report.ok = true;
}
}  // namespace

std::vector<std::string> split_dirs(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(':', start);
    if (end == std::string::npos) end = s.size();
    std::string d = s.substr(start, end - start);
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    if (!d.empty()) out.push_back(d);
    start = end + 1;
  }
  return out;
}

std::vector<std::string> candidate_sonames(const std::string& stem) {
  const std::string base = "lib" + stem + ".so";
  if (stem == "cusolver" || stem == "cusparse") return {base + ".12", base + ".11", base};
  return {base + ".13", base + ".12", base};  // cublas, cublasLt, nvJitLink
}

const LibraryReport& library_report() {
  static std::once_flag once;
  std::call_once(once, load_all);
  return g_report;
}

const Blas& blas() {
  const LibraryReport& r = library_report();
  if (!r.ok) throw LibraryError(r.error);
  return g_blas;
}

}  // namespace cuda
}  // namespace tunable
