#pragma once
// One reverse step for a batch of windows, independent of where the canvas is stored: the shared
// piece of the in-memory scene sampler and the out-of-core processor.

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/canvas/canvas.hpp"
#include "geosr/core/diffusion/sampler.hpp"
#include "geosr/core/fusion/fuser.hpp"
#include "geosr/core/network/denoiser.hpp"

namespace geosr {

struct WindowStepper {
  const Denoiser& denoiser;
  const Sampler& sampler;
  const Fuser& fuser;
  uint64_t seed = 0;
  torch::Device device = torch::kCPU;

  // For every window of `batch`: crop the condition and y_t, predict the noise at step t (one
  // network call for the whole batch), take the sampler's mean and sigma, draw the window's own
  // noise (keyed by seed, t and its origin) and add its fused contribution to the canvas.
  // The canvas state is unchanged until canvas.finish_step().
  void run(int t, const std::vector<Window>& batch, const RegionReader& condition,
           Canvas& canvas) const;
};

}  // namespace geosr
