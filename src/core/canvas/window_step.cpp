#include "geosr/core/canvas/window_step.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "geosr/core/fusion/fixed_point.hpp"

namespace geosr {

namespace {

// Values (channels x pixels) of the windows of one call of run: 4 Mi, 85 windows of 3 x 128 x 128.
constexpr int64_t kGroupValues = int64_t{1} << 22;

}  // namespace

WindowStepper::WindowStepper(const Denoiser& denoiser_, const Sampler& sampler_, const Fuser& fuser_, uint64_t seed_,
                             int64_t batch_, torch::Device device_, int64_t group)
    : denoiser(denoiser_), sampler(sampler_), fuser(fuser_), seed(seed_), batch(batch_), device(device_),
      group_(group),
      upload_(device_) {
  if (batch <= 0) throw std::runtime_error("scene sampler: batch must be positive");
  if (group_ < 0) throw std::runtime_error("scene sampler: a group of windows must not be negative");
  if (group_ > 0) return;
  // On the CPU dispatch costs next to nothing: a group is one batch, so progress and interruption
  // (between calls) keep the pace of the network. The channels are not known before the first
  // crop: 3 (RGB) sizes the group, 4 bands make it a third larger in memory, still small.
  const int64_t window_values = 3 * fuser.grid().window_size() * fuser.grid().window_size();
  group_ = device.is_cpu() ? batch : batch * std::max<int64_t>(1, kGroupValues / (batch * window_values));
}

void WindowStepper::run(int t, const std::vector<Window>& windows, const WindowsReader& condition, Canvas& canvas) {
  if (windows.empty()) return;
  const WindowGrid& grid = fuser.grid();
  std::vector<Region> footprints;
  for (const auto& win : windows) footprints.push_back(grid.footprint(win));
  const auto n = static_cast<int64_t>(windows.size());
  const auto y_t = upload_(canvas.read_windows(footprints));
  const auto cond = upload_(condition(footprints));
  const auto level = torch::full({1}, sampler.schedule().noise_level(t),
                                 torch::TensorOptions().dtype(torch::kFloat32).device(device));
  std::vector<torch::Tensor> eps;
  for (int64_t first = 0; first < n; first += batch) {
    const int64_t size = std::min(batch, n - first);
    torch::Tensor y = y_t.slice(0, first, first + size), c = cond.slice(0, first, first + size);
    // LibTorch runs the convolutions of a batch of one through another algorithm than those of
    // larger batches (ATen's use_mkldnn heuristic), which changes the last bits of eps_hat. A lone
    // window is therefore evaluated as a pair, so that its bits never depend on its batch.
    if (size == 1) {
      y = torch::cat({y, y});
      c = torch::cat({c, c});
    }
    const auto e = denoiser(c, y, level);
    if (!e.defined() || e.sizes() != y.sizes())
      throw std::runtime_error("scene sampler: the denoiser returned a tensor of the wrong shape");
    eps.push_back(e.slice(0, 0, size));
  }
  const StepTerms terms =
      sampler.step(y_t, (eps.size() == 1 ? eps.front() : torch::cat(eps)).to(torch::kFloat32), t, cond);
  const torch::Tensor means = terms.mean.to(torch::kFloat32);
  canvas.accumulate_windows(footprints, [&](torch::Tensor& sums, int64_t first_row) {
    const torch::Tensor added = fuser.accumulate(windows, means, {terms.sigma, seed, t}, sums, first_row);
    largest_ = largest_.defined() ? torch::maximum(largest_, added.to(largest_.device())) : added;
  });
}

void WindowStepper::check_contributions() {
  if (!largest_.defined()) return;
  const torch::Tensor largest = std::exchange(largest_, torch::Tensor());
  check_fixed_point_range(largest);
}

}  // namespace geosr
