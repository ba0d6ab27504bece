#pragma once
// Training pairs made on the fly from HR chips: random crop, random flip / 90-degree rotation,
// LR synthesis with geosr::degrade + geosr::condition_from_lr (the inference conditioning), and a
// continuous noise level as in the SR3 reference. A batch is a pure function of (seed, index), so
// loading order, worker count and resuming never change what the network sees.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/diffusion/schedule.hpp"
#include "geosr/core/train/chip_shard.hpp"

namespace geosr {

struct TrainingBatch {
  torch::Tensor hr;           // y_0 in [-1, 1], (N, C, P, P)
  torch::Tensor condition;    // the SR3 condition of y_0, (N, C, P, P)
  torch::Tensor noise;        // eps, (N, C, P, P)
  torch::Tensor noise_level;  // sqrt(gamma), (N)
  torch::Tensor noisy;        // sqrt(gamma) y_0 + sqrt(1 - gamma) eps

  TrainingBatch to(torch::Device device) const;
};

class ChipDataset {
 public:
  // Loads every shard into memory; all must have the same channel count.
  explicit ChipDataset(const std::vector<std::string>& shard_paths);

  int64_t size() const { return chips_.size(0); }
  int64_t channels() const { return chips_.size(1); }
  int64_t chip_height() const { return chips_.size(2); }
  int64_t chip_width() const { return chips_.size(3); }

  // Chip `index` in the network's value range [-1, 1], (C, H, W).
  torch::Tensor normalized(int64_t index) const;

  // `count` random patch x patch crops, each randomly flipped / rotated when `augment`, as [-1, 1].
  torch::Tensor random_patches(uint64_t seed, int64_t count, int64_t patch, bool augment) const;

 private:
  torch::Tensor to_unit_range(const torch::Tensor& stored, int64_t index) const;

  torch::Tensor chips_;  // stored values, (N, C, H, W)
  torch::Tensor scale_;  // per chip value_scale, (N)
  torch::Tensor offset_; // per chip value_offset, (N)
};

// Draws per sample a step t uniformly and sqrt(gamma) uniformly between sqrt(gamma_t) and
// sqrt(gamma_{t-1}) (the SR3 reference's continuous noise level). Returns (count) doubles as float.
torch::Tensor sample_noise_levels(const NoiseSchedule& schedule, int64_t count, uint64_t seed);

// The whole training example for HR patches: condition, noise, noise level and noisy target.
TrainingBatch make_training_batch(const torch::Tensor& hr, int64_t scale, const NoiseSchedule& schedule,
                                  uint64_t seed);

struct BatchSpec {
  int64_t batch_size = 8;
  int64_t patch = 80;
  int64_t scale = 5;
  bool augment = true;
};

// Batch number `index` of a run with seed `seed`.
TrainingBatch draw_batch(const ChipDataset& data, const BatchSpec& spec, const NoiseSchedule& schedule,
                         uint64_t seed, int64_t index);

// A 64-bit mix of two values, for deriving independent seeds.
uint64_t mix_seed(uint64_t a, uint64_t b);

}  // namespace geosr
