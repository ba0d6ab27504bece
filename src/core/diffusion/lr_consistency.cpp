#include "geosr/core/diffusion/lr_consistency.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace geosr {

namespace F = torch::nn::functional;

torch::Tensor low_pass(const torch::Tensor& x, double sigma) {
  const int64_t height = x.size(2), width = x.size(3);
  // Three sigmas, but reflection needs fewer rows than the window has.
  const int64_t radius = std::min({static_cast<int64_t>(std::ceil(3.0 * sigma)), height - 1, width - 1});
  if (radius < 1) return x;
  const auto taps = torch::arange(-radius, radius + 1, x.options());
  auto kernel = torch::exp(-0.5 * (taps / sigma).square());
  kernel = kernel / kernel.sum();
  auto planes = x.reshape({-1, 1, height, width});
  planes = F::pad(planes, F::PadFuncOptions({radius, radius, radius, radius}).mode(torch::kReflect));
  planes = F::conv2d(planes, kernel.view({1, 1, 1, -1}));
  planes = F::conv2d(planes, kernel.view({1, 1, -1, 1}));
  return planes.reshape(x.sizes());
}

torch::Tensor LrConsistency::operator()(const torch::Tensor& x0, const torch::Tensor& condition) const {
  // The low-pass is linear: one pass over the difference costs half of two.
  const torch::Tensor c = condition.to(x0.device(), x0.scalar_type());
  return (x0 + weight * low_pass(c - x0, sigma)).clamp(-1.0, 1.0);
}

LrConsistency lr_consistency(int64_t scale, double weight) {
  if (!(weight >= 0.0 && weight <= 1.0))
    throw std::invalid_argument("the LR consistency weight must be 0 .. 1 (0: off, 1: the LR's low frequencies replace "
                                "the model's), got " + std::to_string(weight));
  // A Gaussian's response exp(-2 pi^2 sigma^2 f^2) is 1/2 at f = 1 / (2 scale).
  return {weight, static_cast<double>(scale) * std::sqrt(2.0 * std::log(2.0)) / M_PI};
}

}  // namespace geosr
