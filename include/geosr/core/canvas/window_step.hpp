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
  // The network sees `batch` windows per call; `group` > 0 replaces the automatic group().
  WindowStepper(const Denoiser& denoiser, const Sampler& sampler, const Fuser& fuser, uint64_t seed, int64_t batch,
                torch::Device device, int64_t group = 0);

  // For every window of `windows`: crop the condition and y_t, predict the noise at step t (one
  // network call per `batch` windows), take the sampler's mean and sigma, draw the window's own
  // noise (keyed by seed, t and its origin) and add its fused contribution to the canvas. All of
  // it after the crops runs on `device`, which the host does not wait for. Everything but the
  // network runs once for all the windows, so pass group() of them at a time where possible.
  // The canvas state is unchanged until canvas.finish_step().
  void run(int t, const std::vector<Window>& windows, const WindowsReader& condition, Canvas& canvas);

  // How many windows a call of run should take. On an accelerator the host's dispatch of the
  // operations around the network (crops, the sampler's mean, one fused accumulation), not the
  // device, sets the pace of small windows: there a group is a multiple of the batch, up to a
  // fixed number of values per call, and 80 128-px windows dispatch them once instead of once per
  // batch of 16. Its temporaries (crops and means, float32: tens of MiB) are, like the network's
  // activations, outside the canvas's --max-device-mem. On the CPU, one batch.
  int64_t group() const { return group_; }

  // Throws when a contribution added since the last check was non-finite or out of range (the
  // network produced garbage). On an accelerator this waits for the device, so callers check once
  // per step, before the step is committed (finish_step), not after every batch: rows finished
  // earlier only went to the scratch array, which the error then discards.
  void check_contributions();

  const Denoiser& denoiser;
  const Sampler& sampler;
  const Fuser& fuser;
  const uint64_t seed;
  const int64_t batch;
  const torch::Device device;

 private:
  int64_t group_;
  BatchUpload upload_;
  torch::Tensor largest_;  // 0-dim: the largest |contribution| since the last check
};

}  // namespace geosr
