#include "geosr/eval/windows.hpp"

#include <stdexcept>

#include "geosr/core/grid/window_grid.hpp"

namespace geosr::eval {

std::vector<int64_t> window_starts(int64_t length, const WindowLayout& layout) {
  if (length < layout.size) return {};
  return window_origins(length, layout.size, layout.stride);
}

void for_each_window(const torch::Tensor& reference, const torch::Tensor& candidate, const torch::Tensor& valid,
                     const WindowLayout& layout,
                     const std::function<void(const torch::Tensor&, const torch::Tensor&)>& fn) {
  if (reference.dim() != 3 || reference.sizes() != candidate.sizes()) {
    throw std::runtime_error("eval: reference and candidate must be (C, H, W) of the same shape");
  }
  const int64_t p = layout.size;
  for (int64_t y : window_starts(reference.size(1), layout)) {
    for (int64_t x : window_starts(reference.size(2), layout)) {
      if (valid.defined() && !valid.narrow(0, y, p).narrow(1, x, p).all().item<bool>()) continue;
      fn(reference.narrow(1, y, p).narrow(2, x, p), candidate.narrow(1, y, p).narrow(2, x, p));
    }
  }
}

}  // namespace geosr::eval
