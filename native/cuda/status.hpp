// What the addon reports about CUDA (engine.cudaStatus() in TS): whether this binary has the CUDA
// backend, whether a device answers, which libraries loaded, and why not when it is unusable.
#pragma once
#include <string>

namespace tunable {
namespace cuda {

struct Status {
  bool compiled = false;   // this binary contains the CUDA backend
  bool available = false;  // compiled, a device answers and cuBLAS/cuSOLVER loaded
  int devices = 0;
  std::string device;      // name and compute capability of device 0
  std::string cublas, cusolver;  // what loaded ("" when not tried or not found)
  std::string reason;      // why not available ("" when available)
};

// probe_libraries: also try to load cuBLAS/cuSOLVER when there is no device (for diagnostics).
Status status(bool probe_libraries);

}  // namespace cuda
}  // namespace tunable
