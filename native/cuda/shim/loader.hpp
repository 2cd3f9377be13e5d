// Run-time loading of cuBLAS and cuSOLVER (as XLA's stubs do): the addon links neither, so one
// binary loads on machines without them and falls back to the CPU backend.
//
// Search order for each library (first that dlopen accepts wins):
//   1. every folder of $TUNABLE_CUDA_LIB_DIR (':'-separated), each candidate soname in turn;
//   2. the plain sonames (LD_LIBRARY_PATH, the ld.so cache, the addon's RUNPATH);
//   3. /usr/local/cuda/lib64, /usr/local/cuda-13*/lib64, /usr/local/cuda-12*/lib64 (fixed list below).
// Candidate sonames, newest first: cuBLAS libcublas.so.13, .so.12, .so; cuBLASLt likewise (loaded
// first with RTLD_GLOBAL so cuBLAS's DT_NEEDED entry is satisfied even from an override folder);
// cuSOLVER libcusolver.so.12 (CUDA 13), .so.11 (CUDA 11/12), .so. cuSOLVER's own dependencies
// (cuSPARSE, nvJitLink) are preloaded from the same folder when present.
#pragma once
#include <string>
#include <vector>

#include "blas_types.hpp"

namespace tunable {
namespace cuda {

struct LibraryReport {
  bool ok = false;
  std::string cublas, cublaslt, cusolver;  // paths/sonames that loaded, "" when not
  std::string error;                       // what is missing, naming every library and attempt
};

// Loads the libraries once per process (thread-safe) and reports; never throws.
const LibraryReport& library_report();
// The entry points; throws cuda::LibraryError (with library_report().error) when not loadable.
const Blas& blas();

// Pure helpers (tested through the addon): the folders of an override string, and the candidate
// file names tried for a library stem such as "cublas".
std::vector<std::string> split_dirs(const std::string& s);
std::vector<std::string> candidate_sonames(const std::string& stem);

}  // namespace cuda
}  // namespace tunable
