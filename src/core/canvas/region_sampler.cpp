#include "geosr/core/canvas/region_sampler.hpp"

#include <stdexcept>

#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/diffusion/noise.hpp"

namespace geosr {

torch::Tensor sample_region(const RegionRun& run, const Region& block, int64_t halo) {
  const WindowGrid& full = run.fuser.grid();
  if (block.empty() || !(block.intersect(full.scene()) == block))
    throw std::runtime_error("region sampler: the block is not inside the scene");
  if (halo < 0) throw std::runtime_error("region sampler: the halo must not be negative");
  if (run.batch <= 0) throw std::runtime_error("region sampler: batch must be positive");
  const Region reach = Region{block.y0 - halo, block.x0 - halo, block.y1 + halo, block.x1 + halo}.intersect(full.extent());
  const Fuser fuser = run.fuser.crop(reach);
  const WindowGrid& grid = fuser.grid();
  const int64_t oy = grid.origin_y(), ox = grid.origin_x();
  const Region placed{oy, ox, oy + grid.extent_height(), ox + grid.extent_width()};  // in the full grid

  const torch::Tensor condition = run.condition(placed).to(torch::kFloat32).contiguous();
  const WindowsReader read_condition = tensor_reader(condition);
  MemoryCanvas canvas(initial_noise(run.seed, condition.size(0), placed), fuser.planes(), run.device);
  WindowStepper stepper{run.denoiser, run.sampler, fuser, run.seed, run.batch, run.device};
  denoise_windows(stepper, grid.windows(), read_condition, canvas, run.progress);
  return canvas.read({block.y0 - oy, block.x0 - ox, block.y1 - oy, block.x1 - ox}).clamp(-1.0, 1.0);
}

}  // namespace geosr
