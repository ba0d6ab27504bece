#include "geosr/core/runtime.hpp"

#include <cstdlib>
#include <thread>

#include <torch/torch.h>

#ifdef GEOSR_WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#endif

namespace geosr {

void configure_threads(int threads) {
  // OMP_NUM_THREADS is how a scheduler (or `geosr batch`, running several jobs side by side) gives
  // a process its share of the cores; it would be lost if one thread per core were forced here.
  if (threads <= 0) {
    const char* env = std::getenv("OMP_NUM_THREADS");
    threads = env ? std::atoi(env) : 0;
  }
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

double accelerator_free_bytes(const c10::Device& device) {
#ifdef GEOSR_WITH_CUDA
  if (device.is_cuda()) {
    const c10::cuda::CUDAGuard on(device);
    size_t free = 0, total = 0;
    if (cudaMemGetInfo(&free, &total) == cudaSuccess) return static_cast<double>(free);
  }
#endif
  (void)device;
  return 0.0;
}

}  // namespace geosr
