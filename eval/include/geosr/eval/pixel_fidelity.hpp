#pragma once
// Pixel fidelity of a candidate against the reference, accumulated block by block:
// RMSE and PSNR (MAX from the data type, 255 for Byte as in the paper) and SSIM as Wang et al. /
// scikit-image compute it (Gaussian 11 x 11 window, sigma 1.5, K1 = 0.01, K2 = 0.03, population
// covariances, mean over pixels at least 5 from the scene edge), per band and averaged.

#include <cstdint>
#include <vector>

#include "geosr/eval/block.hpp"

namespace geosr::eval {

struct BandScores {
  std::vector<double> per_band;
  double overall = 0.0;
};

class ErrorAccumulator {
 public:
  ErrorAccumulator(const SceneShape& scene, double max_value);
  void add(const BlockPair& block);
  BandScores rmse() const;  // overall: over all bands' pixels together
  BandScores psnr() const;  // from the RMSE above; +inf for identical rasters
  int64_t pixels() const { return count_; }

 private:
  double max_value_;
  std::vector<double> squared_;
  int64_t count_ = 0;
};

class SsimAccumulator {
 public:
  static constexpr int64_t kHalo = 5;  // radius of the 11 x 11 window
  SsimAccumulator(const SceneShape& scene, double data_range);
  // Pixels whose window holds any invalid pixel are left out.
  void add(const BlockPair& block);
  BandScores ssim() const;  // overall: mean of the bands

 private:
  SceneShape scene_;
  double c1_, c2_;
  torch::Tensor kernel_;  // (11) Gaussian, sums to one
  std::vector<double> sum_;
  int64_t count_ = 0;
};

// The per-pixel maximum of a raster data type ("Byte" -> 255, "UInt16" -> 65535, ...); floating
// types have none and give 1, the convention for reflectance-like data.
double data_type_max(const char* gdal_type_name);

}  // namespace geosr::eval
