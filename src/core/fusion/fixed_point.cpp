#include "geosr/core/fusion/fixed_point.hpp"

#include <stdexcept>

namespace geosr {

torch::Tensor to_fixed_point(const torch::Tensor& values) {
  const auto v = values.to(torch::kFloat64);
  if (v.numel()) check_fixed_point_range(v.abs().max());
  return torch::round(v * kFixedPointScale).to(torch::kInt64);
}

void check_fixed_point_range(const torch::Tensor& largest) {
  // NaN fails the comparison too, because max() propagates it.
  const double value = largest.item<double>();
  if (!(value < kFixedPointLimit))
    throw std::runtime_error("fusion: non-finite or out-of-range value (" + std::to_string(value) +
                             ") in a window contribution");
}

torch::Tensor from_fixed_point(const torch::Tensor& sums) {
  return sums.to(torch::kFloat64) / kFixedPointScale;
}

}  // namespace geosr
