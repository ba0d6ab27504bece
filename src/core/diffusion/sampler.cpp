#include <cmath>
#include <stdexcept>

#include "sampler_kinds.hpp"

namespace geosr {

SamplerKind parse_sampler_kind(const std::string& name) {
  if (name == "ddpm") return SamplerKind::Ddpm;
  if (name == "ddim") return SamplerKind::Ddim;
  throw std::runtime_error("unknown sampler '" + name + "' (ddpm, ddim)");
}

std::string to_string(SamplerKind kind) { return kind == SamplerKind::Ddpm ? "ddpm" : "ddim"; }

std::unique_ptr<Sampler> make_sampler(SamplerKind kind, NoiseSchedule schedule, double eta, LrConsistency consistency) {
  if (kind == SamplerKind::Ddpm) return std::make_unique<DdpmSampler>(std::move(schedule), consistency);
  return std::make_unique<DdimSampler>(std::move(schedule), eta, consistency);
}

torch::Tensor predict_x0(const NoiseSchedule& schedule, const torch::Tensor& y_t, const torch::Tensor& eps_hat, int t) {
  if (t < 0 || t >= schedule.steps())
    throw std::runtime_error("sampler step " + std::to_string(t) + " outside 0.." + std::to_string(schedule.steps() - 1));
  const double gamma = schedule.gammas[t];
  return (std::sqrt(1.0 / gamma) * y_t - std::sqrt(1.0 / gamma - 1.0) * eps_hat).clamp(-1.0, 1.0);
}

torch::Tensor Sampler::clean_estimate(const torch::Tensor& y_t, const torch::Tensor& eps_hat, int t,
                                      const torch::Tensor& condition) const {
  const torch::Tensor x0 = predict_x0(schedule_, y_t, eps_hat, t);
  return consistency_.active() && condition.defined() ? consistency_(x0, condition) : x0;
}

}  // namespace geosr
