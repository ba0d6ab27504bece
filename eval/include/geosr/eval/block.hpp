#pragma once
// The unit the pixel metrics stream over: an aligned piece of the reference and the candidate.
// Blocks' cores tile the scene; the halo around a core (clipped at the scene edge) lets
// neighbourhood metrics (SSIM's 11 x 11 window, gradients) see across block edges, so that
// accumulating any tiling of the scene gives the whole-image result.

#include <cstdint>

#include <torch/torch.h>

#include "geosr/core/grid/window_grid.hpp"

namespace geosr::eval {

struct SceneShape {
  int64_t height = 0;
  int64_t width = 0;
  int64_t bands = 0;
};

struct BlockPair {
  torch::Tensor reference;  // (C, h, w) float64
  torch::Tensor candidate;  // (C, h, w) float64
  torch::Tensor valid;      // (h, w) bool: both rasters have data here
  int64_t y0 = 0, x0 = 0;   // the block's origin in the scene
  Region core;              // the pixels this block is responsible for, in block coordinates

  int64_t height() const { return reference.size(-2); }
  int64_t width() const { return reference.size(-1); }
};

// The block with core `core` (scene coordinates) and `halo` pixels around it, cut from whole
// (C, H, W) images; `valid` is (H, W) bool or undefined (everything valid).
BlockPair crop_block(const torch::Tensor& reference, const torch::Tensor& candidate, const torch::Tensor& valid,
                     const Region& core, int64_t halo);

// Throws unless `block` has at least `halo` pixels around its core wherever the scene allows.
void require_halo(const BlockPair& block, const SceneShape& scene, int64_t halo, const char* metric);

}  // namespace geosr::eval
