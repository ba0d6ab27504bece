#include "geosr/core/runtime.hpp"

#include <cstdlib>
#include <thread>

#include <torch/torch.h>

namespace geosr {

void configure_threads(int threads) {
  // OMP_NUM_THREADS is how batch schedulers and MPI launchers give a process its share of a node.
  if (const char* env = std::getenv("OMP_NUM_THREADS"); threads <= 0 && env) threads = std::atoi(env);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

}  // namespace geosr
