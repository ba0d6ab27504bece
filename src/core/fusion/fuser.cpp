#include "geosr/core/fusion/fuser.hpp"

#include <stdexcept>

#include "geosr/core/diffusion/noise.hpp"
#include "geosr/core/fusion/fixed_point.hpp"
#include "geosr/core/runtime.hpp"
#include "window_contributions.hpp"

#ifdef GEOSR_WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace geosr {

FusionMode parse_fusion_mode(const std::string& name) {
  if (name == "none") return FusionMode::None;
  if (name == "avg") return FusionMode::Avg;
  if (name == "vcf") return FusionMode::Vcf;
  if (name == "sdvc") return FusionMode::Sdvc;
  throw std::runtime_error("unknown fusion mode '" + name + "' (expected none, avg, vcf or sdvc)");
}

std::string to_string(FusionMode mode) {
  switch (mode) {
    case FusionMode::None: return "none";
    case FusionMode::Avg: return "avg";
    case FusionMode::Vcf: return "vcf";
    case FusionMode::Sdvc: return "sdvc";
  }
  return "?";
}

WindowGrid make_grid(FusionMode mode, int64_t height, int64_t width, int64_t window, int64_t stride) {
  return mode == FusionMode::None ? WindowGrid::tiles(height, width, window)
                                  : WindowGrid::overlapping(height, width, window, stride);
}

Fuser::Fuser(FusionMode mode, WindowGrid grid, WeightKind weights)
    : Fuser(mode, grid, window_weights(weights, grid.window_size())) {}

Fuser::Fuser(FusionMode mode, WindowGrid grid, torch::Tensor weights)
    : mode_(mode), grid_(std::move(grid)), weights_(std::move(weights)) {
  if (mode_ == FusionMode::None && grid_.stride() != grid_.window_size())
    throw std::runtime_error("fusion 'none' needs a grid of non-overlapping tiles");
}

Fuser Fuser::crop(const Region& region) const { return Fuser(mode_, grid_.crop(region), weights_); }

Fuser::Coefficients Fuser::coefficients(const Window& win, const torch::Device& device) const {
  const Region footprint = grid_.footprint(win);
  const auto neighbours = grid_.windows_touching(footprint);
  std::vector<int64_t> key;
  for (const auto& n : neighbours) {
    key.push_back(n.y - win.y);
    key.push_back(n.x - win.x);
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    Coefficients c;
    const auto& w = weights_;
    switch (mode_) {
      case FusionMode::None:
        c.sample = torch::ones_like(w);
        break;
      case FusionMode::Vcf:  // planes sum (w/W) y and (w/W) mu; finish() applies W/S
      case FusionMode::Avg: {
        const auto sums = weight_sums(grid_, w, footprint);
        c.sample = w / sums.sum;
        break;
      }
      case FusionMode::Sdvc: {
        const auto sums = weight_sums(grid_, w, footprint);
        const auto& W = sums.sum;
        const auto& S = sums.root_sq;
        c.sample = w / S;
        c.mean = (S - W) / (S * W) * w;
        break;
      }
    }
    it = cache_.emplace(std::move(key), CachedCoefficients{c, {}}).first;
  }
  const Coefficients& host = it->second.host;
  if (device.is_cpu()) return host;
  Coefficients& copy = it->second.device;
  if (!copy.sample.defined() || copy.sample.device() != device)
    copy = {host.sample.to(device), host.mean.defined() ? host.mean.to(device) : torch::Tensor()};
  return copy;
}

torch::Tensor Fuser::accumulate(const std::vector<Window>& windows, const torch::Tensor& means,
                                const StepNoise& noise, torch::Tensor& sums, int64_t first_row) const {
  const int64_t p = grid_.window_size(), n = static_cast<int64_t>(windows.size());
  if (means.dim() != 4 || means.size(0) != n || means.size(2) != p || means.size(3) != p)
    throw std::runtime_error("fusion: window means must be (windows, C, window, window)");
  if (sums.dim() != 4 || sums.scalar_type() != torch::kInt64 || !sums.is_contiguous() || sums.size(0) != planes() ||
      sums.size(1) != means.size(1))
    throw std::runtime_error("fusion: the accumulator must be contiguous int64 (planes, C, rows, width)");
  const torch::Device device = sums.device();
  if (!device.is_cpu() && !device.is_cuda())
    throw std::runtime_error("fusion: no accumulation on " + device.str());
  if (n == 0) return torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  // The kernel writes where these say: they are checked here, not trusted.
  const int64_t rows = sums.size(2), width = sums.size(3);
  auto words = torch::empty({4, n}, torch::TensorOptions().dtype(torch::kInt64).pinned_memory(device.is_cuda()));
  int64_t* word = words.data_ptr<int64_t>();
  std::vector<torch::Tensor> sample_coefficients, mean_coefficients;
  for (int64_t i = 0; i < n; ++i) {
    const Window& win = windows[static_cast<size_t>(i)];
    const Region at = grid_.footprint(win);
    if (at.y0 < first_row || at.y1 > first_row + rows || at.x0 < 0 || at.x1 > width)
      throw std::runtime_error("fusion: a window outside the accumulator");
    // Keyed by the window's place in the full grid, so a cropped grid draws the full run's noise.
    word[i] = noise_word(grid_.origin_y() + win.y, "window row");
    word[n + i] = noise_word(grid_.origin_x() + win.x, "window column");
    word[2 * n + i] = at.y0 - first_row;
    word[3 * n + i] = at.x0;
    const Coefficients c = coefficients(win, device);
    sample_coefficients.push_back(c.sample);
    if (c.mean.defined()) mean_coefficients.push_back(c.mean);
  }
  const WindowNoiseStream stream = window_noise_stream(noise.seed, noise.step, means.size(1), p);
  const torch::Tensor on_device = upload_from_host(words, device);
  const torch::Tensor mu = means.to(device, torch::kFloat32).contiguous();
  const torch::Tensor a = torch::stack(sample_coefficients).to(torch::kFloat64).contiguous();
  const torch::Tensor m = mean_coefficients.empty() ? torch::Tensor()
                                                    : torch::stack(mean_coefficients).to(torch::kFloat64).contiguous();
  WindowContributions w;
  w.means = mu.data_ptr<float>();
  w.sample_coefficients = a.data_ptr<double>();
  w.mean_coefficients = m.defined() ? m.data_ptr<double>() : nullptr;
  w.windows = on_device.data_ptr<int64_t>();
  w.sums = sums.data_ptr<int64_t>();
  w.n = n;
  w.channels = means.size(1);
  w.size = p;
  w.rows = rows;
  w.width = width;
  w.two_planes = mode_ == FusionMode::Vcf;
  w.sigma = noise.sigma;
  w.scale = kFixedPointScale;
  w.limit = kFixedPointLimit;
  w.key = stream.key;
  w.step = stream.step;
  auto largest = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
  auto* largest_bits = reinterpret_cast<uint64_t*>(largest.data_ptr<int64_t>());
  if (device.is_cpu()) {
    add_window_contributions_cpu(w, largest_bits);
  } else {
#ifdef GEOSR_WITH_CUDA
    const c10::cuda::CUDAGuard on(device);
    add_window_contributions_cuda(w, largest_bits, c10::cuda::getCurrentCUDAStream(device.index()).stream());
#else
    throw std::runtime_error("fusion: this build has no CUDA kernels");
#endif
  }
  return largest.view(torch::kFloat64);  // the bits of a non-negative double (or NaN)
}

torch::Tensor Fuser::finish(const Region& region, const torch::Tensor& sums) const {
  if (sums.size(0) != planes())
    throw std::runtime_error("fusion: accumulator has the wrong number of planes");
  if (mode_ != FusionMode::Vcf) return from_fixed_point(sums[0]).to(torch::kFloat32);
  // Eq. 7 with both sums divided by W: sum w y / S = (W/S) sum (w/W) y.
  const auto mean_of_samples = from_fixed_point(sums[0]);
  const auto mean_of_means = from_fixed_point(sums[1]);
  const auto ws = weight_sums(grid_, weights_, region);
  const auto ratio = (ws.sum / ws.root_sq).to(sums.device());  // W / S
  return (ratio * mean_of_samples + (1.0 - ratio) * mean_of_means).to(torch::kFloat32);
}

}  // namespace geosr
