#include "geosr/core/grid/window_weights.hpp"

#include <cmath>
#include <stdexcept>

namespace geosr {

WeightKind parse_weight_kind(const std::string& name) {
  if (name == "cone") return WeightKind::Cone;
  if (name == "tent") return WeightKind::Tent;
  if (name == "gaussian") return WeightKind::Gaussian;
  if (name == "uniform") return WeightKind::Uniform;
  throw std::runtime_error("unknown window weight '" + name +
                           "' (expected cone, tent, gaussian or uniform)");
}

std::string to_string(WeightKind kind) {
  switch (kind) {
    case WeightKind::Cone: return "cone";
    case WeightKind::Tent: return "tent";
    case WeightKind::Gaussian: return "gaussian";
    case WeightKind::Uniform: return "uniform";
  }
  return "?";
}

torch::Tensor window_weights(WeightKind kind, int64_t size) {
  if (size <= 0) throw std::runtime_error("window weights: size must be positive");
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const double half = static_cast<double>(size) / 2.0;
  // Offsets of the pixel centres from the window centre, in pixels.
  const auto offset = torch::arange(size, opts) + 0.5 - half;
  const auto dy = offset.view({size, 1}), dx = offset.view({1, size});
  switch (kind) {
    case WeightKind::Cone: {
      const double d_max = half * std::sqrt(2.0);
      return 1.0 - torch::sqrt(dy * dy + dx * dx) / d_max + 1e-4;
    }
    case WeightKind::Tent:
      return (1.0 - dy.abs() / half) * (1.0 - dx.abs() / half);
    case WeightKind::Gaussian: {
      const double var = 0.01;
      const auto uy = dy / size, ux = dx / size;
      return torch::exp(-(uy * uy + ux * ux) / (2.0 * var));
    }
    case WeightKind::Uniform:
      return torch::ones({size, size}, opts);
  }
  throw std::runtime_error("window weights: unknown kind");
}

WeightSums weight_sums(const WindowGrid& grid, const torch::Tensor& weights, const Region& region) {
  using torch::indexing::Slice;
  const int64_t p = grid.window_size();
  if (weights.dim() != 2 || weights.size(0) != p || weights.size(1) != p)
    throw std::runtime_error("weight sums: weights must be (window, window)");
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto sum = torch::zeros({region.height(), region.width()}, opts);
  auto sum_sq = torch::zeros_like(sum);
  const auto w = weights.to(torch::kFloat64);
  const auto w_sq = w * w;
  // The part of a (h, w) map with top-left at `origin` that lies over `r`.
  const auto part = [](const torch::Tensor& map, const Region& r, int64_t oy, int64_t ox) {
    return map.index({Slice(r.y0 - oy, r.y1 - oy), Slice(r.x0 - ox, r.x1 - ox)});
  };
  for (const auto& win : grid.windows_touching(region)) {
    const Region o = grid.footprint(win).intersect(region);
    part(sum, o, region.y0, region.x0).add_(part(w, o, win.y, win.x));
    part(sum_sq, o, region.y0, region.x0).add_(part(w_sq, o, win.y, win.x));
  }
  return {sum, sum_sq.sqrt()};
}

}  // namespace geosr
