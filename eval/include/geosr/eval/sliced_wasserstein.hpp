#pragma once
// Sliced Wasserstein distance between multi-scale patch descriptors (Karras et al. 2018, ProGAN):
// per window a Laplacian pyramid (cv2.pyrDown/pyrUp filters, mirror borders), 7 x 7 x C patches at
// seeded random places on every level, normalised per channel with the reference set's statistics
// (Karras et al. use each set's own, which hides blur), then the mean over 4 x 128 random unit
// directions of the 1-D Wasserstein distance between sorted projections. Reported x 1e3 as in
// the paper. Needs no learned weights.

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace geosr::eval {

struct SwdOptions {
  int64_t levels = 4;                  // window, /2, /4, ... ; the last level is the low-pass residual
  int64_t patch = 7;
  int64_t descriptors_per_level = 128;  // per window
  int64_t repeats = 4;
  int64_t directions = 128;
  uint64_t seed = 0;
};

struct SwdResult {
  std::vector<double> per_level;  // finest first
  double mean = 0.0;
};

class SlicedWasserstein {
 public:
  explicit SlicedWasserstein(SwdOptions options = {});
  // One reference window and the candidate window at the same place, (C, P, P).
  void add_window(const torch::Tensor& reference, const torch::Tensor& candidate);
  SwdResult result() const;
  int64_t windows() const { return windows_; }

 private:
  std::vector<torch::Tensor> descriptors(const torch::Tensor& window, uint64_t seed) const;

  SwdOptions options_;
  int64_t windows_ = 0;
  std::vector<std::vector<torch::Tensor>> reference_, candidate_;  // [level][window] (n, C*7*7)
};

// Sliced Wasserstein distance between equally many samples (rows) of a and b.
double sliced_wasserstein(const torch::Tensor& a, const torch::Tensor& b, int64_t repeats, int64_t directions,
                          uint64_t seed);

// One Laplacian pyramid level list for (C, H, W): levels-1 band-pass images and the low-pass rest.
std::vector<torch::Tensor> laplacian_pyramid(const torch::Tensor& image, int64_t levels);

}  // namespace geosr::eval
