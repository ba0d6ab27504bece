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

const Fuser::Coefficients& Fuser::coefficients(const Window& win) const {
  const Region footprint = grid_.footprint(win);
  const auto neighbours = grid_.windows_touching(footprint);
  std::vector<int64_t> key;
  for (const auto& n : neighbours) {
    key.push_back(n.y - win.y);
    key.push_back(n.x - win.x);
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;

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
  return cache_.emplace(std::move(key), std::move(c)).first->second;
}

torch::Tensor Fuser::contribution(const Window& win, const torch::Tensor& mean, double sigma,
                                  const torch::Tensor& noise) const {
  const int64_t p = grid_.window_size();
  if (mean.dim() != 3 || mean.size(1) != p || mean.size(2) != p)
    throw std::runtime_error("fusion: window mean must be (C, window, window)");
  const auto mu = mean.to(torch::kFloat64);
  const auto sample = sigma > 0.0 ? mu + sigma * noise.to(torch::kFloat64) : mu;
  const Coefficients& c = coefficients(win);
  if (mode_ == FusionMode::Vcf)
    return torch::stack({to_fixed_point(c.sample * sample), to_fixed_point(c.sample * mu)});
  auto value = c.sample * sample;
  if (c.mean.defined()) value = value + c.mean * mu;
  return to_fixed_point(value).unsqueeze(0);
}

torch::Tensor Fuser::finish(const Region& region, const torch::Tensor& sums) const {
  if (sums.size(0) != planes())
    throw std::runtime_error("fusion: accumulator has the wrong number of planes");
  if (mode_ != FusionMode::Vcf) return from_fixed_point(sums[0]).to(torch::kFloat32);
  // Eq. 7 with both sums divided by W: sum w y / S = (W/S) sum (w/W) y.
  const auto mean_of_samples = from_fixed_point(sums[0]);
  const auto mean_of_means = from_fixed_point(sums[1]);
  const auto ws = weight_sums(grid_, weights_, region);
  const auto ratio = ws.sum / ws.root_sq;  // W / S
  return (ratio * mean_of_samples + (1.0 - ratio) * mean_of_means).to(torch::kFloat32);
}

}  // namespace geosr
