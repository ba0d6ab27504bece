#pragma once
// The concrete samplers behind make_sampler.

#include "geosr/core/diffusion/sampler.hpp"

namespace geosr {

// SR3's ancestral step: x0 from eps, clamped to [-1, 1], then the posterior q(y_{t-1} | y_t, x0).
class DdpmSampler : public Sampler {
 public:
  using Sampler::Sampler;
  StepTerms step(const torch::Tensor& y_t, const torch::Tensor& eps_hat, int t,
                 const torch::Tensor& condition) const override;
};

// DDIM (Song et al.) with stochasticity eta; eta = 0 is deterministic, eta = 1 has DDPM's variance.
class DdimSampler : public Sampler {
 public:
  DdimSampler(NoiseSchedule schedule, double eta, LrConsistency consistency);
  StepTerms step(const torch::Tensor& y_t, const torch::Tensor& eps_hat, int t,
                 const torch::Tensor& condition) const override;

 private:
  double eta_;
};

// x0 predicted from y_t and eps_hat, clamped to the data range [-1, 1] as the reference does.
torch::Tensor predict_x0(const NoiseSchedule& schedule, const torch::Tensor& y_t, const torch::Tensor& eps_hat, int t);

}  // namespace geosr
