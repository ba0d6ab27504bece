#include "geosr/core/canvas/region_indices.hpp"

#include <stdexcept>

#include "geosr/core/runtime.hpp"

namespace geosr {

namespace {

void check_same_size(const std::vector<Region>& regions) {
  if (regions.empty()) throw std::runtime_error("region indices: no regions");
  for (const Region& r : regions)
    if (r.height() != regions.front().height() || r.width() != regions.front().width())
      throw std::runtime_error("region indices: regions of different sizes");
}

}  // namespace

RegionIndices region_indices(const std::vector<Region>& regions, int64_t y_offset, torch::Device device) {
  check_same_size(regions);
  const int64_t n = static_cast<int64_t>(regions.size()), h = regions.front().height(), w = regions.front().width();
  auto host = torch::empty({n, h + w}, torch::TensorOptions().dtype(torch::kInt64).pinned_memory(device.is_cuda()));
  int64_t* out = host.data_ptr<int64_t>();
  for (const Region& r : regions) {
    for (int64_t y = r.y0; y < r.y1; ++y) *out++ = y - y_offset;
    for (int64_t x = r.x0; x < r.x1; ++x) *out++ = x;
  }
  const torch::Tensor both = upload_from_host(host, device);
  return {both.slice(1, 0, h).view({n, h, 1}), both.slice(1, h, h + w).view({n, 1, w})};
}

torch::Tensor index_regions(const torch::Tensor& data, const RegionIndices& at) {
  const int64_t n = at.rows.size(0), c = data.size(0);
  // Indexed (channel, row, column) at once, so the result comes out (n, C, h, w) and contiguous:
  // element-wise operations on a permuted batch run several times slower.
  return data.index({torch::arange(c, at.rows.options()).view({1, c, 1, 1}), at.rows.view({n, 1, -1, 1}),
                     at.cols.view({n, 1, 1, -1})});
}

torch::Tensor gather_regions(const torch::Tensor& data, const std::vector<Region>& regions, int64_t y_offset) {
  using torch::indexing::Slice;
  // On the CPU a copy per region is 5x faster than the gather's index arithmetic, and dispatching
  // it costs next to nothing; an accelerator is the other way round.
  if (!data.is_cpu()) return index_regions(data, region_indices(regions, y_offset, data.device()));
  check_same_size(regions);
  std::vector<torch::Tensor> crops;
  for (const Region& r : regions)
    crops.push_back(data.index({Slice(), Slice(r.y0 - y_offset, r.y1 - y_offset), Slice(r.x0, r.x1)}));
  return torch::stack(crops);
}

}  // namespace geosr
