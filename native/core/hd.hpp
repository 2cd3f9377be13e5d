// Host/device annotation for the backend-neutral maths. Under nvcc the inline functions in
// native/core/*.hpp compile for both the CPU and a future CUDA backend; elsewhere the macro is empty.
#pragma once

#if defined(__CUDACC__)
#define TUNABLE_HD __host__ __device__
#else
#define TUNABLE_HD
#endif
