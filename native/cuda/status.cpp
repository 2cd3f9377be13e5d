#include "status.hpp"

#include "device.hpp"
#include "shim/loader.hpp"

namespace tunable {
namespace cuda {

Status status(bool probe_libraries) {
  Status s;
  s.compiled = true;
  const DeviceStatus& d = device_status();
  s.devices = d.devices;
  if (d.devices > 0) s.device = d.name + " (sm_" + std::to_string(d.major) + std::to_string(d.minor) + ")";
  if (d.devices <= 0 && !probe_libraries) {
    s.reason = "no usable CUDA device: " + d.error;
    return s;
  }
  const LibraryReport& r = library_report();
  s.cublas = r.cublas;
  s.cusolver = r.cusolver;
  if (d.devices <= 0) {
    s.reason = "no usable CUDA device: " + d.error;
    if (!r.ok) s.reason += "; " + r.error;
  } else if (!r.ok) {
    s.reason = r.error;
  } else {
    s.available = true;
  }
  return s;
}

}  // namespace cuda
}  // namespace tunable
