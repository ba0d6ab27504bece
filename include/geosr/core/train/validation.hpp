#pragma once
// Held-out scores during training: the L1 noise loss on fixed validation batches, and the PSNR of a
// few-step sample of single windows against their HR, next to the PSNR of the condition (bicubic).

#include <cstdint>

#include <torch/torch.h>

#include "geosr/core/diffusion/sampler.hpp"
#include "geosr/core/network/denoiser.hpp"
#include "geosr/core/network/unet.hpp"
#include "geosr/core/train/chip_dataset.hpp"

namespace geosr {

struct ValidationOptions {
  int64_t loss_batches = 4;
  int64_t sample_count = 4;  // windows sampled for the PSNR (0: skip sampling)
  int sample_steps = 20;     // DDPM steps of the re-spaced training schedule
  uint64_t seed = 20240531;
};

struct ValidationScores {
  double loss = 0.0;
  double psnr = 0.0;          // dB on the 8-bit scale, SR sample vs HR
  double psnr_bicubic = 0.0;  // dB, condition vs HR
};

ValidationScores validate(UNet& model, const NoiseSchedule& schedule, const ChipDataset& data, const BatchSpec& spec,
                          const ValidationOptions& options, torch::Device device, bool bf16);

// Runs the whole reverse process on one batch of windows from seeded Gaussian noise.
torch::Tensor sample_windows(const Denoiser& denoiser, const Sampler& sampler, const torch::Tensor& condition,
                             uint64_t seed);

// PSNR in dB of images in [-1, 1] measured on the 8-bit scale (MAX = 255), as in the evaluation protocol.
double psnr_8bit(const torch::Tensor& estimate, const torch::Tensor& reference);

}  // namespace geosr
