#pragma once
// One reverse step for a batch of windows, independent of where the canvas is stored: the shared
// piece of the in-memory scene sampler and the out-of-core processor.

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/canvas/batch_upload.hpp"
#include "geosr/core/canvas/canvas.hpp"
#include "geosr/core/diffusion/sampler.hpp"
#include "geosr/core/fusion/fuser.hpp"
#include "geosr/core/network/denoiser.hpp"

namespace geosr {

class WindowStepper {
 public:
  WindowStepper(const Denoiser& denoiser, const Sampler& sampler, const Fuser& fuser, uint64_t seed,
                torch::Device device);

  // For every window of `batch`: crop the condition and y_t, predict the noise at step t (one
  // network call for the whole batch), take the sampler's mean and sigma, draw the window's own
  // noise (keyed by seed, t and its origin) and add its fused contribution to the canvas. All of
  // it after the crops runs on `device`, which the host does not wait for.
  // The canvas state is unchanged until canvas.finish_step().
  void run(int t, const std::vector<Window>& batch, const RegionReader& condition, Canvas& canvas);

  // Throws when a contribution added since the last check was non-finite or out of range (the
  // network produced garbage). On an accelerator this waits for the device, so callers check once
  // per step, before the step is committed (finish_step), not after every batch: rows finished
  // earlier only went to the scratch array, which the error then discards.
  void check_contributions();

  const Denoiser& denoiser;
  const Sampler& sampler;
  const Fuser& fuser;
  const uint64_t seed;
  const torch::Device device;

 private:
  BatchUpload upload_;
  torch::Tensor largest_;  // 0-dim: the largest |contribution| since the last check
};

}  // namespace geosr
