// Chip shards (docs/chips.md) and the training examples made from them.

#include <gtest/gtest.h>

#include <fstream>

#include "geosr/core/diffusion/schedule.hpp"
#include "geosr/core/train/chip_dataset.hpp"
#include "geosr/core/train/chip_shard.hpp"
#include "test_support.hpp"

namespace {

using namespace geosr;

std::string bundled(const std::string& name) { return (test::samples() / "chips" / name).string(); }

TEST(ChipShard, BundledShardHeaderMatchesItsSize) {
  ChipShardInfo info;
  const auto chips = read_chip_shard(bundled("train.chips"), &info);
  EXPECT_EQ(info.dtype, ChipDType::UInt8);
  EXPECT_EQ(info.channels, 3);
  EXPECT_GT(info.count, 0);
  EXPECT_EQ(chips.sizes(), (std::vector<int64_t>{info.count, 3, info.height, info.width}));
  EXPECT_EQ(std::filesystem::file_size(bundled("train.chips")),
            static_cast<uintmax_t>(64 + info.count * 3 * info.height * info.width));
  // Real imagery, not a constant.
  EXPECT_GT(chips.to(torch::kFloat).std().item<double>(), 10.0);
}

TEST(ChipShard, WriteReadRoundTripsEveryType) {
  const auto dir = test::scratch("roundtrip");
  for (auto dtype : {ChipDType::UInt8, ChipDType::UInt16, ChipDType::Float32}) {
    ChipShardInfo info;
    info.dtype = dtype;
    info.channels = 2;
    info.height = 5;
    info.width = 7;
    info.value_scale = 0.5;
    info.value_offset = -3.0;
    const double top = dtype == ChipDType::UInt8 ? 255 : dtype == ChipDType::UInt16 ? 65535 : 1e6;
    const auto a = torch::randint(0, static_cast<int64_t>(top) + 1, {2, 5, 7}, torch::kDouble);
    const auto b = torch::full({2, 5, 7}, top, torch::kDouble);
    const auto path = (dir / ("s_" + to_string(dtype) + ".chips")).string();
    {
      ChipShardWriter writer(path, info);
      writer.append(a);
      writer.append(b);
      writer.close();
    }
    ChipShardInfo read;
    const auto chips = read_chip_shard(path, &read);
    EXPECT_EQ(read.count, 2);
    EXPECT_EQ(read.dtype, dtype);
    EXPECT_DOUBLE_EQ(read.value_scale, 0.5);
    EXPECT_DOUBLE_EQ(read.value_offset, -3.0);
    EXPECT_TRUE(torch::equal(chips[0].to(torch::kDouble), a)) << to_string(dtype);
    EXPECT_TRUE(torch::equal(chips[1].to(torch::kDouble), b)) << to_string(dtype);
  }
}

TEST(ChipShard, RejectsWrongShapesAndBadFiles) {
  const auto dir = test::scratch("bad");
  ChipShardInfo info;
  info.channels = 3;
  info.height = info.width = 4;
  ChipShardWriter writer((dir / "a.chips").string(), info);
  EXPECT_THROW(writer.append(torch::zeros({3, 4, 5})), std::runtime_error);
  writer.append(torch::zeros({3, 4, 4}));
  writer.close();

  std::ofstream((dir / "junk.chips").string()) << "this is not a shard at all, but it is long enough to have a header....";
  EXPECT_THROW(read_chip_shard((dir / "junk.chips").string()), std::runtime_error);
  EXPECT_THROW(read_chip_shard((dir / "missing.chips").string()), std::runtime_error);
  // Truncated: header of a.chips claims one chip, cut its pixels short.
  std::filesystem::copy_file(dir / "a.chips", dir / "short.chips");
  std::filesystem::resize_file(dir / "short.chips", 64 + 10);
  EXPECT_THROW(read_chip_shard((dir / "short.chips").string()), std::runtime_error);
}

TEST(ChipDataset, PatchesAreChipsUnderTheEightSymmetries) {
  const ChipDataset data({bundled("train.chips")});
  const int64_t side = data.chip_height();
  std::vector<torch::Tensor> symmetries;
  for (int64_t i = 0; i < data.size(); ++i) {
    const auto chip = data.normalized(i);
    for (int turns = 0; turns < 4; ++turns) {
      const auto turned = torch::rot90(chip, turns, {1, 2});
      symmetries.push_back(turned);
      symmetries.push_back(turned.flip({2}));
    }
  }
  const auto patches = data.random_patches(7, 16, side, /*augment=*/true);
  int transformed = 0;
  for (int64_t p = 0; p < patches.size(0); ++p) {
    int matches = 0;
    for (size_t s = 0; s < symmetries.size(); ++s)
      if (torch::equal(patches[p], symmetries[s])) {
        ++matches;
        if (s % 8 != 0) ++transformed;
        break;
      }
    EXPECT_EQ(matches, 1) << "patch " << p << " is no symmetry of any chip";
  }
  EXPECT_GT(transformed, 0);  // augmentation actually happens
  EXPECT_LE(patches.max().item<float>(), 1.0f);
  EXPECT_GE(patches.min().item<float>(), -1.0f);
  // Same seed, same patches.
  EXPECT_TRUE(torch::equal(patches, data.random_patches(7, 16, side, true)));
}

TEST(ChipDataset, NoiseLevelsStayBetweenNeighbouringGammas) {
  const auto schedule = NoiseSchedule::make(ScheduleKind::Linear, 2000, 1e-6, 1e-2);
  const auto levels = sample_noise_levels(schedule, 20000, 3);
  EXPECT_GE(levels.min().item<double>(), std::sqrt(schedule.gammas.back()) - 1e-6);
  EXPECT_LE(levels.max().item<double>(), 1.0);
  // t uniform over 1..T: about half the draws fall at or below the level of the middle step.
  const double middle = std::sqrt(schedule.gammas[schedule.steps() / 2]);
  const double fraction_noisier = (levels < middle).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(fraction_noisier, 0.5, 0.03);
}

TEST(ChipDataset, BatchDependsOnlyOnSeedAndIndex) {
  auto data = ChipDataset({bundled("train.chips")});
  const auto schedule = NoiseSchedule::make(ScheduleKind::Linear, 2000, 1e-6, 1e-2);
  BatchSpec spec;
  spec.batch_size = 3;
  spec.patch = 40;
  spec.scale = 5;
  const auto a = draw_batch(data, spec, schedule, 11, 5);
  const auto b = draw_batch(data, spec, schedule, 11, 5);
  const auto c = draw_batch(data, spec, schedule, 11, 6);
  EXPECT_TRUE(torch::equal(a.noisy, b.noisy));
  EXPECT_FALSE(torch::equal(a.hr, c.hr));
  const auto level = a.noise_level.view({-1, 1, 1, 1});
  EXPECT_TRUE(torch::allclose(a.noisy, level * a.hr + (1 - level * level).sqrt() * a.noise, 1e-6, 1e-6));
  spec.patch = 42;
  EXPECT_THROW(draw_batch(data, spec, schedule, 11, 0), std::runtime_error);
}

}  // namespace
