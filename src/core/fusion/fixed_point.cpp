#include "geosr/core/fusion/fixed_point.hpp"

#include <stdexcept>

namespace geosr {

torch::Tensor to_fixed_point(const torch::Tensor& values) {
  const auto v = values.to(torch::kFloat64);
  // NaN fails the comparison too, because max() propagates it.
  const double largest = v.numel() ? v.abs().max().item<double>() : 0.0;
  if (!(largest < kFixedPointLimit))
    throw std::runtime_error("fusion: non-finite or out-of-range value (" + std::to_string(largest) +
                             ") in a window contribution");
  return torch::round(v * kFixedPointScale).to(torch::kInt64);
}

torch::Tensor from_fixed_point(const torch::Tensor& sums) {
  return sums.to(torch::kFloat64) / kFixedPointScale;
}

}  // namespace geosr
