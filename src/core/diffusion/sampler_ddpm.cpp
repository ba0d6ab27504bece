#include <algorithm>
#include <cmath>

#include "sampler_kinds.hpp"

namespace geosr {

StepTerms DdpmSampler::step(const torch::Tensor& y_t, const torch::Tensor& eps_hat, int t,
                            const torch::Tensor& condition) const {
  const torch::Tensor x0 = clean_estimate(y_t, eps_hat, t, condition);
  const double beta = schedule_.betas[t], gamma = schedule_.gammas[t], gamma_prev = schedule_.gamma_prev(t);
  const double c1 = beta * std::sqrt(gamma_prev) / (1.0 - gamma);
  const double c2 = (1.0 - gamma_prev) * std::sqrt(schedule_.alpha(t)) / (1.0 - gamma);
  const double variance = beta * (1.0 - gamma_prev) / (1.0 - gamma);
  StepTerms terms;
  terms.mean = c1 * x0 + c2 * y_t;
  // The reference's clipped log variance; the last step adds no noise.
  terms.sigma = t == 0 ? 0.0 : std::exp(0.5 * std::log(std::max(variance, 1e-20)));
  return terms;
}

}  // namespace geosr
