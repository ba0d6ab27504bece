#include "geosr/core/train/validation.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "geosr/core/network/autocast_guard.hpp"

namespace geosr {

torch::Tensor sample_windows(const Denoiser& denoiser, const Sampler& sampler, const torch::Tensor& condition,
                             uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(seed);
  const auto cpu = condition.options().device(torch::kCPU).dtype(torch::kFloat);
  auto y = torch::randn(condition.sizes(), generator, cpu).to(condition.device());
  const auto& schedule = sampler.schedule();
  for (int t = sampler.steps() - 1; t >= 0; --t) {
    const auto level = torch::full({1}, schedule.noise_level(t), condition.options());
    const auto terms = sampler.step(y, denoiser(condition, y, level), t);
    y = terms.mean;
    if (terms.sigma > 0) y = y + terms.sigma * torch::randn(condition.sizes(), generator, cpu).to(condition.device());
  }
  return y.clamp(-1.0, 1.0);
}

double psnr_8bit(const torch::Tensor& estimate, const torch::Tensor& reference) {
  const double mse = (estimate.to(torch::kDouble) - reference.to(torch::kDouble)).mul(127.5).pow(2).mean().item<double>();
  return 10.0 * std::log10(255.0 * 255.0 / std::max(mse, 1e-12));
}

ValidationScores validate(UNet& model, const NoiseSchedule& schedule, const ChipDataset& data, const BatchSpec& spec,
                          const ValidationOptions& options, torch::Device device, bool bf16) {
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  const bool autocast = bf16 && device.is_cuda();
  const Denoiser denoiser = [&](const torch::Tensor& condition, const torch::Tensor& y, const torch::Tensor& level) {
    CudaAutocastGuard guard(autocast);
    return model->forward(torch::cat({condition, y}, 1), level).to(torch::kFloat);
  };
  BatchSpec fixed = spec;
  fixed.augment = false;

  ValidationScores scores;
  for (int64_t i = 0; i < options.loss_batches; ++i) {
    const auto batch = draw_batch(data, fixed, schedule, options.seed, i).to(device);
    scores.loss += torch::l1_loss(denoiser(batch.condition, batch.noisy, batch.noise_level), batch.noise).item<double>();
  }
  scores.loss /= static_cast<double>(std::max<int64_t>(options.loss_batches, 1));

  if (options.sample_count > 0) {
    fixed.batch_size = options.sample_count;
    const auto batch = draw_batch(data, fixed, schedule, options.seed, -1).to(device);
    const auto sampler = make_sampler(SamplerKind::Ddpm, schedule.respaced(options.sample_steps));
    const auto sr = sample_windows(denoiser, *sampler, batch.condition, options.seed);
    scores.psnr = psnr_8bit(sr, batch.hr);
    scores.psnr_bicubic = psnr_8bit(batch.condition.clamp(-1.0, 1.0), batch.hr);
  }
  if (was_training) model->train();
  return scores;
}

}  // namespace geosr
