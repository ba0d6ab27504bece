#pragma once
// Process-wide LibTorch settings, and what the accelerator has room for.

#include <c10/core/Device.h>

namespace geosr {

// Debian's LibTorch starts with one intra-op thread; use `threads` (<= 0: $OMP_NUM_THREADS when
// set, else one per CPU core).
void configure_threads(int threads = 0);

// Lets glibc's malloc keep the large blocks LibTorch frees and allocates again at every batch
// (unless the user tuned malloc through the environment). For programs, not for libraries loaded
// into someone else's process.
void keep_freed_memory();

// Bytes of free memory on an accelerator `device` now; 0 for the CPU, and for CUDA when LibTorch
// was built without it.
double accelerator_free_bytes(const c10::Device& device);

}  // namespace geosr
