#pragma once
// Joint denoising of a scene of any size (the streaming processor's core): the windows are visited
// row of windows by row of windows, top to bottom, so the canvas only needs one band of
// accumulator and its arrays are touched sequentially. The condition is read a batch of windows at
// a time from a callback, windows without a single valid pixel are skipped (no network call), and
// the caller can observe progress, checkpoint after any step, or stop between batches by throwing
// from a callback. For the same seed the result equals sample_scene's bit for bit.

#include <cstdint>
#include <functional>

#include "geosr/core/canvas/band_canvas.hpp"
#include "geosr/core/canvas/scene_sampler.hpp"

namespace geosr {

struct StreamingRun {
  const Denoiser& denoiser;
  const Sampler& sampler;
  const Fuser& fuser;
  WindowsReader condition;  // condition over a batch of window footprints, (n, C, P, P)
  uint64_t seed = 0;
  int64_t batch = 8;
  torch::Device device = torch::kCPU;
  std::function<bool(const Window&)> skip;                 // optional: true = nothing valid under it
  std::function<void(const SceneProgress&)> progress;      // after every batch
  std::function<void(int steps_completed)> step_completed; // after every finished step
};

// Runs the reverse steps after the first `steps_completed` ones (0: from pure noise) on `canvas`,
// whose state is y_t of that point. Afterwards canvas.state() holds y_0 (unclamped).
void run_streaming(const StreamingRun& run, BandCanvas& canvas, int steps_completed = 0);

}  // namespace geosr
