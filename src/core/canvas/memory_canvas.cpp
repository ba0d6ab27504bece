#include <stdexcept>

#include "geosr/core/canvas/canvas.hpp"
#include "geosr/core/canvas/region_indices.hpp"

namespace geosr {

using torch::indexing::Slice;

namespace {

torch::Tensor region_of(const torch::Tensor& raster, const Region& r) {
  const int64_t h = raster.size(-2), w = raster.size(-1);
  if (r.y0 < 0 || r.x0 < 0 || r.y1 > h || r.x1 > w || r.empty())
    throw std::runtime_error("canvas: region outside the raster");
  return raster.index({"...", Slice(r.y0, r.y1), Slice(r.x0, r.x1)});
}

}  // namespace

torch::Tensor Canvas::read_windows(const std::vector<Region>& footprints) {
  std::vector<torch::Tensor> crops;
  for (const Region& r : footprints) crops.push_back(read(r));
  return torch::stack(crops);
}

MemoryCanvas::MemoryCanvas(torch::Tensor initial, int planes, torch::Device device)
    : state_(initial.to(torch::kFloat32).contiguous()),
      accumulator_(torch::zeros({planes, state_.size(0), state_.size(1), state_.size(2)},
                                torch::TensorOptions().dtype(torch::kInt64).device(device))) {
  if (initial.dim() != 3) throw std::runtime_error("canvas: initial state must be (C, H, W)");
}

torch::Tensor MemoryCanvas::read(const Region& region) { return region_of(state_, region).clone(); }

void MemoryCanvas::accumulate_windows(const std::vector<Region>& footprints, const AddToSums& add) {
  for (const Region& r : footprints) region_of(state_, r);  // the bounds check
  std::lock_guard<std::mutex> lock(mutex_);
  add(accumulator_, 0);
}

void MemoryCanvas::finish_step(const Fuser& fuser) {
  const Region all{0, 0, state_.size(1), state_.size(2)};
  state_ = fuser.finish(all, accumulator_).to(torch::kCPU).contiguous();
  accumulator_.zero_();
}

WindowsReader tensor_reader(torch::Tensor raster) {
  return [raster](const std::vector<Region>& regions) {
    for (const Region& r : regions) region_of(raster, r);  // the bounds check
    return gather_regions(raster, regions, 0);
  };
}

}  // namespace geosr
