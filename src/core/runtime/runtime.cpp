#include "geosr/core/runtime.hpp"

#include <thread>

#include <torch/torch.h>

namespace geosr {

void configure_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

}  // namespace geosr
