#pragma once
// What the samplers and the scene sampler need from a network: predict the noise in y_t.

#include <functional>

#include <torch/torch.h>

namespace geosr {

// condition, y_t: (N, C, H, W); noise_level: (N) holding sqrt(gamma_t), or (1)
// when the batch shares one level (sampling). Returns eps_hat (N, C, H, W).
using Denoiser = std::function<torch::Tensor(const torch::Tensor& condition, const torch::Tensor& y_t,
                                             const torch::Tensor& noise_level)>;

}  // namespace geosr
