#include "geosr/core/grid/reflect_pad.hpp"

#include <stdexcept>

namespace geosr {

torch::Tensor reflected_indices(int64_t length, int64_t padded) {
  auto idx = torch::arange(padded, torch::kInt64);
  if (length == 1) return torch::zeros_like(idx);
  const int64_t period = 2 * (length - 1);
  idx = idx.remainder(period);
  return torch::where(idx >= length, period - idx, idx);
}

torch::Tensor reflect_pad(const torch::Tensor& raster, int64_t height, int64_t width) {
  const int64_t h = raster.size(-2), w = raster.size(-1);
  if (height < h || width < w) throw std::runtime_error("reflect_pad: target smaller than raster");
  if (height == h && width == w) return raster;
  const auto rows = reflected_indices(h, height).to(raster.device());
  const auto cols = reflected_indices(w, width).to(raster.device());
  return raster.index_select(-2, rows).index_select(-1, cols);
}

}  // namespace geosr
