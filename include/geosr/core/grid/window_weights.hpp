#pragma once
// Per-window blending weights and their per-pixel sums over a window grid.
//
// Pixel convention: pixel i of a window of size P has its centre at i + 0.5 and the window centre
// is at P/2, so every kind is exactly symmetric and strictly positive on the whole window.

#include <string>

#include <torch/torch.h>

#include "geosr/core/grid/window_grid.hpp"

namespace geosr {

enum class WeightKind {
  Cone,      // official InfScene-SR: 1 - d/d_max + 1e-4, d_max = centre-to-corner distance P/sqrt(2)
  Tent,      // separable (1 - |u|)(1 - |v|), u, v = offset from centre / (P/2)
  Gaussian,  // Mixture of Diffusers: exp(-(u^2 + v^2) / (2 * 0.01)) on coordinates normalized to [0,1]
  Uniform,   // MultiDiffusion
};

WeightKind parse_weight_kind(const std::string& name);  // "cone" | "tent" | "gaussian" | "uniform"
std::string to_string(WeightKind kind);

// (P, P) float64 weights, peak about 1. The fusion rules are invariant to scaling the weights.
torch::Tensor window_weights(WeightKind kind, int64_t size);

// W = sum_i w_i and S = sqrt(sum_i w_i^2) over a region, (h, w) float64 each.
struct WeightSums {
  torch::Tensor sum;       // W
  torch::Tensor root_sq;   // S
};

// Computed from the grid alone: only the windows touching `region` are visited, so the cost is
// independent of the scene size and no scene-sized map is ever built.
WeightSums weight_sums(const WindowGrid& grid, const torch::Tensor& weights, const Region& region);

}  // namespace geosr
