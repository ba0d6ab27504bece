#include "geosr/core/canvas/window_step.hpp"

#include <stdexcept>
#include <utility>

#include "geosr/core/diffusion/noise.hpp"
#include "geosr/core/fusion/fixed_point.hpp"

namespace geosr {

WindowStepper::WindowStepper(const Denoiser& denoiser_, const Sampler& sampler_, const Fuser& fuser_, uint64_t seed_,
                             torch::Device device_)
    : denoiser(denoiser_), sampler(sampler_), fuser(fuser_), seed(seed_), device(device_), upload_(device_) {}

void WindowStepper::run(int t, const std::vector<Window>& batch, const RegionReader& condition, Canvas& canvas) {
  if (batch.empty()) return;
  const WindowGrid& grid = fuser.grid();
  std::vector<torch::Tensor> conditions;
  std::vector<Region> footprints;
  std::vector<std::pair<int64_t, int64_t>> origins;
  for (const auto& win : batch) {
    footprints.push_back(grid.footprint(win));
    conditions.push_back(condition(footprints.back()));
    // Keyed by the window's place in the full grid, so a cropped grid draws the full run's noise.
    origins.emplace_back(grid.origin_y() + win.y, grid.origin_x() + win.x);
  }
  const auto n = static_cast<int64_t>(batch.size());
  torch::Tensor states = canvas.read_windows(footprints), conds = torch::stack(conditions);
  // LibTorch runs the convolutions of a batch of one through another algorithm than those of
  // larger batches (ATen's use_mkldnn heuristic), which changes the last bits of eps_hat. A lone
  // window is therefore evaluated as a pair, so that its bits never depend on its batch.
  if (n == 1) {
    states = torch::cat({states, states});
    conds = torch::cat({conds, conds});
  }
  const auto y_all = upload_(states);
  const auto cond = upload_(conds);
  const auto level = torch::full({y_all.size(0)}, sampler.schedule().noise_level(t),
                                 torch::TensorOptions().dtype(torch::kFloat32).device(device));

  const auto eps_all = denoiser(cond, y_all, level);
  if (!eps_all.defined() || eps_all.sizes() != y_all.sizes())
    throw std::runtime_error("scene sampler: the denoiser returned a tensor of the wrong shape");
  const auto y_t = y_all.slice(0, 0, n);
  const StepTerms terms = sampler.step(y_t, eps_all.slice(0, 0, n).to(torch::kFloat32), t);
  const torch::Tensor noise =
      terms.sigma > 0.0 ? window_noise(seed, t, origins, y_t.size(1), grid.window_size(), device) : torch::Tensor();
  const Fuser::Contributions added = fuser.contributions(batch, terms.mean.to(torch::kFloat32), terms.sigma, noise);
  largest_ = largest_.defined() ? torch::maximum(largest_, added.largest) : added.largest;
  canvas.accumulate_windows(footprints, added.planes.to(canvas.device()));
}

void WindowStepper::check_contributions() {
  if (!largest_.defined()) return;
  const torch::Tensor largest = std::exchange(largest_, torch::Tensor());
  check_fixed_point_range(largest);
}

}  // namespace geosr
