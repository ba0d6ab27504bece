#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sampler_kinds.hpp"

namespace geosr {

DdimSampler::DdimSampler(NoiseSchedule schedule, double eta, LrConsistency consistency)
    : Sampler(std::move(schedule), consistency), eta_(eta) {
  if (!(eta >= 0.0)) throw std::runtime_error("DDIM eta must be >= 0, got " + std::to_string(eta));
}

StepTerms DdimSampler::step(const torch::Tensor& y_t, const torch::Tensor& eps_hat, int t,
                            const torch::Tensor& condition) const {
  const torch::Tensor x0 = clean_estimate(y_t, eps_hat, t, condition);
  const double gamma = schedule_.gammas[t], gamma_prev = schedule_.gamma_prev(t);
  // The noise consistent with the clamped x0, so y_t, x0 and eps stay on one forward-process line.
  const torch::Tensor eps = (std::sqrt(1.0 / gamma) * y_t - x0) / std::sqrt(1.0 / gamma - 1.0);
  const double sigma = eta_ * std::sqrt((1.0 - gamma_prev) / (1.0 - gamma) * (1.0 - gamma / gamma_prev));
  const double direction = std::sqrt(std::max(0.0, 1.0 - gamma_prev - sigma * sigma));
  StepTerms terms;
  terms.mean = std::sqrt(gamma_prev) * x0 + direction * eps;
  terms.sigma = sigma;
  return terms;
}

}  // namespace geosr
