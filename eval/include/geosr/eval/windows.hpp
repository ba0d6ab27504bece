#pragma once
// The distribution metrics (SWD, spectra, FID/KID) compare sets of windows cut from the reference
// and the candidate at the same places; a window is used only if it holds no NoData.

#include <cstdint>
#include <functional>
#include <vector>

#include <torch/torch.h>

namespace geosr::eval {

struct WindowLayout {
  int64_t size = 0;
  int64_t stride = 0;
};

// Window starts along an axis: 0, stride, 2*stride, ... plus one flush with the far edge (the
// official grid, geosr::window_origins); none when the axis is shorter than a window.
std::vector<int64_t> window_starts(int64_t length, const WindowLayout& layout);

// Calls fn(reference window, candidate window), each (C, size, size), for every window of the
// layout over whole (C, H, W) images that is entirely valid (`valid` (H, W) bool, or undefined).
void for_each_window(const torch::Tensor& reference, const torch::Tensor& candidate, const torch::Tensor& valid,
                     const WindowLayout& layout,
                     const std::function<void(const torch::Tensor&, const torch::Tensor&)>& fn);

}  // namespace geosr::eval
