#pragma once
// Consistency with the observed low-resolution scene (Generative Powers of Ten, sec. 4.4, adapted
// to rasters): before a step uses its clean estimate x0, x0's low frequencies are pulled towards
// the condition's, the cubic-upsampled LR. A small model's per-scene colour cast and brightness
// drift live in those frequencies; the detail it adds lives above them. A Gaussian low-pass of each
// window, so a window's correction depends on its own pixels: windows stay independent, and the
// fusion, the canvas tiers and the order of the windows are untouched.

#include <cstdint>

#include <torch/torch.h>

namespace geosr {

// x's low frequencies (N, C, H, W): a separable Gaussian of `sigma` pixels, reflected at the edges.
torch::Tensor low_pass(const torch::Tensor& x, double sigma);

struct LrConsistency {
  double weight = 0.0;  // 0: off; 1: the condition's low frequencies replace x0's
  double sigma = 0.0;   // of the low-pass, in output pixels

  bool active() const { return weight > 0.0; }
  // x0 + weight * (low_pass(condition) - low_pass(x0)), clamped to the data range [-1, 1].
  torch::Tensor operator()(const torch::Tensor& x0, const torch::Tensor& condition) const;
};

// For an enlargement by `scale`: the low-pass halves the amplitude at the LR's Nyquist frequency,
// 1 / (2 scale) cycles per output pixel. Throws std::invalid_argument unless 0 <= weight <= 1.
LrConsistency lr_consistency(int64_t scale, double weight);

}  // namespace geosr
