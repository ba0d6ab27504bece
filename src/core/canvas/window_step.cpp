#include "geosr/core/canvas/window_step.hpp"

#include <stdexcept>

#include "geosr/core/diffusion/noise.hpp"

namespace geosr {

void WindowStepper::run(int t, const std::vector<Window>& batch, const RegionReader& condition,
                        Canvas& canvas) const {
  if (batch.empty()) return;
  const WindowGrid& grid = fuser.grid();
  std::vector<torch::Tensor> conditions, states;
  conditions.reserve(batch.size());
  states.reserve(batch.size());
  for (const auto& win : batch) {
    const Region footprint = grid.footprint(win);
    conditions.push_back(condition(footprint));
    states.push_back(canvas.read(footprint));
  }
  const auto n = static_cast<int64_t>(batch.size());
  // LibTorch runs the convolutions of a batch of one through another algorithm than those of
  // larger batches (ATen's use_mkldnn heuristic), which changes the last bits of eps_hat. A lone
  // window is therefore evaluated as a pair, so that its bits never depend on its batch.
  if (n == 1) {
    conditions.push_back(conditions.front());
    states.push_back(states.front());
  }
  const auto float_on_device = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  const auto y_all = torch::stack(states).to(float_on_device);
  const auto cond = torch::stack(conditions).to(float_on_device);
  const auto level = torch::full({y_all.size(0)}, sampler.schedule().noise_level(t), float_on_device);

  const auto eps_all = denoiser(cond, y_all, level);
  if (!eps_all.defined() || eps_all.sizes() != y_all.sizes())
    throw std::runtime_error("scene sampler: the denoiser returned a tensor of the wrong shape");
  const auto y_t = y_all.slice(0, 0, n);
  const StepTerms terms = sampler.step(y_t, eps_all.slice(0, 0, n).to(torch::kFloat32), t);
  const auto means = terms.mean.to(torch::kCPU, torch::kFloat32);

  const int64_t channels = y_t.size(1), size = grid.window_size();
  for (int64_t i = 0; i < n; ++i) {
    const Window& win = batch[i];
    // Keyed by the window's place in the full grid, so a cropped grid draws the full run's noise.
    const torch::Tensor noise =
        terms.sigma > 0.0
            ? window_noise(seed, t, grid.origin_y() + win.y, grid.origin_x() + win.x, channels, size)
            : torch::Tensor();
    canvas.accumulate(grid.footprint(win), fuser.contribution(win, means[i], terms.sigma, noise));
  }
}

}  // namespace geosr
