#pragma once
// Radially averaged power spectra of reference and candidate windows (band mean, window mean
// removed, Hann taper), averaged over windows, and their distance in the high-frequency band:
// the mean |10 log10(P_candidate / P_reference)| in dB over radii from a quarter to a half cycle
// per pixel. Blur removes high-frequency power; hallucinated noise adds it. No learned weights.

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace geosr::eval {

struct SpectrumResult {
  std::vector<double> reference;  // mean power per integer radius 0 .. P/2 (cycles per window)
  std::vector<double> candidate;
  double high_band_distance_db = 0.0;
};

class PowerSpectrumAccumulator {
 public:
  void add_window(const torch::Tensor& reference, const torch::Tensor& candidate);  // (C, P, P)
  SpectrumResult result() const;
  int64_t windows() const { return windows_; }

 private:
  torch::Tensor radial(const torch::Tensor& window) const;

  int64_t size_ = 0;
  int64_t windows_ = 0;
  torch::Tensor bins_;  // (P, P) radius bin per frequency, -1 beyond Nyquist
  torch::Tensor counts_;
  torch::Tensor taper_;
  torch::Tensor reference_sum_, candidate_sum_;
};

}  // namespace geosr::eval
