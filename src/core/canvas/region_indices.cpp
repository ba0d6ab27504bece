#include "geosr/core/canvas/region_indices.hpp"

#include <stdexcept>

namespace geosr {

RegionIndices region_indices(const std::vector<Region>& regions, int64_t y_offset, torch::Device device) {
  if (regions.empty()) throw std::runtime_error("region indices: no regions");
  const int64_t n = static_cast<int64_t>(regions.size()), h = regions.front().height(), w = regions.front().width();
  auto host = torch::empty({n, h + w}, torch::TensorOptions().dtype(torch::kInt64).pinned_memory(device.is_cuda()));
  int64_t* out = host.data_ptr<int64_t>();
  for (const Region& r : regions) {
    if (r.height() != h || r.width() != w) throw std::runtime_error("region indices: regions of different sizes");
    for (int64_t y = r.y0; y < r.y1; ++y) *out++ = y - y_offset;
    for (int64_t x = r.x0; x < r.x1; ++x) *out++ = x;
  }
  const torch::Tensor both = host.to(device, /*non_blocking=*/true);
  return {both.slice(1, 0, h).view({n, h, 1}), both.slice(1, h, h + w).view({n, 1, w})};
}

}  // namespace geosr
