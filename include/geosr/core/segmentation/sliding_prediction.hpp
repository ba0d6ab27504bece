#pragma once
// Full-scene segmentation with overlapping windows (the paper's Eq. 16-17): S x S windows at a
// stride, each window's class probabilities weighted by a Gaussian centred on the window (sigma =
// S/4), summed and divided by the summed weights. The windows sit on one grid over the whole scene
// (multiples of the stride, the last one flush with the edge), so a band of rows predicted on its
// own, from the rows its windows read, is the same as that band of a whole-scene prediction:
// scenes of any size are predicted block by block.

#include <cstdint>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/resample/resample.hpp"

namespace geosr {

struct SlidingOptions {
  int64_t window = 128;  // S, a multiple of 32
  int64_t stride = 32;
  double sigma = 0.0;    // <= 0: S / 4
  int64_t batch = 16;    // windows per network call
};

// (S, S) float32: exp(-((i - S/2)^2 + (j - S/2)^2) / (2 sigma^2)), i, j = 0 .. S-1 (Eq. 16).
torch::Tensor gaussian_window(int64_t size, double sigma);

// Window starts along an axis: 0, stride, 2 stride, ... and length - window last, so the windows
// cover the axis; {0} when the axis is shorter than a window (the scene is then padded).
std::vector<int64_t> window_starts(int64_t length, int64_t window, int64_t stride);

// Class probabilities (N, K, S, S) of normalised windows (N, C, S, S), on any device.
using WindowClassifier = std::function<torch::Tensor(const torch::Tensor&)>;

class SlidingPredictor {
 public:
  // Throws std::runtime_error on impossible options.
  SlidingPredictor(WindowClassifier classify, int64_t height, int64_t width, SlidingOptions options);

  // The scene rows that the windows over output `rows` read.
  Span input_rows(Span rows) const;

  // Probabilities (K, rows, width) float32 of output `rows`, from the scene's input_rows(rows)
  // (C, h, width), normalised.
  torch::Tensor predict(const torch::Tensor& input, Span rows) const;

  int64_t windows() const { return static_cast<int64_t>(ys_.size() * xs_.size()); }

 private:
  WindowClassifier classify_;
  int64_t height_, width_;
  SlidingOptions options_;
  std::vector<int64_t> ys_, xs_;
  torch::Tensor weights_;
};

}  // namespace geosr
