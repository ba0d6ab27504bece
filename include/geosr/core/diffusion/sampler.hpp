#pragma once
// Reverse-process samplers. Each step is split into a deterministic mean and a noise scale,
// y_{t-1} = mean + sigma * z, because the window fusion treats the two terms differently.

#include <memory>
#include <string>

#include <torch/torch.h>

#include "geosr/core/diffusion/lr_consistency.hpp"
#include "geosr/core/diffusion/schedule.hpp"

namespace geosr {

enum class SamplerKind { Ddpm, Ddim };

SamplerKind parse_sampler_kind(const std::string& name);  // "ddpm" | "ddim"
std::string to_string(SamplerKind kind);

struct StepTerms {
  torch::Tensor mean;  // same shape as y_t
  double sigma = 0.0;  // standard deviation of the noise added to mean; 0 at the last step
};

class Sampler {
 public:
  explicit Sampler(NoiseSchedule schedule, LrConsistency consistency = {})
      : schedule_(std::move(schedule)), consistency_(consistency) {}
  virtual ~Sampler() = default;

  const NoiseSchedule& schedule() const { return schedule_; }
  int steps() const { return schedule_.steps(); }

  // eps_hat is the network's noise prediction for y_t at step t; `condition`, the network's
  // condition for y_t, is what the clean estimate is held to when the consistency is active.
  virtual StepTerms step(const torch::Tensor& y_t, const torch::Tensor& eps_hat, int t,
                         const torch::Tensor& condition = {}) const = 0;

 protected:
  // x0 from y_t and eps_hat, clamped to [-1, 1] as the reference does, then held to the condition.
  torch::Tensor clean_estimate(const torch::Tensor& y_t, const torch::Tensor& eps_hat, int t,
                               const torch::Tensor& condition) const;

  NoiseSchedule schedule_;
  LrConsistency consistency_;
};

// eta is used by DDIM only (0 = deterministic).
std::unique_ptr<Sampler> make_sampler(SamplerKind kind, NoiseSchedule schedule, double eta = 0.0,
                                      LrConsistency consistency = {});

}  // namespace geosr
