#pragma once
// Joint denoising of a whole in-memory scene over overlapping windows (InfScene-SR).

#include <cstdint>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/canvas/canvas.hpp"
#include "geosr/core/canvas/window_step.hpp"
#include "geosr/core/diffusion/sampler.hpp"
#include "geosr/core/fusion/fuser.hpp"
#include "geosr/core/grid/window_weights.hpp"
#include "geosr/core/network/denoiser.hpp"

namespace geosr {

struct SceneProgress {
  int step = 0;              // reverse steps completed before this one (0 .. steps-1)
  int steps = 0;
  int64_t windows_done = 0;  // within the current step
  int64_t windows = 0;
};

struct SceneSamplerOptions {
  FusionMode fusion = FusionMode::Sdvc;
  int64_t window = 512;  // the official tile and stride (25 % overlap)
  int64_t stride = 384;
  WeightKind weights = WeightKind::Cone;
  int64_t batch = 8;
  int64_t group = 0;  // windows per call of the stepper (0: WindowStepper's choice for the device)
  uint64_t seed = 0;
  torch::Device device = torch::kCPU;  // where the network runs; the canvas stays on the host
  // The order windows are processed in (a permutation of grid indices); empty: row-major. The
  // output bytes do not depend on it, nor on `batch` or `group` (on the CPU; on CUDA cuDNN's
  // algorithm choice may depend on the batch: docs/method.md).
  std::vector<int64_t> window_order;
  std::function<void(const SceneProgress&)> progress;
};

// Every reverse step of the stepper's sampler over `windows`, a group of windows at a time,
// finishing each step on `canvas`: the loop the in-memory scene sampler and the region sampler share.
void denoise_windows(WindowStepper& stepper, const std::vector<Window>& windows, const WindowsReader& condition,
                     Canvas& canvas,
                     const std::function<void(const SceneProgress&)>& progress = {});

// condition: (C, H, W) in [-1, 1], any H, W >= 1. The sampler's schedule fixes the steps; the
// denoiser fixes network and precision. Returns the (C, H, W) float32 sample clamped to [-1, 1].
torch::Tensor sample_scene(const Denoiser& denoiser, const Sampler& sampler,
                           const torch::Tensor& condition, const SceneSamplerOptions& options);

}  // namespace geosr
