#include "geosr/core/canvas/scene_sampler.hpp"

#include <algorithm>
#include <stdexcept>

#include "geosr/core/canvas/canvas.hpp"
#include "geosr/core/canvas/window_step.hpp"
#include "geosr/core/diffusion/noise.hpp"
#include "geosr/core/grid/reflect_pad.hpp"

namespace geosr {

namespace {

std::vector<Window> processing_order(const WindowGrid& grid, const std::vector<int64_t>& order) {
  if (order.empty()) return grid.windows();
  std::vector<bool> seen(grid.size(), false);
  std::vector<Window> windows;
  for (int64_t index : order) {
    if (index < 0 || index >= grid.size() || seen[index])
      throw std::runtime_error("scene sampler: window order is not a permutation of the grid");
    seen[index] = true;
    windows.push_back(grid.window(index));
  }
  if (static_cast<int64_t>(windows.size()) != grid.size())
    throw std::runtime_error("scene sampler: window order is not a permutation of the grid");
  return windows;
}

}  // namespace

void denoise_windows(WindowStepper& stepper, const std::vector<Window>& windows, const WindowsReader& condition,
                     Canvas& canvas,
                     const std::function<void(const SceneProgress&)>& progress) {
  const Sampler& sampler = stepper.sampler;
  SceneProgress state;
  state.steps = sampler.steps();
  state.windows = static_cast<int64_t>(windows.size());
  for (int t = sampler.steps() - 1; t >= 0; --t) {
    state.step = sampler.steps() - 1 - t;
    const auto group = static_cast<size_t>(stepper.group());
    for (size_t first = 0; first < windows.size(); first += group) {
      const size_t last = std::min(windows.size(), first + group);
      stepper.run(t, {windows.begin() + first, windows.begin() + last}, condition, canvas);
      state.windows_done = static_cast<int64_t>(last);
      if (progress) progress(state);
    }
    stepper.check_contributions();
    canvas.finish_step(stepper.fuser);
  }
}

torch::Tensor sample_scene(const Denoiser& denoiser, const Sampler& sampler,
                           const torch::Tensor& condition, const SceneSamplerOptions& options) {
  if (condition.dim() != 3 || condition.numel() == 0)
    throw std::runtime_error("scene sampler: condition must be a non-empty (C, H, W) tensor");
  if (options.batch <= 0) throw std::runtime_error("scene sampler: batch must be positive");
  const int64_t channels = condition.size(0);
  Fuser fuser(options.fusion,
              make_grid(options.fusion, condition.size(1), condition.size(2), options.window,
                        options.stride),
              options.weights);
  const WindowGrid& grid = fuser.grid();
  const auto cond = reflect_pad(condition.to(torch::kCPU, torch::kFloat32), grid.extent_height(),
                                grid.extent_width())
                        .contiguous();
  const WindowsReader read_condition = tensor_reader(cond);
  MemoryCanvas canvas(initial_noise(options.seed, channels, grid.extent()), fuser.planes(), options.device);
  WindowStepper stepper{denoiser, sampler, fuser, options.seed, options.batch, options.device, options.group};
  const std::vector<Window> windows = processing_order(grid, options.window_order);

  denoise_windows(stepper, windows, read_condition, canvas, options.progress);
  const Region scene = grid.scene();
  return canvas.read(scene).clamp(-1.0, 1.0);
}

}  // namespace geosr
