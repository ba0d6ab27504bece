#include "geosr/core/fusion/fuser.hpp"

#include <stdexcept>

#include "geosr/core/fusion/fixed_point.hpp"

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

Fuser::Contributions Fuser::contributions(const std::vector<Window>& windows, const torch::Tensor& means,
                                          double sigma, const torch::Tensor& noise) const {
  const int64_t p = grid_.window_size();
  if (means.dim() != 4 || means.size(0) != static_cast<int64_t>(windows.size()) || means.size(2) != p ||
      means.size(3) != p)
    throw std::runtime_error("fusion: window means must be (windows, C, window, window)");
  std::vector<torch::Tensor> sample_coefficients, mean_coefficients;
  for (const Window& win : windows) {
    const Coefficients c = coefficients(win, means.device());
    sample_coefficients.push_back(c.sample);
    if (c.mean.defined()) mean_coefficients.push_back(c.mean);
  }
  const auto a = torch::stack(sample_coefficients).unsqueeze(1);  // (n, 1, P, P), over the channels
  const auto mu = means.to(torch::kFloat64);
  const auto sample = sigma > 0.0 ? mu + sigma * noise.to(torch::kFloat64) : mu;
  torch::Tensor values;
  if (mode_ == FusionMode::Vcf) {
    values = torch::stack({a * sample, a * mu}, 1);
  } else {
    values = a * sample;
    if (!mean_coefficients.empty()) values = values + torch::stack(mean_coefficients).unsqueeze(1) * mu;
    values = values.unsqueeze(1);
  }
  return {to_fixed_point_unchecked(values), values.abs().max()};
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
