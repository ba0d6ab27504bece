#pragma once
// Process-wide LibTorch settings.

namespace geosr {

// Debian's LibTorch starts with one intra-op thread; use `threads` (<= 0: $OMP_NUM_THREADS when
// set, else one per CPU core).
void configure_threads(int threads = 0);

}  // namespace geosr
