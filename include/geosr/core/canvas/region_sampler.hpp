#pragma once
// Joint denoising of one block of a scene (what the GDAL driver computes per block): only the
// windows of the scene's grid within `halo` pixels of the block are denoised, on a canvas of their
// own, each with the noise the whole-scene run gives it. Pixels far from the crop's edge see the
// same windows as in the whole-scene run; with a halo that reaches every window the result equals
// the whole-scene run bit for bit. docs/gdal.md measures what smaller halos cost in exactness.

#include <cstdint>
#include <functional>

#include <torch/torch.h>

#include "geosr/core/canvas/canvas.hpp"
#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/diffusion/sampler.hpp"
#include "geosr/core/fusion/fuser.hpp"
#include "geosr/core/network/denoiser.hpp"

namespace geosr {

struct RegionRun {
  const Denoiser& denoiser;
  const Sampler& sampler;
  const Fuser& fuser;      // over the whole scene's grid
  RegionReader condition;  // condition over a region of that grid's extent, (C, h, w); called once
  uint64_t seed = 0;
  int64_t batch = 8;
  torch::Device device = torch::kCPU;
  std::function<void(const SceneProgress&)> progress = {};  // after each group of windows; may throw to stop
};

// y_0 over `block` (of the grid's scene), (C, h, w) float32 clamped to [-1, 1].
torch::Tensor sample_region(const RegionRun& run, const Region& block, int64_t halo);

}  // namespace geosr
