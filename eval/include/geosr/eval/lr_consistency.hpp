#pragma once
// LR consistency: MAE between the candidate area-downsampled by the integer scale
// (geosr::degrade, the training degradation) and the LR input it was made from.

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "geosr/eval/pixel_fidelity.hpp"

namespace geosr::eval {

class LrConsistencyAccumulator {
 public:
  LrConsistencyAccumulator(int64_t bands, int64_t scale);
  // `candidate` (C, h*scale, w*scale) and `candidate_valid` (h*scale, w*scale) cover exactly the
  // LR pixels `lr` (C, h, w) with validity `lr_valid` (h, w). An LR pixel counts only if it and
  // all the candidate pixels it covers are valid.
  void add(const torch::Tensor& candidate, const torch::Tensor& candidate_valid, const torch::Tensor& lr,
           const torch::Tensor& lr_valid);
  BandScores mae() const;  // overall: over all bands' pixels together
  int64_t scale() const { return scale_; }

 private:
  int64_t scale_;
  std::vector<double> abs_sum_;
  int64_t count_ = 0;
};

}  // namespace geosr::eval
