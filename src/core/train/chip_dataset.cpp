#include "geosr/core/train/chip_dataset.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "geosr/core/resample/resample.hpp"

namespace geosr {

uint64_t mix_seed(uint64_t a, uint64_t b) {
  // splitmix64 of the pair: nearby inputs give unrelated seeds.
  uint64_t z = a * 0x9E3779B97F4A7C15ULL + b + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

TrainingBatch TrainingBatch::to(torch::Device device) const {
  return {hr.to(device), condition.to(device), noise.to(device), noise_level.to(device), noisy.to(device)};
}

ChipDataset::ChipDataset(const std::vector<std::string>& shard_paths) {
  if (shard_paths.empty()) throw std::runtime_error("no chip shards given");
  std::vector<torch::Tensor> chips, scales, offsets;
  bool all_bytes = true;
  for (const auto& path : shard_paths) {
    ChipShardInfo info;
    chips.push_back(read_chip_shard(path, &info));
    if (info.count == 0) throw std::runtime_error("chip shard holds no chips: " + path);
    if (info.channels != chips.front().size(1) || info.height != chips.front().size(2) ||
        info.width != chips.front().size(3))
      throw std::runtime_error("chip shard " + path + " has another chip shape than " + shard_paths.front());
    scales.push_back(torch::full({info.count}, info.value_scale, torch::kDouble));
    offsets.push_back(torch::full({info.count}, info.value_offset, torch::kDouble));
    all_bytes = all_bytes && info.dtype == ChipDType::UInt8;
  }
  // Bytes stay bytes (4x less memory); anything else is held as float.
  if (!all_bytes)
    for (auto& c : chips) c = c.to(torch::kFloat);
  chips_ = chips.size() == 1 ? chips.front() : torch::cat(chips);
  scale_ = torch::cat(scales);
  offset_ = torch::cat(offsets);
}

torch::Tensor ChipDataset::to_unit_range(const torch::Tensor& stored, int64_t index) const {
  return (stored.to(torch::kDouble) * scale_[index].item<double>() + offset_[index].item<double>())
      .clamp(-1.0, 1.0)
      .to(torch::kFloat);
}

torch::Tensor ChipDataset::normalized(int64_t index) const { return to_unit_range(chips_[index], index); }

torch::Tensor ChipDataset::random_patches(uint64_t seed, int64_t count, int64_t patch, bool augment) const {
  if (patch > chip_height() || patch > chip_width())
    throw std::runtime_error("training patch " + std::to_string(patch) + " is larger than the chips (" +
                             std::to_string(chip_height()) + " x " + std::to_string(chip_width()) + ")");
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, size() - 1);
  std::uniform_int_distribution<int64_t> row(0, chip_height() - patch);
  std::uniform_int_distribution<int64_t> col(0, chip_width() - patch);
  std::uniform_int_distribution<int> quarter_turns(0, 3);
  std::uniform_int_distribution<int> coin(0, 1);
  std::vector<torch::Tensor> patches;
  patches.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t index = pick(rng);
    const int64_t r = row(rng);
    const int64_t c = col(rng);
    const int turns = quarter_turns(rng);
    const bool flip = coin(rng) == 1;
    torch::Tensor crop = chips_[index].slice(1, r, r + patch).slice(2, c, c + patch);
    crop = to_unit_range(crop, index);
    // The eight symmetries of the square: 0-3 quarter turns, optionally mirrored.
    if (augment) {
      if (turns) crop = torch::rot90(crop, turns, {1, 2});
      if (flip) crop = crop.flip({2});
    }
    patches.push_back(crop.contiguous());
  }
  return torch::stack(patches);
}

torch::Tensor sample_noise_levels(const NoiseSchedule& schedule, int64_t count, uint64_t seed) {
  if (schedule.steps() == 0) throw std::runtime_error("empty noise schedule");
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> step(0, schedule.steps() - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto levels = torch::empty({count}, torch::kFloat);
  auto* out = levels.data_ptr<float>();
  for (int64_t i = 0; i < count; ++i) {
    const int t = step(rng);
    const double low = std::sqrt(schedule.gammas[t]);
    const double high = std::sqrt(schedule.gamma_prev(t));
    out[i] = static_cast<float>(low + unit(rng) * (high - low));
  }
  return levels;
}

TrainingBatch make_training_batch(const torch::Tensor& hr, int64_t scale, const NoiseSchedule& schedule,
                                  uint64_t seed) {
  TORCH_CHECK(hr.dim() == 4, "HR patches must be (N, C, H, W)");
  TrainingBatch batch;
  batch.hr = hr;
  batch.condition = condition_from_lr(degrade(hr, scale), hr.size(2), hr.size(3));
  auto generator = at::detail::createCPUGenerator(mix_seed(seed, 1));
  batch.noise = torch::randn(hr.sizes(), generator, hr.options());
  batch.noise_level = sample_noise_levels(schedule, hr.size(0), mix_seed(seed, 2));
  const auto level = batch.noise_level.view({-1, 1, 1, 1});
  batch.noisy = level * hr + (1 - level * level).sqrt() * batch.noise;
  return batch;
}

TrainingBatch draw_batch(const ChipDataset& data, const BatchSpec& spec, const NoiseSchedule& schedule,
                         uint64_t seed, int64_t index) {
  if (spec.patch % spec.scale != 0)
    throw std::runtime_error("training patch " + std::to_string(spec.patch) + " is not divisible by the scale " +
                             std::to_string(spec.scale));
  const uint64_t batch_seed = mix_seed(seed, static_cast<uint64_t>(index));
  torch::NoGradGuard no_grad;
  const auto hr = data.random_patches(mix_seed(batch_seed, 3), spec.batch_size, spec.patch, spec.augment);
  return make_training_batch(hr, spec.scale, schedule, batch_seed);
}

}  // namespace geosr
