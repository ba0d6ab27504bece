// Reverse steps against independent double-precision derivations of the same Gaussians.
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "geosr/core/diffusion/sampler.hpp"

using namespace geosr;

namespace {

NoiseSchedule schedule20() { return NoiseSchedule::make(ScheduleKind::Linear).respaced(20); }

struct Noised {
  torch::Tensor x0, eps, y_t;
};

// A forward-process sample y_t = sqrt(gamma) x0 + sqrt(1 - gamma) eps, in double.
Noised noised(const NoiseSchedule& s, int t, int64_t n = 4096, double x0_range = 0.9) {
  torch::manual_seed(t + 17);
  Noised d;
  d.x0 = (torch::rand({n}, torch::kFloat64) * 2 - 1) * x0_range;
  d.eps = torch::randn({n}, torch::kFloat64);
  d.y_t = std::sqrt(s.gammas[t]) * d.x0 + std::sqrt(1 - s.gammas[t]) * d.eps;
  return d;
}

}  // namespace

TEST(Ddpm, PosteriorMeanAndVarianceMatchGaussianProduct) {
  const auto s = schedule20();
  const auto sampler = make_sampler(SamplerKind::Ddpm, s);
  for (int t : {19, 10, 3, 1}) {
    const Noised d = noised(s, t);
    const StepTerms terms = sampler->step(d.y_t, d.eps, t);
    // q(y_{t-1} | y_t, x0) as the product of N(y_t; sqrt(a) y, beta) and N(y; sqrt(gp) x0, 1 - gp).
    const double a = 1 - s.betas[t], beta = s.betas[t], gp = s.gammas[t - 1];
    const double var = 1.0 / (1.0 / (1 - gp) + a / beta);
    const torch::Tensor mean = var * (std::sqrt(gp) * d.x0 / (1 - gp) + std::sqrt(a) * d.y_t / beta);
    EXPECT_LT((terms.mean - mean).abs().max().item<double>(), 1e-10) << t;
    EXPECT_NEAR(terms.sigma, std::sqrt(var), 1e-12) << t;
    // The paper's closed form, valid while x0 is inside [-1, 1] (no clamping).
    const torch::Tensor paper = (d.y_t - beta / std::sqrt(1 - s.gammas[t]) * d.eps) / std::sqrt(a);
    EXPECT_LT((terms.mean - paper).abs().max().item<double>(), 1e-9) << t;
  }
}

TEST(Ddpm, StepPreservesTheForwardMarginal) {
  // With the true noise, y_{t-1} = mean + sigma z must be distributed as q(y_{t-1} | x0):
  // mean sqrt(gp) x0, variance 1 - gp. Checked on 10^6 draws of the noise.
  const auto s = schedule20();
  const auto sampler = make_sampler(SamplerKind::Ddpm, s);
  const int t = 12;
  const int64_t n = 1000000;
  const Noised d = noised(s, t, n, 0.0);  // x0 = 0
  const StepTerms terms = sampler->step(d.y_t, d.eps, t);
  const torch::Tensor y_prev = terms.mean + terms.sigma * torch::randn({n}, torch::kFloat64);
  const double expected = 1 - s.gammas[t - 1];
  // Sample variance has standard error var * sqrt(2 / n); allow 6 of them.
  EXPECT_NEAR(y_prev.var().item<double>(), expected, 6 * expected * std::sqrt(2.0 / n));
  EXPECT_NEAR(y_prev.mean().item<double>(), 0.0, 6 * std::sqrt(expected / n));
}

TEST(Ddpm, LastStepIsNoiselessAndClampsX0) {
  const auto s = schedule20();
  const auto sampler = make_sampler(SamplerKind::Ddpm, s);
  const Noised d = noised(s, 0, 1000, 3.0);  // x0 far outside [-1, 1]
  const StepTerms terms = sampler->step(d.y_t, d.eps, 0);
  EXPECT_EQ(terms.sigma, 0.0);
  // gamma_prev = 1 at t = 0, so the mean is exactly the clamped x0.
  EXPECT_LT((terms.mean - d.x0.clamp(-1, 1)).abs().max().item<double>(), 1e-9);
}

TEST(Ddim, DeterministicChainRecoversX0FromTrueNoise) {
  const auto s = schedule20();
  const auto sampler = make_sampler(SamplerKind::Ddim, s, 0.0);
  const Noised d = noised(s, 19);
  torch::Tensor y = d.y_t;
  for (int t = 19; t >= 0; --t) {
    const StepTerms terms = sampler->step(y, d.eps, t);
    EXPECT_EQ(terms.sigma, 0.0);
    y = terms.mean;
    // Every intermediate state is the forward sample at t-1 with the same noise.
    if (t > 0) {
      const torch::Tensor expected = std::sqrt(s.gammas[t - 1]) * d.x0 + std::sqrt(1 - s.gammas[t - 1]) * d.eps;
      EXPECT_LT((y - expected).abs().max().item<double>(), 1e-9) << t;
    }
  }
  EXPECT_LT((y - d.x0).abs().max().item<double>(), 1e-9);
}

TEST(Ddim, EtaOneHasTheDdpmVariance) {
  const auto s = schedule20();
  const auto ddim = make_sampler(SamplerKind::Ddim, s, 1.0);
  const auto ddpm = make_sampler(SamplerKind::Ddpm, s);
  for (int t : {19, 5, 1}) {
    const Noised d = noised(s, t, 16);
    EXPECT_NEAR(ddim->step(d.y_t, d.eps, t).sigma, ddpm->step(d.y_t, d.eps, t).sigma, 1e-12) << t;
  }
  const Noised d = noised(s, 0, 16);
  EXPECT_EQ(ddim->step(d.y_t, d.eps, 0).sigma, 0.0);
}

TEST(Sampler, BadInputThrows) {
  EXPECT_THROW(parse_sampler_kind("euler"), std::runtime_error);
  EXPECT_EQ(parse_sampler_kind(to_string(SamplerKind::Ddim)), SamplerKind::Ddim);
  EXPECT_THROW(make_sampler(SamplerKind::Ddim, schedule20(), -1.0), std::runtime_error);
  const auto sampler = make_sampler(SamplerKind::Ddpm, schedule20());
  const torch::Tensor y = torch::zeros({4});
  EXPECT_THROW(sampler->step(y, y, 20), std::runtime_error);
  EXPECT_EQ(sampler->steps(), 20);
}
