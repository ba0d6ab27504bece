#pragma once
// Counter-based Gaussian noise: every value is a pure function of its key, so the noise a window
// or pixel receives does not depend on batch size, processing order, thread count or machine.
// The generator itself (Philox4x32-10 and Box-Muller) is in philox.hpp.

#include <cstdint>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/diffusion/philox.hpp"
#include "geosr/core/grid/window_grid.hpp"

namespace geosr {

// (channels, size, size) float32 noise of the window with origin (y, x) at `step`, keyed by
// (seed, step, y, x, channel, pixel within the window).
torch::Tensor window_noise(uint64_t seed, int64_t step, int64_t y, int64_t x, int64_t channels,
                           int64_t size);

// What window_noise draws from, for code that draws the same values elsewhere (the fused
// accumulation of fusion, on any device): the stream's key and the counter word of `step`, after
// window_noise's checks that the step and a window of `channels` x `size` x `size` values fit the
// 32-bit counter. Origins go through noise_word.
struct WindowNoiseStream {
  PhiloxKey key;
  uint32_t step;
};
WindowNoiseStream window_noise_stream(uint64_t seed, int64_t step, int64_t channels, int64_t size);
// `value` as a 32-bit counter word; throws (naming it `what`) when it does not fit.
uint32_t noise_word(int64_t value, const char* what);

// (channels, h, w) float32 noise over a region of the scene, keyed by (seed, step, channel, global
// y, global x): the same pixel gets the same value whatever region it is generated as part of.
torch::Tensor pixel_noise(uint64_t seed, int64_t step, int64_t channels, const Region& region);

// The starting point y_T over a region: per-pixel noise from its own stream, so the initial canvas
// depends on neither the window grid nor the number of steps.
torch::Tensor initial_noise(uint64_t seed, int64_t channels, const Region& region);

}  // namespace geosr
