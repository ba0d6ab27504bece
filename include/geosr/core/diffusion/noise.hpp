#pragma once
// Counter-based Gaussian noise: every value is a pure function of its key, so the noise a window
// or pixel receives does not depend on batch size, processing order, thread count or machine.
//
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) maps a
// 128-bit counter and a 64-bit key to 128 random bits; Box-Muller turns each pair of 32-bit words
// into two standard normals, so one Philox call yields 4 consecutive values of a stream.

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/grid/window_grid.hpp"

namespace geosr {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

PhiloxCounter philox4x32_10(PhiloxCounter counter, PhiloxKey key);

// The same function elementwise over tensors of counter words (int64 holding 32-bit values,
// broadcastable to one shape), on whatever device they are: the accelerator draws its own noise.
using PhiloxWords = std::array<torch::Tensor, 4>;
PhiloxWords philox4x32_10(PhiloxWords counter, PhiloxKey key);

// The 4 standard normals of one Philox block (Box-Muller on word pairs (0,1) and (2,3)).
std::array<float, 4> normal4(const PhiloxCounter& counter, const PhiloxKey& key);

// (channels, size, size) float32 noise of the window with origin (y, x) at `step`, keyed by
// (seed, step, y, x, channel, pixel within the window).
torch::Tensor window_noise(uint64_t seed, int64_t step, int64_t y, int64_t x, int64_t channels,
                           int64_t size);

// (n, channels, size, size) float32 noise on `device` of n windows with origins (y, x): window_noise
// of each. A CPU computes it value by value; another device computes it itself with
// window_noise_tensors, so no noise crosses the bus.
torch::Tensor window_noise(uint64_t seed, int64_t step, const std::vector<std::pair<int64_t, int64_t>>& origins,
                           int64_t channels, int64_t size, torch::Device device);

// The same noise drawn with tensor operations on `device` (Philox on int64 tensors, then
// Box-Muller): the same integer words as the value-by-value generator, but log/cos/sin are the
// device's, which may round a value differently in the last float bit. The same device always
// gives the same bits. A CPU runs it too, which is how it is tested without an accelerator.
torch::Tensor window_noise_tensors(uint64_t seed, int64_t step,
                                   const std::vector<std::pair<int64_t, int64_t>>& origins, int64_t channels,
                                   int64_t size, torch::Device device);

// (channels, h, w) float32 noise over a region of the scene, keyed by (seed, step, channel, global
// y, global x): the same pixel gets the same value whatever region it is generated as part of.
torch::Tensor pixel_noise(uint64_t seed, int64_t step, int64_t channels, const Region& region);

// The starting point y_T over a region: per-pixel noise from its own stream, so the initial canvas
// depends on neither the window grid nor the number of steps.
torch::Tensor initial_noise(uint64_t seed, int64_t channels, const Region& region);

}  // namespace geosr
